// The background index (see BackgroundIndex.h). The run owns two connections: the writer the
// Indexer uses, and a reader that sees only what the run has committed — so the sessions it
// reports as changed are exactly the ones a query on another connection can already read.
#include "rpc/BackgroundIndex.h"

#include "rpc/WorkerPool.h"

#include "core/Json.h"
#include "ingest/Indexer.h"
#include "store/Store.h"

#include <chrono>
#include <climits>
#include <map>

namespace mantra::rpc {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr auto kReportEvery = std::chrono::milliseconds(200);
constexpr auto kChangesEvery = std::chrono::milliseconds(250);
constexpr size_t kMaxErrors = 100; // problems listed in the end notification

// The sessions that got new steps since the last look: compares each session's step count with
// the one seen before, through a read connection of its own.
class ChangeTracker {
public:
  explicit ChangeTracker(Store &reader) : reader_(reader) { read(counts_); }

  std::vector<std::string> changed() {
    std::map<std::string, int64_t> now;
    if (!read(now))
      return {};
    std::vector<std::string> out;
    for (const auto &[id, n] : now)
      if (auto it = counts_.find(id); it == counts_.end() || it->second < n)
        out.push_back(id);
    counts_ = std::move(now);
    return out;
  }

private:
  bool read(std::map<std::string, int64_t> &out) {
    auto rows = reader_.sessions(SessionFilter{"", "", INT_MAX});
    if (!rows)
      return false;
    for (const auto &r : *rows)
      out[r.id] = r.events;
    return true;
  }
  Store &reader_;
  std::map<std::string, int64_t> counts_;
};

json progressJson(int64_t run, const IndexProgress &p, const Redactor &r) {
  const int64_t pct = p.bytesTotal ? p.bytesDone * 100 / p.bytesTotal : 100;
  json j = {{"state", "report"},        {"run", run},
            {"filesDone", p.filesDone}, {"filesTotal", p.filesTotal},
            {"bytesDone", p.bytesDone}, {"bytesTotal", p.bytesTotal},
            {"percentage", pct}};
  if (!p.currentFile.empty())
    j["file"] = r.redact(p.currentFile);
  return j;
}

// The report with its texts redacted and its problem list cut to kMaxErrors.
json reportJson(IndexReport report, const Redactor &r) {
  if (report.errors.size() > kMaxErrors)
    report.errors.resize(kMaxErrors);
  for (auto &e : report.errors) {
    e.file = r.redact(e.file);
    e.message = r.redact(e.message);
  }
  return indexReportJson(report);
}

} // namespace

BackgroundIndex::BackgroundIndex(Options o) : o_(std::move(o)) {}

BackgroundIndex::~BackgroundIndex() { stop(); }

BackgroundIndex::Start BackgroundIndex::start(std::vector<std::string> paths) {
  if (running_)
    return {runs_, false};
  if (thread_.joinable())
    thread_.join(); // the last run has ended; its thread is finishing
  running_ = true;
  const int64_t n = ++runs_;
  thread_ = std::thread([this, n, p = std::move(paths)] { run(n, p); });
  return {n, true};
}

void BackgroundIndex::stop() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
  stop_ = false;
  running_ = false;
}

void BackgroundIndex::run(int64_t n, const std::vector<std::string> &paths) {
  o_.notify("mantra/indexProgress", {{"state", "begin"}, {"run", n}});
  json end = {{"state", "end"}, {"run", n}};
  // running_ is cleared before the end is sent: a client that reacts to it can start the next.
  auto finish = [&](const char *outcome, const std::string &message) {
    end["outcome"] = outcome;
    if (!message.empty())
      end["message"] = message;
    if (!message.empty() || std::string(outcome) != "done")
      o_.log("index run " + std::to_string(n) + ": " + outcome +
             (message.empty() ? "" : ": " + message));
    running_ = false;
    o_.notify("mantra/indexProgress", std::move(end));
  };
  auto redactor = o_.redactor();
  if (!redactor)
    return finish("failed", redactor.error().message);
  const Redactor &red = **redactor;
  // The watches are declared before the stores: they must outlive the connections they watch.
  ConnectionWatch writeWatch(&stop_), readWatch(&stop_);
  auto writer = openStore(o_.database);
  if (!writer)
    return finish("failed", red.redact(writer.error().message));
  writeWatch.attach(**writer);
  std::unique_ptr<Store> reader;
  if (auto r = openStore(o_.database)) {
    reader = std::move(*r);
    readWatch.attach(*reader);
  } else {
    o_.log("index run " + std::to_string(n) +
           ": no read connection, so no sessionsChanged: " + red.redact(r.error().message));
  }
  std::optional<ChangeTracker> tracker;
  if (reader)
    tracker.emplace(*reader);
  auto sendChanges = [&] {
    if (!tracker || stop_)
      return;
    if (auto ids = tracker->changed(); !ids.empty())
      o_.notify("mantra/sessionsChanged", {{"sessions", ids}});
  };
  Clock::time_point lastReport{}, lastCheck = Clock::now();
  auto progress = [&](const IndexProgress &p) {
    const auto now = Clock::now();
    if (now - lastReport >= kReportEvery) {
      lastReport = now;
      o_.notify("mantra/indexProgress", progressJson(n, p, red));
    }
    if (now - lastCheck >= kChangesEvery) {
      lastCheck = now;
      sendChanges();
    }
  };
  Indexer indexer(**writer, red, o_.adapters());
  auto report = indexer.run(paths, progress);
  sendChanges(); // also after a failure: the batches committed before it are there
  if (!report) {
    if (stop_)
      return finish("stopped", "");
    const bool busy = report.error().code == ErrorCode::Busy;
    return finish(busy ? "skipped" : "failed", red.redact(report.error().message));
  }
  end["report"] = reportJson(*report, red);
  finish("done", "");
}

} // namespace mantra::rpc
