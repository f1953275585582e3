// The Indexer end to end on a real SQLite file: generated Claude Code sessions indexed, results
// merged into their calls, incremental re-runs (append, partial line, rewrite), bad input.
#include "IndexSupport.h"
#include "TestSupport.h"
#include "ingest/Indexer.h"
#include "store/WriterLock.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <unistd.h>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

namespace {

using Env = IndexEnv;

json expected(const std::string &dir) {
  return json::parse(readFile(fixture("generated/" + dir + "/EXPECTED.json")));
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l))
    out.push_back(l);
  return out;
}

// A compact fingerprint of a session's events, for comparing two ways of indexing it.
std::vector<std::string> shape(const std::vector<Event> &events) {
  std::vector<std::string> out;
  for (const auto &e : events)
    out.push_back(std::to_string(e.seq) + "|" + std::string(toString(e.kind)) + "|" + e.tool + "|" +
                  e.text + "|" + (e.exitCode ? std::to_string(*e.exitCode) : "-") + "|" +
                  e.data.dump());
  return out;
}

} // namespace

TEST_CASE("Indexer: the generated Claude session, results merged into their calls", "[indexer]") {
  Env env;
  const json exp = expected("claude");
  auto r = env.index({fixture("generated/claude/home").string()});
  CHECK(r.errors.empty());
  CHECK(r.totals.sessions == 1);
  const std::string id = "claude:" + exp["session_id"].get<std::string>();
  auto s = env.store->session(id.substr(0, 12));
  REQUIRE(s);
  CHECK(s->id == id);
  CHECK(s->title == exp["prompts"][0]);
  CHECK(s->project == exp["cwd"]);
  const auto events = env.events(id);
  CHECK(s->events == static_cast<int64_t>(events.size()));
  for (size_t i = 0; i < events.size(); ++i)
    CHECK(events[i].seq == static_cast<int64_t>(i + 1));

  // Shell events: command, output and exit code in one step, as EXPECTED.json lists them.
  std::vector<const Event *> shells;
  for (const auto &e : events)
    if (e.kind == EventKind::Shell)
      shells.push_back(&e);
  REQUIRE(shells.size() == exp["commands"].size());
  for (size_t i = 0; i < shells.size(); ++i) {
    const json &c = exp["commands"][i];
    INFO(c.dump());
    CHECK(shells[i]->command == c["cmd"]);
    REQUIRE(shells[i]->exitCode);
    CHECK(*shells[i]->exitCode == c["exit_code"].get<int>());
    CHECK(shells[i]->isError == (c["exit_code"].get<int>() != 0));
    CHECK(shells[i]->text.find(c["output_contains"].get<std::string>()) != std::string::npos);
  }
  // Edit events carry the agent's result (originalFile, structuredPatch) for the timeline.
  int edits = 0;
  for (const auto &e : events)
    if (e.kind == EventKind::Edit) {
      ++edits;
      CHECK(e.data["result"].contains("structuredPatch"));
    }
  int wantEdits = 0, wantReads = 0;
  for (const auto &t : exp["tool_calls_in_order"]) {
    wantEdits += t == "Edit" || t == "Write";
    wantReads += t == "Read";
  }
  CHECK(edits == wantEdits);
  // Reads stay tool_call + tool_result steps; the result names its tool.
  int readResults = 0;
  for (const auto &e : events)
    if (e.kind == EventKind::ToolResult && e.tool == "Read")
      ++readResults;
  CHECK(readResults == wantReads);
  // No tool result is left dangling as its own step for shell or edit calls.
  for (const auto &e : events)
    if (e.kind == EventKind::ToolResult)
      CHECK(e.tool != "Bash");
}

TEST_CASE("Indexer: a summary file read before its session still titles it", "[indexer]") {
  Env env;
  const json exp = expected("claude-legacy");
  // Files are read in path order, and the summary-only file sorts first.
  auto r = env.index({fixture("generated/claude-legacy/home").string()});
  CHECK(r.errors.empty());
  CHECK(r.totals.sessions == 1);
  CHECK(r.totals.sources == 2);
  auto s = env.store->session(exp["session_id"]);
  REQUIRE(s);
  CHECK(s->title == "Add --verbose flag to calc CLI");
  std::vector<std::string> prompts;
  for (const auto &e : env.events(s->id))
    if (e.kind == EventKind::User)
      prompts.push_back(e.text);
  CHECK(prompts == exp["prompts"].get<std::vector<std::string>>());
}

