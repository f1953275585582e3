// The search query language: one parser shared by `mantra search` and `mantra/search`.
//
//   words            every word must match (in one step; English stemming: failing ~ fails)
//   "a phrase"       the words next to each other, in this order
//   prefix*          a word starting with prefix ("a phrase"* makes its last word a prefix)
//   -word, -"a b"    leaves out the steps holding it; -filter:value inverts a filter
//   a OR b           either; binds tighter than the implied AND: x a OR b = x AND (a OR b);
//                    between two filters of one kind it joins their values
//   reconnectWebS    a word written like an identifier (camelCase, snake_case, letters and
//                    digits), or one matching no indexed word, also matches the identifiers
//                    and words that contain it (see search/Search.h)
//   agent:A          project:DIR (`.` = the caller's folder; a bare name = the folder's name)
//   file:PATH|GLOB   a session that read, edited or created it (`ws.ts`, `src/*.ts`, `**/x`)
//   tool:NAME        cmd:TEXT (words of a shell command)   kind:user,shell,…
//   branch:B         model:M (part of the name)   after:/before: YYYY-MM-DD | 7d 3w 2m 1y
//   failed           a step whose command exited non-zero or whose tool reported an error
//   is:subagent      a sub-agent's session
//
// Values may be quoted (cmd:"npm test") and list alternatives with commas (agent:claude,codex;
// not cmd:). A filter alone is a query. Only uppercase OR is an operator; AND, NOT, NEAR, ( ) and
// the like are plain words. A word that is a filter's name is searched by quoting it ("failed").
//
// Errors are ErrorCode::Parse, "query: <what> at column N" (N counts code points from 1).
//
// Pure functions: no I/O, any thread.
#pragma once

#include "util/Expected.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mantra {

// Text helpers the query parser, the planner and the ranking share.
// A byte of a word: ASCII letters and digits, '_', and every byte of a non-ASCII character.
inline bool wordChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}
// ASCII lowercase (non-ASCII bytes unchanged).
std::string lower(std::string_view s);
// The lowercased runs of word characters of a text.
std::vector<std::string> wordsOf(std::string_view s);

// One text condition as typed: a bare word, a "quoted phrase", either one ending in *.
struct TextTerm {
  std::string text; // without the quotes and the trailing *
  bool quoted = false;
  bool prefix = false;
  int column = 1; // where it starts in the query (code points, from 1)
};

// Terms joined by OR (one term when there was no OR); `negated` for -word / -"phrase".
struct TextClause {
  std::vector<TextTerm> anyOf;
  bool negated = false;
};

enum class FilterKind {
  Agent,
  Project,
  File,
  Tool,
  Cmd,
  Branch,
  Model,
  Kind,
  After,
  Before,
  Failed,
  Subagent,
};

struct Filter {
  FilterKind kind = FilterKind::Agent;
  // Alternatives, normalized: agent/tool/model lowercased; kind: canonical kind names; project:
  // an absolute folder (from ., ./x, ~/x, /x) or a folder name / glob as typed; file: an
  // absolute path or glob (from ./x, ~/x) or a path / glob as typed, matched at its end.
  std::vector<std::string> values;
  int64_t time = 0; // after / before: ms since the epoch
  bool negated = false;
  int column = 1;
};

struct Query {
  std::vector<TextClause> text;
  std::vector<Filter> filters;

  bool hasPositiveText() const;
  bool has(FilterKind k) const;
};

// What a query may refer to besides itself.
struct QueryContext {
  int64_t now = 0; // ms since the epoch: relative dates (7d) count back from it
  std::string cwd; // the caller's folder, for project:. and ./paths; empty: not available
};

Expected<Query> parseQuery(std::string_view query, const QueryContext &ctx);

// "agent", "project", …, "failed", "is:subagent" (for messages).
std::string_view filterName(FilterKind k);

// Glob matching as file: and project: use it: `*` any run of characters but '/', `**` any run
// including '/', `?` one character but '/'. Whole-string match, case-sensitive.
bool globMatch(std::string_view pattern, std::string_view text);
bool hasGlob(std::string_view s);

} // namespace mantra
