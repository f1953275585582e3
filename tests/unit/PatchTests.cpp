// timeline/Patch: the edits the timeline replays, checked against the genuine sessions in
// tests/fixtures/generated (each agent's own edits must turn the recorded "before" contents into
// the recorded "after" ones), a random round trip of unifiedDiff/applyUnifiedDiff, and the
// failure messages.
#include "timeline/Patch.h"

#include "TestSupport.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <sstream>

using namespace mantra::timeline;
using mantra::test::fixture;
using mantra::test::readFile;
using nlohmann::json;

namespace {

json expected(const std::string &agent) {
  return json::parse(readFile(fixture("generated/" + agent + "/EXPECTED.json")));
}

// files[path][state] from EXPECTED.json ("before", "after_turn_1", …); the file must exist.
std::string state(const json &exp, const std::string &path, const std::string &when) {
  const json &v = exp.at("files").at(path).at(when);
  REQUIRE(v.is_string());
  return v.get<std::string>();
}

std::vector<json> jsonLines(const mantra::test::fs::path &p) {
  std::vector<json> out;
  std::istringstream in(readFile(p));
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      out.push_back(json::parse(line));
  return out;
}

std::vector<mantra::test::fs::path> filesUnder(const std::string &dir, const std::string &ext) {
  std::vector<mantra::test::fs::path> out;
  for (const auto &e : mantra::test::fs::recursive_directory_iterator(fixture(dir)))
    if (e.is_regular_file() && e.path().extension() == ext)
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

mantra::test::fs::path onlyFile(const std::string &dir, const std::string &ext) {
  const auto files = filesUnder(dir, ext);
  REQUIRE(files.size() == 1);
  return files[0];
}

// The apply_patch texts of a Codex rollout, in order.
std::vector<std::string> codexPatches(const std::vector<json> &records) {
  std::vector<std::string> out;
  for (const auto &r : records) {
    const json &p = r.value("payload", json::object());
    if (p.value("type", "") == "custom_tool_call" && p.value("name", "") == "apply_patch")
      out.push_back(p.at("input").get<std::string>());
  }
  return out;
}

// The body of the "*** Update File: <path>" section of an apply_patch text: the lines after its
// header (and "*** Move to:"), up to the next "*** " line other than "*** End of File".
std::string updateSection(const std::string &patch, const std::string &path) {
  std::istringstream in(patch);
  std::string body;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (!inside) {
      inside = line == "*** Update File: " + path;
      continue;
    }
    if (line.rfind("*** Move to: ", 0) == 0)
      continue;
    if (line.rfind("*** ", 0) == 0 && line != "*** End of File")
      break;
    body += line + "\n";
  }
  REQUIRE(inside);
  return body;
}

std::string applied(std::string_view original, std::string_view body) {
  const ApplyResult r = applyContextPatch(original, body);
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK(r.notes.empty());
  return r.content;
}

// Claude Code's structuredPatch hunks as unified-diff text.
std::string hunksToText(const json &hunks) {
  std::string out;
  for (const auto &h : hunks) {
    out += "@@ -" + std::to_string(h.at("oldStart").get<int>()) + "," +
           std::to_string(h.at("oldLines").get<int>()) + " +" +
           std::to_string(h.at("newStart").get<int>()) + "," +
           std::to_string(h.at("newLines").get<int>()) + " @@\n";
    for (const auto &l : h.at("lines"))
      out += l.get<std::string>() + "\n";
  }
  return out;
}

std::string relativeTo(const std::string &path, const std::string &cwd) {
  REQUIRE(path.rfind(cwd + "/", 0) == 0);
  return path.substr(cwd.size() + 1);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Codex apply_patch, from the genuine rollouts

TEST_CASE("Codex apply_patch updates replay to the recorded file states", "[patch]") {
  for (const std::string agent : {"codex", "codex-legacy"}) {
    INFO(agent);
    const json exp = expected(agent);
    const auto patches =
        codexPatches(jsonLines(onlyFile("generated/" + agent + "/home", ".jsonl")));
    REQUIRE(patches.size() == 4);

    // Turn 1: two "@@ def …" hunks, then a fix-up of the second function.
    std::string cli = state(exp, "calc/cli.py", "before");
    cli = applied(cli, updateSection(patches[0], "calc/cli.py"));
    cli = applied(cli, updateSection(patches[1], "calc/cli.py"));
    CHECK(cli == state(exp, "calc/cli.py", "after_turn_1"));

    // Turn 2: Update + Move to, and two more files in the same patch, all with bare "@@".
    CHECK(applied(state(exp, "calc/ops.py", "before"), updateSection(patches[2], "calc/ops.py")) ==
          state(exp, "calc/operations.py", "after_turn_2"));
    CHECK(applied(cli, updateSection(patches[2], "calc/cli.py")) ==
          state(exp, "calc/cli.py", "after_turn_2"));
    CHECK(applied(state(exp, "tests/test_ops.py", "before"),
                  updateSection(patches[2], "tests/test_ops.py")) ==
          state(exp, "tests/test_ops.py", "after_turn_2"));

    // Turn 3: one hunk under "@@ ## Usage" covering both changed lines.
    CHECK(
        applied(state(exp, "README.md", "after_turn_2"), updateSection(patches[3], "README.md")) ==
        state(exp, "README.md", "after_turn_3"));
  }
}

TEST_CASE("applyContextPatch accepts a section with its own header lines", "[patch]") {
  const json exp = expected("codex");
  const auto patches = codexPatches(jsonLines(onlyFile("generated/codex/home", ".jsonl")));
  const std::string &p = patches[2];
  const auto from = p.find("*** Update File: calc/ops.py");
  const auto to = p.find("*** Delete File:");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  CHECK(applied(state(exp, "calc/ops.py", "before"), p.substr(from, to - from)) ==
        state(exp, "calc/operations.py", "after_turn_2"));
}

TEST_CASE("Codex's recorded unified_diff applies to the same states and matches ours", "[patch]") {
  const json exp = expected("codex");
  const std::string cwd = exp.at("cwd");
  std::vector<std::map<std::string, std::string>> diffs; // per FileChange: path -> unified_diff
  for (const auto &r : jsonLines(onlyFile("generated/codex/home", ".jsonl"))) {
    const json &p = r.value("payload", json::object());
    if (p.value("type", "") != "item_completed" ||
        p.value("item", json::object()).value("type", "") != "FileChange")
      continue;
    auto &m = diffs.emplace_back();
    for (const auto &[path, change] : p.at("item").at("changes").items())
      if (change.value("type", "") == "update")
        m[relativeTo(path, cwd)] = change.at("unified_diff").get<std::string>();
  }
  REQUIRE(diffs.size() == 4);

  const std::string cli0 = state(exp, "calc/cli.py", "before");
  const std::string cli1 = state(exp, "calc/cli.py", "after_turn_1");
  const ApplyResult first = applyUnifiedDiff(cli0, diffs[0].at("calc/cli.py"));
  REQUIRE(first.ok);
  const ApplyResult second = applyUnifiedDiff(first.content, diffs[1].at("calc/cli.py"));
  REQUIRE(second.ok);
  CHECK(second.content == cli1);
  CHECK(first.notes.empty());

  struct Step {
    std::string path, before, after;
    size_t change;
  };
  const std::vector<Step> steps = {
      {"calc/cli.py", cli0, first.content, 0},
      {"calc/cli.py", first.content, cli1, 1},
      {"calc/ops.py", state(exp, "calc/ops.py", "before"),
       state(exp, "calc/operations.py", "after_turn_2"), 2},
      {"calc/cli.py", cli1, state(exp, "calc/cli.py", "after_turn_2"), 2},
      {"tests/test_ops.py", state(exp, "tests/test_ops.py", "before"),
       state(exp, "tests/test_ops.py", "after_turn_2"), 2},
      {"README.md", state(exp, "README.md", "after_turn_2"),
       state(exp, "README.md", "after_turn_3"), 3},
  };
  for (const auto &s : steps) {
    INFO(s.path << " in change " << s.change);
    const std::string &recorded = diffs[s.change].at(s.path);
    const ApplyResult r = applyUnifiedDiff(s.before, recorded);
    REQUIRE(r.ok);
    CHECK(r.content == s.after);
    // Codex diffs with one line of context; without our "---"/"+++" lines the texts agree.
    const std::string ours = unifiedDiff(s.before, s.after, s.path, s.path, 1);
    CHECK(ours.substr(ours.find("@@")) == recorded);
  }
}

// ---------------------------------------------------------------------------------------------
// Claude Code structuredPatch and Edit/MultiEdit, Gemini replace, from the genuine sessions

TEST_CASE("Claude structuredPatch hunks and Edit strings replay to the recorded states",
          "[patch]") {
  for (const std::string agent : {"claude", "claude-legacy"}) {
    INFO(agent);
    const json exp = expected(agent);
    const std::string cwd = exp.at("cwd");
    std::map<std::string, std::string> files;
    for (const auto &[path, states] : exp.at("files").items())
      if (states.at("before").is_string())
        files[path] = states.at("before").get<std::string>();

    // Claude Code 1.0 left a second session file holding one summary line; read every file.
    std::vector<json> records;
    for (const auto &f : filesUnder("generated/" + agent + "/home", ".jsonl"))
      for (auto &r : jsonLines(f))
        records.push_back(std::move(r));
    int edits = 0;
    for (const auto &rec : records) {
      const json t = rec.value("toolUseResult", json());
      if (!t.is_object() || !t.contains("structuredPatch") || t.at("structuredPatch").empty())
        continue;
      const std::string path = relativeTo(t.at("filePath"), cwd);
      INFO(path);
      std::string &content = files.at(path);
      for (const char *key : {"originalFile", "originalFileContents"})
        if (t.contains(key))
          CHECK(t.at(key).get<std::string>() == content);

      const ApplyResult byHunks = applyUnifiedDiff(content, hunksToText(t.at("structuredPatch")));
      INFO(byHunks.error);
      REQUIRE(byHunks.ok);
      CHECK(byHunks.notes.empty());

      // The same edit from its strings: Edit's old/new, or each of MultiEdit's in turn.
      std::string byStrings = content;
      json list = t.contains("edits")
                      ? t.at("edits")
                      : json::array({{{"old_string", t.at("oldString")},
                                      {"new_string", t.at("newString")},
                                      {"replace_all", t.value("replaceAll", false)}}});
      for (const auto &e : list) {
        const ApplyResult r = applyReplace(byStrings, e.at("old_string").get<std::string>(),
                                           e.at("new_string").get<std::string>(),
                                           e.value("replace_all", false), std::nullopt);
        REQUIRE(r.ok);
        byStrings = r.content;
      }
      CHECK(byStrings == byHunks.content);
      content = byHunks.content;
      ++edits;
    }
    CHECK(edits >= 6);
    for (const char *path : {"calc/cli.py", "tests/test_ops.py", "README.md"})
      CHECK(files.at(path) == state(exp, path, "after_turn_3"));
  }
}

TEST_CASE("Gemini replace calls (expected_replacements) replay to the recorded states", "[patch]") {
  const json exp = expected("gemini-legacy");
  const std::string cwd = exp.at("cwd");
  const json chat = json::parse(readFile(onlyFile("generated/gemini-legacy/home", ".json")));
  std::map<std::string, std::string> files;
  for (const auto &[path, states] : exp.at("files").items())
    if (states.at("before").is_string())
      files[path] = states.at("before").get<std::string>();
  int replaces = 0;
  for (const auto &m : chat.at("messages"))
    for (const auto &call : m.value("toolCalls", json::array())) {
      const json &args = call.at("args");
      if (call.at("name") == "write_file") {
        files[relativeTo(args.at("file_path"), cwd)] = args.at("content").get<std::string>();
      } else if (call.at("name") == "replace") {
        std::optional<int> count;
        if (args.contains("expected_replacements"))
          count = args.at("expected_replacements").get<int>();
        std::string &content = files.at(relativeTo(args.at("file_path"), cwd));
        const ApplyResult r = applyReplace(content, args.at("old_string").get<std::string>(),
                                           args.at("new_string").get<std::string>(), false, count);
        INFO(r.error);
        REQUIRE(r.ok);
        content = r.content;
        ++replaces;
      }
    }
  CHECK(replaces == 6);
  for (const char *path : {"calc/cli.py", "tests/test_ops.py", "README.md"})
    CHECK(files.at(path) == state(exp, path, "after_turn_3"));
  // Gemini 0.61 says allow_multiple instead: every occurrence.
  const ApplyResult all = applyReplace(state(exp, "README.md", "before"), "python3 -m calc.cli",
                                       "python3 -m calc", true, std::nullopt);
  REQUIRE(all.ok);
  CHECK(all.content == state(exp, "README.md", "after_turn_3"));
}

// ---------------------------------------------------------------------------------------------
// applyReplace

TEST_CASE("applyReplace: counts, creation and failures", "[patch]") {
  const std::string text = "a = 1\nb = 2\na = 1\n";
  SECTION("one occurrence") {
    const auto r = applyReplace(text, "b = 2", "b = 3", false, std::nullopt);
    REQUIRE(r.ok);
    CHECK(r.content == "a = 1\nb = 3\na = 1\n");
    CHECK(r.notes.empty());
  }
  SECTION("ambiguous without all") {
    const auto r = applyReplace(text, "a = 1", "a = 0", false, std::nullopt);
    CHECK_FALSE(r.ok);
    CHECK(r.error == "old text found 2 times, expected 1");
  }
  SECTION("all") {
    const auto r = applyReplace(text, "a = 1", "a = 0", true, std::nullopt);
    REQUIRE(r.ok);
    CHECK(r.content == "a = 0\nb = 2\na = 0\n");
  }
  SECTION("expected count matches") {
    const auto r = applyReplace(text, "a = 1", "x", false, 2);
    REQUIRE(r.ok);
    CHECK(r.content == "x\nb = 2\nx\n");
  }
  SECTION("expected count mismatch") {
    const auto r = applyReplace(text, "a = 1", "x", false, 3);
    CHECK_FALSE(r.ok);
    CHECK(r.error == "old text found 2 times, expected 3");
    CHECK(applyReplace(text, "b = 2", "x", true, 2).error == "old text found 1 time, expected 2");
    CHECK(applyReplace(text, "b", "x", false, 0).error == "expected count 0 is less than 1");
  }
  SECTION("not found") {
    CHECK(applyReplace(text, "c = 3", "x", false, std::nullopt).error == "old text not found");
    CHECK(applyReplace(text, "c = 3", "x", true, std::nullopt).error == "old text not found");
  }
  SECTION("occurrences do not overlap") {
    const auto r = applyReplace("aaaa", "aa", "b", true, std::nullopt);
    REQUIRE(r.ok);
    CHECK(r.content == "bb");
    CHECK(applyReplace("aaa", "aa", "b", false, std::nullopt).content == "ba");
  }
  SECTION("empty old text creates a file") {
    const auto r = applyReplace("", "", "new file\n", false, std::nullopt);
    REQUIRE(r.ok);
    CHECK(r.content == "new file\n");
    CHECK_FALSE(applyReplace(text, "", "x", false, std::nullopt).ok);
  }
  SECTION("deleting text and keeping the missing final newline") {
    const auto r = applyReplace("keep\ndrop", "\ndrop", "", false, std::nullopt);
    REQUIRE(r.ok);
    CHECK(r.content == "keep");
  }
  SECTION("equal old and new text is a no-op with a note") {
    const auto r = applyReplace(text, "b = 2", "b = 2", false, std::nullopt);
    REQUIRE(r.ok);
    CHECK(r.content == text);
    CHECK(r.notes.size() == 1);
  }
}

TEST_CASE("applyReplace keeps CRLF files byte for byte", "[patch]") {
  const std::string crlf = "one\r\ntwo\r\nthree\r\n";
  SECTION("old text with the file's breaks") {
    const auto r = applyReplace(crlf, "two\r\n", "2\r\n", false, std::nullopt);
    REQUIRE(r.ok);
    CHECK(r.content == "one\r\n2\r\nthree\r\n");
    CHECK(r.notes.empty());
  }
  SECTION("old text with bare \\n, as agents send it") {
    const auto r = applyReplace(crlf, "one\ntwo\n", "one\nTWO\nand more\n", false, std::nullopt);
    REQUIRE(r.ok);
    CHECK(r.content == "one\r\nTWO\r\nand more\r\nthree\r\n");
    CHECK(r.notes.size() == 1);
  }
  SECTION("a single-line edit touches nothing else") {
    const auto r = applyReplace("a\r\nb\nc", "b", "B", false, std::nullopt);
    REQUIRE(r.ok);
    CHECK(r.content == "a\r\nB\nc");
  }
}

// ---------------------------------------------------------------------------------------------
// applyContextPatch

TEST_CASE("applyContextPatch: headers, appends, end of file, final newline", "[patch]") {
  const std::string py = "class A:\n    def f(self):\n        return 1\n\n"
                         "class B:\n    def f(self):\n        return 1\n";
  SECTION("consecutive @@ headers narrow the search") {
    const auto r = applyContextPatch(py, "@@ class B:\n@@     def f(self):\n-        return 1\n"
                                         "+        return 2\n");
    REQUIRE(r.ok);
    CHECK(r.content == "class A:\n    def f(self):\n        return 1\n\n"
                       "class B:\n    def f(self):\n        return 2\n");
  }
  SECTION("without a header the first match wins") {
    const auto r = applyContextPatch(py, "@@\n-        return 1\n+        return 0\n");
    REQUIRE(r.ok);
    CHECK(r.content.find("return 0\n\nclass B") != std::string::npos);
  }
  SECTION("later hunks search after earlier ones") {
    const auto r = applyContextPatch(py, "@@\n-        return 1\n+        return 10\n"
                                         "@@\n-        return 1\n+        return 20\n");
    REQUIRE(r.ok);
    CHECK(r.content == "class A:\n    def f(self):\n        return 10\n\n"
                       "class B:\n    def f(self):\n        return 20\n");
  }
  SECTION("a hunk without old lines appends to the file, as Codex does") {
    const auto r = applyContextPatch("a\nb\n", "@@ a\n+inserted\n");
    REQUIRE(r.ok);
    CHECK(r.content == "a\nb\ninserted\n");
    CHECK(applyContextPatch("", "@@\n+first line\n").content == "first line\n");
  }
  SECTION("*** End of File anchors the hunk at the end") {
    const auto r = applyContextPatch("x\nend\nx\nend\n", "@@\n x\n-end\n+END\n*** End of File\n");
    REQUIRE(r.ok);
    CHECK(r.content == "x\nend\nx\nEND\n");
    const auto bad = applyContextPatch("x\nend\nx\n", "@@\n-end\n+END\n*** End of File\n");
    CHECK_FALSE(bad.ok);
    CHECK(bad.error ==
          "hunk 1 (@@): expected lines not found at the end of the file (1 line starting with "
          "\"end\")");
  }
  SECTION("the result always ends with a newline") {
    CHECK(applyContextPatch("a\nb", "@@\n-a\n+A\n").content == "A\nb\n");
    CHECK(applyContextPatch("a\nb", "@@\n-b\n+B\n").content == "a\nB\n");
  }
  SECTION("an empty patch line is an empty context line; a trailing one may be dropped") {
    CHECK(applyContextPatch("a\n\nb\n", "@@\n a\n\n-b\n+B\n").content == "a\n\nB\n");
    CHECK(applyContextPatch("a\nb\n", "@@\n-b\n+B\n\n").content == "a\nB\n");
  }
  SECTION("\\r\\n files keep their line breaks; new lines take them") {
    const auto r = applyContextPatch("one\r\ntwo\r\nthree", "@@\n one\n-two\n+2\n+2.5\n");
    REQUIRE(r.ok);
    CHECK(r.content == "one\r\n2\r\n2.5\r\nthree\r\n");
    // Mixed files: untouched lines keep their own, new ones take the first line's.
    CHECK(applyContextPatch("a\nb\r\nc\r\n", "@@\n-c\n+C\n").content == "a\nb\r\nC\n");
  }
}

TEST_CASE("applyContextPatch tolerates whitespace the way Codex does", "[patch]") {
  SECTION("trailing whitespace") {
    const auto r = applyContextPatch("def f():   \n    pass\t\n", "@@\n def f():\n-    pass\n+    "
                                                                  "return 1\n");
    REQUIRE(r.ok);
    CHECK(r.content == "def f():   \n    return 1\n"); // the context line keeps the file's text
    REQUIRE(r.notes.size() == 1);
    CHECK(r.notes[0] == "hunk 1 (@@): matched ignoring trailing whitespace");
  }
  SECTION("leading and trailing whitespace") {
    const auto r = applyContextPatch("if x:\n\tcall()\n", "@@\n-  call()\n+\tcall(1)\n");
    REQUIRE(r.ok);
    CHECK(r.content == "if x:\n\tcall(1)\n");
    REQUIRE(r.notes.size() == 1);
    CHECK(r.notes[0] == "hunk 1 (@@): matched ignoring leading and trailing whitespace");
  }
  SECTION("typographic punctuation and Unicode spaces") {
    const auto r =
        applyContextPatch("x = 1  # a \xE2\x80\x93 \xE2\x80\x9Cquoted\xE2\x80\x9D\xC2\xA0\n",
                          "@@\n-x = 1  # a - \"quoted\"\n+x = 2\n");
    REQUIRE(r.ok);
    CHECK(r.content == "x = 2\n");
    REQUIRE(r.notes.size() == 1);
  }
  SECTION("an exact match later in the file wins over a fuzzy one earlier") {
    const auto r = applyContextPatch("a \na\n", "@@\n-a\n+b\n");
    REQUIRE(r.ok);
    CHECK(r.content == "a \nb\n");
    CHECK(r.notes.empty());
  }
  SECTION("the @@ context line is matched the same way") {
    const auto r = applyContextPatch("  def main():  \n    x = 1\n", "@@ def main():\n-    x = 1\n"
                                                                     "+    x = 2\n");
    REQUIRE(r.ok);
    CHECK(r.content == "  def main():  \n    x = 2\n");
    REQUIRE(r.notes.size() == 1);
    CHECK(r.notes[0] ==
          "hunk 1 (@@ def main():): context matched ignoring leading and trailing whitespace");
  }
}

TEST_CASE("applyContextPatch failures say which hunk and why", "[patch]") {
  const json exp = expected("codex");
  const auto patches = codexPatches(jsonLines(onlyFile("generated/codex/home", ".jsonl")));
  const std::string body = updateSection(patches[0], "calc/cli.py");
  SECTION("the second hunk's @@ context is not in the file") {
    std::string cli = state(exp, "calc/cli.py", "before");
    cli.replace(cli.find("def main(argv=None):"), 4, "def run");
    const auto r = applyContextPatch(cli, body);
    CHECK_FALSE(r.ok);
    CHECK(r.error == "hunk 2 (@@ def main(argv=None):): context not found");
    CHECK(r.content.empty());
  }
  SECTION("the lines under a found header are not") {
    std::string cli = state(exp, "calc/cli.py", "before");
    cli.replace(cli.find("    return parser"), 17, "    return the_parser");
    const auto r = applyContextPatch(cli, body);
    CHECK_FALSE(r.ok);
    CHECK(r.error == "hunk 1 (@@ def build_parser():): expected lines not found (3 lines "
                     "starting with \"    parser.add_argument(\\\"a\\\", type=int)\")");
  }
  SECTION("malformed bodies") {
    CHECK(applyContextPatch("a\n", "").error == "the patch has no hunks");
    CHECK(applyContextPatch("a\n", "@@\n-a\n+b\nnot a patch line\n").error ==
          "hunk 2: expected a \"@@\" header, got \"not a patch line\"");
    CHECK(applyContextPatch("a\n", "@@ a\n").error == "hunk 1 (@@ a): has no lines");
    CHECK(applyContextPatch("a\n", "@@\n-x\n+y\n@@\n*** End of File\n").error ==
          "hunk 2 (@@): has no lines");
    CHECK(applyContextPatch("a\n", "@@\n-a\n+b\n@@ b\n-c\n").error ==
          "hunk 2 (@@ b): context not found");
  }
}

// ---------------------------------------------------------------------------------------------
// applyUnifiedDiff

TEST_CASE("applyUnifiedDiff checks positions, searches offsets and names the hunk", "[patch]") {
  const std::string text = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
  const std::string diff = "--- a/f\n+++ b/f\n@@ -3,3 +3,3 @@ fn\n 3\n-4\n+four\n 5\n"
                           "@@ -8,2 +8,3 @@\n 8\n+8.5\n 9\n";
  SECTION("at the stated lines") {
    const auto r = applyUnifiedDiff(text, diff);
    REQUIRE(r.ok);
    CHECK(r.content == "1\n2\n3\nfour\n5\n6\n7\n8\n8.5\n9\n10\n");
    CHECK(r.notes.empty());
  }
  SECTION("shifted like patch does, with a note") {
    const auto r = applyUnifiedDiff("0\n0\n" + text, diff);
    REQUIRE(r.ok);
    CHECK(r.content == "0\n0\n1\n2\n3\nfour\n5\n6\n7\n8\n8.5\n9\n10\n");
    REQUIRE(r.notes.size() == 1); // the second hunk follows the first one's offset
    CHECK(r.notes[0] == "hunk 1 (@@ -3,3 +3,3 @@) applied at line 5 (offset +2 lines)");
  }
  SECTION("lines that are not there") {
    const auto r = applyUnifiedDiff("1\n2\n3\nFOUR\n5\n6\n7\n8\n9\n10\n", diff);
    CHECK_FALSE(r.ok);
    CHECK(r.error ==
          "hunk 1 (@@ -3,3 +3,3 @@): does not match the file: line 4 is \"FOUR\", the hunk "
          "expects \"4\"");
    const auto shortFile = applyUnifiedDiff("1\n2\n3\n4\n5\n6\n7\n8\n", diff);
    CHECK(shortFile.error == "hunk 2 (@@ -8,2 +8,3 @@): does not match the file: the file has 8 "
                             "lines, the hunk needs 2 from line 8");
  }
  SECTION("hunks that do not match their headers") {
    CHECK(applyUnifiedDiff(text, "@@ -3,3 +3,3 @@\n 3\n-4\n+four\n").error ==
          "hunk 1 (@@ -3,3 +3,3 @@): the diff ends before the hunk does (1 old and 1 new lines "
          "missing)");
    CHECK(applyUnifiedDiff(text, "@@ -3,2 +3,2 @@\n 3\n-4\n-5\n+four\n").error ==
          "hunk 1 (@@ -3,2 +3,2 @@): line \"-5\" does not fit the line counts of the header");
    CHECK(applyUnifiedDiff(text, "@@ -3,x +3 @@\n").error ==
          "line 1: malformed hunk header \"@@ -3,x +3 @@\"");
    CHECK(applyUnifiedDiff(text, "just text\n").error == "no \"@@\" hunk in the diff");
    CHECK(applyUnifiedDiff(text, "@@ -1 +1 @@\n-1\n+one\n--- a/g\n+++ b/g\n").error ==
          "line 4: a second file in the diff: \"--- a/g\"");
  }
  SECTION("an empty diff changes nothing") {
    const auto r = applyUnifiedDiff(text, "");
    REQUIRE(r.ok);
    CHECK(r.content == text);
  }
}

TEST_CASE("applyUnifiedDiff: missing newlines, CRLF, empty ranges", "[patch]") {
  SECTION("no newline at end of file, both ways") {
    const std::string d1 = "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n";
    CHECK(applyUnifiedDiff("a\nb", d1).content == "a\nb\n");
    const std::string d2 = "@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n";
    CHECK(applyUnifiedDiff("a\nb\n", d2).content == "a\nb");
  }
  SECTION("an LF diff on a \\r\\n file keeps \\r\\n, with a note") {
    const auto r = applyUnifiedDiff("a\r\nb\r\nc\r\n", "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    REQUIRE(r.ok);
    CHECK(r.content == "a\r\nB\r\nc\r\n");
    REQUIRE(r.notes.size() == 1);
    CHECK(r.notes[0] == "hunk 1 (@@ -1,3 +1,3 @@) matched ignoring line endings");
  }
  SECTION("insertions into empty files and at the top, GNU and jsdiff numbering") {
    CHECK(applyUnifiedDiff("", "@@ -0,0 +1,2 @@\n+x\n+y\n").content == "x\ny\n");
    CHECK(applyUnifiedDiff("", "@@ -1,0 +1,2 @@\n+x\n+y\n").content == "x\ny\n");
    CHECK(applyUnifiedDiff("a\n", "@@ -0,0 +1 @@\n+top\n").content == "top\na\n");
    CHECK(applyUnifiedDiff("a\nb\n", "@@ -1,0 +2 @@\n+mid\n").content == "a\nmid\nb\n");
    CHECK(applyUnifiedDiff("a\n", "@@ -5,0 +6 @@\n+x\n").error ==
          "hunk 1 (@@ -5,0 +6 @@): inserts after line 5 but the file has 1 line");
  }
  SECTION("deleting everything") {
    CHECK(applyUnifiedDiff("a\nb\n", "@@ -1,2 +0,0 @@\n-a\n-b\n").content.empty());
  }
  SECTION("a blank line stands for an empty context line") {
    CHECK(applyUnifiedDiff("a\n\nb\n", "@@ -1,3 +1,3 @@\n a\n\n-b\n+B\n").content == "a\n\nB\n");
  }
}

// ---------------------------------------------------------------------------------------------
// unifiedDiff

TEST_CASE("unifiedDiff follows GNU diff's format", "[patch]") {
  CHECK(unifiedDiff("same\n", "same\n", "f", "f").empty());
  CHECK(unifiedDiff("a\nb\nc\n", "x\na\nb\nc\n", "f", "f") ==
        "--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n+x\n a\n b\n c\n");
  CHECK(unifiedDiff("a\nb\nc", "a\nb\nd", "f", "f") ==
        "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n b\n-c\n\\ No newline at end of file\n+d\n"
        "\\ No newline at end of file\n");
  CHECK(unifiedDiff("", "one\n", "/dev/null", "new.txt") ==
        "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+one\n");
  CHECK(unifiedDiff("one\n", "", "old.txt", "/dev/null") ==
        "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-one\n");
  CHECK(unifiedDiff("a\nb\n", "a\nb", "f", "f") ==
        "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n");
  CHECK(unifiedDiff("a\nb\nc\n", "a\nc\n", "f", "f", 0) == "--- a/f\n+++ b/f\n@@ -2 +1,0 @@\n-b\n");
  CHECK(unifiedDiff("a\r\nb\r\n", "a\r\nb\n", "f", "f") ==
        "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+b\n");

  std::string lines, five, fiveTwelve, fiveThirteen;
  for (int i = 1; i <= 20; ++i) {
    const std::string n = std::to_string(i);
    lines += n + "\n";
    five += (i == 5 ? "five" : n) + "\n";
    fiveTwelve += (i == 5 ? "five" : i == 12 ? "twelve" : n) + "\n";
    fiveThirteen += (i == 5 ? "five" : i == 13 ? "thirteen" : n) + "\n";
  }
  CHECK(unifiedDiff(lines, five, "f", "f") ==
        "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
  // Changes 6 lines apart share a hunk (their contexts touch); 7 apart they do not.
  const std::string merged = unifiedDiff(lines, fiveTwelve, "f", "f");
  CHECK(merged.find("@@ -2,14 +2,14 @@\n") != std::string::npos);
  CHECK(std::count(merged.begin(), merged.end(), '@') == 4);
  const std::string split = unifiedDiff(lines, fiveThirteen, "f", "f");
  CHECK(split.find("@@ -2,7 +2,7 @@\n") != std::string::npos);
  CHECK(split.find("@@ -10,7 +10,7 @@\n") != std::string::npos);
  // Within a change, deletions come first.
  CHECK(unifiedDiff("a\nb\n", "c\nd\n", "f", "f", 0) ==
        "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-a\n-b\n+c\n+d\n");
}

namespace {

// A random text over a few distinct lines (so the diff has real choices to make), with line
// breaks per `mode`: 0 "\n", 1 "\r\n", 2 mixed; the final one kept or not.
std::string randomText(std::mt19937 &rng, int mode, size_t maxLines) {
  static const char *const kWords[] = {"a", "b", "c", "", "  indented", "foo bar", "}", "x\r"};
  std::uniform_int_distribution<size_t> count(0, maxLines), word(0, 7);
  std::bernoulli_distribution coin(0.5);
  std::string out;
  const size_t n = count(rng);
  for (size_t i = 0; i < n; ++i) {
    out += kWords[word(rng)];
    const bool crlf = mode == 1 || (mode == 2 && coin(rng));
    if (i + 1 < n || coin(rng))
      out += crlf ? "\r\n" : "\n";
  }
  return out;
}

// `text` with a few random line edits (insert, delete, change, line-break flips).
std::string mutate(std::mt19937 &rng, const std::string &text, int mode) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    const size_t nl = text.find('\n', at);
    const size_t end = nl == std::string::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(at, end - at));
    at = end;
  }
  std::uniform_int_distribution<int> edits(1, 6), kind(0, 4);
  for (int e = edits(rng); e > 0; --e) {
    std::uniform_int_distribution<size_t> where(0, lines.size());
    const size_t at = where(rng);
    const std::string fresh = randomText(rng, mode, 3);
    switch (kind(rng)) {
    case 0:
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), fresh);
      break;
    case 1:
      if (at < lines.size())
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(at));
      break;
    case 2:
      if (at < lines.size())
        lines[at] = fresh.empty() ? "changed\n" : fresh;
      break;
    case 3: // flip "\n" / "\r\n"
      if (at < lines.size() && !lines[at].empty() && lines[at].back() == '\n') {
        std::string &l = lines[at];
        if (l.size() >= 2 && l[l.size() - 2] == '\r')
          l.erase(l.size() - 2, 1);
        else
          l.insert(l.size() - 1, "\r");
      }
      break;
    default: // toggle the final newline
      if (!lines.empty()) {
        std::string &l = lines.back();
        if (l.back() == '\n')
          l.pop_back();
        else
          l += "\n";
      }
    }
  }
  std::string out;
  for (const auto &l : lines)
    out += l;
  return out;
}

} // namespace