TEST_CASE("Indexer: running twice changes nothing", "[indexer]") {
  Env env;
  const std::vector<std::string> paths = {fixture("generated/claude/home").string(),
                                          fixture("generated/claude-legacy/home").string()};
  auto first = env.index(paths);
  auto second = env.index(paths);
  CHECK(first.totals.sessions == second.totals.sessions);
  CHECK(first.totals.events == second.totals.events);
  CHECK(first.totals.sources == second.totals.sources);
  CHECK(first.eventsAdded == first.totals.events);
  CHECK(second.eventsAdded == 0);
  CHECK(second.filesRead == 0);
  CHECK(second.bytesRead == 0);
}

TEST_CASE("Indexer: appends, partial lines and results that arrive later", "[indexer]") {
  const auto src = fixture("generated/claude/home/.claude/projects/-tmp-realgen-work-rich-claude/"
                           "f2d6f4b6-9e33-45d2-bedd-760d95df010b.jsonl");
  const auto all = lines(readFile(src));
  REQUIRE(all.size() > 40);
  const std::string id = "claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b";

  Env whole;
  whole.index({src.string()});
  const auto want = shape(whole.events(id));

  Env inc;
  const auto file = inc.tmp.path() / "projects" / "p" / src.filename();
  // Cut after line 22: the failing Bash call (line 22) is in, its result (line 23) is not.
  std::string text;
  for (size_t i = 0; i < 22; ++i)
    text += all[i] + "\n";
  // …and half of line 23, as if Claude Code were writing it right now.
  const std::string half = all[22].substr(0, all[22].size() / 2);
  writeFile(file, text + half);
  auto r1 = inc.index({file.string()});
  REQUIRE(r1.errors.size() == 1);
  CHECK(r1.errors[0].line == 23);
  CHECK(r1.errors[0].message.find("incomplete last line") != std::string::npos);
  auto mid = inc.events(id);
  REQUIRE(!mid.empty());
  CHECK(mid.back().kind == EventKind::Shell);
  CHECK(!mid.back().exitCode); // still running, as far as the log knows

  // The rest arrives: the partial line completes, the result merges into the earlier call.
  std::string rest = all[22].substr(half.size()) + "\n";
  for (size_t i = 23; i < all.size(); ++i)
    rest += all[i] + "\n";
  writeFile(file, rest, /*append=*/true);
  auto r2 = inc.index({file.string()});
  CHECK(r2.errors.empty());
  CHECK(shape(inc.events(id)) == want);
  auto s = inc.store->session(id);
  REQUIRE(s);
  CHECK(s->events == static_cast<int64_t>(want.size()));
}

TEST_CASE("Indexer: a rewritten or shortened file is read again without duplicates", "[indexer]") {
  Env env;
  const auto file =
      env.tmp.path() / "projects" / "p" / "11111111-2222-3333-4444-555555555555.jsonl";
  auto rec = [](const std::string &uuid, const std::string &text) {
    return R"({"type":"user","sessionId":"11111111-2222-3333-4444-555555555555","uuid":")" + uuid +
           R"(","message":{"role":"user","content":")" + text + "\"}}\n";
  };
  writeFile(file, rec("u1", "alpha") + rec("u2", "beta") + rec("u3", "gamma"));
  env.index({file.string()});
  const std::string id = "claude:11111111-2222-3333-4444-555555555555";
  CHECK(env.events(id).size() == 3);

  // Shorter: re-read from the start.
  writeFile(file, rec("u1", "alpha"));
  env.index({file.string()});
  auto ev = env.events(id);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].text == "alpha");

  // Same length or longer but different first bytes: re-read too.
  writeFile(file, rec("u1", "ALPHA") + rec("u2", "delta"));
  env.index({file.string()});
  ev = env.events(id);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].text == "ALPHA");
  CHECK(ev[0].seq == 1);
  CHECK(ev[1].text == "delta");
}

TEST_CASE("Indexer: bad input is reported as path:line and loses nothing else", "[indexer]") {
  Env env;
  const auto dir = env.tmp.path() / "projects" / "p";
  writeFile(dir / "a.jsonl",
            R"({"type":"user","sessionId":"sa","message":{"role":"user","content":"one"}})"
            "\n{\"type\":\"user\",\"sessionId\"\n"
            R"({"type":"user","sessionId":"sa","message":{"role":"user","content":"two"}})"
            "\n");
  writeFile(dir / "b.jsonl",
            R"({"type":"user","sessionId":"sb","message":{"role":"user","content":"other file"}})"
            "\n");
  auto r = env.index({dir.string(), (env.tmp.path() / "missing").string()});
  REQUIRE(r.errors.size() == 2);
  bool sawLine = false, sawMissing = false;
  for (const auto &e : r.errors) {
    if (e.file.find("a.jsonl") != std::string::npos && e.line == 2)
      sawLine = e.message.find("invalid JSON") != std::string::npos;
    if (e.file.find("missing") != std::string::npos)
      sawMissing = true;
  }
  CHECK(sawLine);
  CHECK(sawMissing);
  CHECK(r.skipped == 1);
  CHECK(env.events("claude:sa").size() == 2);
  CHECK(env.events("claude:sb").size() == 1);
}

