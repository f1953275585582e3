// Codex CLI rollouts: one JSON record a line, `{timestamp, type, payload}` since ~0.4x, bare
// ResponseItems before. The mapping:
//
//   session_meta (the FIRST one)   -> session id "codex:<id>", project, branch, commit, version,
//                                     sub-agent/fork parent; a meta step with originator/source.
//                                     Later copies (resume/fork history) are ignored.
//   turn_context                   -> session model (and project); no step
//   response_item message user     -> user (injected AGENTS.md/environment_context/… -> meta)
//   response_item message assistant-> assistant;  developer/system -> meta
//   response_item reasoning        -> reasoning (summary text; encrypted-only -> nothing)
//   function_call / custom_tool_call / local_shell_call
//       shell tools                -> shell (command; `bash -lc <script>` as the script)
//       apply_patch (tool or heredoc in a shell command) -> edit (path = first file, text = patch,
//                                     data.input = {patch, files[{path, op, moveTo}]},
//                                     data.changes: one per file section)
//       anything else              -> tool_call
//   *_call_output                  -> tool_result with the call's callId (exit code parsed from
//                                     "Exit code: N" / "Process exited with code N" or the 0.4x
//                                     JSON {"output","metadata":{"exit_code"}})
//   event_msg exec_command_end, patch_apply_end, item_completed CommandExecution/FileChange
//                                  -> tool_result for a known shell/edit call (see "Results")
//   event_msg user_message / agent_message / agent_reasoning, item_completed UserMessage/
//   AgentMessage/Reasoning         -> the same kinds, only while the file has shown no
//                                     response_item message (see "Copies")
//   compacted                      -> summary
//   error, turn_aborted, review mode, collab/sub-agent, undo, goal -> meta
//   thread_name_updated            -> session title (TitleUser)
//   bookkeeping (token_count, task_*, world_state, *_begin, deltas, …) -> nothing
//   anything else                  -> meta with the raw record, counted as unknown
//
// Copies: Codex writes each message twice in some versions — as a response_item (what the
// model saw) and as an event_msg (what the UI showed), in either order. Response items win:
// once the file has shown a response_item user/assistant message or reasoning, every event_msg
// copy is skipped (a flag kept in the state). Before that, an event copy is emitted and
// remembered by kind and text; the response item with the same kind and text that follows is
// then skipped instead. A file with event copies only (no response items) keeps them all.
//
// Results: a shell/edit call can get two results — the *_end event (exit code, full output,
// the applied changes) and the *_call_output the model saw (often truncated, with a header).
// The Indexer merges every result for a call into the call (a later one via the store), so
// nothing is duplicated as a step, but a later merge overwrites a shell step's text. So: an
// *_end event for an open call is emitted; a shell call's output that follows is skipped (an
// edit's is emitted without data: it adds the exit code and result line, keeps the changes);
// an *_end after the output merges again (only for calls seen in this run); an *_end for an
// unknown call, or a generic tool's, is dropped (it would be a second tool_result step). Open
// calls are kept in the state, so this holds across incremental reads.
//
// Normalized keys (model/Model.h), paths made absolute against the call's workdir or the
// session's cwd (the latest turn_context, else session_meta): an apply_patch edit's
// data.changes — Add File -> "write", Delete File -> "delete", Update File -> "patch" (+ "to");
// a patch_apply_end's changes map (kept raw as data.fileChanges) -> the result's data.changes —
// update -> "unified" (+ "to"), add -> "write", delete -> "delete" with "before". A shell call
// gets data.cwd; exec_command_end adds stdout, stderr and durationMs to its result. A command
// that is exactly `cat <path>` gets data.read on its result when it exited 0; complete unless
// Codex marked the output truncated, decoded it lossily, or ran it on a tty.
#include "ingest/CodexAdapter.h"

#include "ingest/Json.h"
#include "ingest/Text.h"
#include "util/Time.h"

#include <cstdlib>
#include <deque>
#include <map>
#include <unordered_set>

