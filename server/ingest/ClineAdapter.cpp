// Cline's tasks. Each is a folder rewritten in place as the task runs (so read whole, see
// Adapter::wholeDocument):
//   api_conversation_history.json  the messages sent to the model, Anthropic MessageParam[]:
//                                  the session's steps come from here
//   ui_messages.json               what the panel showed, with times: api_req_started marks each
//                                  request, which dates the messages it sent and answered
//   task_metadata.json             model_usage (model), environment_history (Cline's version)
//   ../../state/taskHistory.json   per task: cwdOnTaskInitialization (the project), task (title)
// Older Cline (and Roo Code) call tools in XML inside the answer text —
// <execute_command><command>npm test</command></execute_command> — and return results as user
// text blocks "[execute_command for 'npm test'] Result:" followed by the output; newer ones may
// use native tool_use / tool_result blocks. Both are read:
//   <task>, <feedback>, <answer>, <user_message> text    -> user (the first: the title)
//   <environment_details>                                -> nothing (its working folder names
//                                                           the project when nothing else does)
//   answer text, <thinking>                              -> assistant, reasoning
//   execute_command                                      -> shell (the output after "Output:",
//                                                           Roo's "Exit code: N")
//   write_to_file, replace_in_file (SEARCH/REPLACE       -> edit: data.changes "write" /
//   blocks), Roo's apply_diff                               "replace" as asked; the result's
//                                                           <final_file_content> as "write"
//   read_file                                            -> tool_call + tool_result (data.read)
//   other tools, attempt_completion                      -> tool_call + tool_result
//   [TASK RESUMPTION], [ERROR] notes                     -> meta
//   anything that is not a message                       -> meta with the raw JSON, counted
// Paths are resolved against the task's working folder. ui_messages.json alone (no API
// history) gives prompts, answers and commands; the newer sessions/<id>/<id>.messages.json
// layout is read like the API history, with its own times.
#include "ingest/ClineAdapter.h"

#include "ingest/Json.h"
#include "ingest/Text.h"
#include "util/Time.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sys/stat.h>

namespace mantra {
namespace fs = std::filesystem;
using nlohmann::json;
using text::startsWith;
using text::trim;

namespace {

std::string readAll(const fs::path &p, size_t max) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) > max || ec)
    return {};
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string absolute(const std::string &p, const std::string &cwd) {
  if (p.empty())
    return p;
  fs::path path(p);
  if (path.is_relative() && !cwd.empty())
    path = fs::path(cwd) / path;
  std::string out = path.lexically_normal().generic_string();
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  return out;
}

std::optional<int64_t> msTime(const json &v) {
  if (v.is_number_integer() && v.get<int64_t>() > 0)
    return v.get<int64_t>();
  if (v.is_string())
    return parseIsoTime(v.get_ref<const std::string &>());
  return std::nullopt;
}

// --- taskHistory.json, read once per change of the file
// -------------------------------------------

json historyEntry(const fs::path &file, const std::string &taskId) {
  static std::mutex mu;
  static std::map<std::string, std::pair<std::string, std::map<std::string, json>>> cache;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return nullptr;
  const std::string stamp = std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
                            "." + std::to_string(st.st_mtim.tv_nsec);
  std::lock_guard<std::mutex> lock(mu);
  auto &slot = cache[file.string()];
  if (slot.first != stamp) {
    slot.first = stamp;
    slot.second.clear();
    const json list = json::parse(readAll(file, 256u << 20), nullptr, false);
    if (list.is_array())
      for (const auto &e : list)
        if (const std::string &id = js::str(e, "id"); !id.empty())
          slot.second[id] = e;
  }
  auto it = slot.second.find(taskId);
  return it == slot.second.end() ? json() : it->second;
}

// What the files beside the conversation say about the task.
struct TaskInfo {
  std::string id, project, title, model, version;
  bool roo = false;
  std::optional<int64_t> started, ended;
  std::vector<int64_t> requests; // api_req_started times, in order
  bool uiOnly = false;           // the claimed file is ui_messages.json (no API history)
};

// --- the XML tool calls of older Cline and of Roo Code ------------------------------------------

