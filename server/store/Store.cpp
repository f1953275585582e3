#include "store/Store.h"

#include "util/Time.h"

#include <zstd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

// The columns readSession() expects, in order.
#define MANTRA_SESSION_COLUMNS                                                                     \
  "id, agent, native_id, project, title, branch, commit_sha, model, version, parent_id, started, " \
  "ended, events, is_subagent"

namespace mantra {
namespace fs = std::filesystem;

namespace {

// Forward migrations: kMigrations[i] takes user_version i to i+1. Never edit a shipped entry;
// append a new one.
const char *const kMigrations[] = {
    R"sql(
CREATE TABLE sources(
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  agent TEXT NOT NULL,
  size INTEGER NOT NULL DEFAULT 0,
  mtime INTEGER NOT NULL DEFAULT 0,
  offset INTEGER NOT NULL DEFAULT 0,
  line INTEGER NOT NULL DEFAULT 0,
  head_hash TEXT,
  state TEXT,
  indexed_at INTEGER
);
CREATE TABLE sessions(
  id TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  native_id TEXT,
  project TEXT,
  branch TEXT,
  commit_sha TEXT,
  model TEXT,
  version TEXT,
  parent_id TEXT,
  is_subagent INTEGER NOT NULL DEFAULT 0,
  title TEXT,
  title_rank INTEGER NOT NULL DEFAULT 0,
  started INTEGER,
  ended INTEGER,
  events INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_ended ON sessions(ended DESC);
CREATE INDEX sessions_native ON sessions(native_id);
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  time INTEGER,
  text TEXT,
  tool TEXT,
  path TEXT,
  command TEXT,
  exit_code INTEGER,
  is_error INTEGER NOT NULL DEFAULT 0,
  call_id TEXT,
  uuid TEXT,
  data TEXT,
  source_id INTEGER NOT NULL,
  UNIQUE(session_id, seq)
);
CREATE INDEX events_call ON events(session_id, call_id) WHERE call_id IS NOT NULL;
CREATE INDEX events_uuid ON events(uuid) WHERE uuid IS NOT NULL;
CREATE INDEX events_source ON events(source_id);
CREATE TABLE title_hints(
  leaf_uuid TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  rank INTEGER NOT NULL
);
CREATE VIRTUAL TABLE events_fts USING fts5(
  text, command, path, tool,
  content='events', content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2'
);
)sql",
    // 2: the timeline — each touched file's state after each step, contents stored once per
    // distinct content (blobs, keyed by the git blob id of the content, zstd-compressed). The
    // adapters learned to write the normalized edit/read keys at the same time, so every source
    // is read again from the start on the next index run (its head hash no longer matches).
    R"sql(
CREATE TABLE blobs(
  hash TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE file_states(
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  path TEXT NOT NULL,
  op TEXT NOT NULL,
  blob TEXT,
  present INTEGER NOT NULL,
  base TEXT NOT NULL,
  exact INTEGER NOT NULL,
  status TEXT,
  other_path TEXT,
  matched INTEGER
);
CREATE INDEX file_states_path ON file_states(session_id, path, seq);
ALTER TABLE events ADD COLUMN touches INTEGER NOT NULL DEFAULT 0;
UPDATE sources SET head_hash = 'schema-2';
)sql",
    // 3: line origins — every non-blank line a step added to a file, by the fingerprint of its
    // text without whitespace and of its nearest non-blank neighbours (origin/Origin.h). Paths
    // and sessions are interned (explicit integer keys, which VACUUM keeps); the lines are
    // clustered by fingerprint then path, so a lookup reads one contiguous range. The sessions
    // indexed before this version are listed in origin_pending: the next index run computes
    // their lines from the stored file states, without reading the agents' files again.
    R"sql(
CREATE TABLE origin_paths(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);
CREATE TABLE origin_sessions(id INTEGER PRIMARY KEY, session_id TEXT NOT NULL UNIQUE);
CREATE TABLE origin_lines(
  fp INTEGER NOT NULL,
  path_id INTEGER NOT NULL,
  session INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  line INTEGER NOT NULL,
  above INTEGER NOT NULL,
  below INTEGER NOT NULL,
  PRIMARY KEY(fp, path_id, session, seq, line)
) WITHOUT ROWID;
CREATE INDEX origin_lines_session ON origin_lines(session);
CREATE TABLE origin_pending(session_id TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO origin_pending SELECT DISTINCT session_id FROM file_states;
)sql",
    // 4: search — the vocabulary of identifiers the steps hold (lowercased, once each) with a
    // trigram index over it, so that a part of an identifier finds the whole (StoreSearch.cpp,
    // search/Search.h); failed steps indexed apart for the `failed` filter. Store::migrate
    // fills the vocabulary from the stored events right after this runs.
    R"sql(
CREATE TABLE idents(id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE);
CREATE VIRTUAL TABLE idents_fts USING fts5(
  word, content='idents', content_rowid='id', tokenize='trigram', columnsize=0
);
CREATE INDEX events_failed ON events(session_id) WHERE is_error != 0 OR exit_code != 0;
)sql",
};
constexpr int kMigrationCount = sizeof(kMigrations) / sizeof(kMigrations[0]);
static_assert(kMigrationCount == Store::kSchemaVersion);

