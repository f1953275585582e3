// store/Store: file creation and permissions, schema migration and refusal, seq assignment,
// session merging and lookup, tool-result merging, title hints, FTS sync, locking.
#include "TestSupport.h"
#include "store/Store.h"

#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include <chrono>
#include <cstdlib>
#include <sqlite3.h>
#include <sys/stat.h>

using namespace mantra;
using namespace mantra::test;

namespace {

std::unique_ptr<Store> openOk(const std::string &path) {
  auto r = Store::open(path);
  if (!r)
    FAIL("Store::open(" << path << "): " << r.error().message);
  return std::move(*r);
}

unsigned modeOf(const fs::path &p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode & 07777);
}

// A raw SQLite connection, independent of the Store under test.
class RawDb {
public:
  explicit RawDb(const std::string &path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &h_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(h_, 2000);
  }
  ~RawDb() { sqlite3_close(h_); }
  RawDb(const RawDb &) = delete;
  RawDb &operator=(const RawDb &) = delete;
  int exec(const std::string &sqlText) {
    return sqlite3_exec(h_, sqlText.c_str(), nullptr, nullptr, nullptr);
  }
  int64_t scalar(const std::string &sqlText) {
    sqlite3_stmt *st = nullptr;
    REQUIRE(sqlite3_prepare_v2(h_, sqlText.c_str(), -1, &st, nullptr) == SQLITE_OK);
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  }
  std::string text(const std::string &sqlText) {
    sqlite3_stmt *st = nullptr;
    REQUIRE(sqlite3_prepare_v2(h_, sqlText.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::string v;
    if (sqlite3_step(st) == SQLITE_ROW)
      v = reinterpret_cast<const char *>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
  }

private:
  sqlite3 *h_ = nullptr;
};

// Runs a query on the store's own connection and returns the first column of every row.
std::vector<std::string> column(Store &s, const std::string &sqlText, const std::string &arg = "") {
  auto st = s.db().prepare(sqlText);
  REQUIRE(st);
  if (!arg.empty())
    st->bind(1, arg);
  std::vector<std::string> out;
  while (st->step())
    out.push_back(st->text(0));
  REQUIRE_FALSE(st->failed());
  return out;
}

// Row ids of events whose FTS entry matches `match`.
std::vector<std::string> ftsRows(Store &s, const std::string &match) {
  return column(s, "SELECT rowid FROM events_fts WHERE events_fts MATCH ?1 ORDER BY rowid", match);
}

Event makeEvent(const std::string &session, EventKind kind, const std::string &text = "") {
  Event e;
  e.sessionId = session;
  e.kind = kind;
  e.text = text;
  return e;
}

SessionInfo makeSession(const std::string &id) {
  SessionInfo s;
  s.id = id;
  s.agent = id.substr(0, id.find(':'));
  s.nativeId = id.substr(id.find(':') + 1);
  return s;
}

// A store in a temp folder with one source row, ready for events.
struct Fixture {
  TempDir tmp;
  std::string path = tmp / "data/mantra.db";
  std::unique_ptr<Store> store = openOk(path);
  int64_t source = 0;

  Fixture() {
    Source src;
    src.path = "/sessions/a.jsonl";
    src.agent = "claude";
    auto id = store->saveSource(src);
    REQUIRE(id);
    source = *id;
  }

  int64_t append(Event e) {
    auto id = store->appendEvent(e, source);
    if (!id)
      FAIL("appendEvent: " << id.error().message);
    return *id;
  }
  int64_t appendSeq(Event e) {
    auto id = store->appendEvent(e, source);
    if (!id)
      FAIL("appendEvent: " << id.error().message);
    return e.seq;
  }
  void upsert(const SessionInfo &s) {
    auto st = store->upsertSession(s);
    if (!st)
      FAIL("upsertSession: " << st.error().message);
  }
  void begin() {
    auto st = store->begin();
    if (!st)
      FAIL("begin: " << st.error().message);
  }
  void commit() {
    auto st = store->commit();
    if (!st)
      FAIL("commit: " << st.error().message);
  }
  // A session with `n` user events, committed, counts refreshed.
  void addSession(SessionInfo s, int n = 1) {
    begin();
    upsert(s);
    for (int i = 0; i < n; ++i)
      append(makeEvent(s.id, EventKind::User, "prompt " + std::to_string(i)));
    REQUIRE(store->refreshCounts());
    commit();
  }
  SessionRow row(const std::string &id) {
    auto r = store->session(id);
    if (!r)
      FAIL("session(" << id << "): " << r.error().message);
    return *r;
  }
};

class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = std::getenv(name)) {
      had_ = true;
      old_ = old;
    }
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_.c_str(), old_.c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
  std::string name_, old_;
  bool had_ = false;
};

} // namespace

// --- opening -------------------------------------------------------------------------------

