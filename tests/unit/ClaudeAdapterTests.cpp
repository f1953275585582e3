// The Claude Code adapter on its own: genuine sessions written by Claude Code 2.1.197 and 1.0.128
// (tests/fixtures/generated), the other viewers' samples in ../shared/fixtures/real/claude when
// present, and small hand-written lines for the edge cases (corrupt lines, unknown records).
// The normalized keys (data.changes, data.read, data.cwd) are replayed step by step with the
// timeline's own patch functions (timeline/Patch.h) and checked against EXPECTED.json's files.
#include "ChangeSupport.h"
#include "TestSupport.h"
#include "ingest/ClaudeAdapter.h"
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

// Feeds a file line by line through a fresh parser, as the Indexer does.
Collect parseFile(const fs::path &p, json state = nullptr) {
  ClaudeAdapter a;
  auto parser = a.open(p, state);
  Collect c;
  std::istringstream in(readFile(p));
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line))
    parser->line(line, ++n, c);
  return c;
}

Collect parseLines(const std::vector<std::string> &lines, const std::string &name = "s.jsonl") {
  ClaudeAdapter a;
  auto parser = a.open(fs::path("/x/projects/p") / name, nullptr);
  Collect c;
  int64_t n = 0;
  for (const auto &l : lines)
    parser->line(l, ++n, c);
  return c;
}

fs::path onlyJsonl(const fs::path &dir, const std::string &contains = "") {
  for (const auto &e : fs::recursive_directory_iterator(dir))
    if (e.path().extension() == ".jsonl" && e.path().string().find(contains) != std::string::npos)
      return e.path();
  return {};
}

json expected(const std::string &agentDir) {
  return json::parse(readFile(fixture("generated/" + agentDir + "/EXPECTED.json")));
}

// --- the normalized keys (model/Model.h), checked against EXPECTED.json ------------------------

// The steps as the Indexer stores them: a result merged into its shell/edit call, any other
// result kept as a step of its own.
std::vector<Event> steps(const Collect &c) {
  std::vector<Event> out;
  std::map<std::string, size_t> calls;
  for (const auto &e : c.events) {
    if (e.kind == EventKind::ToolResult) {
      if (auto it = calls.find(e.callId); it != calls.end()) {
        mergeResult(out[it->second], e);
        continue;
      }
    }
    if ((e.kind == EventKind::Shell || e.kind == EventKind::Edit) && !e.callId.empty())
      calls[e.callId] = out.size();
    out.push_back(e);
  }
  return out;
}

} // namespace

TEST_CASE("Claude 2.1: prompts, tool calls and commands come back in order", "[claude]") {
  const json exp = expected("claude");
  const auto file = fixture("generated/claude/home/.claude/projects") /
                    "-tmp-realgen-work-rich-claude" /
                    (exp["session_id"].get<std::string>() + ".jsonl");
  Collect c = parseFile(file);
  CHECK(c.problems.empty());
  CHECK(c.texts(EventKind::User) == exp["prompts"].get<std::vector<std::string>>());

  // Every tool call the model made, as shell/edit/tool_call events, in the mock's order.
  std::vector<std::string> tools;
  for (const auto &e : c.events)
    if (e.kind == EventKind::Shell || e.kind == EventKind::Edit || e.kind == EventKind::ToolCall)
      tools.push_back(e.tool);
  CHECK(tools == exp["tool_calls_in_order"].get<std::vector<std::string>>());

  std::vector<std::string> commands;
  for (const auto &e : c.events)
    if (e.kind == EventKind::Shell)
      commands.push_back(e.command);
  std::vector<std::string> expCommands;
  for (const auto &cmd : exp["commands"])
    expCommands.push_back(cmd["cmd"]);
  CHECK(commands == expCommands);

  // The failed test run: its result carries exit code 1 and the real output.
  const auto failed = std::find_if(c.events.begin(), c.events.end(), [](const Event &e) {
    return e.kind == EventKind::ToolResult && e.exitCode == 1;
  });
  REQUIRE(failed != c.events.end());
  CHECK(failed->isError);
  CHECK(failed->text.find(exp["failed_command_output_contains"].get<std::string>()) !=
        std::string::npos);

  const std::string sid = "claude:" + exp["session_id"].get<std::string>();
  const SessionInfo s = c.merged(sid);
  CHECK(s.project == exp["cwd"]);
  CHECK(s.branch == "main");
  CHECK(s.version == "2.1.197");
  CHECK(s.title == exp["prompts"][0]);
  CHECK(s.titleRank == TitleFirstPrompt);
  REQUIRE(s.started);
  REQUIRE(s.ended);
  CHECK(*s.started < *s.ended);
  for (const auto &e : c.events)
    CHECK(e.sessionId == sid);
}

