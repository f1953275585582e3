// The Gemini CLI adapter on its own: genuine sessions written by Gemini CLI 0.61.0 (.jsonl append
// log with $set records and a resume's second file) and 0.20.2 (.json rewritten in place) from
// tests/fixtures/generated, the other viewers' samples in ../shared/fixtures/real/gemini when
// present, and small hand-written lines for the edge cases.
// The normalized keys (data.changes, data.read, data.cwd) are replayed step by step with the
// timeline's own patch functions (timeline/Patch.h) and checked against EXPECTED.json's files.
#include "ChangeSupport.h"
#include "TestSupport.h"
#include "ingest/GeminiAdapter.h"
#include "timeline/Patch.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <set>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

namespace {

using Collect = CollectSink;

// Feeds one file through a fresh parser as the Indexer does: a whole document as one line,
// otherwise line by line.
void parseInto(const fs::path &p, Collect &c, json state = nullptr) {
  GeminiAdapter a;
  auto parser = a.open(p, state);
  const std::string content = readFile(p);
  if (a.wholeDocument(p)) {
    parser->line(content, 1, c);
    return;
  }
  std::istringstream in(content);
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line))
    parser->line(line, ++n, c);
}

std::vector<fs::path> chatFiles(const std::string &agentDir) {
  std::vector<fs::path> files;
  for (const auto &e : fs::recursive_directory_iterator(fixture("generated/" + agentDir)))
    if (e.path().parent_path().filename() == "chats")
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Every session file of a generated fixture, in name order, through one sink.
Collect parseSession(const std::string &agentDir) {
  Collect c;
  for (const auto &f : chatFiles(agentDir))
    parseInto(f, c);
  return c;
}

Collect parseLines(const std::vector<std::string> &lines, const std::string &name) {
  GeminiAdapter a;
  auto parser = a.open(fs::path("/nowhere/.gemini/tmp/p/chats") / name, nullptr);
  Collect c;
  int64_t n = 0;
  for (const auto &l : lines)
    parser->line(l, ++n, c);
  return c;
}

json expected(const std::string &agentDir) {
  return json::parse(readFile(fixture("generated/" + agentDir + "/EXPECTED.json")));
}

// The events with each tool result folded into its call, as the store does for shell and edit.
std::vector<Event> mergedEvents(const Collect &c) {
  std::vector<Event> out;
  std::map<std::string, size_t> byCall;
  for (const auto &e : c.events) {
    if (e.kind == EventKind::ToolResult && byCall.count(e.callId)) {
      mergeResult(out[byCall[e.callId]], e);
      continue;
    }
    if (!e.callId.empty())
      byCall[e.callId] = out.size();
    out.push_back(e);
  }
  return out;
}

std::string unwrap(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '\n'), s.end());
  return s;
}

// Prompts, tool calls, commands, exit codes and outputs against EXPECTED.json.
void checkAgainstExpected(const std::string &agentDir, bool wrapped) {
  const json ex = expected(agentDir);
  const Collect c = parseSession(agentDir);
  CHECK(c.problems.empty());
  CHECK(c.unknown == 0);
  std::vector<std::string> prompts = c.texts(EventKind::User);
  CHECK(prompts == ex["prompts"].get<std::vector<std::string>>());
  CHECK(std::set<std::string>(prompts.begin(), prompts.end()).size() == prompts.size());

  const auto events = mergedEvents(c);
  std::vector<std::string> calls;
  std::vector<const Event *> shells;
  for (const auto &e : events) {
    if (e.kind == EventKind::Shell || e.kind == EventKind::Edit || e.kind == EventKind::ToolCall)
      calls.push_back(e.tool);
    if (e.kind == EventKind::Shell)
      shells.push_back(&e);
    CHECK(e.kind != EventKind::ToolResult); // every result found its call
  }
  CHECK(calls == ex["tool_calls_in_order"].get<std::vector<std::string>>());
  REQUIRE(shells.size() == ex["commands"].size());
  for (size_t i = 0; i < shells.size(); ++i) {
    const json &cmd = ex["commands"][i];
    INFO("command " << i << ": " << cmd["cmd"]);
    CHECK(shells[i]->command == cmd["cmd"].get<std::string>());
    REQUIRE(shells[i]->exitCode);
    CHECK(*shells[i]->exitCode == cmd["exit_code"].get<int>());
    CHECK(shells[i]->isError == (cmd["exit_code"].get<int>() != 0));
    const std::string want = cmd["output_contains"].get<std::string>();
    const std::string got = shells[i]->text;
    CHECK((wrapped ? unwrap(got) : got).find(want) != std::string::npos);
    CHECK(got.find("Process Group PGID") == std::string::npos);
  }
  const SessionInfo s = c.merged();
  CHECK(s.id == "gemini:" + ex["session_id"].get<std::string>());
  CHECK(s.project == ex["cwd"].get<std::string>());
  CHECK(s.title == ex["prompts"][0].get<std::string>());
  CHECK(s.titleRank == TitleFirstPrompt);
  CHECK_FALSE(s.model.empty());
  for (const auto &e : c.events)
    CHECK(e.sessionId == s.id);
}

