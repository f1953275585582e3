// Claude Code transcripts: one JSON record a line. Each assistant API response is split over
// several lines (one content block each); tool results come back as `user` records holding
// `tool_result` blocks plus a `toolUseResult` sibling with the structured result. The mapping:
//
//   user (typed prompt)            -> user        (slash commands as "/name args")
//   user (isMeta, wrappers)        -> meta
//   user (isCompactSummary)        -> summary
//   user tool_result               -> tool_result, merged by the store into its shell/edit call
//   assistant text/thinking        -> assistant / reasoning
//   assistant tool_use Bash        -> shell   (command; output and exit code from the result)
//   assistant tool_use Edit, …     -> edit    (path, old/new text, data.changes; the result's
//                                              data.changes from originalFile/structuredPatch)
//   tool_result of Read            -> tool_result with data.read (the file as returned)
//   assistant tool_use (other)     -> tool_call
//   system, file-history-snapshot,
//   hook attachments, pr-link      -> meta
//   summary / custom-title / ai-title -> session title (summary by leafUuid, possibly another file)
//   queued_command attachment      -> user
//   bookkeeping (queue-operation, last-prompt, mode, progress, listings, reminders) -> nothing
//   anything else                  -> meta with the raw record, counted as unknown
//
// Normalized keys (model/Model.h): an edit's data.changes come from its input (Edit/MultiEdit
// -> "replace", Write -> "write", NotebookEdit -> "notebook"); its result's from toolUseResult,
// which says what was applied — 1.0.x strips trailing whitespace from new text, and the user may
// have modified the change — so structuredPatch ("unified") or the written content ("write")
// with originalFile as "before" wins. A Bash call gets data.cwd (the record's cwd); its result
// keeps toolUseResult's stdout/stderr as they are.
#include "ingest/ClaudeAdapter.h"

#include "ingest/Json.h"
#include "ingest/Text.h"
#include "util/Time.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_set>

