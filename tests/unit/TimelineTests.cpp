// The timeline end to end: the genuine sessions of every agent indexed into a real SQLite file,
// each touched file reconstructed after every turn and compared with what the real CLI left on
// disk (EXPECTED.json) — once with the session's work dir rebuilt as a real git repository (the
// git base), once with nothing but the session files.
#include "TestSupport.h"
#include "ingest/Indexer.h"
#include "timeline/Shell.h"
#include "timeline/Timeline.h"
#include "timeline/Uri.h"

#include <catch2/catch.hpp>
#include <map>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

namespace {

std::string run(const std::string &cmd) {
  int status = 0;
  std::string out = shellOutput(cmd, status);
  REQUIRE(status == 0);
  return out;
}

std::string sha256(const std::string &s) {
  return run("printf %s " + shellQuote(s) + " | sha256sum").substr(0, 64);
}

void replaceInTree(const fs::path &dir, const std::string &from, const std::string &to) {
  for (const auto &e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file())
      continue;
    std::string text = readFile(e.path());
    size_t pos = 0;
    bool changed = false;
    while ((pos = text.find(from, pos)) != std::string::npos) {
      text.replace(pos, from.size(), to);
      pos += to.size();
      changed = true;
    }
    if (changed)
      writeFile(e.path(), text);
  }
}

// One generated fixture indexed into a fresh database; with `git`, its work dir exists as a
// real git repository holding the files as they were before turn 1, committed before the
// session started.
struct Replay {
  TempDir tmp;
  json exp;
  std::unique_ptr<Store> store;
  Redactor redactor;
  SessionRow session;
  std::vector<int64_t> turnEnd; // the last step of each turn

  Replay(const std::string &agent, bool git) {
    exp = json::parse(readFile(fixture("generated/" + agent + "/EXPECTED.json")));
    fs::path home = copyTree(fixture("generated/" + agent + "/home"), tmp.path() / "home");
    if (git) {
      const std::string oldCwd = exp["cwd"], work = tmp / "work";
      replaceInTree(home, oldCwd, work);
      // Gemini 0.2x names the project (folder and projectHash) by the sha256 of the cwd.
      const fs::path gtmp = home / ".gemini" / "tmp";
      if (fs::exists(gtmp / sha256(oldCwd))) {
        replaceInTree(home, sha256(oldCwd), sha256(work));
        fs::rename(gtmp / sha256(oldCwd), gtmp / sha256(work));
      }
      for (const auto &[path, states] : exp["files"].items())
        if (states["before"].is_string())
          writeFile(fs::path(work) / path, states["before"].get<std::string>());
      run("cd " + shellQuote(work) +
          " && git init -q -b main && git add -A && GIT_AUTHOR_DATE='2001-01-01T00:00:00Z' "
          "GIT_COMMITTER_DATE='2001-01-01T00:00:00Z' git -c user.name=t -c user.email=t@example "
          "-c commit.gpgsign=false commit -q -m before 2>&1");
    }
    auto s = Store::open(tmp / "mantra.db");
    REQUIRE(s);
    store = std::move(*s);
    Indexer ix(*store, redactor, makeAdapters());
    auto r = ix.run({home.string()});
    REQUIRE(r);
    auto row = store->session(exp["session_id"].get<std::string>());
    REQUIRE(row);
    session = *row;
    auto events = store->events(session.id, 1, INT64_MAX);
    REQUIRE(events);
    // A turn ends where the next prompt starts.
    std::vector<int64_t> starts;
    for (const auto &p : exp["prompts"]) {
      for (const auto &e : *events)
        if (e.kind == EventKind::User && e.text.find(p.get<std::string>()) != std::string::npos &&
            (starts.empty() || e.seq > starts.back())) {
          starts.push_back(e.seq);
          break;
        }
    }
    REQUIRE(starts.size() == exp["prompts"].size());
    for (size_t i = 0; i < starts.size(); ++i)
      turnEnd.push_back(i + 1 < starts.size() ? starts[i + 1] - 1 : events->back().seq);
  }