TEST_CASE("Store::open creates a 0600 database in a 0700 folder", "[store]") {
  TempDir tmp;
  const fs::path folder = tmp.path() / "xdg" / "mantra";
  const fs::path db = folder / "mantra.db";
  REQUIRE_FALSE(fs::exists(folder));
  auto store = openOk(db.string());
  CHECK(store->path() == db.string());
  REQUIRE(fs::is_regular_file(db));
  CHECK(modeOf(db) == 0600);
  CHECK(modeOf(folder) == 0700);
  // SQLite gives the WAL and shared-memory files the database file's mode.
  for (const char *suffix : {"-wal", "-shm"}) {
    const fs::path side = db.string() + suffix;
    INFO(side);
    REQUIRE(fs::exists(side));
    CHECK(modeOf(side) == 0600);
  }
  // It really is an SQLite database in WAL mode.
  RawDb raw(db.string());
  CHECK(raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'events_fts'") == 1);
}

TEST_CASE("Store::open migrates the schema and sets user_version", "[store]") {
  TempDir tmp;
  const std::string path = tmp / "mantra.db";
  {
    auto store = openOk(path);
    auto v = column(*store, "PRAGMA user_version");
    REQUIRE(v.size() == 1);
    CHECK(v[0] == std::to_string(Store::kSchemaVersion));
    auto tables = column(*store, "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
                                 "('sources', 'sessions', 'events', 'title_hints', 'events_fts') "
                                 "ORDER BY name");
    CHECK(tables ==
          std::vector<std::string>{"events", "events_fts", "sessions", "sources", "title_hints"});
    CHECK(column(*store, "PRAGMA journal_mode") == std::vector<std::string>{"wal"});
  }
  // Opening again is a no-op that keeps the data and the version.
  {
    RawDb raw(path);
    REQUIRE(raw.exec("INSERT INTO sources(path, agent) VALUES('/x', 'claude')") == SQLITE_OK);
  }
  auto again = openOk(path);
  CHECK(column(*again, "PRAGMA user_version") ==
        std::vector<std::string>{std::to_string(Store::kSchemaVersion)});
  CHECK(column(*again, "SELECT path FROM sources") == std::vector<std::string>{"/x"});
}

TEST_CASE("Store::open refuses a database from a newer schema", "[store]") {
  TempDir tmp;
  const std::string path = tmp / "mantra.db";
  { auto store = openOk(path); }
  const int newer = Store::kSchemaVersion + 41;
  {
    RawDb raw(path);
    REQUIRE(raw.exec("PRAGMA user_version = " + std::to_string(newer)) == SQLITE_OK);
  }
  auto r = Store::open(path);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Schema);
  const std::string &msg = r.error().message;
  CHECK_THAT(msg, Catch::Contains(std::to_string(newer)));
  CHECK_THAT(msg, Catch::Contains("(" + std::to_string(Store::kSchemaVersion) + ")"));
  CHECK_THAT(msg, Catch::Contains("newer"));
  CHECK_THAT(msg, Catch::Contains(path));
  // Nothing was downgraded.
  RawDb raw(path);
  CHECK(raw.scalar("PRAGMA user_version") == newer);
}

TEST_CASE("Store::open refuses a file that is not SQLite without touching it", "[store]") {
  TempDir tmp;
  const std::string path = tmp / "notes.db";
  const std::string content =
      std::string("this is a plain text file, not a database\n") + std::string(4096, 'x');
  writeFile(path, content);
  auto r = Store::open(path);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Schema);
  CHECK_THAT(r.error().message, Catch::Contains("not a Mantra database"));
  CHECK_THAT(r.error().message, Catch::Contains(path));
  CHECK(readFile(path) == content);
}

TEST_CASE("Store::open leaves another program's SQLite database alone", "[store]") {
  TempDir tmp;
  const std::string path = tmp / "other.db";
  {
    RawDb raw(path);
    REQUIRE(raw.exec("CREATE TABLE sessions(x); INSERT INTO sessions VALUES(1)") == SQLITE_OK);
  }
  auto r = Store::open(path);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Schema);
  CHECK_THAT(r.error().message, Catch::Contains("not a Mantra database"));
  RawDb raw(path);
  CHECK(raw.scalar("SELECT count(*) FROM sqlite_master") == 1);
  CHECK(raw.scalar("PRAGMA user_version") == 0);
  CHECK(raw.text("PRAGMA journal_mode") == "delete"); // not switched to WAL either
  CHECK(raw.scalar("SELECT x FROM sessions") == 1);
}

TEST_CASE("Store::open reports a folder it cannot create", "[store]") {
  TempDir tmp;
  writeFile(tmp.path() / "file", "x");
  auto r = Store::open(tmp / "file/sub/mantra.db");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Io);
  CHECK_THAT(r.error().message, Catch::Contains("cannot create folder"));
}

TEST_CASE("defaultDatabasePath honours MANTRA_DB, then XDG_DATA_HOME, then HOME", "[store]") {
  {
    ScopedEnv db("MANTRA_DB", "/custom/place.db");
    ScopedEnv xdg("XDG_DATA_HOME", "/xdg");
    CHECK(defaultDatabasePath() == "/custom/place.db");
  }
  {
    ScopedEnv db("MANTRA_DB", nullptr);
    ScopedEnv xdg("XDG_DATA_HOME", "/xdg/data");
    CHECK(defaultDatabasePath() == "/xdg/data/mantra/mantra.db");
  }
  {
    ScopedEnv db("MANTRA_DB", "");
    ScopedEnv xdg("XDG_DATA_HOME", "");
    ScopedEnv home("HOME", "/home/someone");
    CHECK(defaultDatabasePath() == "/home/someone/.local/share/mantra/mantra.db");
  }
}