namespace mantra {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using text::absolutePath;
using text::isUuid;
using text::startsWith;
using text::titleFrom;
using text::trim;

const std::unordered_set<std::string> kIgnoredTypes = {
    "queue-operation", "last-prompt",    "mode",
    "permission-mode", "progress",       "agent-name",
    "agent-setting",   "worktree-state", "deferred_tools_delta",
    "relocated",       "frame-link",     "bridge-session",
    "atis-latch",      "started",        "result"};

// Attachments that only feed the model context (listings, reminders): not steps of the session.
const std::unordered_set<std::string> kIgnoredAttachments = {"agent_listing_delta",
                                                             "skill_listing",
                                                             "deferred_tools_delta",
                                                             "mcp_instructions_delta",
                                                             "task_reminder",
                                                             "todo_reminder",
                                                             "date_change",
                                                             "batching_reminder_sent",
                                                             "silent_turn_reminder",
                                                             "total_tokens_reminder",
                                                             "budget_usd",
                                                             "command_permissions",
                                                             "nested_memory",
                                                             "dynamic_skill",
                                                             "invoked_skills",
                                                             "auto_mode",
                                                             "plan_mode",
                                                             "plan_mode_exit",
                                                             "ultra_effort_enter",
                                                             "ultra_effort_exit",
                                                             "read_truncation_notice",
                                                             "compact_file_reference",
                                                             "task_status"};

// The inner text of <tag>…</tag> in s, or "" when absent.
std::string tagText(std::string_view s, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  const size_t a = s.find(open);
  if (a == std::string_view::npos)
    return {};
  const size_t b = s.find(close, a + open.size());
  if (b == std::string_view::npos)
    return {};
  return trim(s.substr(a + open.size(), b - a - open.size()));
}

// Text of a message content: a string, or the text blocks of an array (images as "[image]").
std::string contentText(const json &content) {
  if (content.is_string())
    return content.get<std::string>();
  std::string out;
  if (!content.is_array())
    return out;
  for (const auto &b : content) {
    const std::string &type = js::str(b, "type");
    std::string piece;
    if (type == "text")
      piece = js::str(b, "text");
    else if (type == "image")
      piece = "[image]";
    else if (b.is_string())
      piece = b.get<std::string>();
    if (piece.empty())
      continue;
    if (!out.empty())
      out += "\n";
    out += piece;
  }
  return out;
}

// N from a leading "Exit code N" (optionally after "Error: "), as Claude Code writes a failed
// Bash result.
std::optional<int> exitCodePrefix(std::string_view s) {
  if (startsWith(s, "Error: "))
    s.remove_prefix(7);
  if (!startsWith(s, "Exit code "))
    return std::nullopt;
  s.remove_prefix(10);
  int v = 0;
  size_t n = 0;
  while (n < s.size() && n < 6 && s[n] >= '0' && s[n] <= '9')
    v = v * 10 + (s[n++] - '0');
  if (n == 0)
    return std::nullopt;
  return v;
}

// Sub-agent transcripts are named agent-<id>, the id letters, digits and dashes only (so
// "agent-sessions_small.jsonl" is not one).
bool isSubagentName(std::string_view stem) {
  if (!startsWith(stem, "agent-") || stem.size() == 6)
    return false;
  for (char c : stem.substr(6))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
      return false;
  return true;
}

EventKind kindForTool(const std::string &name) {
  if (name == "Bash" || name == "bash")
    return EventKind::Shell;
  if (name == "Edit" || name == "MultiEdit" || name == "Write" || name == "NotebookEdit")
    return EventKind::Edit;
  return EventKind::ToolCall;
}

// --- normalized changes and reads (model/Model.h) ---------------------------------------------

json replaceEdit(const std::string &oldText, const std::string &newText, bool all) {
  return {{"old", oldText}, {"new", newText}, {"all", all}};
}

// The changes an edit tool's input asks for: one entry, or an empty array when the input names
// no file. An Edit whose old_string is empty is a write of its new_string.
json requestChanges(const std::string &name, const json &input, const std::string &cwd) {
  json c = json::object();
  if (name == "NotebookEdit") {
    c["path"] = absolutePath(js::str(input, "notebook_path"), cwd);
    c["op"] = "notebook";
    if (const json &id = js::get(input, "cell_id"); id.is_string())
      c["cell"] = id;
    else if (const json &n = js::get(input, "cell_number"); n.is_number_integer())
      c["cell"] = n;
    c["source"] = js::str(input, "new_source");
    const std::string &mode = js::str(input, "edit_mode");
    c["mode"] = mode.empty() ? "replace" : mode;
    if (const std::string &type = js::str(input, "cell_type"); !type.empty())
      c["cellType"] = type;
  } else {
    c["path"] = absolutePath(js::str(input, "file_path"), cwd);
    const json &oldText = js::get(input, "old_string");
    if (name == "Write") {
      c["op"] = "write";
      c["content"] = js::str(input, "content");
    } else if (name == "Edit" && oldText.is_string() &&
               oldText.get_ref<const std::string &>().empty()) {
      c["op"] = "write"; // an Edit from nothing creates (or fills an empty) file
      c["content"] = js::str(input, "new_string");
    } else {
      json edits = json::array();
      if (name == "MultiEdit") {
        for (const auto &ed : js::get(input, "edits"))
          edits.push_back(replaceEdit(js::str(ed, "old_string"), js::str(ed, "new_string"),
                                      js::flag(ed, "replace_all")));
      } else {
        edits.push_back(replaceEdit(js::str(input, "old_string"), js::str(input, "new_string"),
                                    js::flag(input, "replace_all")));
      }
      c["op"] = "replace";
      c["edits"] = std::move(edits);
    }
  }
  if (js::str(c, "path").empty())
    return json::array();
  return json::array({std::move(c)});
}

// structuredPatch hunks as unified-diff text, or nullopt when a hunk is not the expected shape.
std::optional<std::string> hunksText(const json &hunks) {
  std::string out;
  for (const auto &h : hunks) {
    const auto os = js::integer(h, "oldStart"), ol = js::integer(h, "oldLines");
    const auto ns = js::integer(h, "newStart"), nl = js::integer(h, "newLines");
    const json &lines = js::get(h, "lines");
    if (!os || !ol || !ns || !nl || !lines.is_array())
      return std::nullopt;
    out += "@@ -" + std::to_string(*os) + "," + std::to_string(*ol) + " +" + std::to_string(*ns) +
           "," + std::to_string(*nl) + " @@\n";
    for (const auto &l : lines) {
      if (!l.is_string())
        return std::nullopt;
      out += l.get<std::string>() + "\n";
    }
  }
  return out;
}

// What an edit's toolUseResult says was applied, or null when it is not an edit's result. Write:
// the content ("before" = originalFile; null for a created file). Edit/MultiEdit: the
// structuredPatch as a unified diff, else the recorded old/new strings ("before" =
// originalFile, originalFileContents in 1.0 MultiEdit); an Edit from an empty oldString writes
// its newString. NotebookEdit: the recorded cell edit.
json resultChanges(const json &tur, const std::string &cwd) {
  if (!tur.is_object())
    return nullptr;
  json c = json::object();
  const std::string &type = js::str(tur, "type");
  const json &content = js::get(tur, "content");
  json before = js::get(tur, "originalFile");
  if (!before.is_string())
    before = js::get(tur, "originalFileContents");
  if ((type == "create" || type == "update") && content.is_string()) {
    c["op"] = "write";
    c["content"] = content;
    if (before.is_string())
      c["before"] = before;
    else if (type == "create")
      c["before"] = nullptr; // the file did not exist
  } else if (tur.contains("new_source") && (tur.contains("cell_id") || tur.contains("edit_mode"))) {
    if (!js::str(tur, "error").empty())
      return nullptr;
    c["op"] = "notebook";
    if (const json &id = js::get(tur, "cell_id"); !id.is_null())
      c["cell"] = id;
    c["source"] = js::get(tur, "new_source");
    const std::string &mode = js::str(tur, "edit_mode");
    c["mode"] = mode.empty() ? "replace" : mode;
    if (const std::string &t = js::str(tur, "cell_type"); !t.empty())
      c["cellType"] = t;
    for (auto [from, to] : {std::pair{"original_file", "before"}, {"updated_file", "after"}})
      if (const json &v = js::get(tur, from); v.is_string())
        c[to] = v;
  } else {
    const json &patch = js::get(tur, "structuredPatch");
    const json &oldText = js::get(tur, "oldString");
    std::optional<std::string> diff;
    // An empty structuredPatch on an edit that changed something says nothing about what was
    // applied (seen from generators, never from a real edit): the recorded strings are used.
    const bool noChange = js::str(tur, "oldString") == js::str(tur, "newString");
    if (patch.is_array() && (!patch.empty() || noChange) &&
        (before.is_string() || tur.contains("oldString") || tur.contains("edits")))
      diff = hunksText(patch);
    if (oldText.is_string() && oldText.get_ref<const std::string &>().empty()) {
      c["op"] = "write"; // the file was created (or was empty): its content is the new text
      c["content"] = js::str(tur, "newString");
    } else if (diff) {
      c["op"] = "unified";
      c["diff"] = std::move(*diff);
    } else if (js::get(tur, "oldString").is_string()) {
      c["op"] = "replace";
      c["edits"] = json::array({replaceEdit(js::str(tur, "oldString"), js::str(tur, "newString"),
                                            js::flag(tur, "replaceAll"))});
    } else if (js::get(tur, "edits").is_array() && before.is_string()) {
      json edits = json::array();
      for (const auto &ed : js::get(tur, "edits"))
        edits.push_back(replaceEdit(js::str(ed, "old_string"), js::str(ed, "new_string"),
                                    js::flag(ed, "replace_all")));
      c["op"] = "replace";
      c["edits"] = std::move(edits);
    } else {
      return nullptr;
    }
    if (before.is_string())
      c["before"] = before;
  }
  std::string path = js::str(tur, "filePath");
  if (path.empty())
    path = js::str(tur, "notebook_path");
  if (path.empty())
    return nullptr;
  c["path"] = absolutePath(path, cwd);
  return json::array({std::move(c)});
}

// `content` without the "   12→" / "   12\t" line numbers Claude Code shows the model, when every
// line carries them (numbered from `first` up); nullopt when it does not look numbered.
std::optional<std::string> withoutLineNumbers(const std::string &content, int64_t first) {
  std::string out;
  int64_t expect = first;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    const bool last = end == std::string::npos;
    if (last)
      end = content.size();
    const std::string_view line(content.data() + pos, end - pos);
    size_t i = 0;
    while (i < line.size() && line[i] == ' ')
      ++i;
    const size_t digits = i;
    int64_t n = 0;
    while (i < line.size() && i - digits < 12 && line[i] >= '0' && line[i] <= '9')
      n = n * 10 + (line[i++] - '0');
    if (i == digits || n != expect)
      return std::nullopt;
    if (line.substr(i, 3) == "\u2192")
      i += 3;
    else if (line.substr(i, 1) == "\t")
      i += 1;
    else
      return std::nullopt;
    out += line.substr(i);
    if (!last)
      out += '\n';
    ++expect;
    pos = end + 1;
  }
  return expect > first ? std::optional<std::string>(std::move(out)) : std::nullopt;
}

