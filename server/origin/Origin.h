// Where a line of code came from: the session, the step and the prompt that wrote it.
//
// At index time every non-blank line a step added to a file (the timeline's state after the step
// against the state before it, compared without whitespace) is stored with a fingerprint of its
// text and of its nearest non-blank neighbours above and below (the context), under the session,
// step and path that wrote it. Asking about a line of a file on disk looks its fingerprint up:
//
//   exact   the same path (or the same path inside a moved clone) and at least one neighbour the
//           same as when it was written;
//   moved   the same text somewhere else — another place in the file or another file — when the
//           line is distinctive enough (long, and written by few sessions) or its context came
//           along;
//   fuzzy   the text was changed since, but its neighbours were written by one step around a
//           line similar to it.
//
// Common lines (`}`, `return;`, imports every file has) need their context to count, and a line
// no rule vouches for gets no answer rather than a wrong prompt. When the file is in a git
// repository the line is blamed (libgit2): a session that wrote it after the commit that holds
// it cannot be its origin, and a line committed before every session says so.
#pragma once

#include "redact/Redactor.h"
#include "store/Store.h"
#include "util/Expected.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mantra::origin {

// The line without any whitespace (so re-indenting does not change who wrote it).
std::string normalize(std::string_view line);
// A 64-bit FNV-1a hash of normalize(line); 0 for a blank line, never 0 otherwise. Stable across
// builds and machines: it is stored.
int64_t fingerprint(std::string_view line);
// True for lines that say nothing on their own: `}`, `end`, `return`, `else:`, `*/` — fewer than
// three letters or digits, or at most six characters once whitespace is gone.
bool isTrivial(std::string_view line);

// The lines each change in a session's file states added (states as timeline::build returns
// them, for one session). Lines whose previous content is unknown are skipped: nothing is
// attributed that the step may not have written.
std::vector<OriginLineRow> addedLines(const std::vector<FileStateRow> &states);

// Stores the added lines of a session's states (call inside a write transaction, after the
// states are stored).
Status rebuild(Store &store, const std::string &sessionId, const std::vector<FileStateRow> &states);
// Computes the lines of sessions indexed before line origins existed (origin_pending), from their
// stored file states, at most `limit` sessions. Returns how many it did.
Expected<int64_t> rebuildPending(Store &store, int64_t limit);

struct Query {
  std::string path;                // absolute path of the file
  int64_t line = 0;                // 1-based
  std::optional<std::string> text; // the line as the editor has it; else read from the disk
  // The lines above (nearest last) and below (nearest first), as the editor has them; when both
  // are empty they are read from the disk (if the line there is the same).
  std::vector<std::string> above, below;
};

struct Origin {
  std::string session;
  int64_t seq = 0;
  std::string prompt;      // the nearest user prompt before the step
  std::string explanation; // the assistant's words around the step, when there are some
  std::string agent;
  std::optional<int64_t> time; // of the step, ms since the epoch
  std::string path;            // the file as the session wrote it
  int64_t line = 0;            // its line number just after the step (0: unknown)
  std::string confidence;      // exact | moved | fuzzy
  double score = 0;            // 0..1
};

struct Blame {
  std::string commit;  // full id; empty: the line is not committed
  std::string summary; // the commit's first line
  std::string author;
  int64_t timeMs = 0;
};

struct Answer {
  std::optional<Origin> origin;
  std::vector<Origin> candidates; // other steps that wrote the same line, best first
  std::string reason;             // why there is no origin
  std::optional<Blame> blame;     // when the file is in a git repository
};

// Answers origin queries. Keeps the blame of recently asked files (per file and HEAD commit), so
// one instance should serve a whole server; safe to call from several threads.
class Finder {
public:
  Finder();
  ~Finder();
  Finder(const Finder &) = delete;
  Finder &operator=(const Finder &) = delete;

  // `redactor` is applied to the line and its neighbours before they are fingerprinted (stored
  // contents are redacted). Errors: ErrorCode::Invalid for a bad query, Db for the store.
  Expected<Answer> find(Store &store, const Query &q, const Redactor &redactor);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace mantra::origin
