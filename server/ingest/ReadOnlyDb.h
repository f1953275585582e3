// Read-only access to another program's SQLite database (Cursor's state.vscdb and store.db), for
// the adapters that read such a store themselves (Adapter::readsItself). Mantra's own database
// is the store module's; nothing here writes anything.
//
// Contract:
// - open() uses a `mode=ro` URI: SQLite takes only shared locks, so the agent writing the
//   database (Cursor keeps it open in WAL mode) is never blocked; a busy timeout waits out a
//   writer's brief exclusive moments. A WAL database that no program has open (no -wal beside
//   it) is opened `immutable`, so that reading it creates no -wal/-shm files next to it.
// - Errors come back as Error{Busy} (locked longer than the timeout: try again later), Error{Io}
//   (cannot be opened) or Error{Schema} (not a SQLite database), with the path in the message.
// - A ReadOnlyDb and its statements belong to one thread.
#pragma once

#include "store/Sqlite.h"
#include "util/Expected.h"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;

namespace mantra {

class ReadOnlyDb {
public:
  static Expected<std::unique_ptr<ReadOnlyDb>> open(const std::filesystem::path &path,
                                                    int busyMs = 2000);
  ~ReadOnlyDb();
  ReadOnlyDb(const ReadOnlyDb &) = delete;
  ReadOnlyDb &operator=(const ReadOnlyDb &) = delete;

  // A statement over this connection; the error names the database.
  Expected<sql::Stmt> prepare(std::string_view sqlText);
  // True when the database has a table of that name.
  bool hasTable(std::string_view name);
  // Starts a read transaction, so that several queries see one snapshot; end() finishes it.
  Status begin();
  void end();
  // An error for the last failed call on this connection: "<what>: <path>: <sqlite message>",
  // coded Busy for a locked database.
  Error lastError(std::string_view what) const;
  // True when the last error was SQLITE_BUSY / SQLITE_LOCKED.
  bool busy() const;

private:
  ReadOnlyDb() = default;
  sqlite3 *db_ = nullptr;
  std::string path_;
  bool inTxn_ = false;
};

} // namespace mantra
