// search/Search: search() over a real store — matching, grouping by session, ranking (kinds,
// phrase, title, recency, sub-agents), snippets with code-point highlights, parts of
// identifiers through the vocabulary, every filter's meaning on the fixture sessions, the
// session-level pass, and the vocabulary kept by migrations and `redact --rescan`.
#include "IndexSupport.h"
#include "TestSupport.h"
#include "search/Search.h"

#include <catch2/catch.hpp>

#include <set>

using namespace mantra;
using namespace mantra::test;

namespace {

constexpr int64_t kNow = 1795607300000; // 2026-11-25T11:48:20Z, just after the fixtures ran
constexpr int64_t kDay = 86400000;

// The substring of UTF-8 `s` between code-point offsets [from, to).
std::string codePoints(const std::string &s, int from, int to) {
  std::vector<size_t> starts; // byte offset of each code point, plus the end
  for (size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80)
      starts.push_back(i);
  starts.push_back(s.size());
  REQUIRE(from >= 0);
  REQUIRE(from <= to);
  REQUIRE(static_cast<size_t>(to) < starts.size());
  return s.substr(starts[static_cast<size_t>(from)],
                  starts[static_cast<size_t>(to)] - starts[static_cast<size_t>(from)]);
}

// Every highlighted span of a step, as text.
std::vector<std::string> highlighted(const SearchStep &h) {
  std::vector<std::string> out;
  for (const auto &[s, e] : h.highlights)
    out.push_back(codePoints(h.snippet, s, e));
  return out;
}

std::vector<std::string> ids(const SearchResult &r) {
  std::vector<std::string> out;
  for (const auto &s : r.sessions)
    out.push_back(s.session.id);
  return out;
}

std::set<std::string> idSet(const SearchResult &r) {
  auto v = ids(r);
  return {v.begin(), v.end()};
}

// A store filled by hand: sessions and steps with exactly the words a test needs.
struct Corpus {
  TempDir tmp;
  std::unique_ptr<Store> store;
  int64_t source = 0;

  Corpus() {
    auto s = Store::open(tmp / "mantra.db");
    REQUIRE(s);
    store = std::move(*s);
    Source src;
    src.path = "/s.jsonl";
    src.agent = "claude";
    auto id = store->saveSource(src);
    REQUIRE(id);
    source = *id;
    REQUIRE(store->begin());
  }

  void session(const std::string &id, const std::string &title, const std::string &project,
               int64_t at = kNow - kDay, bool subagent = false) {
    SessionInfo s;
    s.id = id;
    s.agent = id.substr(0, id.find(':'));
    s.nativeId = id.substr(id.find(':') + 1);
    s.title = title;
    s.titleRank = TitleFirstPrompt;
    s.project = project;
    s.started = s.ended = at;
    s.isSubagent = subagent;
    REQUIRE(store->upsertSession(s));
  }

  int64_t add(const std::string &sessionId, EventKind kind, const std::string &text,
              const std::string &command = "", std::optional<int64_t> time = std::nullopt) {
    Event e;
    e.sessionId = sessionId;
    e.kind = kind;
    e.text = text;
    e.command = command;
    e.time = time;
    auto id = store->appendEvent(e, source);
    REQUIRE(id);
    return e.seq;
  }

  void done() {
    REQUIRE(store->refreshCounts());
    REQUIRE(store->commit());
  }

