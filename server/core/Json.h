// The JSON shapes of Mantra's typed results, shared by the CLI's --json output and the JSON-RPC
// sidecar so that both speak one vocabulary (keys, event kinds, ISO 8601 UTC times).
// Pure functions: no I/O, any thread.
#pragma once

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
// {"session","seq","kind","agent","title","project","time","snippet","highlights","score"}
nlohmann::json hitJson(const SearchHit &h);

} // namespace mantra