// data.read for a Read result {type:"text", file:{filePath, content, startLine, numLines,
// totalLines}}, or null. Complete only when the lines shown start at 1 and are all of them, and
// the content came without line numbers (stripped ones lose whether the file ends in a newline).
json readOf(const json &tur, const std::string &cwd) {
  const json &file = js::get(tur, "file");
  if (js::str(tur, "type") != "text" || !js::get(file, "content").is_string())
    return nullptr;
  const std::string &path = js::str(file, "filePath");
  if (path.empty())
    return nullptr;
  std::string content = js::str(file, "content");
  const auto start = js::integer(file, "startLine");
  const auto shown = js::integer(file, "numLines"), total = js::integer(file, "totalLines");
  bool complete = start.value_or(1) == 1 && shown && total && *shown == *total;
  if (auto plain = withoutLineNumbers(content, start.value_or(1))) {
    content = std::move(*plain);
    complete = false;
  }
  return {
      {"path", absolutePath(path, cwd)}, {"content", std::move(content)}, {"complete", complete}};
}

class ClaudeParser : public FileParser {
public:
  ClaudeParser(const fs::path &path, const json &state) : path_(path) {
    const std::string stem = path.stem().string();
    if (isSubagentName(stem)) {
      subagent_ = true;
      nativeId_ = stem;
      // 2.1 layout: <parent>/subagents/agent-<id>.jsonl
      if (path.parent_path().filename() == "subagents")
        parentNative_ = path.parent_path().parent_path().filename().string();
    } else if (isUuid(stem)) {
      nativeId_ = stem;
    }
    if (state.is_object()) {
      if (auto s = js::str(state, "native"); !s.empty())
        nativeId_ = s;
      if (auto s = js::str(state, "parent"); !s.empty())
        parentNative_ = s;
      titled_ = js::flag(state, "titled");
    }
  }