  SearchResult run(const std::string &q, int limit = 20, bool byEvent = false) {
    SearchOptions o;
    o.query = q;
    o.limit = limit;
    o.byEvent = byEvent;
    o.now = kNow;
    auto r = search(*store, o);
    if (!r)
      FAIL("search(" << q << "): " << r.error().message);
    return *r;
  }
  std::vector<SearchHit> hits(const std::string &q, int limit = 20) {
    return run(q, limit, true).hits;
  }
};

// The project's fixtures and the search samples, indexed once per test process.
struct Fixtures {
  IndexEnv env;
  Fixtures() {
    const auto r = env.index({fixture("generated").string(), fixture("aider").string(),
                              fixture("cline").string(),
                              (fs::path(MANTRA_SOURCE_DIR) / "tests/search/samples").string()});
    REQUIRE(r.errors.empty());
  }
  static Fixtures &get() {
    static Fixtures f;
    return f;
  }
  // The Aider session's id: its first part hashes the folder the fixture was copied to.
  std::string aiderId() {
    SessionFilter all;
    all.agent = "aider";
    all.limit = 10;
    auto rows = env.store->sessions(all);
    REQUIRE(rows);
    for (const auto &s : *rows)
      if (s.id.size() > 16 && s.id.compare(s.id.size() - 16, 16, "-20250302T101542") == 0)
        return s.id;
    FAIL("no Aider session of 2025-03-02 10:15:42");
    return {};
  }
  SearchResult run(const std::string &q, const std::string &cwd = "", int limit = 50) {
    SearchOptions o;
    o.query = q;
    o.limit = limit;
    o.cwd = cwd;
    o.now = kNow;
    auto r = search(*env.store, o);
    if (!r)
      FAIL("search(" << q << "): " << r.error().message);
    return *r;
  }
};

const std::string kClaude = "claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b";
const std::string kClaudeLegacy = "claude:735cf6c2-d905-41aa-aca1-69983c7c16c1";
const std::string kCodex = "codex:01a21286-652e-7370-9d3b-fe769cf538f0";
const std::string kCodexLegacy = "codex:01a21287-5eb0-7d00-ad33-4613020b431f";
const std::string kGemini = "gemini:07f1ec1d-32b7-4df2-8bfb-244594016c8d";
const std::string kGeminiLegacy = "gemini:21fb6dfb-9f5c-4887-bfb8-bc62ce22c548";
const std::set<std::string> kGenerated = {kClaude,      kClaudeLegacy, kCodex,
                                          kCodexLegacy, kGemini,       kGeminiLegacy};
// tests/search/samples/ids.json
const std::string kWsReconnect = "claude:8177124e-27dd-5b29-b7c7-8d9275dcab5d";
const std::string kWsExplore = "claude:agent-24821878";
const std::string kDockerAlpine = "gemini:54bb81ba-42e3-5832-b3af-d6556738d901";
const std::string kScheduler = "codex:eea8a1dd-66bc-5f54-89bf-91a4810ca03e";
const std::string kRateLimit = "codex:fc0c8ccf-a259-56ed-94fb-256f5a2a0a17";
const std::string kEmail = "claude:46c4d114-ac9f-54ee-8c6d-b00606f79745";
const std::string kCss = "claude:161414a4-e81a-5d6c-b58d-2f8048e2bcd1";
const std::string kSlowSearch = "claude:3f303f90-38b9-516f-a007-8d8dbbfab109";

} // namespace

// --- matching, grouping and the flat list ----------------------------------------------------

TEST_CASE("search groups matching steps by session, with session details", "[search]") {
  Corpus c;
  c.session("claude:one", "add a verbose flag", "/w/calc");
  c.session("claude:two", "rename ops", "/w/other");
  c.add("claude:one", EventKind::User, "add a --verbose flag to the calc CLI", "", kNow - kDay);
  c.add("claude:one", EventKind::Assistant, "I will add the verbose flag now");
  c.add("claude:one", EventKind::ToolResult, "flag parsed; verbose output follows");
  c.add("claude:one", EventKind::Assistant, "the verbose flag works, verbose indeed");
  c.add("claude:two", EventKind::User, "rename ops.py to operations.py, keep the verbose flag");
  c.done();

  const SearchResult r = c.run("verbose flag");
  CHECK(r.totalSessions == 2);
  CHECK(r.totalHits == 5);
  REQUIRE(r.sessions.size() == 2);
  const SessionHit &one = r.sessions[0].session.id == "claude:one" ? r.sessions[0] : r.sessions[1];
  CHECK(one.session.title == "add a verbose flag");
  CHECK(one.session.project == "/w/calc");
  CHECK(one.session.agent == "claude");
  CHECK(one.hits == 4);
  REQUIRE(one.steps.size() == 3); // the best three of four
  CHECK(one.steps[0].seq == 1);   // the prompt counts most
  CHECK(one.steps[0].kind == EventKind::User);
  CHECK(one.steps[0].time == std::optional<int64_t>(kNow - kDay));
  for (size_t i = 1; i < one.steps.size(); ++i)
    CHECK(one.steps[i - 1].score >= one.steps[i].score);
  CHECK(one.files.empty());
  CHECK(r.sessions[0].score >= r.sessions[1].score);

  // byEvent: one hit per step, best first, with the session's details.
  const auto hits = c.hits("verbose flag");
  REQUIRE(hits.size() == 5);
  CHECK(hits[0].sessionId == "claude:one");
  CHECK(hits[0].seq == 1);
  CHECK(hits[0].title == "add a verbose flag");
  for (size_t i = 1; i < hits.size(); ++i)
    CHECK(hits[i - 1].score >= hits[i].score);

  CHECK(c.run("verbose flag", 1).sessions.size() == 1);
  CHECK(c.run("verbose flag", 1).totalSessions == 2);
  CHECK(c.hits("verbose", 2).size() == 2);
  CHECK(c.run("flag rename").sessions.size() == 1); // both words in one step of claude:two
  CHECK(c.run("nonexistentword").sessions.empty());
}

