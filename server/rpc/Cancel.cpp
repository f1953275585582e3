// The progress-handler hook behind ConnectionWatch (see Cancel.h). SQLite calls the handler
// every kSteps virtual-machine instructions of any statement on the connection; a non-zero
// return interrupts that statement. The handler reads two atomics, so the cost is negligible.
#include "rpc/Cancel.h"

#include "store/Store.h"

#include <sqlite3.h>

namespace mantra::rpc {
namespace {

constexpr int kSteps = 1000;

int onProgress(void *arg) { return static_cast<const ConnectionWatch *>(arg)->stopRequested(); }

} // namespace

bool ConnectionWatch::stopRequested() const {
  if (stopAll_ && stopAll_->load(std::memory_order_relaxed))
    return true;
  const CancelFlag *f = current_.load(std::memory_order_acquire);
  return f && f->load(std::memory_order_relaxed);
}

void ConnectionWatch::attach(Store &store) {
  sqlite3_progress_handler(store.db().handle(), kSteps, &onProgress, this);
}

} // namespace mantra::rpc