// Creates the folder (0700) and an empty file (0600) so SQLite never creates them with the
// process umask; SQLite gives the -wal and -shm files the database file's mode.
Status prepareFile(const std::string &path) {
  const fs::path p(path);
  std::error_code ec;
  if (p.has_parent_path() && !fs::exists(p.parent_path(), ec)) {
    fs::create_directories(p.parent_path(), ec);
    if (ec)
      return makeError(ErrorCode::Io,
                       "cannot create folder " + p.parent_path().string() + ": " + ec.message());
    ::chmod(p.parent_path().c_str(), 0700);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return makeError(ErrorCode::Io, "cannot open database " + path + ": " + std::strerror(errno));
  ::close(fd);
  return {};
}

} // namespace

// events.data: JSON text when small; above kCompressAt bytes a zstd frame stored as a BLOB
// (tool inputs and results — whole files an edit started from, file contents a read returned —
// are most of the database, and compress several times over). The column's SQLite type tells
// which, so old rows and new rows read the same way.
constexpr size_t kCompressAt = 512;

void bindData(sql::Stmt &st, int i, const nlohmann::json &data) {
  if (data.is_null()) {
    st.bindNull(i);
    return;
  }
  const std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() < kCompressAt) {
    st.bind(i, text);
    return;
  }
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  if (ZSTD_isError(n)) {
    st.bind(i, text);
    return;
  }
  out.resize(n);
  st.bindBlob(i, out);
}

nlohmann::json readData(const sql::Stmt &st, int col) {
  std::string text;
  if (st.isBlob(col)) {
    const std::string frame = st.bytes(col);
    const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 32))
      return nullptr;
    text.resize(static_cast<size_t>(size));
    const size_t n = ZSTD_decompress(text.data(), text.size(), frame.data(), frame.size());
    if (ZSTD_isError(n))
      return nullptr;
    text.resize(n);
  } else {
    text = st.text(col);
  }
  if (text.empty())
    return nullptr;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

std::string defaultDatabasePath() {
  if (const char *env = std::getenv("MANTRA_DB"); env && *env)
    return env;
  fs::path base;
  if (const char *xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    base = xdg;
  else if (const char *home = std::getenv("HOME"); home && *home)
    base = fs::path(home) / ".local" / "share";
  else
    base = ".";
  return (base / "mantra" / "mantra.db").string();
}

Expected<std::unique_ptr<Store>> Store::open(const std::string &path) {
  if (auto st = prepareFile(path); !st)
    return st.error();
  std::unique_ptr<Store> s(new Store());
  if (auto st = s->db_.open(path, true, false, 5000); !st)
    return st.error();
  auto openError = [&path](const Error &e) {
    if (e.code == ErrorCode::Schema)
      return makeError(ErrorCode::Schema, path + " is not a Mantra database (not SQLite)");
    if (e.code == ErrorCode::Busy)
      return makeError(ErrorCode::Busy,
                       "database " + path + " is locked by another process; try again");
    return makeError(e.code, "database " + path + ": " + e.message);
  };
  // Before changing anything (the journal mode is stored in the file), make sure this is SQLite
  // and not another program's database: tables but no user_version.
  {
    auto probe = s->db_.prepare(
        "SELECT count(*), (SELECT user_version FROM pragma_user_version) FROM sqlite_master");
    if (!probe)
      return openError(probe.error());
    if (!probe->step())
      return openError(s->db_.lastError("read schema"));
    if (probe->int64(0) > 0 && probe->int64(1) == 0)
      return makeError(ErrorCode::Schema,
                       path + " is not a Mantra database (it holds other tables)");
  }
  // journal_mode=WAL needs a moment of exclusive access only the first time, and SQLite does not
  // wait for it through the busy handler: two processes creating one database at the same moment
  // retry here (as they do for the first migration) instead of failing.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    Status st = s->db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                            "PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY; "
                            "PRAGMA cache_size=-32768; PRAGMA mmap_size=268435456;");
    if (st)
      st = s->migrate();
    if (st)
      return s;
    const bool transient = st.error().code == ErrorCode::Busy ||
                           st.error().message.find("locked") != std::string::npos;
    if (!transient || std::chrono::steady_clock::now() > deadline)
      return st.error().code == ErrorCode::Schema ? st.error() : openError(st.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Status Store::migrate() {
  int64_t version = 0;
  {
    // Finished before the write transaction below: a statement still open would hold a read
    // snapshot and make BEGIN IMMEDIATE fail at once instead of waiting.
    auto st = db_.prepare("PRAGMA user_version");
    if (!st)
      return st.error();
    version = st->step() ? st->int64(0) : 0;
  }
  if (version > kSchemaVersion)
    return makeError(ErrorCode::Schema, "database " + db_.path() + " has schema version " +
                                            std::to_string(version) +
                                            ", newer than this mantra understands (" +
                                            std::to_string(kSchemaVersion) + "); upgrade mantra");
  if (version == kSchemaVersion)
    return {};
  sql::Transaction txn(db_);
  if (auto b = txn.begin(); !b)
    return makeError(b.error().code, "migrate " + db_.path() + ": " + b.error().message);
  // Re-read under the write lock: another process may have migrated meanwhile.
  auto again = db_.prepare("PRAGMA user_version");
  if (!again)
    return again.error();
  version = again->step() ? again->int64(0) : 0;
  for (int64_t v = version; v < kSchemaVersion; ++v) {
    if (auto r = db_.exec(kMigrations[v]); !r)
      return makeError(r.error().code, "migrate " + db_.path() + " to version " +
                                           std::to_string(v + 1) + ": " + r.error().message);
  }
  // 4: the search vocabulary is derived from the events already stored.
  if (version > 0 && version < 4)
    if (auto r = rebuildIdents(); !r)
      return makeError(r.error().code,
                       "migrate " + db_.path() + " to version 4: " + r.error().message);
  if (auto r = db_.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion)); !r)
    return r;
  return txn.commit();
}