  std::optional<timeline::FileAt> at(int64_t seq, const std::string &path) {
    auto f = timeline::fileAt(*store, session, seq, path);
    if (!f)
      return std::nullopt;
    return *f;
  }
};

const char *const kAgents[] = {"claude",       "claude-legacy", "codex",
                               "codex-legacy", "gemini",        "gemini-legacy"};

} // namespace

TEST_CASE("Timeline: every touched file after every turn, with the git base", "[timeline]") {
  for (const char *agent : kAgents) {
    DYNAMIC_SECTION(agent) {
      Replay r(agent, true);
      for (const auto &[path, states] : r.exp["files"].items()) {
        for (size_t turn = 1; turn <= r.turnEnd.size(); ++turn) {
          const json &want = states["after_turn_" + std::to_string(turn)];
          INFO(agent << " " << path << " after turn " << turn << " (step " << r.turnEnd[turn - 1]
                     << ")");
          auto got = r.at(r.turnEnd[turn - 1], path);
          if (want.is_null()) {
            if (got) {
              CHECK_FALSE(got->content);
              CHECK_FALSE(got->present);
            }
            continue;
          }
          REQUIRE(got);
          INFO("base " << got->base << ", reason: " << got->reason);
          REQUIRE(got->content);
          CHECK(*got->content == want.get<std::string>());
          CHECK(got->exact);
        }
      }
      auto stats = r.store->verifyStats();
      REQUIRE(stats);
      REQUIRE(stats->size() == 1);
      CHECK(stats->front().mismatches == 0);
      CHECK(stats->front().failed == 0);
    }
  }
}

TEST_CASE("Timeline: from the session files alone, nothing is guessed", "[timeline]") {
  for (const char *agent : kAgents) {
    DYNAMIC_SECTION(agent) {
      Replay r(agent, false);
      int known = 0;
      for (const auto &[path, states] : r.exp["files"].items()) {
        for (size_t turn = 1; turn <= r.turnEnd.size(); ++turn) {
          const json &want = states["after_turn_" + std::to_string(turn)];
          auto got = r.at(r.turnEnd[turn - 1], path);
          if (!got || !got->content)
            continue;
          INFO(agent << " " << path << " after turn " << turn << " base " << got->base);
          // Whatever is claimed exact is right.
          if (got->exact) {
            REQUIRE(want.is_string());
            CHECK(*got->content == want.get<std::string>());
            ++known;
          }
        }
      }
      // calc/cli.py is read before it is edited by every agent: known at every turn.
      for (size_t turn = 1; turn <= r.turnEnd.size(); ++turn) {
        auto got = r.at(r.turnEnd[turn - 1], "calc/cli.py");
        REQUIRE(got);
        REQUIRE(got->content);
        CHECK(
            *got->content ==
            r.exp["files"]["calc/cli.py"]["after_turn_" + std::to_string(turn)].get<std::string>());
      }
      CHECK(known >= 3);
      auto stats = r.store->verifyStats();
      REQUIRE(stats);
      REQUIRE(stats->size() == 1);
      CHECK(stats->front().mismatches == 0);
    }
  }
}

