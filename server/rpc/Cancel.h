// Cancellation for the work the server runs off its reader thread: requests on the worker
// threads and the background index run.
//
// A CancelFlag is set by the reader thread ($/cancelRequest, shutdown, exit, end of input) and
// read by the thread doing the work. Work inside SQLite notices it through a progress handler on
// that thread's connection (ConnectionWatch): while the watched flag is set, every statement on
// the connection stops with SQLITE_INTERRUPT within a few thousand VM steps, and the store call
// returns its ordinary error. The caller then answers RequestCancelled rather than that error.
#pragma once

#include <atomic>

namespace mantra {
class Store;
}

namespace mantra::rpc {

using CancelFlag = std::atomic<bool>;

// What one connection watches: the flag of the work its thread runs now, and a flag that stops
// everything (the server is exiting). Both flags must outlive their use here.
//
// Threads: watch() is called by the thread that owns the connection; stopRequested() is called
// by SQLite on that same thread; the flags themselves are set from any thread.
class ConnectionWatch {
public:
  explicit ConnectionWatch(const CancelFlag *stopAll = nullptr) : stopAll_(stopAll) {}
  ConnectionWatch(const ConnectionWatch &) = delete;
  ConnectionWatch &operator=(const ConnectionWatch &) = delete;

  // The flag of the current work, or nullptr between pieces of work.
  void watch(const CancelFlag *flag) { current_.store(flag, std::memory_order_release); }
  bool stopRequested() const;
  // Installs the progress handler on `store`'s connection. This object must outlive the store.
  void attach(Store &store);

private:
  std::atomic<const CancelFlag *> current_{nullptr};
  const CancelFlag *stopAll_;
};

} // namespace mantra::rpc
