// Cursor's tool calls as normalized events, for all three of its stores. The names differ by
// store and version — the IDE's run_terminal_cmd / run_terminal_command_v2, edit_file /
// edit_file_v2 / search_replace, read_file / read_file_v2; the CLI's and the transcripts' Shell,
// Write, StrReplace, Delete, ApplyPatch, Read — and so do the argument names; one table maps
// them all:
//   shell tools -> shell (command, data.cwd) + tool_result (output, exit code)
//   edit tools  -> edit (data.changes asked for) + tool_result (data.changes applied: an
//                  edit_file_v2 result's beforeContentId/afterContentId resolved to the whole file
//                  before and after, as op "write" with "before"; edit_file's diff chunks as
//                  "unified"; a delete)
//   read tools  -> tool_call + tool_result (data.read when the whole file came back)
//   the rest    -> tool_call + tool_result
#include "ingest/CursorShared.h"

#include "ingest/Json.h"
#include "ingest/Text.h"
#include "util/Time.h"

#include <algorithm>
#include <cctype>

namespace mantra::cursor {
namespace fs = std::filesystem;
using text::startsWith;
using text::trim;

// --- helpers ------------------------------------------------------------------------------------

uint64_t fnv1a(std::string_view s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string fileUriPath(std::string_view uri) {
  if (!startsWith(uri, "file://"))
    return {};
  std::string_view rest = uri.substr(7);
  if (const size_t slash = rest.find('/'); slash != 0 && slash != std::string_view::npos)
    rest = rest.substr(slash); // file://host/path
  std::string out;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() &&
        std::isxdigit(static_cast<unsigned char>(rest[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(rest[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(rest.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += rest[i];
    }
  }
  // Windows drive letters come as /c:/…; keep them as they are.
  return out;
}

std::string absolutePath(const std::string &p, const std::string &cwd) {
  if (p.empty())
    return p;
  std::string raw = startsWith(p, "file://") ? fileUriPath(p) : p;
  if (raw.empty())
    return p;
  return text::absolutePath(raw, cwd);
}

json decoded(const json &v) {
  if (!v.is_string())
    return v;
  const std::string &s = v.get_ref<const std::string &>();
  const std::string t = trim(s);
  if (t.empty() || (t[0] != '{' && t[0] != '['))
    return v;
  json parsed = json::parse(t, nullptr, false);
  return parsed.is_discarded() ? v : parsed;
}

std::optional<int64_t> timeOf(const json &v) {
  if (v.is_string())
    return parseIsoTime(v.get_ref<const std::string &>());
  if (v.is_number()) {
    const auto n = v.is_number_float() ? static_cast<int64_t>(v.get<double>()) : v.get<int64_t>();
    if (n <= 0)
      return std::nullopt;
    return n < 100000000000 ? n * 1000 : n; // seconds or milliseconds
  }
  return std::nullopt;
}

std::optional<std::string> between(const std::string &text, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  const size_t a = text.find(open);
  if (a == std::string::npos)
    return std::nullopt;
  const size_t b = text.find(close, a + open.size());
  return trim(std::string_view(text).substr(
      a + open.size(), b == std::string::npos ? std::string::npos : b - a - open.size()));
}

std::string withoutTimestamps(std::string text) {
  for (size_t a = text.find("<timestamp>"); a != std::string::npos; a = text.find("<timestamp>")) {
    const size_t b = text.find("</timestamp>", a);
    if (b == std::string::npos)
      break;
    text.erase(a, b + 12 - a);
  }
  return trim(text);
}

namespace {

enum class Kind { Shell, Edit, Read, Other };

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Kind kindOf(const std::string &name) {
  const std::string n = lower(name);
  if (n == "run_terminal_cmd" || n == "run_terminal_command" || n == "run_terminal_command_v2" ||
      n == "shell" || n == "run_command")
    return Kind::Shell;
  if (n == "edit_file" || n == "edit_file_v2" || n == "search_replace" || n == "write" ||
      n == "strreplace" || n == "multiedit" || n == "edit" || n == "delete_file" || n == "delete" ||
      n == "applypatch" || n == "apply_patch" || n == "write_file" || n == "create_file" ||
      n == "reapply")
    return Kind::Edit;
  if (n == "read_file" || n == "read_file_v2" || n == "read" || n == "readfile")
    return Kind::Read;
  return Kind::Other;
}

const std::string &firstString(const json &j, std::initializer_list<const char *> keys) {
  for (const char *k : keys)
    if (const std::string &s = js::str(j, k); !s.empty())
      return s;
  static const std::string empty;
  return empty;
}

std::string argPath(const json &params) {
  return firstString(params, {"relativeWorkspacePath", "relative_workspace_path", "target_file",
                              "targetFile", "file_path", "filePath", "path", "effectiveUri"});
}

// The one output text of a result: a string, or its output / contents field, else its JSON.
std::string resultText(const json &result) {
  if (result.is_string())
    return result.get<std::string>();
  if (result.is_null())
    return {};
  for (const char *k : {"output", "contents", "content", "fileContents", "text", "message"})
    if (const json &v = js::get(result, k); v.is_string())
      return v.get<std::string>();
  return result.dump();
}

// --- shell ------------------------------------------------------------------------------------

struct ShellOutcome {
  std::string output;
  std::optional<int> exitCode;
  bool interrupted = false;
};

// The CLI's Shell result: "Exit code: 0\n\nCommand output:\n…" (or the output alone).
ShellOutcome parseShellText(const std::string &s) {
  ShellOutcome r;
  std::string rest = s;
  if (startsWith(rest, "Exit code: ")) {
    const size_t nl = rest.find('\n');
    const std::string code = trim(
        std::string_view(rest).substr(11, nl == std::string::npos ? std::string::npos : nl - 11));
    if (!code.empty() && code.size() < 6 &&
        std::all_of(code.begin() + (code[0] == '-' ? 1 : 0), code.end(), ::isdigit) && code != "-")
      r.exitCode = std::stoi(code);
    rest = nl == std::string::npos ? std::string() : rest.substr(nl + 1);
  }
  const std::string mark = "Command output:";
  if (const size_t at = rest.find(mark);
      at != std::string::npos && trim(rest.substr(0, at)).empty())
    rest = rest.substr(at + mark.size());
  if (!rest.empty() && rest[0] == '\n')
    rest.erase(0, 1);
  r.output = trim(rest).empty() ? std::string() : rest;
  return r;
}

ShellOutcome shellOutcome(const json &result) {
  if (result.is_string())
    return parseShellText(result.get<std::string>());
  ShellOutcome r;
  if (!result.is_object())
    return r;
  std::string out = firstString(result, {"output", "contents", "stdout"});
  if (const std::string &err = js::str(result, "stderr"); !err.empty())
    out += (out.empty() || out.back() == '\n' ? "" : "\n") + err;
  r.output = std::move(out);
  for (const char *k : {"exitCode", "exit_code", "exitCodeV2"})
    if (auto c = js::integer(result, k)) {
      r.exitCode = static_cast<int>(*c);
      break;
    }
  const json &ni = js::get(result, "notInterrupted");
  r.interrupted = (ni.is_boolean() && !ni.get<bool>()) || js::flag(result, "interrupted");
  return r;
}

// --- edits ------------------------------------------------------------------------------------

// The changes of an apply_patch text (Codex's format, which Cursor's ApplyPatch takes too).
json patchChanges(const std::string &patch, const std::string &cwd) {
  json out = json::array();
  json *cur = nullptr;
  std::string body;
  auto close = [&] {
    if (cur && (*cur)["op"] == "patch")
      (*cur)["patch"] = body;
    else if (cur && (*cur)["op"] == "write")
      (*cur)["content"] = body;
    body.clear();
    cur = nullptr;
  };
  size_t pos = 0;
  while (pos <= patch.size()) {
    const size_t nl = patch.find('\n', pos);
    const std::string line =
        patch.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? patch.size() + 1 : nl + 1;
    auto start = [&](const char *op, size_t skip) {
      close();
      out.push_back({{"path", absolutePath(trim(line.substr(skip)), cwd)}, {"op", op}});
      cur = &out.back();
    };
    if (startsWith(line, "*** Update File: "))
      start("patch", 17);
    else if (startsWith(line, "*** Add File: "))
      start("write", 14);
    else if (startsWith(line, "*** Delete File: "))
      start("delete", 17);
    else if (startsWith(line, "*** Move to: ") && cur)
      (*cur)["to"] = absolutePath(trim(line.substr(13)), cwd);
    else if (startsWith(line, "*** End Patch") || startsWith(line, "*** Begin Patch"))
      close();
    else if (cur && (*cur)["op"] == "write")
      body += (startsWith(line, "+") ? line.substr(1) : line) + "\n";
    else if (cur && (*cur)["op"] == "patch")
      body += line + "\n";
  }
  close();
  return out;
}

// What an edit call asks for, one change per file (empty when it cannot be told).
json requestChanges(const std::string &name, const json &params, const std::string &cwd) {
  const std::string n = lower(name);
  const std::string path = absolutePath(argPath(params), cwd);
  if (n == "applypatch" || n == "apply_patch") {
    const std::string &patch = firstString(params, {"patch", "input", "patchText", "diff"});
    return patchChanges(patch.empty() && params.is_string() ? params.get<std::string>() : patch,
                        cwd);
  }
  if (path.empty())
    return json::array();
  json c = {{"path", path}};
  const json &oldText =
      params.contains("old_string") ? js::get(params, "old_string") : js::get(params, "oldString");
  if (n == "delete_file" || n == "delete") {
    c["op"] = "delete";
  } else if (oldText.is_string()) {
    const json &newText = params.contains("new_string") ? js::get(params, "new_string")
                                                        : js::get(params, "newString");
    c["op"] = "replace";
    c["edits"] =
        json::array({{{"old", oldText},
                      {"new", newText.is_string() ? newText : json("")},
                      {"all", js::flag(params, "replace_all") || js::flag(params, "replaceAll")}}});
  } else if (const json &edits = js::get(params, "edits"); edits.is_array()) {
    json list = json::array();
    for (const auto &e : edits)
      list.push_back({{"old", js::str(e, "old_string")},
                      {"new", js::str(e, "new_string")},
                      {"all", js::flag(e, "replace_all")}});
    c["op"] = "replace";
    c["edits"] = std::move(list);
  } else if (const json &content = params.contains("contents")  ? js::get(params, "contents")
                                   : params.contains("content") ? js::get(params, "content")
                                                                : js::get(params, "file_text");
             content.is_string() && n != "edit_file" && n != "edit_file_v2") {
    c["op"] = "write";
    c["content"] = content;
  } else {
    // edit_file's code_edit is a sketch ("// ... existing code ...") that Cursor's apply model
    // merges into the file; only the result tells what was written.
    c["op"] = "unknown";
    c["reason"] = "Cursor's " + name +
                  " sends a sketch of the change for its apply model to "
                  "merge; what it wrote was not recorded";
  }
  return json::array({std::move(c)});
}

// Unified hunks from edit_file's result.diff.chunks, when every chunk is well formed.
std::optional<std::string> chunksDiff(const json &chunks) {
  if (!chunks.is_array() || chunks.empty())
    return std::nullopt;
  std::string out;
  for (const auto &ch : chunks) {
    const std::string &body = js::str(ch, "diffString");
    const auto oldStart = js::integer(ch, "oldStart"), newStart = js::integer(ch, "newStart");
    const auto oldLines = js::integer(ch, "oldLines"), newLines = js::integer(ch, "newLines");
    if (body.empty() || !oldStart || !newStart || !oldLines || !newLines)
      return std::nullopt;
    int64_t o = 0, n = 0;
    size_t pos = 0;
    while (pos < body.size()) {
      size_t nl = body.find('\n', pos);
      if (nl == std::string::npos)
        nl = body.size();
      const char c = pos < nl ? body[pos] : ' ';
      if (c == ' ')
        ++o, ++n;
      else if (c == '-')
        ++o;
      else if (c == '+')
        ++n;
      else if (c != '\\')
        return std::nullopt;
      pos = nl + 1;
    }
    if (o != *oldLines || n != *newLines)
      return std::nullopt;
    out += "@@ -" + std::to_string(*oldStart) + "," + std::to_string(*oldLines) + " +" +
           std::to_string(*newStart) + "," + std::to_string(*newLines) + " @@\n" + body;
    if (out.back() != '\n')
      out += '\n';
  }
  return out;
}

// The sha256 of "": Cursor's id for "no content before" (a new file).
constexpr std::string_view kEmptyContent =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// What an edit's result says was applied (null when it does not say).
json resultChanges(const ToolCall &call, const std::string &path, const ToolContext &ctx) {
  const json &r = call.result;
  if (call.failed || path.empty())
    return nullptr;
  const std::string &afterId = js::str(r, "afterContentId");
  if (!afterId.empty() && ctx.resolveContent) {
    auto after = ctx.resolveContent(afterId);
    if (!after)
      return nullptr;
    json c = {{"path", path}, {"op", "write"}, {"content", *after}};
    if (const std::string &beforeId = js::str(r, "beforeContentId"); !beforeId.empty()) {
      if (text::endsWith(beforeId, kEmptyContent))
        c["before"] = nullptr; // nothing before: the edit created the file
      else if (auto before = ctx.resolveContent(beforeId))
        c["before"] = *before;
    }
    return json::array({std::move(c)});
  }
  if (auto diff = chunksDiff(js::get(js::get(r, "diff"), "chunks")))
    return json::array({{{"path", path}, {"op", "unified"}, {"diff", *diff}}});
  const std::string n = lower(call.name);
  if ((n == "delete_file" || n == "delete") && call.hasResult)
    return json::array({{{"path", path}, {"op", "delete"}}});
  return nullptr;
}

// --- reads ------------------------------------------------------------------------------------

// "     1|text" on every line (the CLI's Read): the text without the numbers; else unchanged.
std::string withoutLineNumbers(const std::string &s, bool &numbered) {
  numbered = false;
  if (s.empty())
    return s;
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    const bool last = nl == std::string::npos;
    if (last)
      nl = s.size();
    std::string_view line(s.data() + pos, nl - pos);
    size_t i = 0;
    while (i < line.size() && line[i] == ' ')
      ++i;
    const size_t digits = i;
    while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])))
      ++i;
    if (i == digits || i >= line.size() || line[i] != '|')
      return s;
    out.append(line.substr(i + 1));
    if (!last)
      out += '\n';
    pos = nl + 1;
  }
  numbered = true;
  return out;
}

json readOf(const ToolCall &call, const std::string &path) {
  if (call.failed || path.empty())
    return nullptr;
  const json &r = call.result;
  const json &p = call.params;
  std::string content;
  if (r.is_string())
    content = r.get<std::string>();
  else if (const std::string &c = firstString(r, {"contents", "content", "fileContents"});
           !c.empty() || js::get(r, "contents").is_string())
    content = c;
  else
    return nullptr;
  bool numbered = false;
  content = withoutLineNumbers(content, numbered);
  bool complete = true;
  for (const char *k : {"offset", "limit", "startLineOneIndexed", "endLineOneIndexedInclusive",
                        "start_line_one_indexed", "end_line_one_indexed_inclusive", "charsLimit"})
    if (!js::get(p, k).is_null())
      complete = false;
  if (js::flag(p, "shouldReadEntireFile") || js::flag(p, "should_read_entire_file"))
    complete = true;
  for (const char *k : {"didShortenLineRange", "didShortenCharRange", "didDowngradeToLineRange",
                        "didSetDefaultLineRange", "truncated", "isTruncated"})
    if (js::flag(r, k))
      complete = false;
  if (auto total = js::integer(r, "totalLinesInFile")) {
    const auto lines = std::count(content.begin(), content.end(), '\n') +
                       (content.empty() || content.back() == '\n' ? 0 : 1);
    if (lines < *total)
      complete = false;
  }
  return {{"path", path}, {"content", std::move(content)}, {"complete", complete}};
}

Event base(const ToolCall &call, const ToolContext &ctx, EventKind kind) {
  Event e;
  e.sessionId = ctx.sessionId;
  e.kind = kind;
  e.time = call.time;
  e.tool = call.name;
  e.callId = call.callId;
  e.uuid = call.uuid;
  return e;
}

} // namespace

Event callEvent(const ToolCall &call, const ToolContext &ctx) {
  const Kind kind = kindOf(call.name);
  const json &p = call.params;
  const std::string rawPath = argPath(p);

  Event e = base(call, ctx,
                 kind == Kind::Shell  ? EventKind::Shell
                 : kind == Kind::Edit ? EventKind::Edit
                                      : EventKind::ToolCall);
  e.data = {{"input", p}};
  if (!call.status.empty())
    e.data["status"] = call.status;
  if (kind == Kind::Shell) {
    e.command = firstString(p, {"command", "cmd"});
    std::string cwd = firstString(p, {"cwd", "working_directory", "workingDirectory"});
    cwd = cwd.empty() ? ctx.project : absolutePath(cwd, ctx.project);
    if (!cwd.empty())
      e.data["cwd"] = cwd;
  } else if (kind == Kind::Edit) {
    e.path = rawPath;
    e.text = firstString(p, {"code_edit", "new_string", "newString", "contents", "content",
                             "file_text", "instructions"});
    if (json c = requestChanges(call.name, p, ctx.project); !c.empty())
      e.data["changes"] = std::move(c);
  } else {
    e.path = rawPath;
    e.text = js::stringValues(p);
  }
  return e;
}

Event resultEvent(const ToolCall &call, const ToolContext &ctx) {
  const Kind kind = kindOf(call.name);
  const std::string path = absolutePath(argPath(call.params), ctx.project);
  Event r = base(call, ctx, EventKind::ToolResult);
  r.isError = call.failed;
  // Cursor keeps one time for a call and its result: the result takes none, or the two would
  // pass for a command that took no time.
  if (kind == Kind::Shell)
    r.time.reset();
  json d = json::object();
  if (!call.status.empty())
    d["status"] = call.status;
  if (kind == Kind::Shell) {
    ShellOutcome o = shellOutcome(call.result);
    r.text = std::move(o.output);
    r.exitCode = o.exitCode;
    r.isError = r.isError || (o.exitCode && *o.exitCode != 0);
    if (o.interrupted)
      d["interrupted"] = true;
    if (call.result.is_object()) {
      json rest = call.result;
      rest.erase("output");
      if (!rest.empty())
        d["result"] = std::move(rest);
    }
  } else {
    r.text = resultText(call.result);
    if (call.result.is_object() && kind == Kind::Edit)
      d["result"] = call.result;
    if (kind == Kind::Edit) {
      if (json c = resultChanges(call, path, ctx); !c.is_null())
        d["changes"] = std::move(c);
    } else if (kind == Kind::Read) {
      if (json rd = readOf(call, path); !rd.is_null())
        d["read"] = std::move(rd);
    }
  }
  if (!d.empty())
    r.data = std::move(d);
  return r;
}

std::vector<Event> toolEvents(const ToolCall &call, const ToolContext &ctx) {
  std::vector<Event> out;
  out.push_back(callEvent(call, ctx));
  if (call.hasResult || call.failed)
    out.push_back(resultEvent(call, ctx));
  return out;
}

} // namespace mantra::cursor
