// The Codex CLI adapter on its own: genuine rollouts written by Codex 0.169.0 and 0.47.0
// (tests/fixtures/generated), the other viewers' samples in ../shared/fixtures/real/codex when
// present, and small hand-written lines for the edge cases (copies of messages, *_end results,
// repeated session_meta, legacy lines, corrupt lines).
// The normalized keys (data.changes, data.read, data.cwd) are replayed step by step with the
// timeline's own patch functions (timeline/Patch.h) and checked against EXPECTED.json's files.
#include "ChangeSupport.h"
#include "TestSupport.h"
#include "ingest/CodexAdapter.h"
#include "timeline/Patch.h"

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <set>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

namespace {

using Collect = CollectSink;

// Feeds lines through one parser, as the Indexer does.
void feed(FileParser &parser, const std::vector<std::string> &lines, Collect &c, int64_t from = 0) {
  int64_t n = from;
  for (const auto &l : lines)
    parser.line(l, ++n, c);
}

std::vector<std::string> fileLines(const fs::path &p) {
  std::istringstream in(readFile(p));
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

Collect parseFile(const fs::path &p) {
  CodexAdapter a;
  auto parser = a.open(p, nullptr);
  Collect c;
  feed(*parser, fileLines(p), c);
  return c;
}

Collect parseLines(const std::vector<std::string> &lines,
                   const std::string &name = "rollout-2025-01-01T00-00-00-"
                                             "0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee.jsonl") {
  CodexAdapter a;
  auto parser = a.open(fs::path("/h/.codex/sessions/2025/01/01") / name, nullptr);
  Collect c;
  feed(*parser, lines, c);
  return c;
}

fs::path onlyJsonl(const fs::path &dir) {
  for (const auto &e : fs::recursive_directory_iterator(dir))
    if (e.path().extension() == ".jsonl")
      return e.path();
  return {};
}

json expected(const std::string &dir) {
  return json::parse(readFile(fixture("generated/" + dir + "/EXPECTED.json")));
}

// What the Indexer stores: each tool result merged into its shell/edit call (mergeResult, as
// many times as results come), any other result kept as a step of its own.
std::vector<Event> steps(const std::vector<Event> &events) {
  std::vector<Event> out;
  std::map<std::string, size_t> calls;
  for (const auto &e : events) {
    if (e.kind == EventKind::ToolResult && !e.callId.empty()) {
      auto it = calls.find(e.sessionId + "\n" + e.callId);
      if (it != calls.end() &&
          (out[it->second].kind == EventKind::Shell || out[it->second].kind == EventKind::Edit)) {
        mergeResult(out[it->second], e);
        continue;
      }
    }
    if (e.kind != EventKind::ToolResult && !e.callId.empty())
      calls[e.sessionId + "\n" + e.callId] = out.size();
    out.push_back(e);
  }
  return out;
}

std::vector<Event> ofKind(const std::vector<Event> &events, EventKind k) {
  std::vector<Event> out;
  for (const auto &e : events)
    if (e.kind == k)
      out.push_back(e);
  return out;
}

std::string rec(const std::string &type, const json &payload,
                const std::string &ts = "2025-11-02T09:00:00Z") {
  return json{{"timestamp", ts}, {"type", type}, {"payload", payload}}.dump();
}

std::string metaLine(const std::string &id, const std::string &cwd = "/w/app") {
  return rec("session_meta", {{"id", id},
                              {"cwd", cwd},
                              {"cli_version", "0.55.0"},
                              {"originator", "codex_cli_rs"},
                              {"source", "cli"},
                              {"git", {{"branch", "main"}, {"commit_hash", "abc"}}}});
}

std::string userItem(const std::string &text) {
  return rec("response_item", {{"type", "message"},
                               {"role", "user"},
                               {"content", {{{"type", "input_text"}, {"text", text}}}}});
}

std::string assistantItem(const std::string &text) {
  return rec("response_item", {{"type", "message"},
                               {"role", "assistant"},
                               {"content", {{{"type", "output_text"}, {"text", text}}}}});
}

std::string shellCall(const std::string &id, const std::string &cmd) {
  const json args = {{"command", {"bash", "-lc", cmd}}, {"workdir", "/w/app"}};
  return rec(
      "response_item",
      {{"type", "function_call"}, {"name", "shell"}, {"arguments", args.dump()}, {"call_id", id}});
}

std::string callOutput(const std::string &id, const std::string &out) {
  return rec("response_item", {{"type", "function_call_output"}, {"call_id", id}, {"output", out}});
}

// Checks one generated session against its EXPECTED.json.
void checkGenerated(const std::string &dir) {
  const json exp = expected(dir);
  const fs::path file = onlyJsonl(fixture("generated/" + dir + "/home"));
  REQUIRE(!file.empty());
  Collect c = parseFile(file);
  CHECK(c.problems.empty());
  CHECK(c.unknown == 0);

  CHECK(c.texts(EventKind::User) == exp["prompts"].get<std::vector<std::string>>());

  const auto all = steps(c.events);
  CHECK(ofKind(all, EventKind::ToolResult).empty()); // every result found its call
  std::vector<std::string> tools;
  for (const auto &e : all)
    if (e.kind == EventKind::Shell || e.kind == EventKind::Edit || e.kind == EventKind::ToolCall)
      tools.push_back(e.tool);
  CHECK(tools == exp["tool_calls_in_order"].get<std::vector<std::string>>());

  const auto shells = ofKind(all, EventKind::Shell);
  const auto &cmds = exp["commands"];
  REQUIRE(shells.size() == cmds.size());
  for (size_t i = 0; i < shells.size(); ++i) {
    INFO("command " << i << ": " << shells[i].command);
    CHECK(shells[i].command == cmds[i]["cmd"].get<std::string>());
    REQUIRE(shells[i].exitCode.has_value());
    CHECK(*shells[i].exitCode == cmds[i]["exit_code"].get<int>());
    CHECK(shells[i].isError == (cmds[i]["exit_code"].get<int>() != 0));
    CHECK_THAT(shells[i].text, Catch::Contains(cmds[i]["output_contains"].get<std::string>()));
  }

  const SessionInfo s = c.merged();
  CHECK(s.id == "codex:" + exp["session_id"].get<std::string>());
  CHECK(s.project == exp["cwd"].get<std::string>());
  CHECK(s.branch == "main");
  CHECK(s.commit.size() == 40);
  CHECK(s.version == exp["cli_version"].get<std::string>());
  CHECK(!s.model.empty());
  CHECK(s.title == exp["prompts"][0].get<std::string>());
  CHECK(s.titleRank == TitleFirstPrompt);
  CHECK(!s.isSubagent);
  CHECK(s.parentId.empty());
  for (const auto &e : c.events)
    CHECK(e.sessionId == s.id);
}

const json *fileEntry(const json &files, const std::string &path) {
  for (const auto &f : files)
    if (f.value("path", "") == path)
      return &f;
  return nullptr;
}

void checkPatches(const std::string &dir) {
  Collect c = parseFile(onlyJsonl(fixture("generated/" + dir + "/home")));
  const auto edits = ofKind(steps(c.events), EventKind::Edit);
  REQUIRE(edits.size() == 4);
  for (const auto &e : edits) {
    CHECK(e.tool == "apply_patch");
    CHECK_THAT(e.text, Catch::StartsWith("*** Begin Patch"));
    CHECK(e.data["input"]["patch"] == e.text);
    CHECK(!e.isError);
    CHECK(e.exitCode == 0);
    CHECK(e.data["result"].is_object()); // the applied result merged in
    CHECK_THAT(e.data["resultText"].get<std::string>(), Catch::StartsWith("Success."));
  }
  const json &f1 = edits[0].data["input"]["files"];
  CHECK(edits[0].path == "calc/cli.py");
  REQUIRE(fileEntry(f1, "tests/test_cli.py"));
  CHECK((*fileEntry(f1, "tests/test_cli.py"))["op"] == "add");

  const json &f2 = edits[2].data["input"]["files"];
  CHECK(edits[2].path == "calc/ops.py");
  REQUIRE(fileEntry(f2, "calc/ops.py"));
  CHECK((*fileEntry(f2, "calc/ops.py"))["op"] == "update");
  CHECK((*fileEntry(f2, "calc/ops.py"))["moveTo"] == "calc/operations.py");
  REQUIRE(fileEntry(f2, "calc/compat.py"));
  CHECK((*fileEntry(f2, "calc/compat.py"))["op"] == "delete");
  CHECK(fileEntry(f2, "calc/cli.py"));
  CHECK(fileEntry(f2, "tests/test_ops.py"));

  const json &f3 = edits[3].data["input"]["files"];
  REQUIRE(fileEntry(f3, "calc/__main__.py"));
  CHECK((*fileEntry(f3, "calc/__main__.py"))["op"] == "add");
  CHECK(fileEntry(f3, "README.md"));
}

// --- the normalized keys (model/Model.h), checked against EXPECTED.json ------------------------

} // namespace

TEST_CASE("Codex 0.169: prompts, tool calls, commands and exit codes match EXPECTED", "[codex]") {
  checkGenerated("codex");
}

TEST_CASE("Codex 0.47: prompts, tool calls, commands and exit codes match EXPECTED", "[codex]") {
  checkGenerated("codex-legacy");
}

TEST_CASE("Codex: apply_patch edits carry the patch and list its files", "[codex]") {
  SECTION("0.169 (custom tool, FileChange results)") {
    checkPatches("codex");
    Collect c = parseFile(onlyJsonl(fixture("generated/codex/home")));
    const auto edits = ofKind(steps(c.events), EventKind::Edit);
    // The FileChange item's changes (absolute paths, unified diffs) are the merged result, kept
    // raw as fileChanges and normalized as changes.
    CHECK(edits[2].data["result"]["fileChanges"].is_object());
    CHECK(edits[2].data["result"]["changes"].size() == 4);
    CHECK(edits[2].data["result"]["success"] == true);
  }
  SECTION("0.47 (custom tool, JSON output)") {
    checkPatches("codex-legacy");
    Collect c = parseFile(onlyJsonl(fixture("generated/codex-legacy/home")));
    const auto edits = ofKind(steps(c.events), EventKind::Edit);
    CHECK_THAT(edits[2].data["resultText"].get<std::string>(), Catch::Contains("D calc/compat.py"));
    CHECK(edits[2].exitCode == 0);
  }
  SECTION("function apply_patch and a shell heredoc") {
    const std::string patch = "*** Begin Patch\n*** Add File: n.txt\n+hi\n*** End Patch\n";
    const json fnArgs = {{"input", patch}};
    const json shArgs = {{"command", {"bash", "-lc", "apply_patch <<'EOF'\n" + patch + "EOF\n"}}};
    Collect c = parseLines({metaLine("s1"),
                            rec("response_item", {{"type", "function_call"},
                                                  {"name", "apply_patch"},
                                                  {"arguments", fnArgs.dump()},
                                                  {"call_id", "c1"}}),
                            rec("response_item", {{"type", "function_call"},
                                                  {"name", "shell"},
                                                  {"arguments", shArgs.dump()},
                                                  {"call_id", "c2"}})});
    const auto edits = ofKind(c.events, EventKind::Edit);
    REQUIRE(edits.size() == 2);
    for (const auto &e : edits) {
      CHECK(e.tool == "apply_patch");
      CHECK(e.path == "n.txt");
      CHECK(e.text == patch);
      CHECK(e.data["input"]["files"][0]["op"] == "add");
    }
    CHECK(edits[1].data["input"]["command"].get<std::string>().find("<<'EOF'") !=
          std::string::npos);
    CHECK(ofKind(c.events, EventKind::Shell).empty());
  }
  SECTION("0.3x shell argv [\"apply_patch\", patch]") {
    const std::string patch = "*** Begin Patch\n*** Update File: it's.txt\n-a\n+b\n*** End Patch";
    const json args = {{"command", {"apply_patch", patch}}};
    Collect c = parseLines({metaLine("s1"), rec("response_item", {{"type", "function_call"},
                                                                  {"name", "shell"},
                                                                  {"arguments", args.dump()},
                                                                  {"call_id", "c1"}})});
    const auto edits = ofKind(c.events, EventKind::Edit);
    REQUIRE(edits.size() == 1);
    CHECK(edits[0].text == patch);
    CHECK(edits[0].path == "it's.txt");
    CHECK(edits[0].data["input"]["files"][0]["op"] == "update");
  }
}

TEST_CASE("Codex: injected context messages are meta, not prompts", "[codex]") {
  Collect c = parseLines(
      {metaLine("s1"), userItem("# AGENTS.md instructions for /w/app\n\n<INSTRUCTIONS>x"),
       userItem("<environment_context>\n  <cwd>/w/app</cwd>"),
       userItem("<user_instructions>be terse</user_instructions>"), userItem("fix the bug"),
       rec("response_item",
           {{"type", "message"}, {"role", "developer"}, {"content", "<permissions>"}})});
  CHECK(c.texts(EventKind::User) == std::vector<std::string>{"fix the bug"});
  CHECK(c.merged().title == "fix the bug");
  int injected = 0;
  for (const auto &e : c.events)
    injected += e.kind == EventKind::Meta && e.tool == "injected";
  CHECK(injected == 3);
  CHECK(ofKind(c.events, EventKind::Meta).size() == 5); // + session_meta, developer

  // The genuine sessions start with an injected <environment_context> message.
  for (const std::string dir : {"codex", "codex-legacy"}) {
    Collect g = parseFile(onlyJsonl(fixture("generated/" + dir + "/home")));
    bool sawEnv = false;
    for (const auto &e : g.events)
      sawEnv = sawEnv || (e.kind == EventKind::Meta && e.text.find("<environment_context>") == 0);
    CHECK(sawEnv);
  }
}

TEST_CASE("Codex: a repeated session_meta does not start a new session", "[codex]") {
  Collect c = parseLines({metaLine("child-1", "/w/child"), userItem("old prompt from parent"),
                          metaLine("parent-0", "/w/parent"), userItem("new prompt")});
  const SessionInfo s = c.merged();
  CHECK(s.id == "codex:child-1");
  CHECK(s.project == "/w/child");
  for (const auto &e : c.events)
    CHECK(e.sessionId == "codex:child-1");
  for (const auto &i : c.sessions)
    CHECK(i.id == "codex:child-1");
  int metas = 0;
  for (const auto &e : c.events)
    metas += e.tool == "session_meta";
  CHECK(metas == 1);

  SECTION("without any session_meta, the uuid in the file name is the id") {
    Collect d = parseLines({userItem("hello")});
    CHECK(d.events.at(0).sessionId == "codex:0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee");
  }
}

TEST_CASE("Codex: sub-agent and fork metadata", "[codex]") {
  const json spawn = {
      {"subagent", {{"thread_spawn", {{"parent_thread_id", "p-1"}, {"depth", 1}}}}}};
  Collect sub = parseLines({rec("session_meta", {{"id", "c-1"}, {"source", spawn}})});
  CHECK(sub.merged().isSubagent);
  CHECK(sub.merged().parentId == "codex:p-1");

  Collect fork = parseLines({rec("session_meta", {{"id", "f-1"}, {"forked_from_id", "p-2"}})});
  CHECK(!fork.merged().isSubagent);
  CHECK(fork.merged().parentId == "codex:p-2");
  CHECK(fork.events.at(0).data["forked_from_id"] == "p-2");
}

TEST_CASE("Codex: event_msg copies of messages are not duplicated", "[codex]") {
  SECTION("event copy first (agent_message before its item; user_message before its item)") {
    Collect c = parseLines(
        {metaLine("s1"), rec("event_msg", {{"type", "user_message"}, {"message", "Start"}}),
         userItem("Start"), rec("event_msg", {{"type", "agent_message"}, {"message", "Ok"}}),
         assistantItem("Ok"), userItem("Next"),
         rec("event_msg", {{"type", "user_message"}, {"message", "Next"}})});
    CHECK(c.texts(EventKind::User) == std::vector<std::string>{"Start", "Next"});
    CHECK(c.texts(EventKind::Assistant) == std::vector<std::string>{"Ok"});
  }
  SECTION("an item with an image matches the typed text of its event copy") {
    const json content = {{{"type", "input_text"}, {"text", "Look"}},
                          {{"type", "input_image"}, {"image_url", nullptr}}};
    Collect c = parseLines(
        {metaLine("s1"), rec("event_msg", {{"type", "user_message"}, {"message", "Look"}}),
         rec("response_item", {{"type", "message"}, {"role", "user"}, {"content", content}})});
    CHECK(c.texts(EventKind::User) == std::vector<std::string>{"Look"});
  }
  SECTION("event copies only (no response items): all kept") {
    Collect c =
        parseLines({metaLine("s1"), rec("event_msg", {{"type", "user_message"}, {"message", "Hi"}}),
                    rec("event_msg", {{"type", "agent_reasoning"}, {"text", "thinking"}}),
                    rec("event_msg", {{"type", "agent_message"}, {"message", "Hello"}}),
                    rec("event_msg", {{"type", "user_message"}, {"message", "Bye"}})});
    CHECK(c.texts(EventKind::User) == std::vector<std::string>{"Hi", "Bye"});
    CHECK(c.texts(EventKind::Reasoning) == std::vector<std::string>{"thinking"});
    CHECK(c.texts(EventKind::Assistant) == std::vector<std::string>{"Hello"});
    CHECK(c.merged().title == "Hi");
  }
  SECTION("0.47 and 0.169: one step per message") {
    for (const std::string dir : {"codex", "codex-legacy"}) {
      Collect g = parseFile(onlyJsonl(fixture("generated/" + dir + "/home")));
      CHECK(g.texts(EventKind::Assistant).size() == 14);
      CHECK(g.texts(EventKind::Reasoning).size() == 1);
    }
  }
}

TEST_CASE("Codex: *_end events and outputs give one merged step per call", "[codex]") {
  const json end = {{"type", "exec_command_end"},
                    {"call_id", "c1"},
                    {"aggregated_output", "full output\n"},
                    {"exit_code", 2}};
  SECTION("end before output: the output is skipped") {
    Collect c = parseLines({metaLine("s1"), shellCall("c1", "make"), rec("event_msg", end),
                            callOutput("c1", "Exit code: 2\nWall time: 1s\nOutput:\ntrunc")});
    CHECK(ofKind(c.events, EventKind::ToolResult).size() == 1);
    const auto all = steps(c.events);
    const auto sh = ofKind(all, EventKind::Shell);
    REQUIRE(sh.size() == 1);
    CHECK(sh[0].text == "full output\n");
    CHECK(sh[0].exitCode == 2);
    CHECK(sh[0].isError);
    CHECK(ofKind(all, EventKind::ToolResult).empty());
  }
  SECTION("end after output: merged again into the same step") {
    Collect c =
        parseLines({metaLine("s1"), shellCall("c1", "make"),
                    callOutput("c1", "Process running with session ID 7"), rec("event_msg", end)});
    const auto all = steps(c.events);
    REQUIRE(ofKind(all, EventKind::Shell).size() == 1);
    CHECK(ofKind(all, EventKind::Shell)[0].exitCode == 2);
    CHECK(ofKind(all, EventKind::ToolResult).empty());
  }
  SECTION("end for an unknown call, or for a generic tool: dropped") {
    Collect c = parseLines(
        {metaLine("s1"),
         rec("response_item", {{"type", "function_call"},
                               {"name", "view_image"},
                               {"arguments", "{\"path\":\"a.png\"}"},
                               {"call_id", "v1"}}),
         callOutput("v1", "ok"), rec("event_msg", end),
         rec("event_msg", {{"type", "patch_apply_end"}, {"call_id", "v1"}, {"success", true}})});
    CHECK(ofKind(c.events, EventKind::ToolResult).size() == 1);
    CHECK(ofKind(steps(c.events), EventKind::ToolResult).size() == 1);
  }
  SECTION("open calls survive an incremental read") {
    CodexAdapter a;
    const fs::path p = "/h/.codex/sessions/rollout-x-0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee.jsonl";
    auto first = a.open(p, nullptr);
    Collect c;
    feed(*first, {metaLine("s1"), shellCall("c1", "make"), rec("event_msg", end)}, c);
    auto second = a.open(p, first->state());
    feed(*second, {callOutput("c1", "Exit code: 2\nOutput:\ntrunc")}, c, 3);
    CHECK(ofKind(c.events, EventKind::ToolResult).size() == 1);
  }
}

TEST_CASE("Codex: output formats and exit codes", "[codex]") {
  Collect c = parseLines(
      {metaLine("s1"), shellCall("a", "x"),
       callOutput("a", R"({"output":"boom\n","metadata":{"exit_code":3,"duration_seconds":0.1}})"),
       shellCall("b", "y"),
       callOutput("b", "Chunk ID: 1\nWall time: 0.1 seconds\nProcess exited with code 0\n"
                       "Original token count: 3\nOutput:\nfine\n"),
       shellCall("c", "z"), callOutput("c", "Exit code: 1\nWall time: 0 seconds\nOutput:\nno\n"),
       shellCall("d", "w"),
       rec("response_item", {{"type", "function_call_output"},
                             {"call_id", "d"},
                             {"output", {{"type", "input_text"}, {"text", "obj\n"}}}})});
  const auto sh = ofKind(steps(c.events), EventKind::Shell);
  REQUIRE(sh.size() == 4);
  CHECK(sh[0].text == "boom\n");
  CHECK(sh[0].exitCode == 3);
  CHECK(sh[0].isError);
  CHECK(sh[0].data["result"]["metadata"]["exit_code"] == 3);
  CHECK(sh[1].text == "fine\n");
  CHECK(sh[1].exitCode == 0);
  CHECK(!sh[1].isError);
  CHECK(sh[2].text == "no\n");
  CHECK(sh[2].exitCode == 1);
  CHECK(sh[3].text == "obj\n");
  CHECK(!sh[3].exitCode);
}

TEST_CASE("Codex: older formats parse", "[codex]") {
  SECTION("envelope-less lines with a first {id, instructions} line and state records") {
    Collect c = parseLines(
        {R"({"id":"old-1","timestamp":"2025-05-01T10:00:00Z","instructions":"x",)"
         R"("git":{"branch":"dev"}})",
         R"({"record_type":"state"})",
         R"({"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]})",
         R"({"type":"function_call","name":"shell","arguments":{"command":["ls","-la"]},)"
         R"("call_id":"c1"})",
         R"({"type":"function_call_output","call_id":"c1",)"
         R"("output":"{\"output\":\"a\\n\",\"metadata\":{\"exit_code\":0}}"})",
         R"({"type":"local_shell_call","call_id":"c2","status":"completed",)"
         R"("action":{"type":"exec","command":["bash","-lc","echo 1"]}})",
         R"({"type":"function_call","name":"shell_command","call_id":"c3"})"});
    CHECK(c.problems.empty());
    CHECK(c.unknown == 0);
    CHECK(c.merged().id == "codex:old-1");
    CHECK(c.merged().branch == "dev");
    CHECK(c.texts(EventKind::User) == std::vector<std::string>{"hi"});
    const auto sh = ofKind(steps(c.events), EventKind::Shell);
    REQUIRE(sh.size() == 3);
    CHECK(sh[0].command == "ls -la");
    CHECK(sh[0].exitCode == 0);
    CHECK(sh[0].text == "a\n");
    CHECK(sh[1].command == "echo 1");
    CHECK(sh[1].tool == "local_shell_call");
    CHECK(sh[2].command.empty()); // arguments missing
  }
  SECTION("chat-style records without call ids pair in order") {
    Collect c = parseLines(
        {R"({"created_at":"2025-09-10T12:00:00Z","role":"user","message":"Translate hello"})",
         R"({"created_at":"2025-09-10T12:00:01Z","type":"function_call",)"
         R"("function":{"name":"translate"},"arguments":{"text":"hello"}})",
         R"({"type":"function_result","name":"translate","result":"hola"})",
         R"({"role":"assistant","content":"hola"})"});
    CHECK(c.problems.empty());
    CHECK(c.texts(EventKind::User) == std::vector<std::string>{"Translate hello"});
    CHECK(c.texts(EventKind::Assistant) == std::vector<std::string>{"hola"});
    const auto calls = ofKind(c.events, EventKind::ToolCall);
    const auto results = ofKind(c.events, EventKind::ToolResult);
    REQUIRE(calls.size() == 1);
    REQUIRE(results.size() == 1);
    CHECK(calls[0].tool == "translate");
    CHECK(results[0].callId == calls[0].callId);
    CHECK(results[0].text == "hola");
    CHECK(calls[0].time.has_value());
  }
}