TEST_CASE("Timeline: files, diffs and the CLI over a generated Claude session", "[timeline]") {
  Replay r("claude", true);
  auto files = timeline::files(*r.store, r.session);
  REQUIRE(files);
  std::map<std::string, timeline::FileSummary> byPath;
  for (const auto &f : *files)
    byPath[timeline::displayPath(f.path, r.session.project)] = f;
  REQUIRE(byPath.count("calc/cli.py"));
  CHECK(byPath["calc/cli.py"].changedAt.size() == 4);
  CHECK(byPath["calc/cli.py"].reads.size() == 2);
  REQUIRE(byPath.count("calc/operations.py")); // followed through `git mv`
  REQUIRE(byPath.count("calc/compat.py"));     // and `git rm`

  // The first edit's diff, exactly.
  const int64_t first = byPath["calc/cli.py"].changedAt.front();
  auto d = timeline::diff(*r.store, r.session, first - 1, first, "");
  REQUIRE(d);
  REQUIRE(d->size() == 1);
  REQUIRE(d->front().diff);
  CHECK(d->front().exact);
  CHECK(*d->front().diff == readFile(fixture("timeline/claude-first-edit.diff")));

  // A step that is not an edit of the file gives the state as of that step.
  auto mid = timeline::fileAt(*r.store, r.session, first + 1, "cli.py");
  REQUIRE(mid);
  REQUIRE(mid->content);
  CHECK(mid->stateSeq == first);

  // An unknown path is a clear error naming the session.
  auto none = timeline::fileAt(*r.store, r.session, first, "no/such.py");
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("did not touch 'no/such.py'") != std::string::npos);

  // The CLI prints the same things.
  const std::string db = "MANTRA_DB=" + shellQuote(r.tmp / "mantra.db");
  auto out = runMantra("files --json " + r.session.id, db);
  INFO(out.out << out.err);
  REQUIRE(out.exitCode == 0);
  bool sawCli = false;
  const json listed = out.json();
  for (const auto &f : listed["files"])
    if (f["path"] == "calc/cli.py") {
      sawCli = true;
      CHECK(f["changedAt"].size() == 4);
    }
  CHECK(sawCli);
  out = runMantra(
      "file --json " + r.session.id + " " + std::to_string(r.turnEnd[0]) + " calc/cli.py", db);
  REQUIRE(out.exitCode == 0);
  CHECK(out.json()["content"] == r.exp["files"]["calc/cli.py"]["after_turn_1"]);
  CHECK(out.json()["exact"] == true);
  CHECK(out.json()["languageId"] == "python");
  out = runMantra("file " + r.session.id + " " + std::to_string(r.turnEnd[2]) + " README.md", db);
  REQUIRE(out.exitCode == 0);
  CHECK(out.out == r.exp["files"]["README.md"]["after_turn_3"].get<std::string>());
  out = runMantra("diff " + r.session.id + " " + std::to_string(first), db);
  REQUIRE(out.exitCode == 0);
  CHECK(out.out == readFile(fixture("timeline/claude-first-edit.diff")));
  out = runMantra("diff --json " + r.session.id + " --from 0 --to " + std::to_string(r.turnEnd[2]) +
                      " README.md",
                  db);
  REQUIRE(out.exitCode == 0);
  CHECK(out.json()["diffs"][0]["diff"].get<std::string>().find("+    python3 -m calc add 2 3") !=
        std::string::npos);
  out = runMantra("verify --json", db);
  REQUIRE(out.exitCode == 0);
  CHECK(out.json()["mismatches"] == 0);
  CHECK(out.json()["checks"].get<int>() > 0);
  out = runMantra("show --json --kind shell " + r.session.id, db);
  REQUIRE(out.exitCode == 0);
  const json shells = out.json();
  REQUIRE(!shells["events"].empty());
  for (const auto &e : shells["events"])
    CHECK(e["kind"] == "shell");
  out = runMantra("file " + r.session.id + " x calc/cli.py", db);
  CHECK(out.exitCode == 2);
}

TEST_CASE("Timeline: golden diffs of each agent's first edit of calc/cli.py", "[timeline]") {
  for (const char *agent : kAgents) {
    DYNAMIC_SECTION(agent) {
      Replay r(agent, true);
      auto at = timeline::fileAt(*r.store, r.session, 0, "calc/cli.py");
      REQUIRE(at);
      REQUIRE_FALSE(at->changedAt.empty());
      const int64_t first = at->changedAt.front();
      auto d = timeline::diff(*r.store, r.session, first - 1, first, "calc/cli.py");
      REQUIRE(d);
      REQUIRE(d->size() == 1);
      REQUIRE(d->front().diff);
      CHECK(d->front().exact);
      CHECK(*d->front().diff ==
            readFile(fixture(std::string("timeline/") + agent + "-first-edit.diff")));
    }
  }
}

