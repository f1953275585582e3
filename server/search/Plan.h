// Internal to search/: what a parsed Query becomes before it runs — FTS5 MATCH expressions
// (with the vocabulary's expansions of identifier parts), SQL conditions on the step (`e`) and
// its session (`s`) with their bound values, and the sessions a file: filter selects.
// Thread: the store's.
#pragma once

#include "search/Query.h"
#include "store/Store.h"

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace mantra::searchplan {

using Value = std::variant<int64_t, std::string>;

// Parameters of the SQL a plan runs: ?1 is the MATCH expression, the conditions' values follow.
struct Params {
  std::vector<Value> values{std::string()}; // values[0]: ?1

  // A new parameter's placeholder ("?7") holding `v`.
  std::string add(Value v);
  void bind(sql::Stmt &st) const; // binds ?2… (the caller binds ?1 when it uses it)
};

// "a AND b AND …", or "" for none.
std::string joinAnd(const std::vector<std::string> &terms);

// The touched files a file: filter selected, per session.
struct FileMatches {
  std::set<std::string> paths;
  std::set<int64_t> seqs; // the steps that read, changed or named them
};
using FileMatchMap = std::unordered_map<std::string, FileMatches>;

// One thing a session must have somewhere when the query's words are spread over its steps (the
// session-level pass, see Search.h): a positive clause (with the step filters that restrict the
// steps it may be found in), a cmd: filter or `failed`.
struct Part {
  std::string match;             // FTS5 expression; "" for `failed`
  std::vector<std::string> step; // extra conditions on `e`
  bool scored = false;           // a clause of words (its BM25 counts), not a filter
};

struct Plan {
  Query query;
  std::string match;       // the FTS5 expression rows must match; "" when none
  std::string textMatch;   // the words alone (for snippets and the phrase boost); "" when none
  std::string cmdMatch;    // cmd: alone (its snippet, when there are no words)
  std::string phraseMatch; // `match` AND the query's plain words as one phrase; "" when < 2
  std::vector<std::string> plainWords;  // the positive words, lowercased (title boost)
  std::vector<std::string> clauseWords; // per positive clause, its first term's words joined
  Params params;
  std::vector<std::string> session; // conditions on `s` (sessions)
  std::vector<std::string> step;    // conditions on `e` (events)
  bool stepLevel = false;  // steps are selected (words or step filters), not whole sessions
  bool scored = false;     // the query has words: steps are ranked by BM25, else by time
  std::vector<Part> parts; // the session-level pass; empty when the query has < 2 parts
  // file: filters: one map per filter; a session must be in each positive one and in no
  // negated one.
  std::vector<std::pair<FileMatchMap, bool>> files; // (matches, negated)

  bool sessionAllowed(const std::string &sessionId) const;
  // The union of the paths and steps the positive file: filters matched in a session.
  FileMatches filesOf(const std::string &sessionId) const;
};

// Builds the plan; reads the store for the vocabulary and the file: filters. Database errors only
// (parse errors came earlier).
Expected<Plan> makePlan(Store &store, Query query);

// Whether a touched path matches a file: value: an absolute value is the path, a folder above
// it, or a glob over the whole path; a relative one the same for a tail of the path that starts
// at a '/'.
bool pathMatches(const std::string &value, std::string_view path);

// FTS5 string literal: "…" with inner quotes doubled.
std::string ftsQuote(std::string_view s);

} // namespace mantra::searchplan
