// The one-writer lock: an exclusive flock on "<database>.lock" that the process which indexes
// holds for the whole run. Other processes still read the database (WAL); a second indexer is
// told who holds the lock instead of waiting on SQLite's busy timeout file by file.
//
// The lock dies with its process (flock), so a crashed indexer never leaves it behind.
#pragma once

#include "util/Expected.h"

#include <string>

namespace mantra {

class WriterLock {
public:
  // Takes the lock without waiting. ErrorCode::Busy, naming the holder's pid, when another
  // process has it; ErrorCode::Io when the lock file cannot be opened.
  static Expected<WriterLock> acquire(const std::string &databasePath);

  WriterLock(WriterLock &&o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  WriterLock &operator=(WriterLock &&) = delete;
  WriterLock(const WriterLock &) = delete;
  ~WriterLock();

private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

} // namespace mantra