const char *const kTools[] = {"execute_command",
                              "read_file",
                              "write_to_file",
                              "replace_in_file",
                              "search_files",
                              "list_files",
                              "list_code_definition_names",
                              "browser_action",
                              "use_mcp_tool",
                              "access_mcp_resource",
                              "ask_followup_question",
                              "attempt_completion",
                              "plan_mode_respond",
                              "act_mode_respond",
                              "new_task",
                              "load_mcp_documentation",
                              "web_fetch",
                              "condense",
                              "summarize_task",
                              "report_bug",
                              "new_rule",
                              "apply_diff",
                              "insert_content",
                              "search_and_replace",
                              "switch_mode",
                              "codebase_search",
                              "fetch_instructions",
                              "update_todo_list",
                              "list_code_definitions"};

const char *const kParams[] = {"command",      "requires_approval",
                               "path",         "content",
                               "diff",         "regex",
                               "file_pattern", "recursive",
                               "action",       "url",
                               "coordinate",   "text",
                               "server_name",  "tool_name",
                               "arguments",    "uri",
                               "question",     "options",
                               "result",       "response",
                               "context",      "title",
                               "description",  "line_count",
                               "cwd",          "line",
                               "start_line",   "end_line",
                               "search",       "replace",
                               "use_regex",    "ignore_case",
                               "mode_slug",    "reason",
                               "message",      "query",
                               "task",         "todos",
                               "timeout",      "mode",
                               "follow_up"};

struct Block {
  enum Kind { Text, Thinking, Tool } kind;
  std::string text; // Text / Thinking
  std::string name; // Tool
  json params;      // Tool
};

// Cline's parser in brief: a known tool's opening tag starts a call that ends at its closing tag
// (the end of the text when it has none yet); inside, each parameter's value runs to its
// closing tag — for `content` and `diff` to the last one, as they may hold tags themselves.
std::vector<Block> parseText(const std::string &s) {
  std::vector<Block> out;
  std::string text;
  auto addText = [&] {
    // <thinking> blocks inside the prose.
    size_t pos = 0;
    while (true) {
      const size_t a = text.find("<thinking>", pos);
      const std::string before = trim(
          std::string_view(text).substr(pos, a == std::string::npos ? std::string::npos : a - pos));
      if (!before.empty())
        out.push_back({Block::Text, before, {}, {}});
      if (a == std::string::npos)
        break;
      const size_t b = text.find("</thinking>", a);
      const std::string inner = trim(std::string_view(text).substr(
          a + 10, b == std::string::npos ? std::string::npos : b - a - 10));
      if (!inner.empty())
        out.push_back({Block::Thinking, inner, {}, {}});
      if (b == std::string::npos)
        break;
      pos = b + 11;
    }
    text.clear();
  };
  size_t i = 0;
  while (i < s.size()) {
    const size_t lt = s.find('<', i);
    if (lt == std::string::npos) {
      text += s.substr(i);
      break;
    }
    const char *tool = nullptr;
    for (const char *t : kTools)
      if (s.compare(lt + 1, std::strlen(t), t) == 0 &&
          s.compare(lt + 1 + std::strlen(t), 1, ">") == 0) {
        tool = t;
        break;
      }
    if (!tool) {
      text += s.substr(i, lt + 1 - i);
      i = lt + 1;
      continue;
    }
    text += s.substr(i, lt - i);
    addText();
    const std::string open = "<" + std::string(tool) + ">", close = "</" + std::string(tool) + ">";
    const size_t start = lt + open.size();
    size_t end = s.find(close, start);
    const std::string inner =
        s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    json params = json::object();
    for (const char *p : kParams) {
      const std::string po = "<" + std::string(p) + ">", pc = "</" + std::string(p) + ">";
      const size_t a = inner.find(po);
      if (a == std::string::npos)
        continue;
      const bool greedy = std::strcmp(p, "content") == 0 || std::strcmp(p, "diff") == 0;
      const size_t b = greedy ? inner.rfind(pc) : inner.find(pc, a);
      if (b == std::string::npos || b < a + po.size())
        continue;
      std::string v = inner.substr(a + po.size(), b - a - po.size());
      if (greedy) {
        if (startsWith(v, "\n"))
          v.erase(0, 1);
        if (text::endsWith(v, "\n"))
          v.pop_back();
      } else {
        v = trim(v);
      }
      params[p] = v;
    }
    out.push_back({Block::Tool, {}, tool, std::move(params)});
    i = end == std::string::npos ? s.size() : end + close.size();
  }
  addText();
  return out;
}

