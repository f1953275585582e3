// search/Query: the query language's parser — words, phrases, prefixes, negation, OR, every
// filter with its values normalized, and malformed queries reported with their column.
#include "search/Query.h"

#include <catch2/catch.hpp>

#include <ctime>

using namespace mantra;

namespace {

constexpr int64_t kNow = 1764071106683; // 2025-11-25T11:45:06.683Z
constexpr int64_t kDay = 86400000;

Query ok(std::string_view q, const std::string &cwd = "/home/dev/calc") {
  auto r = parseQuery(q, QueryContext{kNow, cwd});
  if (!r)
    FAIL("parseQuery(" << q << "): " << r.error().message);
  return *r;
}

// The error message of a query that must not parse.
std::string bad(std::string_view q, const std::string &cwd = "/home/dev/calc") {
  auto r = parseQuery(q, QueryContext{kNow, cwd});
  if (r)
    FAIL("parseQuery(" << q << ") parsed");
  CHECK(r.error().code == ErrorCode::Parse);
  return r.error().message;
}

Filter only(const Query &q) {
  REQUIRE(q.filters.size() == 1);
  return q.filters[0];
}

std::vector<std::string> words(const Query &q) {
  std::vector<std::string> out;
  for (const auto &c : q.text) {
    std::string s = c.negated ? "-" : "";
    for (size_t i = 0; i < c.anyOf.size(); ++i) {
      const TextTerm &t = c.anyOf[i];
      s += (i ? "|" : "") + (t.quoted ? "\"" + t.text + "\"" : t.text) + (t.prefix ? "*" : "");
    }
    out.push_back(s);
  }
  return out;
}

int64_t localMidnight(int y, int m, int d) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm)) * 1000;
}

} // namespace

TEST_CASE("query: words, phrases and prefixes", "[query]") {
  CHECK(words(ok("websocket reconnect")) == std::vector<std::string>{"websocket", "reconnect"});
  CHECK(words(ok("  a \t\n b  ")) == std::vector<std::string>{"a", "b"});
  CHECK(words(ok("\"Tuples differ\" failed?")) ==
        std::vector<std::string>{"\"Tuples differ\"", "failed?"});
  CHECK(words(ok("reconn* \"npm te\"*")) == std::vector<std::string>{"reconn*", "\"npm te\"*"});
  CHECK(words(ok("a\"b c\"")) == std::vector<std::string>{"a", "\"b c\""});
  // A lone * is a word; a blank phrase is nothing.
  CHECK(words(ok("* word \"  \"")) == std::vector<std::string>{"*", "word"});
  // FTS5's operators are plain words here; only uppercase OR joins.
  CHECK(words(ok("NEAR(a b) AND NOT or")) ==
        std::vector<std::string>{"NEAR(a", "b)", "AND", "NOT", "or"});
  // Columns count code points from 1.
  const Query q = ok("größe \"naïve café\"");
  CHECK(q.text[0].anyOf[0].column == 1);
  CHECK(q.text[1].anyOf[0].column == 7);
}

TEST_CASE("query: -word leaves out, --word and - are words", "[query]") {
  CHECK(words(ok("socket -python -\"stack trace\"")) ==
        std::vector<std::string>{"socket", "-python", "-\"stack trace\""});
  CHECK(words(ok("--verbose - x")) == std::vector<std::string>{"--verbose", "-", "x"});
  CHECK(ok("-agent:codex socket").filters[0].negated);
  CHECK(ok("-failed x").filters[0].negated);
}

TEST_CASE("query: OR joins its neighbours, tighter than AND", "[query]") {
  CHECK(words(ok("socket reconnect OR retry")) ==
        std::vector<std::string>{"socket", "reconnect|retry"});
  CHECK(words(ok("a OR \"b c\" OR d* e")) == std::vector<std::string>{"a|\"b c\"|d*", "e"});
  // OR with nothing on one side is the word.
  CHECK(words(ok("OR")) == std::vector<std::string>{"OR"});
  CHECK(words(ok("OR x")) == std::vector<std::string>{"OR", "x"});
  CHECK(words(ok("x OR")) == std::vector<std::string>{"x", "OR"});
  // Between two filters of one kind it joins their values.
  const Filter f = only(ok("agent:claude OR agent:codex"));
  CHECK(f.kind == FilterKind::Agent);
  CHECK(f.values == std::vector<std::string>{"claude", "codex"});
  // Anything else next to OR is an error at the OR.
  CHECK_THAT(bad("socket OR agent:codex"),
             Catch::Contains("OR joins") && Catch::Contains("at column 8"));
  CHECK_THAT(bad("a OR -b"), Catch::Contains("column 3"));
  CHECK_THAT(bad("agent:claude OR kind:user"), Catch::Contains("column 14"));
}