TEST_CASE("Claude 2.1: edits keep what the timeline needs", "[claude]") {
  const auto file = onlyJsonl(fixture("generated/claude/home"));
  Collect c = parseFile(file);
  std::vector<const Event *> edits;
  for (const auto &e : c.events)
    if (e.kind == EventKind::Edit)
      edits.push_back(&e);
  const json exp = expected("claude");
  size_t wantEdits = 0;
  for (const auto &t : exp["tool_calls_in_order"])
    wantEdits += t == "Edit" || t == "Write";
  REQUIRE(edits.size() == wantEdits);
  CHECK(edits[0]->tool == "Edit");
  CHECK(edits[0]->path.size() > 0);
  CHECK(edits[0]->data["input"].contains("old_string"));
  CHECK(edits[2]->tool == "Write");
  CHECK(edits[2]->text.find("import unittest") != std::string::npos);
  // The README edit replaces every occurrence.
  const auto replaceAll = std::find_if(edits.begin(), edits.end(), [](const Event *e) {
    return e->data["input"].value("replace_all", false);
  });
  REQUIRE(replaceAll != edits.end());
  CHECK((*replaceAll)->path.find("README.md") != std::string::npos);

  // Each edit's result (originalFile, structuredPatch) arrives as a tool_result with its call id.
  for (const Event *e : edits) {
    const auto r = std::find_if(c.events.begin(), c.events.end(), [&](const Event &x) {
      return x.kind == EventKind::ToolResult && x.callId == e->callId;
    });
    REQUIRE(r != c.events.end());
    CHECK(r->data.contains("structuredPatch"));
  }
}

TEST_CASE("Claude 1.0: MultiEdit, error without exit code, summary in another file", "[claude]") {
  const json exp = expected("claude-legacy");
  const auto dir = fixture("generated/claude-legacy/home/.claude/projects");
  Collect c = parseFile(onlyJsonl(dir, exp["session_id"].get<std::string>()));
  CHECK(c.problems.empty());
  CHECK(c.texts(EventKind::User) == exp["prompts"].get<std::vector<std::string>>());
  const auto multi = std::find_if(c.events.begin(), c.events.end(),
                                  [](const Event &e) { return e.tool == "MultiEdit"; });
  REQUIRE(multi != c.events.end());
  CHECK(multi->kind == EventKind::Edit);
  CHECK(multi->data["input"]["edits"].size() >= 2);

  // 1.0.128 records a failed command only as is_error, with no exit code number.
  const auto failed = std::find_if(c.events.begin(), c.events.end(), [](const Event &e) {
    return e.kind == EventKind::ToolResult && e.isError;
  });
  REQUIRE(failed != c.events.end());
  CHECK(!failed->exitCode);
  CHECK(failed->text.find("FAILED (failures=1)") != std::string::npos);

  // The file with only a summary emits a title hint pointing into the session, and no session.
  Collect summaryOnly;
  for (const auto &e : fs::directory_iterator(dir / "-tmp-realgen-legacy-work-rich-claude"))
    if (e.path().stem() != exp["session_id"].get<std::string>())
      summaryOnly = parseFile(e.path());
  REQUIRE(summaryOnly.hints.size() == 1);
  CHECK(summaryOnly.hints[0].title == "Add --verbose flag to calc CLI");
  CHECK(summaryOnly.events.empty());
  CHECK(summaryOnly.sessions.empty());
  const bool leafKnown = std::any_of(c.events.begin(), c.events.end(), [&](const Event &e) {
    return e.uuid == summaryOnly.hints[0].leafUuid;
  });
  CHECK(leafKnown);
}