TEST_CASE("Timeline: shell commands that move, delete or rewrite files", "[timeline]") {
  using timeline::ShellEffect;
  auto fx = timeline::shellEffects("git mv calc/ops.py calc/operations.py && git rm -q "
                                   "calc/compat.py",
                                   "/w");
  REQUIRE(fx.size() == 2);
  CHECK(fx[0].kind == ShellEffect::Kind::Move);
  CHECK(fx[0].from == "/w/calc/ops.py");
  CHECK(fx[0].to == "/w/calc/operations.py");
  CHECK(fx[1].kind == ShellEffect::Kind::Delete);
  CHECK(fx[1].from == "/w/calc/compat.py");

  fx = timeline::shellEffects("cd src && sed -i 's/a/b/' x.c y.c > /dev/null", "/w");
  REQUIRE(fx.size() == 2);
  CHECK(fx[0].kind == ShellEffect::Kind::Write);
  CHECK(fx[0].from == "/w/src/x.c");
  CHECK(fx[1].from == "/w/src/y.c");

  fx = timeline::shellEffects("cat > notes.txt <<'EOF'\nrm -rf /\nEOF\necho hi 2>err.log", "/w");
  REQUIRE(fx.size() == 2); // the heredoc body is data, not commands
  CHECK(fx[0].from == "/w/notes.txt");
  CHECK(fx[1].from == "/w/err.log");

  fx = timeline::shellEffects("python3 -m unittest && grep -rn \"x > y\" .", "/w");
  CHECK(fx.empty());
  fx = timeline::shellEffects("bash -lc 'mv a.txt b.txt'", "/w");
  REQUIRE(fx.size() == 1);
  CHECK(fx[0].to == "/w/b.txt");
  fx = timeline::shellEffects("git stash", "/w");
  REQUIRE(fx.size() == 1);
  CHECK(fx[0].kind == ShellEffect::Kind::Reset);
  CHECK(timeline::shellEffects("git status && git diff", "/w").empty());
}

namespace {

// A BaseSource with nothing to offer: no git, no disk.
struct NoBases : timeline::BaseSource {
  timeline::BaseContent git(const std::string &) override { return {}; }
  timeline::BaseContent disk(const std::string &) override { return {}; }
};

Event editEvent(int64_t seq, json changes) {
  Event e;
  e.seq = seq;
  e.kind = EventKind::Edit;
  e.data = {{"changes", std::move(changes)}};
  return e;
}

Event readEvent(int64_t seq, const std::string &path, const std::string &content) {
  Event e;
  e.seq = seq;
  e.kind = EventKind::ToolResult;
  e.data = {{"read", {{"path", path}, {"content", content}, {"complete", true}}}};
  return e;
}

} // namespace

TEST_CASE("Timeline: bad edits are reported and the other files still work", "[timeline]") {
  NoBases none;
  std::function<std::string(std::string)> same = [](std::string s) { return s; };
  std::vector<Event> events;
  events.push_back(readEvent(1, "/w/a.txt", "one\ntwo\n"));
  events.push_back(readEvent(2, "/w/b.txt", "alpha\n"));
  // Old text that is not in the file.
  events.push_back(
      editEvent(3, json::array({{{"path", "/w/a.txt"},
                                 {"op", "replace"},
                                 {"edits", json::array({{{"old", "three"}, {"new", "3"}}})}}})));
  events.push_back(
      editEvent(4, json::array({{{"path", "/w/b.txt"},
                                 {"op", "replace"},
                                 {"edits", json::array({{{"old", "alpha"}, {"new", "beta"}}})}}})));
  // An edit of a file nothing is known about.
  events.push_back(
      editEvent(5, json::array({{{"path", "c.txt"},
                                 {"op", "replace"},
                                 {"edits", json::array({{{"old", "x"}, {"new", "y"}}})}}})));
  // A later read of a.txt makes it known again.
  events.push_back(readEvent(6, "/w/a.txt", "one\n2\n"));
  Event shell;
  shell.seq = 7;
  shell.kind = EventKind::Shell;
  shell.command = "sed -i 's/beta/gamma/' b.txt";
  shell.exitCode = 0;
  events.push_back(shell);
  const auto rows = timeline::build(events, {"/w"}, none, same);

  auto last = [&](const std::string &path, int64_t seq) {
    const FileStateRow *out = nullptr;
    for (const auto &r : rows)
      if (r.path == path && r.seq <= seq)
        out = &r;
    REQUIRE(out);
    return *out;
  };
  auto a3 = last("/w/a.txt", 3);
  CHECK_FALSE(a3.content);
  CHECK(a3.status == "did not apply: old text not found");
  auto b4 = last("/w/b.txt", 4);
  REQUIRE(b4.content);
  CHECK(*b4.content == "beta\n");
  CHECK(b4.exact);
  CHECK(b4.base == "read");
  auto c5 = last("/w/c.txt", 5);
  CHECK_FALSE(c5.content);
  CHECK(c5.base == "none");
  CHECK(c5.status.find("unknown") != std::string::npos);
  auto a6 = last("/w/a.txt", 6);
  REQUIRE(a6.content);
  CHECK(a6.exact);
  CHECK_FALSE(a6.matched); // nothing known to compare with
  auto b7 = last("/w/b.txt", 7);
  CHECK(b7.op == "command");
  CHECK_FALSE(b7.content);
  CHECK(b7.status.find("changed by a command at step 7") != std::string::npos);
}

