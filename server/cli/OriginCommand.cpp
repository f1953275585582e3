// `mantra origin PATH:LINE`: the prompt that produced a line of code.
#include "cli/CliSupport.h"

#include "core/OriginJson.h"
#include "origin/Origin.h"
#include "util/Time.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace mantra::cli {

using nlohmann::json;

namespace {

// "src/a.py:12" → ("src/a.py", 12); also accepts PATH and LINE as two arguments.
bool splitTarget(const std::vector<std::string> &args, std::string &path, int64_t &line) {
  std::string num;
  if (args.size() == 2) {
    path = args[0];
    num = args[1];
  } else if (args.size() == 1) {
    const size_t colon = args[0].rfind(':');
    if (colon == std::string::npos || colon == 0)
      return false;
    path = args[0].substr(0, colon);
    num = args[0].substr(colon + 1);
  } else {
    return false;
  }
  if (num.empty() || num.size() > 9 || num.find_first_not_of("0123456789") != std::string::npos)
    return false;
  line = std::stoll(num);
  return line >= 1;
}

void printOrigin(const origin::Origin &o, bool first) {
  const std::string when = o.time ? formatIsoTime(*o.time).substr(0, 16) : "time unknown";
  std::printf("%s%s · %s · %s · %s step #%lld (%s line %lld)\n", first ? "" : "  ",
              o.confidence.c_str(), o.agent.c_str(), when.c_str(), o.session.c_str(),
              static_cast<long long>(o.seq), o.path.c_str(), static_cast<long long>(o.line));
  if (!first)
    return;
  std::string prompt = o.prompt.empty() ? "(no prompt)" : o.prompt;
  if (prompt.size() > 600)
    prompt = prompt.substr(0, 600) + "…";
  size_t start = 0;
  while (start <= prompt.size()) {
    size_t nl = prompt.find('\n', start);
    if (nl == std::string::npos)
      nl = prompt.size();
    std::printf("  > %s\n", prompt.substr(start, nl - start).c_str());
    start = nl + 1;
  }
  if (!o.explanation.empty()) {
    std::string e = o.explanation.substr(0, o.explanation.find('\n'));
    if (e.size() > 200)
      e = e.substr(0, 200) + "…";
    std::printf("  %s\n", e.c_str());
  }
}

} // namespace

int cmdOrigin(const Args &a) {
  std::string path;
  int64_t line = 0;
  if (!splitTarget(a.positional, path, line))
    return usage("origin needs PATH:LINE (a file and a line number from 1)");
  std::error_code ec;
  path = std::filesystem::absolute(path, ec).lexically_normal().string();
  auto redactor = makeRedactor(a);
  if (!redactor)
    return fail(redactor.error());
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  origin::Query q;
  q.path = path;
  q.line = line;
  if (auto t = a.options.find("--text"); t != a.options.end() && !t->second.empty())
    q.text = t->second.back();
  if (auto t = a.options.find("--above"); t != a.options.end())
    q.above = t->second;
  if (auto t = a.options.find("--below"); t != a.options.end())
    q.below = t->second;
  origin::Finder finder;
  const auto t0 = std::chrono::steady_clock::now();
  auto ans = finder.find(**store, q, *redactor);
  if (!ans)
    return fail(ans.error());
  if (a.flags.count("--json")) {
    json j = originJson(*ans);
    // The lookup's own time (no process start, no database open), for the benchmark.
    j["ms"] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    printJson(j);
    return 0;
  }
  if (!ans->origin) {
    std::printf("%s:%lld: %s\n", path.c_str(), static_cast<long long>(line), ans->reason.c_str());
  } else {
    printOrigin(*ans->origin, true);
  }
  if (!ans->candidates.empty()) {
    std::printf("%s:\n", ans->origin ? "other candidates" : "candidates");
    for (const auto &c : ans->candidates)
      printOrigin(c, false);
  }
  if (ans->blame && !ans->blame->commit.empty())
    std::printf("git: %s %s (%s, %s)\n", ans->blame->commit.substr(0, 10).c_str(),
                ans->blame->summary.c_str(), ans->blame->author.c_str(),
                formatIsoTime(ans->blame->timeMs).substr(0, 10).c_str());
  return 0;
}

} // namespace mantra::cli