const Event *multiEdit(const Collect &c, const char *arg) {
  for (const auto &e : c.events)
    if (e.kind == EventKind::Edit && e.data["input"].contains(arg))
      return &e;
  return nullptr;
}

// --- the normalized keys (model/Model.h), checked against EXPECTED.json ------------------------

} // namespace

TEST_CASE("Gemini 0.61: prompts, tool calls, commands and results match EXPECTED", "[gemini]") {
  checkAgainstExpected("gemini", false);
}

TEST_CASE("Gemini 0.20.2: prompts, tool calls, commands and wrapped results match EXPECTED",
          "[gemini]") {
  checkAgainstExpected("gemini-legacy", true);
}

TEST_CASE("Gemini: the replace of both README lines is an edit keeping its argument", "[gemini]") {
  const Collect now = parseSession("gemini");
  const Event *e = multiEdit(now, "allow_multiple");
  REQUIRE(e);
  CHECK(e->tool == "replace");
  CHECK(e->data["input"]["allow_multiple"] == true);
  CHECK(e->data["input"]["old_string"].get<std::string>().find("python3 -m calc.cli") !=
        std::string::npos);
  CHECK(e->path == "/tmp/realgen/work-rich-gemini/README.md");
  CHECK(e->text == e->data["input"]["new_string"].get<std::string>());

  const Collect legacy = parseSession("gemini-legacy");
  const Event *l = multiEdit(legacy, "expected_replacements");
  REQUIRE(l);
  CHECK(l->tool == "replace");
  CHECK(l->data["input"]["expected_replacements"] == 2);
  CHECK(l->path == "/tmp/realgen-legacy/work-rich-gemini/README.md");

  // The edit's result carries the CLI's diff once merged.
  const auto merged = mergedEvents(now);
  auto it = std::find_if(merged.begin(), merged.end(), [](const Event &x) {
    return x.kind == EventKind::Edit && x.data["input"].contains("allow_multiple");
  });
  REQUIRE(it != merged.end());
  CHECK(it->data["result"]["display"].contains("fileDiff"));
  CHECK(it->data["resultText"].get<std::string>().find("Successfully modified") !=
        std::string::npos);
}

TEST_CASE("Gemini 0.61: the resume's second file merges into the session and adds nothing",
          "[gemini]") {
  const auto files = chatFiles("gemini");
  REQUIRE(files.size() == 2);
  Collect first, second;
  parseInto(files[0], first);
  parseInto(files[1], second);
  CHECK(second.problems.empty());
  CHECK(second.events.empty()); // only the <session_context> block the CLI re-sends
  REQUIRE_FALSE(second.sessions.empty());
  CHECK(second.merged().id == first.merged().id);
  CHECK(second.merged().project == "/tmp/realgen/work-rich-gemini");

  // The first file replays its history in `$set` snapshots twice: nothing is emitted twice.
  std::set<std::string> callIds, resultIds;
  for (const auto &e : first.events) {
    if (e.kind == EventKind::ToolResult)
      CHECK(resultIds.insert(e.callId).second);
    else if (!e.callId.empty())
      CHECK(callIds.insert(e.callId).second);
  }
  CHECK(callIds == resultIds);
  CHECK(callIds.size() == 17);
  std::set<std::string> answers;
  for (const auto &t : first.texts(EventKind::Assistant))
    CHECK(answers.insert(t).second);
}