TEST_CASE("search: -word, OR and prefixes", "[search]") {
  Corpus c;
  c.session("claude:s", "words", "/w");
  c.add("claude:s", EventKind::User, "socket reconnect after sleep");  // 1
  c.add("claude:s", EventKind::User, "socket retry with python");      // 2
  c.add("claude:s", EventKind::User, "socket timeout in the handler"); // 3
  c.add("claude:s", EventKind::User, "reconnection storms");           // 4
  c.done();
  auto seqs = [&](const std::string &q) {
    std::set<int64_t> out;
    for (const auto &h : c.hits(q))
      out.insert(h.seq);
    return out;
  };
  CHECK(seqs("socket") == std::set<int64_t>{1, 2, 3});
  CHECK(seqs("socket -python") == std::set<int64_t>{1, 3});
  CHECK(seqs("socket -python -\"in the handler\"") == std::set<int64_t>{1});
  CHECK(seqs("socket reconnect OR retry") == std::set<int64_t>{1, 2});
  CHECK(seqs("reconnect OR timeout OR storms") == std::set<int64_t>{1, 3, 4});
  CHECK(seqs("reconn*") == std::set<int64_t>{1, 4});
  CHECK(seqs("\"socket re\"*") == std::set<int64_t>{1, 2});
  // Exclusions alone need something to search: an error, not every step.
  SearchOptions o;
  o.query = "-socket";
  auto r = search(*c.store, o);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Parse);
}

// --- ranking ---------------------------------------------------------------------------------

TEST_CASE("search ranks by kind, phrase, title, recency and sub-agents", "[search]") {
  SECTION("a prompt above tool output above a long text") {
    Corpus c;
    c.session("claude:r", "ranking", "/w");
    c.add("claude:r", EventKind::ToolResult, "the widget factory is broken");
    c.add("claude:r", EventKind::User, "the widget factory is broken");
    std::string longText;
    for (int i = 0; i < 60; ++i)
      longText += "filler words about nothing in particular ";
    c.add("claude:r", EventKind::ToolResult, longText + "widget");
    c.done();
    const auto hits = c.hits("widget");
    REQUIRE(hits.size() == 3);
    CHECK(hits[0].seq == 2);
    CHECK(hits[1].seq == 1);
    CHECK(hits[2].seq == 3);
    CHECK(hits[0].score > hits[1].score);
  }
  SECTION("the words as one phrase") {
    Corpus c;
    c.session("claude:a", "a", "/w");
    c.session("claude:b", "b", "/w");
    c.add("claude:a", EventKind::Assistant, "we reconnect websocket clients later");
    c.add("claude:b", EventKind::Assistant, "the websocket reconnect happens later");
    c.done();
    CHECK(ids(c.run("websocket reconnect")) == std::vector<std::string>{"claude:b", "claude:a"});
    CHECK(ids(c.run("reconnect websocket")) == std::vector<std::string>{"claude:a", "claude:b"});
  }
  SECTION("the title") {
    Corpus c;
    c.session("claude:a", "Fix the flaky scheduler", "/w");
    c.session("claude:b", "Something else", "/w");
    c.add("claude:b", EventKind::Assistant, "the scheduler test is flaky");
    c.add("claude:a", EventKind::Assistant, "the scheduler test is flaky");
    c.done();
    CHECK(ids(c.run("flaky scheduler")) == std::vector<std::string>{"claude:a", "claude:b"});
  }
  SECTION("a mild recency boost") {
    Corpus c;
    c.session("claude:old", "x", "/w", kNow - 400 * kDay);
    c.session("claude:new", "x", "/w", kNow - kDay);
    c.session("claude:better", "x", "/w", kNow - 800 * kDay);
    c.add("claude:old", EventKind::Assistant, "the parser rejects the token");
    c.add("claude:new", EventKind::Assistant, "the parser rejects the token");
    c.add("claude:better", EventKind::User, "the parser rejects the token");
    c.done();
    // Of two equal matches the recent one first; a better old match still wins.
    CHECK(ids(c.run("parser token")) ==
          std::vector<std::string>{"claude:better", "claude:new", "claude:old"});
  }
  SECTION("a sub-agent's session after the one it worked for, unless asked for") {
    Corpus c;
    c.session("claude:parent", "p", "/w");
    c.session("claude:agent-1", "s", "/w", kNow - kDay, true);
    c.add("claude:parent", EventKind::User, "fix the websocket reconnect when the laptop sleeps");
    c.add("claude:agent-1", EventKind::User, "find the websocket code");
    c.done();
    CHECK(ids(c.run("websocket")) == std::vector<std::string>{"claude:parent", "claude:agent-1"});
    CHECK(ids(c.run("websocket is:subagent")) == std::vector<std::string>{"claude:agent-1"});
    CHECK(ids(c.run("websocket -is:subagent")) == std::vector<std::string>{"claude:parent"});
  }
}