  json state() const override {
    json s = json::object();
    if (!nativeId_.empty())
      s["native"] = nativeId_;
    if (!parentNative_.empty())
      s["parent"] = parentNative_;
    s["titled"] = titled_;
    return s;
  }

  void line(std::string_view text, int64_t lineNo, Sink &sink) override {
    if (auto r = parseRecordLine(text, lineNo, sink))
      record(*r, lineNo, sink);
  }

private:
  // The Mantra session id for this file, fixing the native id from the first record when the
  // file name does not carry it.
  const std::string &sessionFor(const json &r) {
    if (nativeId_.empty()) {
      nativeId_ = js::str(r, "sessionId");
      if (nativeId_.empty())
        nativeId_ = path_.stem().string();
    }
    if (subagent_ && parentNative_.empty()) {
      const std::string &sid = js::str(r, "sessionId");
      if (!sid.empty() && !startsWith(sid, "agent-"))
        parentNative_ = sid;
    }
    if (sessionId_.empty())
      sessionId_ = "claude:" + nativeId_;
    return sessionId_;
  }

  void announce(const json &r, std::optional<int64_t> t, Sink &sink) {
    SessionInfo s;
    s.id = sessionFor(r);
    s.agent = "claude";
    s.nativeId = nativeId_;
    s.project = js::str(r, "cwd");
    s.branch = js::str(r, "gitBranch");
    s.version = js::str(r, "version");
    const json &msg = js::get(r, "message");
    s.model = js::str(msg, "model");
    if (s.model == "<synthetic>")
      s.model.clear();
    if (subagent_) {
      s.isSubagent = true;
      if (!parentNative_.empty())
        s.parentId = "claude:" + parentNative_;
    }
    s.started = s.ended = t;
    sink.session(s);
  }

