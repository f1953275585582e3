// The Aider adapter end to end through the Indexer into a real SQLite file, on a hand-made
// history (tests/fixtures/aider/greet/.aider.chat.history.md, written the way aider's io.py
// writes: two sessions, commands, SEARCH/REPLACE edits applied, one that failed to match and
// was fixed by the next answer, a new file, shell commands), read in one go and in pieces; the
// discovery walk; and the other viewers' samples in ../shared/fixtures/real/aider.
#include "IndexSupport.h"
#include "TestSupport.h"
#include "ingest/AiderAdapter.h"
#include "ingest/Indexer.h"
#include "timeline/Timeline.h"

#include <catch2/catch.hpp>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

namespace {

// The shared indexing environment, with Aider's sessions in start order.
struct Env : IndexEnv {
  std::vector<SessionRow> sessions() {
    SessionFilter f;
    f.agent = "aider";
    f.limit = 100;
    auto s = store->sessions(f);
    REQUIRE(s);
    std::sort(s->begin(), s->end(),
              [](const SessionRow &a, const SessionRow &b) { return a.started < b.started; });
    return *s;
  }
};

const std::string kHistory = ".aider.chat.history.md";

std::vector<std::string> texts(const std::vector<Event> &events, EventKind k) {
  std::vector<std::string> out;
  for (const auto &e : events)
    if (e.kind == k)
      out.push_back(e.text);
  return out;
}

std::vector<const Event *> ofKind(const std::vector<Event> &events, EventKind k) {
  std::vector<const Event *> out;
  for (const auto &e : events)
    if (e.kind == k)
      out.push_back(&e);
  return out;
}

std::vector<std::string> shape(const std::vector<Event> &events) {
  std::vector<std::string> out;
  for (const auto &e : events)
    out.push_back(std::to_string(e.seq) + "|" + std::string(toString(e.kind)) + "|" + e.tool + "|" +
                  e.path + "|" + e.command + "|" + e.text + "|" + (e.isError ? "E" : "-") + "|" +
                  e.data.dump());
  return out;
}

std::vector<std::string> splitLines(const std::string &text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    out.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl + 1 - pos));
    pos = nl == std::string::npos ? text.size() : nl + 1;
  }
  return out;
}

const std::string kTest1 = "from greet import greet\n\n\ndef test_default():\n"
                           "    assert greet() == \"hello, world\"\n";

// Every session of a folder, in order: its steps without seq, aider's own output (meta) as one
// text — a run that ends between two of aider's lines splits that output in two.
std::vector<std::vector<std::string>> allShapes(Env &env) {
  std::vector<std::vector<std::string>> out;
  for (const auto &s : env.sessions()) {
    std::vector<std::string> steps;
    std::string meta;
    for (const auto &e : env.events(s.id)) {
      if (e.kind == EventKind::Meta) {
        meta += e.text + "\n";
        continue;
      }
      std::string line = shape({e})[0];
      line = line.substr(line.find('|') + 1);
      const std::string root = env.tmp.path().string();
      for (size_t at = line.find(root); at != std::string::npos; at = line.find(root))
        line.replace(at, root.size(), "<tmp>");
      steps.push_back(line);
    }
    steps.push_back(meta);
    out.push_back(steps);
  }
  return out;
}

} // namespace

