// The worker pool (see WorkerPool.h). A plain mutex + condition variable queue: requests are
// few and short, so nothing fancier pays; the threads are started with the pool, so the first
// request waits for no thread creation.
#include "rpc/WorkerPool.h"

#include <chrono>

namespace mantra::rpc {

Expected<std::unique_ptr<Store>> openStore(const std::string &database) {
  for (int attempt = 0;; ++attempt) {
    auto s = Store::open(database);
    const bool transient =
        !s && (s.error().code == ErrorCode::Busy || s.error().code == ErrorCode::Database);
    if (!transient || attempt == 40)
      return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Expected<Store *> WorkerPool::Context::store() {
  if (!store_) {
    auto s = openStore(database_);
    if (!s)
      return s.error();
    store_ = std::move(*s);
    watch_.attach(*store_);
  }
  return store_.get();
}

WorkerPool::WorkerPool(std::string database, int threads) : database_(std::move(database)) {
  for (int i = 0; i < std::max(1, threads); ++i)
    threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::post(std::shared_ptr<CancelFlag> cancel, Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_)
      return;
    queue_.push_back(Item{std::move(cancel), std::move(job)});
  }
  ready_.notify_one();
}

void WorkerPool::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return (queue_.empty() && busy_ == 0) || stopping_; });
}

void WorkerPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty())
      return;
    stopping_ = true;
    queue_.clear();
  }
  stopAll_ = true;
  ready_.notify_all();
  idle_.notify_all();
  for (auto &t : threads_)
    t.join();
  threads_.clear();
}

void WorkerPool::work() {
  Context ctx(database_, &stopAll_);
  for (;;) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return;
      item = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    ctx.watch_.watch(item.cancel.get());
    item.job(ctx);
    ctx.watch_.watch(nullptr);
    {
      std::lock_guard<std::mutex> lock(mu_);
      --busy_;
      if (queue_.empty() && busy_ == 0)
        idle_.notify_all();
    }
  }
}

} // namespace mantra::rpc
