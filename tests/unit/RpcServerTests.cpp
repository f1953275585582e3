// Tests for the threads of `mantra serve` (server/rpc): requests on the worker pool and their
// cancellation, the background index and its notifications, mantra/event through the
// redactor, and two servers sharing one database. The protocol side is in RpcTests.cpp.
#include "RpcTestSupport.h"

#include "rpc/Cancel.h"
#include "store/WriterLock.h"

using namespace mantra;
using namespace mantra::test;

namespace {

// A home folder holding copies of generated fixtures' session folders (what the agents write).
fs::path fixtureHome(const TempDir &tmp, const std::vector<std::string> &agents) {
  const fs::path home = tmp.path() / "home";
  for (const auto &a : agents)
    copyTree(fixture("generated/" + a + "/home"), home);
  return home;
}

json waitEnd(Peer &p, int64_t run) {
  return p.notification("mantra/indexProgress", [&](const json &params) {
    return params["state"] == "end" && params["run"] == run;
  });
}

// Every session id named by mantra/sessionsChanged so far.
std::set<std::string> changedIds(const std::vector<json> &msgs) {
  std::set<std::string> out;
  for (const auto &params : notifications(msgs, "mantra/sessionsChanged"))
    for (const auto &id : params["sessions"])
      out.insert(id.get<std::string>());
  return out;
}

std::set<std::string> sessionIds(const json &sessionsResult) {
  std::set<std::string> out;
  for (const auto &s : sessionsResult["sessions"])
    out.insert(s["id"].get<std::string>());
  return out;
}

} // namespace

TEST_CASE("rpc: a request in flight is cancelled with -32800 while the other worker answers",
          "[rpc]") {
  auto opts = inProcessOptions(fixtureDb());
  // The search blocks on its worker until it is cancelled (or 20 s pass).
  opts.beforeHandler = [](const std::string &method, const rpc::CancelFlag &cancelled) {
    if (method != "mantra/search")
      return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!cancelled && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  };
  InProcessServer s(opts);
  s.send(initFrame());
  s.send(req(1, "mantra/search", {{"query", "verbose"}}));
  // The search holds one worker; the other answers meanwhile.
  s.send(req(2, "mantra/status"));
  CHECK(s.response(2).contains("result"));
  s.send(req(3, "mantra/sessions"));
  CHECK(s.response(3).contains("result"));
  CHECK(byId(s.msgs, 1).is_null());
  s.send(note("$/cancelRequest", {{"id", 1}}));
  const json cancelled = s.response(1);
  CHECK(errorCode(cancelled) == -32800);
  CHECK(cancelled["error"]["message"] == "request cancelled");
  // Cancelling an answered request, or one never sent, changes nothing.
  s.send(note("$/cancelRequest", {{"id", 2}}));
  s.send(note("$/cancelRequest", {{"id", "nope"}}));
  s.send(req(4, "mantra/status"));
  CHECK(s.response(4).contains("result"));
  s.send(endFrames());
  CHECK(s.wait() == 0);
  checkMessages(s.msgs);
}

TEST_CASE("rpc: a request and its cancel sent together never run", "[rpc]") {
  ServerProcess p(fixtureDb());
  p.send(initFrame());
  CHECK(p.response(0).contains("result"));
  // One write: the server reads all of it before it starts any request.
  p.send(frame(req(1, "mantra/search", {{"query", "verbose"}})) +
         frame(note("$/cancelRequest", {{"id", 1}})) +
         frame(req("two", "mantra/session", {{"session", "f2d6"}})) +
         frame(note("$/cancelRequest", {{"id", "two"}})) + frame(req(3, "mantra/status")));
  CHECK(errorCode(p.response(1)) == -32800);
  CHECK(errorCode(p.response("two")) == -32800);
  CHECK(p.response(3).contains("result"));
  p.send(endFrames());
  CHECK(p.wait() == 0);
}

TEST_CASE("rpc: a cancelled flag interrupts a long SQL statement on its connection", "[rpc]") {
  TempDir tmp;
  auto store = Store::open(tmp / "m.db");
  REQUIRE(store);
  rpc::CancelFlag stopAll{false}, flag{false};
  rpc::ConnectionWatch watch(&stopAll);
  watch.attach(**store);
  // Billions of rows: minutes of work unless interrupted.
  const char *longQuery = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                          "WHERE x < 5000000000) SELECT count(*) FROM c";
  auto run = [&] {
    auto st = (*store)->db().prepare(longQuery);
    REQUIRE(st);
    const auto t0 = std::chrono::steady_clock::now();
    const bool row = st->step();
    return std::make_pair(row || !st->failed(), std::chrono::steady_clock::now() - t0);
  };
  SECTION("the current work's flag") {
    watch.watch(&flag);
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      flag = true;
    });
    const auto [ok, took] = run();
    canceller.join();
    CHECK_FALSE(ok);
    CHECK(took < std::chrono::seconds(2));
  }
  SECTION("the server's stop flag") {
    stopAll = true;
    CHECK_FALSE(run().first);
  }
  // Between pieces of work nothing is watched: the connection works as before.
  watch.watch(nullptr);
  stopAll = false;
  CHECK((*store)->sessions(SessionFilter{}));
}