TEST_CASE("Codex: a corrupt line is reported with its number and the rest parsed", "[codex]") {
  Collect c = parseLines({metaLine("s1"), userItem("one"), R"({"type":"response_item","payload":{)",
                          "[1,2]", userItem("two")});
  REQUIRE(c.problems.size() == 2);
  CHECK(c.problems[0].first == 3);
  CHECK_THAT(c.problems[0].second, Catch::StartsWith("invalid JSON"));
  CHECK(c.problems[0].second.find("payload") == std::string::npos); // content not quoted
  CHECK(c.problems[1].first == 4);
  CHECK(c.texts(EventKind::User) == std::vector<std::string>{"one", "two"});
}

TEST_CASE("Codex: unknown records are kept raw and counted — bookkeeping is dropped", "[codex]") {
  Collect c = parseLines(
      {metaLine("s1"), rec("mystery", {{"x", 1}}), rec("event_msg", {{"type", "brand_new_event"}}),
       rec("event_msg", {{"type", "token_count"}, {"info", nullptr}}),
       rec("turn_context", {{"model", "gpt-5"}, {"cwd", "/w/app"}}),
       rec("world_state", {{"full", true}}), rec("compacted", {{"message", "summary of the work"}}),
       rec("event_msg", {{"type", "error"}, {"message", "rate limited"}})});
  CHECK(c.unknown == 2);
  const auto metas = ofKind(c.events, EventKind::Meta);
  REQUIRE(metas.size() == 4); // session_meta, two unknown, error
  CHECK(metas[1].tool == "mystery");
  CHECK(metas[1].data["raw"]["payload"]["x"] == 1);
  CHECK(metas[2].tool == "event_msg:brand_new_event");
  CHECK(metas[3].isError);
  CHECK(metas[3].text == "rate limited");
  CHECK(c.texts(EventKind::Summary) == std::vector<std::string>{"summary of the work"});
  CHECK(c.merged().model == "gpt-5");
}

