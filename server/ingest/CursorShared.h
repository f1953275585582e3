// What Cursor's three stores (IDE state.vscdb, CLI store.db, agent-transcripts JSONL) share:
// the parsers of each store, and the one mapping of a Cursor tool call to normalized events
// (shell, edit with data.changes, read with data.read). Internal to the Cursor adapter.
#pragma once

#include "ingest/Adapter.h"

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mantra::cursor {

using nlohmann::json;

// --- the parsers (CursorAdapter.cpp, CursorCli.cpp) -------------------------------------------

// state.vscdb, global (composerData/bubbleId rows) or per workspace (the legacy chat panel).
std::unique_ptr<FileParser> openIdeDatabase(const std::filesystem::path &path, const json &state);
// ~/.cursor/chats/<md5>/<session>/store.db (cursor-agent).
std::unique_ptr<FileParser> openCliStore(const std::filesystem::path &path, const json &state);
// ~/.cursor/projects/<slug>/agent-transcripts/…jsonl. `shadowed`: the same conversation is in a
// richer store (state.vscdb or store.db), so the transcript adds nothing.
std::unique_ptr<FileParser> openTranscript(const std::filesystem::path &path, const json &state,
                                           bool shadowed);

// --- small helpers ------------------------------------------------------------------------------

uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull);
std::string hex64(uint64_t v);
// `p` absolute and lexically normal: a relative path is resolved against `cwd` (left relative
// when the cwd is unknown); a file:// URI becomes its path. "" stays "".
std::string absolutePath(const std::string &p, const std::string &cwd);
// The local path of a "file:///…" URI (percent-decoded), or "" for any other URI.
std::string fileUriPath(std::string_view uri);
// A JSON value that Cursor stores double-encoded: a string holding JSON is parsed, anything else
// is returned as it is. A string that is not JSON stays a string.
json decoded(const json &v);
// ms since the epoch from an ISO string or an epoch number (seconds or ms); nullopt otherwise.
std::optional<int64_t> timeOf(const json &v);
// The text inside <tag>…</tag> when `text` holds such a block, else nullopt.
std::optional<std::string> between(const std::string &text, std::string_view tag);
// `text` without "<timestamp>…</timestamp>" blocks, trimmed.
std::string withoutTimestamps(std::string text);

// --- tool calls -------------------------------------------------------------------------------

// A tool call as every Cursor store has it: a name, its arguments, and — where recorded — its
// result and status. `resolveContent` turns an edit result's beforeContentId/afterContentId into
// the file text (nullopt when the id cannot be resolved).
struct ToolCall {
  std::string name;
  std::string callId;
  json params; // the arguments, decoded
  json result; // the result, decoded; null when none was recorded
  bool hasResult = false;
  std::string status;
  bool failed = false; // error, cancelled or rejected
  std::optional<int64_t> time;
  std::string uuid;
};

struct ToolContext {
  std::string sessionId;
  std::string project; // relative paths resolve against it
  std::function<std::optional<std::string>(const std::string &id)> resolveContent;
};

// The events of one tool call, in order: the call (shell, edit or tool_call, its callId set)
// and, when a result was recorded (or the call failed), its tool_result with the same callId.
std::vector<Event> toolEvents(const ToolCall &call, const ToolContext &ctx);
// The two halves, for stores that keep the call and its result apart (the CLI's store.db).
Event callEvent(const ToolCall &call, const ToolContext &ctx);
Event resultEvent(const ToolCall &call, const ToolContext &ctx);

} // namespace mantra::cursor