// --- events and sessions -------------------------------------------------------------------

TEST_CASE("appendEvent assigns seq 1, 2, 3 per session", "[store]") {
  Fixture f;
  f.begin();
  CHECK(f.appendSeq(makeEvent("claude:a", EventKind::User, "one")) == 1);
  CHECK(f.appendSeq(makeEvent("claude:a", EventKind::Assistant, "two")) == 2);
  CHECK(f.appendSeq(makeEvent("claude:b", EventKind::User, "other")) == 1);
  CHECK(f.appendSeq(makeEvent("claude:a", EventKind::Shell, "three")) == 3);
  CHECK(f.appendSeq(makeEvent("claude:b", EventKind::Assistant, "other two")) == 2);
  f.commit();
  // A later transaction (and a later connection) continues where the data ends.
  f.begin();
  CHECK(f.appendSeq(makeEvent("claude:a", EventKind::User, "four")) == 4);
  f.commit();
  f.store.reset();
  f.store = openOk(f.path);
  f.begin();
  CHECK(f.appendSeq(makeEvent("claude:a", EventKind::User, "five")) == 5);
  CHECK(f.appendSeq(makeEvent("claude:c", EventKind::User, "new")) == 1);
  f.commit();

  auto a = f.store->events("claude:a", 1, INT64_MAX);
  REQUIRE(a);
  REQUIRE(a->size() == 5);
  for (size_t i = 0; i < a->size(); ++i)
    CHECK((*a)[i].seq == static_cast<int64_t>(i + 1));
  CHECK((*a)[2].kind == EventKind::Shell);
  CHECK((*a)[2].text == "three");
}

TEST_CASE("a rolled-back transaction does not leave gaps in seq", "[store]") {
  Fixture f;
  f.begin();
  CHECK(f.appendSeq(makeEvent("claude:a", EventKind::User, "kept")) == 1);
  f.commit();
  f.begin();
  CHECK(f.appendSeq(makeEvent("claude:a", EventKind::User, "discarded")) == 2);
  f.store->rollback();
  f.begin();
  CHECK(f.appendSeq(makeEvent("claude:a", EventKind::User, "after")) == 2);
  f.commit();
  auto ev = f.store->events("claude:a", 1, INT64_MAX);
  REQUIRE(ev);
  REQUIRE(ev->size() == 2);
  CHECK((*ev)[1].text == "after");
}

TEST_CASE("appendEvent stores every field and events() reads them back", "[store]") {
  Fixture f;
  Event e = makeEvent("claude:s", EventKind::Edit, "edited");
  e.time = 1764071106683;
  e.tool = "Edit";
  e.path = "calc/cli.py";
  e.isError = true;
  e.callId = "toolu_1";
  e.uuid = "u-1";
  e.data = {{"old_string", "a"}, {"new_string", "b"}};
  Event sh = makeEvent("claude:s", EventKind::Shell);
  sh.command = "python3 -m unittest";
  sh.exitCode = 0;
  f.begin();
  const int64_t row = f.append(e);
  f.append(sh);
  f.commit();
  CHECK(row > 0);
  auto ev = f.store->events("claude:s", 1, INT64_MAX);
  REQUIRE(ev);
  REQUIRE(ev->size() == 2);
  const Event &r = (*ev)[0];
  CHECK(r.sessionId == "claude:s");
  CHECK(r.kind == EventKind::Edit);
  CHECK(r.time == std::optional<int64_t>(1764071106683));
  CHECK(r.text == "edited");
  CHECK(r.tool == "Edit");
  CHECK(r.path == "calc/cli.py");
  CHECK(r.command.empty());
  CHECK_FALSE(r.exitCode.has_value());
  CHECK(r.isError);
  CHECK(r.callId == "toolu_1");
  CHECK(r.uuid == "u-1");
  CHECK(r.data == e.data);
  const Event &s = (*ev)[1];
  CHECK(s.command == "python3 -m unittest");
  CHECK(s.exitCode == std::optional<int>(0)); // a known 0 is kept, not dropped
  CHECK(s.data.is_null());
  CHECK_FALSE(s.time.has_value());
}