namespace mantra {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using text::absolutePath;
using text::hunksOnly;
using text::isUuid;
using text::startsWith;
using text::titleFrom;
using text::trim;

// event_msg types that only feed the UI or duplicate a response item: no step.
const std::unordered_set<std::string> kIgnoredEvents = {"token_count",
                                                        "task_started",
                                                        "task_complete",
                                                        "turn_started",
                                                        "turn_complete",
                                                        "turn.completed",
                                                        "thread_settings_applied",
                                                        "context_compacted",
                                                        "exec_command_begin",
                                                        "exec_command_output_delta",
                                                        "patch_apply_begin",
                                                        "mcp_tool_call_begin",
                                                        "mcp_tool_call_end",
                                                        "web_search_begin",
                                                        "web_search_end",
                                                        "image_generation_begin",
                                                        "image_generation_end",
                                                        "dynamic_tool_call_request",
                                                        "dynamic_tool_call_response",
                                                        "view_image_tool_call",
                                                        "item_started",
                                                        "agent_message_delta",
                                                        "agent_reasoning_delta",
                                                        "agent_reasoning_raw_content",
                                                        "agent_reasoning_raw_content_delta",
                                                        "agent_reasoning_section_break",
                                                        "turn_diff",
                                                        "account/rateLimits/updated",
                                                        "background_event",
                                                        "session_configured",
                                                        "plan_update",
                                                        "mcp_list_tools_response",
                                                        "list_custom_prompts_response",
                                                        "shutdown_complete",
                                                        "get_history_entry_response",
                                                        "raw_response_item",
                                                        "terminal_interaction",
                                                        "collab_agent_spawn_begin",
                                                        "collab_agent_interaction_begin",
                                                        "collab_waiting_begin",
                                                        "collab_close_begin",
                                                        "stream_error",
                                                        "deprecation_notice",
                                                        "warning"};

// event_msg types kept as meta steps (the text is built in eventMeta).
const std::unordered_set<std::string> kMetaEvents = {"error",
                                                     "turn_aborted",
                                                     "entered_review_mode",
                                                     "exited_review_mode",
                                                     "undo_completed",
                                                     "thread_goal_updated",
                                                     "collab_agent_spawn_end",
                                                     "collab_agent_interaction_end",
                                                     "collab_waiting_end",
                                                     "collab_close_end",
                                                     "sub_agent_activity",
                                                     "guardian_assessment"};

// Top-level record types with nothing to show.
const std::unordered_set<std::string> kIgnoredRecords = {"world_state", "token_usage_record",
                                                         "inter_agent_communication_metadata"};

// Tools whose call is a command line.
const std::unordered_set<std::string> kShellTools = {
    "shell",       "shell_command",  "exec_command", "local_shell_call",
    "local_shell", "container.exec", "bash",         "run_shell_command"};

// Text Codex puts into user messages itself: context, not prompts.
constexpr std::string_view kInjected[] = {"# AGENTS.md instructions", "<environment_context>",
                                          "<user_instructions>",      "<INSTRUCTIONS>",
                                          "<skills_instructions>",    "<permissions instructions>",
                                          "<turn_aborted>",           "<user_shell_command>",
                                          "<subagent_notification>",  "<collaboration_mode>"};

// The session uuid at the end of `rollout-<time>-<uuid>`, or "".
std::string uuidFromName(const std::string &stem) {
  if (stem.size() < 36)
    return {};
  const std::string tail = stem.substr(stem.size() - 36);
  return isUuid(tail) ? tail : std::string();
}

bool isInjected(std::string_view text) {
  const std::string s = trim(text.substr(0, 64));
  for (std::string_view p : kInjected)
    if (startsWith(s, p))
      return true;
  return false;
}

// Text of a content value: a string, one {type, text} block or an array of them (images as
// "[image]" unless `images` is false), joined by newlines.
std::string contentText(const json &content, bool images = true) {
  if (content.is_string())
    return content.get<std::string>();
  if (content.is_object()) {
    const std::string &type = js::str(content, "type");
    if (type == "input_image" || type == "image")
      return images ? "[image]" : "";
    return js::str(content, "text");
  }
  std::string out;
  if (!content.is_array())
    return out;
  for (const auto &b : content) {
    std::string piece = contentText(b, images);
    if (piece.empty())
      continue;
    if (!out.empty())
      out += "\n";
    out += piece;
  }
  return out;
}

// Reasoning text: the summary parts, else the raw content parts.
std::string reasoningText(const json &p) {
  std::string out = contentText(js::get(p, "summary"));
  if (out.empty())
    out = contentText(js::get(p, "content"));
  return out;
}

std::optional<int> leadingInt(std::string_view s) {
  while (!s.empty() && s[0] == ' ')
    s.remove_prefix(1);
  bool neg = !s.empty() && s[0] == '-';
  if (neg)
    s.remove_prefix(1);
  int v = 0;
  size_t n = 0;
  while (n < s.size() && n < 6 && s[n] >= '0' && s[n] <= '9')
    v = v * 10 + (s[n++] - '0');
  if (n == 0)
    return std::nullopt;
  return neg ? -v : v;
}

std::string quoteArg(const std::string &a) {
  if (!a.empty() && a.find_first_of(" \t\n'\"$\\;&|<>()*?") == std::string::npos)
    return a;
  std::string out = "'";
  for (char c : a)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A command line from an argv: the script of `bash -lc <script>`, else the words joined.
std::string joinArgv(const json &argv) {
  std::vector<std::string> w;
  for (const auto &a : argv)
    if (a.is_string())
      w.push_back(a.get<std::string>());
  if (w.size() >= 3) {
    const std::string sh = fs::path(w[0]).filename().string();
    if ((sh == "bash" || sh == "sh" || sh == "zsh") && (w[1] == "-lc" || w[1] == "-c"))
      return w[2];
  }
  std::string out;
  for (const auto &s : w)
    out += (out.empty() ? "" : " ") + quoteArg(s);
  return out;
}

// The command of a shell tool's arguments: `command` (argv or string), `cmd`, or a
// local_shell_call's `action.command`.
std::string commandOf(const json &args) {
  for (const char *k : {"command", "cmd"}) {
    const json &c = js::get(args, k);
    if (c.is_string())
      return c.get<std::string>();
    if (c.is_array())
      return joinArgv(c);
  }
  if (args.is_array())
    return joinArgv(args);
  if (args.is_string())
    return args.get<std::string>();
  return {};
}

// Files named by an apply_patch text: [{path, op, moveTo?}] in patch order.
json patchFiles(std::string_view patch) {
  json files = json::array();
  size_t pos = 0;
  while (pos < patch.size()) {
    size_t end = patch.find('\n', pos);
    if (end == std::string_view::npos)
      end = patch.size();
    std::string_view l = patch.substr(pos, end - pos);
    if (!l.empty() && l.back() == '\r')
      l.remove_suffix(1);
    pos = end + 1;
    for (auto [prefix, op] : {std::pair{"*** Add File: ", "add"},
                              {"*** Update File: ", "update"},
                              {"*** Delete File: ", "delete"}})
      if (startsWith(l, prefix))
        files.push_back({{"path", trim(l.substr(std::string_view(prefix).size()))}, {"op", op}});
    if (startsWith(l, "*** Move to: ") && !files.empty())
      files.back()["moveTo"] = trim(l.substr(13));
  }
  return files;
}

// The patch of `apply_patch <<'EOF' … EOF` inside a shell command, or "".
std::string heredocPatch(const std::string &command) {
  if (command.find("apply_patch") == std::string::npos)
    return {};
  const size_t a = command.find("*** Begin Patch");
  if (a == std::string::npos)
    return {};
  const std::string endMark = "*** End Patch";
  const size_t b = command.find(endMark, a);
  if (b == std::string::npos)
    return command.substr(a);
  return command.substr(a, b + endMark.size() - a) + "\n";
}

// The patch of a shell call that runs apply_patch: argv ["apply_patch", patch] (0.3x), else
// `apply_patch <<'EOF' … EOF` inside the command line; "" for any other command.
std::string shellPatch(const json &args, const std::string &command) {
  const json &argv = js::get(args, "command");
  if (argv.is_array() && argv.size() >= 2 && argv[0].is_string() && argv[1].is_string()) {
    const std::string &prog = argv[0].get_ref<const std::string &>();
    if (prog == "apply_patch" || prog == "applypatch")
      return argv[1].get<std::string>();
  }
  return heredocPatch(command);
}

// A tool's arguments as JSON: a JSON string is decoded when it holds an object or array.
json decodeArgs(const json &raw) {
  if (!raw.is_string())
    return raw;
  const std::string &s = raw.get_ref<const std::string &>();
  const std::string t = trim(s.substr(0, 8));
  if (!t.empty() && (t[0] == '{' || t[0] == '[')) {
    json j = json::parse(s, nullptr, false);
    if (!j.is_discarded())
      return j;
  }
  return raw;
}

struct Output {
  std::string text;
  std::optional<int> exitCode;
  json data;
  bool error = false;
  bool truncated = false; // Codex cut the output, or its header could not be taken off
};

// Splits the header Codex puts before a tool output ("Exit code: 0", "Wall time: …",
// "Process exited with code 1", "Chunk ID: …", "Output:") from the output itself; `truncated`
// when Codex shortened it ("Total output lines:") or the header had no "Output:" line.
void stripHeader(Output &o) {
  const std::string &s = o.text;
  size_t pos = 0;
  bool header = false, cut = false;
  for (int n = 0; n < 8 && pos < s.size(); ++n) {
    size_t end = s.find('\n', pos);
    if (end == std::string::npos)
      end = s.size();
    const std::string_view l(s.data() + pos, end - pos);
    if (startsWith(l, "Exit code:"))
      o.exitCode = leadingInt(l.substr(10));
    else if (startsWith(l, "Process exited with code "))
      o.exitCode = leadingInt(l.substr(25));
    else if (l == "Output:") {
      o.truncated = cut;
      o.text = s.substr(std::min(end + 1, s.size()));
      return;
    } else if (startsWith(l, "Total output lines:"))
      cut = true; // Codex counts the lines of an output it shortened
    else if (!startsWith(l, "Wall time:") && !startsWith(l, "Chunk ID:") &&
             !startsWith(l, "Original token count:") &&
             !startsWith(l, "Process running with session ID")) {
      o.truncated = header; // not a header: keep the text whole
      return;
    }
    header = true;
    pos = end + 1;
  }
  o.truncated = header; // a header without its "Output:" line
}

// A tool output as Codex wrote it: the 0.4x JSON string {"output","metadata":{"exit_code"}},
// text with a header, content blocks, or a legacy {stdout, stderr, exitCode} result.
Output decodeOutput(const json &raw) {
  Output o;
  if (raw.is_object() && (raw.contains("stdout") || raw.contains("exitCode"))) {
    o.text = js::str(raw, "stdout");
    if (const std::string &err = js::str(raw, "stderr"); !err.empty())
      o.text += (o.text.empty() ? "" : "\n") + err;
    if (auto c = js::integer(raw, "exitCode"))
      o.exitCode = static_cast<int>(*c);
  } else if (raw.is_object() && js::get(raw, "content").is_string()) {
    o.text = js::str(raw, "content");
    o.error = js::get(raw, "success").is_boolean() && !js::flag(raw, "success");
  } else {
    o.text = contentText(raw);
  }
  const std::string t = trim(o.text.substr(0, 16));
  if (startsWith(t, "{\"output\"") || startsWith(t, "{\"metadata\"")) {
    json j = json::parse(o.text, nullptr, false);
    if (j.is_object() && j.contains("output")) {
      const json &md = js::get(j, "metadata");
      o.text = contentText(js::get(j, "output"));
      if (auto c = js::integer(md, "exit_code"))
        o.exitCode = static_cast<int>(*c);
      if (!md.is_null())
        o.data = {{"metadata", md}};
      return o;
    }
  }
  stripHeader(o);
  return o;
}

// --- normalized changes and reads (model/Model.h) ---------------------------------------------

// The changes of an apply_patch text, one per file section in patch order. Lines are read as
// Codex reads them (a trailing "\r" dropped); an Add File's content is its '+' lines, each
// ending with "\n"; an Update File's "patch" is the section body after its headers.
json patchChanges(std::string_view patch, const std::string &cwd) {
  json out = json::array();
  json cur;
  std::string body;
  auto finish = [&] {
    if (cur.is_null())
      return;
    const std::string &op = js::str(cur, "op");
    if (op == "write")
      cur["content"] = body;
    else if (op == "patch")
      cur["patch"] = body;
    out.push_back(std::move(cur));
    cur = nullptr;
    body.clear();
  };
  size_t pos = 0;
  while (pos < patch.size()) {
    size_t end = patch.find('\n', pos);
    if (end == std::string_view::npos)
      end = patch.size();
    std::string_view l = patch.substr(pos, end - pos);
    if (!l.empty() && l.back() == '\r')
      l.remove_suffix(1);
    pos = end + 1;
    bool header = false;
    for (auto [prefix, op] : {std::pair{"*** Add File: ", "write"},
                              {"*** Update File: ", "patch"},
                              {"*** Delete File: ", "delete"}})
      if (startsWith(l, prefix)) {
        finish();
        const std::string path = trim(l.substr(std::string_view(prefix).size()));
        cur = {{"path", absolutePath(path, cwd)}, {"op", op}};
        header = true;
      }
    if (header || startsWith(l, "*** Begin Patch"))
      continue;
    if (startsWith(l, "*** End Patch")) {
      finish();
      continue;
    }
    const std::string &op = js::str(cur, "op");
    if (op == "patch" && body.empty() && startsWith(l, "*** Move to: "))
      cur["to"] = absolutePath(trim(l.substr(13)), cwd);
    else if (op == "patch")
      body.append(l).append("\n");
    else if (op == "write" && !l.empty() && l[0] == '+')
      body.append(l.substr(1)).append("\n");
  }
  finish();
  return out;
}

// One entry of a patch_apply_end `changes` map as a normalized change. The entry is
// {type, content | unified_diff, move_path} (older versions: {"update": {…}}).
json appliedChange(const std::string &path, const json &v, const std::string &cwd) {
  std::string type = js::str(v, "type");
  const json *body = &v;
  if (type.empty() && v.is_object() && v.size() == 1) {
    type = v.begin().key();
    body = &v.begin().value();
  }
  json c = {{"path", absolutePath(path, cwd)}};
  if (type == "add") {
    c["op"] = "write";
    c["content"] = js::str(*body, "content");
  } else if (type == "delete") {
    c["op"] = "delete";
    if (const json &before = js::get(*body, "content"); before.is_string())
      c["before"] = before;
  } else if (type == "update") {
    const std::string &diff = js::str(*body, "unified_diff");
    std::string hunks = hunksOnly(diff);
    if (hunks.empty() && !trim(diff).empty()) {
      c["op"] = "unknown";
      c["reason"] = "the recorded unified_diff has no hunks";
    } else {
      c["op"] = "unified";
      c["diff"] = std::move(hunks);
    }
    if (const std::string &to = js::str(*body, "move_path"); !to.empty())
      c["to"] = absolutePath(to, cwd);
  } else {
    c["op"] = "unknown";
    c["reason"] = "unknown change type '" + type + "'";
  }
  return c;
}

// The one file of a command that is exactly `cat <path>` (the path one word, quoted or not,
// with nothing a shell would expand), or "".
std::string catTarget(const std::string &command) {
  const std::string s = trim(command);
  if (!startsWith(s, "cat "))
    return {};
  const std::string w = trim(std::string_view(s).substr(4));
  if (w.size() >= 2 && w[0] == '\'' && w.back() == '\'' && w.find('\'', 1) == w.size() - 1)
    return w.substr(1, w.size() - 2);
  if (w.size() >= 2 && w[0] == '"' && w.back() == '"' &&
      w.substr(1, w.size() - 2).find_first_of("\"$`\\") == std::string::npos)
    return w.substr(1, w.size() - 2);
  if (w.empty() || w[0] == '-' ||
      w.find_first_of(" \t\n;&|<>()$`\\'\"*?[]{}~#!") != std::string::npos)
    return {};
  return w;
}

// data.read of a `cat` whose output is `text`. Complete unless the output was cut (the caller
// says so, or it carries one of Codex's truncation marks) or decoded lossily (U+FFFD).
json catRead(const std::string &path, const std::string &text, bool truncated) {
  const bool cut = truncated || text.find("tokens truncated\u2026") != std::string::npos ||
                   text.find("chars truncated\u2026") != std::string::npos ||
                   text.find("[... omitted ") != std::string::npos ||
                   text.find("\uFFFD") != std::string::npos;
  return {{"path", path}, {"content", text}, {"complete", !cut}};
}

std::optional<int64_t> recordTime(const json &r) {
  if (auto t = parseIsoTime(js::str(r, "timestamp")))
    return t;
  return parseIsoTime(js::str(r, "created_at"));
}

} // namespace

namespace {

class CodexParser : public FileParser {
public:
  CodexParser(const fs::path &path, const json &state) {
    const std::string stem = path.stem().string();
    fallbackId_ = uuidFromName(stem);
    if (fallbackId_.empty())
      fallbackId_ = stem;
    if (!state.is_object())
      return;
    nativeId_ = js::str(state, "native");
    if (!nativeId_.empty())
      sessionId_ = "codex:" + nativeId_;
    titled_ = js::flag(state, "titled");
    metaSeen_ = js::flag(state, "meta");
    responseMessages_ = js::flag(state, "responseItems");
    for (const auto &[id, flags] : js::get(state, "open").items())
      if (flags.is_number_integer())
        open_[id] = flags.get<int>();
    cwd_ = js::str(state, "cwd");
    for (const auto &[id, file] : js::get(state, "reads").items())
      if (file.is_string())
        reads_[id] = file.get<std::string>();
  }