TEST_CASE("Codex: the other viewers' samples parse", "[codex]") {
  const fs::path dir = sharedReal("codex");
  if (dir.empty()) {
    WARN("../shared/fixtures/real/codex not present: skipped");
    return;
  }
  CodexAdapter a;
  int files = 0;
  for (const auto &entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".jsonl")
      continue;
    ++files;
    INFO(entry.path().filename().string());
    const auto lines = fileLines(entry.path());
    const std::string head = readFile(entry.path()).substr(0, 4096);
    CHECK(a.claims(entry.path(), head) > 0);
    Collect c = parseFile(entry.path());
    for (const auto &[line, msg] : c.problems) {
      INFO("line " << line << ": " << msg);
      const json j = json::parse(lines.at(static_cast<size_t>(line - 1)), nullptr, false);
      CHECK((j.is_discarded() || !j.is_object()));
    }
    CHECK(!c.events.empty());
    for (const auto &e : c.events)
      CHECK(e.sessionId.rfind("codex:", 0) == 0);
  }
  CHECK(files > 0);
}

TEST_CASE("Codex: claims and roots", "[codex]") {
  CodexAdapter a;
  const fs::path rollout = "/h/.codex/sessions/2025/01/01/rollout-2025-01-01T00-00-00-x.jsonl";
  CHECK(a.claims(rollout, {}) > 0);
  CHECK(a.claims("/any/where/notes.jsonl", {}) > 0);
  CHECK(a.claims("/h/.codex/config.toml", {}) == 0);
  const std::string head = metaLine("s1") + "\n";
  CHECK(a.claims("/tmp/x.jsonl", head) > 5); // above the Claude adapter's best
  CHECK(a.claims(rollout, head) > a.claims("/tmp/x.jsonl", head));
  CHECK(a.claims("/tmp/x.jsonl", R"({"parentUuid":null,"sessionId":"a","type":"user"})") == 0);

  const char *old = std::getenv("CODEX_HOME");
  const std::string saved = old ? old : "";
  ::setenv("CODEX_HOME", "/opt/codexhome", 1);
  auto r = a.roots();
  REQUIRE(r.size() == 2);
  CHECK(r[0] == fs::path("/opt/codexhome/sessions"));
  CHECK(r[1] == fs::path("/opt/codexhome/archived_sessions"));
  ::unsetenv("CODEX_HOME");
  r = a.roots();
  REQUIRE(r.size() == 2);
  CHECK(r[0].generic_string().find("/.codex/sessions") != std::string::npos);
  if (old)
    ::setenv("CODEX_HOME", saved.c_str(), 1);
}