Status Store::begin() {
  nextSeq_.clear();
  touched_.clear();
  if (!writer_) {
    // A writing connection reads back what it wrote (the timeline reads a session's edits after
    // each batch): through the memory map every page it touches would count in the process's
    // resident memory, up to the whole database. Readers keep the map.
    writer_ = true;
    (void)db_.exec("PRAGMA mmap_size=0");
  }
  if (auto st = db_.exec("BEGIN IMMEDIATE"); !st) {
    if (st.error().code == ErrorCode::Busy)
      return makeError(ErrorCode::Busy, "database " + db_.path() +
                                            " is locked by another process (still busy after 5 s)");
    return st;
  }
  inTxn_ = true;
  return {};
}

Status Store::commit() {
  if (!inTxn_)
    return {};
  auto st = db_.exec("COMMIT");
  if (st) {
    inTxn_ = false;
    touched_.clear();
  }
  nextSeq_.clear();
  return st;
}

void Store::rollback() {
  if (inTxn_)
    (void)db_.exec("ROLLBACK");
  identsKnown_.clear(); // words added by the rolled-back transaction are gone again
  identsCount_ = 0;
  inTxn_ = false;
  nextSeq_.clear();
  touched_.clear();
}

std::optional<Source> Store::source(const std::string &path) {
  auto *st = db_.cached("SELECT id, path, agent, size, mtime, offset, line, head_hash, state "
                        "FROM sources WHERE path = ?");
  if (!st)
    return std::nullopt;
  st->bind(1, path);
  if (!st->step())
    return std::nullopt;
  Source s;
  s.id = st->int64(0);
  s.path = st->text(1);
  s.agent = st->text(2);
  s.size = st->int64(3);
  s.mtime = st->int64(4);
  s.offset = st->int64(5);
  s.line = st->int64(6);
  s.headHash = st->text(7);
  const std::string state = st->text(8);
  if (!state.empty())
    s.state = nlohmann::json::parse(state, nullptr, false);
  if (s.state.is_discarded())
    s.state = nullptr;
  st->reset();
  return s;
}