// replace_in_file / apply_diff: the SEARCH/REPLACE blocks as replace edits ("------- SEARCH",
// "=======", "+++++++ REPLACE"; or <<<<<<< / >>>>>>> as older versions and Roo Code write them,
// Roo's ":start_line:" and "-------" lines dropped). A lone block with an empty SEARCH replaces
// the whole file: op "write".
json diffChange(const std::string &diff, const std::string &path) {
  auto marker = [](const std::string &l, char a, char b, std::string_view word) {
    std::string t = trim(l);
    if (!t.empty() && t.back() == '>')
      t.pop_back();
    size_t n = 0;
    while (n < t.size() && (t[n] == a || t[n] == b))
      ++n;
    return n >= 3 && trim(std::string_view(t).substr(n)) == word;
  };
  json edits = json::array();
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= diff.size()) {
    const size_t nl = diff.find('\n', pos);
    lines.push_back(diff.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? diff.size() + 1 : nl + 1;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!marker(lines[i], '-', '<', "SEARCH"))
      continue;
    std::string before, after;
    size_t j = i + 1;
    while (j < lines.size() && (startsWith(lines[j], ":start_line:") ||
                                startsWith(lines[j], ":end_line:") || trim(lines[j]) == "-------"))
      ++j;
    for (; j < lines.size() && !marker(lines[j], '=', '=', ""); ++j)
      before += lines[j] + "\n";
    for (++j; j < lines.size() && !marker(lines[j], '+', '>', "REPLACE"); ++j)
      after += lines[j] + "\n";
    if (j >= lines.size())
      break;
    edits.push_back({{"old", before}, {"new", after}, {"all", false}});
    i = j;
  }
  if (edits.empty())
    return {{"path", path}, {"op", "unknown"}, {"reason", "no SEARCH/REPLACE block in the diff"}};
  if (edits.size() == 1 && edits[0]["old"] == "")
    return {{"path", path}, {"op", "write"}, {"content", edits[0]["new"]}};
  return {{"path", path}, {"op", "replace"}, {"edits", std::move(edits)}};
}

// Roo Code's numbered read output ("1 | text" lines, maybe inside <content lines="…">).
std::string readContent(const std::string &raw, bool &complete) {
  std::string s = raw;
  complete = true;
  if (const size_t a = s.find("<content"); a != std::string::npos) {
    const size_t open = s.find('>', a);
    const size_t b = s.find("</content>", open);
    s = s.substr(open + 1, b == std::string::npos ? std::string::npos : b - open - 1);
    if (startsWith(s, "\n"))
      s.erase(0, 1);
    complete = false; // Roo may have read a range; it does not say when it did not
  }
  std::string out;
  size_t pos = 0;
  bool numbered = !s.empty();
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos)
      nl = s.size();
    const std::string_view line(s.data() + pos, nl - pos);
    size_t k = 0;
    while (k < line.size() && line[k] == ' ')
      ++k;
    const size_t d = k;
    while (k < line.size() && std::isdigit(static_cast<unsigned char>(line[k])))
      ++k;
    if (k == d || line.substr(k, 3) != " | ") {
      numbered = false;
      break;
    }
    out.append(line.substr(k + 3));
    if (nl < s.size())
      out += '\n';
    pos = nl + 1;
  }
  return numbered ? out : s;
}

struct PendingCall {
  std::string name, callId;
  json params;
  bool answered = false;
};

class ClineParser : public FileParser {
public:
  explicit ClineParser(TaskInfo info) : info_(std::move(info)) { sessionId_ = "cline:" + info_.id; }

  json state() const override { return json::object(); }

