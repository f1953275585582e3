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
                               // JSON of an unknown record. Null when there is none.
};

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