TEST_CASE("Gemini: a later run resumes from the parser state without repeating", "[gemini]") {
  const fs::path p = chatFiles("gemini")[0];
  const std::string content = readFile(p);
  std::vector<std::string> lines;
  std::istringstream in(content);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  GeminiAdapter a;
  Collect c;
  json state = nullptr;
  // Stop after turn 1 (line 41) and again after turn 2 (line 69), each time with a new parser.
  const std::vector<size_t> stops = {41, 69, lines.size()};
  size_t from = 0;
  for (size_t stop : stops) {
    auto parser = a.open(p, state);
    for (size_t i = from; i < stop; ++i)
      parser->line(lines[i], static_cast<int64_t>(i + 1), c);
    state = parser->state();
    from = stop;
  }
  CHECK(c.texts(EventKind::User) == expected("gemini")["prompts"].get<std::vector<std::string>>());
  CHECK(c.merged().project == "/tmp/realgen/work-rich-gemini");
  CHECK(state.dump().size() < 8192);
  Collect once;
  parseInto(p, once);
  CHECK(c.events.size() == once.events.size());
}

TEST_CASE("Gemini: $set snapshots of the whole conversation are neither lost nor duplicated",
          "[gemini]") {
  const std::string head =
      R"({"sessionId":"s1","projectHash":"abc","startTime":"2026-07-22T07:53:15Z"})";
  // Records are handed over as lines; the parser does not mind whitespace inside one.
  const std::string m1 = R"({"id":"m1","timestamp":"2026-07-22T07:53:16Z","type":"user",
                             "content":[{"text":"first question"}]})";
  const std::string snap = R"({"$set":{"messages":[
      {"id":"m1","type":"user","content":[{"text":"first question"}]},
      {"id":"m2","type":"gemini","model":"gemini-2.5-pro",
       "content":[{"text":"thinking","thought":true},{"text":"the answer"}]}]}})";
  const Collect c = parseLines({head, m1, snap, snap}, "session-x.jsonl");
  CHECK(c.problems.empty());
  CHECK(c.texts(EventKind::User) == std::vector<std::string>{"first question"});
  CHECK(c.texts(EventKind::Assistant) == std::vector<std::string>{"the answer"});
  CHECK(c.texts(EventKind::Reasoning) == std::vector<std::string>{"thinking"});
  CHECK(c.merged().model == "gemini-2.5-pro");
  CHECK(c.merged().project.empty()); // "abc" is no sha256 and nothing states the folder

  const fs::path real = sharedReal("gemini/deja-vu_session-set-snapshot.jsonl");
  if (real.empty()) {
    WARN("../shared/fixtures/real/gemini absent: skipping the deja-vu snapshot sample");
    return;
  }
  Collect d;
  parseInto(real, d);
  CHECK(d.problems.empty());
  CHECK(d.texts(EventKind::User).size() == 1);
  CHECK(d.texts(EventKind::Assistant).size() == 1);
  CHECK(d.merged().id == "gemini:reg-gem-set-001");
}

TEST_CASE("Gemini: a corrupt line is reported by number without its content", "[gemini]") {
  const Collect c = parseLines({R"({"sessionId":"s2","projectHash":"x"})",
                                R"({"id":"u1","type":"user","content":"hello"})",
                                R"({"id":"u2","type":"user","content":"secretvalue123)",
                                R"({"id":"u3","type":"user","content":"again"})"},
                               "session-y.jsonl");
  REQUIRE(c.problems.size() == 1);
  CHECK(c.problems[0].first == 3);
  CHECK(c.problems[0].second.rfind("invalid JSON", 0) == 0);
  CHECK(c.problems[0].second.find("secretvalue") == std::string::npos);
  CHECK(c.texts(EventKind::User) == std::vector<std::string>{"hello", "again"});
}