TEST_CASE("Timeline: mantra:// URIs", "[timeline]") {
  auto u = timeline::parseFileUri("mantra://claude:f2d6/11/calc/cli.py");
  REQUIRE(u);
  CHECK(u->session == "claude:f2d6");
  CHECK(u->seq == 11);
  CHECK(u->path == "calc/cli.py");
  // VS Code percent-encodes the colon of the authority; absolute paths keep their slash.
  u = timeline::parseFileUri("mantra://claude%3Af2d6/0//tmp/my%20dir/a.py?x#y");
  REQUIRE(u);
  CHECK(u->session == "claude:f2d6");
  CHECK(u->seq == 0);
  CHECK(u->path == "/tmp/my dir/a.py");
  CHECK(timeline::fileUri("codex:1", 3, "a b/c#d.py") == "mantra://codex:1/3/a%20b/c%23d.py");
  auto back = timeline::parseFileUri(timeline::fileUri("codex:1", 3, "a b/c#d.py"));
  REQUIRE(back);
  CHECK(back->path == "a b/c#d.py");
  for (const char *bad :
       {"file:///x", "mantra://", "mantra://s", "mantra://s/x/p", "mantra://s/1/"}) {
    auto e = timeline::parseFileUri(bad);
    REQUIRE_FALSE(e);
    CHECK(e.error().message.find("mantra://<session>/<seq>/<path>") != std::string::npos);
  }
}

TEST_CASE("Timeline: the other viewers' samples replay without a mismatch", "[timeline]") {
  const fs::path real = sharedReal("");
  if (real.empty()) {
    WARN("../shared/fixtures/real is absent: the other viewers' samples are not replayed");
    return;
  }
  TempDir tmp;
  auto s = Store::open(tmp / "mantra.db");
  REQUIRE(s);
  Redactor redactor;
  Indexer ix(**s, redactor, makeAdapters());
  std::vector<std::string> dirs;
  for (const char *agent : {"claude", "codex", "gemini", "cursor", "aider", "cline"})
    if (fs::exists(real / agent))
      dirs.push_back((real / agent).string());
  auto r = ix.run(dirs);
  REQUIRE(r);
  CHECK(r->totals.sessions > 10);
  auto stats = (*s)->verifyStats();
  REQUIRE(stats);
  for (const auto &v : *stats) {
    INFO(v.agent);
    CHECK(v.mismatches == 0);
  }
  // Every session's files answer, whatever they know.
  auto sessions = (*s)->sessions({{}, {}, 1000});
  REQUIRE(sessions);
  for (const auto &row : *sessions) {
    auto files = timeline::files(**s, row);
    REQUIRE(files);
    for (const auto &f : *files) {
      auto at = timeline::fileAt(**s, row, row.events, f.path);
      INFO(row.id << " " << f.path << ": " << (at ? "" : at.error().message));
      CHECK(at);
    }
  }
}