TEST_CASE("rpc: mantra/event gives the step in full, and every text leaves redacted", "[rpc]") {
  const Run plain = runInProcess(
      initFrame() + frame(req(1, "mantra/event", {{"session", "f2d6"}, {"seq", 4}})) +
          frame(req(2, "mantra/session", {{"session", "f2d6"}, {"from", 4}, {"to", 4}})) +
          endFrames(),
      fixtureDb());
  const json event = byId(plain.msgs, 1)["result"];
  CHECK(event["session"] == "claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b");
  CHECK(event["event"]["data"]["input"]["file_path"] ==
        "/tmp/realgen/work-rich-claude/calc/cli.py");
  // The same step as mantra/session gives, plus its data.
  json withoutData = event["event"];
  withoutData.erase("data");
  CHECK(withoutData == byId(plain.msgs, 2)["result"]["events"][0]);
  checkSchema("mantra/event", "result", event);

  // A rule added after indexing applies on the way out: to the step and to error messages that
  // quote the request.
  auto opts = inProcessOptions(fixtureDb());
  opts.makeRedactor = [] {
    return Redactor::create(RedactOptions{{{"fixture-word", "cli\\.py"}}, {}, {}});
  };
  const Run redacted = runInProcess(
      initFrame() + frame(req(1, "mantra/event", {{"session", "f2d6"}, {"seq", 4}})) +
          frame(req(2, "mantra/session", {{"session", "nosuch-cli.py"}})) + endFrames(),
      opts);
  const json e = byId(redacted.msgs, 1)["result"]["event"];
  CHECK(e["path"] == "/tmp/realgen/work-rich-claude/calc/[REDACTED:fixture-word]");
  CHECK(e["text"] == "/tmp/realgen/work-rich-claude/calc/[REDACTED:fixture-word]");
  CHECK(e["data"]["input"]["file_path"] ==
        "/tmp/realgen/work-rich-claude/calc/[REDACTED:fixture-word]");
  CHECK(e.dump().find("cli.py") == std::string::npos);
  CHECK(byId(redacted.msgs, 2)["error"]["message"] ==
        "no session matches 'nosuch-[REDACTED:fixture-word]'");
}

TEST_CASE("rpc: mantra/reindex runs in the background with progress and sessionsChanged", "[rpc]") {
  TempDir tmp;
  const fs::path home = fixtureHome(tmp, {"claude", "codex", "gemini"});
  InProcessServer s(inProcessOptions(tmp / "m.db"));
  s.send(initFrame());
  // Two reindex requests read together: the second finds the first running.
  s.send(frame(req(1, "mantra/reindex", {{"paths", {home.string()}}})) +
         frame(req(2, "mantra/reindex")));
  CHECK(s.response(1)["result"] == json{{"started", true}, {"run", 1}});
  CHECK(s.response(2)["result"] == json{{"started", false}, {"run", 1}});
  const json end = waitEnd(s, 1);
  REQUIRE_FALSE(end.is_null());
  CHECK(end["outcome"] == "done");
  CHECK(end["report"]["sessions"] == 3);
  CHECK(end["report"]["added"].get<int64_t>() > 0);
  // begin, then reports, then the end; the changed sessions are announced before the end.
  const auto progress = notifications(s.msgs, "mantra/indexProgress");
  REQUIRE(progress.size() >= 2);
  CHECK(progress.front() == json{{"state", "begin"}, {"run", 1}});
  s.send(req(3, "mantra/sessions"));
  const auto ids = sessionIds(s.response(3)["result"]);
  CHECK(ids.size() == 3);
  CHECK(changedIds(s.msgs) == ids);

  // Nothing new: a run that adds nothing announces no session.
  const size_t before = s.msgs.size();
  s.send(req(4, "mantra/reindex", {{"paths", {home.string()}}}));
  CHECK(s.response(4)["result"] == json{{"started", true}, {"run", 2}});
  const json end2 = waitEnd(s, 2);
  CHECK(end2["outcome"] == "done");
  CHECK(end2["report"]["added"] == 0);
  CHECK(changedIds({s.msgs.begin() + static_cast<long>(before), s.msgs.end()}).empty());

  s.send(endFrames());
  CHECK(s.wait() == 0);
  checkMessages(s.msgs);
}

TEST_CASE("rpc: a run skips when another process indexes, and queries are still answered",
          "[rpc]") {
  TempDir tmp;
  const std::string db = copyDb(fixtureDb(), tmp);
  const fs::path home = fixtureHome(tmp, {"codex"});
  auto lock = WriterLock::acquire(db); // as `mantra index` in another process would
  REQUIRE(lock);
  InProcessServer s(inProcessOptions(db));
  s.send(initFrame());
  s.send(req(1, "mantra/reindex", {{"paths", {home.string()}}}));
  const json end = waitEnd(s, 1);
  CHECK(end["outcome"] == "skipped");
  CHECK(end["message"].get<std::string>().find("is indexing") != std::string::npos);
  s.send(req(2, "mantra/sessions"));
  CHECK(s.response(2)["result"]["sessions"].size() == 1);
  s.send(endFrames());
  CHECK(s.wait() == 0);
  CHECK(s.log().find("index run 1: skipped") != std::string::npos);
}

