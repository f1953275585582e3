// `mantra files`, `mantra file`, `mantra diff` and `mantra verify`: the timeline on the CLI.
#include "cli/CliSupport.h"

#include "core/TimelineJson.h"
#include "timeline/Timeline.h"
#include "timeline/Uri.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace mantra::cli {

using nlohmann::json;

namespace {

bool parseSeq(const std::string &s, int64_t &out) {
  if (s.empty() || s.size() > 18)
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  out = std::stoll(s);
  return true;
}

std::string seqList(const std::vector<int64_t> &v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 8) {
      out += ", … (" + std::to_string(v.size()) + " in all)";
      break;
    }
    out += (i ? ", #" : "#") + std::to_string(v[i]);
  }
  return out;
}

// Colors a unified diff on a terminal: headers bold, removed lines red, added lines green.
void printDiff(const std::string &diff, bool color) {
  if (!color) {
    std::fwrite(diff.data(), 1, diff.size(), stdout);
    return;
  }
  size_t start = 0;
  while (start < diff.size()) {
    size_t nl = diff.find('\n', start);
    if (nl == std::string::npos)
      nl = diff.size();
    const std::string line = diff.substr(start, nl - start);
    const char *on = "";
    if (line.rfind("---", 0) == 0 || line.rfind("+++", 0) == 0)
      on = "\033[1m";
    else if (line.rfind("@@", 0) == 0)
      on = "\033[36m";
    else if (!line.empty() && line[0] == '-')
      on = "\033[31m";
    else if (!line.empty() && line[0] == '+')
      on = "\033[32m";
    std::printf("%s%s%s\n", on, line.c_str(), *on ? "\033[0m" : "");
    start = nl + 1;
  }
}

} // namespace

int cmdFiles(const Args &a) {
  if (a.positional.size() != 1)
    return usage("files needs exactly one SESSION");
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  auto s = (*store)->session(a.positional[0]);
  if (!s)
    return fail(s.error());
  auto files = timeline::files(**store, *s);
  if (!files)
    return fail(files.error());
  if (a.flags.count("--json")) {
    printJson(filesJson(*files, *s));
    return 0;
  }
  if (files->empty()) {
    std::printf("Session %s touched no files.\n", s->id.c_str());
    return 0;
  }
  for (const auto &f : *files) {
    std::printf("%s\n", timeline::displayPath(f.path, s->project).c_str());
    if (!f.changedAt.empty())
      std::printf("    changed at %s\n", seqList(f.changedAt).c_str());
    if (!f.reads.empty())
      std::printf("    read at    %s\n", seqList(f.reads).c_str());
    if (!f.lastStatus.empty())
      std::printf("    note: %s\n", f.lastStatus.c_str());
  }
  return 0;
}

int cmdFile(const Args &a) {
  std::vector<std::string> args = a.positional;
  if (args.size() == 1 && args[0].rfind("mantra://", 0) == 0) {
    auto uri = timeline::parseFileUri(args[0]);
    if (!uri)
      return usage(uri.error().message);
    args = {uri->session, std::to_string(uri->seq), uri->path};
  }
  if (args.size() != 3)
    return usage("file needs SESSION SEQ PATH (or a mantra://SESSION/SEQ/PATH URI)");
  int64_t seq = 0;
  if (!parseSeq(args[1], seq))
    return usage("SEQ must be a step number, not '" + args[1] + "'");
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  const auto t0 = std::chrono::steady_clock::now();
  auto s = (*store)->session(args[0]);
  if (!s)
    return fail(s.error());
  auto f = timeline::fileAt(**store, *s, seq, args[2]);
  if (!f)
    return fail(f.error());
  if (a.flags.count("--json")) {
    json j = fileAtJson(*f, *s);
    // The lookup's own time (no process start, no database open), for the benchmark.
    j["ms"] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    printJson(j);
    return 0;
  }
  const std::string name = timeline::displayPath(f->path, s->project);
  if (!f->content) {
    std::fprintf(stderr, "mantra: %s after step %lld: %s\n", name.c_str(),
                 static_cast<long long>(seq),
                 f->present ? ("content unknown: " + f->reason).c_str() : f->reason.c_str());
    return 1;
  }
  std::fwrite(f->content->data(), 1, f->content->size(), stdout);
  if (!f->exact)
    std::fprintf(stderr, "mantra: note: %s after step %lld is not exact (base: %s): %s\n",
                 name.c_str(), static_cast<long long>(seq), f->base.c_str(), f->reason.c_str());
  return 0;
}

