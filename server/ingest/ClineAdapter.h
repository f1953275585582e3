// Cline adapter (and Roo Code, its fork, whose tasks have the same layout): VS Code-family
// globalStorage/{saoudrizwan.claude-dev,rooveterinaryinc.roo-cline}/tasks/<taskId>/ and the
// standalone ~/.cline/data/tasks/<taskId>/. Format notes: shared/formats/FORMATS.md §6.
// Sessions are `cline:<taskId>`; a Roo Code task is a `cline` session whose version names the
// variant ("roo-code").
#pragma once

#include "ingest/Adapter.h"

namespace mantra {

class ClineAdapter : public Adapter {
public:
  std::string_view agent() const override { return "cline"; }
  // For each host (Code, Code - Insiders, VSCodium, Cursor, Windsurf; ~/.config or, on macOS,
  // ~/Library/Application Support) and each extension (Cline, Roo Code): its tasks folder; and
  // $CLINE_DIR/data (default ~/.cline/data): tasks and sessions.
  std::vector<std::filesystem::path> roots() const override;
  // 8 for tasks/<id>/api_conversation_history.json, 6 for a task's ui_messages.json when there
  // is no api_conversation_history.json beside it, 6 for sessions/<id>/<id>.messages.json; 0 for
  // the other files of a task (task_metadata.json, …).
  int claims(const std::filesystem::path &path, std::string_view head) const override;
  // All of them: JSON documents Cline rewrites in place.
  bool wholeDocument(const std::filesystem::path &path) const override;
  // Reads, beside the claimed file: ui_messages.json (times), task_metadata.json (model,
  // version), the extension's state/taskHistory.json (the task's working folder and title; read
  // once per change of that file), or a session's <id>.json.
  std::unique_ptr<FileParser> open(const std::filesystem::path &path,
                                   const nlohmann::json &state) const override;
};

} // namespace mantra
