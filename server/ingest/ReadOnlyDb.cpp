#include "ingest/ReadOnlyDb.h"

#include <cstdio>
#include <fstream>
#include <sqlite3.h>

namespace mantra {
namespace fs = std::filesystem;

namespace {

// The path as a URI filename: everything but unreserved characters and '/' percent-encoded, so
// '?', '#' and '%' in a folder name cannot be read as URI syntax.
std::string uriPath(const std::string &path) {
  std::string out = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Byte 18 of the header is 2 for a database in WAL mode.
bool walMode(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  char head[20] = {};
  in.read(head, sizeof head);
  return in.gcount() == sizeof head && head[18] == 2;
}

ErrorCode codeFor(int rc) {
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return ErrorCode::Busy;
  case SQLITE_NOTADB:
  case SQLITE_CORRUPT:
    return ErrorCode::Schema;
  default:
    return ErrorCode::Io;
  }
}

} // namespace

Expected<std::unique_ptr<ReadOnlyDb>> ReadOnlyDb::open(const fs::path &path, int busyMs) {
  std::unique_ptr<ReadOnlyDb> db(new ReadOnlyDb());
  db->path_ = path.string();
  // A WAL database whose -wal is gone is not open anywhere (its writer removes the -wal when it
  // closes it last): opened `mode=ro`, SQLite would create an empty -wal and -shm beside it.
  // Read it as immutable instead (no locks, no files); a writer that opens it meanwhile writes
  // to a new -wal, not to the file being read.
  std::error_code ec;
  const bool frozen = walMode(db->path_) && !fs::exists(db->path_ + "-wal", ec);
  const std::string uri = uriPath(db->path_) + (frozen ? "?immutable=1" : "?mode=ro");
  const int rc = sqlite3_open_v2(
      uri.c_str(), &db->db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db->db_ ? sqlite3_errmsg(db->db_) : sqlite3_errstr(rc);
    return makeError(codeFor(rc), "cannot open " + db->path_ + ": " + msg);
  }
  sqlite3_busy_timeout(db->db_, busyMs);
  // SQLite opens lazily: read the schema now so a bad file fails here, not mid-query.
  char *err = nullptr;
  const int q = sqlite3_exec(db->db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, &err);
  if (q != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(q);
    sqlite3_free(err);
    return makeError(codeFor(q), "cannot read " + db->path_ + ": " + msg);
  }
  return db;
}

ReadOnlyDb::~ReadOnlyDb() {
  end();
  if (db_)
    sqlite3_close_v2(db_);
}

Expected<sql::Stmt> ReadOnlyDb::prepare(std::string_view sqlText) {
  sqlite3_stmt *st = nullptr;
  if (sqlite3_prepare_v2(db_, sqlText.data(), static_cast<int>(sqlText.size()), &st, nullptr) !=
      SQLITE_OK)
    return lastError("query");
  return sql::Stmt(st);
}

bool ReadOnlyDb::hasTable(std::string_view name) {
  auto st = prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  if (!st)
    return false;
  st->bind(1, name);
  return st->step();
}

Status ReadOnlyDb::begin() {
  if (inTxn_)
    return {};
  // BEGIN is deferred: the snapshot is taken by the first read, which waits out a writer.
  char *err = nullptr;
  const int rc = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK)
    return lastError("begin");
  inTxn_ = true;
  return {};
}

void ReadOnlyDb::end() {
  if (!inTxn_ || !db_)
    return;
  sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  inTxn_ = false;
}

Error ReadOnlyDb::lastError(std::string_view what) const {
  const int rc = sqlite3_errcode(db_);
  return makeError(codeFor(rc),
                   std::string(what) + ": " + path_ + ": " + std::string(sqlite3_errmsg(db_)));
}

bool ReadOnlyDb::busy() const {
  const int rc = sqlite3_errcode(db_) & 0xff;
  return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

} // namespace mantra
