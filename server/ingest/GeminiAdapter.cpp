// Gemini CLI sessions. Two layouts share one MessageRecord shape:
//   .json  (≤ 0.2x)  {sessionId, projectHash, startTime, lastUpdated, messages[], summary?}
//   .jsonl (newer)   a metadata line, MessageRecords (a later line with the same id re-states
//                    the message, e.g. once its tool calls finished), {"$set": {…}} (fields of
//                    the conversation, sometimes the whole `messages` array again, in the API's
//                    Content shape: thought/text/functionCall parts and `<id>_response` user
//                    messages) and {"$rewindTo": id}.
// Because a message is stated several times, every emitted piece is keyed (prompt, answer, n-th
// thought of a message id; call and result of a tool call id) and emitted once; the keys are
// kept (hashed) in the parser state so a resume's replay in a later run adds nothing either.
//
//   user text                          -> user (displayContent when present); first = title
//   user <session_context> block       -> nothing (boilerplate re-sent on every resume; its
//                                         workspace folder names the project)
//   user functionResponse parts        -> tool_result (only for results not seen in toolCalls)
//   gemini/model text, thoughts        -> assistant, reasoning
//   toolCalls / functionCall parts     -> run_shell_command: shell; replace, write_file, edit:
//                                         edit; others: tool_call — each followed by its
//                                         tool_result (same callId) once the call has a result
//   info / warning / error messages    -> meta
//   $rewindTo                          -> meta "rewind"
//   (normalized keys, model/Model.h)   edit calls: data.changes from the arguments (replace ->
//                                         "replace", write_file -> "write"); their results:
//                                         data.changes from resultDisplay (newContent as a
//                                         "write", originalContent as "before") when recorded;
//                                         read_file results: data.read; shell calls: data.cwd.
//                                         Relative paths are resolved against the project.
//   summary                            -> session title (agent generated)
//   anything else                      -> meta with the raw record, counted as unknown
#include "ingest/GeminiAdapter.h"

#include "ingest/Json.h"
#include "ingest/Text.h"
#include "util/Time.h"

#include <array>
#include <cstdlib>
#include <fstream>
#include <map>
#include <unordered_set>

namespace mantra {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using text::absolutePath;
using text::endsWith;
using text::hunksOnly;
using text::startsWith;
using text::titleFrom;
using text::trim;

// --- small text helpers ---------------------------------------------------------------------

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// --- SHA-256, to check a candidate folder against the projectHash (sha256 of the cwd) ---------

uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

std::string sha256Hex(std::string_view msg) {
  static const uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string m(msg);
  const uint64_t bits = static_cast<uint64_t>(msg.size()) * 8;
  m += static_cast<char>(0x80);
  while (m.size() % 64 != 56)
    m += '\0';
  for (int i = 7; i >= 0; --i)
    m += static_cast<char>((bits >> (i * 8)) & 0xff);
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i)
      w[i] = static_cast<uint32_t>(static_cast<unsigned char>(m[off + i * 4])) << 24 |
             static_cast<uint32_t>(static_cast<unsigned char>(m[off + i * 4 + 1])) << 16 |
             static_cast<uint32_t>(static_cast<unsigned char>(m[off + i * 4 + 2])) << 8 |
             static_cast<uint32_t>(static_cast<unsigned char>(m[off + i * 4 + 3]));
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a[8];
    std::copy(h, h + 8, a);
    for (int i = 0; i < 64; ++i) {
      const uint32_t t1 = a[7] + (rotr(a[4], 6) ^ rotr(a[4], 11) ^ rotr(a[4], 25)) +
                          ((a[4] & a[5]) ^ (~a[4] & a[6])) + k[i] + w[i];
      const uint32_t t2 = (rotr(a[0], 2) ^ rotr(a[0], 13) ^ rotr(a[0], 22)) +
                          ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
      std::copy_backward(a, a + 7, a + 8);
      a[4] += t1;
      a[0] = t1 + t2;
    }
    for (int i = 0; i < 8; ++i)
      h[i] += a[i];
  }
  std::string out;
  char buf[9];
  for (uint32_t v : h) {
    std::snprintf(buf, sizeof buf, "%08x", v);
    out += buf;
  }
  return out;
}