  void line(std::string_view text, int64_t lineNo, Sink &sink) override {
    auto doc = parseRecordLine(text, lineNo, sink, /*objectOnly=*/false);
    if (!doc)
      return;
    announce(sink);
    if (doc->is_object() && js::get(*doc, "messages").is_array()) {
      conversation(js::get(*doc, "messages"), sink);
    } else if (!doc->is_array()) {
      sink.problem(lineNo,
                   "expected a JSON array of messages, got " + std::string(doc->type_name()));
    } else if (info_.uiOnly) {
      uiOnly(*doc, sink);
    } else {
      conversation(*doc, sink);
    }
  }

private:
  // --- session --------------------------------------------------------------------------------

  SessionInfo info() const {
    SessionInfo s;
    s.id = sessionId_;
    s.agent = "cline";
    s.nativeId = info_.id;
    s.project = info_.project;
    return s;
  }

  void announce(Sink &sink) {
    SessionInfo s = info();
    s.model = info_.model;
    s.version = info_.version;
    s.started = info_.started;
    s.ended = info_.ended ? info_.ended : info_.started;
    if (!trim(info_.title).empty()) {
      s.title = text::titleFrom(info_.title);
      s.titleRank = TitleFirstPrompt;
    }
    sink.session(s);
  }

  void title(const std::string &text, Sink &sink) {
    if (titled_ || trim(text).empty())
      return;
    titled_ = true;
    SessionInfo s = info();
    s.title = text::titleFrom(text);
    s.titleRank = TitleFirstPrompt;
    sink.session(s);
  }

  Event make(EventKind kind, std::string text) const {
    Event e;
    e.sessionId = sessionId_;
    e.kind = kind;
    e.time = time_;
    e.text = std::move(text);
    return e;
  }

  // --- the API conversation -------------------------------------------------------------------

  void conversation(const json &messages, Sink &sink) {
    size_t users = 0;
    for (size_t j = 0; j < messages.size(); ++j) {
      const json &m = messages[j];
      const std::string &role = js::str(m, "role");
      // Times: the message's own, else the request that sent (user) or answered (assistant) it.
      time_ = msTime(js::get(m, "ts"));
      if (!time_ && role == "user" && users < info_.requests.size())
        time_ = info_.requests[users];
      else if (!time_ && role == "assistant" && users > 0 && users - 1 < info_.requests.size())
        time_ = info_.requests[users - 1];
      if (role == "user") {
        ++users;
        user(js::get(m, "content"), sink);
      } else if (role == "assistant") {
        assistant(js::get(m, "content"), j, sink);
      } else {
        Event e = make(EventKind::Meta, "");
        e.tool = role.empty() ? js::str(m, "type") : role;
        e.data = {{"raw", m}};
        sink.unknownRecord();
        sink.event(std::move(e));
      }
    }
  }

  static std::vector<json> blocks(const json &content) {
    if (content.is_string())
      return {json{{"type", "text"}, {"text", content}}};
    if (content.is_array())
      return std::vector<json>(content.begin(), content.end());
    return {};
  }

  void assistant(const json &content, size_t index, Sink &sink) {
    calls_.clear();
    int n = 0;
    for (const auto &b : blocks(content)) {
      const std::string &type = js::str(b, "type");
      if (type == "text") {
        for (auto &blk : parseText(js::str(b, "text"))) {
          if (blk.kind == Block::Text)
            sink.event(make(EventKind::Assistant, std::move(blk.text)));
          else if (blk.kind == Block::Thinking)
            sink.event(make(EventKind::Reasoning, std::move(blk.text)));
          else
            call(blk.name, blk.params, std::to_string(index) + "#" + std::to_string(n++), sink);
        }
      } else if (type == "thinking" || type == "reasoning") {
        std::string t = js::str(b, "thinking");
        if (t.empty())
          t = js::str(b, "text");
        if (!trim(t).empty())
          sink.event(make(EventKind::Reasoning, t));
      } else if (type == "tool_use") {
        std::string id = js::str(b, "id");
        if (id.empty())
          id = std::to_string(index) + "#" + std::to_string(n++);
        call(js::str(b, "name"), js::get(b, "input"), id, sink);
      }
    }
  }

