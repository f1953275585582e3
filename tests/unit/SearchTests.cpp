// search/Search: the query parser (toFtsQuery) and search() over a real store: ranking, snippets,
// highlight offsets in code points, and inputs that must never reach FTS5 as syntax.
#include "TestSupport.h"
#include "search/Search.h"

#include <catch2/catch.hpp>

using namespace mantra;
using namespace mantra::test;

namespace {

std::string ftsOk(std::string_view q) {
  auto r = toFtsQuery(q);
  if (!r)
    FAIL("toFtsQuery(" << q << "): " << r.error().message);
  return *r;
}

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

// Every highlighted span of a hit, as text.
std::vector<std::string> highlighted(const SearchHit &h) {
  std::vector<std::string> out;
  for (const auto &[s, e] : h.highlights)
    out.push_back(codePoints(h.snippet, s, e));
  return out;
}

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

  void session(const std::string &id, const std::string &title, const std::string &project) {
    SessionInfo s;
    s.id = id;
    s.agent = id.substr(0, id.find(':'));
    s.nativeId = id.substr(id.find(':') + 1);
    s.title = title;
    s.titleRank = TitleFirstPrompt;
    s.project = project;
    s.started = 1764071106683;
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

  std::vector<SearchHit> find(const std::string &q, int limit = 20) {
    SearchOptions o;
    o.query = q;
    o.limit = limit;
    auto r = search(*store, o);
    if (!r)
      FAIL("search(" << q << "): " << r.error().message);
    return *r;
  }
};

} // namespace

// --- the query language --------------------------------------------------------------------

TEST_CASE("toFtsQuery quotes every word so all must match", "[search]") {
  CHECK(ftsOk("verbose") == "\"verbose\"");
  CHECK(ftsOk("verbose flag") == "\"verbose\" \"flag\"");
  CHECK(ftsOk("  verbose \t\n flag  ") == "\"verbose\" \"flag\"");
  // FTS5 operators are plain words once quoted.
  CHECK(ftsOk("cats OR dogs") == "\"cats\" \"OR\" \"dogs\"");
  CHECK(ftsOk("NEAR(a b)") == "\"NEAR(a\" \"b)\"");
  CHECK(ftsOk("col:value") == "\"col:value\"");
}

TEST_CASE("toFtsQuery keeps \"exact phrases\" together", "[search]") {
  CHECK(ftsOk("\"Tuples differ\"") == "\"Tuples differ\"");
  CHECK(ftsOk("assert \"Tuples differ\" failed") == "\"assert\" \"Tuples differ\" \"failed\"");
  CHECK(ftsOk("a\"b c\"") == "\"a\" \"b c\"");
  // A blank phrase contributes nothing.
  CHECK(ftsOk("word \"  \"") == "\"word\"");
}

TEST_CASE("toFtsQuery turns a trailing * into a prefix query", "[search]") {
  CHECK(ftsOk("calc*") == "\"calc\"*");
  CHECK(ftsOk("unit* test") == "\"unit\"* \"test\"");
  // A lone * is a word, not an operator.
  CHECK(ftsOk("*") == "\"*\"");
  CHECK(ftsOk("a*b") == "\"a*b\"");
}

TEST_CASE("toFtsQuery reports an unclosed quote with its column", "[search]") {
  auto r = toFtsQuery("verbose \"tuples differ");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Parse);
  CHECK_THAT(r.error().message, Catch::Contains("unclosed quote"));
  CHECK_THAT(r.error().message, Catch::Contains("column 9"));

  auto first = toFtsQuery("\"");
  REQUIRE_FALSE(first);
  CHECK(first.error().code == ErrorCode::Parse);
  CHECK_THAT(first.error().message, Catch::Contains("column 1"));

  // A quote inside a word opens a phrase: a"b has its quote at column 2.
  auto inside = toFtsQuery("a\"b");
  REQUIRE_FALSE(inside);
  CHECK(inside.error().code == ErrorCode::Parse);
  CHECK_THAT(inside.error().message, Catch::Contains("column 2"));
}

TEST_CASE("toFtsQuery refuses an empty query", "[search]") {
  for (const char *q : {"", "   ", "\t\n", "\"\"", "\" \""}) {
    INFO("query: '" << q << "'");
    auto r = toFtsQuery(q);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::Parse);
    CHECK_THAT(r.error().message, Catch::Contains("nothing to search for"));
  }
}

// --- search() ------------------------------------------------------------------------------

TEST_CASE("search finds events with every word and carries session details", "[search]") {
  Corpus c;
  c.session("claude:one", "add a verbose flag", "/w/calc");
  c.session("claude:two", "rename ops", "/w/other");
  c.add("claude:one", EventKind::User, "add a --verbose flag to the calc CLI", "", 1764071106683);
  c.add("claude:one", EventKind::Assistant, "I will add the flag now");
  c.add("claude:two", EventKind::User, "rename ops.py to operations.py");
  c.done();

  auto hits = c.find("verbose flag");
  REQUIRE(hits.size() == 1);
  const SearchHit &h = hits[0];
  CHECK(h.sessionId == "claude:one");
  CHECK(h.seq == 1);
  CHECK(h.kind == EventKind::User);
  CHECK(h.agent == "claude");
  CHECK(h.title == "add a verbose flag");
  CHECK(h.project == "/w/calc");
  CHECK(h.time == std::optional<int64_t>(1764071106683));
  CHECK(h.score > 0);

  CHECK(c.find("flag").size() == 2);
  CHECK(c.find("flag rename").empty());
  CHECK(c.find("operations").size() == 1);
  CHECK(c.find("nonexistentword").empty());
}

