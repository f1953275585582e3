// Aider adapter: `.aider.chat.history.md` in each project folder — a Markdown log appended to,
// one session per `# aider chat started at …` header. Format notes: shared/formats/FORMATS.md
// §5. Sessions are `aider:<hash of the file's path>-<header time>`.
#pragma once

#include "ingest/Adapter.h"

namespace mantra {

class AiderAdapter : public Adapter {
public:
  std::string_view agent() const override { return "aider"; }
  // The history files themselves: $AIDER_CHAT_HISTORY_FILE when set, and every
  // `.aider.chat.history.md` found under $HOME at most four folders deep, skipping hidden
  // folders and dependency/build trees (node_modules, .venv, target, …), within two seconds.
  std::vector<std::filesystem::path> roots() const override;
  // 8 for a file named `.aider.chat.history.md` (or `…aider.chat.history.md`), 6 for another
  // Markdown file whose head has aider's session header, 0 otherwise.
  int claims(const std::filesystem::path &path, std::string_view head) const override;
  std::unique_ptr<FileParser> open(const std::filesystem::path &path,
                                   const nlohmann::json &state) const override;
};

} // namespace mantra