TEST_CASE("rpc: shutdown stops an index run and nothing is sent after its answer", "[rpc]") {
  TempDir tmp;
  const fs::path home = fixtureHome(tmp, {"claude", "codex", "gemini", "claude-legacy"});
  const Run run = runInProcess(
      initFrame() + frame(req(1, "mantra/reindex", {{"paths", {home.string()}}})) + endFrames(),
      tmp / "m.db");
  CHECK(run.exitCode == 0);
  REQUIRE_FALSE(run.msgs.empty());
  CHECK(run.msgs.back()["id"] == 999); // the shutdown answer is the last message
  const auto progress = notifications(run.msgs, "mantra/indexProgress");
  REQUIRE_FALSE(progress.empty());
  const json end = progress.back();
  CHECK(end["state"] == "end");
  CHECK((end["outcome"] == "stopped" || end["outcome"] == "done"));
}

TEST_CASE("rpc: the real server indexes the agents' folders on start", "[rpc]") {
  TempDir tmp;
  const fs::path home = fixtureHome(tmp, {"claude", "codex", "gemini"});
  SECTION("by default") {
    ServerProcess p(tmp / "m.db", home.string());
    p.send(frame(req(1, "initialize", json::object())));
    const json init = p.response(1);
    // Nothing happens before initialize is answered (the figure itself: bench/rpc.py).
    CHECK(std::chrono::steady_clock::now() - p.started < std::chrono::seconds(2));
    CHECK(init.contains("result"));
    p.send(note("initialized"));
    const json end = waitEnd(p, 1);
    CHECK(end["outcome"] == "done");
    CHECK(end["report"]["sessions"] == 3);
    p.send(req(2, "mantra/sessions"));
    CHECK(changedIds(p.msgs) == sessionIds(p.response(2)["result"]));
    p.send(endFrames());
    CHECK(p.wait() == 0);
    checkMessages(p.msgs);
  }
  SECTION("unless the client turns it off") {
    ServerProcess p(tmp / "m.db", home.string());
    p.send(initFrame(1, false) + frame(req(2, "mantra/status")));
    CHECK(p.response(2)["result"]["sessions"] == 0);
    p.send(endFrames());
    CHECK(p.wait() == 0);
    CHECK(notifications(p.msgs, "mantra/indexProgress").empty());
  }
}

TEST_CASE("rpc: two servers on one database both answer while one indexes", "[rpc]") {
  TempDir tmp;
  const fs::path home = fixtureHome(
      tmp, {"claude", "claude-legacy", "codex", "codex-legacy", "gemini", "gemini-legacy"});
  const std::string db = tmp / "m.db";
  // The database exists before the servers start: two processes creating a new database at the
  // same moment can get a transient SQLite error from Store::open's first journal switch.
  REQUIRE(runMantra("--db " + shellQuote(db) + " status").exitCode == 0);
  ServerProcess a(db, home.string()), b(db, home.string());
  const std::string init = frame(req(0, "initialize", json::object())) + frame(note("initialized"));
  a.send(init);
  b.send(init);
  // Queries to both while their start-up runs go on: one indexes, the other waits for the lock
  // or finds the work done.
  for (int i = 1; i <= 30; ++i) {
    const json q = i % 3 == 0   ? req(i, "mantra/status")
                   : i % 3 == 1 ? req(i, "mantra/sessions")
                                : req(i, "mantra/search", {{"query", "verbose"}});
    a.send(q);
    b.send(q);
  }
  for (int i = 1; i <= 30; ++i) {
    INFO(i);
    CHECK(a.response(i).contains("result"));
    CHECK(b.response(i).contains("result"));
  }
  const json endA = waitEnd(a, 1), endB = waitEnd(b, 1);
  REQUIRE_FALSE(endA.is_null());
  REQUIRE_FALSE(endB.is_null());
  int64_t added = 0;
  for (const json &end : {endA, endB}) {
    CHECK((end["outcome"] == "done" || end["outcome"] == "skipped"));
    if (end["outcome"] == "done")
      added += end["report"]["added"].get<int64_t>();
  }
  a.send(req(100, "mantra/status"));
  b.send(req(100, "mantra/status"));
  const json statusA = a.response(100)["result"], statusB = b.response(100)["result"];
  CHECK(statusA["events"] == added); // every step was added once, by whichever run did it
  CHECK(statusA["sessions"] == statusB["sessions"]);
  CHECK(statusA["sessions"].get<int64_t>() >= 6);
  a.send(endFrames());
  b.send(endFrames());
  CHECK(a.wait() == 0);
  CHECK(b.wait() == 0);
}