  json state() const override {
    json s = {{"titled", titled_}, {"meta", metaSeen_}, {"responseItems", responseMessages_}};
    if (!nativeId_.empty())
      s["native"] = nativeId_;
    if (!open_.empty()) {
      json o = json::object(), reads = json::object();
      for (const auto &[id, flags] : open_) {
        o[id] = flags;
        if (auto it = reads_.find(id); it != reads_.end())
          reads[id] = it->second;
      }
      s["open"] = std::move(o);
      if (!reads.empty())
        s["reads"] = std::move(reads);
    }
    if (!cwd_.empty())
      s["cwd"] = cwd_;
    return s;
  }

  void line(std::string_view text, int64_t lineNo, Sink &sink) override {
    if (auto r = parseRecordLine(text, lineNo, sink))
      record(*r, lineNo, sink);
  }

private:
  struct Copy {
    EventKind kind;
    std::string text;
  };

  const std::string &session() {
    if (sessionId_.empty()) {
      nativeId_ = fallbackId_;
      sessionId_ = "codex:" + nativeId_;
    }
    return sessionId_;
  }

  SessionInfo info(std::optional<int64_t> t) {
    SessionInfo s;
    s.id = session();
    s.agent = "codex";
    s.nativeId = nativeId_;
    s.started = s.ended = t;
    return s;
  }

