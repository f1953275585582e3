// Cursor's two stores besides the IDE database:
//
// store.db (cursor-agent, ~/.cursor/chats/<md5 of the folder>/<sessionId>/store.db): `meta` key
// '0' holds the session's JSON hex-encoded ({agentId, name, createdAt, lastUsedModel,
// subagentInfo}); `blobs` holds content-addressed blobs, some plain JSON messages
// ({role, content:[text | reasoning | tool-call | tool-result]}), others binary tree nodes with
// such JSON inside. Blobs are only ever added, so a run reads the rows after the last rowid it
// saw (a lower highest rowid means the file was rebuilt: Rewritten); a message seen before (the
// same JSON again) is skipped. Results arrive in their own `tool` messages, paired with their
// call by toolCallId.
//
// agent-transcripts JSONL (~/.cursor/projects/<slug>/agent-transcripts/…): one
// {role, message:{content:[text | tool_use | thinking]}} a line, no results, no timestamps. Read
// only when neither database has the conversation. The project folder is the slug (the path
// with '/', '_' and '.' turned into '-') matched against the folders that exist.
//
//   user text           -> user (<user_query> unwrapped, <timestamp> dropped; context blocks
//                          such as <user_info> -> meta "context", which names the project)
//   assistant text      -> assistant ("[REDACTED]" placeholders dropped)
//   reasoning/thinking  -> reasoning
//   tool-call/tool_use  -> CursorTools.cpp (shell, edit, read, tool_call)
//   tool-result         -> tool_result of its call
//   system              -> nothing (the agent's own prompt)
//   anything else       -> meta with the raw message, counted as unknown
#include "ingest/CursorShared.h"

#include "ingest/Json.h"
#include "ingest/ReadOnlyDb.h"
#include "ingest/Text.h"

#include <cctype>
#include <map>
#include <unordered_set>

namespace mantra::cursor {
namespace fs = std::filesystem;
using text::startsWith;
using text::trim;

namespace {

std::string hexDecode(const std::string &s) {
  if (s.size() % 2 != 0)
    return {};
  std::string out;
  out.reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    if (!std::isxdigit(static_cast<unsigned char>(s[i])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 1])))
      return {};
    out += static_cast<char>(std::stoi(s.substr(i, 2), nullptr, 16));
  }
  return out;
}

// The end (one past the closing brace) of the JSON object starting at `at`, or npos.
size_t objectEnd(const std::string &s, size_t at) {
  int depth = 0;
  bool inString = false;
  for (size_t i = at; i < s.size(); ++i) {
    const char c = s[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string::npos;
}

bool isMessage(const json &j) { return j.is_object() && js::get(j, "role").is_string(); }

// The messages in one blob: the blob itself when it is a JSON message (or a list of them),
// else the JSON messages embedded in a binary node. `bad` when it looks like JSON but is not.
std::vector<json> messagesIn(const std::string &bytes, bool &bad) {
  std::vector<json> out;
  bad = false;
  size_t first = 0;
  while (first < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[first])))
    ++first;
  if (first < bytes.size() && (bytes[first] == '{' || bytes[first] == '[')) {
    json j = json::parse(bytes, nullptr, false);
    if (j.is_discarded()) {
      bad = true;
      return out;
    }
    if (isMessage(j))
      out.push_back(std::move(j));
    else if (j.is_array())
      for (auto &m : j)
        if (isMessage(m))
          out.push_back(std::move(m));
    return out;
  }
  // Each JSON object found is taken whole (a message) or stepped over (anything else), so the
  // scan stays linear.
  for (size_t at = bytes.find("{\""); at != std::string::npos; at = bytes.find("{\"", at + 1)) {
    const size_t end = objectEnd(bytes, at);
    if (end == std::string::npos)
      break;
    json j = json::parse(bytes.substr(at, end - at), nullptr, false);
    if (j.is_discarded())
      continue;
    if (isMessage(j))
      out.push_back(std::move(j));
    at = end - 1;
  }
  return out;
}

bool contextOnly(const std::string &t) {
  static const char *tags[] = {
      "user_info",           "rules",          "project_layout",
      "git_status",          "attached_files", "system_reminder",
      "environment_details", "agent_skills",   "open_and_recently_viewed_files"};
  const std::string s = trim(t);
  if (s.empty() || s[0] != '<')
    return false;
  for (const char *tag : tags)
    if (startsWith(s, "<" + std::string(tag) + ">"))
      return true;
  return false;
}

