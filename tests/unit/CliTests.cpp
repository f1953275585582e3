// cli: the real `mantra` binary, driven through runMantra() against a temporary database and the
// generated Claude Code fixture homes. Checks the JSON contract of every command, exit codes and
// error messages.
#include "TestSupport.h"
#include "model/Model.h"
#include "store/Store.h"
#include "util/Time.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <sqlite3.h>
#include <sys/stat.h>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

namespace {

const std::string kNewId = "claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b";
const std::string kLegacyId = "claude:735cf6c2-d905-41aa-aca1-69983c7c16c1";

std::string home(const std::string &dir) { return fixture("generated/" + dir + "/home").string(); }

json expected(const std::string &dir) {
  return json::parse(readFile(fixture("generated/" + dir + "/EXPECTED.json")));
}

std::string describe(const RunResult &r) {
  return "exit " + std::to_string(r.exitCode) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

json parseJson(const RunResult &r) {
  INFO(describe(r));
  REQUIRE(r.exitCode == 0);
  json j = json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

bool isIsoUtc(const json &v) {
  return v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().back() == 'Z' &&
         parseIsoTime(v.get<std::string>()).has_value();
}

unsigned modeOf(const fs::path &p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode & 07777);
}

// A temporary database; every run gets `--db` pointing at it.
struct Cli {
  TempDir tmp;
  std::string db = tmp / "db/mantra.db";

  // --db goes first so that it never lands after a "--".
  RunResult run(const std::string &args, const std::string &env = "") const {
    return runMantra("--db " + shellQuote(db) + " " + args, env);
  }
  json runJson(const std::string &args) const { return parseJson(run(args)); }
  json indexBoth() const {
    return runJson("index --json " + shellQuote(home("claude")) + " " +
                   shellQuote(home("claude-legacy")));
  }
};

// A raw SQLite connection from the test process.
class RawDb {
public:
  explicit RawDb(const std::string &path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &h_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(h_); }
  RawDb(const RawDb &) = delete;
  RawDb &operator=(const RawDb &) = delete;
  int exec(const std::string &sqlText) {
    return sqlite3_exec(h_, sqlText.c_str(), nullptr, nullptr, nullptr);
  }

private:
  sqlite3 *h_ = nullptr;
};

void checkIndexReport(const json &j) {
  INFO(j.dump(2));
  REQUIRE(j.is_object());
  for (const char *key : {"sessions", "events", "sources", "skipped"}) {
    INFO(key);
    REQUIRE(j.contains(key));
    CHECK(j[key].is_number_integer());
  }
  REQUIRE(j.contains("seconds"));
  CHECK(j["seconds"].is_number());
  CHECK(j["seconds"].get<double>() >= 0);
  REQUIRE(j.contains("errors"));
  REQUIRE(j["errors"].is_array());
  for (const auto &e : j["errors"]) {
    CHECK(e["file"].is_string());
    CHECK(e["line"].is_number_integer());
    CHECK(e["message"].is_string());
  }
}

void checkSessionShape(const json &s) {
  INFO(s.dump(2));
  REQUIRE(s.is_object());
  for (const char *key : {"id", "agent", "project", "title", "branch"}) {
    INFO(key);
    REQUIRE(s.contains(key));
    CHECK(s[key].is_string());
  }
  REQUIRE(s.contains("events"));
  CHECK(s["events"].is_number_integer());
  CHECK(s["events"].get<int64_t>() > 0);
  for (const char *key : {"started", "ended"}) {
    INFO(key);
    REQUIRE(s.contains(key));
    CHECK(isIsoUtc(s[key]));
  }
}

std::vector<std::string> ids(const json &sessions) {
  std::vector<std::string> out;
  for (const auto &s : sessions["sessions"])
    out.push_back(s["id"].get<std::string>());
  return out;
}

} // namespace

// --- index ---------------------------------------------------------------------------------

TEST_CASE("cli: index --json reports counts for the generated fixtures", "[cli]") {
  Cli cli;
  const json j = cli.indexBoth();
  checkIndexReport(j);
  CHECK(j["sessions"] == 2);
  CHECK(j["sources"] == 3); // two session files plus the legacy summary-only file
  CHECK(j["events"].get<int64_t>() > 0);
  CHECK(j["errors"].empty());
  CHECK(j["skipped"] == 0);
  // The database was created where --db said, private to the user.
  REQUIRE(fs::exists(cli.db));
  CHECK(modeOf(cli.db) == 0600);
  CHECK(modeOf(fs::path(cli.db).parent_path()) == 0700);
}

TEST_CASE("cli: indexing twice gives the same counts", "[cli]") {
  Cli cli;
  const json first = cli.indexBoth();
  const json second = cli.indexBoth();
  checkIndexReport(second);
  CHECK(second["sessions"] == first["sessions"]);
  CHECK(second["events"] == first["events"]);
  CHECK(second["sources"] == first["sources"]);
  if (second.contains("added")) {
    CHECK(first["added"] == first["events"]);
    CHECK(second["added"] == 0);
  }
  // Indexing one home again on its own changes nothing either.
  const json third = cli.runJson("index --json " + shellQuote(home("claude")));
  CHECK(third["sessions"] == first["sessions"]);
  CHECK(third["events"] == first["events"]);
  // The sessions' event counts did not double.
  const json s = cli.runJson("sessions --json");
  int64_t total = 0;
  for (const auto &row : s["sessions"])
    total += row["events"].get<int64_t>();
  CHECK(total == first["events"].get<int64_t>());
}

TEST_CASE("cli: index without --json prints a summary", "[cli]") {
  Cli cli;
  auto r = cli.run("index " + shellQuote(home("claude")));
  INFO(describe(r));
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.out, Catch::Contains("1 sessions"));
  CHECK_THAT(r.out, Catch::Contains(cli.db));
}

