// The store: one SQLite file (WAL) holding sources, sessions, events and the FTS5 index over event
// text. The only module that writes SQL for those tables; adapters never see it.
//
// Contract:
// - open() creates the file (mode 0600, folder 0700) and migrates the schema forward; a database
//   from a newer Mantra returns ErrorCode::Schema, a locked one ErrorCode::Busy.
// - One writer at a time: writes happen inside begin()/commit(), which takes SQLite's write lock
//   (BEGIN IMMEDIATE, waiting up to the busy timeout). Readers never block the writer (WAL).
// - A Store is used by one thread at a time; open one per thread.
#pragma once

#include "model/Model.h"
#include "store/Sqlite.h"
#include "util/Expected.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace mantra {

// A file Mantra reads sessions from, and how far it got.
struct Source {
  int64_t id = 0;
  std::string path;
  std::string agent;
  int64_t size = 0;     // bytes seen at the last ingest
  int64_t mtime = 0;    // ns since the epoch at the last ingest
  int64_t offset = 0;   // bytes consumed (always at a line boundary)
  int64_t line = 0;     // lines consumed (for error messages "path:line: …")
  std::string headHash; // hash of the first bytes, to notice a rewritten file
  nlohmann::json state; // the adapter's resumable state (see Adapter)
};

struct SessionRow {
  std::string id, agent, nativeId, project, title, branch, commit, model, version, parentId;
  std::optional<int64_t> started, ended;
  int64_t events = 0;
  bool isSubagent = false;
};

struct SessionFilter {
  std::string agent;   // exact agent name, or empty
  std::string project; // a folder: sessions whose project is it or inside it
  int limit = 20;
};

// What the database holds per agent (for `mantra status`).
struct AgentStats {
  std::string agent;
  int64_t sources = 0, sessions = 0, events = 0;
  std::optional<int64_t> lastIndexed; // ms since the epoch
};

struct Counts {
  int64_t sessions = 0, events = 0, sources = 0;
};

// A tool call found by its call id.
struct CallRef {
  int64_t rowId = 0;
  int64_t seq = 0;
  EventKind kind = EventKind::ToolCall;
  std::string tool;
};

// A file's state after a step: one row of the timeline (see timeline/Timeline.h).
struct FileStateRow {
  int64_t seq = 0;  // 0: the state when the session started (a base found before any change)
  std::string path; // absolute
  std::string op;   // base | read | write | edit | delete | move | command
  std::optional<std::string> content; // nullopt: unknown, or the file does not exist
  std::string hash;                   // the content's blob id (read back from the store)
  bool present = true;                // false: the file does not exist after this step
  std::string base;                   // original | read | git | disk | none
  bool exact = false;                 // the content is known exactly
  std::string status;                 // empty when all went well, else what went wrong
  std::string otherPath;              // move: the path at the other end
  std::optional<bool> matched;        // read: whether the reconstruction agreed with it
};

// A line a step added to a file (origin/Origin.h): its fingerprint and its neighbours'.
struct OriginLineRow {
  std::string path; // absolute
  int64_t seq = 0;
  int64_t line = 0; // 1-based, in the file just after the step
  int64_t fp = 0, above = 0, below = 0;
};

// A stored origin line: who wrote it (interned session and path ids) and its neighbours.
struct OriginRow {
  int64_t session = 0, seq = 0, pathId = 0, line = 0, above = 0, below = 0;
};

// The facts of the step that wrote an origin line.
struct OriginStep {
  std::string sessionId, agent, project, path;
  std::optional<int64_t> time;
};

// Self-check counts for one agent (`mantra verify`).
struct VerifyStats {
  std::string agent;
  int64_t sessions = 0, files = 0, changes = 0, exact = 0, unknown = 0, failed = 0;
  int64_t checks = 0, matches = 0, mismatches = 0;
};

class Store {
public:
  static constexpr int kSchemaVersion = 4;

  // Opens or creates the database at `path`.
  static Expected<std::unique_ptr<Store>> open(const std::string &path);

  const std::string &path() const { return db_.path(); }
  sql::Db &db() { return db_; }

  // --- writing (between begin() and commit()) ---
  Status begin();
  Status commit();
  void rollback();

  std::optional<Source> source(const std::string &path);
  Expected<int64_t> saveSource(const Source &s); // insert or update by path; returns the id
  // Deletes every event read from this source (a rewritten file is re-read from the start).
  Status forgetSource(int64_t sourceId);

  // Inserts or merges session metadata (see mergeSessionInfo for the rules).
  Status upsertSession(const SessionInfo &s);
  // Appends an event: assigns e.seq (the session's next), returns the row id.
  Expected<int64_t> appendEvent(Event &e, int64_t sourceId);
  // The two halves of appendEvent, for a caller that holds an event back (a call waiting for
  // its result) while later events are appended: reserve its seq now, insert it later.
  Status reserveSeq(Event &e);
  Expected<int64_t> insertEvent(const Event &e, int64_t sourceId);
  std::optional<CallRef> findCall(const std::string &sessionId, const std::string &callId);
  // Merges a tool result into the event that made the call (shell output, exit code, the
  // agent's result data under data.result).
  Status mergeResult(const CallRef &call, const Event &result);
  // Records a title that names its session through a record uuid; applied when that uuid is
  // (or becomes) known. See resolveTitleHints().
  Status addTitleHint(const TitleHint &t);
  Status resolveTitleHints();
  // Recomputes event counts for sessions touched since begin().
  Status refreshCounts();

