// The JSON shapes of Mantra's typed results, shared by the CLI's --json output and the JSON-RPC
// sidecar so that both speak one vocabulary (keys, event kinds, ISO 8601 UTC times).
// Pure functions: no I/O, any thread — except readStatus(), which reads the store it is given
// (on that store's thread) and stats files.
#pragma once

#include "ingest/Indexer.h"
#include "model/Model.h"
#include "search/Search.h"
#include "store/Store.h"

#include <nlohmann/json.hpp>
#include <optional>

namespace mantra {

// An ISO 8601 UTC string for a time in ms since the epoch, or null when unknown.
nlohmann::json isoOrNull(std::optional<int64_t> ms);
// {"id","agent","project","title","branch","started","ended","events", "model"?, "version"?,
//  "parent"?, "subagent"?}
nlohmann::json sessionJson(const SessionRow &s);
// {"seq","kind", "time"?, "text"?, "tool"?, "path"?, "command"?, "exitCode"?, "isError"?}
nlohmann::json eventJson(const Event &e);
// A hit of the flat list (search byEvent):
// {"session","seq","kind","agent","title","project","time","snippet","highlights","score"}
nlohmann::json hitJson(const SearchHit &h);
// A matching step of a grouped result: {"seq","kind","time","snippet","highlights","score"}
nlohmann::json stepHitJson(const SearchStep &s);
// A session of a grouped result: {"session": sessionJson, "hits", "score", "steps", "files"}
nlohmann::json sessionHitJson(const SessionHit &h);
// What `mantra search --json` prints and mantra/search returns: grouped
// {"sessions":[…],"total":{"sessions","hits"},"ms"}, or byEvent {"hits":[…],"ms"}.
nlohmann::json searchResultJson(const SearchResult &r, bool byEvent, double ms);
// One step in full: eventJson(e) plus "data" (the agent's detail; null when there is none).
nlohmann::json eventDetailJson(const Event &e);

// What an index run did (`mantra index --json` without "database"): {"sessions","events",
//  "sources","skipped","unknown","added","filesRead","bytesRead",
//  "errors":[{"file","line","message"}],"seconds"}.
nlohmann::json indexReportJson(const IndexReport &r);

// What `mantra status` reports: totals and per-agent figures, the database's size on disk, and
// the sessions Mantra now keeps alone because the files they came from are gone.
struct StatusSummary {
  std::string database;
  int64_t bytes = 0; // main file + -wal + -shm
  std::vector<AgentStats> agents;
  int64_t archivedSessions = 0, missingFiles = 0;
  bool watching = false;
};
// Reads the summary from `store`; the store's error when a query fails.
Expected<StatusSummary> readStatus(Store &store);
// {"database","bytes","schemaVersion","sessions","events","sources",
//  "agents":[{"agent","sources","sessions","events","lastIndexed"}],
//  "archived":{"sessions","missingFiles"},"watching"}; the totals are the sums over the agents.
nlohmann::json statusJson(const StatusSummary &s);

} // namespace mantra