// --- sessions ------------------------------------------------------------------------------

TEST_CASE("cli: sessions --json lists sessions newest first with ISO UTC times", "[cli]") {
  Cli cli;
  cli.indexBoth();
  const json j = cli.runJson("sessions --json");
  REQUIRE(j.contains("sessions"));
  REQUIRE(j["sessions"].is_array());
  REQUIRE(j["sessions"].size() == 2);
  for (const auto &s : j["sessions"])
    checkSessionShape(s);
  // Newest first: the legacy session was recorded a minute after the new one.
  CHECK(ids(j) == std::vector<std::string>{kLegacyId, kNewId});
  const auto latest = [](const json &s) { return *parseIsoTime(s["ended"].get<std::string>()); };
  CHECK(latest(j["sessions"][0]) >= latest(j["sessions"][1]));
  for (const auto &s : j["sessions"])
    CHECK(*parseIsoTime(s["started"].get<std::string>()) <= latest(s));

  const json &legacy = j["sessions"][0];
  const json &current = j["sessions"][1];
  CHECK(current["agent"] == "claude");
  CHECK(current["project"] == expected("claude")["cwd"]);
  CHECK(legacy["project"] == expected("claude-legacy")["cwd"]);
  CHECK(current["branch"] == "main");
  CHECK(current["title"] == expected("claude")["prompts"][0]);
  // The legacy session is titled by the summary line in the other file.
  CHECK(legacy["title"] == "Add --verbose flag to calc CLI");
}