// "Workspace Path: /x" in a <user_info> block.
std::string workspacePath(const std::string &t) {
  const std::string mark = "Workspace Path: ";
  const size_t at = t.find(mark);
  if (at == std::string::npos)
    return {};
  const size_t nl = t.find('\n', at);
  std::string p = trim(std::string_view(t).substr(
      at + mark.size(), nl == std::string::npos ? std::string::npos : nl - at - mark.size()));
  return !p.empty() && p[0] == '/' ? absolutePath(p, "") : std::string();
}

// What one message adds; shared by the CLI store and the transcripts.
class MessageReader {
public:
  std::string sessionId, project;
  bool titled = false;
  std::map<std::string, std::pair<std::string, json>> calls; // callId -> (name, params)

  // `where` names the message for problems; `callPrefix` makes ids for calls that have none.
  void message(const json &m, const std::string &callPrefix, Sink &sink) {
    const std::string &role = js::str(m, "role");
    const json &msg = js::get(m, "message");
    const json &content = msg.is_object() ? js::get(msg, "content") : js::get(m, "content");
    if (role == "system")
      return;
    if (role == "user")
      user(content, sink);
    else if (role == "assistant")
      assistant(content, callPrefix, sink);
    else if (role == "tool")
      results(content, sink);
    else
      unknown(m, sink);
    if (const std::string &model =
            js::str(js::get(js::get(m, "providerOptions"), "cursor"), "modelName");
        !model.empty()) {
      SessionInfo s = info();
      s.model = model;
      sink.session(s);
    }
  }

  SessionInfo info() const {
    SessionInfo s;
    s.id = sessionId;
    s.agent = "cursor";
    s.nativeId = sessionId.substr(7);
    s.project = project;
    return s;
  }

private:
  Event make(EventKind kind, std::string text) const {
    Event e;
    e.sessionId = sessionId;
    e.kind = kind;
    e.text = std::move(text);
    return e;
  }

  void user(const json &content, Sink &sink) {
    std::string text;
    auto add = [&](const std::string &piece) {
      if (!trim(piece).empty())
        text += (text.empty() ? "" : "\n") + piece;
    };
    if (content.is_string())
      add(content.get<std::string>());
    for (const auto &b : content.is_array() ? content : json::array()) {
      const std::string &type = js::str(b, "type");
      if (type == "text")
        add(js::str(b, "text"));
      else if (type == "image" || type == "file")
        add("[" + type + "]");
      else if (type == "tool-result" || type == "tool_result")
        result(b, sink);
    }
    if (trim(text).empty())
      return;
    if (auto q = between(text, "user_query")) {
      text = withoutTimestamps(*q);
    } else if (contextOnly(text)) {
      if (std::string p = workspacePath(text); !p.empty() && project.empty()) {
        project = p;
        sink.session(info());
      }
      Event e = make(EventKind::Meta, text);
      e.tool = "context";
      sink.event(std::move(e));
      return;
    } else {
      text = withoutTimestamps(text);
    }
    if (text.empty())
      return;
    if (!titled) {
      SessionInfo s = info();
      s.title = text::titleFrom(text);
      s.titleRank = TitleFirstPrompt;
      sink.session(s);
      titled = true;
    }
    sink.event(make(EventKind::User, std::move(text)));
  }

  void assistant(const json &content, const std::string &callPrefix, Sink &sink) {
    if (content.is_string()) {
      if (const std::string t = content.get<std::string>(); !trim(t).empty() && t != "[REDACTED]")
        sink.event(make(EventKind::Assistant, t));
      return;
    }
    int n = 0;
    for (const auto &b : content.is_array() ? content : json::array()) {
      const std::string &type = js::str(b, "type");
      if (type == "text") {
        const std::string &t = js::str(b, "text");
        if (!trim(t).empty() && trim(t) != "[REDACTED]")
          sink.event(make(EventKind::Assistant, t));
      } else if (type == "reasoning" || type == "thinking") {
        std::string t = js::str(b, "text");
        if (t.empty())
          t = js::str(b, "thinking");
        if (!trim(t).empty())
          sink.event(make(EventKind::Reasoning, t));
      } else if (type == "tool-call" || type == "tool_use") {
        ToolCall call;
        call.name = js::str(b, "toolName");
        if (call.name.empty())
          call.name = js::str(b, "name");
        call.callId = js::str(b, "toolCallId");
        if (call.callId.empty())
          call.callId = js::str(b, "id");
        if (call.callId.empty())
          call.callId = callPrefix + "#" + std::to_string(n);
        call.params = decoded(b.contains("args") ? js::get(b, "args") : js::get(b, "input"));
        ++n;
        if (calls.size() < 256)
          calls[call.callId] = {call.name, call.params};
        sink.event(callEvent(call, context()));
      } else if (type == "redacted-reasoning" || type == "redacted_thinking") {
        continue;
      }
    }
  }