  Event base(EventKind kind, std::optional<int64_t> t, const json &p = json()) {
    Event e;
    e.sessionId = session();
    e.kind = kind;
    e.time = t;
    e.uuid = js::str(p, "id");
    return e;
  }

  void record(const json &r, int64_t lineNo, Sink &sink) {
    const std::string &type = js::str(r, "type");
    const json &p = js::get(r, "payload");
    const auto t = recordTime(r);
    if (!p.is_object()) {
      legacy(r, t, lineNo, sink);
      return;
    }
    if (type == "session_meta") {
      sessionMeta(p, t, sink);
      return;
    }
    if (kIgnoredRecords.count(type))
      return;
    if (t)
      sink.session(info(t));
    if (type == "turn_context")
      turnContext(p, t, sink);
    else if (type == "response_item")
      responseItem(p, r, t, lineNo, sink);
    else if (type == "event_msg")
      eventMsg(p, r, t, lineNo, sink);
    else if (type == "compacted")
      compacted(p, t, sink);
    else
      unknown(r, type, t, sink);
  }

  // Lines without the envelope (CLI before ~0.4x): a first {id, timestamp, instructions, git}
  // line, {"record_type":"state"} lines, then bare ResponseItems.
  void legacy(const json &r, std::optional<int64_t> t, int64_t lineNo, Sink &sink) {
    if (r.contains("record_type"))
      return;
    const bool item = r.contains("type") || r.contains("role");
    if (!item && js::str(r, "id").size() > 0) {
      sessionMeta(r, t, sink);
      return;
    }
    if (t)
      sink.session(info(t));
    if (item)
      responseItem(r, r, t, lineNo, sink);
    else
      unknown(r, "", t, sink);
  }