TEST_CASE("cli: sessions filters by --agent and --project and honours --limit", "[cli]") {
  Cli cli;
  cli.indexBoth();
  CHECK(ids(cli.runJson("sessions --json --agent claude")) ==
        std::vector<std::string>{kLegacyId, kNewId});
  const json none = cli.runJson("sessions --json --agent codex");
  REQUIRE(none["sessions"].is_array());
  CHECK(none["sessions"].empty());

  // A project folder matches itself and what is inside it, not a sibling sharing a prefix.
  CHECK(ids(cli.runJson("sessions --json --project /tmp/realgen")) ==
        std::vector<std::string>{kNewId});
  CHECK(ids(cli.runJson("sessions --json --project /tmp/realgen-legacy/work-rich-claude/")) ==
        std::vector<std::string>{kLegacyId});
  CHECK(ids(cli.runJson("sessions --json --project /tmp")) ==
        std::vector<std::string>{kLegacyId, kNewId});
  CHECK(cli.runJson("sessions --json --project /tmp/realgen/work")["sessions"].empty());
  CHECK(cli.runJson("sessions --json --agent codex --project /tmp")["sessions"].empty());

  CHECK(ids(cli.runJson("sessions --json --project /")) ==
        std::vector<std::string>{kLegacyId, kNewId});

  CHECK(ids(cli.runJson("sessions --json --limit 1")) == std::vector<std::string>{kLegacyId});
  // A huge limit does not wrap around to a small one.
  CHECK(cli.runJson("sessions --json --limit 4294967297")["sessions"].size() == 2);
  CHECK(cli.runJson("search --json --limit 4294967297 unittest")["sessions"].size() == 2);
  CHECK(cli.runJson("search --json --by-event --limit 4294967297 unittest")["hits"].size() > 2);
  CHECK(ids(cli.runJson("sessions --json --limit=2")) ==
        std::vector<std::string>{kLegacyId, kNewId});

  for (const char *bad : {"--limit 0", "--limit -3", "--limit abc", "--limit 5x", "--limit"}) {
    INFO(bad);
    auto r = cli.run(std::string("sessions --json ") + bad);
    CHECK(r.exitCode == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains("--limit"));
  }
}

TEST_CASE("cli: sessions without --json prints a table", "[cli]") {
  Cli cli;
  auto empty = cli.run("sessions");
  REQUIRE(empty.exitCode == 0);
  CHECK_THAT(empty.out, Catch::Contains("No sessions"));
  cli.indexBoth();
  auto r = cli.run("sessions");
  INFO(describe(r));
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.out, Catch::Contains("claude:f2d6f4b6"));
  CHECK_THAT(r.out, Catch::Contains("claude:735cf6c2"));
  CHECK_THAT(r.out, Catch::Contains("Add --verbose flag to calc CLI"));
}

// --- show ----------------------------------------------------------------------------------

TEST_CASE("cli: show --json by unique prefix returns the session's events", "[cli]") {
  Cli cli;
  cli.indexBoth();
  const json exp = expected("claude");
  const json j = cli.runJson("show --json f2d6");
  REQUIRE(j.contains("session"));
  checkSessionShape(j["session"]);
  CHECK(j["session"]["id"] == kNewId);
  REQUIRE(j.contains("events"));
  const json &events = j["events"];
  REQUIRE(events.is_array());
  REQUIRE(events.size() == static_cast<size_t>(j["session"]["events"].get<int64_t>()));

  // seq starts at 1 and increases by one; kinds are the nine names; times are ISO UTC.
  int64_t seq = 0;
  for (const auto &e : events) {
    INFO(e.dump());
    CHECK(e["seq"] == ++seq);
    REQUIRE(e["kind"].is_string());
    CHECK(eventKindFromString(e["kind"].get<std::string>()).has_value());
    if (e.contains("time"))
      CHECK(isIsoUtc(e["time"]));
    // Fields that do not apply are absent, not empty or null.
    for (const auto &[key, value] : e.items()) {
      INFO(key);
      CHECK_FALSE(value.is_null());
      if (value.is_string())
        CHECK_FALSE(value.get<std::string>().empty());
    }
    const std::string kind = e["kind"];
    if (kind != "shell") {
      CHECK_FALSE(e.contains("command"));
      CHECK_FALSE(e.contains("exitCode"));
    }
    if (kind == "user" || kind == "assistant" || kind == "reasoning") {
      CHECK_FALSE(e.contains("tool"));
      CHECK_FALSE(e.contains("path"));
    }
  }

  // The first event is the first prompt, and the user events are the prompts in order.
  CHECK(events[0]["kind"] == "user");
  CHECK(events[0]["text"] == exp["prompts"][0]);
  std::vector<std::string> prompts;
  for (const auto &e : events)
    if (e["kind"] == "user")
      prompts.push_back(e["text"]);
  CHECK(prompts == exp["prompts"].get<std::vector<std::string>>());

  // Shell events carry the commands, exit codes and output, in the order they ran.
  std::vector<const json *> shells;
  for (const auto &e : events)
    if (e["kind"] == "shell")
      shells.push_back(&e);
  REQUIRE(shells.size() == exp["commands"].size());
  for (size_t i = 0; i < shells.size(); ++i) {
    const json &e = *shells[i];
    const json &c = exp["commands"][i];
    INFO(e.dump());
    CHECK(e["command"] == c["cmd"]);
    REQUIRE(e.contains("exitCode"));
    CHECK(e["exitCode"] == c["exit_code"]);
    if (!c["output_contains"].get<std::string>().empty()) {
      REQUIRE(e.contains("text"));
      CHECK_THAT(e["text"].get<std::string>(),
                 Catch::Contains(c["output_contains"].get<std::string>()));
    }
  }
  REQUIRE(shells.size() >= 2);
  CHECK((*shells[0])["command"] == "python3 -m unittest");
  CHECK((*shells[0])["exitCode"] == 1);
  CHECK((*shells[1])["command"] == "python3 -m unittest");
  CHECK((*shells[1])["exitCode"] == 0);
  CHECK_THAT((*shells[0])["text"].get<std::string>(),
             Catch::Contains(exp["failed_command_output_contains"].get<std::string>()));
}