TEST_CASE("Claude: a corrupt line is reported with its number and the rest is read", "[claude]") {
  Collect c = parseLines({
      R"({"type":"user","sessionId":"s1","uuid":"u1","timestamp":"2025-01-01T00:00:00Z","message":{"role":"user","content":"first prompt"}})",
      R"({"type":"user","sessionId":"s1","uuid":"u2","message":{"role":"user","content":"trunc)",
      "not json at all",
      "[1,2]",
      R"({"type":"user","sessionId":"s1","uuid":"u3","timestamp":"2025-01-01T00:00:05Z","message":{"role":"user","content":"second prompt"}})",
  });
  REQUIRE(c.problems.size() == 3);
  CHECK(c.problems[0].first == 2);
  CHECK(c.problems[0].second.find("invalid JSON") != std::string::npos);
  CHECK(c.problems[1].first == 3);
  CHECK(c.problems[2].first == 4);
  CHECK(c.problems[2].second.find("array") != std::string::npos);
  CHECK(c.texts(EventKind::User) == std::vector<std::string>{"first prompt", "second prompt"});
}

TEST_CASE("Claude: unknown record types are kept raw and counted — bookkeeping is not a step",
          "[claude]") {
  Collect c = parseLines({
      R"({"type":"user","sessionId":"s1","uuid":"u1","message":{"role":"user","content":"hi"}})",
      R"({"type":"hologram","sessionId":"s1","uuid":"h1","beam":{"colour":"blue"}})",
      R"({"type":"queue-operation","operation":"enqueue","sessionId":"s1","content":"hi"})",
      R"({"type":"last-prompt","lastPrompt":"hi","sessionId":"s1"})",
  });
  CHECK(c.unknown == 1);
  REQUIRE(c.events.size() == 2);
  CHECK(c.events[1].kind == EventKind::Meta);
  CHECK(c.events[1].tool == "hologram");
  CHECK(c.events[1].data["raw"]["beam"]["colour"] == "blue");
}

TEST_CASE("Claude: wrappers, slash commands, compaction and queued prompts", "[claude]") {
  Collect c = parseLines({
      R"({"type":"user","sessionId":"s1","isMeta":true,"message":{"role":"user","content":"Caveat: The messages below were generated by the user"}})",
      R"({"type":"user","sessionId":"s1","message":{"role":"user","content":"<command-name>/compact</command-name>\n<command-message>compact</command-message>\n<command-args>keep tests</command-args>"}})",
      R"({"type":"user","sessionId":"s1","message":{"role":"user","content":"<local-command-stdout>Compacted.</local-command-stdout>"}})",
      R"({"type":"system","subtype":"compact_boundary","sessionId":"s1","compactMetadata":{"trigger":"manual","preTokens":12345}})",
      R"({"type":"user","sessionId":"s1","isCompactSummary":true,"message":{"role":"user","content":"Summary: we fixed the socket."}})",
      R"({"type":"attachment","sessionId":"s1","attachment":{"type":"queued_command","prompt":"also run the linter"}})",
      R"({"type":"assistant","sessionId":"s1","message":{"model":"claude-x","role":"assistant","content":[{"type":"thinking","thinking":"hmm"},{"type":"text","text":"done"}]}})",
  });
  CHECK(c.problems.empty());
  CHECK(c.texts(EventKind::User) ==
        std::vector<std::string>{"/compact keep tests", "also run the linter"});
  CHECK(c.texts(EventKind::Summary) == std::vector<std::string>{"Summary: we fixed the socket."});
  CHECK(c.texts(EventKind::Reasoning) == std::vector<std::string>{"hmm"});
  CHECK(c.texts(EventKind::Assistant) == std::vector<std::string>{"done"});
  const auto metas = c.texts(EventKind::Meta);
  REQUIRE(metas.size() == 3);
  CHECK(metas[1] == "Compacted.");
  CHECK(metas[2].find("12345 tokens") != std::string::npos);
  // A slash command is not a title: the first real prompt is.
  CHECK(c.merged("claude:s1").title == "also run the linter");
  CHECK(c.merged("claude:s1").model == "claude-x");
}