  void results(const json &content, Sink &sink) {
    for (const auto &b : content.is_array() ? content : json::array())
      if (js::str(b, "type") == "tool-result" || js::str(b, "type") == "tool_result")
        result(b, sink);
  }

  void result(const json &b, Sink &sink) {
    ToolCall call;
    call.callId = js::str(b, "toolCallId");
    if (call.callId.empty())
      call.callId = js::str(b, "tool_use_id");
    call.name = js::str(b, "toolName");
    if (auto it = calls.find(call.callId); it != calls.end()) {
      if (call.name.empty())
        call.name = it->second.first;
      call.params = it->second.second;
      calls.erase(it);
    }
    json r = b.contains("result")   ? js::get(b, "result")
             : b.contains("output") ? js::get(b, "output")
                                    : js::get(b, "content");
    if (r.is_array()) { // Anthropic-style content blocks
      std::string t;
      for (const auto &part : r)
        t += js::str(part, "text");
      r = t;
    }
    call.result = decoded(r);
    call.hasResult = true;
    call.failed = js::flag(b, "isError") || js::flag(b, "is_error");
    sink.event(resultEvent(call, context()));
  }

  void unknown(const json &m, Sink &sink) {
    Event e = make(EventKind::Meta, "");
    e.tool = js::str(m, "role");
    e.data = {{"raw", m}};
    sink.unknownRecord();
    sink.event(std::move(e));
  }

  ToolContext context() const { return {sessionId, project, {}}; }
};

// --- store.db -----------------------------------------------------------------------------------

class CliParser : public FileParser {
public:
  CliParser(const fs::path &path, const json &state) : path_(path) {
    reader_.sessionId = "cursor:" + path.parent_path().filename().string();
    if (!state.is_object())
      return;
    rowid_ = js::integer(state, "rowid").value_or(0);
    reader_.titled = js::flag(state, "titled");
    reader_.project = js::str(state, "project");
    if (const std::string &id = js::str(state, "id"); !id.empty())
      reader_.sessionId = id;
    for (const auto &h : js::get(state, "seen"))
      if (h.is_number_unsigned())
        seen_.insert(h.get<uint64_t>());
    for (const auto &[id, c] : js::get(state, "calls").items())
      reader_.calls[id] = {js::str(c, "name"), js::get(c, "params")};
  }

  json state() const override {
    json calls = json::object();
    for (const auto &[id, c] : reader_.calls)
      calls[id] = {{"name", c.first}, {"params", c.second}};
    json s = {{"rowid", rowid_},
              {"titled", reader_.titled},
              {"id", reader_.sessionId},
              {"seen", std::vector<uint64_t>(seen_.begin(), seen_.end())},
              {"calls", std::move(calls)}};
    if (!reader_.project.empty())
      s["project"] = reader_.project;
    return s;
  }

  void line(std::string_view, int64_t, Sink &) override {}

  Read readSource(const fs::path &path, Sink &sink) override {
    auto db = ReadOnlyDb::open(path);
    if (!db) {
      const bool busy = db.error().code == ErrorCode::Busy;
      sink.problem(0, db.error().message + (busy ? " (locked: read again on the next run)" : ""));
      return busy ? Read::Retry : Read::Done;
    }
    ReadOnlyDb &d = **db;
    if (auto st = d.begin(); !st) {
      sink.problem(0, st.error().message);
      return Read::Retry;
    }
    if (!d.hasTable("blobs") || !d.hasTable("meta")) {
      sink.problem(0, path.string() + ": not a Cursor CLI store (no meta and blobs tables)");
      return Read::Done;
    }
    auto top = d.prepare("SELECT coalesce(max(rowid), 0) FROM blobs");
    if (!top || !top->step())
      return d.busy() ? Read::Retry : Read::Done;
    if (top->int64(0) < rowid_)
      return Read::Rewritten;
    meta(d, sink);
    auto st = d.prepare("SELECT rowid, id, data FROM blobs WHERE rowid > ?1 ORDER BY rowid");
    if (!st)
      return Read::Done;
    st->bind(1, rowid_);
    int64_t last = rowid_;
    while (st->step()) {
      last = st->int64(0);
      bool bad = false;
      for (const auto &m : messagesIn(st->bytes(2), bad)) {
        const uint64_t h = fnv1a(m.dump(-1, ' ', false, json::error_handler_t::replace));
        if (!seen_.insert(h).second)
          continue;
        reader_.message(m, "blob" + std::to_string(last), sink);
      }
      if (bad)
        sink.problem(0, "blob " + st->text(1) + " (row " + std::to_string(last) +
                            "): invalid JSON (skipped)");
    }
    if (st->failed() && d.busy()) {
      sink.problem(0, path.string() + ": locked while being read: read again on the next run");
      rowid_ = last; // what was emitted stays emitted
      return Read::Done;
    }
    rowid_ = last;
    return Read::Done;
  }

private:
  void meta(ReadOnlyDb &d, Sink &sink) {
    auto st = d.prepare("SELECT value FROM meta WHERE key = '0'");
    if (!st || !st->step())
      return;
    std::string raw = st->bytes(0);
    std::string text = hexDecode(trim(raw));
    json m = json::parse(text.empty() ? raw : text, nullptr, false);
    if (!m.is_object()) {
      sink.problem(0, "meta '0': not the session's JSON (hex-encoded) (skipped)");
      return;
    }
    if (const std::string &id = js::str(m, "agentId"); !id.empty())
      reader_.sessionId = "cursor:" + id;
    SessionInfo s = reader_.info();
    s.model = js::str(m, "lastUsedModel");
    s.started = timeOf(js::get(m, "createdAt"));
    s.ended = s.started;
    if (const std::string &name = js::str(m, "name"); !trim(name).empty() && name != "New Agent") {
      s.title = text::titleFrom(name);
      s.titleRank = TitleAgentGenerated;
    }
    const json &sub = js::get(m, "subagentInfo");
    if (const std::string &parent = js::str(sub, "parentAgentId"); !parent.empty()) {
      s.parentId = "cursor:" + parent;
      s.isSubagent = true;
    }
    sink.session(s);
  }

