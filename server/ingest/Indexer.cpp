#include "ingest/Indexer.h"

#include "origin/Origin.h"
#include "timeline/Timeline.h"

#include "store/WriterLock.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sys/stat.h>
#include <unordered_map>

namespace mantra {
namespace fs = std::filesystem;

namespace {

constexpr size_t kHeadBytes = 4096;
constexpr size_t kChunk = 1 << 20;
constexpr int64_t kBatchBytes = 32 << 20; // commit at least every 32 MiB of new input

// FNV-1a over the first bytes: only to notice a rewritten file, not a security measure.
std::string hashHead(const std::string &bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx:%zu", static_cast<unsigned long long>(h), bytes.size());
  return buf;
}

std::string readHead(const fs::path &p, size_t n) {
  std::ifstream in(p, std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return s;
}

int64_t mtimeNs(const struct stat &st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Receives what one file's adapter emits; redacts it and writes it through the store.
class StoreSink : public Sink {
public:
  StoreSink(Store &store, const Redactor &redactor, int64_t sourceId, const std::string &file,
            IndexReport &report)
      : store_(store), redactor_(redactor), sourceId_(sourceId), file_(file), report_(report) {}

  void session(const SessionInfo &info) override {
    SessionInfo s = info;
    redactor_.redactSession(s); // the redaction door for session metadata
    auto &acc = sessions_[s.id];
    mergeSessionInfo(acc, s);
  }

  void event(Event &&e) override {
    if (!status_)
      return;
    redactor_.redactEvent(e); // the redaction door: nothing reaches the store unredacted
    if (sessions_.find(e.sessionId) == sessions_.end()) {
      SessionInfo s;
      s.id = e.sessionId;
      s.agent = e.sessionId.substr(0, e.sessionId.find(':'));
      sessions_[s.id] = s;
    }
    if (!e.uuid.empty())
      uuids_[e.uuid] = e.sessionId;
    if (e.kind == EventKind::ToolResult && !e.callId.empty()) {
      const std::string key = e.sessionId + '\n' + e.callId;
      // The call is still held back (same run): merge in memory, write once.
      if (auto it = pending_.find(key); it != pending_.end()) {
        mergeResult(it->second, e);
        write(it->second);
        pending_.erase(it);
        return;
      }
      if (auto it = tools_.find(key); it != tools_.end()) {
        if (e.tool.empty())
          e.tool = it->second;
      } else if (auto call = store_.findCall(e.sessionId, e.callId)) {
        // A call stored by an earlier run (its result arrived in a later append).
        if (call->kind == EventKind::Shell || call->kind == EventKind::Edit) {
          status_ = store_.mergeResult(*call, e);
          return;
        }
        if (e.tool.empty())
          e.tool = call->tool;
      }
    }
    const bool holdBack =
        (e.kind == EventKind::Shell || e.kind == EventKind::Edit) && !e.callId.empty();
    if (holdBack) {
      // Its seq is fixed now (transcript order); the row waits for the result.
      if (auto st = store_.reserveSeq(e); !st) {
        status_ = st;
        return;
      }
      // Two calls sharing an id (seen in the wild): the earlier one is stored as it is.
      const std::string key = e.sessionId + '\n' + e.callId;
      if (auto it = pending_.find(key); it != pending_.end()) {
        write(it->second);
        pending_.erase(it);
      }
      pending_.emplace(key, std::move(e));
      return;
    }
    if (e.kind == EventKind::ToolCall && !e.callId.empty())
      tools_[e.sessionId + '\n' + e.callId] = e.tool;
    auto id = store_.appendEvent(e, sourceId_);
    if (!id)
      status_ = id.error();
    else
      ++report_.eventsAdded;
    added_ = true;
  }

  void titleHint(TitleHint &&hint) override {
    if (!status_)
      return;
    redactor_.redactTitle(hint);
    hints_.push_back(std::move(hint));
  }

  void problem(int64_t line, std::string message) override {
    ++report_.skipped;
    report_.errors.push_back({file_, line, redactor_.redact(std::move(message))});
  }

  void unknownRecord() override { ++report_.unknown; }
  bool addedEvents() const { return added_; }

  bool storedHints() const { return storedHints_; }

  // Writes the merged session metadata and derived counts. Call once, before commit.
  Status finish() {
    // Calls whose result has not arrived yet are stored as they are; a later run merges it.
    for (auto &[key, e] : pending_)
      write(e);
    pending_.clear();
    if (!status_)
      return status_;
    // A summary usually names a record of its own file: resolve it here, before the sessions
    // are written. The others wait in the store until their record arrives (resolved once per
    // batch, see Indexer).
    for (auto &h : hints_) {
      if (auto it = uuids_.find(h.leafUuid); it != uuids_.end()) {
        SessionInfo s;
        s.id = it->second;
        s.title = h.title;
        s.titleRank = h.rank;
        mergeSessionInfo(sessions_[s.id], s);
      } else if (auto st = store_.addTitleHint(h); !st) {
        return st;
      } else {
        storedHints_ = true;
      }
    }
    for (const auto &[id, s] : sessions_)
      if (auto st = store_.upsertSession(s); !st)
        return st;
    return {};
  }

private:
  void write(const Event &e) {
    if (!status_)
      return;
    auto id = store_.insertEvent(e, sourceId_);
    if (!id)
      status_ = id.error();
    else
      ++report_.eventsAdded;
    added_ = true;
  }

  Store &store_;
  const Redactor &redactor_;
  int64_t sourceId_;
  const std::string &file_;
  IndexReport &report_;
  std::map<std::string, SessionInfo> sessions_;
  std::vector<TitleHint> hints_;
  bool storedHints_ = false;
  bool added_ = false;
  std::unordered_map<std::string, std::string> uuids_; // record uuid -> session id
  Status status_;
  std::map<std::string, Event> pending_;               // "session\ncall" -> shell/edit call
  std::unordered_map<std::string, std::string> tools_; // "session\ncall" -> tool name
};

} // namespace

Indexer::Indexer(Store &store, const Redactor &redactor,
                 std::vector<std::unique_ptr<Adapter>> adapters)
    : store_(store), redactor_(redactor), adapters_(std::move(adapters)) {}

namespace {
const Adapter *pick(const std::vector<std::unique_ptr<Adapter>> &adapters, const fs::path &p) {
  const Adapter *best = nullptr;
  int bestScore = 0;
  std::string head;
  bool headRead = false;
  for (const auto &a : adapters) {
    // Most files are rejected by name alone; read the head only when someone might claim it.
    if (a->claims(p, {}) == 0)
      continue;
    if (!headRead) {
      head = readHead(p, kHeadBytes);
      headRead = true;
    }
    const int s = a->claims(p, head);
    if (s > bestScore) {
      best = a.get();
      bestScore = s;
    }
  }
  return best;
}
} // namespace

std::vector<Indexer::Candidate>
Indexer::discoverFiles(const std::vector<std::unique_ptr<Adapter>> &adapters,
                       const std::vector<std::string> &paths, std::vector<FileProblem> &problems) {
  std::vector<Candidate> out;
  auto add = [&](const fs::path &p, const Adapter *a, uintmax_t size) {
    out.push_back({p, a, std::string(a->agent()), static_cast<int64_t>(size)});
  };
  // Under an adapter's own folder, a file it claims at all is its own.
  auto choose = [&](const fs::path &p, const Adapter *owner) -> const Adapter * {
    if (owner && owner->claims(p, {}) > 0 && owner->claims(p, readHead(p, kHeadBytes)) > 0)
      return owner;
    return pick(adapters, p);
  };
  auto walk = [&](const fs::path &root, const Adapter *owner) {
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) {
      if (const Adapter *a = pick(adapters, root))
        add(root, a, fs::file_size(root, ec));
      else
        problems.push_back({root.string(), 0, "not a session file of any known agent"});
      return;
    }
    if (!fs::is_directory(root, ec)) {
      problems.push_back({root.string(), 0, "no such file or folder"});
      return;
    }
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      problems.push_back({root.string(), 0, "cannot read folder: " + ec.message()});
      return;
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) {
        problems.push_back({it->path().string(), 0, "cannot read: " + ec.message()});
        ec.clear();
        continue;
      }
      if (it->is_directory(ec) && it->path().filename() == "tool-results") {
        it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file(ec))
        continue;
      if (const Adapter *a = choose(it->path(), owner))
        add(it->path(), a, it->file_size(ec));
    }
  };
  if (paths.empty()) {
    for (const auto &a : adapters)
      for (const auto &root : a->roots()) {
        std::error_code ec;
        if (fs::is_directory(root, ec))
          walk(root, a.get());
        else if (fs::is_regular_file(root, ec) && a->claims(root, {}) > 0 &&
                 a->claims(root, readHead(root, kHeadBytes)) > 0)
          add(root, a.get(), fs::file_size(root, ec)); // an agent's single file (Aider)
      }
  } else {
    for (const auto &p : paths)
      walk(fs::path(p), nullptr);
  }
  std::sort(out.begin(), out.end(),
            [](const Candidate &a, const Candidate &b) { return a.path < b.path; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Candidate &a, const Candidate &b) { return a.path == b.path; }),
            out.end());
  return out;
}

