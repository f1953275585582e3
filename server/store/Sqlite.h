// Thin RAII layer over SQLite's C API: a connection that caches prepared statements, a statement
// with typed bind/read, and a transaction that rolls back unless committed. Errors are read from
// the connection at the call site (sqlite3_errmsg is per connection) and returned, never thrown.
//
// Threading: a Db and its statements belong to one thread at a time.
#pragma once

#include "util/Expected.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace mantra::sql {

class Stmt {
public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt *s) : s_(s) {}
  Stmt(const Stmt &) = delete;
  Stmt &operator=(const Stmt &) = delete;
  Stmt(Stmt &&o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt &operator=(Stmt &&o) noexcept;
  ~Stmt();

  // Binds by 1-based index. Strings are copied by SQLite (SQLITE_TRANSIENT).
  Stmt &bind(int i, int64_t v);
  Stmt &bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt &bind(int i, double v);
  Stmt &bind(int i, std::string_view v);
  Stmt &bind(int i, const char *v) { return bind(i, std::string_view(v)); }
  Stmt &bind(int i, const std::string &v) { return bind(i, std::string_view(v)); }
  Stmt &bindNull(int i);
  Stmt &bindBlob(int i, std::string_view bytes);
  // Binds NULL for an empty string / an empty optional.
  Stmt &bindOpt(int i, std::string_view v);
  Stmt &bindOpt(int i, const std::optional<int64_t> &v);
  Stmt &bindOpt(int i, const std::optional<int> &v);

  // Steps once: true when a row is ready, false when done. On error returns false and sets
  // `error()` (the statement is then reset on the next reset()).
  bool step();
  // Steps to completion; returns an error on failure. Resets the statement afterwards.
  Status run();
  void reset();

  bool isNull(int col) const;
  int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::optional<int64_t> optInt64(int col) const;
  bool isBlob(int col) const;
  // The column's bytes (text or blob), without conversion.
  std::string bytes(int col) const;

  bool failed() const { return rc_error_ != 0; }
  int errorCode() const { return rc_error_; }

private:
  sqlite3_stmt *s_ = nullptr;
  int rc_error_ = 0;
};

class Db {
public:
  Db() = default;
  Db(const Db &) = delete;
  Db &operator=(const Db &) = delete;
  ~Db();

  // Opens (creating when `create`) the database file. Sets a busy timeout of `busyMs`.
  Status open(const std::string &path, bool create, bool readOnly, int busyMs);
  bool isOpen() const { return db_ != nullptr; }

  // Runs one or more statements with no results.
  Status exec(std::string_view sql);
  // Returns a statement prepared once per connection and reset for reuse. The reference stays
  // valid for the life of the Db. Returns nullptr and sets lastError() when SQL is invalid.
  Stmt *cached(const char *sql);
  // Prepares a fresh statement (for one-off or dynamic SQL).
  Expected<Stmt> prepare(std::string_view sql);

  int64_t lastInsertId() const;
  int changes() const;
  // The connection's last error message, prefixed by `what`: "store: insert event: …".
  Error lastError(std::string_view what) const;
  sqlite3 *handle() const { return db_; }
  const std::string &path() const { return path_; }

private:
  sqlite3 *db_ = nullptr;
  std::string path_;
  std::unordered_map<const char *, std::unique_ptr<Stmt>> cache_;
};

// BEGIN IMMEDIATE on construction (takes the write lock, waiting up to the busy timeout);
// ROLLBACK on destruction unless commit() succeeded.
class Transaction {
public:
  explicit Transaction(Db &db) : db_(db) {}
  Status begin();
  Status commit();
  ~Transaction();

private:
  Db &db_;
  bool open_ = false;
};

} // namespace mantra::sql