TEST_CASE("Indexer: discovery walks the agent folders, sub-agents included", "[indexer]") {
  Env env;
  const auto root = env.tmp.path() / "claude-home";
  writeFile(root / "projects" / "-w" / "aaaa.jsonl",
            R"({"type":"user","sessionId":"aaaa","message":{"role":"user","content":"parent"}})"
            "\n");
  writeFile(
      root / "projects" / "-w" / "aaaa" / "subagents" / "agent-b1.jsonl",
      R"({"type":"user","isSidechain":true,"sessionId":"aaaa","message":{"role":"user","content":"child"}})"
      "\n");
  writeFile(root / "projects" / "-w" / "aaaa" / "tool-results" / "x.jsonl", "{}\n");
  writeFile(root / "projects" / "-w" / "notes.txt", "not a session\n");
  const char *old = std::getenv("CLAUDE_CONFIG_DIR");
  const std::string saved = old ? old : "";
  ::setenv("CLAUDE_CONFIG_DIR", root.c_str(), 1);
  auto r = env.index({});
  if (old)
    ::setenv("CLAUDE_CONFIG_DIR", saved.c_str(), 1);
  else
    ::unsetenv("CLAUDE_CONFIG_DIR");
  CHECK(r.filesSeen == 2);
  CHECK(r.errors.empty());
  auto child = env.store->session("claude:agent-b1");
  REQUIRE(child);
  CHECK(child->parentId == "claude:aaaa");
  CHECK(child->isSubagent);
}

TEST_CASE("Indexer: Gemini and Codex sessions end to end, a second run idle", "[indexer]") {
  for (const char *dir : {"gemini", "gemini-legacy", "codex", "codex-legacy"}) {
    INFO(dir);
    Env env;
    const json exp = expected(dir);
    auto r = env.index({fixture(std::string("generated/") + dir + "/home").string()});
    CHECK(r.errors.empty());
    CHECK(r.totals.sessions == 1);
    const std::string id =
        exp["agent"].get<std::string>() + ":" + exp["session_id"].get<std::string>();
    const auto events = env.events(id);
    std::vector<std::string> prompts, commands;
    for (const auto &e : events) {
      if (e.kind == EventKind::User)
        prompts.push_back(e.text);
      if (e.kind == EventKind::Shell)
        commands.push_back(e.command);
    }
    CHECK(prompts == exp["prompts"].get<std::vector<std::string>>());
    REQUIRE(commands.size() == exp["commands"].size());
    for (size_t i = 0; i < commands.size(); ++i)
      CHECK(commands[i] == exp["commands"][i]["cmd"]);
    // Exit codes merged into the shell steps, as the real commands ended.
    size_t k = 0;
    for (const auto &e : events)
      if (e.kind == EventKind::Shell) {
        REQUIRE(e.exitCode);
        CHECK(*e.exitCode == exp["commands"][k++]["exit_code"].get<int>());
      }
    auto again = env.index({fixture(std::string("generated/") + dir + "/home").string()});
    CHECK(again.eventsAdded == 0);
    CHECK(again.totals.events == r.totals.events);
  }
}

TEST_CASE("Indexer: two calls sharing an id both become steps", "[indexer]") {
  Env env;
  const auto file =
      env.tmp.path() / "projects" / "p" / "0c0c0c0c-1111-4222-8333-444444444444.jsonl";
  auto call = [](const std::string &uuid, const std::string &cmd) {
    return json({{"type", "assistant"},
                 {"sessionId", "0c0c0c0c-1111-4222-8333-444444444444"},
                 {"uuid", uuid},
                 {"parentUuid", nullptr},
                 {"message",
                  {{"role", "assistant"},
                   {"content", json::array({{{"type", "tool_use"},
                                             {"id", "same"},
                                             {"name", "Bash"},
                                             {"input", {{"command", cmd}}}}})}}}})
               .dump() +
           "\n";
  };
  writeFile(file, call("a1", "echo one") + call("a2", "echo two"));
  auto r = env.index({file.string()});
  CHECK(r.errors.empty());
  const auto events = env.events("claude:0c0c0c0c-1111-4222-8333-444444444444");
  REQUIRE(events.size() == 2);
  CHECK(events[0].command == "echo one");
  CHECK(events[1].command == "echo two");
  CHECK(events[1].seq == 2);
}

