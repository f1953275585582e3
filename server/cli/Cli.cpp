#include "cli/Cli.h"
#include "cli/CliSupport.h"

#include "config/Config.h"
#include "core/Json.h"
#include "ingest/Indexer.h"
#include "redact/Redactor.h"
#include "search/Search.h"
#include "store/Store.h"
#include "util/Time.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <unistd.h>

namespace mantra::cli {
namespace {

using nlohmann::json;

const char *kUsage = R"(mantra — a history viewer for AI coding sessions

Usage:
  mantra index    [--json] [--dry-run] [PATH...]
                  index sessions (default: every agent's folders); --dry-run lists the files
  mantra sessions [--json] [--agent A] [--project DIR] [--limit N]
  mantra show     [--json] [--all] [--full] [--kind K] SESSION [--from N] [--to M]
                  K: user, assistant, shell, edit, … (comma-separated)
  mantra files    [--json] SESSION          the files a session touched: changed at, read at
  mantra file     [--json] SESSION SEQ PATH a file's content after step SEQ
  mantra diff     [--json] SESSION SEQ [PATH] | SESSION --from A --to B [PATH]
                  the unified diff a step (or a range of steps) made
  mantra verify   [--json]                 the timeline's self-check: reads vs reconstruction
  mantra origin   [--json] [--text LINE [--above L]... [--below L]...] PATH:LINE
                  the session, step and prompt that wrote a line of code
  mantra search   [--json] [--limit N] [--by-event] QUERY...
                  sessions best first, with their best-matching steps; --by-event: one line
                  per matching step
  mantra status   [--json]                 what the database holds, per agent; archived sessions
  mantra scan     [--json] PATH...         report secrets in files (never prints them)
  mantra redact   [--rescan [--json]]      redact stdin to stdout; --rescan: the database
  mantra serve                             JSON-RPC 2.0 over stdin/stdout (see protocol/)
  mantra help | --version

Options for every command:
  --db PATH    the database (default $MANTRA_DB, else $XDG_DATA_HOME/mantra/mantra.db)
  --json       machine-readable output on stdout
  --config PATH               config file (default $XDG_CONFIG_HOME/mantra/config.json)
  --redact-pattern [ID=]REGEX another secret pattern (repeatable)
  --internal-domain DOMAIN    hosts under DOMAIN are redacted (repeatable)
  --allow VALUE               a value never redacted (repeatable)

SESSION is a session id ("claude:3f2a…"), a native id, or a unique prefix of either.
QUERY: words (all must match), "exact phrases", prefix*, -word, a OR b, parts of identifiers
(reconnectWebS), and filters: agent: project: (. = here) file: tool: cmd: branch: model: kind:
after: before: (2026-11-01, 7d, 3w, 2m) failed is:subagent — e.g. file:src/ws.ts failed
)";

std::string localTime(std::optional<int64_t> ms, bool seconds = false) {
  if (!ms)
    return std::string(seconds ? 19 : 16, ' ');
  const std::time_t t = static_cast<std::time_t>(*ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
  return buf;
}

// The short form of a session id for tables: agent + first 8 characters of the native id.
std::string shortId(const std::string &id) {
  const auto colon = id.find(':');
  if (colon == std::string::npos)
    return id.substr(0, 16);
  const std::string native = id.substr(colon + 1);
  const size_t keep = native.rfind("agent-", 0) == 0 ? 14 : 8;
  return id.substr(0, colon + 1) + native.substr(0, keep);
}

std::string homeRelative(const std::string &path) {
  const char *home = std::getenv("HOME");
  if (home && *home) {
    const std::string h = home;
    if (path.rfind(h + "/", 0) == 0)
      return "~" + path.substr(h.size());
  }
  return path;
}

// `path` relative to `base` when it lies inside it ("calc/cli.py" rather than the absolute path).
std::string relativeTo(const std::string &path, const std::string &base) {
  if (!base.empty() && path.size() > base.size() + 1 && path.rfind(base, 0) == 0 &&
      path[base.size()] == '/')
    return path.substr(base.size() + 1);
  return path;
}

// --- index ---------------------------------------------------------------------------------

// Lists the session files `index` would read, without opening the database.
int cmdIndexDryRun(const Args &a) {
  std::vector<FileProblem> problems;
  auto files = Indexer::discoverFiles(makeAdapters(), a.positional, problems);
  if (a.flags.count("--json")) {
    json list = json::array();
    for (const auto &f : files)
      list.push_back({{"path", f.path.string()}, {"agent", f.agent}, {"size", f.size}});
    json errs = json::array();
    for (const auto &p : problems)
      errs.push_back({{"file", p.file}, {"line", p.line}, {"message", p.message}});
    printJson({{"files", list}, {"errors", errs}});
  } else {
    for (const auto &f : files)
      std::printf("%-8s %10lld  %s\n", f.agent.c_str(), static_cast<long long>(f.size),
                  f.path.c_str());
    for (const auto &p : problems)
      std::fprintf(stderr, "%s: %s\n", p.file.c_str(), p.message.c_str());
  }
  return 0;
}

int cmdIndex(const Args &a) {
  if (a.flags.count("--dry-run"))
    return cmdIndexDryRun(a);
  auto redactor = makeRedactor(a);
  if (!redactor)
    return fail(redactor.error());
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  Indexer indexer(**store, *redactor, makeAdapters());
  const bool asJson = a.flags.count("--json");
  const bool bar = !asJson && ::isatty(STDERR_FILENO);
  auto progress = [&](const IndexProgress &p) {
    if (!bar)
      return;
    const int width = 30;
    const double frac = p.bytesTotal ? double(p.bytesDone) / double(p.bytesTotal) : 1.0;
    const int filled = static_cast<int>(frac * width);
    std::fprintf(stderr, "\r[%-*s] %3d%%  %lld/%lld files  %.1f MB", width,
                 std::string(static_cast<size_t>(filled), '#').c_str(),
                 static_cast<int>(frac * 100), static_cast<long long>(p.filesDone),
                 static_cast<long long>(p.filesTotal), double(p.bytesDone) / 1e6);
    std::fflush(stderr);
  };
  auto report = indexer.run(a.positional, progress);
  if (bar)
    std::fprintf(stderr, "\r\033[K");
  if (!report)
    return fail(report.error());
  const IndexReport &r = *report;
  if (asJson) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto &e : r.errors)
      errors.push_back({{"file", e.file}, {"line", e.line}, {"message", e.message}});
    printJson({{"sessions", r.totals.sessions},
               {"events", r.totals.events},
               {"sources", r.totals.sources},
               {"skipped", r.skipped},
               {"unknown", r.unknown},
               {"added", r.eventsAdded},
               {"filesRead", r.filesRead},
               {"bytesRead", r.bytesRead},
               {"errors", errors},
               {"seconds", r.seconds},
               {"database", (*store)->path()}});
    return 0;
  }
  std::printf("Indexed %lld session files (%lld with new data, %.1f MB read) in %.2f s.\n",
              static_cast<long long>(r.filesSeen), static_cast<long long>(r.filesRead),
              double(r.bytesRead) / 1e6, r.seconds);
  std::printf("Database %s: %lld sessions, %lld events (%lld new).\n", (*store)->path().c_str(),
              static_cast<long long>(r.totals.sessions), static_cast<long long>(r.totals.events),
              static_cast<long long>(r.eventsAdded));
  if (r.unknown)
    std::printf("%lld records of unknown types kept as raw meta events.\n",
                static_cast<long long>(r.unknown));
  for (const auto &e : r.errors) {
    if (e.line > 0)
      std::fprintf(stderr, "%s:%lld: %s\n", e.file.c_str(), static_cast<long long>(e.line),
                   e.message.c_str());
    else
      std::fprintf(stderr, "%s: %s\n", e.file.c_str(), e.message.c_str());
  }
  if (r.filesSeen == 0 && a.positional.empty())
    std::printf("No sessions found. Looked in the Claude Code folders ($CLAUDE_CONFIG_DIR/projects,"
                " ~/.claude/projects, ~/.config/claude/projects).\n");
  return 0;
}

// --- sessions ------------------------------------------------------------------------------

int cmdSessions(const Args &a) {
  SessionFilter f;
  int64_t limit = 20;
  std::string err;
  if (!intOption(a, "--limit", limit, err))
    return usage(err);
  if (limit <= 0)
    return usage("--limit: must be positive");
  f.limit = static_cast<int>(std::min<int64_t>(limit, INT32_MAX)); // no wrap-around
  f.agent = opt(a, "--agent");
  if (a.options.count("--project")) {
    std::error_code ec;
    const std::string p = opt(a, "--project");
    auto abs = std::filesystem::absolute(p, ec);
    f.project = ec ? p : abs.lexically_normal().string();
  }
  if (!a.positional.empty())
    return usage("sessions takes no arguments (did you mean 'mantra show " + a.positional[0] +
                 "'?)");
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  auto rows = (*store)->sessions(f);
  if (!rows)
    return fail(rows.error());
  if (a.flags.count("--json")) {
    json list = json::array();
    for (const auto &s : *rows)
      list.push_back(sessionJson(s));
    printJson({{"sessions", list}});
    return 0;
  }
  if (rows->empty()) {
    std::printf("No sessions. Run 'mantra index' first.\n");
    return 0;
  }
  for (const auto &s : *rows) {
    std::string where = homeRelative(s.project);
    if (!s.branch.empty())
      where += " (" + s.branch + ")";
    std::printf("%s  %-24s %5lld steps  %s\n", localTime(s.ended ? s.ended : s.started).c_str(),
                shortId(s.id).c_str(), static_cast<long long>(s.events), where.c_str());
    std::printf("    %s%s\n", s.isSubagent ? "[sub-agent] " : "",
                s.title.empty() ? "(untitled)" : s.title.c_str());
  }
  return 0;
}

// --- show ----------------------------------------------------------------------------------

void printIndented(const std::string &text, size_t maxLines) {
  size_t start = 0, lines = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos)
      nl = text.size();
    if (lines == maxLines) {
      size_t rest = 1;
      for (size_t i = nl; i < text.size(); ++i)
        rest += text[i] == '\n';
      std::printf("    … %zu more lines (--full shows all)\n", rest);
      return;
    }
    std::printf("    %.*s\n", static_cast<int>(nl - start), text.data() + start);
    ++lines;
    start = nl + 1;
  }
}