bool isSha256(std::string_view s) {
  if (s.size() != 64)
    return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

// --- Gemini content ---------------------------------------------------------------------------

// The text of a content value: a string, or the non-thought text parts of a part list (images
// and files as placeholders). Function calls and responses are not text.
std::string partsText(const json &content) {
  if (content.is_string())
    return content.get<std::string>();
  std::string out;
  auto add = [&](const std::string &piece) {
    if (piece.empty())
      return;
    if (!out.empty())
      out += "\n";
    out += piece;
  };
  if (content.is_object())
    add(js::str(content, "text"));
  if (!content.is_array())
    return out;
  for (const auto &p : content) {
    if (p.is_string())
      add(p.get<std::string>());
    else if (js::flag(p, "thought"))
      continue;
    else if (p.contains("text"))
      add(js::str(p, "text"));
    else if (p.contains("inlineData"))
      add("[" + js::str(js::get(p, "inlineData"), "mimeType") + " data]");
    else if (p.contains("fileData"))
      add("[file " + js::str(js::get(p, "fileData"), "fileUri") + "]");
  }
  return out;
}

const std::string &argPath(const json &args) {
  for (const char *k : {"file_path", "absolute_path", "path"})
    if (const std::string &p = js::str(args, k); !p.empty())
      return p;
  return js::str(args, "file_path");
}

EventKind kindForTool(const std::string &name) {
  if (name == "run_shell_command")
    return EventKind::Shell;
  if (name == "replace" || name == "write_file" || name == "edit")
    return EventKind::Edit;
  return EventKind::ToolCall;
}

// --- normalized changes and reads (model/Model.h) ---------------------------------------------

// The change an edit tool's arguments ask for. replace: old_string -> new_string, all
// occurrences when 0.6x allow_multiple or more than one expected_replacements ("count"); an
// empty old_string creates the file. write_file (and an `edit` with content): the content.
json requestChanges(const std::string &name, const json &args, const std::string &cwd) {
  json c = {{"path", absolutePath(argPath(args), cwd)}};
  const json &oldText = js::get(args, "old_string");
  if (name == "write_file" || (!oldText.is_string() && js::get(args, "content").is_string())) {
    c["op"] = "write";
    c["content"] = js::str(args, "content");
  } else if (oldText.is_string() && oldText.get_ref<const std::string &>().empty()) {
    c["op"] = "write";
    c["content"] = js::str(args, "new_string");
  } else {
    json ed = {{"old", js::str(args, "old_string")}, {"new", js::str(args, "new_string")}};
    const auto expected = js::integer(args, "expected_replacements");
    ed["all"] = js::flag(args, "allow_multiple") || (expected && *expected > 1);
    if (expected)
      ed["count"] = *expected;
    c["op"] = "replace";
    c["edits"] = json::array({std::move(ed)});
  }
  if (js::str(c, "path").empty())
    return json::array();
  return json::array({std::move(c)});
}

// What an edit's resultDisplay {fileDiff, filePath, originalContent, newContent, isNewFile}
// says was written, or null when it was not recorded (0.2x keeps no resultDisplay for edits).
json resultChanges(const json &display, const std::string &argPathAbs, const std::string &cwd) {
  if (!display.is_object())
    return nullptr;
  std::string path = absolutePath(js::str(display, "filePath"), cwd);
  if (path.empty())
    path = argPathAbs;
  if (path.empty())
    return nullptr;
  json c = {{"path", path}};
  const json &after = js::get(display, "newContent");
  const std::string &diff = js::str(display, "fileDiff");
  if (after.is_string()) {
    c["op"] = "write";
    c["content"] = after;
  } else if (std::string hunks = hunksOnly(diff); !hunks.empty()) {
    c["op"] = "unified";
    c["diff"] = std::move(hunks);
  } else {
    return nullptr;
  }
  if (js::flag(display, "isNewFile"))
    c["before"] = nullptr; // the file did not exist
  else if (const json &before = js::get(display, "originalContent"); before.is_string())
    c["before"] = before;
  return json::array({std::move(c)});
}

bool hasRange(const json &args) {
  for (const char *k : {"offset", "limit", "start_line", "end_line"})
    if (!js::get(args, k).is_null())
      return true;
  return false;
}

// data.read of a read_file result, or null when it returned no text of the file (an image, a
// binary, an output too large to keep). The text is the file's lines as read, unless the tool
// put a truncation notice before them (taken off); complete only for a read of the whole file
// with no notice, no line shortened ("… [truncated]") and no range asked for.
json readOf(const std::string &path, std::string text, const json &args, const json &display) {
  const std::string &shown = display.is_string() ? display.get_ref<const std::string &>() : "";
  if (path.empty() || startsWith(text, "Output too large.") ||
      startsWith(text, "Cannot display content of") ||
      (startsWith(shown, "Read ") && !startsWith(shown, "Read lines") &&
       !startsWith(shown, "Read all")) ||
      startsWith(shown, "Skipped"))
    return nullptr;
  bool complete = !hasRange(args) && shown.empty();
  const std::string lead = trim(std::string_view(text).substr(0, 64));
  if (startsWith(lead, "IMPORTANT: The file content has been truncated")) {
    const std::string mark = "--- FILE CONTENT (truncated) ---\n";
    const size_t at = text.find(mark);
    if (at == std::string::npos)
      return nullptr;
    text.erase(0, at + mark.size());
    complete = false;
  } else if (startsWith(lead, "[File content truncated")) {
    const size_t nl = text.find('\n');
    text.erase(0, nl == std::string::npos ? text.size() : nl + 1);
    complete = false;
  }
  if (text.find("... [truncated]\n") != std::string::npos || endsWith(text, "... [truncated]"))
    complete = false;
  return {{"path", path}, {"content", std::move(text)}, {"complete", complete}};
}

// What a run_shell_command result says. Legacy: "Command: …", "Directory: …", "Output: …",
// "Error: …", "Exit Code: N", "Signal: …", "Background PIDs: …", "Process Group PGID: …";
// 0.6x: "Output: …", ["Exit Code: N",] "Process Group PGID: …" inside <untrusted_context>, the
// exit code left out when it is 0.
struct ShellResult {
  std::string output;
  std::optional<int> exitCode;
  bool recognised = false; // the text had the tool's own layout
  bool signalled = false;
  bool failed = false; // "Error: …" other than (none): the command could not run
};

ShellResult parseShell(std::string_view raw) {
  std::string s = trim(raw);
  if (startsWith(s, "<untrusted_context>") && endsWith(s, "</untrusted_context>"))
    s = trim(std::string_view(s).substr(19, s.size() - 19 - 20));
  ShellResult r;
  const bool legacy = startsWith(s, "Command: ");
  // Some hand-made samples escape the newlines twice ("…\\nExit Code: 0"): a legacy layout on
  // one line cannot be real output, so read its "\\n" as line breaks.
  if (legacy && s.find('\n') == std::string::npos)
    for (size_t at = s.find("\\n"); at != std::string::npos; at = s.find("\\n", at + 1))
      s.replace(at, 2, "\n");
  // Peel the trailer lines off the end.
  while (true) {
    const size_t nl = s.rfind('\n');
    const std::string_view last = std::string_view(s).substr(nl == std::string::npos ? 0 : nl + 1);
    if (startsWith(last, "Exit Code: ")) {
      const std::string v = trim(last.substr(11));
      if (!v.empty() && std::all_of(v.begin(), v.end(), ::isdigit) && v.size() < 6)
        r.exitCode = std::atoi(v.c_str());
    } else if (startsWith(last, "Signal: ")) {
      const std::string v = trim(last.substr(8));
      r.signalled = v != "(none)" && v != "0" && !v.empty();
    } else if (legacy && startsWith(last, "Error: ")) {
      r.failed = trim(last.substr(7)) != "(none)";
    } else if (!startsWith(last, "Background PIDs: ") &&
               !startsWith(last, "Process Group PGID: ")) {
      break;
    }
    if (nl == std::string::npos) {
      s.clear();
      break;
    }
    s.resize(nl);
  }
  const size_t out = startsWith(s, "Output: ") ? 0 : s.find("\nOutput: ");
  if (out != std::string::npos) {
    r.recognised = true;
    s = s.substr(out == 0 ? 8 : out + 9);
    if (s == "(empty)")
      s.clear();
  }
  r.output = std::move(s);
  return r;
}

std::optional<int64_t> messageTime(const json &m) {
  if (auto t = parseIsoTime(js::str(m, "timestamp")))
    return t;
  if (auto ts = js::integer(m, "ts"))
    return *ts < 100000000000 ? *ts * 1000 : *ts; // seconds or milliseconds
  return std::nullopt;
}

class GeminiParser : public FileParser {
public:
  GeminiParser(const fs::path &path, const json &state, std::string project)
      : path_(path), whole_(path.extension() == ".json"), project_(std::move(project)) {
    const fs::path dir = path.parent_path();
    if (dir.filename() != "chats" && dir.parent_path().filename() == "chats") {
      subagent_ = true; // chats/<parentSessionId>/<sessionId>.jsonl
      parentNative_ = dir.filename().string();
    }
    if (!state.is_object())
      return;
    native_ = js::str(state, "native");
    hash_ = js::str(state, "hash");
    if (auto p = js::str(state, "project"); !p.empty())
      project_ = p;
    titled_ = js::flag(state, "titled");
    subagent_ = subagent_ || js::flag(state, "subagent");
    for (const auto &v : js::get(state, "seen"))
      if (v.is_number_unsigned())
        seen_.insert(v.get<uint64_t>());
  }

  json state() const override {
    json s = {{"titled", titled_}};
    if (!native_.empty())
      s["native"] = native_;
    if (!hash_.empty())
      s["hash"] = hash_;
    if (!project_.empty())
      s["project"] = project_;
    if (subagent_)
      s["subagent"] = true;
    // A whole document is read again from scratch each time: no need to remember pieces.
    if (!whole_)
      s["seen"] = json(std::vector<uint64_t>(seen_.begin(), seen_.end()));
    return s;
  }

  void line(std::string_view text, int64_t lineNo, Sink &sink) override {
    auto parsed = parseRecordLine(text, lineNo, sink, /*objectOnly=*/false);
    if (!parsed)
      return;
    json &r = *parsed;
    if (whole_ && r.is_array()) {
      messages(r, sink);
      return;
    }
    if (!r.is_object()) {
      sink.problem(lineNo, "expected a JSON object, got " + std::string(r.type_name()));
      return;
    }
    if (whole_)
      document(r, sink);
    else
      record(r, sink);
  }

private:
  // --- records ---------------------------------------------------------------------------------

  void document(const json &d, Sink &sink) {
    header(d, sink);
    if (d.contains("messages"))
      messages(js::get(d, "messages"), sink);
    else
      messages(js::get(d, "history"), sink); // very old exports: {role, parts, ts}
  }

  void record(const json &r, Sink &sink) {
    if (r.contains("$set")) {
      header(js::get(r, "$set"), sink);
      messages(js::get(js::get(r, "$set"), "messages"), sink);
    } else if (r.contains("$rewindTo")) {
      Event e = base(EventKind::Meta, std::nullopt, "");
      e.tool = "rewind";
      const json &to = js::get(r, "$rewindTo");
      e.text = "Conversation rewound to message " + (to.is_string() ? to.get<std::string>() : "");
      e.data = {{"rewindTo", to}};
      sink.event(std::move(e));
    } else if (r.contains("type") || r.contains("role")) {
      message(r, sink);
    } else if (r.contains("sessionId")) {
      header(r, sink);
    } else {
      unknown(r, "unknown", std::nullopt, sink);
    }
  }

  // Session fields of a metadata line, a `$set` or a whole document.
  void header(const json &h, Sink &sink) {
    if (!h.is_object())
      return;
    if (native_.empty())
      native_ = js::str(h, "sessionId");
    if (hash_.empty())
      hash_ = js::str(h, "projectHash");
    if (js::str(h, "kind") == "subagent")
      subagent_ = true;
    for (const auto &d : js::get(h, "directories"))
      if (d.is_string())
        statedFolder(d.get<std::string>());
    SessionInfo s = info();
    s.started = parseIsoTime(js::str(h, "startTime"));
    if (!s.started)
      s.started = parseIsoTime(js::str(h, "start_time"));
    s.ended = parseIsoTime(js::str(h, "lastUpdated"));
    if (!s.ended)
      s.ended = s.started;
    if (const std::string &sum = js::str(h, "summary"); !sum.empty()) {
      s.title = titleFrom(sum);
      s.titleRank = TitleAgentGenerated;
    }
    sink.session(s);
  }

  void messages(const json &list, Sink &sink) {
    if (!list.is_array())
      return;
    for (const auto &m : list) {
      if (m.is_object())
        message(m, sink);
    }
  }

  void message(const json &m, Sink &sink) {
    std::string type = js::str(m, "type");
    if (type.empty())
      type = js::str(m, "role");
    const std::string &id = js::str(m, "id");
    const auto t = messageTime(m);
    const json &content = m.contains("content") ? js::get(m, "content") : js::get(m, "parts");
    SessionInfo s = info();
    s.model = js::str(m, "model");
    s.started = s.ended = t;
    sink.session(s);
    if (type == "user")
      user(m, id, content, t, sink);
    else if (type == "gemini" || type == "model" || type == "assistant")
      model(m, id, content, t, sink);
    else if (type == "info" || type == "warning" || type == "error") {
      if (!fresh("m:" + id, id))
        return;
      Event e = base(EventKind::Meta, t, id);
      e.tool = type;
      e.text = partsText(content);
      e.isError = type == "error";
      sink.event(std::move(e));
    } else if (fresh("?:" + id, id)) {
      unknown(m, type.empty() ? "unknown" : type, t, sink);
    }
  }

  void user(const json &m, const std::string &id, const json &content, std::optional<int64_t> t,
            Sink &sink) {
    if (content.is_array())
      for (const auto &p : content)
        if (p.contains("functionResponse"))
          responsePart(js::get(p, "functionResponse"), t, sink);
    const json &display = js::get(m, "displayContent");
    std::string text = partsText(display.is_null() ? content : display);
    if (trim(text).empty())
      return;
    if (startsWith(trim(text), "<session_context>")) {
      sessionContext(text, sink);
      return;
    }
    if (!fresh("u:" + id, id))
      return;
    if (!titled_ && text[0] != '/') {
      SessionInfo s = info();
      s.title = titleFrom(text);
      s.titleRank = TitleFirstPrompt;
      sink.session(s);
      titled_ = true;
    }
    Event e = base(EventKind::User, t, id);
    e.text = std::move(text);
    sink.event(std::move(e));
  }

  void model(const json &m, const std::string &id, const json &content, std::optional<int64_t> t,
             Sink &sink) {
    int n = 0; // thoughts of this message, in order: thoughts[] (log) or thought parts (API)
    for (const auto &th : js::get(m, "thoughts")) {
      std::string text = js::str(th, "subject");
      if (const std::string &d = js::str(th, "description"); !d.empty())
        text += text.empty() ? d : "\n" + d;
      const auto tt = parseIsoTime(js::str(th, "timestamp"));
      thought(id, n++, std::move(text), tt ? tt : t, sink);
    }
    if (content.is_array())
      for (const auto &p : content)
        if (js::flag(p, "thought"))
          thought(id, n++, js::str(p, "text"), t, sink);
    if (std::string text = partsText(content); !trim(text).empty() && fresh("a:" + id, id)) {
      Event e = base(EventKind::Assistant, t, id);
      e.text = std::move(text);
      json d = json::object();
      for (const char *k : {"model", "tokens"})
        if (m.contains(k))
          d[k] = m[k];
      if (!d.empty())
        e.data = std::move(d);
      sink.event(std::move(e));
    }
    int index = 0;
    if (content.is_array())
      for (const auto &p : content)
        if (const json &fc = js::get(p, "functionCall"); fc.is_object())
          toolCall(fc, id, index++, t, sink);
    for (const auto &tc : js::get(m, "toolCalls"))
      toolCall(tc, id, index++, t, sink);
  }

  void thought(const std::string &id, int n, std::string text, std::optional<int64_t> t,
               Sink &sink) {
    if (trim(text).empty() || !fresh("r:" + id + ":" + std::to_string(n), id))
      return;
    Event e = base(EventKind::Reasoning, t, id);
    e.text = std::move(text);
    sink.event(std::move(e));
  }

  // --- tools -----------------------------------------------------------------------------------

  // A ToolCallRecord (id, name, args, result, status, …) or a functionCall part (id, name, args).
  void toolCall(const json &tc, const std::string &msgId, int index, std::optional<int64_t> t,
                Sink &sink) {
    std::string callId = js::str(tc, "id");
    if (callId.empty())
      callId = msgId + "#" + std::to_string(index);
    const std::string &name = js::str(tc, "name");
    const json &args = js::get(tc, "args");
    const auto tt = parseIsoTime(js::str(tc, "timestamp")); // else the message's time
    for (const char *k : {"file_path", "absolute_path", "dir_path", "directory", "path", "cwd"})
      if (const std::string &p = js::str(args, k); !p.empty() && p[0] == '/')
        checkFolder(p, true, sink);
    if (fresh("c:" + callId, callId)) {
      Event e = base(kindForTool(name), tt ? tt : t, msgId);
      e.tool = name;
      e.callId = callId;
      e.data = {{"input", args}};
      if (e.kind == EventKind::Shell) {
        e.command = js::str(args, "command");
        std::string dir = js::str(args, "dir_path");
        if (dir.empty())
          dir = js::str(args, "directory");
        if (std::string cwd = dir.empty() ? project_ : absolutePath(dir, project_); !cwd.empty())
          e.data["cwd"] = std::move(cwd);
      } else if (e.kind == EventKind::Edit) {
        e.path = argPath(args);
        e.text = js::str(args, name == "write_file" ? "content" : "new_string");
        e.data["changes"] = requestChanges(name, args, project_);
      } else {
        e.text = js::stringValues(args);
        e.path = argPath(args);
      }
      sink.event(std::move(e));
    }
    const json &result = js::get(tc, "result");
    const std::string &status = js::str(tc, "status");
    const bool done = !result.is_null() || status == "error" || status == "cancelled";
    if (!done && name == "read_file" && readArgs_.size() < 64)
      readArgs_[callId] = args; // for a result that comes as a functionResponse part
    if (done && fresh("x:" + callId, callId))
      sink.event(resultEvent(callId, name, result, tc, tt ? tt : t));
  }

  // A functionResponse part of a user message: the result of a call, unless already taken from
  // the call's own record.
  void responsePart(const json &fr, std::optional<int64_t> t, Sink &sink) {
    const std::string &callId = js::str(fr, "id");
    if (callId.empty() || !fresh("x:" + callId, callId))
      return;
    sink.event(resultEvent(callId, js::str(fr, "name"), json::array({{{"functionResponse", fr}}}),
                           json::object(), t));
  }

  Event resultEvent(const std::string &callId, const std::string &name, const json &result,
                    const json &tc, std::optional<int64_t> t) {
    Event e = base(EventKind::ToolResult, t, "");
    e.callId = callId;
    e.tool = name;
    const std::string &status = js::str(tc, "status");
    std::string text;
    auto add = [&](const std::string &piece) {
      if (!piece.empty())
        text += (text.empty() ? "" : "\n") + piece;
    };
    const json list = result.is_array() ? result : json::array({result});
    for (const auto &p : list) {
      const json &fr = p.contains("functionResponse") ? js::get(p, "functionResponse") : p;
      const json &resp = js::get(fr, "response");
      if (p.is_string())
        add(p.get<std::string>());
      else if (resp.contains("output") || resp.contains("error")) {
        add(js::str(resp, "output"));
        add(js::str(resp, "error"));
        e.isError = e.isError || resp.contains("error");
      } else if (!resp.is_null())
        add(resp.dump());
    }
    e.isError = e.isError || status == "error" || status == "cancelled";
    json d = json::object();
    if (!status.empty())
      d["status"] = status;
    if (const json &disp = js::get(tc, "resultDisplay"); disp.is_object())
      d["display"] = disp; // edits: fileDiff, originalContent, newContent
    if (kindForTool(name) == EventKind::Shell)
      shellResult(e, text, status, d);
    else
      e.text = std::move(text);
    if (!e.isError)
      normalizedResult(e, name, tc, d);
    if (!d.empty())
      e.data = std::move(d);
    return e;
  }

  // The normalized keys of a result (see the top): an edit's changes, a read_file's read.
  void normalizedResult(const Event &e, const std::string &name, const json &tc, json &d) {
    json args = js::get(tc, "args");
    if (auto it = readArgs_.find(e.callId); it != readArgs_.end()) {
      if (args.is_null())
        args = it->second;
      readArgs_.erase(it);
    }
    const std::string path = absolutePath(argPath(args), project_);
    if (kindForTool(name) == EventKind::Edit) {
      if (json c = resultChanges(js::get(tc, "resultDisplay"), path, project_); !c.is_null())
        d["changes"] = std::move(c);
    } else if (name == "read_file") {
      if (json rd = readOf(path, e.text, args, js::get(tc, "resultDisplay")); !rd.is_null())
        d["read"] = std::move(rd);
    }
  }

  static void shellResult(Event &e, const std::string &text, const std::string &status, json &d) {
    ShellResult sr = parseShell(text);
    e.text = sr.recognised ? sr.output : text;
    e.exitCode = sr.exitCode;
    // 0.6x leaves "Exit Code" out when it is 0: a completed, recognised run without one is a 0.
    if (!e.exitCode && sr.recognised && !sr.signalled && !sr.failed && status == "success")
      e.exitCode = 0;
    e.isError = e.isError || sr.signalled || sr.failed || (e.exitCode && *e.exitCode != 0);
    if (sr.signalled)
      d["signalled"] = true;
  }

  // --- project -----------------------------------------------------------------------------

  // The <session_context> block lists "Workspace Directories:" (the first is the cwd).
  void sessionContext(const std::string &text, Sink &sink) {
    const size_t at = text.find("Workspace Directories:");
    if (at == std::string::npos)
      return;
    const size_t nl = text.find('\n', at);
    if (nl == std::string::npos)
      return;
    size_t eol = text.find('\n', nl + 1);
    const std::string first =
        trim(std::string_view(text).substr(nl + 1, eol == std::string::npos ? eol : eol - nl - 1));
    if (startsWith(first, "- ") && first.size() > 2 && first[2] == '/')
      checkFolder(first.substr(2), false, sink);
  }

  void statedFolder(const std::string &dir) {
    if (!dir.empty() && dir[0] == '/' && project_.empty() && !isSha256(hash_))
      project_ = dir; // stated by the CLI itself; nothing to check it against
  }

  // Sets the project to `p` or one of its parents when its sha256 is the projectHash. A folder
  // the CLI states itself (`ancestors` false) is taken as is when there is no hash to check.
  void checkFolder(const std::string &p, bool ancestors, Sink &sink) {
    if (!project_.empty())
      return;
    if (!isSha256(hash_)) {
      if (!ancestors)
        project_ = p;
    } else {
      fs::path cur = fs::path(p).lexically_normal();
      for (int depth = 0; depth < 64 && !cur.empty(); ++depth) {
        std::string s = cur.generic_string();
        while (s.size() > 1 && s.back() == '/')
          s.pop_back();
        if (tried_.insert(s).second && sha256Hex(s) == hash_) {
          project_ = s;
          break;
        }
        if (!ancestors || cur == cur.parent_path())
          break;
        cur = cur.parent_path();
      }
    }
    if (!project_.empty())
      sink.session(info());
  }

  // --- plumbing ------------------------------------------------------------------------------

  // True the first time a piece is seen. Pieces of records without an id cannot be matched.
  bool fresh(const std::string &key, const std::string &id) {
    if (id.empty())
      return true;
    return seen_.insert(fnv1a(key)).second;
  }

  const std::string &sessionId() {
    if (native_.empty())
      native_ = path_.stem().string();
    if (sessionId_.empty() || sessionId_.compare(7, std::string::npos, native_) != 0)
      sessionId_ = "gemini:" + native_;
    return sessionId_;
  }

  SessionInfo info() {
    SessionInfo s;
    s.id = sessionId();
    s.agent = "gemini";
    s.nativeId = native_;
    s.project = project_;
    s.isSubagent = subagent_;
    if (subagent_ && !parentNative_.empty())
      s.parentId = "gemini:" + parentNative_;
    return s;
  }

  Event base(EventKind kind, std::optional<int64_t> t, const std::string &uuid) {
    Event e;
    e.sessionId = sessionId();
    e.kind = kind;
    e.time = t;
    e.uuid = uuid;
    return e;
  }

  void unknown(const json &r, const std::string &tool, std::optional<int64_t> t, Sink &sink) {
    Event e = base(EventKind::Meta, t, js::str(r, "id"));
    e.tool = tool;
    e.data = {{"raw", r}};
    sink.unknownRecord();
    sink.event(std::move(e));
  }

  fs::path path_;
  bool whole_ = false;
  std::string project_, native_, sessionId_, hash_, parentNative_;
  bool subagent_ = false, titled_ = false;
  std::unordered_set<uint64_t> seen_;
  std::unordered_set<std::string> tried_;
  std::map<std::string, json> readArgs_; // read_file calls whose result is still to come
};

// Up to `max` bytes of a small metadata file, "" when absent.
std::string readSmall(const fs::path &p, size_t max) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) > max || ec)
    return {};
  std::ifstream in(p, std::ios::binary);
  std::string s(max, '\0');
  in.read(s.data(), static_cast<std::streamsize>(max));
  s.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return s;
}