TEST_CASE("Indexer: one writer at a time, the other told who holds the lock", "[indexer]") {
  Env env;
  const std::string db = env.store->path();
  {
    auto held = WriterLock::acquire(db);
    REQUIRE(held);
    Indexer ix(*env.store, env.redactor, makeAdapters());
    auto r = ix.run({fixture("generated/claude/home").string()});
    REQUIRE(!r);
    CHECK(r.error().code == ErrorCode::Busy);
    CHECK(r.error().message.find("pid " + std::to_string(::getpid())) != std::string::npos);
    // The real binary, as a second process, says the same and exits 1; reading still works.
    auto cli = runMantra("--db " + shellQuote(db) + " index " +
                         shellQuote(fixture("generated/claude/home").string()));
    CHECK(cli.exitCode == 1);
    CHECK(cli.err.find("is indexing") != std::string::npos);
    CHECK(runMantra("--db " + shellQuote(db) + " sessions --json").exitCode == 0);
  }
  // Released with its holder: the next run indexes.
  auto r = env.index({fixture("generated/claude/home").string()});
  CHECK(r.totals.sessions == 1);
}

TEST_CASE("Indexer: kill -9 in the middle of indexing loses and duplicates nothing", "[indexer]") {
  // 240 sessions made from the genuine Claude session, each under its own id (~20 MB), so that
  // an index run takes long enough to be killed half-way.
  TempDir tmp;
  const auto src = fixture("generated/claude/home/.claude/projects/-tmp-realgen-work-rich-claude/"
                           "f2d6f4b6-9e33-45d2-bedd-760d95df010b.jsonl");
  const std::string text = readFile(src);
  const std::string id = "f2d6f4b6-9e33-45d2-bedd-760d95df010b";
  for (int i = 0; i < 240; ++i) {
    char newId[40];
    std::snprintf(newId, sizeof newId, "f2d6f4b6-9e33-45d2-bedd-%012d", i);
    std::string copy = text;
    for (size_t at = copy.find(id); at != std::string::npos; at = copy.find(id, at + 1))
      copy.replace(at, id.size(), newId);
    writeFile(tmp.path() / "corpus" / "projects" / "p" / (std::string(newId) + ".jsonl"), copy);
  }
  const std::string corpus = (tmp.path() / "corpus").string();
  const std::string killed = (tmp.path() / "killed.db").string();
  const std::string clean = (tmp.path() / "clean.db").string();

  // Start an index run and kill it hard part-way.
  const std::string cmd = std::string(MANTRA_BINARY) + " --db " + shellQuote(killed) + " index " +
                          shellQuote(corpus) + " >/dev/null 2>&1 & echo $!";
  FILE *p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  int pid = 0;
  REQUIRE(std::fscanf(p, "%d", &pid) == 1);
  ::pclose(p);
  // Kill as soon as it holds the writer lock (it writes its pid there): mid-run.
  for (int i = 0; i < 500 && readFile(killed + ".lock").empty(); ++i)
    ::usleep(2 * 1000);
  ::usleep(50 * 1000);
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i)
    ::usleep(5 * 1000);
  {
    auto half = Store::open(killed);
    REQUIRE(half);
    auto c = (*half)->counts();
    REQUIRE(c);
    if (c->sources == 240)
      WARN("the index run finished before it could be killed; only the restart is tested");
    else
      CHECK(c->sources < 240);
  }

  // Restart, and compare with a clean run: the same sessions, the same events, no more.
  auto resumed = runMantra("--db " + shellQuote(killed) + " index --json " + shellQuote(corpus));
  REQUIRE(resumed.exitCode == 0);
  auto fresh = runMantra("--db " + shellQuote(clean) + " index --json " + shellQuote(corpus));
  REQUIRE(fresh.exitCode == 0);
  CHECK(resumed.json()["sessions"] == 240);
  CHECK(resumed.json()["sessions"] == fresh.json()["sessions"]);
  CHECK(resumed.json()["events"] == fresh.json()["events"]);
  CHECK(resumed.json()["sources"] == fresh.json()["sources"]);
  auto store = Store::open(killed);
  REQUIRE(store);
  auto check = (*store)->db().prepare("PRAGMA integrity_check");
  REQUIRE(check);
  REQUIRE(check->step());
  CHECK(check->text(0) == "ok");
  auto dup = (*store)->db().prepare("SELECT count(*) FROM (SELECT session_id, seq FROM events "
                                    "GROUP BY 1, 2 HAVING count(*) > 1)");
  REQUIRE(dup);
  REQUIRE(dup->step());
  CHECK(dup->int64(0) == 0);
}