int cmdShow(const Args &a) {
  if (a.positional.size() != 1)
    return usage("show needs exactly one SESSION");
  int64_t from = 1, to = INT64_MAX;
  std::string err;
  if (!intOption(a, "--from", from, err) || !intOption(a, "--to", to, err))
    return usage(err);
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  auto s = (*store)->session(a.positional[0]);
  if (!s)
    return fail(s.error());
  auto events = (*store)->events(s->id, from, to);
  if (!events)
    return fail(events.error());
  if (const std::string kinds = opt(a, "--kind"); !kinds.empty()) {
    std::set<EventKind> keep;
    size_t i = 0;
    while (i <= kinds.size()) {
      const size_t comma = std::min(kinds.find(',', i), kinds.size());
      const std::string name = kinds.substr(i, comma - i);
      auto k = eventKindFromString(name);
      if (!k)
        return usage("--kind: unknown kind '" + name +
                     "' (user, assistant, reasoning, tool_call, tool_result, shell, edit, "
                     "summary, meta)");
      keep.insert(*k);
      i = comma + 1;
    }
    std::vector<Event> kept;
    for (auto &e : *events)
      if (keep.count(e.kind))
        kept.push_back(std::move(e));
    *events = std::move(kept);
  }
  if (a.flags.count("--json")) {
    json list = json::array();
    for (const auto &e : *events)
      list.push_back(eventJson(e));
    printJson({{"session", sessionJson(*s)}, {"events", list}});
    return 0;
  }
  const bool all = a.flags.count("--all"), full = a.flags.count("--full");
  const size_t maxLines = full ? SIZE_MAX : 12;
  std::printf("%s  %s\n", s->id.c_str(), s->title.c_str());
  std::string line = homeRelative(s->project);
  if (!s->branch.empty())
    line += " (" + s->branch + ")";
  if (!s->model.empty())
    line += ", " + s->model;
  const std::string start = localTime(s->started), end = localTime(s->ended);
  // "2026-11-25 11:45 → 12:10" when both ends fall on the same day.
  line += ", " + start + " → " + (start.substr(0, 10) == end.substr(0, 10) ? end.substr(11) : end);
  line += ", " + std::to_string(s->events) + " steps";
  if (!s->parentId.empty())
    line += ", sub-agent of " + s->parentId;
  std::printf("%s\n\n", line.c_str());
  for (const auto &e : *events) {
    if (e.kind == EventKind::Meta && !all)
      continue;
    std::string head = "#" + std::to_string(e.seq) + "  " + localTime(e.time, true).substr(11) +
                       "  " + std::string(toString(e.kind));
    switch (e.kind) {
    case EventKind::Shell:
      head += "  $ " + e.command;
      if (e.exitCode)
        head += "  (exit " + std::to_string(*e.exitCode) + ")";
      else if (e.isError)
        head += "  (failed)";
      if (e.data.is_object()) {
        if (auto d = e.data.find("durationMs"); d != e.data.end() && d->is_number())
          head += "  " + std::to_string(d->get<int64_t>()) + " ms";
        if (auto c = e.data.find("cwd");
            c != e.data.end() && c->is_string() && c->get<std::string>() != s->project)
          head += "  in " + homeRelative(c->get<std::string>());
      }
      break;
    case EventKind::Edit:
      head +=
          "  " + e.tool + " " + relativeTo(e.path, s->project) + (e.isError ? "  (failed)" : "");
      break;
    case EventKind::ToolCall:
    case EventKind::ToolResult:
    case EventKind::Meta:
      if (!e.tool.empty())
        head += "  " + e.tool;
      if (e.isError)
        head += "  (error)";
      break;
    default:
      break;
    }
    std::printf("%s\n", head.c_str());
    const bool prose =
        e.kind == EventKind::User || e.kind == EventKind::Assistant || e.kind == EventKind::Summary;
    if (!e.text.empty())
      printIndented(e.text, prose ? SIZE_MAX : maxLines);
  }
  return 0;
}

