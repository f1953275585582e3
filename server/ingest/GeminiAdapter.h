// Gemini CLI adapter: ~/.gemini/tmp/<project>/chats/session-<ts>-<id8>.json (≤ 0.2x, one JSON
// document rewritten in place) and .jsonl (newer, an append log with `$set` / `$rewindTo`
// records), sub-agents in chats/<parentSessionId>/<sessionId>.jsonl. Format notes:
// shared/formats/FORMATS.md §3.
#pragma once

#include "ingest/Adapter.h"

namespace mantra {

class GeminiAdapter : public Adapter {
public:
  std::string_view agent() const override { return "gemini"; }
  // $GEMINI_CLI_HOME/.gemini/tmp when GEMINI_CLI_HOME is set, else ~/.gemini/tmp.
  std::vector<std::filesystem::path> roots() const override;
  // 6 for `session-*.json(l)` under a `chats` folder or a head with Gemini-only markers
  // (sessionId + projectHash, `$set`, "type": "gemini"), 3 for weaker ones (a `messages` or
  // `history` array of parts / toolCalls / thoughts), 0 for other files under .gemini/tmp
  // (logs.json, checkpoints). With an empty head: >0 for any .json / .jsonl name.
  int claims(const std::filesystem::path &path, std::string_view head) const override;
  // True for `.json` (the legacy whole-document format).
  bool wholeDocument(const std::filesystem::path &path) const override;
  // Reads the tiny `.project_root` beside `chats/` (or `projects.json` two levels up) once, to
  // name the project folder; everything else comes from the lines the Indexer hands over.
  std::unique_ptr<FileParser> open(const std::filesystem::path &path,
                                   const nlohmann::json &state) const override;
};

} // namespace mantra