  Event base(const json &r, EventKind kind, std::optional<int64_t> t) {
    Event e;
    e.sessionId = sessionId_;
    e.kind = kind;
    e.time = t;
    e.uuid = js::str(r, "uuid");
    return e;
  }

  void emit(Event &&e, const json &r, Sink &sink) {
    if (js::flag(r, "isSidechain") && !subagent_) {
      if (!e.data.is_object())
        e.data = json::object();
      e.data["sidechain"] = true;
    }
    sink.event(std::move(e));
  }

  void record(const json &r, int64_t lineNo, Sink &sink) {
    const std::string &type = js::str(r, "type");
    const auto t = parseIsoTime(js::str(r, "timestamp"));
    if (type == "summary") {
      const std::string &summary = js::str(r, "summary");
      const std::string &leaf = js::str(r, "leafUuid");
      if (!summary.empty() && !leaf.empty())
        sink.titleHint(TitleHint{leaf, summary, TitleSummary});
      else if (!summary.empty() && !nativeId_.empty())
        titleOnly(r, summary, TitleSummary, sink);
      return;
    }
    if (type == "custom-title" || type == "ai-title") {
      const bool custom = type == "custom-title";
      const std::string &title = js::str(r, custom ? "customTitle" : "aiTitle");
      if (!title.empty())
        titleOnly(r, title, custom ? TitleUser : TitleAgentGenerated, sink);
      return;
    }
    if (kIgnoredTypes.count(type))
      return;
    if (type.empty() && !r.contains("message")) {
      sink.problem(lineNo, "record has no type");
      return;
    }
    announce(r, t, sink);
    if (type == "user")
      user(r, t, sink);
    else if (type == "assistant")
      assistant(r, t, sink);
    else if (type == "system")
      system(r, t, sink);
    else if (type == "attachment")
      attachment(r, t, sink);
    else if (type == "file-history-snapshot") {
      Event e = base(r, EventKind::Meta, t);
      e.tool = "file-history-snapshot";
      e.data = {{"snapshot", js::get(r, "snapshot")},
                {"messageId", js::get(r, "messageId")},
                {"isSnapshotUpdate", js::get(r, "isSnapshotUpdate")}};
      if (!t)
        e.time = parseIsoTime(js::str(js::get(r, "snapshot"), "timestamp"));
      emit(std::move(e), r, sink);
    } else if (type == "pr-link") {
      Event e = base(r, EventKind::Meta, t);
      e.tool = "pr-link";
      e.text = "Pull request " + js::str(r, "prUrl");
      e.data = r;
      emit(std::move(e), r, sink);
    } else {
      Event e = base(r, EventKind::Meta, t);
      e.tool = type.empty() ? "unknown" : type;
      e.data = {{"raw", r}};
      sink.unknownRecord();
      emit(std::move(e), r, sink);
    }
  }