// The project folder the CLI recorded for tmp/<slug>/: `.project_root` (0.6x), else the entry of
// ~/.gemini/projects.json whose name is the slug. "" when neither says.
std::string recordedProject(const fs::path &projectDir) {
  std::string root = trim(readSmall(projectDir / ".project_root", 4096));
  if (!root.empty() && root[0] == '/' && root.find('\n') == std::string::npos)
    return root;
  const json reg = json::parse(
      readSmall(projectDir.parent_path().parent_path() / "projects.json", 1 << 20), nullptr, false);
  const std::string slug = projectDir.filename().string();
  const json &projects = js::get(reg, "projects");
  if (projects.is_object())
    for (const auto &[folder, name] : projects.items())
      if (name.is_string() && name.get<std::string>() == slug)
        return folder;
  return {};
}

bool hasPair(std::string_view head, std::string_view key, std::string_view value) {
  const std::string k = "\"" + std::string(key) + "\"";
  for (size_t at = head.find(k); at != std::string_view::npos; at = head.find(k, at + 1)) {
    size_t i = at + k.size();
    while (i < head.size() && (head[i] == ' ' || head[i] == ':' || head[i] == '\t'))
      ++i;
    if (head.substr(i, value.size() + 2) == "\"" + std::string(value) + "\"")
      return true;
  }
  return false;
}