TEST_CASE("cli: show --json of the legacy session", "[cli]") {
  Cli cli;
  cli.indexBoth();
  const json exp = expected("claude-legacy");
  const json j = cli.runJson("show --json 735cf6c2-d905-41aa-aca1-69983c7c16c1");
  CHECK(j["session"]["id"] == kLegacyId);
  CHECK(j["session"]["title"] == "Add --verbose flag to calc CLI");
  std::vector<std::string> prompts, commands;
  const json *firstShell = nullptr;
  for (const auto &e : j["events"]) {
    if (e["kind"] == "user")
      prompts.push_back(e["text"]);
    if (e["kind"] == "shell") {
      commands.push_back(e["command"]);
      if (!firstShell)
        firstShell = &e;
    }
  }
  CHECK(prompts == exp["prompts"].get<std::vector<std::string>>());
  std::vector<std::string> expCommands;
  for (const auto &c : exp["commands"])
    expCommands.push_back(c["cmd"]);
  CHECK(commands == expCommands);
  REQUIRE(firstShell);
  // 1.0.128 does not record exit codes; the failure shows as an error.
  CHECK((firstShell->value("exitCode", 0) == 1 || firstShell->value("isError", false)));
}

TEST_CASE("cli: show --from/--to selects a range of events", "[cli]") {
  Cli cli;
  cli.indexBoth();
  auto seqs = [&](const std::string &args) {
    const json j = cli.runJson("show --json " + args);
    std::vector<int64_t> out;
    for (const auto &e : j["events"])
      out.push_back(e["seq"]);
    return out;
  };
  CHECK(seqs("f2d6 --from 3 --to 5") == std::vector<int64_t>{3, 4, 5});
  CHECK(seqs("--from 2 --to 2 f2d6") == std::vector<int64_t>{2});
  const auto tail = seqs("f2d6 --from 45");
  REQUIRE_FALSE(tail.empty());
  CHECK(tail.front() == 45);
  const auto head = seqs("f2d6 --to 3");
  CHECK(head == std::vector<int64_t>{1, 2, 3});
  CHECK(seqs("f2d6 --from 1000").empty());
  // The range bounds the events, not the session header.
  const json j = cli.runJson("show --json f2d6 --from 3 --to 5");
  CHECK(j["session"]["events"].get<int64_t>() > 5);

  auto bad = cli.run("show --json f2d6 --from x");
  CHECK(bad.exitCode == 2);
  CHECK_THAT(bad.err, Catch::Contains("--from"));
}

TEST_CASE("cli: show without --json prints the transcript", "[cli]") {
  Cli cli;
  cli.indexBoth();
  auto r = cli.run("show f2d6");
  INFO(describe(r));
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.out, Catch::Contains(kNewId));
  CHECK_THAT(r.out, Catch::Contains("add a --verbose flag to the calc CLI and a test for it"));
  CHECK_THAT(r.out, Catch::Contains("$ python3 -m unittest  (exit 1)"));
}