TEST_CASE("Codex: an incremental read keeps the id, the title and the dedup flag", "[codex]") {
  const fs::path file = onlyJsonl(fixture("generated/codex-legacy/home"));
  const auto lines = fileLines(file);
  const Collect whole = parseFile(file);
  CodexAdapter a;
  Collect c;
  auto first = a.open(file, nullptr);
  const std::vector<std::string> head(lines.begin(), lines.begin() + 20);
  const std::vector<std::string> tail(lines.begin() + 20, lines.end());
  feed(*first, head, c);
  auto second = a.open(file, json::parse(first->state().dump()));
  feed(*second, tail, c, 20);
  CHECK(c.texts(EventKind::User) == whole.texts(EventKind::User));
  CHECK(c.texts(EventKind::Assistant) == whole.texts(EventKind::Assistant));
  CHECK(c.merged().title == whole.merged().title);
  CHECK(c.merged().id == whole.merged().id);
  CHECK(c.events.size() == whole.events.size());
}

TEST_CASE("Codex 0.169: apply_patch changes, FileChange results and cat reads replay to EXPECTED",
          "[codex][changes]") {
  const json exp = expected("codex");
  const std::string cwd = exp["cwd"];
  auto events = steps(parseFile(onlyJsonl(fixture("generated/codex/home"))).events);
  const Walk w = replay(exp, events);
  CHECK(w.edits == 4);
  CHECK(w.resultChanges == 4); // every patch has its FileChange item
  CHECK(w.befores == 1);       // the deleted compat.py's content
  CHECK(w.reads == 3);         // cat calc/cli.py, cat tests/test_ops.py, cat README.md
  CHECK(w.turnChecks >= 7);

  auto edits = ofKind(events, EventKind::Edit);
  // One change per file section, in patch order.
  const json &first = edits[0].data["changes"];
  REQUIRE(first.size() == 2);
  CHECK(first[0]["path"] == cwd + "/calc/cli.py");
  CHECK(first[0]["op"] == "patch");
  CHECK(first[0]["patch"].get<std::string>().rfind("@@ def build_parser():\n", 0) == 0);
  CHECK(first[1]["path"] == cwd + "/tests/test_cli.py");
  CHECK(first[1]["op"] == "write");
  CHECK(first[1]["content"] == exp["files"]["tests/test_cli.py"]["after_turn_1"]);
  const json &moved = edits[2].data["changes"];
  REQUIRE(moved.size() == 4);
  CHECK(moved[0]["op"] == "patch");
  CHECK(moved[0]["to"] == cwd + "/calc/operations.py");
  CHECK(moved[0]["patch"] == "@@\n-\"\"\"Arithmetic operations for calc.\"\"\"\n+\"\"\"Arithmetic "
                             "operations for calc (formerly calc/ops.py).\"\"\"\n");
  CHECK(moved[1] == json({{"path", cwd + "/calc/compat.py"}, {"op", "delete"}}));
  // The applied changes: updates as unified diffs (the move kept), the deletion's content.
  std::map<std::string, json> applied;
  for (const auto &c : edits[2].data["result"]["changes"])
    applied[c["path"]] = c;
  CHECK(applied[cwd + "/calc/ops.py"]["op"] == "unified");
  CHECK(applied[cwd + "/calc/ops.py"]["to"] == cwd + "/calc/operations.py");
  CHECK(applied[cwd + "/calc/compat.py"]["before"] == exp["files"]["calc/compat.py"]["before"]);

  // Shell steps: where they ran, how long they took; the output of `cat` is a complete read.
  for (auto e : ofKind(events, EventKind::Shell)) {
    CHECK(e.data["cwd"] == cwd);
    CHECK(e.data["result"]["durationMs"].is_number_integer());
  }
  auto sh = ofKind(events, EventKind::Shell);
  CHECK(sh[0].data["result"]["read"]["path"] == cwd + "/calc/cli.py");
}

