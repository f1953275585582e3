// The worker threads that run requests off the reader thread, so that a long request can be
// cancelled and a query is answered while another one (or the background index) runs.
//
// Each worker owns one Store connection (a Store is one-thread), opened on the worker's first
// job that asks for it and kept; a failed open is retried by the next job. The connection is
// watched (Cancel.h): the current job's flag and the pool's stop flag interrupt its statements.
//
// Contract:
// - post() queues a job with its cancel flag; jobs start in the order posted, on whichever
//   worker is free. A job always runs, even when its flag is already set, so that it can answer
//   (the job decides what a cancelled request replies). Any thread may post.
// - drain() returns once every job posted before the call has finished.
// - stop() sets the stop flag (interrupting running statements), drops the jobs not started and
//   joins the workers. The destructor calls it. Called by the owner's thread only.
// - A job must not throw (the Server's jobs catch everything themselves).
#pragma once

#include "rpc/Cancel.h"
#include "store/Store.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mantra::rpc {

// Store::open, tried again for up to 2 s while it fails with Busy or a database error: two
// processes that open a new database at once race to create and migrate it, and the loser is
// told "database is locked" (or, from SQLite's journal switch, "disk I/O error") at once rather
// than after the busy timeout. A newer or foreign database (Schema) fails at once.
Expected<std::unique_ptr<Store>> openStore(const std::string &database);

class WorkerPool {
public:
  // What a job gets on its worker.
  class Context {
  public:
    // The worker's connection, opened on first use; the open error otherwise.
    Expected<Store *> store();

  private:
    friend class WorkerPool;
    Context(const std::string &database, const CancelFlag *stopAll)
        : database_(database), watch_(stopAll) {}
    const std::string &database_;
    ConnectionWatch watch_; // declared first: it outlives the connection it watches
    std::unique_ptr<Store> store_;
  };
  using Job = std::function<void(Context &)>;

  WorkerPool(std::string database, int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  void post(std::shared_ptr<CancelFlag> cancel, Job job);
  void drain();
  void stop();

private:
  struct Item {
    std::shared_ptr<CancelFlag> cancel;
    Job job;
  };
  void work();

  const std::string database_;
  CancelFlag stopAll_{false};
  std::mutex mu_;
  std::condition_variable ready_, idle_;
  std::deque<Item> queue_;
  int busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace mantra::rpc