int cmdDiff(const Args &a) {
  if (a.positional.empty() || a.positional.size() > 3)
    return usage("diff needs SESSION [SEQ] [PATH] (or --from A --to B)");
  int64_t from = -1, to = -1;
  std::string err;
  if (!intOption(a, "--from", from, err) || !intOption(a, "--to", to, err))
    return usage(err);
  std::string path;
  size_t next = 1;
  if (from < 0 || to < 0) {
    int64_t seq = 0;
    if (a.positional.size() < 2 || !parseSeq(a.positional[1], seq))
      return usage("diff needs a step number: SESSION SEQ [PATH], or --from A --to B");
    from = seq - 1;
    to = seq;
    next = 2;
  }
  if (a.positional.size() > next)
    path = a.positional[next];
  if (a.positional.size() > next + 1)
    return usage("diff: too many arguments");
  if (from > to)
    return usage("--from must not be after --to");
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  auto s = (*store)->session(a.positional[0]);
  if (!s)
    return fail(s.error());
  auto diffs = timeline::diff(**store, *s, from, to, path);
  if (!diffs)
    return fail(diffs.error());
  if (a.flags.count("--json")) {
    printJson(diffsJson(*diffs, *s));
    return 0;
  }
  if (diffs->empty()) {
    std::printf("No file changed between step %lld and step %lld.\n", static_cast<long long>(from),
                static_cast<long long>(to));
    return 0;
  }
  const bool color = ::isatty(STDOUT_FILENO);
  for (const auto &d : *diffs) {
    const std::string name = timeline::displayPath(d.path, s->project);
    if (!d.diff) {
      std::printf("%s: no diff: %s\n", name.c_str(), d.reason.c_str());
      continue;
    }
    if (!d.exact)
      std::printf("# %s: not exact: %s\n", name.c_str(), d.reason.c_str());
    if (d.diff->empty())
      std::printf("%s: unchanged\n", name.c_str());
    printDiff(*d.diff, color);
  }
  return 0;
}

int cmdVerify(const Args &a) {
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  auto stats = (*store)->verifyStats();
  if (!stats)
    return fail(stats.error());
  auto bad = (*store)->mismatches(50);
  if (!bad)
    return fail(bad.error());
  if (a.flags.count("--json")) {
    printJson(verifyJson(*stats, *bad));
    return 0;
  }
  if (stats->empty()) {
    std::printf("No file states yet: run 'mantra index' first.\n");
    return 0;
  }
  std::printf("%-8s %8s %6s %8s %6s %8s %7s %7s %8s %10s\n", "agent", "sessions", "files",
              "changes", "exact", "unknown", "failed", "checks", "matches", "mismatches");
  for (const auto &v : *stats)
    std::printf("%-8s %8lld %6lld %8lld %6lld %8lld %7lld %7lld %8lld %10lld\n", v.agent.c_str(),
                static_cast<long long>(v.sessions), static_cast<long long>(v.files),
                static_cast<long long>(v.changes), static_cast<long long>(v.exact),
                static_cast<long long>(v.unknown), static_cast<long long>(v.failed),
                static_cast<long long>(v.checks), static_cast<long long>(v.matches),
                static_cast<long long>(v.mismatches));
  for (const auto &[session, seq, path] : *bad)
    std::printf("mismatch: %s #%lld %s\n", session.c_str(), static_cast<long long>(seq),
                path.c_str());
  return 0;
}

} // namespace mantra::cli