Expected<int64_t> Store::saveSource(const Source &s) {
  // UPDATE, else INSERT — not an upsert: upserts are multi-write statements, whose savepoint
  // makes FTS5 flush (see ftsAdd).
  std::optional<int64_t> id;
  if (s.id != 0) {
    id = s.id;
  } else if (auto prev = source(s.path)) {
    id = prev->id;
  }
  auto *st = db_.cached(id ? "UPDATE sources SET path = ?1, agent = ?2, size = ?3, mtime = ?4, "
                             "offset = ?5, line = ?6, head_hash = ?7, state = ?8, "
                             "indexed_at = ?9 WHERE id = ?10"
                           : "INSERT INTO sources(path, agent, size, mtime, offset, line, "
                             "head_hash, state, indexed_at) "
                             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!st)
    return db_.lastError("store: save source");
  st->bind(1, s.path).bind(2, s.agent).bind(3, s.size).bind(4, s.mtime).bind(5, s.offset);
  st->bind(6, s.line).bindOpt(7, s.headHash);
  if (s.state.is_null())
    st->bindNull(8);
  else
    st->bind(8, s.state.dump());
  st->bind(9, nowMs());
  if (id)
    st->bind(10, *id);
  if (auto r = st->run(); !r)
    return makeError(r.error().code, "store: save source " + s.path + ": " + r.error().message);
  return id ? *id : db_.lastInsertId();
}