  void sessionMeta(const json &p, std::optional<int64_t> t, Sink &sink) {
    if (metaSeen_)
      return; // a resumed or forked file repeats its parent's session_meta: not a new session
    metaSeen_ = true;
    if (sessionId_.empty() && !js::str(p, "id").empty()) {
      nativeId_ = js::str(p, "id");
      sessionId_ = "codex:" + nativeId_;
    }
    SessionInfo s = info(t ? t : parseIsoTime(js::str(p, "timestamp")));
    s.project = js::str(p, "cwd");
    if (!s.project.empty())
      cwd_ = s.project;
    const json &git = js::get(p, "git");
    s.branch = js::str(git, "branch");
    s.commit = js::str(git, "commit_hash");
    s.version = js::str(p, "cli_version");
    const json &sub = js::get(js::get(p, "source"), "subagent");
    std::string parent = js::str(js::get(sub, "thread_spawn"), "parent_thread_id");
    if (!sub.is_null()) {
      s.isSubagent = true;
      if (parent.empty())
        parent = js::str(p, "parent_thread_id");
    }
    if (parent.empty())
      parent = js::str(p, "forked_from_id");
    if (!parent.empty())
      s.parentId = "codex:" + parent;
    sink.session(s);
    Event e = base(EventKind::Meta, s.started);
    e.tool = "session_meta";
    e.text = "Codex " + (s.version.empty() ? std::string("session") : s.version);
    json d = json::object();
    for (const char *k : {"originator", "source", "model_provider", "cli_version", "forked_from_id",
                          "parent_thread_id", "agent_nickname", "agent_role"})
      if (p.contains(k) && !p[k].is_null())
        d[k] = p[k];
    if (auto &o = js::str(p, "originator"); !o.empty())
      e.text += " (" + o + ")";
    e.data = std::move(d);
    sink.event(std::move(e));
  }

  void turnContext(const json &p, std::optional<int64_t> t, Sink &sink) {
    SessionInfo s = info(t);
    s.model = js::str(p, "model");
    s.project = js::str(p, "cwd");
    if (!s.project.empty())
      cwd_ = s.project; // the folder this turn's commands and patches run in
    if (!s.model.empty() || !s.project.empty())
      sink.session(s);
  }

  void compacted(const json &p, std::optional<int64_t> t, Sink &sink) {
    Event e = base(EventKind::Summary, t);
    e.tool = "compaction";
    e.text = js::str(p, "message");
    if (trim(e.text).empty())
      e.text = "Conversation compacted";
    const json &h = js::get(p, "replacement_history");
    if (h.is_array())
      e.data = {{"replacementItems", h.size()}};
    sink.event(std::move(e));
  }

  void unknown(const json &r, const std::string &type, std::optional<int64_t> t, Sink &sink) {
    Event e = base(EventKind::Meta, t);
    e.tool = type.empty() ? "unknown" : type;
    e.data = {{"raw", r}};
    sink.unknownRecord();
    sink.event(std::move(e));
  }

  void responseItem(const json &p, const json &r, std::optional<int64_t> t, int64_t lineNo,
                    Sink &sink) {
    std::string type = js::str(p, "type");
    if (type.empty() && p.contains("role"))
      type = "message";
    if (type == "message")
      message(p, t, sink);
    else if (type == "reasoning")
      reasoning(p, t, sink);
    else if (type == "function_call" || type == "custom_tool_call" || type == "local_shell_call" ||
             type == "tool_call")
      call(p, type, t, lineNo, sink);
    else if (type == "function_call_output" || type == "custom_tool_call_output" ||
             type == "function_result" || type == "tool_result")
      output(p, t, sink);
    else if (type == "ghost_snapshot")
      return;
    else
      otherItem(p, r, type, t, sink);
  }

  // Response items that are neither messages nor function calls.
  void otherItem(const json &p, const json &r, const std::string &type, std::optional<int64_t> t,
                 Sink &sink) {
    if (type == "web_search_call" || type == "tool_search_call" ||
        type == "image_generation_call") {
      Event e = base(EventKind::ToolCall, t, p);
      e.tool = type.substr(0, type.size() - 5);
      e.callId = js::str(p, "call_id");
      const json &action = js::get(p, "action");
      e.text = js::str(action, "query");
      if (e.text.empty())
        e.text = js::str(action, "url");
      if (e.text.empty())
        e.text = js::str(p, "revised_prompt");
      if (e.text.empty())
        e.text = js::stringValues(js::get(p, "arguments"));
      e.data = {{"input", action.is_null() ? js::get(p, "arguments") : action}};
      sink.event(std::move(e));
    } else if (type == "tool_search_output") {
      Event e = base(EventKind::ToolResult, t, p);
      e.callId = js::str(p, "call_id");
      for (const auto &tool : js::get(p, "tools"))
        e.text += (e.text.empty() ? "" : "\n") + js::str(tool, "name");
      sink.event(std::move(e));
    } else if (type == "agent_message") {
      Event e = base(EventKind::Meta, t, p); // a message between agents of one thread
      e.tool = "agent_message";
      e.text = contentText(js::get(p, "content"));
      e.data = {{"author", js::get(p, "author")}, {"recipient", js::get(p, "recipient")}};
      sink.event(std::move(e));
    } else {
      unknown(r, type.empty() ? "response_item" : type, t, sink);
    }
  }

