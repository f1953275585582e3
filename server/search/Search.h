// Full-text search over event text (FTS5, BM25). The query language of this first version:
// words (all must match), "exact phrases", and prefix* — one parser shared by the CLI and, later,
// the sidecar.
#pragma once

#include "store/Store.h"

#include <string>
#include <utility>
#include <vector>

namespace mantra {

struct SearchHit {
  std::string sessionId, agent, title, project;
  int64_t seq = 0;
  EventKind kind = EventKind::Meta;
  std::optional<int64_t> time;
  std::string snippet; // one line around the match, whitespace collapsed
  // Matches inside `snippet` as [start, end) offsets in Unicode code points.
  std::vector<std::pair<int, int>> highlights;
  double score = 0; // higher is better
};

struct SearchOptions {
  std::string query;
  int limit = 20;
};

// Turns the user's query into an FTS5 MATCH expression. Errors (ErrorCode::Parse) name the
// column: "query: unclosed quote at column 7".
Expected<std::string> toFtsQuery(std::string_view query);

// Runs the query; best hits first. Thread: the store's.
Expected<std::vector<SearchHit>> search(Store &store, const SearchOptions &opts);

} // namespace mantra