  void user(const json &content, Sink &sink) {
    const auto list = blocks(content);
    for (size_t i = 0; i < list.size(); ++i) {
      const json &b = list[i];
      const std::string &type = js::str(b, "type");
      if (type == "tool_result") {
        std::string out;
        for (const auto &part : blocks(js::get(b, "content")))
          out += (out.empty() ? "" : "\n") + js::str(part, "text");
        result(js::str(b, "tool_use_id"), "", out, js::flag(b, "is_error"), sink);
        continue;
      }
      if (type == "image") {
        sink.event(make(EventKind::User, "[image]"));
        continue;
      }
      const std::string text = js::str(b, "text");
      const std::string t = trim(text);
      if (t.empty())
        continue;
      if (startsWith(t, "<environment_details>")) {
        environment(t, sink);
      } else if (t[0] == '[' && t.find("] Result:") != std::string::npos &&
                 t.find("] Result:") < t.find('\n')) {
        // "[name for 'x'] Result:" then the output in the blocks that follow.
        const std::string name = t.substr(1, t.find_first_of(" ]") - 1);
        std::string out = trim(t.substr(t.find("] Result:") + 9));
        while (i + 1 < list.size() && js::str(list[i + 1], "type") == "text") {
          const std::string next = trim(js::str(list[i + 1], "text"));
          if (startsWith(next, "<environment_details>") ||
              (startsWith(next, "[") && next.find("] Result:") != std::string::npos))
            break;
          out += (out.empty() ? "" : "\n") + js::str(list[++i], "text");
        }
        result("", name, out, false, sink);
      } else if (startsWith(t, "[TASK RESUMPTION]") || startsWith(t, "[ERROR]")) {
        Event e = make(EventKind::Meta, t);
        e.tool = startsWith(t, "[ERROR]") ? "error" : "resume";
        sink.event(std::move(e));
        prompts(t, false, sink);
      } else {
        prompts(t, true, sink);
      }
    }
  }

  // The user's words in a text block: <task>, <feedback>, <answer>, <user_message> blocks, or
  // (`plain`) the text itself.
  void prompts(const std::string &t, bool plain, Sink &sink,
               std::initializer_list<const char *> tags = {"task", "feedback", "answer",
                                                           "user_message"}) {
    bool found = false;
    for (const char *tag : tags) {
      const std::string open = std::string("<") + tag + ">", close = std::string("</") + tag + ">";
      for (size_t a = t.find(open); a != std::string::npos; a = t.find(open, a + 1)) {
        const size_t b = t.find(close, a);
        const std::string inner = trim(std::string_view(t).substr(
            a + open.size(), b == std::string::npos ? std::string::npos : b - a - open.size()));
        found = true;
        if (inner.empty())
          continue;
        title(inner, sink);
        sink.event(make(EventKind::User, inner));
      }
    }
    if (!found && plain) {
      title(t, sink);
      sink.event(make(EventKind::User, t));
    }
  }

  // "# Current Working Directory (/x) Files" (Cline), "# Current Workspace Directory (/x)
  // Files" (Roo Code): the project when nothing better named it.
  void environment(const std::string &t, Sink &sink) {
    if (!info_.project.empty())
      return;
    for (const char *mark : {"# Current Working Directory (", "# Current Workspace Directory ("}) {
      const size_t a = t.find(mark);
      if (a == std::string::npos)
        continue;
      const size_t from = a + std::strlen(mark);
      const size_t b = t.find(')', from);
      const std::string dir = trim(t.substr(from, b == std::string::npos ? 0 : b - from));
      if (!dir.empty() && dir[0] == '/') {
        info_.project = absolute(dir, "");
        sink.session(info());
      }
      return;
    }
  }

  // --- tools ----------------------------------------------------------------------------------

  static EventKind kindOf(const std::string &name) {
    if (name == "execute_command")
      return EventKind::Shell;
    if (name == "write_to_file" || name == "replace_in_file" || name == "apply_diff" ||
        name == "insert_content" || name == "search_and_replace")
      return EventKind::Edit;
    return EventKind::ToolCall;
  }

  std::string pathOf(const json &params) const {
    std::string p = js::str(params, "path");
    if (p.empty())
      p = js::str(params, "absolutePath");
    return p;
  }