TEST_CASE("Codex 0.47: apply_patch changes and cat reads replay to EXPECTED", "[codex][changes]") {
  const json exp = expected("codex-legacy");
  auto events = steps(parseFile(onlyJsonl(fixture("generated/codex-legacy/home"))).events);
  const Walk w = replay(exp, events);
  CHECK(w.edits == 4);
  CHECK(w.resultChanges == 0); // 0.47 records no patch_apply_end: the request's patch is it
  CHECK(w.reads == 3);
  CHECK(w.turnChecks >= 7);
  for (auto e : ofKind(events, EventKind::Shell)) {
    CHECK(e.data["cwd"] == exp["cwd"]);
    CHECK(e.data["result"]["durationMs"].is_null());
  }
}

TEST_CASE("Codex: cat reads, exec_command_end and patch_apply_end details", "[codex][changes]") {
  auto call = [](const std::string &id, const json &args, const std::string &name = "shell") {
    return rec(
        "response_item",
        {{"type", "function_call"}, {"name", name}, {"arguments", args.dump()}, {"call_id", id}});
  };
  auto argv = [](const std::string &cmd) {
    return json{{"command", {"bash", "-lc", cmd}}, {"workdir", "/w/app"}};
  };
  SECTION("only a plain `cat <one file>` that exited 0 and was not cut is a complete read") {
    Collect c = parseLines({
        metaLine("s1"),
        call("a", argv("cat 'src/my file.txt'")),
        callOutput("a", R"({"output":"x\n","metadata":{"exit_code":0,"duration_seconds":0.0}})"),
        call("b", argv("cat a.txt | head")),
        callOutput("b", "Exit code: 0\nOutput:\nx\n"),
        call("c", argv("cat big.txt")),
        callOutput("c", "Exit code: 0\nWall time: 0 seconds\nTotal output lines: 9000\nOutput:\n"
                        "head\n[... omitted 8990 of 9000 lines ...]\ntail\n"),
        call("d", argv("cat missing.txt")),
        callOutput("d", "Exit code: 1\nOutput:\ncat: missing.txt: No such file\n"),
        call("e", {{"cmd", "cat /etc/hosts"}, {"tty", true}}, "exec_command"),
        callOutput("e", "Process exited with code 0\nOutput:\nx\r\n"),
        call("f", {{"cmd", "cat ../b.txt"}, {"workdir", "sub"}}, "exec_command"),
        callOutput("f", "Chunk ID: 1\nProcess exited with code 0\nOriginal token count: 1\n"
                        "Output:\nab…3 tokens truncated…yz"),
    });
    auto sh = ofKind(steps(c.events), EventKind::Shell);
    REQUIRE(sh.size() == 6);
    CHECK(sh[0].data["result"]["read"] ==
          json({{"path", "/w/app/src/my file.txt"}, {"content", "x\n"}, {"complete", true}}));
    CHECK(sh[1].data["result"]["read"].is_null());
    CHECK(sh[2].data["result"]["read"]["complete"] == false);
    CHECK(sh[3].data["result"]["read"].is_null());
    CHECK(sh[4].data["result"]["read"].is_null());
    CHECK(sh[5].data["cwd"] == "/w/app/sub");
    CHECK(sh[5].data["result"]["read"]["path"] == "/w/app/b.txt");
    CHECK(sh[5].data["result"]["read"]["complete"] == false);
  }
  SECTION("exec_command_end: stdout, stderr, duration and the read from stdout") {
    Collect c = parseLines({metaLine("s1"), call("a", argv("cat x.txt")),
                            rec("event_msg", {{"type", "exec_command_end"},
                                              {"call_id", "a"},
                                              {"stdout", "one\n"},
                                              {"stderr", ""},
                                              {"aggregated_output", "one\n"},
                                              {"exit_code", 0},
                                              {"duration", {{"secs", 1}, {"nanos", 250000000}}}}),
                            callOutput("a", "Exit code: 0\nOutput:\none\n")});
    auto sh = ofKind(steps(c.events), EventKind::Shell);
    REQUIRE(sh.size() == 1);
    json &r = sh[0].data["result"];
    CHECK(r["stdout"] == "one\n");
    CHECK(r["stderr"] == "");
    CHECK(r["durationMs"] == 1250);
    CHECK(r["read"] == json({{"path", "/w/app/x.txt"}, {"content", "one\n"}, {"complete", true}}));
  }
  SECTION("the read survives an incremental read between the call and its result") {
    CodexAdapter a;
    const fs::path p = "/h/.codex/sessions/rollout-x-0199aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee.jsonl";
    auto first = a.open(p, nullptr);
    Collect c;
    feed(*first,
         {metaLine("s1", "/w/app"), rec("turn_context", {{"cwd", "/w/other"}, {"model", "m"}}),
          call("a", {{"command", {"cat", "rel.txt"}}})},
         c);
    auto second = a.open(p, first->state());
    feed(*second, {callOutput("a", "Exit code: 0\nOutput:\nz\n")}, c, 3);
    auto sh = ofKind(steps(c.events), EventKind::Shell);
    REQUIRE(sh.size() == 1);
    CHECK(sh[0].data["cwd"] == "/w/other"); // the turn's cwd wins over the session's
    CHECK(sh[0].data["result"]["read"]["path"] == "/w/other/rel.txt");
  }
  SECTION("patch_apply_end: add, delete, moved update, unusable diff; a failure adds none") {
    const std::string patch =
        "*** Begin Patch\n*** Add File: n.txt\n+hi\n+\n*** Delete File: "
        "old.txt\n*** Update File: a.txt\n*** Move to: b/a.txt\n@@ x\n-1\n+2\n"
        "*** End of File\n*** End Patch\n";
    const json changes = {
        {"/w/app/n.txt", {{"type", "add"}, {"content", "hi\n\n"}}},
        {"/w/app/old.txt", {{"type", "delete"}, {"content", "gone\n"}}},
        {"/w/app/a.txt",
         {{"type", "update"},
          {"unified_diff", "--- a\n+++ b\n@@ -1 +1 @@\n-1\n+2\n"},
          {"move_path", "/w/app/b/a.txt"}}},
        {"/w/app/c.txt",
         {{"type", "update"}, {"unified_diff", "[trimmed]"}, {"move_path", nullptr}}}};
    Collect c = parseLines({metaLine("s1"),
                            rec("response_item", {{"type", "custom_tool_call"},
                                                  {"name", "apply_patch"},
                                                  {"input", patch},
                                                  {"call_id", "p1"}}),
                            rec("event_msg", {{"type", "patch_apply_end"},
                                              {"call_id", "p1"},
                                              {"success", true},
                                              {"changes", changes}}),
                            rec("response_item", {{"type", "custom_tool_call"},
                                                  {"name", "apply_patch"},
                                                  {"input", patch},
                                                  {"call_id", "p2"}}),
                            rec("event_msg", {{"type", "patch_apply_end"},
                                              {"call_id", "p2"},
                                              {"success", false},
                                              {"changes", changes}})});
    auto edits = ofKind(steps(c.events), EventKind::Edit);
    REQUIRE(edits.size() == 2);
    CHECK(edits[0].data["changes"] ==
          json::parse(R"([{"path":"/w/app/n.txt","op":"write","content":"hi\n\n"},
                          {"path":"/w/app/old.txt","op":"delete"},
                          {"path":"/w/app/a.txt","op":"patch","to":"/w/app/b/a.txt",
                           "patch":"@@ x\n-1\n+2\n*** End of File\n"}])"));
    std::map<std::string, json> applied;
    for (const auto &ch : edits[0].data["result"]["changes"]) {
      checkChangeShape(ch);
      applied[ch["path"]] = ch;
    }
    CHECK(applied["/w/app/n.txt"] ==
          json({{"path", "/w/app/n.txt"}, {"op", "write"}, {"content", "hi\n\n"}}));
    CHECK(applied["/w/app/old.txt"]["before"] == "gone\n");
    CHECK(applied["/w/app/a.txt"]["diff"] == "@@ -1 +1 @@\n-1\n+2\n");
    CHECK(applied["/w/app/a.txt"]["to"] == "/w/app/b/a.txt");
    CHECK(applied["/w/app/c.txt"]["op"] == "unknown");
    CHECK(edits[0].data["result"]["fileChanges"] == changes);
    CHECK(edits[1].isError);
    CHECK(edits[1].data["result"]["changes"].is_null());
  }
}

TEST_CASE("Codex: normalized keys of the other viewers' samples are well-formed",
          "[codex][changes]") {
  const fs::path dir = sharedReal("codex");
  if (dir.empty()) {
    WARN("../shared/fixtures/real/codex not present: skipped");
    return;
  }
  int edits = 0;
  for (const auto &entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".jsonl")
      continue;
    INFO(entry.path().filename().string());
    Collect c;
    REQUIRE_NOTHROW(c = parseFile(entry.path()));
    for (auto e : steps(c.events)) {
      if (e.kind == EventKind::Edit) {
        ++edits;
        REQUIRE(e.data.contains("changes"));
        for (const auto &ch : e.data["changes"])
          checkChangeShape(ch);
      }
      if (e.data.is_object() && e.data.contains("result") && e.data["result"].is_object()) {
        const json &r = e.data["result"];
        if (r.contains("changes"))
          for (const auto &ch : r["changes"])
            checkChangeShape(ch);
        if (r.contains("read"))
          checkReadShape(r["read"]);
      }
      if (e.kind == EventKind::Shell && e.data.contains("cwd"))
        CHECK(e.data["cwd"].is_string());
    }
  }
  CHECK(edits > 0);
}
