// The Cursor adapter end to end through the Indexer into a real SQLite file. The IDE databases
// are built by the test from tests/fixtures/cursor/*-state.json (one row per key, as Cursor's
// ItemTable / cursorDiskKV hold them: JSON text, file snapshots as BLOBs); the CLI store.db from
// cli-store.json. Checked: prompts, titles, projects, shell exit codes, edits whose data.changes
// the timeline replays (timeline::fileAt), incremental re-reads (new bubbles only, a streaming
// bubble held back, a rewritten conversation read again without duplicates, a -wal), bad and
// locked databases, and the other viewers' samples in ../shared/fixtures/real/cursor.
#include "IndexSupport.h"
#include "TestSupport.h"
#include "ingest/CursorAdapter.h"
#include "ingest/Indexer.h"
#include "timeline/Timeline.h"
#include "util/Time.h"

#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <sys/stat.h>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

namespace {

const std::string kComposer = "5d3f6a1e-8c2b-4f7a-9e1d-2b6c8a4f0e13";
const std::string kInline = "9a7c2e4b-1f3d-4c5e-8b6a-0d2e4f6a8c1b";
const std::string kTab = "4e8f2a6c-1b3d-4f5e-9a7c-2d4e6f8a0b1c";
const std::string kAgent = "6f0d2c4a-8e1b-4a3c-9d5e-7b2f4a6c8e0d";
const std::string kProject = "/home/dev/calc";

using Env = IndexEnv;

json fixtureJson(const std::string &name) {
  return json::parse(readFile(fixture("cursor/" + name)));
}

struct Db {
  sqlite3 *db = nullptr;
  explicit Db(const fs::path &p) {
    fs::create_directories(p.parent_path());
    REQUIRE(sqlite3_open(p.string().c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
  }
  ~Db() { sqlite3_close(db); }
  void exec(const std::string &sql) {
    char *err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  // One row as Cursor writes it: JSON as text, a string value (a file snapshot) as a BLOB.
  void put(const std::string &table, const std::string &key, const json &value) {
    sqlite3_stmt *st = nullptr;
    const std::string sql = "INSERT OR REPLACE INTO " + table + "(key, value) VALUES(?1, ?2)";
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    sqlite3_bind_text(st, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    if (value.is_string()) {
      const auto &s = value.get_ref<const std::string &>();
      sqlite3_bind_blob(st, 2, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    } else {
      const std::string s = value.dump();
      sqlite3_bind_text(st, 2, s.c_str(), -1, SQLITE_TRANSIENT);
    }
    REQUIRE(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
  }
  void putRaw(const std::string &key, const std::string &text) {
    sqlite3_stmt *st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO cursorDiskKV(key, value) VALUES(?1, ?2)",
                               -1, &st, nullptr) == SQLITE_OK);
    sqlite3_bind_text(st, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, text.c_str(), -1, SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
  }
};

// A state.vscdb at `path` holding the fixture's tables.
void buildState(const fs::path &path, const json &tables, bool wal = false) {
  fs::remove(path);
  Db db(path);
  if (wal)
    db.exec("PRAGMA journal_mode=WAL");
  db.exec("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);"
          "CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);");
  db.exec("BEGIN");
  for (const char *table : {"ItemTable", "cursorDiskKV"})
    for (const auto &[k, v] : tables[table].items())
      db.put(table, k, v);
  db.exec("COMMIT");
}

// A Cursor User folder: globalStorage/state.vscdb from `global`, and one workspace.
struct CursorUser {
  fs::path user;
  explicit CursorUser(const fs::path &root, const json &global) : user(root / "User") {
    buildState(globalDb(), global);
    const fs::path ws = user / "workspaceStorage" / "3f1c9e2a7b5d4c8e9a0b1c2d3e4f5a6b";
    buildState(ws / "state.vscdb", fixtureJson("workspace-state.json"));
    fs::copy_file(fixture("cursor/workspace.json"), ws / "workspace.json");
  }
  fs::path globalDb() const { return user / "globalStorage" / "state.vscdb"; }
};

std::string bubbleKey(const std::string &bid) { return "bubbleId:" + kComposer + ":" + bid; }

std::vector<std::string> shape(const std::vector<Event> &events) {
  std::vector<std::string> out;
  for (const auto &e : events)
    out.push_back(std::to_string(e.seq) + "|" + std::string(toString(e.kind)) + "|" + e.tool + "|" +
                  e.text + "|" + (e.exitCode ? std::to_string(*e.exitCode) : "-") + "|" +
                  e.data.dump());
  return out;
}

std::vector<std::string> texts(const std::vector<Event> &events, EventKind k) {
  std::vector<std::string> out;
  for (const auto &e : events)
    if (e.kind == k)
      out.push_back(e.text);
  return out;
}

const Event *lastOf(const std::vector<Event> &events, EventKind k, const std::string &needle) {
  const Event *found = nullptr;
  for (const auto &e : events)
    if (e.kind == k &&
        (e.path.find(needle) != std::string::npos || e.command.find(needle) != std::string::npos))
      found = &e;
  return found;
}

std::string fileAt(Env &env, const std::string &session, int64_t seq, const std::string &path) {
  auto row = env.store->session(session);
  REQUIRE(row);
  auto f = timeline::fileAt(*env.store, *row, seq, path);
  REQUIRE(f);
  INFO(path << " at " << seq << ": " << f->reason);
  REQUIRE(f->content);
  return *f->content;
}

// The fixture with only the first `n` bubbles of the agent composer in its header list.
json firstBubbles(json global, size_t n) {
  json &c = global["cursorDiskKV"]["composerData:" + kComposer];
  json &headers = c["fullConversationHeadersOnly"];
  for (size_t i = n; i < headers.size(); ++i)
    global["cursorDiskKV"].erase(bubbleKey(headers[i]["bubbleId"]));
  headers.erase(headers.begin() + static_cast<std::ptrdiff_t>(n), headers.end());
  return global;
}

struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(std::string n, const std::string &value) : name(std::move(n)) {
    if (const char *v = std::getenv(name.c_str()))
      old = v;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old)
      ::setenv(name.c_str(), old->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
};

const std::string kCalcAfter = R"(import argparse


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a", type=int)
    parser.add_argument("b", type=int)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.verbose:
        print(f"adding {args.a} and {args.b}")
    print(args.a + args.b, flush=True)


if __name__ == "__main__":
    main()
)";

} // namespace

TEST_CASE("Cursor: a global state.vscdb end to end, edits replayed by the timeline", "[cursor]") {
  Env env;
  CursorUser cu(env.tmp.path(), fixtureJson("global-state.json"));
  struct stat before {};
  REQUIRE(::stat(cu.globalDb().c_str(), &before) == 0);
  const std::string bytesBefore = readFile(cu.globalDb());

  auto r = env.index({cu.user.string()});
  for (const auto &e : r.errors)
    INFO(e.file << ":" << e.line << ": " << e.message);
  CHECK(r.errors.empty());
  CHECK(r.unknown == 0);
  CHECK(r.totals.sessions == 3); // the agent composer, the _v2 inline one, the chat panel tab
  CHECK(r.totals.sources == 2);

  // The agent composer: its own name as title, the project from workspaceIdentifier.
  auto s = env.store->session("cursor:" + kComposer);
  REQUIRE(s);
  CHECK(s->agent == "cursor");
  CHECK(s->title == "Verbose flag for calc.py");
  CHECK(s->project == kProject);
  CHECK(s->model == "claude-4.5-sonnet");
  REQUIRE(s->started);
  CHECK(*s->started == 1760433120000);
  const auto events = env.events(s->id);
  CHECK(s->events == static_cast<int64_t>(events.size()));
  CHECK(texts(events, EventKind::User) ==
        std::vector<std::string>{
            "Add a --verbose flag to calc.py that prints the operands before the sum",
            "Flush the sum so it shows up when piped, run the tests, and add a README"});
  CHECK(texts(events, EventKind::Reasoning).size() == 1);
  CHECK(texts(events, EventKind::Assistant).size() == 3);
  for (const auto &e : events)
    CHECK((e.kind != EventKind::ToolResult || e.tool == "read_file_v2")); // merged into calls

  // Shell steps: command, output, exit code, cwd.
  const Event *verbose = lastOf(events, EventKind::Shell, "--verbose");
  REQUIRE(verbose);
  CHECK(verbose->command == "python3 calc.py --verbose 2 3");
  CHECK(verbose->text == "adding 2 and 3\n5\n");
  REQUIRE(verbose->exitCode);
  CHECK(*verbose->exitCode == 0);
  CHECK_FALSE(verbose->isError);
  CHECK(verbose->data["cwd"] == kProject);
  const Event *pytest = lastOf(events, EventKind::Shell, "pytest");
  REQUIRE(pytest);
  REQUIRE(pytest->exitCode);
  CHECK(*pytest->exitCode == 5);
  CHECK(pytest->isError);

  // Edits: edit_file_v2's content ids resolved to whole files, search_replace as a replace.
  const Event *edit = nullptr;
  for (const auto &e : events)
    if (e.kind == EventKind::Edit && e.tool == "edit_file_v2" && !edit)
      edit = &e;
  REQUIRE(edit);
  const json &change = edit->data["result"]["changes"][0];
  CHECK(change["op"] == "write");
  CHECK(change["path"] == kProject + "/calc.py");
  CHECK(change["before"].get<std::string>().find("import sys") == 0);
  const Event *flush = lastOf(events, EventKind::Edit, "calc.py");
  REQUIRE(flush);
  CHECK(flush->tool == "search_replace");
  CHECK(flush->data["changes"][0]["op"] == "replace");
  const Event *readme = lastOf(events, EventKind::Edit, "README.md");
  REQUIRE(readme);
  CHECK(readme->data["result"]["changes"][0]["before"].is_null()); // a new file

  // The timeline: the whole-file read is the base, the edits apply on it.
  CHECK(fileAt(env, s->id, flush->seq, kProject + "/calc.py") == kCalcAfter);
  CHECK(fileAt(env, s->id, readme->seq, kProject + "/README.md") ==
        "# calc\n\nAdds two numbers. `--verbose` prints the operands first.\n");
  auto f = timeline::fileAt(*env.store, *s, edit->seq - 1, kProject + "/calc.py");
  REQUIRE(f);
  CHECK(f->base == "read");

  // The _v2 composer keeps its conversation inline; its project comes from the workspace
  // database that lists it. The chat panel tab is a session of its own.
  auto inl = env.store->session("cursor:" + kInline);
  REQUIRE(inl);
  CHECK(inl->project == kProject);
  CHECK(inl->title == "What does the --verbose flag print?");
  CHECK(texts(env.events(inl->id), EventKind::Assistant).size() == 1);
  auto tab = env.store->session("cursor:" + kTab);
  REQUIRE(tab);
  CHECK(tab->title == "Explain calc.py");
  CHECK(tab->project == kProject);
  CHECK(tab->events == 2);

  // Only read: the database is byte for byte what it was, and nothing was created beside it.
  CHECK(readFile(cu.globalDb()) == bytesBefore);
  struct stat after {};
  REQUIRE(::stat(cu.globalDb().c_str(), &after) == 0);
  CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  CHECK_FALSE(fs::exists(cu.globalDb().string() + "-journal"));

  // A second run finds nothing new.
  auto again = env.index({cu.user.string()});
  CHECK(again.eventsAdded == 0);
  CHECK(again.filesRead == 0);
  CHECK(again.totals.events == r.totals.events);
}

TEST_CASE("Cursor: re-reads add new bubbles only, wait for a streaming one, and redo a "
          "rewritten conversation without duplicates",
          "[cursor]") {
  const json full = fixtureJson("global-state.json");
  const std::string id = "cursor:" + kComposer;
  // What a single run over the final database gives: the reference for every step below.
  auto fresh = [&](const json &global) {
    Env ref;
    CursorUser cu(ref.tmp.path(), global);
    ref.index({cu.user.string()});
    return shape(ref.events(id));
  };

  Env env;
  CursorUser cu(env.tmp.path(), firstBubbles(full, 7)); // the first turn
  auto r1 = env.index({cu.user.string()});
  CHECK(r1.errors.empty());
  const auto first = env.events(id);
  CHECK(texts(first, EventKind::User).size() == 1);

  // The second turn arrives; the pytest run is still going.
  json streaming = full;
  json &c = streaming["cursorDiskKV"]["composerData:" + kComposer];
  c["status"] = "generating";
  c["lastUpdatedAt"] = nowMs(); // live: what is still being written waits
  const std::string pytestKey = bubbleKey("9e0f1a2b-3c4d-4e5f-6a7b-8c9d0e1f2ad0");
  json &tool = streaming["cursorDiskKV"][pytestKey]["toolFormerData"];
  tool["status"] = "running";
  tool["result"] = nullptr;
  buildState(cu.globalDb(), streaming);
  auto r2 = env.index({cu.user.string()});
  CHECK(r2.errors.empty());
  const auto partial = env.events(id);
  CHECK(texts(partial, EventKind::User).size() == 2);
  CHECK(lastOf(partial, EventKind::Shell, "pytest") == nullptr); // held back, and what follows
  CHECK(lastOf(partial, EventKind::Edit, "README.md") == nullptr);
  const Event *flush = lastOf(partial, EventKind::Edit, "calc.py");
  REQUIRE(flush);
  CHECK(flush->tool == "search_replace");

  // It finishes: the rest is appended, nothing read again.
  buildState(cu.globalDb(), full);
  auto r3 = env.index({cu.user.string()});
  CHECK(r3.errors.empty());
  CHECK(r3.eventsAdded == r3.totals.events - r2.totals.events);
  CHECK(shape(env.events(id)) == fresh(full));

  // A checkpoint restored: an answer of the first turn changed in place. The source is read again
  // and the session is what a single run over the new database gives — no duplicate step.
  json restored = full;
  restored["cursorDiskKV"][bubbleKey("6b7c8d9e-0f1a-4b2c-3d4e-5f6a7b8c9da7")]["text"] =
      "The flag works.";
  restored["cursorDiskKV"]["composerData:" + kComposer]["lastUpdatedAt"] = 1760433300000;
  buildState(cu.globalDb(), restored);
  auto r4 = env.index({cu.user.string()});
  CHECK(r4.errors.empty());
  CHECK(r4.totals.events == r3.totals.events);
  CHECK(shape(env.events(id)) == fresh(restored));
  CHECK(env.store->session("cursor:" + kTab)->events == 2);

  auto idle = env.index({cu.user.string()});
  CHECK(idle.eventsAdded == 0);
  CHECK(idle.totals.events == r4.totals.events);
}

TEST_CASE("Cursor: a live database in WAL mode, read through its -wal", "[cursor]") {
  Env env;
  const json full = fixtureJson("global-state.json");
  const fs::path user = env.tmp.path() / "User";
  const fs::path dbPath = user / "globalStorage" / "state.vscdb";
  buildState(dbPath, firstBubbles(full, 3), /*wal=*/true);
  // Cursor keeps the database open: new rows sit in the -wal, the main file does not change.
  Db writer(dbPath);
  writer.exec("PRAGMA wal_autocheckpoint=0");
  writer.exec("SELECT count(*) FROM cursorDiskKV");
  auto r1 = env.index({user.string()});
  CHECK(r1.errors.empty());
  const int64_t n1 = r1.totals.events;
  CHECK(n1 > 0);

  const json &c = full["cursorDiskKV"]["composerData:" + kComposer];
  writer.exec("BEGIN");
  for (size_t i = 3; i < 7; ++i)
    writer.put("cursorDiskKV", bubbleKey(c["fullConversationHeadersOnly"][i]["bubbleId"]),
               full["cursorDiskKV"][bubbleKey(c["fullConversationHeadersOnly"][i]["bubbleId"])]);
  json seven = firstBubbles(full, 7)["cursorDiskKV"]["composerData:" + kComposer];
  writer.put("cursorDiskKV", "composerData:" + kComposer, seven);
  writer.exec("COMMIT");
  REQUIRE(fs::exists(dbPath.string() + "-wal"));
  auto r2 = env.index({user.string()});
  CHECK(r2.errors.empty());
  CHECK(r2.eventsAdded > 0);
  CHECK(lastOf(env.events("cursor:" + kComposer), EventKind::Shell, "--verbose"));

  // Checkpointed into the main file: nothing is new.
  writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  auto r3 = env.index({user.string()});
  CHECK(r3.errors.empty());
  CHECK(r3.eventsAdded == 0);
}

TEST_CASE("Cursor: a WAL database nobody has open is read without creating files beside it",
          "[cursor]") {
  Env env;
  const fs::path user = env.tmp.path() / "User";
  const fs::path dbPath = user / "globalStorage" / "state.vscdb";
  buildState(dbPath, fixtureJson("global-state.json"), /*wal=*/true); // closed: no -wal left
  REQUIRE_FALSE(fs::exists(dbPath.string() + "-wal"));
  auto r = env.index({(user / "globalStorage").string()});
  CHECK(r.errors.empty());
  CHECK(env.store->session("cursor:" + kComposer));
  CHECK_FALSE(fs::exists(dbPath.string() + "-wal"));
  CHECK_FALSE(fs::exists(dbPath.string() + "-shm"));
}

TEST_CASE("Cursor: a bad bubble, a truncated database and a locked one are reported, the rest "
          "kept",
          "[cursor]") {
  Env env;
  json global = fixtureJson("global-state.json");
  CursorUser cu(env.tmp.path(), global);
  {
    Db db(cu.globalDb());
    db.putRaw(bubbleKey("0c0c0c0c-0000-4000-8000-000000000bad"), "{\"type\": 2, \"text\": \"cut");
  }
  auto r = env.index({cu.user.string()});
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].file == cu.globalDb().string());
  CHECK(r.errors[0].message.find("bubbleId:" + kComposer + ":0c0c0c0c") != std::string::npos);
  CHECK(r.errors[0].message.find("invalid JSON") != std::string::npos);
  CHECK(r.totals.sessions == 3);
  const int64_t events = r.totals.events;

  // A truncated copy: the problem names the file; the other databases are read all the same.
  Env env2;
  CursorUser cu2(env2.tmp.path(), global);
  const std::string bytes = readFile(cu2.globalDb());
  REQUIRE(bytes.size() > 8192);
  writeFile(cu2.globalDb(), bytes.substr(0, 8192));
  auto t = env2.index({cu2.user.string()});
  REQUIRE_FALSE(t.errors.empty());
  CHECK(t.errors[0].file == cu2.globalDb().string());
  CHECK(env2.store->session("cursor:" + kTab)); // the workspace database
  // Restored, it is read whole.
  writeFile(cu2.globalDb(), bytes);
  auto t2 = env2.index({cu2.user.string()});
  CHECK(t2.errors.empty());
  CHECK(t2.totals.events == events);

  // Locked by its writer: said so, retried on the next run.
  Env env3;
  CursorUser cu3(env3.tmp.path(), global);
  {
    Db holder(cu3.globalDb());
    holder.exec("BEGIN EXCLUSIVE");
    holder.exec("DELETE FROM ItemTable WHERE key = 'workbench.colorTheme'");
    auto l = env3.index({cu3.user.string()});
    REQUIRE_FALSE(l.errors.empty());
    CHECK(l.errors[0].message.find("locked") != std::string::npos);
    CHECK_FALSE(env3.store->session("cursor:" + kComposer));
    holder.exec("ROLLBACK");
  }
  auto l2 = env3.index({cu3.user.string()});
  CHECK(l2.errors.empty());
  CHECK(l2.totals.events == events);
}

TEST_CASE("Cursor: the CLI's store.db, results paired with their calls", "[cursor]") {
  Env env;
  const json fx = fixtureJson("cli-store.json");
  const fs::path dbPath = env.tmp.path() / ".cursor" / "chats" /
                          "0f6d1c3b5a7e9d2c4b6a8e0f1d3c5b7a" / kAgent / "store.db";
  auto build = [&](size_t blobs) {
    fs::remove(dbPath);
    Db db(dbPath);
    db.exec("CREATE TABLE blobs (id TEXT PRIMARY KEY, data BLOB);"
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);");
    std::string hex;
    for (unsigned char ch : fx["meta"].dump()) {
      char buf[3];
      std::snprintf(buf, sizeof buf, "%02x", ch);
      hex += buf;
    }
    db.exec("INSERT INTO meta VALUES('0', '" + hex + "')");
    for (size_t i = 0; i < blobs && i < fx["blobs"].size(); ++i) {
      const json &b = fx["blobs"][i];
      std::string data;
      if (b.contains("json")) {
        data = b["json"].dump();
      } else {
        // A tree node: a hash reference, then the message as embedded JSON.
        data = std::string("\x0a\x20", 2) + std::string(32, '\x5a') + "\x12" +
               static_cast<char>(0x01) + b["binary"].dump() + std::string("\x18\x01", 2);
      }
      char id[65];
      std::snprintf(id, sizeof id, "%064zx", i + 1);
      sqlite3_stmt *st = nullptr;
      REQUIRE(sqlite3_prepare_v2(db.db, "INSERT INTO blobs VALUES(?1, ?2)", -1, &st, nullptr) ==
              SQLITE_OK);
      sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_blob(st, 2, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
      REQUIRE(sqlite3_step(st) == SQLITE_DONE);
      sqlite3_finalize(st);
    }
  };
  const size_t all = fx["blobs"].size();
  build(6); // up to the failing test run's call, its result not yet written
  auto r1 = env.index({(env.tmp.path() / ".cursor").string()});
  CHECK(r1.errors.empty());
  const std::string id = "cursor:" + kAgent;
  auto s = env.store->session(id);
  REQUIRE(s);
  CHECK(s->title == "Add a test for calc");
  CHECK(s->model == "gpt-5");
  CHECK(s->project == kProject);

  build(all); // the rest, in a later run
  auto r2 = env.index({(env.tmp.path() / ".cursor").string()});
  CHECK(r2.errors.empty());
  const auto events = env.events(id);
  CHECK(texts(events, EventKind::User) ==
        std::vector<std::string>{"Add a pytest test for calc.py and run it"});
  std::vector<int> codes;
  for (const auto &e : events)
    if (e.kind == EventKind::Shell) {
      REQUIRE(e.exitCode);
      codes.push_back(*e.exitCode);
    }
  CHECK(codes == std::vector<int>{1, 0}); // the result of a later run merged into its call
  CHECK(lastOf(events, EventKind::Shell, "pytest")->text.find("1 passed") != std::string::npos);
  const Event *fix = lastOf(events, EventKind::Edit, "test_calc.py");
  REQUIRE(fix);
  CHECK(fix->tool == "StrReplace");
  const std::string want = "import subprocess\n\n\ndef test_sum():\n    out = subprocess.run("
                           "[\"python3\", \"calc.py\", \"2\", \"3\"], capture_output=True, "
                           "text=True)\n    assert out.stdout == \"5\\n\"\n";
  CHECK(fileAt(env, id, fix->seq, kProject + "/test_calc.py") == want);
  for (const auto &e : events)
    CHECK((e.kind != EventKind::ToolResult || e.tool == "Read"));

  // A single run over the whole store gives the same steps.
  Env ref;
  fs::create_directories(dbPath.parent_path());
  auto r3 = ref.index({(env.tmp.path() / ".cursor").string()});
  CHECK(shape(ref.events(id)) == shape(events));
  CHECK(r3.totals.events == r2.totals.events);
}

TEST_CASE("Cursor: agent transcripts, and none when a database has the conversation", "[cursor]") {
  TempDir tmp;
  const fs::path project = tmp.path() / "work" / "my_app";
  fs::create_directories(project);
  std::string slug;
  for (char c : project.generic_string().substr(1))
    slug += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  const fs::path cursorHome = tmp.path() / ".cursor";
  const fs::path dir = cursorHome / "projects" / slug / "agent-transcripts";
  const std::string lines =
      R"({"role":"user","message":{"content":[{"type":"text","text":"<user_query>\nrename the helper\n</user_query>"}]}})"
      "\n"
      R"({"role":"assistant","message":{"content":[{"type":"text","text":"[REDACTED]"},{"type":"tool_use","name":"StrReplace","input":{"path":"util.py","old_string":"def helper(","new_string":"def normalize("}}]}})"
      "\n"
      R"({"role":"assistant","message":{"content":[{"type":"tool_use","name":"Shell","input":{"command":"python3 -m pytest -q"}},{"type":"text","text":"Renamed."}]}})"
      "\n";
  writeFile(dir / "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.jsonl", lines);
  writeFile(dir / (kComposer + ".jsonl"), lines);

  Env env;
  CursorUser cu(env.tmp.path(), fixtureJson("global-state.json"));
  ScopedEnv user("CURSOR_USER_DIR", cu.user.string());
  ScopedEnv home("CURSOR_HOME", cursorHome.string());
  auto r = env.index({cursorHome.string()});
  CHECK(r.errors.empty());
  auto s = env.store->session("cursor:7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  REQUIRE(s);
  CHECK(s->project == project.generic_string());
  CHECK(s->title == "rename the helper");
  const auto events = env.events(s->id);
  CHECK(texts(events, EventKind::Assistant) == std::vector<std::string>{"Renamed."});
  const Event *edit = lastOf(events, EventKind::Edit, "util.py");
  REQUIRE(edit);
  CHECK(edit->data["changes"][0]["path"] == (project / "util.py").generic_string());
  CHECK(lastOf(events, EventKind::Shell, "pytest"));
  // The composer's own transcript adds nothing: the database has its conversation.
  CHECK_FALSE(env.store->session("cursor:" + kComposer));
}

TEST_CASE("Cursor: which files are its own", "[cursor]") {
  CursorAdapter a;
  const std::string sqlite("SQLite format 3\0", 16);
  CHECK(a.claims("/x/User/globalStorage/state.vscdb", sqlite + "...CREATE TABLE cursorDiskKV") ==
        8);
  CHECK(a.claims("/x/Code/User/globalStorage/state.vscdb", sqlite + "CREATE TABLE ItemTable") == 0);
  CHECK(a.claims("/x/Cursor/User/workspaceStorage/1/state.vscdb", sqlite + "ItemTable") == 6);
  CHECK(a.claims("/x/state.vscdb", "not a database") == 0);
  CHECK(a.claims("/x/Cursor/User/globalStorage/state.vscdb-wal", {}) == 0);
  CHECK(a.claims("/x/Cursor/User/globalStorage/state.vscdb.backup", {}) == 0);
  CHECK(a.claims("/h/.cursor/chats/abc/def/store.db", sqlite + "CREATE TABLE blobs meta") == 8);
  CHECK(a.claims("/h/.cursor/projects/p/agent-transcripts/x.jsonl", "{\"role\":\"user\"") == 6);
  CHECK(a.readsItself("/x/state.vscdb"));
  CHECK_FALSE(a.readsItself("/x/a.jsonl"));
}

TEST_CASE("Cursor: the shared real samples parse without errors", "[cursor]") {
  const fs::path dir = sharedReal("cursor");
  if (dir.empty()) {
    WARN("../shared/fixtures/real/cursor not found: skipped");
    return;
  }
  // The CLI store.db (meta only): a session with its name and model.
  {
    Env env;
    const fs::path store = env.tmp.path() / "chats" / "h" / "s" / "store.db";
    fs::create_directories(store.parent_path());
    fs::copy_file(dir / "agent-sessions_cli_store.db", store);
    auto r = env.index({store.string()});
    CHECK(r.errors.empty());
    auto s = env.store->session("cursor:a1b2c3d4-e5f6-7890-abcd-ef1234567890");
    REQUIRE(s);
    CHECK(s->title == "Test Session");
    CHECK(s->model == "claude-4-sonnet");
  }
  // The composer + bubbles dump, loaded into a cursorDiskKV table as its authors do.
  {
    Env env;
    const json fx = json::parse(readFile(dir / "cass_composer_headers_fixture.json"));
    json tables = {{"ItemTable", json::object()}, {"cursorDiskKV", json::object()}};
    tables["cursorDiskKV"][fx["composer_key"].get<std::string>()] = fx["composer_data"];
    for (const auto &b : fx["bubble_rows"])
      tables["cursorDiskKV"][b["key"].get<std::string>()] = b["value"];
    const fs::path db = env.tmp.path() / "Cursor" / "User" / "globalStorage" / "state.vscdb";
    buildState(db, tables);
    auto r = env.index({db.string()});
    CHECK(r.errors.empty());
    CHECK(r.unknown == 1); // the type-99 bubble, kept as meta
    auto s = env.store->session("cursor:comp-fixture-headers");
    REQUIRE(s);
    CHECK(s->title == fx["expected_title"]);
    CHECK(s->project == fx["expected_workspace"]);
    const auto events = env.events(s->id);
    CHECK(texts(events, EventKind::User) == std::vector<std::string>{"User content from rawText"});
    CHECK(texts(events, EventKind::Assistant) ==
          std::vector<std::string>{"Assistant content from content"});
    CHECK(texts(events, EventKind::Meta) ==
          std::vector<std::string>{"Tool output from message field"});
  }
  // The transcripts, read as a transcript file.
  CursorAdapter a;
  for (const char *name :
       {"agent-sessions_agent-transcript.jsonl", "agent-sessions_subagent-transcript.jsonl",
        "deja-vu_agent-transcript.jsonl"}) {
    INFO(name);
    auto parser = a.open(dir / name, nullptr);
    CollectSink c;
    std::istringstream in(readFile(dir / name));
    std::string l;
    int64_t n = 0;
    while (std::getline(in, l))
      parser->line(l, ++n, c);
    CHECK(c.problems.empty());
    CHECK(c.unknown == 0);
    CHECK_FALSE(c.texts(EventKind::User).empty());
    for (const auto &t : c.texts(EventKind::Assistant))
      CHECK(t != "[REDACTED]");
  }
  auto parser = a.open(dir / "agent-sessions_agent-transcript.jsonl", nullptr);
  CollectSink c;
  std::istringstream in(readFile(dir / "agent-sessions_agent-transcript.jsonl"));
  std::string l;
  int64_t n = 0;
  while (std::getline(in, l))
    parser->line(l, ++n, c);
  CHECK(c.texts(EventKind::User) ==
        std::vector<std::string>{"run ls command", "now show me the git status"});
  std::vector<std::string> commands;
  for (const auto &e : c.events)
    if (e.kind == EventKind::Shell)
      commands.push_back(e.command);
  CHECK(commands == std::vector<std::string>{"ls -la /tmp", "git status"});
}