TEST_CASE("Aider: a history file end to end, edits confirmed by aider replayed", "[aider]") {
  Env env;
  const fs::path project = env.tmp.path() / "greet";
  const std::string history = readFile(fixture("aider/greet/" + kHistory));
  writeFile(project / kHistory, history);
  // What session 1 left on disk: the base for the second session's edit of the test.
  writeFile(project / "test_greet.py", kTest1);

  auto r = env.index({project.string()});
  for (const auto &e : r.errors)
    INFO(e.file << ":" << e.line << ": " << e.message);
  CHECK(r.errors.empty());
  CHECK(r.unknown == 0);
  const auto sessions = env.sessions();
  REQUIRE(sessions.size() == 2);

  // Session 1: the title skips the /add command; model and version from aider's banner.
  const SessionRow &s1 = sessions[0];
  CHECK(s1.id.rfind("aider:", 0) == 0);
  CHECK(s1.id.size() > 20);
  CHECK(s1.title == "make greet() take a name and default it to \"world\"");
  CHECK(s1.project == project.lexically_normal().generic_string());
  CHECK(s1.model == "anthropic/claude-3-7-sonnet-20250219");
  CHECK(s1.version == "0.75.2");
  REQUIRE(s1.started);
  std::tm tm{};
  tm.tm_year = 125;
  tm.tm_mon = 2;
  tm.tm_mday = 2;
  tm.tm_hour = 10;
  tm.tm_min = 15;
  tm.tm_sec = 42;
  tm.tm_isdst = -1;
  CHECK(*s1.started == static_cast<int64_t>(std::mktime(&tm)) * 1000); // local time
  const auto e1 = env.events(s1.id);
  CHECK(texts(e1, EventKind::User) ==
        std::vector<std::string>{"/add greet.py",
                                 "make greet() take a name and default it to \"world\"",
                                 "add a test for the default and run it"});
  CHECK(texts(e1, EventKind::Assistant).size() == 2);
  const auto shells1 = ofKind(e1, EventKind::Shell);
  REQUIRE(shells1.size() == 2);
  CHECK(shells1[0]->command == "python3 -c \"import greet; print(greet.greet('aider'))\"");
  CHECK(shells1[0]->tool == "run");
  CHECK(shells1[1]->command == "python3 -m pytest -q");
  CHECK(shells1[1]->tool == "run_shell");
  CHECK_FALSE(shells1[1]->exitCode); // aider does not record it
  CHECK(shells1[1]->data["cwd"] == project.lexically_normal().generic_string());
  const auto edits1 = ofKind(e1, EventKind::Edit);
  REQUIRE(edits1.size() == 2);
  CHECK(edits1[0]->path == "greet.py");
  CHECK_FALSE(edits1[0]->isError);
  const json &c0 = edits1[0]->data["changes"][0];
  CHECK(c0["op"] == "replace");
  CHECK(c0["path"] == (project / "greet.py").lexically_normal().generic_string());
  CHECK(c0["edits"][0]["old"] == "def greet():\n    return \"hello, world\"\n");
  CHECK(edits1[1]->path == "test_greet.py");
  CHECK(edits1[1]->data["changes"][0]["op"] == "write"); // created: its content is the file
  CHECK(edits1[1]->data["changes"][0]["before"].is_null());
  const std::string testPath = (project / "test_greet.py").lexically_normal().generic_string();
  {
    auto f = timeline::fileAt(*env.store, s1, edits1[1]->seq, testPath);
    REQUIRE(f);
    REQUIRE(f->content);
    CHECK(*f->content == kTest1);
    CHECK(f->exact);
  }

  // Session 2: a two-line prompt; "#### Step 1" inside the answer is not a prompt; two blocks
  // for one file are one edit; a block that failed to match is an edit marked failed, and the
  // fixed one that followed is applied; /test whose output went to the chat failed.
  const SessionRow &s2 = sessions[1];
  CHECK(s2.title == "rename greet to salute");
  const auto e2 = env.events(s2.id);
  CHECK(texts(e2, EventKind::User) ==
        std::vector<std::string>{"rename greet to salute\nand keep greet as an alias",
                                 "also rename the test", "why did it fail?"});
  const auto answers = texts(e2, EventKind::Assistant);
  REQUIRE(answers.size() == 4);
  CHECK(answers[0].find("#### Step 1") != std::string::npos);
  const auto edits2 = ofKind(e2, EventKind::Edit);
  REQUIRE(edits2.size() == 3);
  CHECK(edits2[0]->path == "greet.py");
  CHECK(edits2[0]->data["changes"][0]["edits"].size() == 2);
  CHECK(edits2[1]->path == "test_greet.py");
  CHECK(edits2[1]->isError);
  CHECK(edits2[1]->data["applied"] == false);
  CHECK(edits2[2]->path == "test_greet.py");
  CHECK_FALSE(edits2[2]->isError);
  CHECK(edits2[2]->data["changes"][0]["edits"][0]["old"] == "def test_default():\n");
  {
    auto f = timeline::fileAt(*env.store, s2, edits2[2]->seq, testPath);
    REQUIRE(f);
    REQUIRE(f->content);
    CHECK(*f->content == "from greet import greet\n\n\ndef test_salute_default():\n"
                         "    assert greet() == \"hello, world\"\n");
    CHECK(f->base == "disk");
  }
  const auto shells2 = ofKind(e2, EventKind::Shell);
  REQUIRE(shells2.size() == 1);
  CHECK(shells2[0]->command == "python3 -m pytest -q");
  CHECK(shells2[0]->tool == "test");
  CHECK(shells2[0]->isError);
  // The failure aider reported is kept, as aider's own output.
  bool echoed = false;
  for (const auto &t : texts(e2, EventKind::Meta))
    echoed = echoed || t.find("SearchReplaceNoExactMatch") != std::string::npos;
  CHECK(echoed);

  auto again = env.index({project.string()});
  CHECK(again.eventsAdded == 0);
  CHECK(again.filesRead == 0);
}

