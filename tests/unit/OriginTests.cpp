// Line origins (server/origin): fingerprints, the lines each change added, and end to end a real
// git repository whose files three Claude Code sessions edited — lines moved between files by
// hand, a line edited by hand since, common lines, lines written outside any session, a line
// committed before the session that also wrote it, and a session's line not committed yet.
#include "IndexSupport.h"
#include "origin/Origin.h"

#include <catch2/catch.hpp>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

TEST_CASE("Origin: fingerprints ignore whitespace — short lines are trivial", "[origin]") {
  CHECK(origin::fingerprint("  return x + 1") == origin::fingerprint("return x+1\r"));
  CHECK(origin::fingerprint("return x + 1") != origin::fingerprint("return x + 2"));
  CHECK(origin::fingerprint(" \t ") == 0);
  CHECK(origin::fingerprint("}") != 0);
  CHECK(origin::normalize(" a = b ;\t") == "a=b;");
  for (const char *t : {"}", "  });", "end", "else:", "return", "*/", "pass", "} else {"})
    CHECK(origin::isTrivial(t));
  for (const char *t : {"import os", "return None", "x = compute(y)"})
    CHECK_FALSE(origin::isTrivial(t));
}

namespace {

FileStateRow state(int64_t seq, const std::string &op, std::optional<std::string> content,
                   const std::string &path = "/w/a.py") {
  FileStateRow r;
  r.seq = seq;
  r.path = path;
  r.op = op;
  r.present = op != "delete";
  r.content = std::move(content);
  return r;
}

std::vector<std::pair<int64_t, int64_t>> seqLines(const std::vector<OriginLineRow> &rows,
                                                  const std::string &path = "/w/a.py") {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto &r : rows)
    if (r.path == path)
      out.emplace_back(r.seq, r.line);
  return out;
}

} // namespace

TEST_CASE("Origin: the lines each change added", "[origin]") {
  using V = std::vector<std::pair<int64_t, int64_t>>;
  SECTION("a new file: every non-blank line; an edit: only what it inserted") {
    auto rows = origin::addedLines(
        {state(2, "write", "a = 1\n\nb = 2\n"), state(5, "edit", "a = 1\n\nb = 2\nc = 3\n")});
    CHECK(seqLines(rows) == V{{2, 1}, {2, 3}, {5, 4}});
    // Neighbours: the nearest non-blank lines, 0 at the ends.
    CHECK(rows[1].above == origin::fingerprint("a = 1"));
    CHECK(rows[1].below == 0);
    CHECK(rows[2].above == origin::fingerprint("b = 2"));
  }
  SECTION("a base is nobody's; re-indenting writes nothing") {
    auto rows = origin::addedLines({state(0, "base", "def f():\n  return 1\n"),
                                    state(3, "edit", "def f():\n    return 1\n    # done\n")});
    CHECK(seqLines(rows) == V{{3, 3}});
  }
  SECTION("changes made outside the session (a read that differs) are not the session's") {
    auto rows = origin::addedLines({state(1, "write", "x = 1\n"),
                                    state(4, "read", "x = 1\ny = 2  # by hand\n"),
                                    state(6, "edit", "x = 1\ny = 2  # by hand\nz = 3\n")});
    CHECK(seqLines(rows) == V{{1, 1}, {6, 3}});
  }
  SECTION("after an unknown state nothing is attributed until the content is known again") {
    auto rows = origin::addedLines({state(1, "write", "x = 1\n"), state(2, "command", std::nullopt),
                                    state(3, "edit", "x = 1\nmystery = 2\nw = 4\n"),
                                    state(7, "edit", "x = 1\nmystery = 2\nw = 4\nv = 5\n")});
    CHECK(seqLines(rows) == V{{1, 1}, {7, 4}});
  }
  SECTION("a partial read (no content) changes nothing") {
    auto rows = origin::addedLines({state(0, "base", "x = 1\n"), state(2, "read", std::nullopt),
                                    state(3, "edit", "x = 1\ny = 2\n")});
    CHECK(seqLines(rows) == V{{3, 2}});
  }
  SECTION("moves and copies carry lines, they do not write them; a deleted file starts over") {
    auto rows = origin::addedLines(
        {state(1, "write", "k = 1\n", "/w/old.py"), state(2, "move", "k = 1\n", "/w/new.py"),
         state(3, "delete", std::nullopt, "/w/old.py"), state(4, "write", "k = 1\n", "/w/old.py")});
    CHECK(seqLines(rows, "/w/old.py") == V{{1, 1}, {4, 1}});
    CHECK(seqLines(rows, "/w/new.py").empty());
  }
}