TEST_CASE("Gemini: unknown records are kept raw as meta and counted", "[gemini]") {
  const Collect c = parseLines(
      {R"({"sessionId":"s3","projectHash":"x"})", R"({"id":"n1","type":"novel","content":"?"})",
       R"({"something":"else"})", R"({"id":"i1","type":"info","content":"Request cancelled."})",
       R"({"$rewindTo":"n1"})"},
      "session-z.jsonl");
  CHECK(c.unknown == 2);
  REQUIRE(c.events.size() == 4);
  CHECK(c.events[0].kind == EventKind::Meta);
  CHECK(c.events[0].data["raw"]["type"] == "novel");
  CHECK(c.events[1].data["raw"]["something"] == "else");
  CHECK(c.events[2].text == "Request cancelled.");
  CHECK(c.events[3].tool == "rewind");
}

TEST_CASE("Gemini: a failed legacy shell run and a failed tool call", "[gemini]") {
  const std::string call = R"J({"id":"g1","type":"gemini","content":"","toolCalls":[
    {"id":"c1","name":"run_shell_command","args":{"command":"false"},"status":"success",
     "result":[{"functionResponse":{"id":"c1","name":"run_shell_command","response":{"output":
       "Command: false\nDirectory: (root)\nOutput: (empty)\nError: (none)\nExit Code: 1"}}}]},
    {"id":"c2","name":"read_file","args":{"file_path":"/a/b.txt"},"status":"error",
     "result":[{"functionResponse":{"id":"c2","name":"read_file",
                "response":{"error":"File not found"}}}]}]})J";
  const Collect c = parseLines({R"({"sessionId":"s4"})", call}, "session-w.jsonl");
  const auto ev = mergedEvents(c);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].kind == EventKind::Shell);
  CHECK(ev[0].command == "false");
  CHECK(ev[0].text.empty());
  CHECK(ev[0].exitCode == 1);
  CHECK(ev[0].isError);
  CHECK(ev[1].kind == EventKind::ToolCall);
  CHECK(ev[1].path == "/a/b.txt");
  CHECK(ev[1].isError);
  CHECK(ev[1].data["resultText"] == "File not found");
}

TEST_CASE("Gemini: every shared real sample parses without a problem", "[gemini]") {
  const fs::path dir = sharedReal("gemini");
  if (dir.empty()) {
    WARN("../shared/fixtures/real/gemini absent: skipping the shared samples");
    return;
  }
  GeminiAdapter a;
  int files = 0;
  for (const auto &e : fs::directory_iterator(dir)) {
    INFO(e.path().filename().string());
    CHECK(a.claims(e.path(), {}) > 0);
    CHECK(a.claims(e.path(), readFile(e.path()).substr(0, 4096)) > 1);
    Collect c;
    parseInto(e.path(), c);
    CHECK(c.problems.empty());
    CHECK_FALSE(c.events.empty());
    CHECK_FALSE(c.merged().id.empty());
    ++files;
  }
  CHECK(files > 0);

  // agent-sessions_large.json escapes its shell outputs' newlines twice; the codes still count.
  Collect large;
  parseInto(dir / "agent-sessions_large.json", large);
  std::vector<std::optional<int>> codes;
  for (const auto &e : mergedEvents(large))
    if (e.kind == EventKind::Shell)
      codes.push_back(e.exitCode);
  CHECK(codes == std::vector<std::optional<int>>{0, 1});
}

TEST_CASE("Gemini: claims its files over Claude's, and reads .json whole", "[gemini]") {
  GeminiAdapter a;
  const fs::path j = "/h/.gemini/tmp/abc/chats/session-2026-11-25T11-45-07f1ec1d.jsonl";
  const fs::path d = "/h/.gemini/tmp/abc/chats/session-2026-11-25T11-45-07f1ec1d.json";
  CHECK(a.claims(j, {}) > 5);
  CHECK(a.claims(d, {}) > 5);
  CHECK(a.claims("/h/.gemini/tmp/abc/logs.json", {}) == 0);
  CHECK(a.claims("/h/.gemini/tmp/abc/checkpoint-x.json", {}) == 0);
  CHECK(a.claims("/x/y.txt", {}) == 0);
  CHECK(a.claims("/x/other.jsonl", {}) > 0);
  CHECK(a.claims("/x/other.jsonl", R"({"sessionId":"a","projectHash":"b"})") > 5);
  CHECK(a.claims("/x/other.jsonl", R"({"$set":{"lastUpdated":"x"}})") > 5);
  CHECK(a.claims("/x/other.jsonl", R"({"sessionId":"a","type":"user","message":"hi"})") == 0);
  CHECK(a.wholeDocument(d));
  CHECK_FALSE(a.wholeDocument(j));
  CHECK(a.agent() == "gemini");
}