  void call(const std::string &name, const json &params, const std::string &callId, Sink &sink) {
    Event e = make(kindOf(name), "");
    e.tool = name;
    e.callId = callId;
    e.data = {{"input", params}};
    const std::string path = pathOf(params);
    if (e.kind == EventKind::Shell) {
      e.command = js::str(params, "command");
      const std::string cwd = js::str(params, "cwd");
      if (std::string dir = cwd.empty() ? info_.project : absolute(cwd, info_.project);
          !dir.empty())
        e.data["cwd"] = dir;
    } else if (e.kind == EventKind::Edit) {
      e.path = path;
      const std::string abs = absolute(path, info_.project);
      if (name == "write_to_file") {
        e.text = js::str(params, "content");
        if (!abs.empty())
          e.data["changes"] = json::array({{{"path", abs}, {"op", "write"}, {"content", e.text}}});
      } else if (name == "replace_in_file" || name == "apply_diff") {
        e.text = js::str(params, "diff");
        if (!abs.empty())
          e.data["changes"] = json::array({diffChange(e.text, abs)});
      } else if (!abs.empty()) {
        e.text = js::stringValues(params);
        e.data["changes"] = json::array(
            {{{"path", abs}, {"op", "unknown"}, {"reason", name + " is not replayed"}}});
      }
    } else {
      e.path = path;
      e.text = name == "attempt_completion" ? js::str(params, "result") : js::stringValues(params);
    }
    calls_.push_back({name, callId, params, false});
    sink.event(std::move(e));
  }

  // A result, for the call with `callId`, else the first unanswered call of `name` (XML results
  // name their tool, not a call).
  void result(const std::string &callId, const std::string &name, const std::string &out,
              bool isError, Sink &sink) {
    PendingCall *c = nullptr;
    for (auto &p : calls_)
      if (!p.answered && (callId.empty() ? p.name == name : p.callId == callId)) {
        c = &p;
        break;
      }
    if (!c) {
      Event e = make(EventKind::ToolResult, out);
      e.tool = name;
      e.callId = callId;
      sink.event(std::move(e));
      return;
    }
    c->answered = true;
    // No time of its own: the request that carried it is not when the tool ran, and the time
    // between the two would pass for the command's duration.
    Event r = make(EventKind::ToolResult, out);
    r.time.reset();
    r.tool = c->name;
    r.callId = c->callId;
    const std::string t = trim(out);
    r.isError = isError || startsWith(t, "The user denied this operation") ||
                startsWith(t, "The tool execution failed") || startsWith(t, "[ERROR]") ||
                (startsWith(t, "Tool [") && t.find("was not executed") != std::string::npos);
    json d = json::object();
    const std::string abs = absolute(pathOf(c->params), info_.project);
    const EventKind kind = kindOf(c->name);
    if (kind == EventKind::Shell) {
      shellOutput(r, t);
    } else if (kind == EventKind::Edit && !r.isError) {
      // <final_file_content path="x">\n…\n</final_file_content>: the file as saved.
      const size_t a = out.find("<final_file_content path=\"");
      if (a != std::string::npos) {
        const size_t q = out.find("\">", a + 26);
        const size_t b = out.rfind("\n</final_file_content>");
        if (q != std::string::npos && b != std::string::npos && b > q + 2) {
          const std::string path = absolute(out.substr(a + 26, q - a - 26), info_.project);
          d["changes"] = json::array({{{"path", path.empty() ? abs : path},
                                       {"op", "write"},
                                       {"content", out.substr(q + 3, b - q - 3)}}});
        }
      }
    } else if (c->name == "read_file" && !r.isError && !abs.empty()) {
      bool complete = true;
      std::string content = readContent(out, complete);
      d["read"] = {{"path", abs}, {"content", std::move(content)}, {"complete", complete}};
    }
    if (!d.empty())
      r.data = std::move(d);
    sink.event(std::move(r));
    // The user's reply can ride on a result: <feedback> (attempt_completion, a command),
    // <answer> (ask_followup_question) — not inside a file's content.
    if (kind != EventKind::Edit && c->name != "read_file")
      prompts(t, false, sink, {"feedback", "answer"});
  }

