#include "store/Sqlite.h"

#include <sqlite3.h>

namespace mantra::sql {

Stmt &Stmt::operator=(Stmt &&o) noexcept {
  if (this != &o) {
    if (s_)
      sqlite3_finalize(s_);
    s_ = o.s_;
    o.s_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() {
  if (s_)
    sqlite3_finalize(s_);
}

Stmt &Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt &Stmt::bind(int i, double v) {
  sqlite3_bind_double(s_, i, v);
  return *this;
}
Stmt &Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Stmt &Stmt::bindBlob(int i, std::string_view v) {
  sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT);
  return *this;
}

Stmt &Stmt::bindNull(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}
Stmt &Stmt::bindOpt(int i, std::string_view v) { return v.empty() ? bindNull(i) : bind(i, v); }
Stmt &Stmt::bindOpt(int i, const std::optional<int64_t> &v) {
  return v ? bind(i, *v) : bindNull(i);
}
Stmt &Stmt::bindOpt(int i, const std::optional<int> &v) {
  return v ? bind(i, static_cast<int64_t>(*v)) : bindNull(i);
}

bool Stmt::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW)
    return true;
  rc_error_ = rc == SQLITE_DONE ? 0 : rc;
  return false;
}

Status Stmt::run() {
  while (step()) {
  }
  const int rc = rc_error_;
  reset();
  if (rc != 0) {
    sqlite3 *db = sqlite3_db_handle(s_);
    return makeError(rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ErrorCode::Busy
                                                              : ErrorCode::Database,
                     sqlite3_errmsg(db));
  }
  return {};
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  rc_error_ = 0;
}

bool Stmt::isNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
int64_t Stmt::int64(int col) const { return sqlite3_column_int64(s_, col); }
double Stmt::real(int col) const { return sqlite3_column_double(s_, col); }
std::string Stmt::text(int col) const {
  const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(s_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
}
bool Stmt::isBlob(int col) const { return sqlite3_column_type(s_, col) == SQLITE_BLOB; }

std::string Stmt::bytes(int col) const {
  const void *p = sqlite3_column_blob(s_, col);
  return p ? std::string(static_cast<const char *>(p),
                         static_cast<size_t>(sqlite3_column_bytes(s_, col)))
           : std::string();
}

std::optional<int64_t> Stmt::optInt64(int col) const {
  if (isNull(col))
    return std::nullopt;
  return int64(col);
}

Db::~Db() {
  cache_.clear();
  if (db_)
    sqlite3_close(db_);
}

Status Db::open(const std::string &path, bool create, bool readOnly, int busyMs) {
  path_ = path;
  int flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !readOnly)
    flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    if (db_) {
      sqlite3_close(db_);
      db_ = nullptr;
    }
    return makeError(ErrorCode::Io, "cannot open database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, busyMs);
  sqlite3_extended_result_codes(db_, 0);
  return {};
}

Status Db::exec(std::string_view sqlText) {
  char *err = nullptr;
  const std::string s(sqlText);
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return makeError(rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ErrorCode::Busy
                     : rc == SQLITE_NOTADB                    ? ErrorCode::Schema
                                                              : ErrorCode::Database,
                     msg);
  }
  return {};
}

Stmt *Db::cached(const char *sqlText) {
  auto it = cache_.find(sqlText);
  if (it != cache_.end()) {
    it->second->reset();
    return it->second.get();
  }
  sqlite3_stmt *s = nullptr;
  if (sqlite3_prepare_v3(db_, sqlText, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
    return nullptr;
  auto [pos, _] = cache_.emplace(sqlText, std::make_unique<Stmt>(s));
  return pos->second.get();
}

Expected<Stmt> Db::prepare(std::string_view sqlText) {
  sqlite3_stmt *s = nullptr;
  if (sqlite3_prepare_v2(db_, sqlText.data(), static_cast<int>(sqlText.size()), &s, nullptr) !=
      SQLITE_OK)
    return lastError("prepare");
  return Stmt(s);
}

int64_t Db::lastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int Db::changes() const { return sqlite3_changes(db_); }

Error Db::lastError(std::string_view what) const {
  const int rc = sqlite3_errcode(db_);
  const ErrorCode code = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ErrorCode::Busy
                         : rc == SQLITE_NOTADB                    ? ErrorCode::Schema
                                                                  : ErrorCode::Database;
  return makeError(code, std::string(what) + ": " + sqlite3_errmsg(db_));
}

Status Transaction::begin() {
  if (auto st = db_.exec("BEGIN IMMEDIATE"); !st)
    return st;
  open_ = true;
  return {};
}

Status Transaction::commit() {
  if (!open_)
    return {};
  auto st = db_.exec("COMMIT");
  if (st)
    open_ = false;
  return st;
}

Transaction::~Transaction() {
  if (open_)
    (void)db_.exec("ROLLBACK");
}

} // namespace mantra::sql