TEST_CASE("Gemini 0.61: edits, recorded results and reads replay to EXPECTED",
          "[gemini][changes]") {
  const json exp = expected("gemini");
  const std::string cwd = exp["cwd"];
  auto events = mergedEvents(parseSession("gemini"));
  const Walk w = replay(exp, events);
  CHECK(w.edits == 8);
  CHECK(w.resultChanges == 8); // resultDisplay's originalContent / newContent
  CHECK(w.befores == 8);       // null for the two files write_file created
  CHECK(w.reads == 3);
  CHECK(w.turnChecks >= 5);
  const auto readme = std::find_if(events.begin(), events.end(), [](const Event &e) {
    return e.kind == EventKind::Edit && e.data["input"].contains("allow_multiple");
  });
  REQUIRE(readme != events.end());
  CHECK(readme->data["changes"][0] ==
        json({{"path", cwd + "/README.md"},
              {"op", "replace"},
              {"edits",
               {{{"old", "python3 -m calc.cli"}, {"new", "python3 -m calc"}, {"all", true}}}}}));
  json &applied = readme->data["result"]["changes"][0];
  CHECK(applied["op"] == "write");
  CHECK(applied["before"] == exp["files"]["README.md"]["after_turn_2"]);
  CHECK(applied["content"] == exp["files"]["README.md"]["after_turn_3"]);
  for (auto &e : events)
    if (e.kind == EventKind::Shell)
      CHECK(e.data["cwd"] == cwd);
}

TEST_CASE("Gemini 0.20.2: edits (no recorded result) and reads replay to EXPECTED",
          "[gemini][changes]") {
  const json exp = expected("gemini-legacy");
  auto events = mergedEvents(parseSession("gemini-legacy"));
  const Walk w = replay(exp, events);
  CHECK(w.edits == 8);
  CHECK(w.resultChanges == 0); // 0.20.2 keeps no resultDisplay for edits
  CHECK(w.reads == 3);
  CHECK(w.turnChecks >= 5);
  const auto readme = std::find_if(events.begin(), events.end(), [](const Event &e) {
    return e.kind == EventKind::Edit && e.data["input"].contains("expected_replacements");
  });
  REQUIRE(readme != events.end());
  CHECK(readme->data["changes"][0]["edits"][0] == json({{"old", "python3 -m calc.cli"},
                                                        {"new", "python3 -m calc"},
                                                        {"all", true},
                                                        {"count", 2}}));
  for (auto &e : events)
    if (e.kind == EventKind::Shell)
      CHECK(e.data["cwd"] == exp["cwd"]);
}