TEST_CASE("Claude: titles — custom beats summary beats ai-title beats first prompt", "[claude]") {
  Collect c = parseLines({
      R"({"type":"user","sessionId":"s1","message":{"role":"user","content":"a long first prompt"}})",
      R"({"type":"ai-title","sessionId":"s1","aiTitle":"AI title"})",
      R"({"type":"custom-title","sessionId":"s1","customTitle":"My title"})",
      R"({"type":"summary","summary":"A summary","leafUuid":"zzz"})",
  });
  CHECK(c.merged("claude:s1").title == "My title");
  REQUIRE(c.hints.size() == 1);
  CHECK(c.hints[0].rank == TitleSummary);
}

TEST_CASE("Claude: parser state survives a restart", "[claude]") {
  ClaudeAdapter a;
  auto p1 = a.open("/x/projects/p/s.jsonl", nullptr);
  Collect c1;
  p1->line(R"({"type":"user","sessionId":"s9","message":{"role":"user","content":"one"}})", 1, c1);
  const json state = p1->state();
  auto p2 = a.open("/x/projects/p/s.jsonl", state);
  Collect c2;
  p2->line(R"({"type":"user","message":{"role":"user","content":"two"}})", 2, c2);
  REQUIRE(c2.events.size() == 1);
  CHECK(c2.events[0].sessionId == "claude:s9");
  // The first prompt already titled the session; the second does not try again.
  for (const auto &s : c2.sessions)
    CHECK(s.titleRank != TitleFirstPrompt);
}

TEST_CASE("Claude: sub-agent transcripts are their own sessions linked to the parent", "[claude]") {
  TempDir tmp;
  const auto dir = tmp.path() / "projects" / "-w-app";
  writeFile(
      dir / "agent-1a2b3c.jsonl",
      R"({"type":"user","isSidechain":true,"sessionId":"parent-1","agentId":"1a2b3c","message":{"role":"user","content":"find TODOs"}})"
      "\n");
  writeFile(
      dir / "parent-2" / "subagents" / "agent-ff00.jsonl",
      R"({"type":"user","isSidechain":true,"sessionId":"parent-2","agentId":"ff00","message":{"role":"user","content":"explore"}})"
      "\n");
  Collect old = parseFile(dir / "agent-1a2b3c.jsonl");
  REQUIRE(old.events.size() == 1);
  CHECK(old.events[0].sessionId == "claude:agent-1a2b3c");
  CHECK(old.merged("claude:agent-1a2b3c").parentId == "claude:parent-1");
  CHECK(old.merged("claude:agent-1a2b3c").isSubagent);
  Collect nested = parseFile(dir / "parent-2" / "subagents" / "agent-ff00.jsonl");
  CHECK(nested.merged("claude:agent-ff00").parentId == "claude:parent-2");

  // A file that merely starts with "agent-" is not a sub-agent transcript.
  Collect notSub =
      parseLines({R"({"type":"user","sessionId":"s1","message":{"role":"user","content":"x"}})"},
                 "agent-sessions_small.jsonl");
  CHECK(!notSub.merged("claude:s1").isSubagent);
}

TEST_CASE("Claude: discovery roots honour CLAUDE_CONFIG_DIR", "[claude]") {
  ClaudeAdapter a;
  const char *old = std::getenv("CLAUDE_CONFIG_DIR");
  const std::string saved = old ? old : "";
  ::setenv("CLAUDE_CONFIG_DIR", "/cfg/claude", 1);
  auto roots = a.roots();
  REQUIRE(roots.size() == 1);
  CHECK(roots[0] == fs::path("/cfg/claude/projects"));
  ::unsetenv("CLAUDE_CONFIG_DIR");
  const auto home = fs::path(std::getenv("HOME") ? std::getenv("HOME") : "");
  roots = a.roots();
  CHECK(std::find(roots.begin(), roots.end(), home / ".claude" / "projects") != roots.end());
  CHECK(std::find(roots.begin(), roots.end(), home / ".config" / "claude" / "projects") !=
        roots.end());
  if (old)
    ::setenv("CLAUDE_CONFIG_DIR", saved.c_str(), 1);
  CHECK(a.claims("/x/s.jsonl", R"({"sessionId":"x"})") > a.claims("/x/s.jsonl", "{}"));
  CHECK(a.claims("/x/s.json", "") == 0);
}

