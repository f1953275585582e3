// The background index of `mantra serve`: runs the Indexer on its own thread and its own
// connections while the server keeps answering, and reports what it does through two
// notifications (protocol/README.md):
// - mantra/indexProgress: {"state":"begin"}, then {"state":"report", …} at most every 200 ms,
//   then exactly one {"state":"end","outcome":…} per run;
// - mantra/sessionsChanged: the ids of the sessions that got new steps, as soon as a commit
//   makes them visible to readers (checked at most every 250 ms while the run goes on) and once
//   more before the run's end.
//
// Contract:
// - start() begins a run on a new thread unless one is running, and returns the run's number
//   (1, 2, …) and whether this call started it. Called by one thread (the reader).
// - A run whose writer lock is held by another process (that process indexes the same database)
//   ends at once with outcome "skipped" and a log line; nothing is retried.
// - stop() interrupts a run at its next SQL statement (the open transaction rolls back, nothing
//   half-written stays), waits for the thread, and lets a later start() run again. The
//   destructor calls it.
// - Every text in a notification (file paths, problem messages) passes the run's redactor.
// - `notify` and `log` are called on the index thread; they must be thread-safe.
#pragma once

#include "ingest/Adapter.h"
#include "redact/Redactor.h"
#include "rpc/Cancel.h"

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace mantra::rpc {

class BackgroundIndex {
public:
  using Notify = std::function<void(const std::string &method, nlohmann::json params)>;
  using Log = std::function<void(const std::string &line)>;
  struct Options {
    std::string database;
    // The redactor every indexed text passes; an error (a bad config) fails the run.
    std::function<Expected<const Redactor *>()> redactor;
    std::function<std::vector<std::unique_ptr<Adapter>>()> adapters;
    Notify notify;
    Log log;
  };
  struct Start {
    int64_t run = 0;
    bool started = false;
  };

  explicit BackgroundIndex(Options o);
  ~BackgroundIndex();
  BackgroundIndex(const BackgroundIndex &) = delete;
  BackgroundIndex &operator=(const BackgroundIndex &) = delete;

  // `paths`: files or folders to index; none = every agent's default folders.
  Start start(std::vector<std::string> paths);
  bool running() const { return running_; }
  void stop();

private:
  void run(int64_t n, const std::vector<std::string> &paths);

  Options o_;
  std::atomic<bool> running_{false};
  CancelFlag stop_{false};
  int64_t runs_ = 0;
  std::thread thread_;
};

} // namespace mantra::rpc