TEST_CASE("search: ranking puts the expected session first on the fixtures and samples",
          "[search]") {
  Fixtures &f = Fixtures::get();
  const std::vector<std::pair<std::string, std::string>> expect = {
      {"websocket reconnect laptop sleeps", kWsReconnect},
      {"websocket", kWsReconnect},
      {"reconnectWebS", kWsReconnect},
      {"flaky timeout scheduler", kScheduler},
      {"TokenBucket", kRateLimit},
      {"sidebar overlaps footer mobile", kCss},
      {"MultiEdit", kClaudeLegacy},
      {"Tuples differ model:opus", kClaude},
      {"email_verified alembic", kEmail},
      {"EXPLAIN ANALYZE seq scan", kSlowSearch},
  };
  for (const auto &[q, id] : expect) {
    INFO(q);
    const auto r = f.run(q);
    REQUIRE_FALSE(r.sessions.empty());
    CHECK(r.sessions[0].session.id == id);
  }
}

// --- snippets --------------------------------------------------------------------------------

TEST_CASE("search snippets highlight the match by code-point offsets", "[search]") {
  Corpus c;
  c.session("claude:h", "highlights", "/w");
  c.add("claude:h", EventKind::User, "the quick brown fox jumps");
  c.add("claude:h", EventKind::Assistant,
        "Größenänderung für naïve café — résumé 🦊 handling: zebrafish appear here");
  c.add("claude:h", EventKind::ToolResult, "line one\n\n\tline   two has\n  a marmot\r\nend");
  c.add("claude:h", EventKind::Assistant, "日本語のテキスト then kangaroo then 中文");
  c.done();

  SECTION("ASCII") {
    auto hits = c.hits("brown");
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].snippet == "the quick brown fox jumps");
    REQUIRE(hits[0].highlights.size() == 1);
    CHECK(hits[0].highlights[0] == std::make_pair(10, 15));
    // The grouped result's step carries the same snippet.
    const auto r = c.run("brown");
    REQUIRE(r.sessions.size() == 1);
    CHECK(r.sessions[0].steps[0].snippet == hits[0].snippet);
    CHECK(r.sessions[0].steps[0].highlights == hits[0].highlights);
  }
  SECTION("non-ASCII text before the match") {
    auto hits = c.hits("zebrafish");
    REQUIRE(hits.size() == 1);
    CHECK(highlighted(hits[0]) == std::vector<std::string>{"zebrafish"});
    const std::string before = "Größenänderung für naïve café — résumé 🦊 handling: ";
    int cps = 0;
    for (unsigned char ch : before)
      cps += (ch & 0xC0) != 0x80;
    CHECK(hits[0].highlights[0].first == cps);
    CHECK(hits[0].highlights[0].second == cps + 9);
  }
  SECTION("CJK, diacritics, prefixes, phrases, collapsed whitespace, several words") {
    CHECK(highlighted(c.hits("kangaroo")[0]) == std::vector<std::string>{"kangaroo"});
    CHECK(highlighted(c.hits("cafe")[0]) == std::vector<std::string>{"café"});
    CHECK(highlighted(c.hits("zebra*")[0]) == std::vector<std::string>{"zebrafish"});
    std::string joined;
    for (const auto &s : highlighted(c.hits("\"brown fox\"")[0]))
      joined += (joined.empty() ? "" : "|") + s;
    CHECK(joined == "brown fox");
    CHECK(c.hits("\"fox brown\"").empty());
    const auto marmot = c.hits("marmot");
    REQUIRE(marmot.size() == 1);
    CHECK(marmot[0].snippet == "line one line two has a marmot end");
    CHECK(highlighted(marmot[0]) == std::vector<std::string>{"marmot"});
    CHECK(highlighted(c.hits("quick fox")[0]) == std::vector<std::string>{"quick", "fox"});
  }
}