  fs::path path_;
  MessageReader reader_;
  int64_t rowid_ = 0;
  std::unordered_set<uint64_t> seen_;
};

// --- agent transcripts ---------------------------------------------------------------------------

std::string slugOf(const std::string &name) {
  std::string out;
  for (unsigned char c : name)
    out += std::isalnum(c) ? static_cast<char>(c) : '-';
  return out;
}

// The folder whose path, '/', '_' and '.' turned into '-', is `rest`, searched from `dir` down.
std::string resolveSlug(const fs::path &dir, const std::string &rest, int depth) {
  if (depth > 16 || rest.empty())
    return {};
  std::error_code ec;
  fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  int n = 0;
  for (; !ec && it != fs::directory_iterator() && n < 4000; it.increment(ec), ++n) {
    if (!it->is_directory(ec))
      continue;
    const std::string name = it->path().filename().string();
    const std::string s = slugOf(name);
    if (s == rest)
      return it->path().generic_string();
    if (startsWith(rest, s + "-"))
      if (std::string r = resolveSlug(it->path(), rest.substr(s.size() + 1), depth + 1); !r.empty())
        return r;
  }
  return {};
}

class TranscriptParser : public FileParser {
public:
  TranscriptParser(const fs::path &path, const json &state, bool shadowed) : shadowed_(shadowed) {
    std::string id = path.stem().string();
    if (path.parent_path().filename() == "subagents")
      parent_ = path.parent_path().parent_path().filename().string();
    reader_.sessionId = "cursor:" + id;
    if (state.is_object()) {
      reader_.titled = js::flag(state, "titled");
      reader_.project = js::str(state, "project");
      return;
    }
    for (fs::path d = path.parent_path(); !d.empty() && d != d.parent_path(); d = d.parent_path())
      if (d.filename() == "agent-transcripts") {
        std::string slug = d.parent_path().filename().string();
        while (!slug.empty() && slug[0] == '-')
          slug.erase(0, 1);
        reader_.project = resolveSlug("/", slug, 0);
        break;
      }
  }

  json state() const override {
    json s = {{"titled", reader_.titled}, {"shadowed", shadowed_}};
    if (!reader_.project.empty())
      s["project"] = reader_.project;
    return s;
  }

  void line(std::string_view text, int64_t lineNo, Sink &sink) override {
    if (shadowed_)
      return;
    auto r = parseRecordLine(text, lineNo, sink);
    if (!r)
      return;
    if (!started_) {
      SessionInfo s = reader_.info();
      if (!parent_.empty()) {
        s.parentId = "cursor:" + parent_;
        s.isSubagent = true;
      }
      sink.session(s);
      started_ = true;
    }
    if (js::str(*r, "type") == "turn_ended")
      return;
    reader_.message(*r, reader_.sessionId + ":" + std::to_string(lineNo), sink);
  }

private:
  bool shadowed_ = false, started_ = false;
  std::string parent_;
  MessageReader reader_;
};

} // namespace

std::unique_ptr<FileParser> openCliStore(const fs::path &path, const json &state) {
  return std::make_unique<CliParser>(path, state);
}

std::unique_ptr<FileParser> openTranscript(const fs::path &path, const json &state, bool shadowed) {
  return std::make_unique<TranscriptParser>(path, state, shadowed);
}

} // namespace mantra::cursor
