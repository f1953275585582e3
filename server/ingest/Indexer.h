// The Indexer: finds session files, reads what is new in each (from the byte offset where the last
// run stopped), hands complete lines to the file's adapter, passes everything the adapter emits
// through the Redactor, and writes it to the Store — one transaction per file.
//
// Incremental rules: a file whose size and mtime did not change is not opened; an appended file
// is read from the stored offset; a partial last line is left for the next run; a file that got
// shorter or whose first bytes changed is forgotten and read again from the start. A database
// an adapter reads itself (Adapter::readsItself) is looked at when it or its write-ahead log
// changed size or mtime; its parser emits only what is new and, when something it emitted
// before changed in place, has the source forgotten and read again.
//
// Errors in a file (bad JSON, an unreadable file) are collected in the report with path and line;
// they never stop the run. A database error stops the run and is returned.
#pragma once

#include "ingest/Adapter.h"
#include "redact/Redactor.h"
#include "store/Store.h"

#include <functional>

struct stat;

namespace mantra {

struct FileProblem {
  std::string file;
  int64_t line = 0; // 0: the whole file
  std::string message;
};

struct IndexReport {
  Counts totals;         // in the database after the run
  int64_t filesSeen = 0; // session files found
  int64_t filesRead = 0; // files that had new bytes
  int64_t bytesRead = 0;
  int64_t eventsAdded = 0;
  int64_t skipped = 0; // lines that could not be used (bad JSON, not a record)
  int64_t unknown = 0; // records of unknown type, kept raw
  std::vector<FileProblem> errors;
  double seconds = 0;
};

struct IndexProgress {
  int64_t filesDone = 0, filesTotal = 0, bytesDone = 0, bytesTotal = 0;
  std::string currentFile;
};

class Indexer {
public:
  Indexer(Store &store, const Redactor &redactor, std::vector<std::unique_ptr<Adapter>> adapters);

  // Indexes `paths` (files or folders); with none, every adapter's default folders. Returns the
  // report, or an error when the database failed.
  Expected<IndexReport> run(const std::vector<std::string> &paths,
                            const std::function<void(const IndexProgress &)> &progress = {});

  // A session file with the adapter that claims it.
  struct Candidate {
    std::filesystem::path path;
    const Adapter *adapter = nullptr;
    std::string agent;
    int64_t size = 0;
  };
  // Lists the session files under `paths` (files or folders; none = every adapter's default
  // folders), each with the adapter that claims it most surely, sorted by path. Reads only the
  // first bytes of candidate files; never touches a database.
  static std::vector<Candidate> discoverFiles(const std::vector<std::unique_ptr<Adapter>> &adapters,
                                              const std::vector<std::string> &paths,
                                              std::vector<FileProblem> &problems);

private:
  Status indexFile(const Candidate &c, IndexReport &report);
  // A source the adapter reads itself (Adapter::readsItself), e.g. Cursor's SQLite stores.
  Status indexDatabase(const Candidate &c, const std::string &path, const struct stat &st,
                       IndexReport &report);
  Status ensureTransaction();
  Status commitBatch();
  Status rebuildTimelines(const std::vector<std::string> &sessions);

  Store &store_;
  const Redactor &redactor_;
  std::vector<std::unique_ptr<Adapter>> adapters_;
  bool inTxn_ = false;
  bool resolveHints_ = false;
  int64_t batchBytes_ = 0;
};

} // namespace mantra