TEST_CASE("search shortens long text to a window around the match", "[search]") {
  Corpus c;
  c.session("claude:long", "long", "/w");
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += "padding ";
  text += "ünïcödé needleword ";
  for (int i = 0; i < 200; ++i)
    text += "trailing ";
  c.add("claude:long", EventKind::ToolResult, text);
  c.done();
  auto hits = c.hits("needleword");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].snippet.size() < 300);
  CHECK_THAT(hits[0].snippet, Catch::Contains("…"));
  CHECK(highlighted(hits[0]) == std::vector<std::string>{"needleword"});
}

TEST_CASE("search matches shell commands as well as text", "[search]") {
  Corpus c;
  c.session("claude:cmd", "commands", "/w");
  c.add("claude:cmd", EventKind::Shell, "Ran 5 tests OK", "python3 -m unittest discover");
  c.done();
  auto hits = c.hits("discover");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].kind == EventKind::Shell);
  CHECK(highlighted(hits[0]) == std::vector<std::string>{"discover"});
  CHECK(c.hits("ran tests").size() == 1);
  // cmd: alone shows the command with the match marked.
  const auto r = c.run("cmd:unittest");
  REQUIRE(r.sessions.size() == 1);
  CHECK(r.sessions[0].steps[0].snippet == "python3 -m unittest discover");
  CHECK(highlighted(r.sessions[0].steps[0]) == std::vector<std::string>{"unittest"});
}

TEST_CASE("special characters never reach FTS5 as syntax", "[search]") {
  Corpus c;
  c.session("claude:sp", "special", "/w");
  c.add("claude:sp", EventKind::User, "from calc.ops import OPS");
  c.add("claude:sp", EventKind::User, "add a --verbose flag");
  c.add("claude:sp", EventKind::User, "near the river or the sea, not and");
  c.add("claude:sp", EventKind::User, "a\"b quoted");
  c.done();
  const std::vector<std::string> queries = {
      "calc.ops", "--verbose", "NEAR(",     "NEAR(a, b)", "OR",      "AND",      "NOT",   "*",
      "**",       "a*b*",      "(x)",       "^start",     "col:x",   "{a b}",    "+",     "-",
      "a AND",    "OR OR",     "'quote",    "\\",         "%_",      "a\"b\"",   "\"*\"", ":",
      "x:y:z",    "tool:*",    "cmd:\"(\"", "file:[",     "model:%", "{tool}:x", "NOT:x"};
  for (const auto &q : queries) {
    INFO("query: " << q);
    SearchOptions o;
    o.query = q;
    auto r = search(*c.store, o);
    if (!r)
      FAIL_CHECK("search failed: " << r.error().message);
  }
  auto seqOf = [&](const std::string &q) {
    const auto h = c.hits(q);
    return h.size() == 1 ? h[0].seq : -1;
  };
  CHECK(seqOf("calc.ops") == 1);
  CHECK(seqOf("--verbose") == 2);
  CHECK(seqOf("NEAR(") == 3);
  CHECK(seqOf("OR") == 3);
  CHECK(seqOf("NOT AND") == 3);
  CHECK(seqOf("a\"b\"") == 4);

  // An unclosed quote is the parser's error, with a column, never an FTS5 message.
  SearchOptions bad;
  bad.query = "a\"b";
  auto r = search(*c.store, bad);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Parse);
  CHECK(r.error().message == "query: unclosed quote at column 2");
}

// --- parts of identifiers --------------------------------------------------------------------