TEST_CASE("Aider: appended in pieces, the same steps as read at once", "[aider]") {
  const std::string history = readFile(fixture("aider/greet/" + kHistory));
  const auto lines = splitLines(history);
  Env whole;
  writeFile(whole.tmp.path() / "greet" / kHistory, history);
  whole.index({(whole.tmp.path() / "greet").string()});
  const auto want = allShapes(whole);
  REQUIRE(want.size() == 2);

  // Aider writes a prompt, an answer, one of its own output lines at a time: a run can end
  // between any two of those writes (here: before each of its own lines and each header), and
  // the Indexer may see half of a line.
  std::vector<size_t> cuts;
  for (size_t i = 1; i < lines.size(); ++i)
    if (lines[i].rfind("> ", 0) == 0 || lines[i].rfind("# aider chat started", 0) == 0)
      cuts.push_back(i);
  for (size_t every : {1, 2, 5}) {
    DYNAMIC_SECTION("a run at every " << every << " writes") {
      Env env;
      const fs::path file = env.tmp.path() / "greet" / kHistory;
      writeFile(file, "");
      size_t done = 0;
      for (size_t k = every - 1; k <= cuts.size(); k += every) {
        const size_t end = k < cuts.size() ? cuts[k] : lines.size();
        std::string piece;
        for (; done < end; ++done)
          piece += lines[done];
        if (end < lines.size()) { // and half of the next line, without its newline
          piece += lines[end].substr(0, lines[end].size() / 2);
          writeFile(file, piece, true);
          CHECK(env.index({file.string()}).errors.size() == 1); // "incomplete last line"
          piece = lines[end].substr(lines[end].size() / 2);
          ++done;
        }
        writeFile(file, piece, true);
        CHECK(env.index({file.string()}).errors.empty());
      }
      std::string rest;
      for (; done < lines.size(); ++done)
        rest += lines[done];
      writeFile(file, rest, true);
      env.index({file.string()});
      CHECK(allShapes(env) == want);
    }
  }
}

TEST_CASE("Aider: an answer with a broken block is reported by line, the rest kept", "[aider]") {
  Env env;
  const fs::path project = env.tmp.path() / "p";
  writeFile(project / kHistory, "\n# aider chat started at 2025-05-01 08:00:00\n\n"
                                "#### fix the typo  \n\n"
                                "README.md\n```\n<<<<<<< SEARCH\nteh\n=======\nthe\n```\n\n"
                                "> Tokens: 1.0k sent, 20 received.  \n\n"
                                "#### thanks  \n\n"
                                "You're welcome.\n\n");
  auto r = env.index({project.string()});
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 8);
  CHECK(r.errors[0].message.find("SEARCH/REPLACE") != std::string::npos);
  const auto s = env.sessions();
  REQUIRE(s.size() == 1);
  const auto events = env.events(s[0].id);
  CHECK(texts(events, EventKind::User) == std::vector<std::string>{"fix the typo", "thanks"});
  CHECK(texts(events, EventKind::Assistant).size() == 2);
  CHECK(ofKind(events, EventKind::Edit).empty());
}

TEST_CASE("Aider: discovery finds history files under the home folder, within bounds", "[aider]") {
  TempDir home;
  writeFile(home.path() / "code" / "proj" / kHistory,
            "# aider chat started at 2025-01-01 00:00:00\n");
  writeFile(home.path() / "code" / "node_modules" / "x" / kHistory, "");
  writeFile(home.path() / ".cache" / "y" / kHistory, "");
  writeFile(home.path() / "a" / "b" / "c" / "d" / "e" / "f" / kHistory, "");
  const char *old = std::getenv("HOME");
  const std::string saved = old ? old : "";
  ::setenv("HOME", home.path().c_str(), 1);
  const auto roots = AiderAdapter().roots();
  ::setenv("HOME", saved.c_str(), 1);
  REQUIRE(roots.size() == 1);
  CHECK(roots[0] == home.path() / "code" / "proj" / kHistory);

  AiderAdapter a;
  CHECK(a.claims("/x/.aider.chat.history.md", {}) == 8);
  CHECK(a.claims("/x/notes.md", "# aider chat started at 2025-01-01 00:00:00\n") == 6);
  CHECK(a.claims("/x/notes.md", "# Notes\n") == 0);
  CHECK(a.claims("/x/.aider.input.history", {}) == 0);
}

TEST_CASE("Aider: the shared real samples parse without errors", "[aider]") {
  const fs::path dir = sharedReal("aider");
  if (dir.empty()) {
    WARN("../shared/fixtures/real/aider not found: skipped");
    return;
  }
  for (const char *name : {"agentsview.aider.chat.history.md", "cass.aider.chat.history.md",
                           "deja-vu.aider.chat.history.md"}) {
    INFO(name);
    Env env;
    const fs::path copy = env.tmp.path() / "proj" / name;
    writeFile(copy, readFile(dir / name));
    auto r = env.index({copy.string()});
    CHECK(r.errors.empty());
    CHECK(r.unknown == 0);
    CHECK(r.totals.sessions >= 1);
  }
  // agentsview's: three headers, the last with nothing after it (no session); "#### Step 1" in
  // the first answer is part of it.
  Env env;
  const fs::path copy = env.tmp.path() / "myrepo" / kHistory;
  writeFile(copy, readFile(dir / "agentsview.aider.chat.history.md"));
  env.index({copy.string()});
  const auto s = env.sessions();
  REQUIRE(s.size() == 2);
  CHECK(s[0].title == "add a retry to the webhook");
  CHECK(s[1].title == "make the timeout configurable");
  const auto events = env.events(s[0].id);
  CHECK(texts(events, EventKind::User) == std::vector<std::string>{"add a retry to the webhook"});
  REQUIRE(texts(events, EventKind::Assistant).size() == 1);
  CHECK(texts(events, EventKind::Assistant)[0].find("#### Step 1") != std::string::npos);
}