// --- search --------------------------------------------------------------------------------

std::string renderSnippet(const SearchStep &h, bool color) {
  // Offsets are in code points; walk the UTF-8 string counting them.
  std::string out;
  const std::string open = color ? "\033[1;33m" : "[", close = color ? "\033[0m" : "]";
  int cp = 0;
  size_t hi = 0;
  for (size_t i = 0; i <= h.snippet.size(); ++i) {
    const bool boundary =
        i == h.snippet.size() || (static_cast<unsigned char>(h.snippet[i]) & 0xC0) != 0x80;
    if (boundary) {
      for (const auto &[s, e] : h.highlights) {
        if (e == cp && s != e)
          out += close;
      }
      for (; hi < h.highlights.size() && h.highlights[hi].first == cp; ++hi)
        out += open;
      if (i < h.snippet.size())
        ++cp;
    }
    if (i < h.snippet.size())
      out += h.snippet[i];
  }
  return out;
}

// One session of a grouped result: id, time, where, hit count; its title; its best steps; the
// files a file: filter matched.
void printSessionHit(const SessionHit &h, bool color) {
  const SessionRow &s = h.session;
  std::string where = homeRelative(s.project);
  if (!s.branch.empty())
    where += " (" + s.branch + ")";
  std::printf("%s  %-24s %s  %lld %s\n", localTime(s.ended ? s.ended : s.started).c_str(),
              shortId(s.id).c_str(), where.c_str(), static_cast<long long>(h.hits),
              h.hits == 1 ? "hit" : "hits");
  std::printf("    %s%s\n", s.isSubagent ? "[sub-agent] " : "",
              s.title.empty() ? "(untitled)" : s.title.c_str());
  for (const auto &step : h.steps)
    std::printf("      #%-4lld %-11s %s\n", static_cast<long long>(step.seq),
                std::string(toString(step.kind)).c_str(), renderSnippet(step, color).c_str());
  if (!h.files.empty()) {
    std::string files;
    for (const auto &f : h.files)
      files += (files.empty() ? "" : ", ") + relativeTo(f, s.project);
    std::printf("      files: %s\n", files.c_str());
  }
}

