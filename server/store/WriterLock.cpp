#include "store/WriterLock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace mantra {

Expected<WriterLock> WriterLock::acquire(const std::string &databasePath) {
  const std::string path = databasePath + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return makeError(ErrorCode::Io, "cannot open lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string who = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("?");
      while (!who.empty() && (who.back() == '\n' || who.back() == ' '))
        who.pop_back();
      return makeError(ErrorCode::Busy, "another mantra process (pid " + who + ") is indexing " +
                                            databasePath + "; try again when it has finished");
    }
    return makeError(ErrorCode::Io, "cannot lock " + path + ": " + std::strerror(err));
  }
  // Record who holds it, for the message above.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0)
    (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return WriterLock(fd);
}

WriterLock::~WriterLock() {
  if (fd_ >= 0)
    ::close(fd_); // releases the flock
}

} // namespace mantra