TEST_CASE("Claude: every sample from other viewers parses — prompts in file order", "[claude]") {
  const fs::path dir = sharedReal("claude");
  if (dir.empty()) {
    WARN("../shared/fixtures/real/claude not present: skipping the other viewers' samples");
    return;
  }
  int files = 0;
  for (const auto &entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".jsonl")
      continue;
    ++files;
    INFO(entry.path().string());
    Collect c = parseFile(entry.path());
    // Independent oracle: typed prompts are user records with string content, not meta, not a
    // wrapper — in file order.
    // Text blocks joined (images as "[image]"); nullopt when the content holds tool results.
    auto joinText = [](const json &content) -> std::optional<std::string> {
      if (content.is_string())
        return content.get<std::string>();
      std::string joined;
      for (const auto &b : content) {
        if (!b.is_object())
          continue;
        const std::string type = b.value("type", "");
        if (type == "tool_result")
          return std::nullopt;
        const std::string piece = type == "text"    ? b.value("text", "")
                                  : type == "image" ? "[image]"
                                                    : "";
        if (!piece.empty())
          joined += (joined.empty() ? "" : "\n") + piece;
      }
      return joined;
    };
    std::vector<std::string> want;
    std::istringstream in(readFile(entry.path()));
    std::string line;
    while (std::getline(in, line)) {
      json r = json::parse(line, nullptr, false);
      if (!r.is_object())
        continue;
      std::optional<std::string> text;
      if (r.value("type", "") == "attachment" && r["attachment"].is_object() &&
          r["attachment"].value("type", "") == "queued_command") {
        // Prompts typed while the agent was busy.
        text = joinText(r["attachment"]["prompt"]);
      } else if (r.value("type", "") == "user" && !r.value("isMeta", false) &&
                 !r.value("isCompactSummary", false) && r["message"].is_object()) {
        text = joinText(r["message"]["content"]);
      }
      if (text && !text->empty() && (*text)[0] != '<' && text->rfind("Caveat:", 0) != 0)
        want.push_back(*text);
    }
    std::vector<std::string> got;
    for (const auto &t : c.texts(EventKind::User))
      if (std::find(want.begin(), want.end(), t) != want.end())
        got.push_back(t);
    CHECK(got == want);
    // Problems only for lines that are not records at all.
    for (const auto &[n, msg] : c.problems)
      CHECK((msg.find("expected a JSON object") != std::string::npos ||
             msg.find("no type") != std::string::npos));
    CHECK(!c.events.empty());
  }
  CHECK(files >= 9);
}

TEST_CASE("Claude 2.1: edits and reads carry normalized changes that replay to EXPECTED",
          "[claude][changes]") {
  const json exp = expected("claude");
  auto events = steps(parseFile(onlyJsonl(fixture("generated/claude/home"))));
  const Walk w = replay(exp, events);
  CHECK(w.edits == 8);
  CHECK(w.resultChanges == 8); // every edit's toolUseResult says what was applied
  CHECK(w.befores == 8);       // originalFile, null for the two created files
  CHECK(w.reads == 5);
  CHECK(w.turnChecks >= 5);

  // The ops, in order: Edit -> replace (the README one with all), Write -> write; results ->
  // unified diffs of structuredPatch, the written content.
  std::vector<std::string> ops, resultOps;
  for (auto &e : events)
    if (e.kind == EventKind::Edit) {
      ops.push_back(e.data["changes"][0]["op"]);
      resultOps.push_back(e.data["result"]["changes"][0]["op"]);
    }
  CHECK(ops == std::vector<std::string>{"replace", "replace", "write", "replace", "replace",
                                        "replace", "replace", "write"});
  CHECK(resultOps == std::vector<std::string>{"unified", "unified", "write", "unified", "unified",
                                              "unified", "unified", "write"});
  const auto readme = std::find_if(events.begin(), events.end(), [](const Event &e) {
    return e.kind == EventKind::Edit && e.path.find("README.md") != std::string::npos;
  });
  REQUIRE(readme != events.end());
  const json want = {
      {"path", exp["cwd"].get<std::string>() + "/README.md"},
      {"op", "replace"},
      {"edits", {{{"old", "python3 -m calc.cli"}, {"new", "python3 -m calc"}, {"all", true}}}}};
  CHECK(readme->data["changes"][0] == want);
  CHECK(readme->data["result"]["changes"][0]["diff"].get<std::string>().rfind("@@ -4,8 +4,8 @@\n",
                                                                              0) == 0);
  // Shell steps know where they ran.
  for (auto &e : events)
    if (e.kind == EventKind::Shell)
      CHECK(e.data["cwd"] == exp["cwd"]);
}