TEST_CASE("Gemini: relative paths, truncated and ranged reads, new files", "[gemini][changes]") {
  const std::string head =
      R"({"sessionId":"s1","projectHash":"abc","startTime":"2026-07-22T07:53:15Z","directories":["/w/app"]})";
  auto tool = [](const std::string &id, const std::string &name, const json &args,
                 const json &output, const json &display) {
    json tc = {{"id", id},
               {"name", name},
               {"args", args},
               {"status", "success"},
               {"result",
                {{{"functionResponse",
                   {{"id", id}, {"name", name}, {"response", {{"output", output}}}}}}}},
               {"resultDisplay", display}};
    return json({{"id", "m-" + id},
                 {"timestamp", "2026-07-22T07:53:20Z"},
                 {"type", "gemini"},
                 {"content", ""},
                 {"toolCalls", {tc}}})
        .dump();
  };
  const std::string notice = "\nIMPORTANT: The file content has been truncated.\nStatus: Showing "
                             "lines 1-2 of 9 total lines.\nAction: …\n\n--- FILE CONTENT "
                             "(truncated) ---\nl1\nl2";
  Collect c = parseLines(
      {head,
       tool("w1", "write_file", {{"file_path", "src/new.py"}, {"content", "x\n"}}, "ok",
            {{"fileDiff", "Index: new.py\n===\n--- new.py\tOriginal\n+++ new.py\tWritten\n@@ -0,0 "
                          "+1 @@\n+x\n"},
             {"filePath", "/w/app/src/new.py"},
             {"originalContent", ""},
             {"newContent", "x\n"},
             {"isNewFile", true}}),
       tool("e1", "replace",
            {{"file_path", "src/new.py"}, {"old_string", "x"}, {"new_string", "y"}}, "ok",
            {{"fileDiff", "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n"},
             {"filePath", "/w/app/src/new.py"}}),
       tool("r1", "read_file", {{"file_path", "big.txt"}}, notice,
            "Read lines 1-2 of 9 from big.txt"),
       tool("r2", "read_file", {{"file_path", "/w/app/a.txt"}, {"offset", 3}}, "l4\n", ""),
       tool("r3", "read_file", {{"file_path", "a.txt"}}, "whole\n", ""),
       tool("r4", "read_file", {{"file_path", "logo.png"}}, "", "Read image file: logo.png"),
       tool("s1", "run_shell_command", {{"command", "ls"}, {"dir_path", "src"}},
            "Output: new.py\nProcess Group PGID: 1", "new.py")},
      "session-2026-07-22T07-53-s1.jsonl");
  CHECK(c.problems.empty());
  auto events = mergedEvents(c);
  std::map<std::string, Event *> byId;
  for (auto &e : events)
    byId[e.callId] = &e;
  CHECK(byId["w1"]->data["changes"][0] ==
        json({{"path", "/w/app/src/new.py"}, {"op", "write"}, {"content", "x\n"}}));
  CHECK(byId["w1"]->data["result"]["changes"][0] == json({{"path", "/w/app/src/new.py"},
                                                          {"op", "write"},
                                                          {"content", "x\n"},
                                                          {"before", nullptr}}));
  // No newContent: the diff, without its headers.
  CHECK(
      byId["e1"]->data["result"]["changes"][0] ==
      json({{"path", "/w/app/src/new.py"}, {"op", "unified"}, {"diff", "@@ -1 +1 @@\n-x\n+y\n"}}));
  // A read_file result is a tool_result step of its own (the Indexer merges only into shell and
  // edit calls): data.read.
  std::map<std::string, Event *> results;
  for (auto &e : c.events)
    if (e.kind == EventKind::ToolResult)
      results[e.callId] = &e;
  CHECK(results["r1"]->data["read"] ==
        json({{"path", "/w/app/big.txt"}, {"content", "l1\nl2"}, {"complete", false}}));
  CHECK(results["r2"]->data["read"]["complete"] == false);
  CHECK(results["r3"]->data["read"] ==
        json({{"path", "/w/app/a.txt"}, {"content", "whole\n"}, {"complete", true}}));
  CHECK(results["r4"]->data["read"].is_null());
  CHECK(byId["s1"]->data["cwd"] == "/w/app/src");
}

TEST_CASE("Gemini: normalized keys of the shared real samples are well-formed",
          "[gemini][changes]") {
  const fs::path dir = sharedReal("gemini");
  if (dir.empty()) {
    WARN("../shared/fixtures/real/gemini absent: skipping the shared samples");
    return;
  }
  for (const auto &entry : fs::directory_iterator(dir)) {
    INFO(entry.path().filename().string());
    Collect c;
    REQUIRE_NOTHROW(parseInto(entry.path(), c));
    for (auto e : mergedEvents(c)) {
      if (e.kind == EventKind::Edit) {
        REQUIRE(e.data.contains("changes"));
        for (const auto &ch : e.data["changes"])
          checkChangeShape(ch);
      }
      if (!e.data.is_object())
        continue;
      if (e.data.contains("read"))
        checkReadShape(e.data["read"]);
      if (e.data.contains("result") && e.data["result"].contains("changes"))
        for (const auto &ch : e.data["result"]["changes"])
          checkChangeShape(ch);
      if (e.kind == EventKind::Shell && e.data.contains("cwd"))
        CHECK(e.data["cwd"].is_string());
    }
  }
}