  // "Command executed.\nOutput:\n…" (Cline); "Command executed in terminal within working
  // directory '…'. … Exit code: N\nOutput:\n…" (Roo Code).
  static void shellOutput(Event &r, const std::string &t) {
    const size_t o = t.find("\nOutput:\n");
    const std::string head = o == std::string::npos ? t.substr(0, t.find('\n')) : t.substr(0, o);
    if (const size_t at = head.find("Exit code: "); at != std::string::npos) {
      const std::string code = head.substr(at + 11);
      char *end = nullptr;
      const long v = std::strtol(code.c_str(), &end, 10);
      if (end != code.c_str())
        r.exitCode = static_cast<int>(v);
    }
    if (o != std::string::npos)
      r.text = t.substr(o + 9);
    else if (startsWith(t, "Command executed."))
      r.text = trim(t.substr(17));
    r.isError = r.isError || (r.exitCode && *r.exitCode != 0);
  }

  // --- ui_messages.json alone -----------------------------------------------------------------

  void uiOnly(const json &messages, Sink &sink) {
    for (const auto &m : messages) {
      time_ = msTime(js::get(m, "ts"));
      const std::string &say = js::str(m, "say");
      const std::string &ask = js::str(m, "ask");
      const std::string what = say.empty() ? ask : say;
      const std::string &text = js::str(m, "text");
      if (js::flag(m, "partial"))
        continue;
      if (what == "task" || what == "user_feedback") {
        title(text, sink);
        sink.event(make(EventKind::User, text));
      } else if (what == "text" || what == "completion_result") {
        if (!trim(text).empty())
          sink.event(make(EventKind::Assistant, text));
      } else if (what == "reasoning") {
        sink.event(make(EventKind::Reasoning, text));
      } else if (what == "command") {
        Event e = make(EventKind::Shell, "");
        e.command = text;
        e.tool = "execute_command";
        e.callId = "ui#" + std::to_string(++uiCommands_);
        if (!info_.project.empty())
          e.data = {{"cwd", info_.project}};
        sink.event(std::move(e));
      } else if (what == "command_output" && uiCommands_ > 0) {
        Event r = make(EventKind::ToolResult, text);
        r.callId = "ui#" + std::to_string(uiCommands_);
        sink.event(std::move(r));
      } else if (what == "tool") {
        const json tool = json::parse(text, nullptr, false);
        Event e = make(EventKind::ToolCall, js::stringValues(tool));
        e.tool = js::str(tool, "tool");
        e.path = js::str(tool, "path");
        e.data = {{"input", tool}};
        sink.event(std::move(e));
      } else if (what == "error") {
        Event e = make(EventKind::Meta, text);
        e.tool = "error";
        e.isError = true;
        sink.event(std::move(e));
      }
    }
  }

  TaskInfo info_;
  std::string sessionId_;
  std::optional<int64_t> time_;
  bool titled_ = false;
  std::vector<PendingCall> calls_; // the calls of the last answer
  int uiCommands_ = 0;
};

std::optional<int64_t> taskIdTime(const std::string &id) {
  if (id.size() < 12 || id.size() > 14)
    return std::nullopt;
  for (char c : id)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
  return std::stoll(id);
}

