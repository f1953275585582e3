// Claude Code adapter: ~/.claude/projects/<encoded-cwd>/<session>.jsonl (versions 1.0.x–2.1.x),
// with sub-agent transcripts in `agent-<id>.jsonl` beside it (1.0–2.0) or under
// `<session>/subagents/` (2.1). Format notes: shared/formats/FORMATS.md §1.
#pragma once

#include "ingest/Adapter.h"

namespace mantra {

class ClaudeAdapter : public Adapter {
public:
  std::string_view agent() const override { return "claude"; }
  // $CLAUDE_CONFIG_DIR/projects when set, else ~/.claude/projects and ~/.config/claude/projects.
  std::vector<std::filesystem::path> roots() const override;
  int claims(const std::filesystem::path &path, std::string_view head) const override;
  std::unique_ptr<FileParser> open(const std::filesystem::path &path,
                                   const nlohmann::json &state) const override;
};

} // namespace mantra