TEST_CASE("search finds identifiers by a part of them", "[search]") {
  Corpus c;
  c.session("claude:id", "identifiers", "/w");
  c.add("claude:id", EventKind::Edit, "export function reconnectWebSocket(url) {}");     // 1
  c.add("claude:id", EventKind::Assistant, "the websocket is fine");                     // 2
  c.add("claude:id", EventKind::ToolResult, "E   AssertionError in test_job_runs_once"); // 3
  c.add("claude:id", EventKind::Shell, "ok", "go test ./internal/middleware");           // 4
  c.add("claude:id", EventKind::ToolResult, "commit 3f9a2c1d7e8b hash 0x1f2e3d4c5b6a");  // 5
  c.done();
  auto seqs = [&](const std::string &q) {
    std::set<int64_t> out;
    for (const auto &h : c.hits(q))
      out.insert(h.seq);
    return out;
  };
  CHECK(seqs("reconnectWebS") == std::set<int64_t>{1});          // camelCase: a part
  CHECK(seqs("WebSocket") == std::set<int64_t>{1, 2});           // the word and inside one
  CHECK(seqs("websocket") == std::set<int64_t>{2});              // lowercase, found: the word only
  CHECK(seqs("connectwebsock") == std::set<int64_t>{1});         // found nowhere: a part
  CHECK(seqs("job_runs") == std::set<int64_t>{3});               // snake_case
  CHECK(seqs("middlewar") == std::set<int64_t>{4});              // a prefix, in a command
  CHECK(seqs("reconnectWebS function") == std::set<int64_t>{1}); // with other words
  CHECK(seqs("zzzqqq").empty());
  // The whole identifier is what the snippet marks.
  const auto h = c.hits("reconnectWebS");
  REQUIRE(h.size() == 1);
  CHECK(highlighted(h[0]) == std::vector<std::string>{"reconnectWebSocket"});
  // Hashes and numbers stay out of the vocabulary.
  auto st = c.store->db().prepare("SELECT word FROM idents WHERE word IN "
                                  "('3f9a2c1d7e8b', '0x1f2e3d4c5b6a', 'reconnectwebsocket')");
  REQUIRE(st);
  std::set<std::string> words;
  while (st->step())
    words.insert(st->text(0));
  CHECK(words == std::set<std::string>{"reconnectwebsocket"});
}

// --- filters on the fixture sessions ---------------------------------------------------------

