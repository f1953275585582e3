// The timeline: every touched file's content after every step of a session.
//
// For each file, the states start from a base — best first the agent's own copy of the original
// (a change's "before"), a complete read of the file earlier in the session, the git blob at
// the commit the session started on, the file on disk — and every change of that file is
// applied in seq order (timeline/Patch.h). A later complete read, or a change's recorded
// "before"/"after", is the truth at that step: the reconstruction is compared with it (the
// self-check `mantra verify` reports) and continues from it. Shell commands that move, copy or
// delete files are followed; one that writes a file in a way its text does not tell (`sed -i`,
// `> file`) makes that file's content unknown until the next read. Nothing is guessed: a state
// is either known (exactly, or from a base that may differ such as the disk) or unknown, with
// the reason.
//
// The states are computed when a session is indexed and stored (Store::replaceFileStates); the
// queries below only look them up.
#pragma once

#include "model/Model.h"
#include "store/Store.h"
#include "timeline/Bases.h"
#include "util/Expected.h"

#include <functional>

namespace mantra {
class Redactor;
}

namespace mantra::timeline {

struct SessionContext {
  std::string project; // the session's working folder: relative paths resolve against it
};

// Computes one session's file states from its edit, shell and tool-result events (seq order).
// `redact` is applied to every content that does not come from the (already redacted) events:
// the git and disk bases.
std::vector<FileStateRow> build(const std::vector<Event> &events, const SessionContext &ctx,
                                BaseSource &bases,
                                const std::function<std::string(std::string)> &redact);

// Recomputes and stores the file states of `sessionId` (call inside a write transaction);
// returns them (for the line origins, origin/Origin.h).
Expected<std::vector<FileStateRow>> rebuild(Store &store, const std::string &sessionId,
                                            const Redactor &redactor);

// --- queries ---

// A path as shown to the user: relative to the project when inside it.
std::string displayPath(const std::string &path, const std::string &project);
// The editor language id for a path (VS Code's ids: "python", "typescript", …).
std::string languageId(const std::string &path);

struct FileSummary {
  std::string path;               // absolute
  std::vector<int64_t> changedAt; // steps that changed it
  std::vector<int64_t> reads;     // steps that read it
  std::string lastStatus;         // the last state's problem, if any
};
Expected<std::vector<FileSummary>> files(Store &store, const SessionRow &session);

// Finds the absolute path a user means: an absolute path, one relative to the project, or a
// unique suffix of a touched path.
Expected<std::string> resolvePath(Store &store, const SessionRow &session, const std::string &path);

struct FileAt {
  std::string path;                   // absolute
  int64_t seq = 0;                    // the step asked for
  int64_t stateSeq = 0;               // the step whose state answers it (0: the session's start)
  std::optional<std::string> content; // nullopt: unknown, or the file does not exist
  bool present = true;
  std::string base; // original | read | git | disk | none
  bool exact = false;
  std::vector<int64_t> changedAt;
  std::string reason; // why the content is unknown or inexact, when it is
};
Expected<FileAt> fileAt(Store &store, const SessionRow &session, int64_t seq,
                        const std::string &path);

struct FileDiff {
  std::string path; // absolute
  int64_t from = 0, to = 0;
  std::optional<std::string> diff; // unified diff; nullopt when a side is unknown
  bool exact = false;
  std::string reason;
};
// The diffs between the states after step `from` and after step `to`, for `path` or for every
// file changed in (from, to].
Expected<std::vector<FileDiff>> diff(Store &store, const SessionRow &session, int64_t from,
                                     int64_t to, const std::string &path);

} // namespace mantra::timeline