  // Rewrites stored texts: `fixEvent` / `fixSession` change the values in place and return true
  // when they changed something; changed rows are written back (the FTS index follows through
  // its triggers). Runs in one transaction; returns how many rows changed.
  struct RewriteCounts {
    int64_t events = 0, sessions = 0;
  };
  Expected<RewriteCounts> rewriteTexts(const std::function<bool(Event &)> &fixEvent,
                                       const std::function<bool(SessionRow &)> &fixSession);
  // Rebuilds the FTS index from the events, then overwrites freed pages and shrinks the file
  // (secure_delete + VACUUM + WAL truncate) so that no replaced text survives anywhere in the
  // database files. Needs no open transaction; takes the write lock.
  Status purge();

  // Sessions whose events changed since begin() (valid until commit()).
  std::vector<std::string> touchedSessions() const { return {touched_.begin(), touched_.end()}; }

  // --- the timeline (between begin() and commit()) ---
  // Replaces a session's file states; contents go to the blob table once per distinct content.
  Status replaceFileStates(const std::string &sessionId, const std::vector<FileStateRow> &rows);
  // The events the timeline reads: edits and the tool results that read or changed a file, with
  // their data, and shell commands — with their data only when `shellNeedsData` says so.
  Expected<std::vector<Event>>
  timelineEvents(const std::string &sessionId,
                 const std::function<bool(const Event &)> &shellNeedsData = {});

  // --- line origins (origin/Origin.h) ---
  // Replaces a session's origin lines (inside a write transaction); the session is no longer
  // pending.
  Status replaceOriginLines(const std::string &sessionId, const std::vector<OriginLineRow> &rows);
  // Sessions indexed before line origins existed, whose lines are still to compute.
  Expected<std::vector<std::string>> pendingOriginSessions(int64_t limit);
  // The interned ids of `path`, and of every stored path ending in "/" + `suffix` (a clone of the
  // same repository somewhere else) when `suffix` is not empty.
  Expected<std::vector<int64_t>> originPathIds(const std::string &path, const std::string &suffix);
  // Lines with fingerprint `fp` in the path `pathId` (or anywhere when nullopt), at most `limit`.
  Expected<std::vector<OriginRow>> originRows(int64_t fp, std::optional<int64_t> pathId, int limit);
  // The session, agent, project, step time and path behind an origin row.
  Expected<OriginStep> originStep(const OriginRow &row);
  // The content of `path` after step `seq` of a session, when that step stored one.
  Expected<std::optional<std::string>> fileStateContent(const std::string &sessionId, int64_t seq,
                                                        const std::string &path);
  // The nearest user prompt before `seq` in the session, and the assistant's words about the
  // step: its last text between that prompt and the step, else its first after the step (before
  // the next prompt). Empty strings when there are none.
  Expected<std::pair<std::string, std::string>> promptFor(const std::string &sessionId,
                                                          int64_t seq);
  // The start of the earliest session whose folder is `folder` or inside it.
  Expected<std::optional<int64_t>> earliestSessionIn(const std::string &folder);

  // --- reading ---
  // A session's file states ordered by path then seq (one path, or all when `path` is empty);
  // contents are loaded only when `withContent`.
  Expected<std::vector<FileStateRow>> fileStates(const std::string &sessionId,
                                                 const std::string &path, bool withContent);
  // A stored content by its hash.
  Expected<std::optional<std::string>> blob(const std::string &hash);
  Expected<std::vector<VerifyStats>> verifyStats();
  // Reads whose content disagreed with the reconstruction: (session, seq, path).
  Expected<std::vector<std::tuple<std::string, int64_t, std::string>>> mismatches(int limit);
  Expected<std::vector<SessionRow>> sessions(const SessionFilter &f);
  // Finds a session by full id, native id, or a unique prefix of either.
  Expected<SessionRow> session(const std::string &idOrPrefix);
  Expected<std::vector<Event>> events(const std::string &sessionId, int64_t fromSeq, int64_t toSeq);
  Expected<Counts> counts();
  Expected<std::vector<AgentStats>> agentStats();
  // Every (session, source file path) pair that has events: which files a session came from.
  Expected<std::vector<std::pair<std::string, std::string>>> sessionSources();

private:
  Store() = default;
  Status migrate();
  Status ftsAdd(int64_t rowId, const Event &e);
  Status ftsRemove(int64_t rowId);
  // The search vocabulary (StoreSearch.cpp): the words of an event's text, command and path
  // go to `idents` once each; rebuildIdents() empties it and reads every stored event again.
  Status identsAdd(const Event &e);
  Status rebuildIdents();
  Expected<int64_t> nextSeq(const std::string &sessionId);
  static SessionRow readSession(sql::Stmt &st);

  sql::Db db_;
  std::unordered_map<std::string, int64_t> nextSeq_; // valid inside one transaction
  std::unordered_set<std::string> touched_;          // sessions whose events changed since begin()
  bool inTxn_ = false;
  bool writer_ = false; // begin() was called: this connection writes
  // Hashes of words known to be in `idents`: an open-addressing table (StoreSearch.cpp), emptied
  // when half full; a 64-bit collision costs one word.
  std::vector<uint64_t> identsKnown_;
  size_t identsCount_ = 0;
};

// The default database path: $MANTRA_DB, else $XDG_DATA_HOME/mantra/mantra.db, else
// ~/.local/share/mantra/mantra.db.
std::string defaultDatabasePath();

} // namespace mantra