TEST_CASE("query: every filter and its values", "[query]") {
  SECTION("agent, tool, model: lowercased lists") {
    CHECK(only(ok("agent:Claude,codex")).values == std::vector<std::string>{"claude", "codex"});
    const Filter t = only(ok("tool:Read"));
    CHECK(t.kind == FilterKind::Tool);
    CHECK(t.values == std::vector<std::string>{"read"});
    const Filter m = only(ok("model:Opus"));
    CHECK(m.kind == FilterKind::Model);
    CHECK(m.values == std::vector<std::string>{"opus"});
    CHECK(only(ok("AGENT:codex")).kind == FilterKind::Agent); // names are case-insensitive
  }
  SECTION("branch: as typed") {
    const Filter b = only(ok("branch:Feature/WS-12,main"));
    CHECK(b.kind == FilterKind::Branch);
    CHECK(b.values == std::vector<std::string>{"Feature/WS-12", "main"});
  }
  SECTION("cmd: one value, quoted for spaces, commas kept") {
    const Filter c = only(ok("cmd:\"npm test, lint\""));
    CHECK(c.kind == FilterKind::Cmd);
    CHECK(c.values == std::vector<std::string>{"npm test, lint"});
    CHECK(only(ok("cmd:pytest")).values == std::vector<std::string>{"pytest"});
  }
  SECTION("project: the caller's folder, paths made absolute, names kept") {
    CHECK(only(ok("project:.")).values == std::vector<std::string>{"/home/dev/calc"});
    CHECK(only(ok("project:./sub/")).values == std::vector<std::string>{"/home/dev/calc/sub"});
    CHECK(only(ok("project:..")).values == std::vector<std::string>{"/home/dev"});
    CHECK(only(ok("project:/w/app/")).values == std::vector<std::string>{"/w/app"});
    CHECK(only(ok("project:calc")).values == std::vector<std::string>{"calc"});
    CHECK(only(ok("project:*-svc")).values == std::vector<std::string>{"*-svc"});
  }
  SECTION("file: relative paths and globs kept, ./ resolved") {
    const Filter f = only(ok("file:src/ws.ts"));
    CHECK(f.kind == FilterKind::File);
    CHECK(f.values == std::vector<std::string>{"src/ws.ts"});
    CHECK(only(ok("file:./calc/cli.py")).values ==
          std::vector<std::string>{"/home/dev/calc/calc/cli.py"});
    CHECK(only(ok("file:**/test_*.py,*.md")).values ==
          std::vector<std::string>{"**/test_*.py", "*.md"});
    CHECK(only(ok("file:\"My Docs/a b.txt\"")).values ==
          std::vector<std::string>{"My Docs/a b.txt"});
  }
  SECTION("kind: canonical names, aliases") {
    CHECK(only(ok("kind:user,Shell")).values == std::vector<std::string>{"user", "shell"});
    CHECK(only(ok("kind:prompt")).values == std::vector<std::string>{"user"});
    CHECK(only(ok("kind:tool")).values == std::vector<std::string>{"tool_call", "tool_result"});
    CHECK(only(ok("kind:thinking,answer,command")).values ==
          std::vector<std::string>{"reasoning", "assistant", "shell"});
  }
  SECTION("after: and before: dates and ages") {
    CHECK(only(ok("after:7d")).time == kNow - 7 * kDay);
    CHECK(only(ok("before:3w")).time == kNow - 21 * kDay);
    CHECK(only(ok("after:12h")).time == kNow - kDay / 2);
    const Filter d = only(ok("after:2025-11-01"));
    CHECK(d.kind == FilterKind::After);
    CHECK(d.time == localMidnight(2025, 11, 1));
    CHECK(only(ok("before:2024-02-29")).time == localMidnight(2024, 2, 29));
    // 2m and 1y: calendar months and years back, about 61 and 365 days here.
    const int64_t twoMonths = kNow - only(ok("after:2m")).time;
    CHECK(twoMonths >= 60 * kDay - 3600000);
    CHECK(twoMonths <= 62 * kDay + 3600000);
    const int64_t year = kNow - only(ok("after:1y")).time;
    CHECK(year >= 365 * kDay - 3600000);
    CHECK(year <= 366 * kDay + 3600000);
    const int64_t today = only(ok("after:today")).time;
    CHECK(today <= kNow);
    CHECK(kNow - today < kDay + 3600000);
    const int64_t yesterday = only(ok("after:yesterday")).time;
    CHECK(today - yesterday >= kDay - 3600000);
    CHECK(today - yesterday <= kDay + 3600000);
  }
  SECTION("failed, is:failed, is:subagent") {
    CHECK(only(ok("failed")).kind == FilterKind::Failed);
    CHECK(only(ok("FAILED")).kind == FilterKind::Failed);
    CHECK(only(ok("is:failed")).kind == FilterKind::Failed);
    CHECK(only(ok("is:subagent")).kind == FilterKind::Subagent);
    CHECK(only(ok("-is:subagent")).negated);
    // Quoted, it is the word.
    const Query q = ok("\"failed\"");
    CHECK(q.filters.empty());
    CHECK(words(q) == std::vector<std::string>{"\"failed\""});
  }
  SECTION("a filter alone is a query; filters mix with words") {
    const Query q = ok("file:src/ws.ts failed");
    REQUIRE(q.filters.size() == 2);
    CHECK(q.filters[0].kind == FilterKind::File);
    CHECK(q.filters[1].kind == FilterKind::Failed);
    CHECK(q.text.empty());
    const Query m = ok("reconnect agent:claude websocket kind:user");
    CHECK(words(m) == std::vector<std::string>{"reconnect", "websocket"});
    CHECK(m.filters.size() == 2);
    CHECK(m.hasPositiveText());
    CHECK(m.has(FilterKind::Kind));
  }
  SECTION("words with a colon that is no filter stay words") {
    CHECK(words(ok("std::vector http://x col:value :x")) ==
          std::vector<std::string>{"std::vector", "http://x", "col:value", ":x"});
  }
}

