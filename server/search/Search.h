// Search over the stored sessions: the query language of search/Query.h run against the FTS5
// index of the steps (events_fts), the search vocabulary (idents, for parts of identifiers), the
// sessions table and the timeline's touched files (file_states); results grouped by session
// (or, byEvent, one hit per step), best first.
//
// What matches: a step matches when it holds every word (one clause of OR'ed alternatives
// counting as one) and satisfies the step filters (kind:, tool:, cmd:, failed, -word); its
// session must satisfy the session filters (agent:, project:, branch:, model:, after:, before:,
// is:subagent, file:). When fewer than `limit` sessions have such a step and the query has two
// or more parts (clauses of words, cmd:, failed), a session-level pass adds the sessions that
// have every part in some step — the words of one clause still in one step, kind:/tool: still
// restricting where, cmd: and failed anywhere in the session ("operands failed": a session
// that mentions operands and has a failed step). byEvent lists steps and skips that pass. A query
// with no word and no step filter matches every step of the sessions it selects; their first
// prompt (or the steps that touched a file: filter's files) is what a result shows.
//
// Parts of identifiers: a word written like an identifier (an uppercase letter after a
// lowercase one, an underscore, letters with digits), and a word of 3+ characters that matches
// no indexed word at all, also match the vocabulary words that contain it (up to
// kMaxExpansions, shortest first) — `reconnectWebS` finds `reconnectWebSocket`, `WebSocket`
// finds `reconnectWebSocket` as well as `websocket`; a lowercase word with no match is also
// tried as a prefix.
//
// Ranking (scores are higher-is-better; only their order means something):
//   step     = BM25 over the columns text ×1.0, command ×1.2, path ×1.2, tool ×0.5 (a command
//              or a path is short and what people remember verbatim; a tool name is shared by
//              thousands of steps)
//            × the step's kind: user 2.0 — what you typed is what you remember — summary 1.6
//              (a summary of the session's point), assistant 1.3, reasoning 1.1, edit 1.1,
//              shell 1.0, tool_call 1.0, tool_result 0.8 (tool output is long and repeats
//              what the steps around it say), meta 0.5
//            × 1.5 when the step holds the query's words as one exact phrase (the user typed
//              them in the order they were written)
//   session  = best step + 0.3 × second + 0.1 × third (a session that keeps coming back to the
//              subject beats one passing mention; more steps add nothing, so long sessions do
//              not win by length); a session of the session-level pass scores 0.5 × the sum of
//              its clauses' best steps instead (the words were not written together)
//            × (1 + 0.5 × the share of the query's words in the title, + 0.25 when the title
//              holds them as one phrase): the title says what the session was about
//            × (1 + 0.1 × 2^(−age in days / 30)): a mild recency boost, at most 10 %, so that of
//              two equally good matches the recent one comes first but an old session that
//              matches better still wins
//            × 0.7 for a sub-agent's session unless the query says is:subagent: its transcript
//              is the detail of the session you worked in (short prompts full of the subject,
//              that BM25 favours), and that session is the one you are looking for.
//   A query without words (filters only) has nothing to rank by: sessions newest first, their
//   steps in order. byEvent: steps by their score × the session's recency factor (newest first
//   when nothing was scored).
#pragma once

#include "store/Store.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mantra {

// Ranking constants (see above).
struct Ranking {
  static constexpr double kText = 1.0, kCommand = 1.2, kPath = 1.2, kTool = 0.5;
  static constexpr double kPhraseBoost = 1.5;
  static constexpr double kSecondStep = 0.3, kThirdStep = 0.1;
  static constexpr double kTitleWords = 0.5, kTitlePhrase = 0.25;
  static constexpr double kRecency = 0.1, kRecencyHalfLifeDays = 30;
  static constexpr double kSpread = 0.5, kSubagent = 0.7;
  static double kindWeight(EventKind k);
};

constexpr int kMaxExpansions = 48; // vocabulary words one word may stand for
constexpr int kStepsPerSession = 3;

// One matching step of a session.
struct SearchStep {
  int64_t seq = 0;
  EventKind kind = EventKind::Meta;
  std::optional<int64_t> time;
  std::string snippet; // one line around the match (whitespace collapsed), or the step's start
  // Matches inside `snippet` as [start, end) offsets in Unicode code points.
  std::vector<std::pair<int, int>> highlights;
  double score = 0; // higher is better (0 when nothing was ranked)
};

// A hit of the flat list (byEvent): a step with its session's details.
struct SearchHit : SearchStep {
  std::string sessionId, agent, title, project;
};

// A session of the grouped list.
struct SessionHit {
  SessionRow session;
  int64_t hits = 0;               // how many of its steps matched
  double score = 0;               // higher is better
  std::vector<SearchStep> steps;  // the best (up to kStepsPerSession), best first
  std::vector<std::string> files; // the paths it touched that matched a file: filter
};

struct SearchOptions {
  std::string query;
  int limit = 20;             // sessions (grouped) or steps (byEvent)
  bool byEvent = false;       // one hit per step instead of grouping by session
  std::string cwd;            // the caller's folder (project:., ./paths); empty: none
  std::optional<int64_t> now; // ms since the epoch; default: the clock (relative dates, recency)
};

struct SearchResult {
  std::vector<SessionHit> sessions; // grouped (byEvent false)
  std::vector<SearchHit> hits;      // flat (byEvent true)
  int64_t totalSessions = 0;        // how many sessions matched in all
  int64_t totalHits = 0;            // how many steps matched in all
};

// Runs the query. A malformed query is ErrorCode::Parse ("query: … at column N"); a database
// problem ErrorCode::Database. Thread: the store's.
Expected<SearchResult> search(Store &store, const SearchOptions &opts);

} // namespace mantra