  void titleOnly(const json &r, const std::string &title, int rank, Sink &sink) {
    SessionInfo s;
    s.id = sessionFor(r);
    s.agent = "claude";
    s.nativeId = nativeId_;
    s.title = titleFrom(title);
    s.titleRank = rank;
    sink.session(s);
  }

  void prompt(const json &r, std::string text, std::optional<int64_t> t, Sink &sink) {
    if (!titled_ && !text.empty() && text[0] != '/') {
      SessionInfo s;
      s.id = sessionId_;
      s.agent = "claude";
      s.title = titleFrom(text);
      s.titleRank = TitleFirstPrompt;
      sink.session(s);
      titled_ = true;
    }
    Event e = base(r, EventKind::User, t);
    e.text = std::move(text);
    emit(std::move(e), r, sink);
  }

  void meta(const json &r, std::string text, std::string tool, std::optional<int64_t> t,
            Sink &sink) {
    Event e = base(r, EventKind::Meta, t);
    e.text = std::move(text);
    e.tool = std::move(tool);
    emit(std::move(e), r, sink);
  }

  void user(const json &r, std::optional<int64_t> t, Sink &sink) {
    const json &msg = js::get(r, "message");
    const json &content = js::get(msg, "content");
    if (js::flag(r, "isCompactSummary")) {
      Event e = base(r, EventKind::Summary, t);
      e.text = contentText(content);
      e.tool = "compaction";
      emit(std::move(e), r, sink);
      return;
    }
    bool sawResult = false;
    if (content.is_array()) {
      for (const auto &b : content) {
        if (js::str(b, "type") != "tool_result")
          continue;
        sawResult = true;
        toolResult(r, b, t, sink);
      }
    }
    std::string text = contentText(content);
    if (text.empty())
      return;
    if (sawResult && content.is_array()) {
      // Text beside tool results is what the user typed when interrupting, or injected notes.
      meta(r, std::move(text), "note", t, sink);
      return;
    }
    const std::string s = trim(text);
    if (js::flag(r, "isMeta") || startsWith(s, "Caveat: The messages below were generated")) {
      meta(r, std::move(text), "injected", t, sink);
    } else if (s.find("<command-name>") != std::string::npos) {
      std::string cmd = tagText(s, "command-name");
      const std::string args = tagText(s, "command-args");
      if (!cmd.empty() && cmd[0] != '/')
        cmd = "/" + cmd;
      if (!args.empty())
        cmd += " " + args;
      prompt(r, cmd.empty() ? s : cmd, t, sink);
    } else if (startsWith(s, "<local-command-stdout>") || startsWith(s, "<local-command-stderr>")) {
      std::string out = tagText(s, "local-command-stdout");
      if (out.empty())
        out = tagText(s, "local-command-stderr");
      meta(r, std::move(out), "local-command", t, sink);
    } else if (startsWith(s, "<system-reminder>") || startsWith(s, "<bash-") ||
               startsWith(s, "<user-memory-input>")) {
      meta(r, std::move(text), "injected", t, sink);
    } else {
      prompt(r, std::move(text), t, sink);
    }
  }