TEST_CASE("cli: show fails clearly for an unknown or ambiguous session", "[cli]") {
  Cli cli;
  cli.indexBoth();
  auto unknown = cli.run("show --json deadbeef");
  CHECK(unknown.exitCode == 1);
  CHECK(unknown.out.empty());
  CHECK_THAT(unknown.err, Catch::Contains("deadbeef"));
  CHECK_THAT(unknown.err, Catch::Contains("no session"));

  auto ambiguous = cli.run("show --json claude:");
  CHECK(ambiguous.exitCode == 1);
  CHECK(ambiguous.out.empty());
  CHECK_THAT(ambiguous.err, Catch::Contains("several sessions"));
  CHECK_THAT(ambiguous.err, Catch::Contains(kNewId));
  CHECK_THAT(ambiguous.err, Catch::Contains(kLegacyId));

  auto missing = cli.run("show --json");
  CHECK(missing.exitCode == 2);
  CHECK_THAT(missing.err, Catch::Contains("SESSION"));
}

// --- search --------------------------------------------------------------------------------

TEST_CASE("cli: search --json groups the hits by session", "[cli]") {
  Cli cli;
  cli.indexBoth();
  const json j = cli.runJson("search --json Tuples");
  REQUIRE(j["sessions"].is_array());
  REQUIRE(j["sessions"].size() == 2);
  CHECK(j["total"]["sessions"] == 2);
  CHECK(j["total"]["hits"].get<int64_t>() >= 2);
  REQUIRE(j["ms"].is_number());
  std::set<std::string> sessions;
  double previous = 1e300;
  for (const auto &s : j["sessions"]) {
    INFO(s.dump(2));
    // The session as `mantra sessions --json` shows it.
    for (const char *key : {"id", "agent", "project", "title", "branch"})
      CHECK(s["session"][key].is_string());
    CHECK(isIsoUtc(s["session"]["started"]));
    CHECK(s["hits"].get<int64_t>() >= 1);
    CHECK(s["score"].get<double>() <= previous); // best first
    previous = s["score"].get<double>();
    CHECK(s["files"] == json::array());
    REQUIRE_FALSE(s["steps"].empty());
    CHECK(s["steps"].size() <= 3);
    for (const auto &step : s["steps"]) {
      CHECK(step["seq"].get<int64_t>() >= 1);
      CHECK(eventKindFromString(step["kind"].get<std::string>()).has_value());
      CHECK(isIsoUtc(step["time"]));
      CHECK_THAT(step["snippet"].get<std::string>(),
                 Catch::Contains("Tuples", Catch::CaseSensitive::No));
      CHECK(step["highlights"].is_array());
    }
    sessions.insert(s["session"]["id"].get<std::string>());
  }
  // Both sessions ran the failing test; its output is in each.
  CHECK(sessions == std::set<std::string>{kNewId, kLegacyId});
  CHECK(cli.runJson("search --json --limit 1 unittest")["sessions"].size() == 1);
  CHECK(cli.runJson("search --json zzznotthereatall")["sessions"].empty());
  // Filters: a file a session touched and a failure; a model.
  const json failed = cli.runJson("search --json file:calc/cli.py failed model:opus");
  REQUIRE(failed["sessions"].size() == 1);
  CHECK(failed["sessions"][0]["session"]["id"] == kNewId);
  CHECK(failed["sessions"][0]["files"] ==
        json::array({"/tmp/realgen/work-rich-claude/calc/cli.py"}));
  CHECK(failed["sessions"][0]["steps"][0]["kind"] == "shell");
}

