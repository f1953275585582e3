// Where a file's content at the start of a session comes from when the session itself does not
// say: the git blob at the commit the session started on (libgit2), or the file on disk.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace mantra::timeline {

// A content a base lookup found, or why not.
struct BaseContent {
  enum class State { Found, Absent, Unknown };
  State state = State::Unknown; // Absent: the source knows the file did not exist
  std::string content;
  std::string note; // e.g. "binary", "larger than 8 MiB", "commit 1a2b3c4"
};

// Files larger than this are not replayed (their states are reported as too large).
constexpr size_t kMaxFileBytes = 8u << 20;

class BaseSource {
public:
  virtual ~BaseSource() = default;
  virtual BaseContent git(const std::string &path) = 0;
  virtual BaseContent disk(const std::string &path) = 0;
};

// Looks bases up in the git repository at (or above) `project`: the commit on `branch` (else
// HEAD) at or before `startedMs`, and in the file system.
class RepoBases : public BaseSource {
public:
  RepoBases(std::string project, std::string branch, std::optional<int64_t> startedMs);
  ~RepoBases() override;
  BaseContent git(const std::string &path) override;
  BaseContent disk(const std::string &path) override;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace mantra::timeline
