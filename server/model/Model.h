// The normalized model: what every adapter emits and everything downstream reads. Nothing past
// an adapter knows any agent's on-disk format (see DESIGN.md, "Normalized model").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mantra {

// Event kinds, with exactly the names used on the CLI and the wire.
enum class EventKind {
  User,
  Assistant,
  Reasoning,
  ToolCall,
  ToolResult,
  Shell,
  Edit,
  Summary,
  Meta
};

std::string_view toString(EventKind k);
// Returns nullopt for a name that is not one of the nine kinds.
std::optional<EventKind> eventKindFromString(std::string_view s);

// One step of a session. `seq` is assigned by the store when the event is appended (1, 2, … in
// transcript order); adapters leave it 0.
struct Event {
  std::string sessionId; // "<agent>:<native id>"
  int64_t seq = 0;
  EventKind kind = EventKind::Meta;
  std::optional<int64_t> time; // ms since the epoch, UTC
  std::string text;            // prompt, answer, reasoning, tool output, summary, meta text
  std::string tool;            // tool name (tool_call, tool_result, shell, edit)
  std::string path;            // edit: the file path as the agent wrote it
  std::string command;         // shell: the command line
  std::optional<int> exitCode; // shell: when known
  bool isError = false;        // the tool errored or the command failed
  std::string callId;          // pairs a tool call with its result (agent's tool-use id)
  std::string uuid;            // the agent's own id for the record, when it has one
  nlohmann::json data;         // kind-specific detail: tool input, the agent's tool result, raw
                               // JSON of an unknown record. Null when there is none. The
                               // normalized keys below are the only ones read past an adapter.
};

// Normalized keys in Event::data, written by the adapters and read by the timeline (the file
// state at each step). Everything else in `data` is the agent's own detail, kept for display.
//
// data.changes (edit events, and an edit's result event: after the merge it is
// data.result.changes) — what the step did to files, one entry per file:
//   {"path": absolute path (relative ones resolved against the session's cwd),
//    "op": "write"    "content": the whole new content       Write, write_file, Add File
//          "replace"  "edits": [{"old","new","all":bool,"count":int?}] applied in order;
//                     "count" = the number of occurrences the agent expected (Gemini's
//                     expected_replacements); "all" = replace every occurrence
//          "patch"    "patch": the body of one apply_patch "*** Update File:" section ("@@ ctx"
//                     lines, then ' ', '-', '+' lines, optional "*** End of File")
//          "unified"  "diff": unified-diff hunks with line numbers ("@@ -a,b +c,d @@", then
//                     ' ', '-', '+' lines, optional "\ No newline at end of file")
//          "delete"
//          "notebook" "cell": id or index, "source", "mode": "replace"|"insert"|"delete",
//                     "cellType"
//          "unknown"  "reason": why the change cannot be replayed
//    optional on every op: "to" (the file was moved there, after applying the op),
//    "before" / "after": the file's whole content before / after the step as the agent itself
//    recorded it (Claude Code's originalFile, Gemini's originalContent/newContent, Codex's
//    patch_apply_end content); "before": null means the file did not exist. }
// A result's changes describe what was actually applied and win over the request's for the
// same path.
//
// data.read (a tool result, or a shell result: data.result.read) — the agent read a file:
//   {"path": absolute path, "content": the file's text with any line-number prefixes removed,
//    "complete": true only when this is the whole file, untruncated}
//
// Shell events: data.cwd, data.durationMs, data.stdout / data.stderr where the agent keeps them
// apart (the event's text is always the combined output). A result may carry durationMs,
// stdout and stderr in its own data: mergeResult lifts them onto the call.

// Metadata about a session as far as one record tells it. Empty fields mean "not known from this
// record"; the store merges successive updates (earliest start, latest end, first project, …).
struct SessionInfo {
  std::string id;       // "<agent>:<native id>"
  std::string agent;    // "claude", "codex", …
  std::string nativeId; // the agent's own id
  std::string project;  // working folder
  std::string branch;
  std::string commit;
  std::string model;
  std::string version;  // the agent's CLI version
  std::string parentId; // resume/fork/sub-agent parent, as a Mantra session id
  bool isSubagent = false;
  std::optional<int64_t> started; // earliest time seen (ms since the epoch, UTC)
  std::optional<int64_t> ended;   // latest time seen
  // A title candidate and its strength: higher wins. See TitleRank.
  std::string title;
  int titleRank = 0;
};

// How much a title is worth, so a later weaker candidate never replaces a stronger one.
enum TitleRank : int {
  TitleNone = 0,
  TitleFirstPrompt = 10,    // derived from the first user prompt
  TitleAgentGenerated = 20, // the agent's own generated title (ai-title)
  TitleSummary = 30,        // the agent's summary record
  TitleUser = 40,           // a title the user set (custom-title)
};

// Folds `update` into `acc` the way the store does: first project/parent, latest branch/model/
// version, earliest start, latest end, the stronger title.
void mergeSessionInfo(SessionInfo &acc, const SessionInfo &update);

// Folds a tool's result into the shell or edit event that made the call: a shell event's text
// becomes the output; other calls keep their text and get the output as data.resultText; the
// agent's structured result goes to data.result; the exit code and error flag carry over.
void mergeResult(Event &call, const Event &result);

// A title that names a session only through one of its records' uuids (Claude Code writes
// `summary` records whose leafUuid points into another file).
struct TitleHint {
  std::string leafUuid;
  std::string title;
  int rank = TitleSummary;
};

} // namespace mantra