namespace {

std::string sh(const std::string &cmd) {
  int status = 0;
  std::string out = shellOutput(cmd, status);
  REQUIRE(status == 0);
  return out;
}

void commitAll(const fs::path &repo, const std::string &date, const std::string &msg) {
  sh("cd " + shellQuote(repo.string()) + " && git add -A && GIT_AUTHOR_DATE='" + date +
     "' GIT_COMMITTER_DATE='" + date +
     "' git -c user.name=Dev -c user.email=dev@example -c commit.gpgsign=false commit -q -m " +
     shellQuote(msg) + " 2>&1");
}

// Writes a Claude Code transcript: one prompt, then Write/Edit tool calls with their results.
struct ClaudeSession {
  std::string id, cwd, time; // time: "2026-01-10T10:00" (seconds are added per record)
  json lines = json::array();
  int n = 0;
  std::string uuid() {
    return id.substr(0, 8) + "-0000-4000-8000-" + std::to_string(100000000000 + ++n);
  }
  std::string stamp() { return time + ":" + (n < 10 ? "0" : "") + std::to_string(n) + ".000Z"; }
  json base(const std::string &type) {
    return {{"type", type}, {"uuid", uuid()},      {"timestamp", stamp()}, {"sessionId", id},
            {"cwd", cwd},   {"gitBranch", "main"}, {"version", "2.1.197"}, {"isSidechain", false}};
  }
  void prompt(const std::string &text) {
    json r = base("user");
    r["message"] = {{"role", "user"}, {"content", text}};
    lines.push_back(r);
  }
  void tool(const std::string &say, const std::string &name, const json &input,
            const json &result) {
    json a = base("assistant");
    const std::string callId = "toolu_" + std::to_string(n);
    a["message"] = {{"role", "assistant"},
                    {"model", "claude-test"},
                    {"content",
                     {{{"type", "text"}, {"text", say}},
                      {{"type", "tool_use"}, {"id", callId}, {"name", name}, {"input", input}}}}};
    lines.push_back(a);
    json u = base("user");
    u["message"] = {
        {"role", "user"},
        {"content", {{{"type", "tool_result"}, {"tool_use_id", callId}, {"content", "ok"}}}}};
    u["toolUseResult"] = result;
    lines.push_back(u);
  }
  void write(const std::string &say, const std::string &rel, const std::string &content) {
    const std::string path = cwd + "/" + rel;
    tool(say, "Write", {{"file_path", path}, {"content", content}},
         {{"type", "create"}, {"filePath", path}, {"content", content}, {"originalFile", nullptr}});
  }
  void edit(const std::string &say, const std::string &rel, const std::string &before,
            const std::string &oldText, const std::string &newText) {
    const std::string path = cwd + "/" + rel;
    tool(say, "Edit",
         {{"file_path", path},
          {"old_string", oldText},
          {"new_string", newText},
          {"replace_all", false}},
         {{"filePath", path},
          {"oldString", oldText},
          {"newString", newText},
          {"originalFile", before},
          {"structuredPatch", json::array()}});
  }
  void save(const fs::path &home) {
    std::string text;
    for (const auto &l : lines)
      text += l.dump() + "\n";
    writeFile(home / ".claude" / "projects" / "-work" / (id + ".jsonl"), text);
  }
};

const std::string kApp0 =
    "\"\"\"The app.\"\"\"\nimport json\n\n\ndef load(path):\n    with open(path) as f:\n"
    "        return json.load(f)\n";
const std::string kSave = "\n\ndef save(path, data):\n    with open(path, \"w\") as f:\n"
                          "        json.dump(data, f)\n";
const std::string kReconnect = "import time\n\n\ndef reconnect_websocket(client, attempts=5):\n"
                               "    for attempt in range(attempts):\n        if client.connect():\n"
                               "            return True\n        time.sleep(2 ** attempt)\n"
                               "    return None\n";
const std::string kHeartbeat =
    "\n\ndef heartbeat(client, interval=30):\n    while client.is_open():\n"
    "        client.ping()\n        time.sleep(interval)\n    return None\n";
const std::string kSchedule = "RECONNECT_BACKOFF_SCHEDULE = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]\n";

// The line numbered `line` (1-based) of a file.
int64_t lineOf(const fs::path &file, const std::string &text) {
  const std::string content = readFile(file);
  int64_t n = 1;
  size_t start = 0;
  while (start < content.size()) {
    size_t nl = content.find('\n', start);
    if (nl == std::string::npos)
      nl = content.size();
    if (content.substr(start, nl - start) == text)
      return n;
    ++n;
    start = nl + 1;
  }
  FAIL("no line '" << text << "' in " << file);
  return 0;
}

} // namespace