TEST_CASE("events() returns the requested seq range", "[store]") {
  Fixture f;
  f.begin();
  for (int i = 1; i <= 10; ++i)
    f.append(
        makeEvent("claude:r", EventKind::User, std::string("event ").append(std::to_string(i))));
  f.append(makeEvent("claude:other", EventKind::User, "not mine"));
  f.commit();
  auto seqs = [&](int64_t from, int64_t to) {
    auto ev = f.store->events("claude:r", from, to);
    REQUIRE(ev);
    std::vector<int64_t> out;
    for (const auto &e : *ev) {
      CHECK(e.sessionId == "claude:r");
      out.push_back(e.seq);
    }
    return out;
  };
  CHECK(seqs(1, INT64_MAX).size() == 10);
  CHECK(seqs(3, 5) == std::vector<int64_t>{3, 4, 5});
  CHECK(seqs(9, 100) == std::vector<int64_t>{9, 10});
  CHECK(seqs(7, 7) == std::vector<int64_t>{7});
  CHECK(seqs(6, 2).empty());
  CHECK(seqs(11, 20).empty());
  CHECK(seqs(-5, 1) == std::vector<int64_t>{1});
  auto none = f.store->events("claude:missing", 1, INT64_MAX);
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("upsertSession merges: earliest start, latest end, stronger title, first project",
          "[store]") {
  Fixture f;
  SessionInfo a = makeSession("claude:merge-1");
  a.project = "/work/first";
  a.branch = "main";
  a.model = "model-a";
  a.started = 2000;
  a.ended = 3000;
  a.title = "from the first prompt";
  a.titleRank = TitleFirstPrompt;
  f.addSession(a);

  SessionInfo b = makeSession("claude:merge-1");
  b.project = "/work/second";
  b.branch = "feature";
  b.started = 1000; // earlier
  b.ended = 2500;   // not later
  b.title = "Summary title";
  b.titleRank = TitleSummary;
  f.addSession(b);

  SessionRow r = f.row("claude:merge-1");
  CHECK(r.project == "/work/first");
  CHECK(r.branch == "feature"); // latest branch
  CHECK(r.model == "model-a");  // an empty update does not erase
  CHECK(r.started == std::optional<int64_t>(1000));
  CHECK(r.ended == std::optional<int64_t>(3000));
  CHECK(r.title == "Summary title");

  SessionInfo c = makeSession("claude:merge-1");
  c.started = 1500; // later than the earliest
  c.ended = 9000;   // later end wins
  c.title = "an ai title";
  c.titleRank = TitleAgentGenerated; // weaker than the summary
  f.addSession(c);
  r = f.row("claude:merge-1");
  CHECK(r.started == std::optional<int64_t>(1000));
  CHECK(r.ended == std::optional<int64_t>(9000));
  CHECK(r.title == "Summary title");

  SessionInfo d = makeSession("claude:merge-1");
  d.title = "";
  d.titleRank = TitleUser; // a rank without a title is ignored
  f.addSession(d);
  CHECK(f.row("claude:merge-1").title == "Summary title");

  SessionInfo e = makeSession("claude:merge-1");
  e.title = "My own title";
  e.titleRank = TitleUser;
  f.addSession(e);
  r = f.row("claude:merge-1");
  CHECK(r.title == "My own title");
  // Times that were never given stay unknown; one given later is taken.
  CHECK(r.started == std::optional<int64_t>(1000));
  CHECK(r.events == 5); // one event per addSession call

  SessionInfo g = makeSession("claude:merge-2");
  f.addSession(g);
  CHECK_FALSE(f.row("claude:merge-2").started.has_value());
  SessionInfo h = makeSession("claude:merge-2");
  h.ended = 42;
  f.addSession(h);
  CHECK(f.row("claude:merge-2").ended == std::optional<int64_t>(42));
  CHECK_FALSE(f.row("claude:merge-2").started.has_value());
}

TEST_CASE("upsertSession agrees with mergeSessionInfo", "[store]") {
  Fixture f;
  std::vector<SessionInfo> updates(4, makeSession("claude:agree"));
  updates[0].project = "/p/one";
  updates[0].started = 50;
  updates[0].title = "first";
  updates[0].titleRank = TitleFirstPrompt;
  updates[1].project = "/p/two";
  updates[1].ended = 70;
  updates[1].version = "2.1.197";
  updates[2].started = 40;
  updates[2].title = "summary";
  updates[2].titleRank = TitleSummary;
  updates[2].isSubagent = true;
  updates[3].ended = 60;
  updates[3].title = "ai";
  updates[3].titleRank = TitleAgentGenerated;
  SessionInfo acc;
  for (const auto &u : updates) {
    mergeSessionInfo(acc, u);
    f.addSession(u);
  }
  SessionRow r = f.row("claude:agree");
  CHECK(r.project == acc.project);
  CHECK(r.started == acc.started);
  CHECK(r.ended == acc.ended);
  CHECK(r.title == acc.title);
  CHECK(r.version == acc.version);
  CHECK(r.isSubagent == acc.isSubagent);
  CHECK(acc.project == "/p/one");
  CHECK(acc.title == "summary");
}

TEST_CASE("session() finds by full id, native id and unique prefix", "[store]") {
  Fixture f;
  f.addSession(makeSession("claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b"));
  f.addSession(makeSession("claude:f2d6aaaa-0000-0000-0000-000000000000"));
  f.addSession(makeSession("claude:735cf6c2-d905-41aa-aca1-69983c7c16c1"));

  CHECK(f.row("claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b").id ==
        "claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b");
  CHECK(f.row("f2d6f4b6-9e33-45d2-bedd-760d95df010b").id ==
        "claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b");
  CHECK(f.row("f2d6f").id == "claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b");
  CHECK(f.row("7").id == "claude:735cf6c2-d905-41aa-aca1-69983c7c16c1");
  CHECK(f.row("claude:735").id == "claude:735cf6c2-d905-41aa-aca1-69983c7c16c1");
  CHECK(f.row("claude:f2d6a").id == "claude:f2d6aaaa-0000-0000-0000-000000000000");

  SECTION("an ambiguous prefix names the candidates") {
    auto r = f.store->session("f2d6");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::Ambiguous);
    CHECK_THAT(r.error().message, Catch::Contains("claude:f2d6f4b6"));
    CHECK_THAT(r.error().message, Catch::Contains("claude:f2d6aaaa"));
    auto all = f.store->session("claude:");
    REQUIRE_FALSE(all);
    CHECK(all.error().code == ErrorCode::Ambiguous);
  }
  SECTION("a missing session is NotFound") {
    auto r = f.store->session("deadbeef");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::NotFound);
    CHECK_THAT(r.error().message, Catch::Contains("deadbeef"));
    auto longer = f.store->session("claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b-and-more");
    REQUIRE_FALSE(longer);
    CHECK(longer.error().code == ErrorCode::NotFound);
  }
  SECTION("an empty id is refused") {
    auto r = f.store->session("");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::Invalid);
  }
  SECTION("a full id wins over being a prefix of a longer id") {
    f.addSession(makeSession("claude:abc"));
    f.addSession(makeSession("claude:abcdef"));
    CHECK(f.row("claude:abc").id == "claude:abc");
    CHECK(f.row("abc").id == "claude:abc");
    auto r = f.store->session("ab");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::Ambiguous);
  }
}