TEST_CASE("applyUnifiedDiff(a, unifiedDiff(a, b)) == b over random texts", "[patch]") {
  std::mt19937 rng(20261125);
  int nonEmpty = 0;
  for (int round = 0; round < 3000; ++round) {
    const int mode = round % 3;
    const std::string a = randomText(rng, mode, 30);
    const std::string b = round % 10 == 0 ? randomText(rng, mode, 30) : mutate(rng, a, mode);
    const int context = round % 4 == 3 ? 0 : round % 4 == 2 ? 1 : 3;
    const std::string diff = unifiedDiff(a, b, "f", "f", context);
    CHECK(diff.empty() == (a == b));
    const ApplyResult r = applyUnifiedDiff(a, diff);
    INFO("round " << round << "\na: " << json(a) << "\nb: " << json(b) << "\ndiff:\n" << diff);
    REQUIRE(r.ok);
    REQUIRE(r.content == b);
    REQUIRE(r.notes.empty());
    nonEmpty += diff.empty() ? 0 : 1;
  }
  CHECK(nonEmpty > 2500);
}

TEST_CASE("unifiedDiff and the patchers handle a few-MB file", "[patch]") {
  std::string big, changed;
  for (int i = 0; i < 60000; ++i) {
    const std::string line = "line " + std::to_string(i) + " of a long generated file\n";
    big += line;
    changed += (i % 6000 == 17 ? "edited " + line : line);
  }
  const std::string diff = unifiedDiff(big, changed, "big", "big");
  CHECK(std::count(diff.begin(), diff.end(), '@') == 40);
  const auto r = applyUnifiedDiff(big, diff);
  REQUIRE(r.ok);
  CHECK(r.content == changed);
  const auto c = applyContextPatch(big, "@@ line 59999 of a long generated file\n+appended\n");
  REQUIRE(c.ok);
  CHECK(c.content == big + "appended\n");
  const auto e = applyReplace(big, "line 54017 of", "line 54017 (edited) of", false, std::nullopt);
  REQUIRE(e.ok);

  // Rewritten from top to bottom (only the blank lines shared): still a quick, exact diff.
  std::string rewritten;
  for (int i = 0; i < 60000; ++i)
    rewritten += i % 5 == 0 ? "\n" : "rewritten " + std::to_string(i * 7) + "\n";
  const std::string all = unifiedDiff(big, rewritten, "big", "big");
  const auto back = applyUnifiedDiff(big, all);
  REQUIRE(back.ok);
  CHECK(back.content == rewritten);
}

// ---------------------------------------------------------------------------------------------
// looksBinary

TEST_CASE("looksBinary: NUL bytes and invalid UTF-8 in the first 8 KiB", "[patch]") {
  CHECK_FALSE(looksBinary(""));
  CHECK_FALSE(looksBinary("plain text\r\n"));
  CHECK_FALSE(looksBinary("caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x98\x80"));
  CHECK(looksBinary(std::string("a\0b", 3)));
  CHECK(looksBinary("\x89PNG\r\n\x1A\n"));
  CHECK(looksBinary("caf\xE9"));              // Latin-1
  CHECK(looksBinary("\xC0\xAF"));             // overlong
  CHECK(looksBinary("\xED\xA0\x80"));         // a UTF-16 surrogate
  CHECK(looksBinary("\xF4\x90\x80\x80"));     // past U+10FFFF
  CHECK(looksBinary("ends inside \xE2\x80")); // the whole text, cut short
  // Only the first 8 KiB count, and a character cut by that boundary is fine.
  std::string text(8191, 'a');
  text += "\xE2\x80\x94 and then \xFF";
  CHECK_FALSE(looksBinary(text));
  CHECK(looksBinary(std::string(8190, 'a') + "\xFF"));
}