TEST_CASE("cli: search --json --by-event returns one hit per step", "[cli]") {
  Cli cli;
  cli.indexBoth();
  const json j = cli.runJson("search --json --by-event Tuples");
  REQUIRE(j.contains("hits"));
  REQUIRE_FALSE(j["hits"].empty());
  CHECK_FALSE(j.contains("sessions"));
  std::set<std::string> sessions;
  double previous = 1e300;
  for (const auto &h : j["hits"]) {
    INFO(h.dump(2));
    for (const char *key : {"session", "kind", "agent", "title", "project", "snippet"}) {
      INFO(key);
      REQUIRE(h.contains(key));
      CHECK(h[key].is_string());
    }
    REQUIRE(h["seq"].is_number_integer());
    CHECK(h["seq"].get<int64_t>() >= 1);
    REQUIRE(h["score"].is_number());
    CHECK(h["score"].get<double>() <= previous); // best first
    previous = h["score"].get<double>();
    CHECK(isIsoUtc(h["time"]));
    CHECK(eventKindFromString(h["kind"].get<std::string>()).has_value());
    CHECK_THAT(h["snippet"].get<std::string>(),
               Catch::Contains("Tuples", Catch::CaseSensitive::No));
    sessions.insert(h["session"].get<std::string>());
  }
  CHECK(sessions == std::set<std::string>{kNewId, kLegacyId});

  // A hit points at a real event: show it and find the word there.
  const json &hit = j["hits"][0];
  const json ev = cli.runJson("show --json " + shellQuote(hit["session"].get<std::string>()) +
                              " --from " + std::to_string(hit["seq"].get<int64_t>()) + " --to " +
                              std::to_string(hit["seq"].get<int64_t>()));
  REQUIRE(ev["events"].size() == 1);
  CHECK_THAT(ev["events"][0].dump(), Catch::Contains("Tuples"));

  CHECK(cli.runJson("search --json --by-event --limit 1 unittest")["hits"].size() == 1);
  CHECK(cli.runJson("search --json --by-event zzznotthereatall")["hits"].empty());
  // Several words must all match; a phrase keeps them together.
  const json phrase = cli.runJson("search --json --by-event '\"Tuples differ\"'");
  REQUIRE_FALSE(phrase["hits"].empty());
  CHECK_THAT(phrase["hits"][0]["snippet"].get<std::string>(), Catch::Contains("Tuples differ"));
  // After "--" a word starting with dashes belongs to the query.
  const json dashed = cli.runJson("search --json --by-event --limit 3 -- --verbose");
  CHECK_FALSE(dashed["hits"].empty());
  CHECK(dashed["hits"].size() <= 3);
}

TEST_CASE("cli: search without --json marks the match", "[cli]") {
  Cli cli;
  cli.indexBoth();
  auto r = cli.run("search Tuples --limit 1");
  INFO(describe(r));
  REQUIRE(r.exitCode == 0);
  CHECK_THAT(r.out, Catch::Contains("[Tuples]"));
  CHECK_THAT(r.out, Catch::Contains("1 more session (--limit N shows more)"));
  auto flat = cli.run("search --by-event Tuples --limit 1");
  INFO(describe(flat));
  REQUIRE(flat.exitCode == 0);
  CHECK_THAT(flat.out, Catch::Contains("[Tuples]"));
}

TEST_CASE("cli: a malformed search query is a usage error naming the column", "[cli]") {
  Cli cli;
  cli.indexBoth();
  auto r = cli.run("search --json 'calc \"tuples differ'");
  CHECK(r.exitCode == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains("unclosed quote"));
  CHECK_THAT(r.err, Catch::Contains("column 6"));
  auto kind = cli.run("search --json 'x kind:nope'");
  CHECK(kind.exitCode == 2);
  CHECK_THAT(kind.err,
             Catch::Contains("query: kind: unknown kind 'nope'") && Catch::Contains("at column 8"));

  auto empty = cli.run("search --json");
  CHECK(empty.exitCode == 2);
  CHECK_THAT(empty.err, Catch::Contains("QUERY"));
}

TEST_CASE("cli: queries with FTS5 syntax characters do not fail", "[cli]") {
  Cli cli;
  cli.indexBoth();
  for (const char *q : {"calc.ops", "NEAR(", "OR", "*", "a:b", "(x", "--verbose", "-", "^x"}) {
    INFO(q);
    auto r = cli.run(std::string("search --json -- ") + shellQuote(q));
    INFO(describe(r));
    CHECK(r.exitCode == 0);
    CHECK(r.err.empty());
  }
  const json ops = cli.runJson("search --json calc.ops");
  REQUIRE_FALSE(ops["sessions"].empty());
}