TEST_CASE("sessions() lists newest first and filters by agent, project and limit", "[store]") {
  Fixture f;
  auto add = [&](const std::string &id, const std::string &project, int64_t ended) {
    SessionInfo s = makeSession(id);
    s.project = project;
    s.started = ended - 100;
    s.ended = ended;
    f.addSession(s);
  };
  add("claude:s1", "/w/proj", 1000);
  add("claude:s2", "/w/proj/sub", 3000);
  add("claude:s3", "/w/project2", 2000);
  add("codex:s4", "/w/proj", 4000);
  // A session with no events is not listed.
  f.begin();
  f.upsert(makeSession("claude:empty"));
  f.commit();

  auto ids = [&](SessionFilter filter) {
    auto rows = f.store->sessions(filter);
    REQUIRE(rows);
    std::vector<std::string> out;
    for (const auto &r : *rows)
      out.push_back(r.id);
    return out;
  };
  SessionFilter all;
  CHECK(ids(all) == std::vector<std::string>{"codex:s4", "claude:s2", "claude:s3", "claude:s1"});
  SessionFilter agent;
  agent.agent = "claude";
  CHECK(ids(agent) == std::vector<std::string>{"claude:s2", "claude:s3", "claude:s1"});
  agent.agent = "gemini";
  CHECK(ids(agent).empty());
  SessionFilter project;
  project.project = "/w/proj";
  CHECK(ids(project) == std::vector<std::string>{"codex:s4", "claude:s2", "claude:s1"});
  project.project = "/w/proj/";
  CHECK(ids(project) == std::vector<std::string>{"codex:s4", "claude:s2", "claude:s1"});
  project.project = "/w/proj/sub";
  CHECK(ids(project) == std::vector<std::string>{"claude:s2"});
  project.project = "/w";
  CHECK(ids(project).size() == 4);
  project.project = "/"; // the root holds every project
  CHECK(ids(project).size() == 4);
  project.project = "/w/pro";
  CHECK(ids(project).empty());
  project.agent = "codex";
  CHECK(ids(project).empty());
  SessionFilter limit;
  limit.limit = 2;
  CHECK(ids(limit) == std::vector<std::string>{"codex:s4", "claude:s2"});

  auto counts = f.store->counts();
  REQUIRE(counts);
  CHECK(counts->sessions == 4);
  CHECK(counts->events == 4);
  CHECK(counts->sources == 1);
}

// --- tool results --------------------------------------------------------------------------