TEST_CASE("Claude 1.0: MultiEdit and results without originalFile replay to EXPECTED",
          "[claude][changes]") {
  const json exp = expected("claude-legacy");
  const auto dir = fixture("generated/claude-legacy/home/.claude/projects");
  auto events = steps(parseFile(onlyJsonl(dir, exp["session_id"].get<std::string>())));
  const Walk w = replay(exp, events);
  CHECK(w.edits == 8);
  CHECK(w.resultChanges == 8);
  CHECK(w.befores == 8); // originalFile, MultiEdit's originalFileContents, null when created
  CHECK(w.reads == 5);
  const auto multi = std::find_if(events.begin(), events.end(),
                                  [](const Event &e) { return e.tool == "MultiEdit"; });
  REQUIRE(multi != events.end());
  json &req = multi->data["changes"][0];
  CHECK(req["op"] == "replace");
  REQUIRE(req["edits"].size() == 2);
  CHECK(req["edits"][1]["new"].get<std::string>().find("use --verbose") != std::string::npos);
  // Two hunks, in file order.
  const std::string diff = multi->data["result"]["changes"][0]["diff"];
  CHECK(diff.rfind("@@ -1,4 +1,4 @@\n", 0) == 0);
  CHECK(diff.find("\n@@ -17,6 +17,8 @@\n") != std::string::npos);
}