// --- usage and errors ----------------------------------------------------------------------

TEST_CASE("cli: unknown commands and options are usage errors", "[cli]") {
  Cli cli;
  auto cmd = cli.run("frobnicate");
  CHECK(cmd.exitCode == 2);
  CHECK_THAT(cmd.err, Catch::Contains("unknown command 'frobnicate'"));
  CHECK(cmd.out.empty());

  auto opt = cli.run("sessions --bogus");
  CHECK(opt.exitCode == 2);
  CHECK_THAT(opt.err, Catch::Contains("unknown option --bogus"));

  auto value = cli.run("sessions --agent");
  CHECK(value.exitCode == 2);

  auto stray = cli.run("sessions f2d6");
  CHECK(stray.exitCode == 2);
  CHECK_THAT(stray.err, Catch::Contains("mantra show f2d6"));

  auto none = runMantra("");
  CHECK(none.exitCode == 2);
  CHECK_THAT(none.err, Catch::Contains("Usage"));

  auto help = runMantra("help");
  CHECK(help.exitCode == 0);
  CHECK_THAT(help.out, Catch::Contains("mantra search"));

  auto version = runMantra("--version");
  CHECK(version.exitCode == 0);
  CHECK_THAT(version.out, Catch::Contains("mantra "));
}

TEST_CASE("cli: a database from a newer schema is refused clearly", "[cli]") {
  Cli cli;
  cli.indexBoth();
  {
    RawDb raw(cli.db);
    REQUIRE(raw.exec("PRAGMA user_version = " + std::to_string(Store::kSchemaVersion + 1)) ==
            SQLITE_OK);
  }
  for (const char *cmd : {"sessions --json", "show --json f2d6", "search --json calc",
                          "index --json /nonexistent-folder"}) {
    INFO(cmd);
    auto r = cli.run(cmd);
    CHECK(r.exitCode == 1);
    CHECK(r.out.empty());
    CHECK_THAT(r.err,
               Catch::Contains("schema version " + std::to_string(Store::kSchemaVersion + 1)));
    CHECK_THAT(r.err, Catch::Contains("newer"));
    CHECK_THAT(r.err, Catch::Contains("upgrade mantra"));
  }
}

TEST_CASE("cli: a file that is not a database is refused clearly", "[cli]") {
  Cli cli;
  writeFile(cli.db, std::string(2048, 'n'));
  auto r = cli.run("sessions --json");
  CHECK(r.exitCode == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains("not a Mantra database"));
  CHECK(readFile(cli.db) == std::string(2048, 'n'));
}

TEST_CASE("cli: index fails with a 'locked' message while another process writes", "[cli][lock]") {
  Cli cli;
  // Create and migrate the database, then hold the write lock from this process.
  REQUIRE(cli.run("sessions --json").exitCode == 0);
  RawDb raw(cli.db);
  REQUIRE(raw.exec("BEGIN IMMEDIATE") == SQLITE_OK);
  // Reading is not blocked by a writer (WAL).
  auto read = cli.run("sessions --json");
  CHECK(read.exitCode == 0);
  // Writing waits for the busy timeout, then gives up with a clear message.
  const auto t0 = std::chrono::steady_clock::now();
  auto r = cli.run("index --json " + shellQuote(home("claude")));
  const auto waited = std::chrono::steady_clock::now() - t0;
  INFO(describe(r));
  CHECK(r.exitCode == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains("locked"));
  CHECK(waited >= std::chrono::seconds(4));
  REQUIRE(raw.exec("ROLLBACK") == SQLITE_OK);
  // Nothing was half-written; once the lock is gone indexing works.
  const json ok = cli.indexBoth();
  CHECK(ok["sessions"] == 2);
}