TEST_CASE("findCall and mergeResult merge a shell result into its call", "[store]") {
  Fixture f;
  f.begin();
  f.append(makeEvent("claude:m", EventKind::User, "run the tests"));
  Event call = makeEvent("claude:m", EventKind::Shell, "");
  call.tool = "Bash";
  call.command = "python3 -m unittest";
  call.callId = "toolu_A";
  call.data = {{"input", {{"command", "python3 -m unittest"}}}};
  const int64_t callRow = f.append(call);
  Event other = makeEvent("claude:m", EventKind::ToolCall, "");
  other.tool = "Read";
  other.callId = "toolu_B";
  f.append(other);

  CHECK_FALSE(f.store->findCall("claude:m", "toolu_missing").has_value());
  CHECK_FALSE(f.store->findCall("claude:other", "toolu_A").has_value());
  auto ref = f.store->findCall("claude:m", "toolu_A");
  REQUIRE(ref.has_value());
  CHECK(ref->rowId == callRow);
  CHECK(ref->seq == 2);
  CHECK(ref->kind == EventKind::Shell);
  CHECK(ref->tool == "Bash");

  Event result = makeEvent("claude:m", EventKind::ToolResult, "FAILED (failures=1)");
  result.callId = "toolu_A";
  result.exitCode = 1;
  result.isError = true;
  result.data = {{"stdout", "FAILED (failures=1)"}, {"interrupted", false}};
  REQUIRE(f.store->mergeResult(*ref, result));

  auto refB = f.store->findCall("claude:m", "toolu_B");
  REQUIRE(refB.has_value());
  CHECK(refB->kind == EventKind::ToolCall);
  Event readResult = makeEvent("claude:m", EventKind::ToolResult, "file contents");
  readResult.callId = "toolu_B";
  REQUIRE(f.store->mergeResult(*refB, readResult));
  f.commit();

  auto ev = f.store->events("claude:m", 1, INT64_MAX);
  REQUIRE(ev);
  REQUIRE(ev->size() == 3); // the results were merged, not appended
  const Event &shell = (*ev)[1];
  CHECK(shell.kind == EventKind::Shell);
  CHECK(shell.command == "python3 -m unittest");
  CHECK(shell.text == "FAILED (failures=1)");
  CHECK(shell.exitCode == std::optional<int>(1));
  CHECK(shell.isError);
  REQUIRE(shell.data.is_object());
  CHECK(shell.data["input"]["command"] == "python3 -m unittest"); // the call's data is kept
  CHECK(shell.data["result"]["stdout"] == "FAILED (failures=1)");
  const Event &read = (*ev)[2];
  CHECK(read.text.empty()); // a non-shell call keeps its text; the output goes to data
  CHECK(read.data["resultText"] == "file contents");
  CHECK_FALSE(read.isError);
}

TEST_CASE("mergeResult keeps a known exit code and error flag when the result lacks them",
          "[store]") {
  Fixture f;
  f.begin();
  Event call = makeEvent("claude:x", EventKind::Shell);
  call.command = "false";
  call.callId = "c1";
  call.exitCode = 2;
  call.isError = true;
  f.append(call);
  auto ref = f.store->findCall("claude:x", "c1");
  REQUIRE(ref);
  Event result = makeEvent("claude:x", EventKind::ToolResult, "output");
  REQUIRE(f.store->mergeResult(*ref, result));
  f.commit();
  auto ev = f.store->events("claude:x", 1, 1);
  REQUIRE(ev);
  REQUIRE(ev->size() == 1);
  CHECK((*ev)[0].exitCode == std::optional<int>(2));
  CHECK((*ev)[0].isError);
  CHECK((*ev)[0].text == "output");
}

TEST_CASE("findCall skips tool_result events that carry the same call id", "[store]") {
  Fixture f;
  f.begin();
  Event orphan = makeEvent("claude:o", EventKind::ToolResult, "early result");
  orphan.callId = "c9";
  f.append(orphan);
  CHECK_FALSE(f.store->findCall("claude:o", "c9").has_value());
  Event call = makeEvent("claude:o", EventKind::ToolCall);
  call.callId = "c9";
  call.tool = "Grep";
  f.append(call);
  auto ref = f.store->findCall("claude:o", "c9");
  REQUIRE(ref);
  CHECK(ref->seq == 2);
  CHECK(ref->kind == EventKind::ToolCall);
  f.commit();
}

TEST_CASE("the FTS index follows mergeResult: new output is found, stale text is not", "[store]") {
  Fixture f;
  f.begin();
  Event call = makeEvent("claude:fts", EventKind::Shell, "placeholderzebra");
  call.command = "python3 -m unittest";
  call.callId = "t1";
  const int64_t row = f.append(call);
  f.commit();
  CHECK(ftsRows(*f.store, "placeholderzebra") == std::vector<std::string>{std::to_string(row)});
  CHECK(ftsRows(*f.store, "unittest") == std::vector<std::string>{std::to_string(row)});

  f.begin();
  auto ref = f.store->findCall("claude:fts", "t1");
  REQUIRE(ref);
  Event result = makeEvent("claude:fts", EventKind::ToolResult,
                           "AssertionError: Tuples differ\nFAILED (failures=1) quokkaoutput");
  result.exitCode = 1;
  REQUIRE(f.store->mergeResult(*ref, result));
  f.commit();

  CHECK(ftsRows(*f.store, "quokkaoutput") == std::vector<std::string>{std::to_string(row)});
  CHECK(ftsRows(*f.store, "tuples differ") == std::vector<std::string>{std::to_string(row)});
  CHECK(ftsRows(*f.store, "placeholderzebra").empty());
  CHECK(ftsRows(*f.store, "unittest") == std::vector<std::string>{std::to_string(row)});
  // The external-content index agrees with the events table.
  CHECK(
      f.store->db().exec("INSERT INTO events_fts(events_fts, rank) VALUES('integrity-check', 1)"));
}