// The task's folder, its id, and what the files around it say.
TaskInfo taskInfo(const fs::path &file) {
  TaskInfo t;
  const fs::path dir = file.parent_path();
  t.id = dir.filename().string();
  const std::string p = file.generic_string();
  t.roo = p.find("rooveterinaryinc.roo-cline") != std::string::npos;
  if (file.filename().string() != "api_conversation_history.json" &&
      file.filename().string() != "ui_messages.json") {
    // sessions/<id>/<id>.messages.json, its metadata in <id>.json.
    const json meta = json::parse(readAll(dir / (t.id + ".json"), 1 << 20), nullptr, false);
    t.project = absolute(
        js::str(meta, "cwd").empty() ? js::str(meta, "workspace_root") : js::str(meta, "cwd"), "");
    t.model = js::str(meta, "model");
    t.title = js::str(js::get(meta, "metadata"), "title");
    if (t.title.empty())
      t.title = js::str(meta, "prompt");
    t.started = msTime(js::get(meta, "created_at"));
    t.ended = msTime(js::get(meta, "updated_at"));
    return t;
  }
  t.started = taskIdTime(t.id);
  t.uiOnly = file.filename() == "ui_messages.json";
  // ui_messages.json: the request times, the first and last time.
  const json ui = json::parse(readAll(dir / "ui_messages.json", 512u << 20), nullptr, false);
  if (ui.is_array()) {
    for (const auto &m : ui) {
      const auto ts = msTime(js::get(m, "ts"));
      if (!ts)
        continue;
      if (!t.started || *ts < *t.started)
        t.started = ts;
      if (!t.ended || *ts > *t.ended)
        t.ended = ts;
      if (js::str(m, "say") == "api_req_started")
        t.requests.push_back(*ts);
    }
  }
  const json meta = json::parse(readAll(dir / "task_metadata.json", 64u << 20), nullptr, false);
  for (const auto &u : js::get(meta, "model_usage"))
    if (const std::string &m = js::str(u, "model_id"); !m.empty())
      t.model = m;
  for (const auto &e : js::get(meta, "environment_history"))
    if (const std::string &v = js::str(e, "cline_version"); !v.empty())
      t.version = v;
  if (t.roo)
    t.version = t.version.empty() ? "roo-code" : "roo-code " + t.version;
  // The extension's task list: tasks/<id>/ -> ../../state/taskHistory.json.
  const json h = historyEntry(dir.parent_path().parent_path() / "state" / "taskHistory.json", t.id);
  if (h.is_object()) {
    t.project = absolute(js::str(h, "cwdOnTaskInitialization"), "");
    t.title = js::str(h, "task");
    if (t.model.empty())
      t.model = js::str(h, "modelId");
    if (!t.started)
      t.started = msTime(js::get(h, "ts"));
  }
  return t;
}

bool has(std::string_view s, std::string_view what) { return s.find(what) != std::string::npos; }

fs::path home() {
  const char *h = std::getenv("HOME");
  return h && *h ? fs::path(h) : fs::path();
}

} // namespace

std::vector<fs::path> ClineAdapter::roots() const {
  std::vector<fs::path> out;
  const fs::path h = home();
  std::vector<fs::path> bases;
  if (const char *x = std::getenv("XDG_CONFIG_HOME"); x && *x)
    bases.emplace_back(x);
  else if (!h.empty())
    bases.push_back(h / ".config");
  if (!h.empty())
    bases.push_back(h / "Library" / "Application Support");
  for (const auto &base : bases)
    for (const char *host : {"Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf"})
      for (const char *ext : {"saoudrizwan.claude-dev", "rooveterinaryinc.roo-cline"})
        out.push_back(base / host / "User" / "globalStorage" / ext / "tasks");
  fs::path cline;
  if (const char *d = std::getenv("CLINE_DIR"); d && *d)
    cline = d;
  else if (!h.empty())
    cline = h / ".cline";
  if (!cline.empty()) {
    out.push_back(cline / "data" / "tasks");
    out.push_back(cline / "data" / "sessions");
  }
  return out;
}

int ClineAdapter::claims(const fs::path &path, std::string_view head) const {
  const std::string name = path.filename().string();
  const std::string dir = path.parent_path().filename().string();
  std::error_code ec;
  if (name == "api_conversation_history.json")
    return head.empty() || has(head, "[") ? 8 : 0;
  if (name == "ui_messages.json") {
    if (fs::exists(path.parent_path() / "api_conversation_history.json", ec))
      return 0;
    return head.empty() || has(head, "\"say\"") || has(head, "\"ask\"") ? 6 : 0;
  }
  if (name == dir + ".messages.json" && path.parent_path().parent_path().filename() == "sessions")
    return head.empty() || (has(head, "\"messages\"") && has(head, "\"role\"")) ? 6 : 0;
  return 0;
}

bool ClineAdapter::wholeDocument(const fs::path &path) const {
  (void)path;
  return true;
}

std::unique_ptr<FileParser> ClineAdapter::open(const fs::path &path, const json &state) const {
  (void)state; // a whole document: read again from nothing each time it changes
  return std::make_unique<ClineParser>(taskInfo(path));
}

} // namespace mantra