  void toolResult(const json &r, const json &block, std::optional<int64_t> t, Sink &sink) {
    Event e = base(r, EventKind::ToolResult, t);
    e.callId = js::str(block, "tool_use_id");
    e.text = contentText(js::get(block, "content"));
    e.isError = js::flag(block, "is_error");
    const json &tur = js::get(r, "toolUseResult");
    if (!tur.is_null())
      e.data = tur;
    if (tur.is_object() && !e.isError) {
      const std::string &cwd = js::str(r, "cwd");
      if (json changes = resultChanges(tur, cwd); !changes.is_null())
        e.data["changes"] = std::move(changes);
      else if (json rd = readOf(tur, cwd); !rd.is_null())
        e.data["read"] = std::move(rd);
    }
    if (tur.is_object() && js::flag(tur, "interrupted"))
      e.isError = true;
    // Bash: no exit-code field; a failure's text starts "Exit code N".
    if (auto code = exitCodePrefix(e.text))
      e.exitCode = code;
    else if (!e.isError && tur.is_object() && tur.contains("stdout"))
      e.exitCode = 0;
    sink.event(std::move(e));
  }

  void assistant(const json &r, std::optional<int64_t> t, Sink &sink) {
    const json &msg = js::get(r, "message");
    const json &content = js::get(msg, "content");
    const bool apiError = js::flag(r, "isApiErrorMessage");
    if (content.is_string()) {
      Event e = base(r, EventKind::Assistant, t);
      e.text = content.get<std::string>();
      e.isError = apiError;
      emit(std::move(e), r, sink);
      return;
    }
    if (!content.is_array())
      return;
    for (const auto &b : content) {
      const std::string &type = js::str(b, "type");
      if (type == "text") {
        if (js::str(b, "text").empty())
          continue;
        Event e = base(r, EventKind::Assistant, t);
        e.text = js::str(b, "text");
        e.isError = apiError;
        attachUsage(e, msg);
        emit(std::move(e), r, sink);
      } else if (type == "thinking" || type == "redacted_thinking") {
        Event e = base(r, EventKind::Reasoning, t);
        e.text = type == "thinking" ? js::str(b, "thinking") : "[redacted thinking]";
        if (e.text.empty())
          continue;
        emit(std::move(e), r, sink);
      } else if (type == "tool_use") {
        emit(toolUse(r, b, t, msg), r, sink);
      } else if (!type.empty()) {
        Event e = base(r, EventKind::Meta, t);
        e.tool = type;
        e.data = {{"raw", b}};
        sink.unknownRecord();
        emit(std::move(e), r, sink);
      }
    }
  }

  static void attachUsage(Event &e, const json &msg) {
    const std::string &id = js::str(msg, "id");
    if (!id.empty())
      e.data["messageId"] = id;
  }

  Event toolUse(const json &r, const json &b, std::optional<int64_t> t, const json &msg) {
    const std::string &name = js::str(b, "name");
    const json &input = js::get(b, "input");
    Event e = base(r, kindForTool(name), t);
    e.tool = name;
    e.callId = js::str(b, "id");
    e.data = {{"input", input}};
    attachUsage(e, msg);
    const std::string &cwd = js::str(r, "cwd");
    switch (e.kind) {
    case EventKind::Shell:
      e.command = js::str(input, "command");
      if (!cwd.empty())
        e.data["cwd"] = cwd;
      break;
    case EventKind::Edit:
      e.data["changes"] = requestChanges(name, input, cwd);
      e.path = js::str(input, "file_path");
      if (e.path.empty())
        e.path = js::str(input, "notebook_path");
      if (name == "Write")
        e.text = js::str(input, "content");
      else if (name == "NotebookEdit")
        e.text = js::str(input, "new_source");
      else if (name == "MultiEdit") {
        for (const auto &ed : js::get(input, "edits")) {
          if (!e.text.empty())
            e.text += "\n";
          e.text += js::str(ed, "new_string");
        }
      } else
        e.text = js::str(input, "new_string");
      break;
    default:
      e.text = js::stringValues(input);
      e.path = js::str(input, "file_path");
      break;
    }
    return e;
  }