TEST_CASE("Origin: a git repository edited by three sessions and by hand", "[origin]") {
  IndexEnv env;
  const fs::path repo = env.tmp.path() / "work";
  const fs::path home = env.tmp.path() / "home";
  fs::create_directories(repo / "src");
  writeFile(repo / "src" / "app.py", kApp0);
  writeFile(repo / "src" / "legacy.py", "# kept from the old client\n" + kSchedule);
  sh("cd " + shellQuote(repo.string()) + " && git init -q -b main");
  commitAll(repo, "2001-01-01T00:00:00Z", "the old app");

  const std::string cwd = repo.string();
  ClaudeSession a{"aaaaaaaa-1111-4111-8111-111111111111", cwd, "2026-01-10T10:00"};
  a.prompt("add a websocket reconnect loop, and a save() next to load()");
  a.write("Writing the reconnect loop.", "src/ws.py", kReconnect);
  a.edit("Now save().", "src/app.py", kApp0, "        return json.load(f)\n",
         "        return json.load(f)\n" + kSave);
  a.save(home);
  ClaudeSession b{"bbbbbbbb-2222-4222-8222-222222222222", cwd, "2026-01-11T10:00"};
  b.prompt("add a heartbeat to the websocket client and a backoff schedule");
  b.edit("Adding the heartbeat.", "src/ws.py", kReconnect, "    return None\n",
         "    return None\n" + kHeartbeat);
  b.write("And the schedule.", "src/backoff.py", kSchedule);
  b.save(home);

  // By hand, then committed: the reconnect function moves to net.py; a line of the heartbeat is
  // edited; a comment and a file no session wrote are added.
  {
    std::string hb = std::string("import time\n") + kHeartbeat;
    hb.replace(hb.find("client.ping()"), 13, "client.ping(timeout=5)");
    writeFile(repo / "src" / "ws.py", hb);
  }
  writeFile(repo / "src" / "net.py", std::string("# networking\n") + kReconnect);
  writeFile(repo / "src" / "app.py",
            std::string(kApp0) + kSave + "\n\n# written by hand, no agent involved here\n");
  writeFile(repo / "src" / "backoff.py", kSchedule); // as session B left it
  writeFile(repo / "src" / "misc.py",
            "def nothing():\n    print('nothing to see')\n    return None\n");
  commitAll(repo, "2026-01-12T09:00:00Z", "reorganize by hand");

  // A third session writes a file nobody committed yet; a line is typed by hand, not committed.
  ClaudeSession c{"cccccccc-3333-4333-8333-333333333333", cwd, "2026-01-13T10:00"};
  c.prompt("write a changelog entry for the heartbeat");
  c.write("Here it is.", "CHANGES.md", "# Changes\n\n- The websocket client sends a heartbeat.\n");
  c.save(home);
  writeFile(repo / "CHANGES.md", "# Changes\n\n- The websocket client sends a heartbeat.\n");
  writeFile(repo / "src" / "misc.py",
            readFile(repo / "src" / "misc.py") + "\n\ndef typed_later():\n    pass\n");

  env.index({home.string()});
  origin::Finder finder;
  auto ask = [&](const std::string &rel, const std::string &text) {
    origin::Query q;
    q.path = (repo / rel).string();
    q.line = lineOf(repo / rel, text);
    auto ans = finder.find(*env.store, q, env.redactor);
    REQUIRE(ans);
    return *ans;
  };
  const std::string A = "claude:" + a.id, B = "claude:" + b.id, C = "claude:" + c.id;

  SECTION("a line a session wrote, where it wrote it: exact, with its prompt and explanation") {
    auto r = ask("src/ws.py", "def heartbeat(client, interval=30):");
    REQUIRE(r.origin);
    CHECK(r.origin->session == B);
    CHECK(r.origin->confidence == "exact");
    CHECK(r.origin->prompt == "add a heartbeat to the websocket client and a backoff schedule");
    CHECK(r.origin->explanation == "Adding the heartbeat.");
    CHECK(r.origin->agent == "claude");
    CHECK(r.origin->path == (repo / "src" / "ws.py").string());
    REQUIRE(r.origin->time);
    REQUIRE(r.blame);
    CHECK_FALSE(r.blame->commit.empty());
    CHECK(r.blame->summary == "reorganize by hand");

    r = ask("src/app.py", "        json.dump(data, f)");
    REQUIRE(r.origin);
    CHECK(r.origin->session == A);
    CHECK(r.origin->confidence == "exact");
    CHECK(r.origin->explanation == "Now save().");
  }
  SECTION("lines moved to another file by hand, with their neighbours: moved") {
    auto r = ask("src/net.py", "    for attempt in range(attempts):");
    REQUIRE(r.origin);
    CHECK(r.origin->session == A);
    CHECK(r.origin->confidence == "moved");
    CHECK(r.origin->path == (repo / "src" / "ws.py").string());
  }
  SECTION("a line edited by hand since: fuzzy, from the step that wrote its neighbours") {
    auto r = ask("src/ws.py", "        client.ping(timeout=5)");
    REQUIRE(r.origin);
    CHECK(r.origin->session == B);
    CHECK(r.origin->confidence == "fuzzy");
    CHECK(r.origin->score < 0.9);
  }
  SECTION("common lines without their context get no answer") {
    auto r = ask("src/misc.py", "    return None");
    CHECK_FALSE(r.origin);
    CHECK_THAT(r.reason, Catch::Contains("too short or common"));
    // ...while in the file and place a session wrote it, its context tells.
    r = ask("src/ws.py", "    return None");
    REQUIRE(r.origin);
    CHECK(r.origin->session == B);
  }
  SECTION("lines no session wrote: the reason says what git knows") {
    auto r = ask("src/app.py", "import json");
    CHECK_FALSE(r.origin);
    CHECK_THAT(r.reason, Catch::Contains("predates every session"));
    r = ask("src/app.py", "# written by hand, no agent involved here");
    CHECK_FALSE(r.origin);
    CHECK_THAT(r.reason, Catch::Contains("no session wrote this line (last changed in commit"));
    r = ask("src/misc.py", "def typed_later():");
    CHECK_FALSE(r.origin);
    CHECK_THAT(r.reason, Catch::Contains("not committed yet"));
    REQUIRE(r.blame);
    CHECK(r.blame->commit.empty());
  }
  SECTION("a line committed before the session that wrote it elsewhere is not that session's") {
    auto r = ask("src/legacy.py", kSchedule.substr(0, kSchedule.size() - 1));
    CHECK_FALSE(r.origin);
    CHECK_THAT(r.reason, Catch::Contains("before the sessions that wrote it"));
    REQUIRE(r.candidates.size() == 1);
    CHECK(r.candidates[0].session == B);
    // In the file the session wrote, the same line is the session's.
    r = ask("src/backoff.py", kSchedule.substr(0, kSchedule.size() - 1));
    REQUIRE(r.origin);
    CHECK(r.origin->session == B);
    CHECK(r.origin->confidence == "exact");
  }
  SECTION("a session's line not committed yet is still the session's") {
    auto r = ask("CHANGES.md", "- The websocket client sends a heartbeat.");
    REQUIRE(r.origin);
    CHECK(r.origin->session == C);
    CHECK(r.origin->prompt == "write a changelog entry for the heartbeat");
  }
  SECTION("the editor's own text and neighbours win over the disk") {
    origin::Query q;
    q.path = (repo / "src" / "unsaved.py").string(); // not on disk at all
    q.line = 3;
    q.text = "            return True";
    q.above = {"    for attempt in range(attempts):", "        if client.connect():"};
    q.below = {"        time.sleep(2 ** attempt)"};
    auto r = finder.find(*env.store, q, env.redactor);
    REQUIRE(r);
    REQUIRE(r->origin);
    CHECK(r->origin->session == A);
    CHECK(r->origin->confidence == "moved");
  }
  SECTION("bad questions are errors that say what is wrong") {
    origin::Query q;
    q.path = "src/app.py";
    q.line = 1;
    auto r = finder.find(*env.store, q, env.redactor);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("absolute"));
    q.path = (repo / "src" / "app.py").string();
    q.line = 999;
    r = finder.find(*env.store, q, env.redactor);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("lines, not 999"));
  }
  SECTION("mantra origin on the command line") {
    const std::string db = "--db " + shellQuote(env.store->path());
    auto r = runMantra(
        db + " origin " +
        shellQuote((repo / "src" / "ws.py").string() + ":" +
                   std::to_string(lineOf(repo / "src" / "ws.py", "    while client.is_open():"))));
    REQUIRE(r.exitCode == 0);
    CHECK_THAT(r.out, Catch::Contains("exact · claude"));
    CHECK_THAT(r.out, Catch::Contains("> add a heartbeat to the websocket client"));
    CHECK_THAT(r.out, Catch::Contains("git: "));
    r = runMantra(db + " origin --json " + shellQuote((repo / "src" / "app.py").string() + ":2"));
    REQUIRE(r.exitCode == 0);
    CHECK(r.json()["origin"].is_null());
    CHECK(r.json()["blame"]["commit"].is_string());
    CHECK(runMantra(db + " origin nowhere").exitCode == 2);
    // The editor's text and neighbours, for a file that is not on disk.
    r = runMantra(db + " origin --json --text '            return True' --above " +
                  shellQuote("        if client.connect():") + " --below " +
                  shellQuote("        time.sleep(2 ** attempt)") + " " +
                  shellQuote((repo / "src" / "gone.py").string() + ":7"));
    REQUIRE(r.exitCode == 0);
    CHECK(r.json()["origin"]["session"] == A);
    CHECK(r.json()["origin"]["confidence"] == "moved");
  }
}

TEST_CASE("Origin: sessions indexed before line origins get them on the next run", "[origin]") {
  IndexEnv env;
  env.index({fixture("generated/claude/home").string()});
  auto &db = env.store->db();
  REQUIRE(db.exec("DELETE FROM origin_lines; INSERT INTO origin_pending SELECT DISTINCT "
                  "session_id FROM file_states;"));
  origin::Finder finder;
  origin::Query q;
  q.path = "/tmp/realgen/work-rich-claude/calc/cli.py";
  q.line = 12;
  q.text = "    parser.add_argument(\"-v\", \"--verbose\", action=\"store_true\",";
  auto before = finder.find(*env.store, q, env.redactor);
  REQUIRE(before);
  CHECK_FALSE(before->origin);
  env.index({fixture("generated/claude/home").string()}); // nothing new to read
  auto after = finder.find(*env.store, q, env.redactor);
  REQUIRE(after);
  REQUIRE(after->origin);
  CHECK(after->origin->seq == 9);
  auto pending = env.store->pendingOriginSessions(10);
  REQUIRE(pending);
  CHECK(pending->empty());
}