  // The text of a message item: its content, or a legacy `message` string.
  static std::string messageText(const json &p) {
    std::string text = contentText(js::get(p, "content"));
    if (text.empty())
      text = js::str(p, "message");
    return text;
  }

  void message(const json &p, std::optional<int64_t> t, Sink &sink) {
    const std::string &role = js::str(p, "role");
    std::string text = messageText(p);
    if (text.empty())
      return;
    if (role == "user" && isInjected(text)) {
      meta(std::move(text), "injected", t, p, sink);
      return;
    }
    if (role != "user" && role != "assistant") {
      meta(std::move(text), role.empty() ? "message" : role, t, p, sink);
      return;
    }
    const EventKind kind = role == "user" ? EventKind::User : EventKind::Assistant;
    responseMessages_ = true;
    // The event copy holds the typed text only, without the "[image]" placeholders.
    if (takeCopy(kind, text) || takeCopy(kind, contentText(js::get(p, "content"), false)))
      return; // already emitted from its event_msg copy
    if (kind == EventKind::User) {
      prompt(std::move(text), t, p, sink);
      return;
    }
    Event e = base(kind, t, p);
    e.text = std::move(text);
    sink.event(std::move(e));
  }

  void reasoning(const json &p, std::optional<int64_t> t, Sink &sink) {
    std::string text = reasoningText(p);
    responseMessages_ = true;
    if (trim(text).empty() || takeCopy(EventKind::Reasoning, text))
      return;
    Event e = base(EventKind::Reasoning, t, p);
    e.text = std::move(text);
    sink.event(std::move(e));
  }

  void meta(std::string text, std::string tool, std::optional<int64_t> t, const json &p,
            Sink &sink) {
    Event e = base(EventKind::Meta, t, p);
    e.text = std::move(text);
    e.tool = std::move(tool);
    sink.event(std::move(e));
  }

  void prompt(std::string text, std::optional<int64_t> t, const json &p, Sink &sink) {
    if (!titled_) {
      SessionInfo s = info(std::nullopt);
      s.title = titleFrom(text);
      s.titleRank = TitleFirstPrompt;
      sink.session(s);
      titled_ = true;
    }
    Event e = base(EventKind::User, t, p);
    e.text = std::move(text);
    sink.event(std::move(e));
  }

  // True (and forgotten) when an event_msg copy with this kind and text was emitted.
  bool takeCopy(EventKind kind, const std::string &text) {
    const std::string key = trim(text);
    for (auto it = copies_.begin(); it != copies_.end(); ++it)
      if (it->kind == kind && it->text == key) {
        copies_.erase(it);
        return true;
      }
    return false;
  }

  // An event_msg copy of a message: kept only while the file has shown no response items.
  void copy(EventKind kind, std::string text, std::optional<int64_t> t, Sink &sink,
            bool injected = false) {
    if (responseMessages_ || trim(text).empty())
      return;
    copies_.push_back({kind, trim(text)});
    if (copies_.size() > 16)
      copies_.pop_front();
    if (kind == EventKind::User && !injected && !isInjected(text)) {
      prompt(std::move(text), t, json(), sink);
      return;
    }
    Event e = base(kind == EventKind::User ? EventKind::Meta : kind, t);
    if (e.kind == EventKind::Meta)
      e.tool = "injected";
    e.text = std::move(text);
    sink.event(std::move(e));
  }

  // function_call / custom_tool_call / local_shell_call (and legacy tool_call) -> shell, edit or
  // tool_call. A call without a call_id gets "line-<n>", paired with the next id-less output.
  void call(const json &p, const std::string &type, std::optional<int64_t> t, int64_t lineNo,
            Sink &sink) {
    std::string name = js::str(p, "name");
    if (name.empty())
      name = js::str(js::get(p, "function"), "name");
    json args;
    if (type == "local_shell_call") {
      name = "local_shell_call";
      args = js::get(p, "action");
    } else if (p.contains("arguments")) {
      args = decodeArgs(p["arguments"]);
    } else {
      args = decodeArgs(js::get(p, "input"));
    }
    Event e = base(EventKind::ToolCall, t, p);
    e.tool = name;
    e.callId = js::str(p, "call_id");
    if (e.callId.empty() && type == "local_shell_call")
      e.callId = js::str(p, "id");
    if (e.callId.empty()) {
      e.callId = "line-" + std::to_string(lineNo);
      noIdCalls_.push_back(e.callId);
      if (noIdCalls_.size() > 16)
        noIdCalls_.pop_front();
    }
    std::string patch;
    if (name == "apply_patch") {
      patch = args.is_string() ? args.get<std::string>() : js::str(args, "input");
      if (patch.empty())
        patch = js::str(args, "patch");
    } else if (kShellTools.count(name)) {
      e.command = commandOf(args);
      patch = shellPatch(args, e.command);
      if (patch.empty())
        e.kind = EventKind::Shell;
    }
    // Where the call runs: its own workdir (relative to the session's), else the session's.
    std::string workdir =
        js::str(args, type == "local_shell_call" ? "working_directory" : "workdir");
    workdir = workdir.empty() ? cwd_ : absolutePath(workdir, cwd_);
    if (name == "apply_patch" || !patch.empty()) {
      toEdit(e, patch);
      e.data["changes"] = patchChanges(patch, workdir);
    } else if (e.kind == EventKind::ToolCall) {
      e.text = js::stringValues(args);
      e.path = js::str(args, "path");
    }
    if (!e.data.is_object() && !args.is_null())
      e.data = {{"input", args}};
    if (e.kind == EventKind::Shell) {
      if (!workdir.empty())
        e.data["cwd"] = workdir;
      // On a tty "\n" comes back as "\r\n": the output is then not the file's bytes.
      if (const std::string file = catTarget(e.command); !file.empty() && !js::flag(args, "tty"))
        reads_[e.callId] = absolutePath(file, workdir);
    }
    if (e.kind != EventKind::ToolCall)
      open_[e.callId] = e.kind == EventKind::Edit ? kEdit : 0;
    sink.event(std::move(e));
  }