  void system(const json &r, std::optional<int64_t> t, Sink &sink) {
    const std::string &subtype = js::str(r, "subtype");
    Event e = base(r, EventKind::Meta, t);
    e.tool = "system:" + (subtype.empty() ? std::string("message") : subtype);
    e.text = js::str(r, "content");
    if (subtype == "compact_boundary") {
      const json &cm = js::get(r, "compactMetadata");
      e.text = "Conversation compacted";
      if (auto trig = js::str(cm, "trigger"); !trig.empty())
        e.text += " (" + trig + ")";
      if (auto pre = js::integer(cm, "preTokens"))
        e.text += ", " + std::to_string(*pre) + " tokens before";
    }
    e.isError = js::str(r, "level") == "error" || subtype == "api_error" || subtype == "error";
    json d = json::object();
    for (const char *k : {"subtype", "level", "compactMetadata", "logicalParentUuid", "durationMs",
                          "error", "hookInfos"})
      if (r.contains(k))
        d[k] = r[k];
    e.data = std::move(d);
    emit(std::move(e), r, sink);
  }

  void attachment(const json &r, std::optional<int64_t> t, Sink &sink) {
    const json &a = js::get(r, "attachment");
    const std::string &type = js::str(a, "type");
    if (kIgnoredAttachments.count(type))
      return;
    if (type == "queued_command") {
      const json &p = js::get(a, "prompt");
      const std::string text = p.is_string() ? p.get<std::string>() : contentText(p);
      if (!text.empty())
        prompt(r, text, t, sink);
      return;
    }
    Event e = base(r, EventKind::Meta, t);
    e.tool = "attachment:" + (type.empty() ? std::string("unknown") : type);
    if (startsWith(type, "hook_")) {
      e.text = js::str(a, "hookName");
      for (const char *k : {"content", "stdout", "stderr"})
        if (auto &s = js::str(a, k); !s.empty() && s != "{}")
          e.text += "\n" + s;
      if (auto code = js::integer(a, "exitCode"); code && *code != 0) {
        e.exitCode = static_cast<int>(*code);
        e.isError = true;
      }
      e.isError = e.isError || type == "hook_blocking_error" || type == "hook_non_blocking_error";
    } else {
      e.text = js::str(a, "content");
      if (e.text.empty())
        e.text = js::str(a, "filename");
    }
    e.data = {{"attachment", a}};
    emit(std::move(e), r, sink);
  }

  fs::path path_;
  bool subagent_ = false;
  std::string nativeId_, parentNative_, sessionId_;
  bool titled_ = false;
};

} // namespace

std::vector<fs::path> ClaudeAdapter::roots() const {
  if (const char *dir = std::getenv("CLAUDE_CONFIG_DIR"); dir && *dir)
    return {fs::path(dir) / "projects"};
  std::vector<fs::path> out;
  if (const char *home = std::getenv("HOME"); home && *home) {
    out.push_back(fs::path(home) / ".claude" / "projects");
    out.push_back(fs::path(home) / ".config" / "claude" / "projects");
  }
  return out;
}

int ClaudeAdapter::claims(const fs::path &path, std::string_view head) const {
  if (path.extension() != ".jsonl")
    return 0;
  const std::string p = path.generic_string();
  int score = 0;
  if (p.find("/.claude/") != std::string::npos || p.find("/claude/projects/") != std::string::npos)
    score += 3;
  if (head.empty())
    return score > 0 ? score : 1; // by name alone: maybe; the head decides
  // Fields only Claude Code writes near the top of a transcript.
  for (std::string_view marker : {"\"parentUuid\"", "\"leafUuid\"", "\"queue-operation\"",
                                  "\"file-history-snapshot\"", "\"isSidechain\""})
    if (head.find(marker) != std::string_view::npos) {
      score += 2;
      break;
    }
  if (score == 0 && head.find("\"sessionId\"") != std::string_view::npos)
    score = 1; // a weak sign; other agents with stronger markers win
  return score;
}

std::unique_ptr<FileParser> ClaudeAdapter::open(const fs::path &path, const json &state) const {
  return std::make_unique<ClaudeParser>(path, state);
}

} // namespace mantra