TEST_CASE("forgetSource removes the source's events from the table and the index", "[store]") {
  Fixture f;
  Source other;
  other.path = "/sessions/b.jsonl";
  other.agent = "claude";
  auto otherId = f.store->saveSource(other);
  REQUIRE(otherId);
  REQUIRE(*otherId != f.source);

  f.begin();
  f.upsert(makeSession("claude:keep"));
  f.upsert(makeSession("claude:gone"));
  f.append(makeEvent("claude:gone", EventKind::User, "wombatword"));
  f.append(makeEvent("claude:gone", EventKind::User, "second"));
  Event kept = makeEvent("claude:keep", EventKind::User, "wombatword kept");
  REQUIRE(f.store->appendEvent(kept, *otherId));
  REQUIRE(f.store->refreshCounts());
  f.commit();
  CHECK(f.row("claude:gone").events == 2);
  CHECK(ftsRows(*f.store, "wombatword").size() == 2);

  f.begin();
  REQUIRE(f.store->forgetSource(f.source));
  REQUIRE(f.store->refreshCounts());
  f.commit();
  auto gone = f.store->events("claude:gone", 1, INT64_MAX);
  REQUIRE(gone);
  CHECK(gone->empty());
  CHECK(ftsRows(*f.store, "wombatword").size() == 1);
  // The emptied session's count is refreshed, so it is no longer listed.
  CHECK(f.row("claude:gone").events == 0);
  auto listed = f.store->sessions(SessionFilter{});
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].id == "claude:keep");
  // Re-reading the source starts again at seq 1.
  f.begin();
  CHECK(f.appendSeq(makeEvent("claude:gone", EventKind::User, "again")) == 1);
  f.commit();
}

TEST_CASE("saveSource inserts, then updates by path", "[store]") {
  Fixture f;
  Source s;
  s.path = "/sessions/c.jsonl";
  s.agent = "claude";
  s.size = 100;
  s.offset = 90;
  s.line = 3;
  s.mtime = 77;
  s.headHash = "abc";
  s.state = {{"cwd", "/w"}};
  auto id = f.store->saveSource(s);
  REQUIRE(id);
  s.size = 200;
  s.offset = 180;
  s.line = 6;
  auto again = f.store->saveSource(s);
  REQUIRE(again);
  CHECK(*again == *id);
  auto back = f.store->source("/sessions/c.jsonl");
  REQUIRE(back.has_value());
  CHECK(back->id == *id);
  CHECK(back->size == 200);
  CHECK(back->offset == 180);
  CHECK(back->line == 6);
  CHECK(back->mtime == 77);
  CHECK(back->headHash == "abc");
  CHECK(back->state == nlohmann::json{{"cwd", "/w"}});
  CHECK_FALSE(f.store->source("/sessions/none.jsonl").has_value());
}

// --- title hints ---------------------------------------------------------------------------

TEST_CASE("title hints resolve whether they come before or after the event", "[store]") {
  Fixture f;
  SECTION("hint first, event later") {
    f.begin();
    REQUIRE(f.store->addTitleHint(TitleHint{"leaf-1", "Add a verbose flag", TitleSummary}));
    REQUIRE(f.store->resolveTitleHints());
    f.commit();
    SessionInfo s = makeSession("claude:t1");
    s.title = "add a --verbose flag to the calc CLI";
    s.titleRank = TitleFirstPrompt;
    f.begin();
    f.upsert(s);
    Event e = makeEvent("claude:t1", EventKind::Assistant, "done");
    e.uuid = "leaf-1";
    f.append(e);
    REQUIRE(f.store->refreshCounts());
    REQUIRE(f.store->resolveTitleHints());
    f.commit();
    CHECK(f.row("claude:t1").title == "Add a verbose flag");
  }
  SECTION("event first, hint later") {
    SessionInfo s = makeSession("claude:t2");
    s.title = "first prompt";
    s.titleRank = TitleFirstPrompt;
    f.begin();
    f.upsert(s);
    Event e = makeEvent("claude:t2", EventKind::Assistant, "done");
    e.uuid = "leaf-2";
    f.append(e);
    REQUIRE(f.store->refreshCounts());
    REQUIRE(f.store->resolveTitleHints());
    f.commit();
    CHECK(f.row("claude:t2").title == "first prompt");
    f.begin();
    REQUIRE(f.store->addTitleHint(TitleHint{"leaf-2", "Rename ops", TitleSummary}));
    REQUIRE(f.store->resolveTitleHints());
    f.commit();
    CHECK(f.row("claude:t2").title == "Rename ops");
    // A weaker later candidate does not replace the summary.
    s.title = "generated";
    s.titleRank = TitleAgentGenerated;
    f.begin();
    f.upsert(s);
    f.commit();
    CHECK(f.row("claude:t2").title == "Rename ops");
  }
  SECTION("a hint weaker than the session's title is not applied") {
    SessionInfo s = makeSession("claude:t3");
    s.title = "Chosen by the user";
    s.titleRank = TitleUser;
    f.begin();
    f.upsert(s);
    Event e = makeEvent("claude:t3", EventKind::User, "x");
    e.uuid = "leaf-3";
    f.append(e);
    REQUIRE(f.store->addTitleHint(TitleHint{"leaf-3", "Summary", TitleSummary}));
    REQUIRE(f.store->resolveTitleHints());
    f.commit();
    CHECK(f.row("claude:t3").title == "Chosen by the user");
  }
  SECTION("a hint for an unknown uuid touches nothing and waits") {
    SessionInfo s = makeSession("claude:t4");
    s.title = "mine";
    s.titleRank = TitleFirstPrompt;
    f.begin();
    f.upsert(s);
    Event e = makeEvent("claude:t4", EventKind::User, "x");
    e.uuid = "leaf-4";
    f.append(e);
    REQUIRE(f.store->addTitleHint(TitleHint{"leaf-elsewhere", "Other", TitleSummary}));
    REQUIRE(f.store->resolveTitleHints());
    f.commit();
    CHECK(f.row("claude:t4").title == "mine");
    CHECK(column(*f.store, "SELECT leaf_uuid FROM title_hints") ==
          std::vector<std::string>{"leaf-elsewhere"});
  }
}