  static void toEdit(Event &e, const std::string &patch) {
    e.kind = EventKind::Edit;
    const json files = patchFiles(patch);
    json input = {{"patch", patch}, {"files", files}};
    if (!e.command.empty())
      input["command"] = e.command; // a shell command that ran apply_patch with a heredoc
    e.command.clear();
    e.tool = "apply_patch";
    e.text = patch;
    if (!files.empty())
      e.path = js::str(files[0], "path");
    e.data = {{"input", std::move(input)}};
  }

  void output(const json &p, std::optional<int64_t> t, Sink &sink) {
    std::string callId = js::str(p, "call_id");
    if (callId.empty() && !noIdCalls_.empty()) {
      callId = noIdCalls_.front();
      noIdCalls_.pop_front();
    }
    int flags = 0;
    if (auto it = open_.find(callId); it != open_.end()) {
      flags = it->second;
      open_.erase(it);
      closed_.insert(callId);
    }
    // A shell call's *_end already gave the full output and exit code: this (maybe truncated)
    // copy would replace them. An edit keeps its own text, so its output only adds the exit
    // code and the result line — without data, which would replace the *_end's changes.
    if ((flags & kEnded) && !(flags & kEdit))
      return;
    Output o = decodeOutput(p.contains("output") ? p["output"] : js::get(p, "result"));
    if (flags & kEnded)
      o.data = nullptr;
    Event e = base(EventKind::ToolResult, t, p);
    e.callId = std::move(callId);
    e.tool = js::str(p, "name");
    e.text = std::move(o.text);
    e.exitCode = o.exitCode;
    e.isError = o.error || (o.exitCode && *o.exitCode != 0);
    e.data = std::move(o.data);
    if (auto it = reads_.find(e.callId); it != reads_.end() && e.exitCode == 0 && !e.isError) {
      if (!e.data.is_object())
        e.data = json::object();
      e.data["read"] = catRead(it->second, e.text, o.truncated);
    }
    sink.event(std::move(e));
  }

  void eventMsg(const json &p, const json &r, std::optional<int64_t> t, int64_t lineNo,
                Sink &sink) {
    const std::string &type = js::str(p, "type");
    if (type == "user_message") {
      const std::string &kind = js::str(p, "kind");
      copy(EventKind::User, js::str(p, "message"), t, sink, !kind.empty() && kind != "plain");
    } else if (type == "agent_message") {
      copy(EventKind::Assistant, js::str(p, "message"), t, sink);
    } else if (type == "agent_reasoning") {
      copy(EventKind::Reasoning, js::str(p, "text"), t, sink);
    } else if (type == "item_completed") {
      itemCompleted(js::get(p, "item"), t, sink);
    } else if (type == "exec_command_end") {
      execEnd(p, t, sink);
    } else if (type == "patch_apply_end") {
      patchEnd(p, t, sink);
    } else if (type == "thread_name_updated") {
      SessionInfo s = info(t);
      s.title = titleFrom(js::str(p, "thread_name"));
      s.titleRank = TitleUser;
      sink.session(s);
    } else if (type == "tool_call") {
      call(p, type, t, lineNo, sink);
    } else if (type == "task_complete") {
      if (const json &err = js::get(p, "error"); err.is_object())
        eventMeta(p, "turn_failed", js::str(err, "message"), t, sink);
    } else if (kMetaEvents.count(type)) {
      eventMeta(p, type, metaText(p, type), t, sink);
    } else if (!kIgnoredEvents.count(type)) {
      unknown(r, "event_msg:" + type, t, sink);
    }
  }

  // The readable line of a meta event_msg.
  static std::string metaText(const json &p, const std::string &type) {
    auto first = [&](std::initializer_list<const char *> keys) {
      for (const char *k : keys)
        if (const std::string &s = js::str(p, k); !s.empty())
          return s;
      return js::str(js::get(p, "error"), "message");
    };
    if (type == "error")
      return first({"message"});
    if (type == "turn_aborted")
      return "Turn aborted: " + first({"reason"});
    if (type == "entered_review_mode")
      return "Review started: " + first({"user_facing_hint", "prompt"});
    if (type == "exited_review_mode")
      return "Review finished: " + js::str(js::get(p, "review_output"), "overall_explanation");
    if (type == "thread_goal_updated")
      return "Goal: " + js::str(js::get(p, "goal"), "objective");
    if (type == "sub_agent_activity")
      return first({"kind"}) + " " + first({"agent_path", "agent_thread_id"});
    if (type == "guardian_assessment")
      return first({"status"}) + " " + first({"rationale"});
    return first({"message", "prompt", "new_agent_nickname", "receiver_agent_nickname"});
  }

  void eventMeta(const json &p, const std::string &type, std::string text, std::optional<int64_t> t,
                 Sink &sink) {
    Event e = base(EventKind::Meta, t);
    e.tool = type;
    e.text = trim(text);
    e.isError = type == "error" || type == "turn_failed" ||
                (type == "undo_completed" && !js::flag(p, "success"));
    e.data = {{"event", p}};
    sink.event(std::move(e));
  }