// The FTS index is maintained by these two calls rather than by triggers: a trigger makes every
// INSERT a multi-write statement with a statement savepoint, and FTS5 flushes its in-memory
// terms to a new segment at every savepoint — measured at a third of all indexing time.
Status Store::ftsAdd(int64_t rowId, const Event &e) {
  auto *st = db_.cached("INSERT INTO events_fts(rowid, text, command, path, tool) "
                        "VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!st)
    return db_.lastError("store: index event");
  st->bind(1, rowId).bindOpt(2, e.text).bindOpt(3, e.command).bindOpt(4, e.path).bindOpt(5, e.tool);
  if (auto r = st->run(); !r)
    return r;
  return identsAdd(e);
}

Status Store::ftsRemove(int64_t rowId) {
  // 'delete' needs the values that were indexed: read them from the content table.
  auto *get = db_.cached("SELECT text, command, path, tool FROM events WHERE id = ?");
  if (!get)
    return db_.lastError("store: unindex event");
  get->bind(1, rowId);
  if (!get->step()) {
    get->reset();
    return {};
  }
  const std::string text = get->text(0), command = get->text(1), path = get->text(2),
                    tool = get->text(3);
  get->reset();
  auto *st = db_.cached("INSERT INTO events_fts(events_fts, rowid, text, command, path, tool) "
                        "VALUES('delete', ?1, ?2, ?3, ?4, ?5)");
  if (!st)
    return db_.lastError("store: unindex event");
  st->bind(1, rowId).bindOpt(2, text).bindOpt(3, command).bindOpt(4, path).bindOpt(5, tool);
  return st->run();
}

Status Store::forgetSource(int64_t sourceId) {
  // The sessions losing events need their counts refreshed even when nothing is re-read.
  auto *sessions = db_.cached("SELECT DISTINCT session_id FROM events WHERE source_id = ?");
  if (!sessions)
    return db_.lastError("store: forget source");
  sessions->bind(1, sourceId);
  while (sessions->step())
    touched_.insert(sessions->text(0));
  const bool failed = sessions->failed();
  sessions->reset();
  if (failed)
    return db_.lastError("store: forget source");
  auto *ids = db_.cached("SELECT id FROM events WHERE source_id = ?");
  if (!ids)
    return db_.lastError("store: forget source");
  ids->bind(1, sourceId);
  std::vector<int64_t> rows;
  while (ids->step())
    rows.push_back(ids->int64(0));
  ids->reset();
  for (int64_t id : rows)
    if (auto r = ftsRemove(id); !r)
      return r;
  auto *st = db_.cached("DELETE FROM events WHERE source_id = ?");
  if (!st)
    return db_.lastError("store: forget source");
  st->bind(1, sourceId);
  nextSeq_.clear();
  return st->run();
}

Status Store::upsertSession(const SessionInfo &s) {
  // Read, merge in C++ (mergeSessionInfo holds the one set of rules), write back with a
  // single-row statement — no upsert, for the FTS5 reason given at ftsAdd.
  auto *get =
      db_.cached("SELECT " MANTRA_SESSION_COLUMNS ", title_rank FROM sessions WHERE id = ?");
  if (!get)
    return db_.lastError("store: upsert session");
  get->bind(1, s.id);
  const bool exists = get->step();
  SessionInfo acc;
  if (exists) {
    const SessionRow row = readSession(*get);
    acc.id = row.id;
    acc.agent = row.agent;
    acc.nativeId = row.nativeId;
    acc.project = row.project;
    acc.branch = row.branch;
    acc.commit = row.commit;
    acc.model = row.model;
    acc.version = row.version;
    acc.parentId = row.parentId;
    acc.isSubagent = row.isSubagent;
    acc.title = row.title;
    acc.titleRank = static_cast<int>(get->int64(14));
    acc.started = row.started;
    acc.ended = row.ended;
  }
  get->reset();
  mergeSessionInfo(acc, s);
  auto *st =
      db_.cached(exists ? "UPDATE sessions SET agent = ?2, native_id = ?3, project = ?4, "
                          "branch = ?5, commit_sha = ?6, model = ?7, version = ?8, "
                          "parent_id = ?9, is_subagent = ?10, title = ?11, "
                          "title_rank = ?12, started = ?13, ended = ?14 WHERE id = ?1"
                        : "INSERT INTO sessions(id, agent, native_id, project, branch, "
                          "commit_sha, model, version, parent_id, is_subagent, title, "
                          "title_rank, started, ended) "
                          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  if (!st)
    return db_.lastError("store: upsert session");
  st->bind(1, acc.id).bind(2, acc.agent).bindOpt(3, acc.nativeId).bindOpt(4, acc.project);
  st->bindOpt(5, acc.branch).bindOpt(6, acc.commit).bindOpt(7, acc.model).bindOpt(8, acc.version);
  st->bindOpt(9, acc.parentId).bind(10, acc.isSubagent ? 1 : 0);
  st->bindOpt(11, acc.title).bind(12, acc.title.empty() ? 0 : acc.titleRank);
  st->bindOpt(13, acc.started).bindOpt(14, acc.ended);
  if (auto r = st->run(); !r)
    return makeError(r.error().code, "store: upsert session " + s.id + ": " + r.error().message);
  return {};
}

Expected<int64_t> Store::nextSeq(const std::string &sessionId) {
  auto it = nextSeq_.find(sessionId);
  if (it != nextSeq_.end())
    return it->second++;
  auto *st = db_.cached("SELECT coalesce(max(seq), 0) FROM events WHERE session_id = ?");
  if (!st)
    return db_.lastError("store: next seq");
  st->bind(1, sessionId);
  const int64_t next = (st->step() ? st->int64(0) : 0) + 1;
  st->reset();
  nextSeq_[sessionId] = next + 1;
  touched_.insert(sessionId);
  return next;
}

Expected<int64_t> Store::appendEvent(Event &e, int64_t sourceId) {
  if (auto st = reserveSeq(e); !st)
    return st.error();
  return insertEvent(e, sourceId);
}

Status Store::reserveSeq(Event &e) {
  auto seq = nextSeq(e.sessionId);
  if (!seq)
    return seq.error();
  e.seq = *seq;
  return {};
}

Expected<int64_t> Store::insertEvent(const Event &e, int64_t sourceId) {
  auto *st = db_.cached("INSERT INTO events(session_id, seq, kind, time, text, tool, path, "
                        "command, exit_code, is_error, call_id, uuid, data, source_id, touches) "
                        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  if (!st)
    return db_.lastError("store: insert event");
  st->bind(1, e.sessionId).bind(2, e.seq).bind(3, toString(e.kind)).bindOpt(4, e.time);
  st->bindOpt(5, e.text).bindOpt(6, e.tool).bindOpt(7, e.path).bindOpt(8, e.command);
  st->bindOpt(9, e.exitCode).bind(10, e.isError ? 1 : 0).bindOpt(11, e.callId);
  st->bindOpt(12, e.uuid);
  bindData(*st, 13, e.data);
  st->bind(14, sourceId);
  // Whether the timeline needs this event's data: a read or a change of a file (normalized keys,
  // see Model.h); edits and shell commands are read regardless.
  const bool touches =
      e.data.is_object() && (e.data.contains("read") || e.data.contains("changes"));
  st->bind(15, touches ? 1 : 0);
  if (auto r = st->run(); !r)
    return makeError(r.error().code, "store: insert event: " + r.error().message);
  const int64_t rowId = db_.lastInsertId();
  if (auto r = ftsAdd(rowId, e); !r)
    return r.error();
  return rowId;
}

std::optional<CallRef> Store::findCall(const std::string &sessionId, const std::string &callId) {
  auto *st = db_.cached("SELECT id, seq, kind, tool FROM events WHERE session_id = ? AND "
                        "call_id = ? AND kind != 'tool_result' ORDER BY seq LIMIT 1");
  if (!st)
    return std::nullopt;
  st->bind(1, sessionId).bind(2, callId);
  if (!st->step())
    return std::nullopt;
  CallRef c;
  c.rowId = st->int64(0);
  c.seq = st->int64(1);
  c.kind = eventKindFromString(st->text(2)).value_or(EventKind::ToolCall);
  c.tool = st->text(3);
  st->reset();
  return c;
}

Status Store::mergeResult(const CallRef &call, const Event &result) {
  auto *get = db_.cached("SELECT data, text, exit_code, is_error, time FROM events WHERE id = ?");
  if (!get)
    return db_.lastError("store: merge result");
  get->bind(1, call.rowId);
  Event e;
  e.kind = call.kind;
  if (get->step()) {
    e.data = readData(*get, 0);
    e.text = get->text(1);
    if (auto x = get->optInt64(2))
      e.exitCode = static_cast<int>(*x);
    e.isError = get->int64(3) != 0;
    e.time = get->optInt64(4);
  }
  get->reset();
  mantra::mergeResult(e, result);
  const bool reindex = call.kind == EventKind::Shell; // its indexed text changes
  if (reindex)
    if (auto r = ftsRemove(call.rowId); !r)
      return r;
  auto *st = db_.cached("UPDATE events SET text = ?1, exit_code = ?2, is_error = ?3, data = ?4 "
                        "WHERE id = ?5");
  if (!st)
    return db_.lastError("store: merge result");
  st->bindOpt(1, e.text).bindOpt(2, e.exitCode).bind(3, e.isError ? 1 : 0);
  bindData(*st, 4, e.data);
  st->bind(5, call.rowId);
  if (auto r = st->run(); !r)
    return r;
  if (!reindex)
    return {};
  auto *fields = db_.cached("SELECT command, path, tool FROM events WHERE id = ?");
  if (!fields)
    return db_.lastError("store: merge result");
  fields->bind(1, call.rowId);
  if (fields->step()) {
    e.command = fields->text(0);
    e.path = fields->text(1);
    e.tool = fields->text(2);
  }
  fields->reset();
  return ftsAdd(call.rowId, e);
}

Status Store::addTitleHint(const TitleHint &t) {
  auto *st = db_.cached("INSERT INTO title_hints(leaf_uuid, title, rank) VALUES(?, ?, ?) "
                        "ON CONFLICT(leaf_uuid) DO UPDATE SET title = excluded.title, "
                        "rank = excluded.rank");
  if (!st)
    return db_.lastError("store: title hint");
  st->bind(1, t.leafUuid).bind(2, t.title).bind(3, t.rank);
  return st->run();
}

Status Store::resolveTitleHints() {
  // Skip the multi-row statements (and the FTS flush they cause) when no hint waits.
  auto *any = db_.cached("SELECT EXISTS(SELECT 1 FROM title_hints)");
  if (!any)
    return db_.lastError("store: title hints");
  const bool waiting = any->step() && any->int64(0) != 0;
  any->reset();
  if (!waiting)
    return {};
  // Hints first, then their events by uuid (the uuid index), never a scan of every event.
  return db_.exec(
      "WITH t AS MATERIALIZED (SELECT e.session_id AS sid, h.title AS title, h.rank AS rank "
      "FROM title_hints h CROSS JOIN events e ON e.uuid = h.leaf_uuid) "
      "UPDATE sessions SET title = t.title, title_rank = t.rank FROM t "
      "WHERE sessions.id = t.sid AND t.rank > sessions.title_rank;"
      "DELETE FROM title_hints WHERE EXISTS (SELECT 1 FROM events e "
      "WHERE e.uuid = title_hints.leaf_uuid);");
}

Status Store::refreshCounts() {
  for (const auto &id : touched_) {
    auto *st = db_.cached("UPDATE sessions SET events = (SELECT count(*) FROM events WHERE "
                          "session_id = ?1) WHERE id = ?1");
    if (!st)
      return db_.lastError("store: refresh counts");
    st->bind(1, id);
    if (auto r = st->run(); !r)
      return r;
  }
  return {};
}

SessionRow Store::readSession(sql::Stmt &st) {
  SessionRow r;
  r.id = st.text(0);
  r.agent = st.text(1);
  r.nativeId = st.text(2);
  r.project = st.text(3);
  r.title = st.text(4);
  r.branch = st.text(5);
  r.commit = st.text(6);
  r.model = st.text(7);
  r.version = st.text(8);
  r.parentId = st.text(9);
  r.started = st.optInt64(10);
  r.ended = st.optInt64(11);
  r.events = st.int64(12);
  r.isSubagent = st.int64(13) != 0;
  return r;
}

Expected<std::vector<SessionRow>> Store::sessions(const SessionFilter &f) {
  auto *st = db_.cached(
      "SELECT " MANTRA_SESSION_COLUMNS " FROM sessions "
      "WHERE events > 0 AND (?1 IS NULL OR agent = ?1) "
      "AND (?2 IS NULL OR project = ?2 OR substr(project, 1, length(?2) + 1) = ?2 || '/') "
      "ORDER BY coalesce(ended, started) DESC, id LIMIT ?3");
  if (!st)
    return db_.lastError("store: list sessions");
  std::string project = f.project;
  // "/w/p/" means "/w/p"; "/" becomes empty, i.e. no filter (every folder is inside it).
  while (!project.empty() && project.back() == '/')
    project.pop_back();
  st->bindOpt(1, f.agent).bindOpt(2, project).bind(3, static_cast<int64_t>(f.limit));
  std::vector<SessionRow> out;
  while (st->step())
    out.push_back(readSession(*st));
  if (st->failed())
    return db_.lastError("store: list sessions");
  st->reset();
  return out;
}

Expected<SessionRow> Store::session(const std::string &idOrPrefix) {
  if (idOrPrefix.empty())
    return makeError(ErrorCode::Invalid, "no session given");
  {
    // A full id is the common case (clients pass back what they were given): the primary key,
    // not a scan of every session.
    auto *exact = db_.cached("SELECT " MANTRA_SESSION_COLUMNS " FROM sessions WHERE id = ?1");
    if (!exact)
      return db_.lastError("store: find session");
    exact->bind(1, idOrPrefix);
    if (exact->step()) {
      SessionRow row = readSession(*exact);
      exact->reset();
      return row;
    }
    exact->reset();
  }
  auto *st = db_.cached("SELECT " MANTRA_SESSION_COLUMNS " FROM sessions "
                        "WHERE id = ?1 OR native_id = ?1 OR substr(id, 1, length(?1)) = ?1 "
                        "OR substr(native_id, 1, length(?1)) = ?1 ORDER BY (id = ?1 OR "
                        "native_id = ?1) DESC, id LIMIT 6");
  if (!st)
    return db_.lastError("store: find session");
  st->bind(1, idOrPrefix);
  std::vector<SessionRow> rows;
  while (st->step())
    rows.push_back(readSession(*st));
  st->reset();
  if (rows.empty())
    return makeError(ErrorCode::NotFound, "no session matches '" + idOrPrefix + "'");
  if (rows.size() == 1 || rows[0].id == idOrPrefix || rows[0].nativeId == idOrPrefix)
    return rows[0];
  std::string msg = "'" + idOrPrefix + "' matches several sessions:";
  for (size_t i = 0; i < rows.size() && i < 5; ++i)
    msg += " " + rows[i].id;
  if (rows.size() > 5)
    msg += " …";
  return makeError(ErrorCode::Ambiguous, msg + "; give more of the id");
}

Expected<std::vector<Event>> Store::events(const std::string &sessionId, int64_t fromSeq,
                                           int64_t toSeq) {
  auto *st = db_.cached("SELECT seq, kind, time, text, tool, path, command, exit_code, is_error, "
                        "call_id, uuid, data FROM events WHERE session_id = ?1 AND seq >= ?2 "
                        "AND seq <= ?3 ORDER BY seq");
  if (!st)
    return db_.lastError("store: read events");
  st->bind(1, sessionId).bind(2, fromSeq).bind(3, toSeq);
  std::vector<Event> out;
  while (st->step()) {
    Event e;
    e.sessionId = sessionId;
    e.seq = st->int64(0);
    e.kind = eventKindFromString(st->text(1)).value_or(EventKind::Meta);
    e.time = st->optInt64(2);
    e.text = st->text(3);
    e.tool = st->text(4);
    e.path = st->text(5);
    e.command = st->text(6);
    if (auto x = st->optInt64(7))
      e.exitCode = static_cast<int>(*x);
    e.isError = st->int64(8) != 0;
    e.callId = st->text(9);
    e.uuid = st->text(10);
    e.data = readData(*st, 11);
    out.push_back(std::move(e));
  }
  if (st->failed())
    return db_.lastError("store: read events");
  st->reset();
  return out;
}

Expected<Counts> Store::counts() {
  auto st = db_.prepare("SELECT (SELECT count(*) FROM sessions WHERE events > 0), "
                        "(SELECT count(*) FROM events), (SELECT count(*) FROM sources)");
  if (!st)
    return st.error();
  Counts c;
  if (st->step()) {
    c.sessions = st->int64(0);
    c.events = st->int64(1);
    c.sources = st->int64(2);
  }
  return c;
}

Expected<Store::RewriteCounts>
Store::rewriteTexts(const std::function<bool(Event &)> &fixEvent,
                    const std::function<bool(SessionRow &)> &fixSession) {
  RewriteCounts counts;
  if (auto st = begin(); !st)
    return st.error();
  auto fail = [&](const Error &e) {
    rollback();
    return e;
  };
  {
    auto read = db_.prepare("SELECT id, text, tool, path, command, data FROM events");
    if (!read)
      return fail(read.error());
    auto write = db_.prepare("UPDATE events SET text = ?1, tool = ?2, path = ?3, command = ?4, "
                             "data = ?5 WHERE id = ?6");
    if (!write)
      return fail(write.error());
    while (read->step()) {
      Event e;
      const int64_t id = read->int64(0);
      e.text = read->text(1);
      e.tool = read->text(2);
      e.path = read->text(3);
      e.command = read->text(4);
      e.data = readData(*read, 5);
      if (!fixEvent(e))
        continue;
      write->bindOpt(1, e.text).bindOpt(2, e.tool).bindOpt(3, e.path).bindOpt(4, e.command);
      bindData(*write, 5, e.data);
      write->bind(6, id);
      if (auto st = write->run(); !st)
        return fail(st.error());
      ++counts.events;
    }
    if (read->failed())
      return fail(db_.lastError("store: rewrite events"));
  }
  {
    auto read = db_.prepare("SELECT " MANTRA_SESSION_COLUMNS " FROM sessions");
    if (!read)
      return fail(read.error());
    auto write = db_.prepare("UPDATE sessions SET title = ?1, project = ?2, branch = ?3 "
                             "WHERE id = ?4");
    if (!write)
      return fail(write.error());
    while (read->step()) {
      SessionRow r = readSession(*read);
      if (!fixSession(r))
        continue;
      write->bindOpt(1, r.title).bindOpt(2, r.project).bindOpt(3, r.branch).bind(4, r.id);
      if (auto st = write->run(); !st)
        return fail(st.error());
      ++counts.sessions;
    }
  }
  if (auto st = db_.exec("DELETE FROM title_hints"); !st)
    return fail(st.error());
  if (auto st = commit(); !st)
    return st.error();
  return counts;
}

Status Store::purge() {
  // 'rebuild' re-creates the FTS index from the content table alone: no token of a replaced
  // text survives in an index segment.
  if (auto st = db_.exec("PRAGMA secure_delete=ON; "
                         "DELETE FROM blobs WHERE hash NOT IN "
                         "(SELECT blob FROM file_states WHERE blob IS NOT NULL); "
                         "INSERT INTO events_fts(events_fts) VALUES('rebuild'); "
                         "INSERT INTO events_fts(events_fts) VALUES('optimize');");
      !st)
    return makeError(st.error().code, "store: rebuild index: " + st.error().message);
  // The search vocabulary holds words of the old texts too: rebuilt from the rewritten ones.
  if (auto st = begin(); !st)
    return st;
  if (auto st = rebuildIdents(); !st) {
    rollback();
    return makeError(st.error().code, "store: rebuild vocabulary: " + st.error().message);
  }
  if (auto st = commit(); !st)
    return st;
  if (auto st = db_.exec("VACUUM"); !st)
    return makeError(st.error().code, "store: vacuum: " + st.error().message);
  if (auto st = db_.exec("PRAGMA wal_checkpoint(TRUNCATE)"); !st)
    return makeError(st.error().code, "store: checkpoint: " + st.error().message);
  return {};
}

Expected<std::vector<AgentStats>> Store::agentStats() {
  auto st = db_.prepare(
      "SELECT a.agent, "
      "(SELECT count(*) FROM sources WHERE agent = a.agent), "
      "(SELECT count(*) FROM sessions WHERE agent = a.agent AND events > 0), "
      "(SELECT coalesce(sum(events), 0) FROM sessions WHERE agent = a.agent), "
      "(SELECT max(indexed_at) FROM sources WHERE agent = a.agent) "
      "FROM (SELECT agent FROM sources UNION SELECT agent FROM sessions) a ORDER BY a.agent");
  if (!st)
    return st.error();
  std::vector<AgentStats> out;
  while (st->step()) {
    AgentStats a;
    a.agent = st->text(0);
    a.sources = st->int64(1);
    a.sessions = st->int64(2);
    a.events = st->int64(3);
    a.lastIndexed = st->optInt64(4);
    out.push_back(std::move(a));
  }
  if (st->failed())
    return db_.lastError("store: agent stats");
  return out;
}

Expected<std::vector<std::pair<std::string, std::string>>> Store::sessionSources() {
  auto st = db_.prepare("SELECT DISTINCT e.session_id, s.path FROM events e "
                        "JOIN sources s ON s.id = e.source_id");
  if (!st)
    return st.error();
  std::vector<std::pair<std::string, std::string>> out;
  while (st->step())
    out.emplace_back(st->text(0), st->text(1));
  if (st->failed())
    return db_.lastError("store: session sources");
  return out;
}

} // namespace mantra
