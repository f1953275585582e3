// OpenAI Codex CLI adapter: rollouts under $CODEX_HOME (default ~/.codex) in
// `sessions/YYYY/MM/DD/rollout-<local time>-<uuid>.jsonl` and `archived_sessions/`, from the
// envelope-less 0.1x–0.3x lines to the `{timestamp,type,payload}` envelope of 0.4x–0.16x.
// Format notes: shared/formats/FORMATS.md §2.
#pragma once

#include "ingest/Adapter.h"

namespace mantra {

class CodexAdapter : public Adapter {
public:
  std::string_view agent() const override { return "codex"; }
  // $CODEX_HOME/sessions and $CODEX_HOME/archived_sessions when CODEX_HOME is set, else the same
  // two folders under ~/.codex.
  std::vector<std::filesystem::path> roots() const override;
  // 0 for anything but `.jsonl`; 1 for any `.jsonl` by name alone (empty head); more for a
  // `rollout-` name or a `.codex` folder; at least 6 (above the Claude adapter's 5) when the
  // head holds a Codex envelope type (session_meta, response_item, turn_context, event_msg).
  // 0 when the head is known and neither the name, the folder nor the head looks like Codex.
  int claims(const std::filesystem::path &path, std::string_view head) const override;
  // Never fails; resumes from `state` (the parser's own small JSON, or null for a new file).
  std::unique_ptr<FileParser> open(const std::filesystem::path &path,
                                   const nlohmann::json &state) const override;
};

} // namespace mantra