// --- locking -------------------------------------------------------------------------------

TEST_CASE("begin() fails with Busy while another Store holds the write lock", "[store][lock]") {
  TempDir tmp;
  const std::string path = tmp / "mantra.db";
  auto writer = openOk(path);
  auto blocked = openOk(path);
  REQUIRE(writer->begin());
  // Store exposes its connection; shorten the 5 s busy timeout for the test.
  sqlite3_busy_timeout(blocked->db().handle(), 150);
  const auto t0 = std::chrono::steady_clock::now();
  auto st = blocked->begin();
  const auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(st);
  CHECK(st.error().code == ErrorCode::Busy);
  CHECK_THAT(st.error().message, Catch::Contains("locked"));
  CHECK_THAT(st.error().message, Catch::Contains(path));
  CHECK(waited >= std::chrono::milliseconds(100));
  // Readers are not blocked by the writer (WAL).
  auto rows = blocked->sessions(SessionFilter{});
  REQUIRE(rows);
  CHECK(rows->empty());
  // Once the writer commits, the other one gets the lock.
  REQUIRE(writer->commit());
  REQUIRE(blocked->begin());
  REQUIRE(blocked->commit());
}

TEST_CASE("begin() fails with Busy while a raw connection holds BEGIN IMMEDIATE", "[store][lock]") {
  TempDir tmp;
  const std::string path = tmp / "mantra.db";
  { auto init = openOk(path); }
  RawDb raw(path);
  REQUIRE(raw.exec("BEGIN IMMEDIATE") == SQLITE_OK);
  // Opening an existing, current database needs no write lock.
  const auto t0 = std::chrono::steady_clock::now();
  auto store = openOk(path);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  sqlite3_busy_timeout(store->db().handle(), 100);
  auto st = store->begin();
  REQUIRE_FALSE(st);
  CHECK(st.error().code == ErrorCode::Busy);
  CHECK_THAT(st.error().message, Catch::Contains("locked by another process"));
  REQUIRE(raw.exec("ROLLBACK") == SQLITE_OK);
  REQUIRE(store->begin());
  Event e = makeEvent("claude:l", EventKind::User, "after the lock");
  REQUIRE(store->appendEvent(e, 1));
  REQUIRE(store->commit());
  CHECK(raw.scalar("SELECT count(*) FROM events") == 1);
}

TEST_CASE("Store keeps large event data compressed and reads it back whole", "[store]") {
  Fixture f;
  f.begin();
  Event small;
  small.sessionId = "claude:s";
  small.kind = EventKind::ToolCall;
  small.data = {{"input", {{"file_path", "/a"}}}};
  Event big = small;
  std::string file;
  for (int i = 0; i < 400; ++i)
    file += "line " + std::to_string(i) + ": def handler(request): return request.json()\n";
  big.data = {{"result", {{"originalFile", file}, {"n", 7}}}};
  const int64_t smallId = f.append(small);
  const int64_t bigId = f.append(big);
  f.commit();

  // On disk: the small one as JSON text, the big one as a (much smaller) blob.
  auto st = f.store->db().prepare("SELECT id, typeof(data), length(data) FROM events ORDER BY id");
  REQUIRE(st);
  std::map<int64_t, std::pair<std::string, int64_t>> stored;
  while (st->step())
    stored[st->int64(0)] = {st->text(1), st->int64(2)};
  CHECK(stored[smallId].first == "text");
  CHECK(stored[bigId].first == "blob");
  CHECK(stored[bigId].second < static_cast<int64_t>(file.size()) / 3);

  auto events = f.store->events("claude:s", 1, 10);
  REQUIRE(events);
  REQUIRE(events->size() == 2);
  CHECK((*events)[0].data == small.data);
  CHECK((*events)[1].data == big.data);
  CHECK((*events)[1].data["result"]["originalFile"].get<std::string>() == file);
}

TEST_CASE("Store: processes that create one database at the same moment all open it", "[store]") {
  for (int round = 0; round < 3; ++round) {
    TempDir tmp;
    const std::string db = tmp / "fresh.db";
    std::vector<std::thread> threads;
    std::vector<RunResult> results(6);
    for (size_t i = 0; i < results.size(); ++i)
      threads.emplace_back(
          [&, i] { results[i] = runMantra("status --json --db " + shellQuote(db)); });
    for (auto &t : threads)
      t.join();
    for (const auto &r : results) {
      INFO(r.err);
      CHECK(r.exitCode == 0);
      CHECK(r.json()["schemaVersion"] == Store::kSchemaVersion);
    }
  }
}