Expected<IndexReport> Indexer::run(const std::vector<std::string> &paths,
                                   const std::function<void(const IndexProgress &)> &progress) {
  const auto t0 = std::chrono::steady_clock::now();
  // One indexer per database at a time; readers are not affected.
  auto lock = WriterLock::acquire(store_.path());
  if (!lock)
    return lock.error();
  IndexReport report;
  auto files = discoverFiles(adapters_, paths, report.errors);
  report.filesSeen = static_cast<int64_t>(files.size());
  IndexProgress prog;
  prog.filesTotal = report.filesSeen;
  for (const auto &f : files)
    prog.bytesTotal += f.size;
  for (const auto &f : files) {
    prog.currentFile = f.path.string();
    if (progress)
      progress(prog);
    if (auto st = indexFile(f, report); !st) {
      store_.rollback();
      inTxn_ = false;
      return st.error();
    }
    ++prog.filesDone;
    prog.bytesDone += f.size;
    // Several files share a transaction: far fewer commits (and FTS segment merges) on a first
    // index of thousands of files, while a file is still all-or-nothing.
    if (inTxn_ && (batchBytes_ >= kBatchBytes || prog.filesDone == prog.filesTotal))
      if (auto st = commitBatch(); !st)
        return st.error();
  }
  if (auto st = commitBatch(); !st)
    return st.error();
  // Sessions indexed before line origins existed (schema 3): their lines, from the stored file
  // states, a few hundred sessions per transaction (none, usually: no write transaction then).
  auto pending = store_.pendingOriginSessions(1);
  if (!pending)
    return pending.error();
  while (!pending->empty()) {
    if (auto st = store_.begin(); !st)
      return st.error();
    auto done = origin::rebuildPending(store_, 200);
    if (!done) {
      store_.rollback();
      return done.error();
    }
    if (auto st = store_.commit(); !st)
      return st.error();
    if (*done < 200)
      break;
  }
  if (progress)
    progress(prog);
  auto totals = store_.counts();
  if (!totals)
    return totals.error();
  report.totals = *totals;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

Status Indexer::ensureTransaction() {
  if (inTxn_)
    return {};
  if (auto st = store_.begin(); !st)
    return st;
  inTxn_ = true;
  batchBytes_ = 0;
  return {};
}

Status Indexer::commitBatch() {
  if (!inTxn_)
    return {};
  // Titles waiting for a record of another file: one multi-row statement per batch, not per
  // file (each multi-row write makes FTS5 flush its pending terms).
  // Event counts of the sessions this batch touched, once per batch.
  if (auto st = store_.refreshCounts(); !st) {
    store_.rollback();
    inTxn_ = false;
    return st;
  }
  if (resolveHints_) {
    if (auto st = store_.resolveTitleHints(); !st) {
      store_.rollback();
      inTxn_ = false;
      return st;
    }
    resolveHints_ = false;
  }
  inTxn_ = false;
  const std::vector<std::string> touched = store_.touchedSessions();
  if (auto st = store_.commit(); !st) {
    store_.rollback();
    return st;
  }
  return rebuildTimelines(touched);
}

Status Indexer::rebuildTimelines(const std::vector<std::string> &sessions) {
  // The file states of every session that got new steps, in a transaction of their own: the
  // FTS index's pending terms are flushed by the batch commit already, and a failure here
  // leaves the events in place (the next run computes the states again).
  if (sessions.empty())
    return {};
  if (auto st = store_.begin(); !st)
    return st;
  for (const auto &id : sessions) {
    auto states = timeline::rebuild(store_, id, redactor_);
    if (!states) {
      store_.rollback();
      return states.error();
    }
    if (auto st = origin::rebuild(store_, id, *states); !st) {
      store_.rollback();
      return st;
    }
  }
  return store_.commit();
}

Status Indexer::indexFile(const Candidate &c, IndexReport &report) {
  const std::string path = fs::absolute(c.path).lexically_normal().string();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    report.errors.push_back({path, 0, std::string("cannot stat: ") + std::strerror(errno)});
    return {};
  }
  if (c.adapter->readsItself(c.path))
    return indexDatabase(c, path, st, report);
  const auto size = static_cast<int64_t>(st.st_size);
  const int64_t mtime = mtimeNs(st);
  Source src;
  if (auto prev = store_.source(path)) {
    src = *prev;
    if (src.size == size && src.mtime == mtime && src.agent == c.adapter->agent())
      return {}; // unchanged since the last run
  }
  src.path = path;
  const bool sameAgent = src.agent.empty() || src.agent == c.adapter->agent();
  src.agent = std::string(c.adapter->agent());

  std::ifstream in(path, std::ios::binary);
  if (!in) {
    report.errors.push_back({path, 0, std::string("cannot open: ") + std::strerror(errno)});
    return {};
  }
  const bool whole = c.adapter->wholeDocument(c.path);
  std::string document;
  if (whole) {
    // Read and check it before touching what the store has from it.
    document.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    report.bytesRead += static_cast<int64_t>(document.size());
    if (!nlohmann::json::accept(document)) {
      report.errors.push_back({path, 0,
                               "not a complete JSON document (being written?): left "
                               "for the next run"});
      return {};
    }
  }
  // A file that shrank, changed its first bytes or changed hands is read again from the start;
  // so is a whole document that changed at all.
  bool restart = whole || src.id == 0 || !sameAgent || size < src.offset;
  if (!restart && src.offset > 0) {
    std::string head(static_cast<size_t>(std::min<int64_t>(src.offset, kHeadBytes)), '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    restart = !in || hashHead(head) != src.headHash;
  }

  if (auto b = ensureTransaction(); !b)
    return b;
  if (restart) {
    if (src.id != 0)
      if (auto r = store_.forgetSource(src.id); !r)
        return r;
    src.offset = 0;
    src.line = 0;
    src.state = nullptr;
  }
  // The source row needs an id before events can point at it.
  auto id = store_.saveSource(src);
  if (!id)
    return id.error();
  src.id = *id;

  auto parser = c.adapter->open(path, src.state);
  StoreSink sink(store_, redactor_, src.id, path, report);
  in.clear();
  in.seekg(src.offset);
  std::string buf, carry;
  buf.resize(kChunk);
  const int64_t startOffset = src.offset;
  int64_t offset = src.offset, line = src.line;
  std::string head;
  if (whole) {
    line = 1;
    parser->line(document, line, sink);
    offset = static_cast<int64_t>(document.size());
    in.setstate(std::ios::eofbit);
  }
  while (!whole && in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0)
      break;
    report.bytesRead += static_cast<int64_t>(got);
    std::string_view chunk(buf.data(), got);
    size_t start = 0;
    while (true) {
      const size_t nl = chunk.find('\n', start);
      if (nl == std::string_view::npos) {
        carry.append(chunk.substr(start));
        break;
      }
      ++line;
      std::string_view text;
      size_t lineLen;
      if (!carry.empty()) {
        carry.append(chunk.substr(start, nl - start));
        text = carry;
        lineLen = carry.size();
      } else {
        text = chunk.substr(start, nl - start);
        lineLen = nl - start;
      }
      if (!text.empty() && text.back() == '\r')
        text.remove_suffix(1);
      parser->line(text, line, sink);
      offset += static_cast<int64_t>(lineLen) + 1;
      carry.clear();
      start = nl + 1;
    }
  }
  // A last line without its newline is either still being written (leave it) or a complete
  // record in a file that simply does not end with a newline: a JSON object whose prefix is
  // itself a whole object cannot be continued, so one that parses is safe to take now.
  if (!whole && !carry.empty() && nlohmann::json::accept(carry)) {
    ++line;
    parser->line(carry, line, sink);
    offset += static_cast<int64_t>(carry.size());
    carry.clear();
  }
  if (!carry.empty())
    report.errors.push_back({path, line + 1,
                             "incomplete last line (" + std::to_string(carry.size()) +
                                 " bytes, no newline yet): left for the next run"});
  if (!whole)
    parser->endOfInput(sink);
  if (offset > src.offset || restart)
    ++report.filesRead;

  if (auto r = sink.finish(); !r)
    return makeError(r.error().code, path + ": " + r.error().message);
  resolveHints_ = resolveHints_ || sink.storedHints() || sink.addedEvents();
  // Hash the first bytes of what was consumed, to recognise this file next time.
  {
    std::ifstream again(path, std::ios::binary);
    head.assign(static_cast<size_t>(std::min<int64_t>(offset, kHeadBytes)), '\0');
    again.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(std::max<std::streamsize>(again.gcount(), 0)));
  }
  src.offset = offset;
  src.line = line;
  src.headHash = hashHead(head);
  // Remember size/mtime only when everything was consumed; otherwise look again next time.
  src.size = offset == size ? size : -1;
  src.mtime = mtime;
  src.state = parser->state();
  if (auto r = store_.saveSource(src); !r)
    return r.error();
  batchBytes_ += offset - startOffset;
  return {};
}

