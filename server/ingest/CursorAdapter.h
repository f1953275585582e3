// Cursor adapter: the IDE's SQLite stores (`state.vscdb`: the global one with composerData /
// bubbleId rows, the per-workspace ones with the legacy chat panel), the CLI's per-session
// `store.db` (cursor-agent), and the lossy agent-transcripts JSONL. Format notes:
// shared/formats/FORMATS.md §4. Sessions are `cursor:<composerId>` (IDE), `cursor:<agentId>`
// (CLI), `cursor:<tabId>` (legacy chat panel); a transcript whose conversation is in one of the
// databases adds nothing (the databases are richer).
#pragma once

#include "ingest/Adapter.h"

namespace mantra {

class CursorAdapter : public Adapter {
public:
  std::string_view agent() const override { return "cursor"; }
  // Cursor's User folder ($CURSOR_USER_DIR, else ~/.config/Cursor/User, or the macOS one):
  // globalStorage and workspaceStorage; and $CURSOR_HOME (else ~/.cursor): chats (CLI) and
  // projects (agent transcripts).
  std::vector<std::filesystem::path> roots() const override;
  // state.vscdb / store.db that are SQLite databases (8 with Cursor's tables in the first page,
  // 6 under a Cursor folder), agent-transcripts *.jsonl (6); 0 for the -wal/-shm/backup files.
  int claims(const std::filesystem::path &path, std::string_view head) const override;
  // True for the databases (state.vscdb, store.db): read through SQLite, read-only.
  bool readsItself(const std::filesystem::path &path) const override;
  std::unique_ptr<FileParser> open(const std::filesystem::path &path,
                                   const nlohmann::json &state) const override;
};

} // namespace mantra