TEST_CASE("search filters select what they say on the fixture sessions", "[search]") {
  Fixtures &f = Fixtures::get();
  SECTION("agent:") {
    CHECK(idSet(f.run("agent:codex")) ==
          std::set<std::string>{kCodex, kCodexLegacy, kScheduler, kRateLimit});
    CHECK(idSet(f.run("verbose agent:codex,gemini")) ==
          std::set<std::string>{kCodex, kCodexLegacy, kGemini, kGeminiLegacy});
    CHECK(idSet(f.run("verbose -agent:claude agent:codex OR agent:gemini")) ==
          std::set<std::string>{kCodex, kCodexLegacy, kGemini, kGeminiLegacy});
  }
  SECTION("project: a folder, the caller's folder, a folder name") {
    CHECK(idSet(f.run("project:/tmp/realgen/work-rich-claude")) == std::set<std::string>{kClaude});
    CHECK(idSet(f.run("project:.", "/tmp/realgen")) ==
          std::set<std::string>{kClaude, kCodex, kGemini});
    CHECK(idSet(f.run("project:work-rich-claude")) ==
          std::set<std::string>{kClaude, kClaudeLegacy});
    CHECK(idSet(f.run("project:work-rich-*")) == kGenerated);
    CHECK(f.run("project:/tmp/realgen/work-rich").sessions.empty()); // a folder, not a prefix
  }
  SECTION("file: a path the session read, changed or named") {
    const auto r = f.run("file:calc/cli.py");
    CHECK(idSet(r) == kGenerated);
    for (const auto &s : r.sessions) {
      INFO(s.session.id);
      REQUIRE(s.files.size() == 1);
      CHECK(s.files[0] == s.session.project + "/calc/cli.py");
      CHECK_FALSE(s.steps.empty());
      CHECK(s.hits >= 3); // read, edited, edited again, …
    }
    // Created in turn 3 by every agent; a glob; an absolute path; only read.
    CHECK(idSet(f.run("file:calc/__main__.py")) == kGenerated);
    CHECK(idSet(f.run("file:**/__main__.py agent:codex")) ==
          std::set<std::string>{kCodex, kCodexLegacy});
    CHECK(idSet(f.run("file:/tmp/realgen/work-rich-codex/calc/__main__.py")) ==
          std::set<std::string>{kCodex});
    CHECK(idSet(f.run("file:styles/*.css")) == std::set<std::string>{kCss});
    CHECK(idSet(f.run("file:0042_email_verified.py")) == std::set<std::string>{kEmail});
    CHECK(f.run("file:cli").sessions.empty()); // a path's tail is whole names
    CHECK(idSet(f.run("agent:claude -file:calc/cli.py")).count(kClaude) == 0);
  }
  SECTION("tool: and cmd:") {
    CHECK(idSet(f.run("tool:MultiEdit")) == std::set<std::string>{kClaudeLegacy});
    CHECK(idSet(f.run("tool:exec_command")) == std::set<std::string>{kCodex});
    CHECK(idSet(f.run("tool:apply_patch agent:codex model:gpt-5.5")) ==
          std::set<std::string>{kCodex});
    CHECK(idSet(f.run("tool:run_shell* agent:gemini")) ==
          std::set<std::string>{kGemini, kGeminiLegacy, kDockerAlpine});
    CHECK(idSet(f.run("tool:run_shell")) == std::set<std::string>{f.aiderId()}); // exact name
    const auto unittest = f.run("cmd:unittest");
    CHECK(idSet(unittest) == kGenerated);
    for (const auto &s : unittest.sessions)
      for (const auto &step : s.steps)
        CHECK(step.kind == EventKind::Shell);
    CHECK(idSet(f.run("cmd:\"git mv\"")) ==
          std::set<std::string>{kClaude, kClaudeLegacy, kGemini, kGeminiLegacy});
    CHECK(idSet(f.run("cmd:\"go test\"")) == std::set<std::string>{kRateLimit});
  }
  SECTION("branch:, model:") {
    CHECK(idSet(f.run("branch:feat/*")) == std::set<std::string>{kEmail, kRateLimit});
    CHECK(idSet(f.run("branch:fix/ws-reconnect")) ==
          std::set<std::string>{kWsReconnect, kWsExplore});
    CHECK(idSet(f.run("model:opus")) == std::set<std::string>{kClaude, kWsReconnect, kSlowSearch});
    CHECK(idSet(f.run("model:gpt-5")) ==
          std::set<std::string>{kCodex, kCodexLegacy, kScheduler, kRateLimit});
  }
  SECTION("kind:") {
    const auto r = f.run("verbose kind:user");
    REQUIRE_FALSE(r.sessions.empty());
    for (const auto &s : r.sessions)
      for (const auto &step : s.steps)
        CHECK(step.kind == EventKind::User);
    for (const auto &s : f.run("verbose kind:tool").sessions)
      for (const auto &step : s.steps)
        CHECK((step.kind == EventKind::ToolCall || step.kind == EventKind::ToolResult));
  }
  SECTION("after:, before: (sessions without a time match neither)") {
    CHECK(idSet(f.run("after:2026-11-01")) == kGenerated);
    CHECK(idSet(f.run("after:2026-10-01 before:2026-11-01")) ==
          std::set<std::string>{kWsReconnect, kWsExplore, kSlowSearch});
    const auto old = idSet(f.run("before:2026-01-01"));
    CHECK(old.count(kCss) == 1);
    CHECK(old.count(f.aiderId()) == 1);
    CHECK(old.count("cline:0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b") == 0); // no time recorded
    CHECK(idSet(f.run("after:7d")) == kGenerated);                       // kNow − 7 days
    CHECK(idSet(f.run("verbose before:1w")).empty());
  }
  SECTION("failed") {
    const auto r = f.run("failed");
    for (const auto &s : kGenerated)
      CHECK(idSet(r).count(s) == 1);
    CHECK(idSet(r).count(kScheduler) == 1);
    CHECK(idSet(r).count(kCss) == 0);
    // Newest first: nothing was ranked.
    for (size_t i = 1; i < r.sessions.size(); ++i) {
      const auto at = [](const SessionRow &s) { return s.ended.value_or(s.started.value_or(0)); };
      CHECK(at(r.sessions[i - 1].session) >= at(r.sessions[i].session));
    }
    // The failing steps are the ones shown.
    const auto claude = f.run("failed agent:claude model:opus-4-8");
    REQUIRE(claude.sessions.size() == 1);
    REQUIRE(claude.sessions[0].steps.size() == 1);
    CHECK(claude.sessions[0].steps[0].seq == 15);
    CHECK(claude.sessions[0].hits == 1);
    CHECK(idSet(f.run("-failed agent:codex kind:shell")) ==
          std::set<std::string>{kCodex, kCodexLegacy, kScheduler, kRateLimit});
  }
  SECTION("is:subagent") {
    CHECK(idSet(f.run("is:subagent")) == std::set<std::string>{kWsExplore});
    CHECK(idSet(f.run("-is:subagent branch:fix/ws-reconnect")) ==
          std::set<std::string>{kWsReconnect});
  }
  SECTION("a filter alone, and filters together") {
    const auto r = f.run("file:src/net/ws.ts failed");
    REQUIRE(r.sessions.size() == 1);
    CHECK(r.sessions[0].session.id == kWsReconnect);
    CHECK(r.sessions[0].files == std::vector<std::string>{"/home/dev/code/webapp/src/net/ws.ts"});
    REQUIRE(r.sessions[0].steps.size() == 1);
    CHECK(r.sessions[0].steps[0].kind == EventKind::Shell);
    // A session-level filter alone: the first prompt, every step counted.
    const auto css = f.run("project:docs-site");
    REQUIRE(css.sessions.size() == 1);
    CHECK(css.sessions[0].steps.size() == 1);
    CHECK(css.sessions[0].steps[0].kind == EventKind::User);
    CHECK(css.sessions[0].hits == css.sessions[0].session.events);
  }
}

