// `mantra scan` (report secrets in files without printing them) and `mantra redact` (filter
// stdin, or --rescan the database after a rule was added).
#include "cli/CliSupport.h"

#include "origin/Origin.h"
#include "timeline/Timeline.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace mantra::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ScanHit {
  std::string rule, file;
  int64_t line = 0, column = 0;
  size_t length = 0;
};

// 1-based line and column of byte `offset` in `text`.
std::pair<int64_t, int64_t> lineCol(std::string_view text, size_t offset) {
  int64_t line = 1;
  size_t lineStart = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  return {line, static_cast<int64_t>(offset - lineStart + 1)};
}

void walkStrings(const json &j, const std::function<void(const std::string &)> &fn) {
  if (j.is_string())
    fn(j.get_ref<const std::string &>());
  else if (j.is_structured())
    for (const auto &v : j)
      walkStrings(v, fn);
  else if (j.is_object())
    for (const auto &[k, v] : j.items())
      walkStrings(v, fn);
}

// Scans one decoded JSON document found in `raw` (a line or a whole file) starting at byte
// `base` of the file: findings are placed by looking up the start of each secret in the raw
// text (escapes rarely occur in a secret's first bytes); a secret that cannot be placed is
// reported at the document's start.
void scanJson(const Redactor &r, const json &doc, std::string_view raw, size_t base,
              std::string_view file, const std::string &path, std::vector<ScanHit> &hits) {
  walkStrings(doc, [&](const std::string &s) {
    for (const auto &f : r.find(s)) {
      const std::string_view needle =
          std::string_view(s).substr(f.start, std::min<size_t>(f.length, 16));
      const size_t at = raw.find(needle);
      const auto [line, col] = lineCol(file, base + (at == std::string_view::npos ? 0 : at));
      hits.push_back({f.rule, path, line, col, f.length});
    }
  });
}

void scanFile(const Redactor &r, const fs::path &p, std::vector<ScanHit> &hits, int64_t &bytes) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  bytes += static_cast<int64_t>(text.size());
  if (text.substr(0, 8192).find('\0') != std::string::npos)
    return; // binary
  const std::string path = fs::absolute(p).lexically_normal().string();
  const std::string ext = p.extension().string();
  if (ext == ".jsonl" || ext == ".ndjson") {
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string::npos)
        nl = text.size();
      const std::string_view line(text.data() + start, nl - start);
      json doc = json::parse(line, nullptr, false);
      if (!doc.is_discarded()) {
        scanJson(r, doc, line, start, text, path, hits);
      } else {
        for (const auto &f : r.find(line)) {
          const auto [l, c] = lineCol(text, start + f.start);
          hits.push_back({f.rule, path, l, c, f.length});
        }
      }
      start = nl + 1;
    }
    return;
  }
  if (ext == ".json") {
    json doc = json::parse(text, nullptr, false);
    if (!doc.is_discarded()) {
      scanJson(r, doc, text, 0, text, path, hits);
      return;
    }
  }
  for (const auto &f : r.find(text)) {
    const auto [l, c] = lineCol(text, f.start);
    hits.push_back({f.rule, path, l, c, f.length});
  }
}

} // namespace

int cmdScan(const Args &a) {
  if (a.positional.empty())
    return usage("scan needs at least one PATH");
  auto redactor = makeRedactor(a);
  if (!redactor)
    return fail(redactor.error());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<ScanHit> hits;
  std::vector<std::string> problems;
  int64_t files = 0, bytes = 0;
  for (const auto &root : a.positional) {
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) {
      ++files;
      scanFile(*redactor, root, hits, bytes);
    } else if (fs::is_directory(root, ec)) {
      for (auto it = fs::recursive_directory_iterator(
               root, fs::directory_options::skip_permission_denied, ec);
           it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec)
          break;
        if (it->is_regular_file(ec)) {
          ++files;
          scanFile(*redactor, it->path(), hits, bytes);
        }
      }
    } else {
      problems.push_back(root + ": no such file or folder");
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto &p : problems)
    std::fprintf(stderr, "mantra: %s\n", p.c_str());
  if (a.flags.count("--json")) {
    json list = json::array();
    for (const auto &h : hits)
      list.push_back({{"rule", h.rule},
                      {"file", h.file},
                      {"line", h.line},
                      {"column", h.column},
                      {"length", h.length}});
    printJson({{"findings", list}, {"files", files}, {"bytes", bytes}, {"seconds", seconds}});
  } else {
    for (const auto &h : hits)
      std::printf("%s:%lld:%lld: %s (%zu characters)\n", h.file.c_str(),
                  static_cast<long long>(h.line), static_cast<long long>(h.column), h.rule.c_str(),
                  h.length);
    std::printf("%zu findings in %lld files (%.1f MB) in %.2f s\n", hits.size(),
                static_cast<long long>(files), double(bytes) / 1e6, seconds);
  }
  return problems.empty() ? 0 : 1;
}

int cmdRedact(const Args &a) {
  auto redactor = makeRedactor(a);
  if (!redactor)
    return fail(redactor.error());
  if (!a.flags.count("--rescan")) {
    if (!a.positional.empty())
      return usage("redact reads standard input (or use --rescan for the database)");
    // fread, not iostreams: std::cin synchronised with stdio reads a character at a time.
    std::string input;
    char buf[1 << 16];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, stdin)) > 0)
      input.append(buf, got);
    const std::string out = redactor->redact(std::move(input));
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  const Redactor &r = *redactor;
  auto counts = (*store)->rewriteTexts(
      [&](Event &e) {
        const Event before = e;
        r.redactEvent(e);
        return e.text != before.text || e.command != before.command || e.path != before.path ||
               e.tool != before.tool || e.data != before.data;
      },
      [&](SessionRow &s) {
        const std::string t = s.title, p = s.project, b = s.branch;
        s.title = r.redact(s.title);
        s.project = r.redact(s.project);
        s.branch = r.redact(s.branch);
        return t != s.title || p != s.project || b != s.branch;
      });
  if (!counts)
    return fail(counts.error());
  // The file states are derived from the events (and from git and the disk): computed again
  // with the current rules, so no content the new rule covers stays in the blob table.
  SessionFilter all;
  all.limit = INT32_MAX;
  auto sessions = (*store)->sessions(all);
  if (!sessions)
    return fail(sessions.error());
  if (auto st = (*store)->begin(); !st)
    return fail(st.error());
  for (const auto &s : *sessions) {
    auto states = timeline::rebuild(**store, s.id, r);
    Status st = states ? origin::rebuild(**store, s.id, *states) : Status(states.error());
    if (!st) {
      (*store)->rollback();
      return fail(st.error());
    }
  }
  if (auto st = (*store)->commit(); !st)
    return fail(st.error());
  if (auto st = (*store)->purge(); !st)
    return fail(st.error());
  if (a.flags.count("--json")) {
    printJson({{"events", counts->events}, {"sessions", counts->sessions}});
  } else {
    std::printf("Rescanned %s: %lld events and %lld sessions rewritten; search index rebuilt.\n",
                (*store)->path().c_str(), static_cast<long long>(counts->events),
                static_cast<long long>(counts->sessions));
  }
  return 0;
}

} // namespace mantra::cli