TEST_CASE("query: malformed queries name the column", "[query]") {
  CHECK(bad("") == "query: nothing to search for");
  CHECK(bad("  \"\" ") == "query: nothing to search for");
  CHECK(bad("verbose \"tuples differ") == "query: unclosed quote at column 9");
  CHECK(bad("a\"b") == "query: unclosed quote at column 2");
  CHECK(bad("größe \"x") == "query: unclosed quote at column 7"); // code points, not bytes
  CHECK(bad("cmd:\"npm test") == "query: unclosed quote at column 5");
  CHECK(bad("x agent:") == "query: agent: needs a value at column 3");
  CHECK(bad("agent:,") == "query: agent: needs a value at column 1");
  CHECK(bad("x -file:") == "query: file: needs a value at column 4");
  CHECK_THAT(bad("kind:user,bogus"),
             Catch::StartsWith("query: kind: unknown kind 'bogus' (user, assistant") &&
                 Catch::EndsWith("at column 6"));
  CHECK_THAT(bad("x after:last-week"),
             Catch::StartsWith("query: after: expects a date") && Catch::EndsWith("at column 9"));
  CHECK_THAT(bad("before:2025-02-30"), Catch::EndsWith("at column 8")); // no such day
  CHECK_THAT(bad("before:7x"), Catch::Contains("before: expects"));
  CHECK(bad("is:lost") == "query: is: expects subagent or failed at column 4");
  CHECK_THAT(bad("x project:.", ""), Catch::Contains("project:. needs the current folder") &&
                                         Catch::EndsWith("at column 11"));
  CHECK_THAT(bad("file:./a.ts", ""), Catch::Contains("file:./a.ts needs the current folder"));
  CHECK(bad("-socket -\"a b\"") ==
        "query: only exclusions: add a word or a filter to search for at column 1");
}

TEST_CASE("query: globs as file: and project: match them", "[query]") {
  CHECK(globMatch("*.ts", "ws.ts"));
  CHECK_FALSE(globMatch("*.ts", "src/ws.ts")); // * stays within a folder
  CHECK(globMatch("**/*.ts", "src/net/ws.ts"));
  CHECK(globMatch("**/ws.ts", "ws.ts")); // **/ matches no folder too
  CHECK(globMatch("src/**/ws.ts", "src/ws.ts"));
  CHECK(globMatch("src/**", "src/a/b/c"));
  CHECK(globMatch("test_?.py", "test_a.py"));
  CHECK_FALSE(globMatch("test_?.py", "test_ab.py"));
  CHECK_FALSE(globMatch("a?b", "a/b"));
  CHECK(globMatch("*ws*", "reconnect_ws_client"));
  CHECK_FALSE(globMatch("*.TS", "ws.ts")); // case-sensitive, as paths are
  CHECK(globMatch("", ""));
  CHECK_FALSE(globMatch("", "x"));
  CHECK(hasGlob("a*"));
  CHECK_FALSE(hasGlob("a/b.ts"));
}