bool has(std::string_view head, std::string_view s) { return head.find(s) != std::string::npos; }

} // namespace

std::vector<fs::path> GeminiAdapter::roots() const {
  if (const char *dir = std::getenv("GEMINI_CLI_HOME"); dir && *dir)
    return {fs::path(dir) / ".gemini" / "tmp"};
  if (const char *home = std::getenv("HOME"); home && *home)
    return {fs::path(home) / ".gemini" / "tmp"};
  return {};
}

int GeminiAdapter::claims(const fs::path &path, std::string_view head) const {
  const std::string ext = path.extension().string();
  if (ext != ".json" && ext != ".jsonl")
    return 0;
  const std::string dir = path.parent_path().filename().string();
  const std::string grand = path.parent_path().parent_path().filename().string();
  const bool inChats = dir == "chats" || (grand == "chats" && ext == ".jsonl");
  const bool named =
      inChats && (startsWith(path.filename().string(), "session-") || dir != "chats");
  // Elsewhere under .gemini/tmp: logs.json, checkpoints, tool output — not sessions.
  if (!inChats && has(path.generic_string(), "/.gemini/tmp/"))
    return 0;
  if (head.empty())
    return named ? 6 : 1;
  int score = named ? 6 : 0;
  if ((has(head, "\"sessionId\"") && has(head, "\"projectHash\"")) || has(head, "{\"$set\"") ||
      has(head, "{\"$rewindTo\"") || hasPair(head, "type", "gemini"))
    score = std::max(score, 6);
  if ((has(head, "\"messages\"") || has(head, "\"history\"")) &&
      (has(head, "\"parts\"") || has(head, "\"toolCalls\"") || has(head, "\"thoughts\"") ||
       hasPair(head, "type", "model")))
    score = std::max(score, 3);
  return score;
}

bool GeminiAdapter::wholeDocument(const fs::path &path) const {
  return path.extension() == ".json";
}

std::unique_ptr<FileParser> GeminiAdapter::open(const fs::path &path, const json &state) const {
  fs::path dir = path.parent_path();
  if (dir.filename() != "chats" && dir.parent_path().filename() == "chats")
    dir = dir.parent_path(); // a sub-agent's chats/<parent>/<id>.jsonl
  std::string project;
  if (dir.filename() == "chats" && !(state.is_object() && state.contains("project")))
    project = recordedProject(dir.parent_path());
  return std::make_unique<GeminiParser>(path, state, std::move(project));
}

} // namespace mantra
