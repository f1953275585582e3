// git blame for one line of a file as it is now (libgit2), for origin/Origin.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mantra::origin {

struct BlameLine {
  std::string workdir; // the repository's working folder, with a trailing '/'
  std::string commit;  // full id; empty: the line is not committed
  std::string summary; // the commit's first line
  std::string author;
  int64_t timeMs = 0; // the commit's (committer) time
};

// Blames lines of files in git repositories. The blame of a file at HEAD is kept (per file and
// HEAD commit, the last few files), so asking about line after line of one file costs a blame of
// the buffer only. Thread-safe.
class BlameCache {
public:
  BlameCache();
  ~BlameCache();
  BlameCache(const BlameCache &) = delete;
  BlameCache &operator=(const BlameCache &) = delete;

  // The commit that last changed line `line` (1-based) of `content` — the file at `path` (an
  // absolute path) as it is now, possibly not committed. nullopt when the file is not in a git
  // repository or the repository cannot be read.
  std::optional<BlameLine> blame(const std::string &path, const std::string &content, int64_t line);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace mantra::origin