TEST_CASE("search ranks best hits first and honours the limit", "[search]") {
  Corpus c;
  c.session("claude:r", "ranking", "/w");
  // The same text as tool output and as the user's prompt: the prompt counts more.
  c.add("claude:r", EventKind::ToolResult, "the widget factory is broken");
  c.add("claude:r", EventKind::User, "the widget factory is broken");
  // A long text that mentions the word once ranks below short, focused ones.
  std::string longText;
  for (int i = 0; i < 60; ++i)
    longText += "filler words about nothing in particular ";
  c.add("claude:r", EventKind::ToolResult, longText + "widget");
  c.done();

  auto hits = c.find("widget");
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].seq == 2);
  CHECK(hits[0].kind == EventKind::User);
  CHECK(hits[1].seq == 1);
  CHECK(hits[2].seq == 3);
  for (size_t i = 1; i < hits.size(); ++i)
    CHECK(hits[i - 1].score >= hits[i].score);
  CHECK(hits[0].score > hits[1].score);

  auto one = c.find("widget", 1);
  REQUIRE(one.size() == 1);
  CHECK(one[0].seq == 2);
}

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
    auto hits = c.find("brown");
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].snippet == "the quick brown fox jumps");
    REQUIRE(hits[0].highlights.size() == 1);
    CHECK(hits[0].highlights[0] == std::make_pair(10, 15));
    CHECK(highlighted(hits[0]) == std::vector<std::string>{"brown"});
  }
  SECTION("non-ASCII text before the match") {
    auto hits = c.find("zebrafish");
    REQUIRE(hits.size() == 1);
    CHECK_THAT(hits[0].snippet, Catch::Contains("zebrafish"));
    REQUIRE(hits[0].highlights.size() == 1);
    CHECK(highlighted(hits[0]) == std::vector<std::string>{"zebrafish"});
    // Offsets count code points, not bytes and not UTF-16 units.
    const std::string before = "Größenänderung für naïve café — résumé 🦊 handling: ";
    int cps = 0;
    for (unsigned char ch : before)
      cps += (ch & 0xC0) != 0x80;
    CHECK(hits[0].highlights[0].first == cps);
    CHECK(hits[0].highlights[0].second == cps + 9);
  }
  SECTION("CJK text around the match") {
    auto hits = c.find("kangaroo");
    REQUIRE(hits.size() == 1);
    CHECK(highlighted(hits[0]) == std::vector<std::string>{"kangaroo"});
  }
  SECTION("a match without diacritics highlights the original word") {
    auto hits = c.find("cafe");
    REQUIRE(hits.size() == 1);
    CHECK(highlighted(hits[0]) == std::vector<std::string>{"café"});
  }
  SECTION("prefix matches highlight the whole word") {
    auto hits = c.find("zebra*");
    REQUIRE(hits.size() == 1);
    CHECK(highlighted(hits[0]) == std::vector<std::string>{"zebrafish"});
  }
  SECTION("phrases") {
    auto hits = c.find("\"brown fox\"");
    REQUIRE(hits.size() == 1);
    auto spans = highlighted(hits[0]);
    REQUIRE_FALSE(spans.empty());
    std::string joined;
    for (const auto &s : spans)
      joined += (joined.empty() ? "" : "|") + s;
    CHECK(joined == "brown fox");
    CHECK(c.find("\"fox brown\"").empty());
  }
  SECTION("whitespace is collapsed and offsets still point at the match") {
    auto hits = c.find("marmot");
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].snippet == "line one line two has a marmot end");
    CHECK(highlighted(hits[0]) == std::vector<std::string>{"marmot"});
  }
  SECTION("several words are each highlighted") {
    auto hits = c.find("quick fox");
    REQUIRE(hits.size() == 1);
    CHECK(highlighted(hits[0]) == std::vector<std::string>{"quick", "fox"});
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
  auto hits = c.find("needleword");
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
  auto hits = c.find("discover");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].kind == EventKind::Shell);
  CHECK(highlighted(hits[0]) == std::vector<std::string>{"discover"});
  CHECK(c.find("ran tests").size() == 1);
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
      "calc.ops", "--verbose", "NEAR(",  "NEAR(a, b)", "OR",    "AND",    "NOT",   "*",
      "**",       "a*b*",      "(x)",    "^start",     "col:x", "{a b}",  "+",     "-",
      "a AND",    "OR OR",     "'quote", "\\",         "%_",    "a\"b\"", "\"*\"", ":"};
  for (const auto &q : queries) {
    INFO("query: " << q);
    SearchOptions o;
    o.query = q;
    auto r = search(*c.store, o);
    if (!r)
      FAIL_CHECK("search failed: " << r.error().message);
  }
  // And they mean what they say.
  auto ops = c.find("calc.ops");
  REQUIRE(ops.size() == 1);
  CHECK(ops[0].seq == 1);
  auto verbose = c.find("--verbose");
  REQUIRE(verbose.size() == 1);
  CHECK(verbose[0].seq == 2);
  auto near = c.find("NEAR(");
  REQUIRE(near.size() == 1);
  CHECK(near[0].seq == 3);
  CHECK(c.find("OR").size() == 1);
  CHECK(c.find("NOT AND").size() == 1);
  auto quoted = c.find("a\"b\"");
  REQUIRE(quoted.size() == 1);
  CHECK(quoted[0].seq == 4);

  // An unclosed quote is the parser's error, with a column, never an FTS5 message.
  SearchOptions bad;
  bad.query = "a\"b";
  auto r = search(*c.store, bad);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Parse);
  CHECK_THAT(r.error().message, Catch::Contains("column 2"));
  CHECK_THAT(r.error().message, !Catch::Contains("fts5"));
}
