// The Store's timeline tables: file states per (session, seq, path) and the content-addressed
// blobs they point to. Contents are keyed by their git blob id (the same id `git hash-object`
// gives), so one content is stored once however many steps or sessions have it.
#include "store/Store.h"

#include <git2.h>
#include <zstd.h>

#include <mutex>

namespace mantra {

nlohmann::json readData(const sql::Stmt &st, int col); // Store.cpp

namespace {

std::string blobId(std::string_view content) {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
  git_oid oid;
  if (git_odb_hash(&oid, content.data(), content.size(), GIT_OBJECT_BLOB) != 0)
    return {};
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  return hex;
}

std::optional<std::string> decompress(const std::string &frame) {
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 32))
    return std::nullopt;
  std::string out(static_cast<size_t>(size), '\0');
  const size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n))
    return std::nullopt;
  out.resize(n);
  return out;
}

} // namespace

Status Store::replaceFileStates(const std::string &sessionId,
                                const std::vector<FileStateRow> &rows) {
  // One row at a time: no multi-row statement inside an indexing transaction (see ftsAdd).
  auto *old = db_.cached("SELECT rowid FROM file_states WHERE session_id = ?");
  if (!old)
    return db_.lastError("store: file states");
  old->bind(1, sessionId);
  std::vector<int64_t> ids;
  while (old->step())
    ids.push_back(old->int64(0));
  if (old->failed())
    return db_.lastError("store: file states");
  old->reset();
  auto *del = db_.cached("DELETE FROM file_states WHERE rowid = ?");
  if (!del)
    return db_.lastError("store: file states");
  for (int64_t id : ids)
    if (auto r = del->bind(1, id).run(); !r)
      return r;

  auto *has = db_.cached("SELECT 1 FROM blobs WHERE hash = ?");
  auto *putBlob = db_.cached("INSERT INTO blobs(hash, size, data) VALUES (?, ?, ?)");
  auto *ins = db_.cached("INSERT INTO file_states(session_id, seq, path, op, blob, present, base, "
                         "exact, status, other_path, matched) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  if (!has || !putBlob || !ins)
    return db_.lastError("store: file states");
  for (const auto &r : rows) {
    std::string hash;
    if (r.content) {
      hash = blobId(*r.content);
      has->bind(1, hash);
      const bool known = has->step();
      has->reset();
      if (!known) {
        std::string frame(ZSTD_compressBound(r.content->size()), '\0');
        const size_t n =
            ZSTD_compress(frame.data(), frame.size(), r.content->data(), r.content->size(), 3);
        if (ZSTD_isError(n))
          return makeError(ErrorCode::Io, std::string("store: compress: ") + ZSTD_getErrorName(n));
        frame.resize(n);
        putBlob->bind(1, hash).bind(2, static_cast<int64_t>(r.content->size())).bindBlob(3, frame);
        if (auto st = putBlob->run(); !st)
          return st;
      }
    }
    ins->bind(1, sessionId).bind(2, r.seq).bind(3, r.path).bind(4, r.op).bindOpt(5, hash);
    ins->bind(6, r.present ? 1 : 0).bind(7, r.base).bind(8, r.exact ? 1 : 0);
    ins->bindOpt(9, r.status).bindOpt(10, r.otherPath);
    if (r.matched)
      ins->bind(11, *r.matched ? 1 : 0);
    else
      ins->bindNull(11);
    if (auto st = ins->run(); !st)
      return st;
  }
  return {};
}

Expected<std::vector<Event>>
Store::timelineEvents(const std::string &sessionId,
                      const std::function<bool(const Event &)> &shellNeedsData) {
  // Edits and the results that read or changed a file, with their data; shell commands without
  // it (their output is most of a session), then the data of those the caller asks for.
  auto *st = db_.cached("SELECT seq, kind, time, tool, path, command, exit_code, is_error, "
                        "CASE WHEN kind = 'shell' AND NOT touches THEN NULL ELSE data END, id "
                        "FROM events WHERE session_id = ? AND (kind IN ('edit', 'shell') OR "
                        "touches) ORDER BY seq");
  if (!st)
    return db_.lastError("store: timeline events");
  st->bind(1, sessionId);
  std::vector<Event> out;
  std::vector<std::pair<size_t, int64_t>> later; // (index in out, row id)
  while (st->step()) {
    Event e;
    e.sessionId = sessionId;
    e.seq = st->int64(0);
    e.kind = eventKindFromString(st->text(1)).value_or(EventKind::Meta);
    e.time = st->optInt64(2);
    e.tool = st->text(3);
    e.path = st->text(4);
    e.command = st->text(5);
    if (auto x = st->optInt64(6))
      e.exitCode = static_cast<int>(*x);
    e.isError = st->int64(7) != 0;
    if (!st->isNull(8))
      e.data = readData(*st, 8);
    else if (e.kind == EventKind::Shell && shellNeedsData && shellNeedsData(e))
      later.emplace_back(out.size(), st->int64(9));
    out.push_back(std::move(e));
  }
  if (st->failed())
    return db_.lastError("store: timeline events");
  st->reset();
  auto *get = db_.cached("SELECT data FROM events WHERE id = ?");
  if (!get)
    return db_.lastError("store: timeline events");
  for (const auto &[index, rowId] : later) {
    get->bind(1, rowId);
    if (get->step())
      out[index].data = readData(*get, 0);
    get->reset();
  }
  return out;
}

Expected<std::vector<FileStateRow>> Store::fileStates(const std::string &sessionId,
                                                      const std::string &path, bool withContent) {
  auto *st =
      db_.cached("SELECT f.seq, f.path, f.op, f.present, f.base, f.exact, f.status, f.other_path, "
                 "f.matched, f.blob, CASE WHEN ?3 THEN b.data END FROM file_states f "
                 "LEFT JOIN blobs b ON b.hash = f.blob WHERE f.session_id = ?1 AND (?2 IS NULL OR "
                 "f.path = ?2) ORDER BY f.path, f.seq, f.rowid");
  if (!st)
    return db_.lastError("store: file states");
  st->bind(1, sessionId).bindOpt(2, path).bind(3, withContent ? 1 : 0);
  std::vector<FileStateRow> out;
  while (st->step()) {
    FileStateRow r;
    r.seq = st->int64(0);
    r.path = st->text(1);
    r.op = st->text(2);
    r.present = st->int64(3) != 0;
    r.base = st->text(4);
    r.exact = st->int64(5) != 0;
    r.status = st->text(6);
    r.otherPath = st->text(7);
    if (auto m = st->optInt64(8))
      r.matched = *m != 0;
    r.hash = st->text(9);
    if (withContent && !st->isNull(10)) {
      r.content = decompress(st->bytes(10));
      if (!r.content)
        r.status = "stored content " + st->text(9) + " is damaged";
    } else if (!withContent && !st->isNull(9)) {
      r.content = std::string(); // known, not loaded
    }
    out.push_back(std::move(r));
  }
  if (st->failed())
    return db_.lastError("store: file states");
  st->reset();
  return out;
}

Expected<std::optional<std::string>> Store::blob(const std::string &hash) {
  auto *st = db_.cached("SELECT data FROM blobs WHERE hash = ?");
  if (!st)
    return db_.lastError("store: blob");
  st->bind(1, hash);
  std::optional<std::string> out;
  if (st->step())
    out = decompress(st->bytes(0));
  st->reset();
  return out;
}

Expected<std::optional<std::string>> Store::fileStateContent(const std::string &sessionId,
                                                             int64_t seq, const std::string &path) {
  auto *st = db_.cached("SELECT b.data FROM file_states f JOIN blobs b ON b.hash = f.blob "
                        "WHERE f.session_id = ? AND f.path = ? AND f.seq = ? LIMIT 1");
  if (!st)
    return db_.lastError("store: file states");
  st->bind(1, sessionId).bind(2, path).bind(3, seq);
  std::optional<std::string> out;
  if (st->step())
    out = decompress(st->bytes(0));
  const bool failed = st->failed();
  st->reset();
  if (failed)
    return db_.lastError("store: file states");
  return out;
}

Expected<std::vector<VerifyStats>> Store::verifyStats() {
  auto st = db_.prepare(
      "SELECT s.agent, count(DISTINCT f.session_id), count(DISTINCT f.session_id || f.path), "
      "sum(f.op NOT IN ('base', 'read')), sum(f.op NOT IN ('base', 'read') AND f.exact), "
      "sum(f.op NOT IN ('base', 'read') AND NOT f.exact AND f.present), "
      "sum(f.status LIKE 'did not apply:%'), "
      "sum(f.matched IS NOT NULL), sum(f.matched = 1), sum(f.matched = 0) "
      "FROM file_states f JOIN sessions s ON s.id = f.session_id GROUP BY s.agent "
      "ORDER BY s.agent");
  if (!st)
    return st.error();
  std::vector<VerifyStats> out;
  while (st->step()) {
    VerifyStats v;
    v.agent = st->text(0);
    v.sessions = st->int64(1);
    v.files = st->int64(2);
    v.changes = st->int64(3);
    v.exact = st->int64(4);
    v.unknown = st->int64(5);
    v.failed = st->int64(6);
    v.checks = st->int64(7);
    v.matches = st->int64(8);
    v.mismatches = st->int64(9);
    out.push_back(v);
  }
  if (st->failed())
    return db_.lastError("store: verify");
  return out;
}

Expected<std::vector<std::tuple<std::string, int64_t, std::string>>> Store::mismatches(int limit) {
  auto st = db_.prepare("SELECT session_id, seq, path FROM file_states WHERE matched = 0 "
                        "ORDER BY session_id, seq LIMIT ?");
  if (!st)
    return st.error();
  st->bind(1, static_cast<int64_t>(limit));
  std::vector<std::tuple<std::string, int64_t, std::string>> out;
  while (st->step())
    out.emplace_back(st->text(0), st->int64(1), st->text(2));
  if (st->failed())
    return db_.lastError("store: verify");
  return out;
}

} // namespace mantra