  // 0.1xx `item_completed`: copies of messages, and the ends of commands and patches.
  void itemCompleted(const json &item, std::optional<int64_t> t, Sink &sink) {
    const std::string &type = js::str(item, "type");
    if (type == "UserMessage")
      copy(EventKind::User, contentText(js::get(item, "content")), t, sink);
    else if (type == "AgentMessage")
      copy(EventKind::Assistant, contentText(js::get(item, "content")), t, sink);
    else if (type == "Reasoning")
      copy(EventKind::Reasoning, contentText(js::get(item, "summary_text")), t, sink);
    else if (type == "CommandExecution")
      execEnd(item, t, sink);
    else if (type == "FileChange")
      patchEnd(item, t, sink);
    else if (type == "Plan" && !js::str(item, "text").empty())
      meta(js::str(item, "text"), "plan", t, item, sink);
    // McpToolCall, Extension (web search), …: the response items already hold them.
  }

  // Whether an *_end result for `id` should be emitted (see "Results" at the top).
  bool wantEnd(const std::string &id) {
    if (id.empty())
      return false;
    if (auto it = open_.find(id); it != open_.end()) {
      it->second |= kEnded;
      return true;
    }
    return closed_.count(id) > 0;
  }

  static std::string callIdOf(const json &p) {
    const std::string &id = js::str(p, "call_id");
    return id.empty() ? js::str(p, "id") : id;
  }

  void execEnd(const json &p, std::optional<int64_t> t, Sink &sink) {
    const std::string id = callIdOf(p);
    if (!wantEnd(id))
      return;
    Event e = base(EventKind::ToolResult, t);
    e.callId = id;
    e.text = js::str(p, "aggregated_output");
    if (e.text.empty()) {
      e.text = js::str(p, "stdout");
      if (const std::string &err = js::str(p, "stderr"); !err.empty())
        e.text += (e.text.empty() ? "" : "\n") + err;
    }
    if (e.text.empty())
      e.text = js::str(p, "formatted_output");
    if (auto c = js::integer(p, "exit_code"))
      e.exitCode = static_cast<int>(*c);
    const std::string &status = js::str(p, "status");
    e.isError = (e.exitCode && *e.exitCode != 0) || status == "failed" || status == "declined";
    json d = json::object();
    for (const char *k :
         {"exit_code", "duration", "cwd", "status", "parsed_cmd", "stdout", "stderr"})
      if (p.contains(k) && !p[k].is_null())
        d[k] = p[k];
    const json &dur = js::get(p, "duration");
    const auto secs = js::integer(dur, "secs"), nanos = js::integer(dur, "nanos");
    if (secs || nanos)
      d["durationMs"] = secs.value_or(0) * 1000 + nanos.value_or(0) / 1000000;
    // The command's own output, not shortened for the model (item_completed CommandExecution
    // keeps only the aggregated one); Codex holds at most 1 MiB of it.
    const json &out =
        js::get(p, "stdout").is_string() ? js::get(p, "stdout") : js::get(p, "aggregated_output");
    if (auto it = reads_.find(id);
        it != reads_.end() && e.exitCode == 0 && !e.isError && out.is_string()) {
      const std::string &text = out.get_ref<const std::string &>();
      d["read"] = catRead(it->second, text, text.size() >= (1u << 20));
    }
    e.data = std::move(d);
    sink.event(std::move(e));
  }

  void patchEnd(const json &p, std::optional<int64_t> t, Sink &sink) {
    const std::string id = callIdOf(p);
    if (!wantEnd(id))
      return;
    Event e = base(EventKind::ToolResult, t);
    e.callId = id;
    e.text = js::str(p, "stdout");
    if (const std::string &err = js::str(p, "stderr"); !err.empty())
      e.text += (e.text.empty() ? "" : "\n") + err;
    const json &ok = js::get(p, "success");
    const bool success = ok.is_boolean() ? ok.get<bool>() : js::str(p, "status") == "completed";
    e.isError = !success;
    const json &raw = js::get(p, "changes");
    json changes = json::array();
    if (raw.is_object())
      for (const auto &[path, v] : raw.items())
        changes.push_back(appliedChange(path, v, cwd_));
    e.data = {{"fileChanges", raw}, {"success", success}};
    if (success)
      e.data["changes"] = std::move(changes);
    sink.event(std::move(e));
  }

  std::string fallbackId_, nativeId_, sessionId_;
  bool titled_ = false;
  bool metaSeen_ = false;
  bool responseMessages_ = false;
  static constexpr int kEnded = 1, kEdit = 2;
  std::map<std::string, int> open_;          // shell/edit calls awaiting output -> kEnded|kEdit
  std::unordered_set<std::string> closed_;   // shell/edit calls whose output came (this run)
  std::deque<Copy> copies_;                  // event_msg copies emitted, awaiting their item
  std::deque<std::string> noIdCalls_;        // synthetic ids of calls without a call_id
  std::string cwd_;                          // the session's working folder, latest turn's
  std::map<std::string, std::string> reads_; // `cat <file>` calls -> the file, absolute
};

} // namespace

std::vector<fs::path> CodexAdapter::roots() const {
  fs::path home;
  if (const char *dir = std::getenv("CODEX_HOME"); dir && *dir)
    home = dir;
  else if (const char *h = std::getenv("HOME"); h && *h)
    home = fs::path(h) / ".codex";
  else
    return {};
  return {home / "sessions", home / "archived_sessions"};
}

int CodexAdapter::claims(const fs::path &path, std::string_view head) const {
  if (path.extension() != ".jsonl")
    return 0;
  const std::string p = path.generic_string();
  int score = 0;
  if (p.find("/.codex/") != std::string::npos || p.find("/codex/sessions/") != std::string::npos)
    score += 2;
  if (startsWith(path.filename().string(), "rollout-"))
    score += 3;
  if (head.empty())
    return score > 0 ? score : 1; // by name alone: maybe; the head decides
  for (std::string_view marker :
       {"\"session_meta\"", "\"response_item\"", "\"turn_context\"", "\"event_msg\""})
    if (head.find(marker) != std::string_view::npos) {
      score += 6;
      break;
    }
  if (head.find("\"payload\"") != std::string_view::npos)
    score += 2;
  return score;
}

std::unique_ptr<FileParser> CodexAdapter::open(const fs::path &path, const json &state) const {
  return std::make_unique<CodexParser>(path, state);
}

} // namespace mantra