TEST_CASE("search: words spread over a session's steps, cmd: and failed anywhere in it",
          "[search]") {
  Fixtures &f = Fixtures::get();
  // "flaky" is in the prompt, "timeout" (TimeoutError) in the test output: no step has both.
  const auto spread = f.run("flaky timeout scheduler");
  REQUIRE(spread.sessions.size() == 1);
  CHECK(spread.sessions[0].session.id == kScheduler);
  CHECK(spread.sessions[0].steps.size() >= 2);
  // "operands" is said by a step that did not fail; the session has a failed step.
  Corpus c;
  c.session("claude:a", "a", "/w");
  c.session("claude:b", "b", "/w");
  c.add("claude:a", EventKind::User, "print the operands first");
  Event failing;
  failing.sessionId = "claude:a";
  failing.kind = EventKind::Shell;
  failing.command = "pytest -q";
  failing.text = "1 failed";
  failing.exitCode = 1;
  REQUIRE(c.store->appendEvent(failing, c.source));
  c.add("claude:b", EventKind::User, "print the operands first");
  c.done();
  CHECK(ids(c.run("operands failed")) == std::vector<std::string>{"claude:a"});
  CHECK(ids(c.run("operands cmd:pytest")) == std::vector<std::string>{"claude:a"});
  // One step with everything ranks above the same words spread out.
  CHECK(c.run("operands failed").sessions[0].steps.size() == 2);
  CHECK(c.run("operands failed", 20, true).hits.empty()); // byEvent: steps only
}

// --- the vocabulary over time ----------------------------------------------------------------

TEST_CASE("search: a database from before the vocabulary gets it on open", "[search][store]") {
  TempDir tmp;
  const std::string path = tmp / "old.db";
  {
    auto s = Store::open(path);
    REQUIRE(s);
    Source src;
    src.path = "/s.jsonl";
    src.agent = "claude";
    auto sid = (*s)->saveSource(src);
    REQUIRE(sid);
    REQUIRE((*s)->begin());
    SessionInfo info;
    info.id = "claude:x";
    info.agent = "claude";
    REQUIRE((*s)->upsertSession(info));
    Event e;
    e.sessionId = "claude:x";
    e.kind = EventKind::Assistant;
    e.text = "call reconnectWebSocket after a wake-up";
    REQUIRE((*s)->appendEvent(e, *sid));
    REQUIRE((*s)->refreshCounts());
    REQUIRE((*s)->commit());
    // Back to schema 3: the tables of version 4 gone.
    REQUIRE((*s)->db().exec("DROP TABLE idents_fts; DROP TABLE idents; DROP INDEX events_failed; "
                            "PRAGMA user_version = 3;"));
  }
  auto s = Store::open(path);
  REQUIRE(s);
  auto v = (*s)->db().prepare("PRAGMA user_version");
  REQUIRE(v);
  REQUIRE(v->step());
  CHECK(v->int64(0) == Store::kSchemaVersion);
  SearchOptions o;
  o.query = "reconnectWebS";
  auto r = search(**s, o);
  REQUIRE(r);
  REQUIRE(r->sessions.size() == 1);
  CHECK(r->sessions[0].session.id == "claude:x");
}

TEST_CASE("search: rewritten texts leave no word in the vocabulary after purge",
          "[search][store]") {
  Corpus c;
  c.session("claude:p", "p", "/w");
  c.add("claude:p", EventKind::User, "the hunter2password is here");
  c.done();
  auto has = [&](const std::string &w) {
    auto st = c.store->db().prepare("SELECT count(*) FROM idents WHERE word = ?1");
    REQUIRE(st);
    st->bind(1, w);
    REQUIRE(st->step());
    return st->int64(0) == 1;
  };
  CHECK(has("hunter2password"));
  auto counts = c.store->rewriteTexts(
      [](Event &e) {
        const auto at = e.text.find("hunter2password");
        if (at == std::string::npos)
          return false;
        e.text.replace(at, 15, "[REDACTED:rule_x]");
        return true;
      },
      [](SessionRow &) { return false; });
  REQUIRE(counts);
  REQUIRE(c.store->purge());
  CHECK_FALSE(has("hunter2password"));
  CHECK(has("rule_x"));
  CHECK(c.run("hunter2pass").sessions.empty());
  CHECK(c.run("REDACTED").sessions.size() == 1);
}
