// The Store's line-origin tables (origin/Origin.h): the lines each step added, by fingerprint,
// with the session and the path interned under integer keys of their own (VACUUM keeps explicit
// INTEGER PRIMARY KEYs, not implicit rowids).
#include "store/Store.h"

#include <algorithm>
#include <array>

namespace mantra {

namespace {

// The id of `value` in an interning table (origin_paths / origin_sessions), added when new.
Expected<int64_t> intern(sql::Db &db, const char *select, const char *insert,
                         const std::string &value) {
  auto *get = db.cached(select);
  if (!get)
    return db.lastError("store: origins");
  get->bind(1, value);
  if (get->step()) {
    const int64_t id = get->int64(0);
    get->reset();
    return id;
  }
  const bool failed = get->failed();
  get->reset();
  if (failed)
    return db.lastError("store: origins");
  auto *put = db.cached(insert);
  if (!put)
    return db.lastError("store: origins");
  if (auto st = put->bind(1, value).run(); !st)
    return st.error();
  return db.lastInsertId();
}

} // namespace

Status Store::replaceOriginLines(const std::string &sessionId,
                                 const std::vector<OriginLineRow> &rows) {
  auto session = intern(db_, "SELECT id FROM origin_sessions WHERE session_id = ?",
                        "INSERT INTO origin_sessions(session_id) VALUES (?)", sessionId);
  if (!session)
    return session.error();
  // One row at a time, as replaceFileStates does (by primary key: the table has no rowid).
  auto *old = db_.cached("SELECT fp, path_id, seq, line FROM origin_lines WHERE session = ?");
  if (!old)
    return db_.lastError("store: origins");
  old->bind(1, *session);
  std::vector<std::array<int64_t, 4>> keys;
  while (old->step())
    keys.push_back({old->int64(0), old->int64(1), old->int64(2), old->int64(3)});
  if (old->failed())
    return db_.lastError("store: origins");
  old->reset();
  auto *del = db_.cached("DELETE FROM origin_lines WHERE fp = ? AND path_id = ? AND session = ? "
                         "AND seq = ? AND line = ?");
  if (!del)
    return db_.lastError("store: origins");
  for (const auto &k : keys)
    if (auto st =
            del->bind(1, k[0]).bind(2, k[1]).bind(3, *session).bind(4, k[2]).bind(5, k[3]).run();
        !st)
      return st;

  auto *ins = db_.cached(
      "INSERT OR IGNORE INTO origin_lines(fp, path_id, session, seq, line, above, below) "
      "VALUES (?,?,?,?,?,?,?)");
  if (!ins)
    return db_.lastError("store: origins");
  std::string lastPath;
  int64_t pathId = 0;
  for (const auto &r : rows) {
    if (r.path != lastPath || pathId == 0) {
      auto id = intern(db_, "SELECT id FROM origin_paths WHERE path = ?",
                       "INSERT INTO origin_paths(path) VALUES (?)", r.path);
      if (!id)
        return id.error();
      pathId = *id;
      lastPath = r.path;
    }
    if (auto st = ins->bind(1, r.fp)
                      .bind(2, pathId)
                      .bind(3, *session)
                      .bind(4, r.seq)
                      .bind(5, r.line)
                      .bind(6, r.above)
                      .bind(7, r.below)
                      .run();
        !st)
      return st;
  }
  auto *done = db_.cached("DELETE FROM origin_pending WHERE session_id = ?");
  if (!done)
    return db_.lastError("store: origins");
  return done->bind(1, sessionId).run();
}

Expected<std::vector<std::string>> Store::pendingOriginSessions(int64_t limit) {
  auto *st = db_.cached("SELECT session_id FROM origin_pending LIMIT ?");
  if (!st)
    return db_.lastError("store: origins");
  st->bind(1, limit);
  std::vector<std::string> out;
  while (st->step())
    out.push_back(st->text(0));
  if (st->failed())
    return db_.lastError("store: origins");
  st->reset();
  return out;
}

Expected<std::vector<int64_t>> Store::originPathIds(const std::string &path,
                                                    const std::string &suffix) {
  std::vector<int64_t> out;
  auto *exact = db_.cached("SELECT id FROM origin_paths WHERE path = ?");
  if (!exact)
    return db_.lastError("store: origins");
  exact->bind(1, path);
  while (exact->step())
    out.push_back(exact->int64(0));
  if (exact->failed())
    return db_.lastError("store: origins");
  exact->reset();
  if (suffix.empty())
    return out;
  // A scan of the (small) path table; substr() compares bytes, so no LIKE wildcards to escape.
  auto *tail = db_.cached("SELECT id FROM origin_paths WHERE length(path) > length(?1) AND "
                          "substr(path, -length(?1)) = ?1");
  if (!tail)
    return db_.lastError("store: origins");
  tail->bind(1, "/" + suffix);
  while (tail->step()) {
    const int64_t id = tail->int64(0);
    if (std::find(out.begin(), out.end(), id) == out.end())
      out.push_back(id);
  }
  if (tail->failed())
    return db_.lastError("store: origins");
  tail->reset();
  return out;
}

Expected<std::vector<OriginRow>> Store::originRows(int64_t fp, std::optional<int64_t> pathId,
                                                   int limit) {
  auto *st = pathId ? db_.cached("SELECT session, seq, path_id, line, above, below FROM "
                                 "origin_lines WHERE fp = ?1 AND path_id = ?3 LIMIT ?2")
                    : db_.cached("SELECT session, seq, path_id, line, above, below FROM "
                                 "origin_lines WHERE fp = ?1 LIMIT ?2");
  if (!st)
    return db_.lastError("store: origins");
  st->bind(1, fp).bind(2, static_cast<int64_t>(limit));
  if (pathId)
    st->bind(3, *pathId);
  std::vector<OriginRow> out;
  while (st->step())
    out.push_back(OriginRow{st->int64(0), st->int64(1), st->int64(2), st->int64(3), st->int64(4),
                            st->int64(5)});
  const bool failed = st->failed();
  st->reset();
  if (failed)
    return db_.lastError("store: origins");
  return out;
}

Expected<OriginStep> Store::originStep(const OriginRow &row) {
  auto *st = db_.cached(
      "SELECT s.session_id, x.agent, x.project, (SELECT path FROM origin_paths WHERE id = ?3), "
      "(SELECT time FROM events WHERE session_id = s.session_id AND seq = ?2) "
      "FROM origin_sessions s LEFT JOIN sessions x ON x.id = s.session_id WHERE s.id = ?1");
  if (!st)
    return db_.lastError("store: origins");
  st->bind(1, row.session).bind(2, row.seq).bind(3, row.pathId);
  OriginStep out;
  if (st->step()) {
    out.sessionId = st->text(0);
    out.agent = st->text(1);
    out.project = st->text(2);
    out.path = st->text(3);
    out.time = st->optInt64(4);
  }
  const bool failed = st->failed();
  st->reset();
  if (failed)
    return db_.lastError("store: origins");
  return out;
}

Expected<std::pair<std::string, std::string>> Store::promptFor(const std::string &sessionId,
                                                               int64_t seq) {
  auto *prompt = db_.cached("SELECT seq, text FROM events WHERE session_id = ? AND seq < ? AND "
                            "kind = 'user' AND text <> '' ORDER BY seq DESC LIMIT 1");
  auto *before = db_.cached("SELECT text FROM events WHERE session_id = ? AND seq > ? AND seq < ? "
                            "AND kind = 'assistant' AND text <> '' ORDER BY seq DESC LIMIT 1");
  auto *after = db_.cached("SELECT kind, text FROM events WHERE session_id = ? AND seq > ? AND "
                           "kind IN ('user', 'assistant') AND text <> '' ORDER BY seq LIMIT 1");
  if (!prompt || !before || !after)
    return db_.lastError("store: origins");
  std::pair<std::string, std::string> out;
  int64_t promptSeq = 0;
  prompt->bind(1, sessionId).bind(2, seq);
  if (prompt->step()) {
    promptSeq = prompt->int64(0);
    out.first = prompt->text(1);
  }
  bool failed = prompt->failed();
  prompt->reset();
  before->bind(1, sessionId).bind(2, promptSeq).bind(3, seq);
  if (!failed && before->step())
    out.second = before->text(0);
  failed = failed || before->failed();
  before->reset();
  if (!failed && out.second.empty()) {
    after->bind(1, sessionId).bind(2, seq);
    if (after->step() && after->text(0) == "assistant")
      out.second = after->text(1);
    failed = after->failed();
    after->reset();
  }
  if (failed)
    return db_.lastError("store: origins");
  return out;
}

Expected<std::optional<int64_t>> Store::earliestSessionIn(const std::string &folder) {
  auto *st = db_.cached("SELECT min(started) FROM sessions WHERE project = ?1 OR "
                        "(length(project) > length(?2) AND substr(project, 1, length(?2)) = ?2)");
  if (!st)
    return db_.lastError("store: origins");
  std::string prefix = folder;
  if (prefix.empty() || prefix.back() != '/')
    prefix += '/';
  st->bind(1, folder).bind(2, prefix);
  std::optional<int64_t> out;
  if (st->step())
    out = st->optInt64(0);
  const bool failed = st->failed();
  st->reset();
  if (failed)
    return db_.lastError("store: origins");
  return out;
}

} // namespace mantra
