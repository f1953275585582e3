// The JSON shapes of the timeline's answers, shared by the CLI (`files`, `file`, `diff`,
// `verify` with --json) and the sidecar (mantra/files, mantra/fileAt, mantra/diff), so a client
// author who knows one knows the other. Paths are shown relative to the session's project when
// inside it.
#pragma once

#include "store/Store.h"
#include "timeline/Timeline.h"

#include <nlohmann/json.hpp>

namespace mantra {

nlohmann::json filesJson(const std::vector<timeline::FileSummary> &files, const SessionRow &s);
nlohmann::json fileAtJson(const timeline::FileAt &f, const SessionRow &s);
nlohmann::json diffsJson(const std::vector<timeline::FileDiff> &diffs, const SessionRow &s);
nlohmann::json verifyJson(const std::vector<VerifyStats> &stats,
                          const std::vector<std::tuple<std::string, int64_t, std::string>> &bad);

} // namespace mantra