Status Indexer::indexDatabase(const Candidate &c, const std::string &path, const struct stat &st,
                              IndexReport &report) {
  // A database changes through its write-ahead log long before the main file does: both make up
  // the size and mtime that say whether to look at all.
  int64_t size = static_cast<int64_t>(st.st_size);
  int64_t mtime = mtimeNs(st);
  struct stat wal {};
  if (::stat((path + "-wal").c_str(), &wal) == 0) {
    size += static_cast<int64_t>(wal.st_size);
    mtime = std::max(mtime, mtimeNs(wal));
  }
  Source src;
  if (auto prev = store_.source(path)) {
    src = *prev;
    if (src.size == size && src.mtime == mtime && src.agent == c.adapter->agent())
      return {}; // unchanged since the last run
  }
  const bool sameAgent = src.agent.empty() || src.agent == c.adapter->agent();
  src.path = path;
  src.agent = std::string(c.adapter->agent());
  if (auto b = ensureTransaction(); !b)
    return b;
  if (!sameAgent && src.id != 0) {
    if (auto r = store_.forgetSource(src.id); !r)
      return r;
    src.state = nullptr;
  }
  auto id = store_.saveSource(src);
  if (!id)
    return id.error();
  src.id = *id;

  auto parser = c.adapter->open(path, src.state);
  auto sink = std::make_unique<StoreSink>(store_, redactor_, src.id, path, report);
  auto read = parser->readSource(path, *sink);
  bool forgotten = false;
  if (read == FileParser::Read::Rewritten) {
    // Something read before changed in place: read the source again from nothing.
    if (auto r = store_.forgetSource(src.id); !r)
      return r;
    forgotten = true;
    parser = c.adapter->open(path, nullptr);
    sink = std::make_unique<StoreSink>(store_, redactor_, src.id, path, report);
    read = parser->readSource(path, *sink);
    if (read == FileParser::Read::Rewritten) {
      report.errors.push_back({path, 0, "changed while being read: left for the next run"});
      read = FileParser::Read::Retry;
    }
  }
  if (src.offset == 0 || forgotten)
    report.bytesRead += size; // read whole; afterwards only what changed is read
  ++report.filesRead;
  if (auto r = sink->finish(); !r)
    return makeError(r.error().code, path + ": " + r.error().message);
  resolveHints_ = resolveHints_ || sink->storedHints() || sink->addedEvents();
  if (read == FileParser::Read::Retry) {
    // Keep what the store had: the next run looks again (the size is not remembered). Once its
    // events were forgotten, the next run must start from nothing.
    src.size = -1;
    if (forgotten)
      src.state = nullptr;
  } else {
    src.size = size;
    src.mtime = mtime;
    src.offset = size;
    src.line = 0;
    src.headHash.clear();
    src.state = parser->state();
  }
  if (auto r = store_.saveSource(src); !r)
    return r.error();
  batchBytes_ += size;
  return {};
}

} // namespace mantra