TEST_CASE("cli: MANTRA_DB is used when --db is absent, and --db wins over it", "[cli]") {
  TempDir tmp;
  const std::string envDb = tmp / "env/mantra.db";
  const std::string flagDb = tmp / "flag/mantra.db";
  const std::string env = "MANTRA_DB=" + shellQuote(envDb) +
                          " XDG_DATA_HOME=" + shellQuote(tmp / "xdg") +
                          " HOME=" + shellQuote(tmp / "home");
  auto r = runMantra("index --json " + shellQuote(home("claude")), env);
  const json j = parseJson(r);
  CHECK(j["sessions"] == 1);
  CHECK(fs::exists(envDb));
  CHECK_FALSE(fs::exists(tmp / "xdg"));
  CHECK(ids(parseJson(runMantra("sessions --json", env))) == std::vector<std::string>{kNewId});

  // --db overrides the environment: that database is new and empty.
  auto flagged = runMantra("sessions --json --db " + shellQuote(flagDb), env);
  CHECK(parseJson(flagged)["sessions"].empty());
  CHECK(fs::exists(flagDb));
}

TEST_CASE("cli: the default database lives under $XDG_DATA_HOME/mantra", "[cli]") {
  TempDir tmp;
  const fs::path xdg = tmp.path() / "xdg-data";
  const std::string env =
      "MANTRA_DB= XDG_DATA_HOME=" + shellQuote(xdg.string()) + " HOME=" + shellQuote(tmp / "home");
  const json j = parseJson(runMantra("index --json " + shellQuote(home("claude-legacy")), env));
  CHECK(j["sessions"] == 1);
  const fs::path db = xdg / "mantra" / "mantra.db";
  REQUIRE(fs::exists(db));
  CHECK(modeOf(db) == 0600);
  CHECK(modeOf(db.parent_path()) == 0700);
  if (j.contains("database"))
    CHECK(j["database"] == db.string());
  CHECK(ids(parseJson(runMantra("sessions --json", env))) == std::vector<std::string>{kLegacyId});
  // Without XDG_DATA_HOME the default is ~/.local/share/mantra.
  const std::string homeEnv = "MANTRA_DB= XDG_DATA_HOME= HOME=" + shellQuote(tmp / "home");
  CHECK(parseJson(runMantra("sessions --json", homeEnv))["sessions"].empty());
  CHECK(fs::exists(tmp.path() / "home" / ".local" / "share" / "mantra" / "mantra.db"));
}

TEST_CASE("cli: status per agent, and a session whose file the agent deleted stays whole",
          "[cli]") {
  TempDir tmp;
  const auto home = copyTree(fixture("generated/claude/home"), tmp.path() / "home");
  copyTree(fixture("generated/gemini/home"), tmp.path() / "home");
  const std::string db = (tmp.path() / "m.db").string();
  const std::string q = "--db " + shellQuote(db);
  REQUIRE(runMantra(q + " index " + shellQuote(home.string())).exitCode == 0);
  auto before = runMantra(q + " status --json");
  REQUIRE(before.exitCode == 0);
  const auto j = before.json();
  REQUIRE(j["agents"].size() == 2);
  CHECK(j["agents"][0]["agent"] == "claude");
  CHECK(j["agents"][0]["sessions"] == 1);
  CHECK(j["agents"][1]["agent"] == "gemini");
  CHECK(j["agents"][1]["sources"] == 2); // the resumed second file
  CHECK(j["archived"]["sessions"] == 0);
  CHECK(j["bytes"].get<int64_t>() > 0);
  const auto shown = runMantra(q + " show --json f2d6").json()["events"].size();

  // Claude Code deletes transcripts after 30 days: Mantra keeps the session.
  for (const auto &e : fs::recursive_directory_iterator(home / ".claude"))
    if (e.path().extension() == ".jsonl")
      fs::remove(e.path());
  REQUIRE(runMantra(q + " index " + shellQuote(home.string())).exitCode == 0);
  auto after = runMantra(q + " status --json").json();
  CHECK(after["archived"]["sessions"] == 1);
  CHECK(after["archived"]["missingFiles"] == 1);
  CHECK(runMantra(q + " show --json f2d6").json()["events"].size() == shown);
  auto human = runMantra(q + " status");
  CHECK(human.exitCode == 0);
  CHECK(human.out.find("1 sessions kept only here") != std::string::npos);
}