int cmdSearch(const Args &a) {
  int64_t limit = 20;
  std::string err;
  if (!intOption(a, "--limit", limit, err))
    return usage(err);
  if (limit <= 0)
    return usage("--limit: must be positive");
  std::string query;
  for (const auto &p : a.positional)
    query += (query.empty() ? "" : " ") + p;
  if (query.empty())
    return usage("search needs a QUERY");
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  SearchOptions opts;
  opts.query = query;
  opts.limit = static_cast<int>(std::min<int64_t>(limit, INT32_MAX)); // no wrap-around
  opts.byEvent = a.flags.count("--by-event") != 0;
  std::error_code ec;
  opts.cwd = std::filesystem::current_path(ec).string();
  const auto t0 = std::chrono::steady_clock::now();
  auto res = search(**store, opts);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!res)
    return res.error().code == ErrorCode::Parse ? usage(res.error().message) : fail(res.error());
  if (a.flags.count("--json")) {
    printJson(searchResultJson(*res, opts.byEvent, ms));
    return 0;
  }
  if (res->hits.empty() && res->sessions.empty()) {
    std::printf("No matches.\n"); // the query is not echoed: it may hold a secret
    return 0;
  }
  const bool color = ::isatty(STDOUT_FILENO);
  if (opts.byEvent) {
    for (const auto &h : res->hits) {
      std::printf("%s #%lld %s  %s  %s\n", shortId(h.sessionId).c_str(),
                  static_cast<long long>(h.seq), std::string(toString(h.kind)).c_str(),
                  localTime(h.time).c_str(), h.title.c_str());
      std::printf("    %s\n", renderSnippet(h, color).c_str());
    }
    return 0;
  }
  for (const auto &h : res->sessions)
    printSessionHit(h, color);
  if (const int64_t more = res->totalSessions - static_cast<int64_t>(res->sessions.size());
      more > 0)
    std::printf("… %lld more session%s (--limit N shows more)\n", static_cast<long long>(more),
                more == 1 ? "" : "s");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Args a = parse(argc, argv);
  if (!a.error.empty())
    return usage(a.error);
  if (a.command == "version" || (a.command.empty() && a.flags.count("--version"))) {
    std::printf("mantra %s\n", MANTRA_VERSION);
    return 0;
  }
  if (a.command.empty() || a.command == "help" || a.flags.count("--help") || a.flags.count("-h")) {
    std::fputs(kUsage, a.command.empty() ? stderr : stdout);
    return a.command.empty() ? 2 : 0;
  }
  if (a.command == "index")
    return cmdIndex(a);
  if (a.command == "sessions")
    return cmdSessions(a);
  if (a.command == "show")
    return cmdShow(a);
  if (a.command == "search")
    return cmdSearch(a);
  if (a.command == "scan")
    return cmdScan(a);
  if (a.command == "status")
    return cmdStatus(a);
  if (a.command == "redact")
    return cmdRedact(a);
  if (a.command == "serve")
    return cmdServe(a);
  if (a.command == "files")
    return cmdFiles(a);
  if (a.command == "file")
    return cmdFile(a);
  if (a.command == "diff")
    return cmdDiff(a);
  if (a.command == "verify")
    return cmdVerify(a);
  if (a.command == "origin")
    return cmdOrigin(a);
  return usage("unknown command '" + a.command + "'");
}

} // namespace mantra::cli