TEST_CASE("Claude: the recorded result wins over the request — partial and numbered reads",
          "[claude][changes]") {
  const std::string cwd = R"J("cwd":"/w/app","sessionId":"s1")J";
  Collect c = parseLines({
      // Edit whose applied new text lost its trailing spaces (as 1.0 does), relative path.
      R"J({"type":"assistant",)J" + cwd +
          R"J(,"message":{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Edit","input":{"file_path":"src/a.py","old_string":"x = 1","new_string":"x = 2  "}}]}})J",
      R"J({"type":"user",)J" + cwd +
          R"J(,"message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]},"toolUseResult":{"filePath":"/w/app/src/a.py","oldString":"x = 1","newString":"x = 2","originalFile":"x = 1\n","structuredPatch":[{"oldStart":1,"oldLines":1,"newStart":1,"newLines":1,"lines":["-x = 1","+x = 2"]}]}})J",
      // Write over an existing file.
      R"J({"type":"assistant",)J" + cwd +
          R"J(,"message":{"role":"assistant","content":[{"type":"tool_use","id":"t2","name":"Write","input":{"file_path":"/w/app/b.txt","content":"new\n"}}]}})J",
      R"J({"type":"user",)J" + cwd +
          R"J(,"message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t2","content":"ok"}]},"toolUseResult":{"type":"update","filePath":"/w/app/b.txt","content":"new\n","structuredPatch":[],"originalFile":"old\n"}})J",
      // A rejected edit: nothing was applied.
      R"J({"type":"assistant",)J" + cwd +
          R"J(,"message":{"role":"assistant","content":[{"type":"tool_use","id":"t3","name":"Edit","input":{"file_path":"/w/app/c.txt","old_string":"a","new_string":"b"}}]}})J",
      R"J({"type":"user",)J" + cwd +
          R"J(,"message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t3","content":"rejected","is_error":true}]},"toolUseResult":{"filePath":"/w/app/c.txt","oldString":"a","newString":"b","originalFile":"a","structuredPatch":[]}})J",
      // NotebookEdit.
      R"J({"type":"assistant",)J" + cwd +
          R"J(,"message":{"role":"assistant","content":[{"type":"tool_use","id":"t4","name":"NotebookEdit","input":{"notebook_path":"/w/app/n.ipynb","cell_id":"c7","new_source":"print(1)","cell_type":"code","edit_mode":"insert"}}]}})J",
      // Reads: the first 2 of 3 lines; one shown with line numbers; a whole file.
      R"J({"type":"user",)J" + cwd +
          R"J(,"message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"r1","content":"…"}]},"toolUseResult":{"type":"text","file":{"filePath":"/w/app/r.txt","content":"a\nb","numLines":2,"startLine":1,"totalLines":3}}})J",
      R"J({"type":"user",)J" + cwd +
          R"J(,"message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"r2","content":"…"}]},"toolUseResult":{"type":"text","file":{"filePath":"/w/app/r.txt","content":"     1\u2192a\n     2\u2192b\n     3\u2192c","numLines":3,"startLine":1,"totalLines":3}}})J",
      R"J({"type":"user",)J" + cwd +
          R"J(,"message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"r3","content":"…"}]},"toolUseResult":{"type":"text","file":{"filePath":"r.txt","content":"a\nb\nc\n","numLines":4,"startLine":1,"totalLines":4}}})J",
  });
  CHECK(c.problems.empty());
  std::vector<Event *> edits, results;
  for (auto &e : c.events)
    (e.kind == EventKind::Edit ? edits : results).push_back(&e);
  REQUIRE(edits.size() == 4);
  CHECK(edits[0]->data["changes"][0]["path"] == "/w/app/src/a.py");
  CHECK(edits[0]->data["changes"][0]["edits"][0]["new"] == "x = 2  ");
  const json &applied = results[0]->data["changes"][0];
  CHECK(applied["op"] == "unified");
  CHECK(applied["diff"] == "@@ -1,1 +1,1 @@\n-x = 1\n+x = 2\n");
  CHECK(applied["before"] == "x = 1\n");
  CHECK(results[0]->data["oldString"] == "x = 1"); // the raw result is kept
  CHECK(
      results[1]->data["changes"][0] ==
      json({{"path", "/w/app/b.txt"}, {"op", "write"}, {"content", "new\n"}, {"before", "old\n"}}));
  CHECK(results[2]->data["changes"].is_null());
  CHECK(edits[3]->data["changes"][0] == json({{"path", "/w/app/n.ipynb"},
                                              {"op", "notebook"},
                                              {"cell", "c7"},
                                              {"source", "print(1)"},
                                              {"mode", "insert"},
                                              {"cellType", "code"}}));
  REQUIRE(results.size() == 6);
  CHECK(results[3]->data["read"] ==
        json({{"path", "/w/app/r.txt"}, {"content", "a\nb"}, {"complete", false}}));
  CHECK(results[4]->data["read"] ==
        json({{"path", "/w/app/r.txt"}, {"content", "a\nb\nc"}, {"complete", false}}));
  CHECK(results[5]->data["read"] ==
        json({{"path", "/w/app/r.txt"}, {"content", "a\nb\nc\n"}, {"complete", true}}));
}

TEST_CASE("Claude: normalized keys of the other viewers' samples are well-formed",
          "[claude][changes]") {
  const fs::path dir = sharedReal("claude");
  if (dir.empty()) {
    WARN("../shared/fixtures/real/claude not present: skipping the other viewers' samples");
    return;
  }
  int edits = 0;
  for (const auto &entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".jsonl")
      continue;
    INFO(entry.path().string());
    Collect c;
    REQUIRE_NOTHROW(c = parseFile(entry.path()));
    for (auto &e : c.events) {
      if (e.kind == EventKind::Edit) {
        ++edits;
        REQUIRE(e.data["changes"].is_array());
        for (const auto &ch : e.data["changes"])
          checkChangeShape(ch);
      }
      if (e.data.is_object() && e.data.contains("changes") && e.kind == EventKind::ToolResult)
        for (const auto &ch : e.data["changes"])
          checkChangeShape(ch);
      if (e.data.is_object() && e.data.contains("read"))
        checkReadShape(e.data["read"]);
      if (e.kind == EventKind::Shell && e.data.contains("cwd"))
        CHECK(e.data["cwd"].is_string());
    }
  }
  CHECK(edits >= 3);
}
