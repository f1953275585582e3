// Aider's chat history, `.aider.chat.history.md`: Markdown that aider appends to as it goes
// (io.py: user_input, ai_output, tool_output, confirm_ask). What each line is:
//   # aider chat started at Y-M-D H:M:S  a new session (local time, the only timestamp)
//   #### text                           a prompt line (a multi-line prompt is several of them);
//                                       `/cmd args` a command, `!cmd` a shell command
//   > text                              aider's own output (one `> ` per call: a multi-line
//                                       output continues on unprefixed lines right below it)
//   anything else                       the model's answer, written in one piece that ends
//                                       with a blank line
// Aider writes "\n" before a prompt and "\n\n" after an answer, so a prompt that follows an
// answer has at least two blank lines before it; a "#### Heading" inside an answer has fewer
// (and lines inside ``` fences or SEARCH/REPLACE blocks are never markers).
//
//   prompt                          -> user (the first one that is not a command: the title)
//   /run, /test, !cmd, /git         -> shell (no exit code is recorded; /test whose output was
//                                      added to the chat failed)
//   > Running cmd                   -> shell (a command the model proposed and the user ran)
//   answer                          -> assistant; its SEARCH/REPLACE blocks (or whole files /
//                                      udiffs, per the session's edit format) are held until
//                                      aider says "Applied edit to <file>", then become one
//                                      edit of that file with data.changes (op "replace",
//                                      "write" or "patch", paths resolved against the history
//                                      file's folder; an empty SEARCH on a file aider created
//                                      is a "write" of the whole file); edits aider did not
//                                      apply (failed to match, --dry-run, never confirmed) are
//                                      edits marked isError that the timeline skips
//   aider's output lines            -> meta "aider" (model, version and edit format read from it)
// A session is recorded from its first prompt, answer, command or edit on: aider started and
// quit at once (a header and its banner) leaves none.
//
// A block is emitted when the line after it shows it ended; at the end of a run what the writer
// evidently finished (a prompt, aider's lines, an answer followed by its blank line) is emitted
// too, and the rest waits in the parser state.
#include "ingest/AiderAdapter.h"

#include "ingest/Json.h"
#include "ingest/Text.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <set>

namespace mantra {
namespace fs = std::filesystem;
using nlohmann::json;
using text::startsWith;
using text::trim;

namespace {

const std::string kHeader = "# aider chat started at ";
const std::string kHistory = ".aider.chat.history.md";

enum Mode { None = 0, User = 1, Answer = 2, Tool = 3 };

std::string rtrim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  return s;
}

bool repeated(std::string_view l, char c, size_t lo, size_t hi, std::string_view tail) {
  size_t n = 0;
  while (n < l.size() && l[n] == c)
    ++n;
  if (n < lo || n > hi)
    return false;
  return trim(l.substr(n)) == trim(tail);
}
bool isHead(std::string_view l) { return repeated(l, '<', 5, 9, "SEARCH"); }
bool isDivider(std::string_view l) { return repeated(l, '=', 5, 9, ""); }
bool isUpdated(std::string_view l) { return repeated(l, '>', 5, 9, "REPLACE"); }
bool isFence(std::string_view l) { return startsWith(l, "```"); }
bool isMarker(std::string_view l) { return isHead(l) || isDivider(l) || isUpdated(l); }

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string join(const std::vector<std::string> &lines, size_t from = 0, size_t to = SIZE_MAX) {
  std::string out;
  for (size_t i = from; i < lines.size() && i < to; ++i)
    out += lines[i] + "\n";
  return out;
}

std::string absolute(const std::string &p, const std::string &project) {
  if (p.empty())
    return p;
  fs::path path(p);
  if (path.is_relative() && !project.empty())
    path = fs::path(project) / path;
  return path.lexically_normal().generic_string();
}

// The file name aider would read from a line before a block (editblock_coder.strip_filename).
std::string filenameIn(std::string line) {
  line = trim(line);
  if (line == "..." || isMarker(line))
    return {};
  if (isFence(line)) {
    const size_t at = line.find_first_not_of('`');
    const std::string rest = at == std::string::npos ? "" : trim(line.substr(at));
    return rest.find('.') != std::string::npos || rest.find('/') != std::string::npos ? rest : "";
  }
  while (!line.empty() && line.back() == ':')
    line.pop_back();
  while (!line.empty() && line.front() == '#')
    line.erase(0, 1);
  line = trim(line);
  for (char c : {'`', '*'}) {
    while (!line.empty() && line.front() == c)
      line.erase(0, 1);
    while (!line.empty() && line.back() == c)
      line.pop_back();
  }
  return trim(line);
}

struct Proposed {
  std::string shown; // the path as the model wrote it
  json change;       // the normalized change
  std::string text;  // what an edit event shows: the new text
};

// SEARCH/REPLACE blocks (edit formats diff, diff-fenced, editor-diff).
// `unfinished`: set to the index of a block's first line when it has no end.
std::vector<Proposed> searchReplace(const std::vector<std::string> &lines,
                                    const std::string &project, size_t *unfinished = nullptr) {
  std::vector<Proposed> out;
  std::string current;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!isHead(lines[i]))
      continue;
    std::string name;
    for (size_t back = 1; back <= 3 && back <= i; ++back) {
      const std::string &l = lines[i - back];
      if (trim(l).empty())
        continue;
      name = filenameIn(l);
      if (!name.empty() || !isFence(trim(l)))
        break;
    }
    if (!name.empty())
      current = name;
    size_t j = i + 1;
    std::vector<std::string> before, after;
    while (j < lines.size() && !isDivider(lines[j]))
      before.push_back(lines[j++]);
    ++j;
    while (j < lines.size() && !isUpdated(lines[j]))
      after.push_back(lines[j++]);
    if (j >= lines.size()) {
      if (unfinished)
        *unfinished = i; // aider rejects it too
      break;
    }
    if (current.empty()) {
      i = j;
      continue;
    }
    Proposed p;
    p.shown = current;
    p.text = join(after);
    p.change = {{"path", absolute(current, project)},
                {"op", "replace"},
                {"edits", json::array({{{"old", join(before)}, {"new", p.text}, {"all", false}}})}};
    out.push_back(std::move(p));
    i = j;
  }
  return out;
}

// Whole files (edit format whole): a file name line, then the file in a fence.
std::vector<Proposed> wholeFiles(const std::vector<std::string> &lines,
                                 const std::string &project) {
  std::vector<Proposed> out;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (!isFence(lines[i]))
      continue;
    const std::string name = filenameIn(lines[i - 1]);
    size_t j = i + 1;
    while (j < lines.size() && !isFence(lines[j]))
      ++j;
    if (!name.empty() && name.find(' ') == std::string::npos && j < lines.size()) {
      Proposed p;
      p.shown = name;
      p.text = join(lines, i + 1, j);
      p.change = {{"path", absolute(name, project)}, {"op", "write"}, {"content", p.text}};
      out.push_back(std::move(p));
    }
    i = j;
  }
  return out;
}

// Unified diffs without line numbers (edit format udiff): "--- a" / "+++ b", then "@@ ... @@"
// hunks — the context-patch shape the timeline's op "patch" applies.
std::vector<Proposed> udiffs(const std::vector<std::string> &lines, const std::string &project) {
  std::vector<Proposed> out;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    if (!startsWith(lines[i], "--- ") || !startsWith(lines[i + 1], "+++ "))
      continue;
    std::string from = trim(lines[i].substr(4)), to = trim(lines[i + 1].substr(4));
    if (startsWith(to, "b/") && startsWith(from, "a/"))
      to = to.substr(2);
    std::string body, added;
    size_t j = i + 2;
    for (; j < lines.size() && !isFence(lines[j]) && !startsWith(lines[j], "--- "); ++j) {
      const std::string &l = lines[j];
      if (startsWith(l, "@@"))
        body += "@@\n";
      else if (!l.empty() && (l[0] == ' ' || l[0] == '-' || l[0] == '+'))
        body += l + "\n";
      else if (l.empty())
        body += "\n";
      if (startsWith(l, "+"))
        added += l.substr(1) + "\n";
    }
    Proposed p;
    p.shown = to;
    p.text = added;
    if (from == "/dev/null")
      p.change = {{"path", absolute(to, project)}, {"op", "write"}, {"content", added}};
    else
      p.change = {{"path", absolute(to, project)}, {"op", "patch"}, {"patch", body}};
    out.push_back(std::move(p));
    i = j - 1;
  }
  return out;
}

bool isStatus(const std::string &t) {
  for (const char *p :
       {"Add ", "Added ", "Run shell command", "Running ", "Tokens: ", "Applied edit to ",
        "Commit ", "Did not apply edit", "Skipping edits", "Creating empty file", "Cost: "})
    if (startsWith(t, p))
      return true;
  return t.find("(Y)es/(N)o") != std::string::npos;
}

// "Y-M-D H:M:S" in local time, as aider writes it, to ms since the epoch.
std::optional<int64_t> localTime(const std::string &s) {
  std::tm tm{};
  if (std::sscanf(s.c_str(), "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1))
    return std::nullopt;
  return static_cast<int64_t>(t) * 1000;
}

std::string stampOf(const std::string &header) {
  std::string out;
  for (char c : header)
    if (std::isdigit(static_cast<unsigned char>(c)))
      out += c;
  if (out.size() == 14)
    out.insert(8, "T");
  if (!out.empty())
    return out;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a(header)));
  return "x" + std::string(buf).substr(0, 8);
}

class AiderParser : public FileParser {
public:
  AiderParser(const fs::path &path, const json &state) {
    const std::string abs = fs::absolute(path).lexically_normal().generic_string();
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a(abs)));
    fileHash_ = std::string(buf).substr(0, 12);
    project_ = fs::absolute(path).lexically_normal().parent_path().generic_string();
    if (!state.is_object())
      return;
    sid_ = js::str(state, "sid");
    started_ = js::integer(state, "started");
    titled_ = js::flag(state, "titled");
    format_ = js::str(state, "format");
    mode_ = static_cast<int>(js::integer(state, "mode").value_or(None));
    prev_ = static_cast<int>(js::integer(state, "prev").value_or(None));
    blank_ = static_cast<int>(js::integer(state, "blank").value_or(0));
    fence_ = js::flag(state, "fence");
    inBlock_ = js::flag(state, "block");
    echo_ = static_cast<int>(js::integer(state, "echo").value_or(0));
    for (const auto &l : js::get(state, "buf"))
      buf_.push_back(l.get<std::string>());
    for (const auto &l : js::get(state, "echoLines"))
      echoLines_.push_back(l.get<std::string>());
    pending_ = js::get(state, "pending").is_array() ? state["pending"] : json::array();
    shell_ = js::get(state, "shell");
    hdrs_ = js::get(state, "hdrs").is_object() ? state["hdrs"] : json::object();
    for (const auto &f : js::get(state, "newFiles"))
      newFiles_.push_back(f.get<std::string>());
    subject_ = js::str(state, "subject");
    announced_ = js::flag(state, "announced");
    answerStart_ = js::integer(state, "answerStart").value_or(0);
    model_ = js::str(state, "model");
    version_ = js::str(state, "version");
    for (const auto &m : js::get(state, "preMeta"))
      preMeta_.push_back(m.get<std::string>());
  }

  json state() const override {
    json s = {{"sid", sid_},         {"titled", titled_},       {"format", format_},
              {"mode", mode_},       {"prev", prev_},           {"blank", blank_},
              {"fence", fence_},     {"block", inBlock_},       {"echo", echo_},
              {"buf", buf_},         {"echoLines", echoLines_}, {"pending", pending_},
              {"shell", shell_},     {"hdrs", hdrs_},           {"newFiles", newFiles_},
              {"subject", subject_}, {"announced", announced_}, {"model", model_},
              {"version", version_}, {"preMeta", preMeta_},     {"answerStart", answerStart_}};
    if (started_)
      s["started"] = *started_;
    return s;
  }

  void line(std::string_view raw, int64_t lineNo, Sink &sink) override {
    const std::string l(raw);
    if (startsWith(l, kHeader)) {
      flush(sink);
      endTurn(sink);
      startSession(trim(l.substr(kHeader.size())), sink);
      return;
    }
    if (echo_ && echoLine(l, sink))
      return;
    const bool blank = trim(l).empty();
    if (mode_ == Answer && (fence_ || inBlock_)) {
      // Inside code nothing is a marker — except aider's own lines after a blank line, which
      // show that the answer ended with a fence or block left open.
      const bool out = (blank_ >= 2 && startsWith(l, "#### ")) ||
                       (blank_ >= 1 && startsWith(l, "> ") && isStatus(rtrim(l.substr(2))));
      if (!out) {
        blank_ = blank ? blank_ + 1 : 0;
        answerLine(l);
        return;
      }
      fence_ = inBlock_ = false;
    }
    if (blank) {
      ++blank_;
      if (mode_ == Answer)
        buf_.push_back("");
      return;
    }
    if (startsWith(l, "####") && (l.size() == 4 || l[4] == ' ')) {
      const int ctx = mode_ != None ? mode_ : prev_;
      if (ctx == None || ctx == Tool || ctx == User || blank_ >= 2) {
        std::string text = l.size() > 5 ? rtrim(l.substr(5)) : "";
        if (mode_ != User || blank_ > 0) {
          flush(sink);
          mode_ = User;
        }
        buf_.push_back(std::move(text));
        blank_ = 0;
        return;
      }
    }
    if (l == ">" || startsWith(l, "> ")) {
      if (mode_ != Tool)
        flush(sink);
      mode_ = Tool;
      toolLine(l.size() > 2 ? rtrim(l.substr(2)) : "", sink);
      blank_ = 0;
      return;
    }
    if (mode_ == Tool && blank_ == 0) { // the rest of a multi-line output
      toolLine(rtrim(l), sink);
      return;
    }
    if (mode_ != Answer) {
      flush(sink);
      mode_ = Answer;
      answerStart_ = lineNo;
    }
    blank_ = 0;
    answerLine(l);
  }

  void endOfInput(Sink &sink) override {
    if (echo_)
      return;
    // An answer ends with a blank line; one without it may still be being written.
    if (mode_ == User || mode_ == Tool || (mode_ == Answer && blank_ > 0 && !fence_ && !inBlock_))
      flush(sink, true);
    // A command whose output may still be coming waits for it (aider asks about the output, or
    // moves on, once the command ended).
    if (mode_ == None && !js::flag(shell_, "open"))
      finishShell(sink);
  }

private:
  // --- sessions ---------------------------------------------------------------------------------

  void startSession(const std::string &header, Sink &sink) {
    const int n = static_cast<int>(js::integer(hdrs_, header.c_str()).value_or(0));
    hdrs_[header] = n + 1;
    sid_ = fileHash_ + "-" + stampOf(header) + (n > 0 ? "-" + std::to_string(n + 1) : "");
    started_ = localTime(header);
    titled_ = false;
    format_.clear();
    mode_ = prev_ = None;
    blank_ = 0;
    announced_ = false;
    model_.clear();
    version_.clear();
    preMeta_.clear(); // the banner of a session where nothing happened
    (void)sink;
  }

  // Every event goes through here. A session is recorded from its first prompt, answer, command
  // or edit on (aider started and quit at once leaves a header and a banner: no session); aider's
  // lines before that are kept until then.
  void put(Event &&e, Sink &sink) {
    if (!announced_) {
      if (e.kind == EventKind::Meta) {
        preMeta_.push_back(std::move(e.text));
        return;
      }
      announced_ = true;
      SessionInfo s = info();
      s.started = s.ended = started_;
      s.model = model_;
      s.version = version_;
      sink.session(s);
      for (auto &t : preMeta_) {
        Event m = make(EventKind::Meta, std::move(t));
        m.tool = "aider";
        sink.event(std::move(m));
      }
      preMeta_.clear();
    }
    sink.event(std::move(e));
  }

  const std::string &sessionId() {
    if (sid_.empty()) { // lines before any header
      sid_ = fileHash_ + "-start";
    }
    full_ = "aider:" + sid_;
    return full_;
  }

  SessionInfo info() {
    SessionInfo s;
    s.id = sessionId();
    s.agent = "aider";
    s.nativeId = sid_;
    s.project = project_;
    return s;
  }

  Event make(EventKind kind, std::string text) {
    Event e;
    e.sessionId = sessionId();
    e.kind = kind;
    e.text = std::move(text);
    return e;
  }

  // --- blocks -----------------------------------------------------------------------------------

  // `endOfRun`: flushed because the input ended, not because the next line showed it ended.
  void flush(Sink &sink, bool endOfRun = false) {
    const int m = mode_;
    if (m == User)
      userBlock(sink);
    else if (m == Answer)
      answerBlock(sink);
    else if (m == Tool)
      toolBlock(sink, endOfRun);
    if (m != None)
      prev_ = m;
    mode_ = None;
    buf_.clear();
    fence_ = inBlock_ = false;
  }

  void userBlock(Sink &sink) {
    endTurn(sink);
    std::string text = trim(join(buf_));
    if (text.empty() || text == "<blank>") // aider's record of an empty input
      return;
    std::string command;
    if (text[0] == '!')
      command = "run " + text.substr(1);
    else if (text[0] == '/')
      command = text.substr(1);
    const std::string verb = command.substr(0, command.find(' '));
    const std::string args =
        command.find(' ') == std::string::npos ? "" : trim(command.substr(command.find(' ')));
    if ((verb == "run" || verb == "test" || verb == "git") && !args.empty()) {
      shell_ = {{"command", verb == "git" ? "git " + args : args},
                {"tool", verb},
                {"output", json::array()},
                {"open", true}};
      return;
    }
    const bool prompt = command.empty() || verb == "ask" || verb == "code" || verb == "architect" ||
                        verb == "context";
    const std::string title = command.empty() ? text : args;
    put(make(EventKind::User, std::move(text)), sink);
    if (!titled_ && prompt && !title.empty()) {
      SessionInfo s = info();
      s.title = text::titleFrom(title);
      s.titleRank = TitleFirstPrompt;
      sink.session(s);
      titled_ = true;
    }
  }

  void answerLine(const std::string &l) {
    if (isFence(trim(l)) && !inBlock_)
      fence_ = !fence_;
    if (isHead(l))
      inBlock_ = true;
    else if (isUpdated(l))
      inBlock_ = false;
    buf_.push_back(l);
  }

  void answerBlock(Sink &sink) {
    finishShell(sink);
    while (!buf_.empty() && trim(buf_.back()).empty())
      buf_.pop_back();
    std::string text = trim(join(buf_));
    if (text.empty())
      return;
    put(make(EventKind::Assistant, std::move(text)), sink);
    std::vector<Proposed> edits;
    if (format_ == "whole" || format_ == "editor-whole")
      edits = wholeFiles(buf_, project_);
    else if (format_ == "udiff")
      edits = udiffs(buf_, project_);
    else {
      size_t bad = SIZE_MAX;
      edits = searchReplace(buf_, project_, &bad);
      if (bad != SIZE_MAX)
        sink.problem(answerStart_ + static_cast<int64_t>(bad),
                     "SEARCH/REPLACE block without its end (\">>>>>>> REPLACE\"): not taken as "
                     "an edit");
    }
    for (auto &p : edits)
      pending_.push_back({{"shown", p.shown},
                          {"change", p.change},
                          {"text", p.text},
                          {"format", format_.empty() ? "diff" : format_}});
  }

  void toolLine(const std::string &t, Sink &sink) {
    buf_.push_back(t);
    // A file the edit creates: "Create new file? … y" after its name, or "Creating empty file".
    if (startsWith(t, "Create new file?") &&
        (text::endsWith(t, ": y") || text::endsWith(t, ": yes")))
      newFiles_.push_back(absolute(subject_, project_));
    else if (startsWith(t, "Creating empty file "))
      newFiles_.push_back(absolute(t.substr(20), project_));
    subject_ = t;
    if (startsWith(t, "Applied edit to ")) {
      emitEdits(t.substr(16), true, sink);
    } else if (startsWith(t, "Did not apply edit to ")) {
      std::string p = t.substr(22);
      if (const size_t paren = p.rfind(" ("); paren != std::string::npos)
        p.resize(paren);
      emitEdits(p, false, sink);
    } else if (startsWith(t, "Skipping edits to ")) {
      emitEdits(t.substr(18), false, sink);
    } else if (startsWith(t, "Running ")) {
      finishShell(sink);
      shell_ = {{"command", t.substr(8)},
                {"tool", "run_shell"},
                {"output", json::array()},
                {"open", true}};
    } else if (startsWith(t, "# ") && t.find("failed to match") != std::string::npos) {
      echo_ = 1; // aider echoes the blocks that failed on the lines that follow
      echoLines_.clear();
    } else if (shell_.is_object() && !isStatus(t)) {
      shell_["output"].push_back(t);
    } else if (shell_.is_object()) {
      shell_["open"] = false;
      if (startsWith(t, "Added ") && shell_["tool"] == "test")
        shell_["failed"] = true; // /test adds its output to the chat only when it failed
    }
    header(t, sink);
  }

  // Model, version and edit format from the banner aider prints at start.
  void header(const std::string &t, Sink &sink) {
    bool changed = false;
    if (startsWith(t, "Aider v")) {
      version_ = trim(t.substr(7));
      changed = true;
    }
    for (const char *p : {"Main model: ", "Model: ", "Models: ", "Editor model: "}) {
      if (!startsWith(t, p))
        continue;
      const std::string rest = t.substr(std::string(p).size());
      const size_t with = rest.find(" with "), fmt = rest.find(" edit format");
      if (with == std::string::npos || fmt == std::string::npos || fmt < with)
        break;
      if (std::string(p) != "Editor model: ") {
        model_ = rest.substr(0, with);
        changed = true;
      }
      if (format_.empty() || std::string(p) == "Editor model: " || format_ == "architect")
        format_ = rest.substr(with + 6, fmt - with - 6);
      break;
    }
    if (changed && announced_) {
      SessionInfo s = info();
      s.model = model_;
      s.version = version_;
      sink.session(s);
    }
  }

  void toolBlock(Sink &sink, bool endOfRun) {
    if (!endOfRun || !js::flag(shell_, "open"))
      finishShell(sink);
    std::string text = trim(join(buf_));
    if (text.empty())
      return;
    Event e = make(EventKind::Meta, std::move(text));
    e.tool = "aider";
    put(std::move(e), sink);
  }

  // The lines aider writes after "# N SEARCH/REPLACE block(s) failed to match!": the failed
  // blocks, then "The SEARCH section must exactly match …", then maybe "# The other N … were
  // applied successfully." … "Just reply with fixed versions …". True when the line was one.
  bool echoLine(const std::string &l, Sink &sink) {
    if (startsWith(l, "#### ") || startsWith(l, kHeader) || echoLines_.size() > 5000) {
      endEcho(false, sink);
      return false;
    }
    std::string t = l;
    if (startsWith(t, "> "))
      t = t.substr(2);
    if (echo_ == 2 && !trim(t).empty()) {
      if (!startsWith(trim(t), "# The other ")) {
        endEcho(false, sink);
        return false;
      }
      echo_ = 3;
    }
    blank_ = trim(t).empty() ? blank_ + 1 : 0;
    echoLines_.push_back(rtrim(t));
    buf_.push_back(rtrim(t));
    if (echo_ == 1 && startsWith(t, "The SEARCH section must exactly match"))
      echo_ = 2;
    else if (echo_ == 3 && startsWith(t, "Just reply with fixed versions"))
      endEcho(true, sink);
    return true;
  }

  // The turn's proposed edits whose SEARCH text is among the failed ones were not applied; the
  // others were only when aider said so ("# The other N … were applied successfully").
  void endEcho(bool othersApplied, Sink &sink) {
    std::set<std::string> failed;
    for (const auto &p : searchReplace(echoLines_, project_))
      failed.insert(p.change["edits"][0]["old"].get<std::string>());
    std::vector<json> applied, notApplied;
    for (auto &p : pending_) {
      const json &c = p["change"];
      const bool didFail =
          c["op"] == "replace" && failed.count(c["edits"][0]["old"].get<std::string>()) > 0;
      (didFail || !othersApplied ? notApplied : applied).push_back(p);
    }
    pending_ = json::array();
    echo_ = 0;
    echoLines_.clear();
    emit(notApplied, false, sink);
    emit(applied, true, sink);
  }

  // --- edits and shell commands ------------------------------------------------------------------

  void emitEdits(const std::string &shown, bool applied, Sink &sink) {
    const std::string path = absolute(trim(shown), project_);
    json rest = json::array();
    std::vector<json> mine;
    for (auto &p : pending_) {
      if (p["change"]["path"] == path)
        mine.push_back(p);
      else
        rest.push_back(p);
    }
    pending_ = std::move(rest);
    // An empty SEARCH appends; to a file the edit created, that is its whole content.
    if (!mine.empty() && std::find(newFiles_.begin(), newFiles_.end(), path) != newFiles_.end()) {
      json &c = mine.front()["change"];
      if (c["op"] == "replace" && c["edits"].size() == 1 && c["edits"][0]["old"] == "")
        c = {{"path", path},
             {"op", "write"},
             {"content", c["edits"][0]["new"]},
             {"before", nullptr}};
    }
    emit(mine, applied, sink);
  }

  // One edit event per file: consecutive replacements of a file become one change.
  void emit(const std::vector<json> &edits, bool applied, Sink &sink) {
    for (size_t i = 0; i < edits.size();) {
      json change = edits[i]["change"];
      std::string shown = edits[i]["shown"], text = edits[i]["text"];
      size_t j = i + 1;
      for (; j < edits.size() && change["op"] == "replace" &&
             edits[j]["change"]["op"] == "replace" && edits[j]["change"]["path"] == change["path"];
           ++j) {
        for (const auto &ed : edits[j]["change"]["edits"])
          change["edits"].push_back(ed);
        text += edits[j]["text"].get<std::string>();
      }
      Event e = make(EventKind::Edit, std::move(text));
      e.tool = edits[i]["format"];
      e.path = shown;
      e.data = {{"changes", json::array({change})}};
      if (!applied) {
        e.isError = true;
        e.data["applied"] = false;
      }
      put(std::move(e), sink);
      i = j;
    }
  }

  void finishShell(Sink &sink) {
    if (!shell_.is_object())
      return;
    std::vector<std::string> out;
    for (const auto &l : shell_["output"])
      out.push_back(l.get<std::string>());
    Event e = make(EventKind::Shell, trim(join(out)).empty() ? "" : join(out));
    e.command = shell_["command"];
    e.tool = shell_["tool"];
    e.isError = js::flag(shell_, "failed");
    e.data = {{"cwd", project_}};
    shell_ = nullptr;
    put(std::move(e), sink);
  }

  // A new prompt or session: edits still waiting for aider's word were not applied.
  void endTurn(Sink &sink) {
    if (echo_)
      endEcho(false, sink);
    finishShell(sink);
    if (!pending_.empty()) {
      std::vector<json> left(pending_.begin(), pending_.end());
      emit(left, false, sink);
      pending_ = json::array();
    }
    newFiles_.clear();
  }

  std::string fileHash_, project_, sid_, full_, format_, subject_, model_, version_;
  std::vector<std::string> newFiles_, preMeta_;
  bool announced_ = false;
  int64_t answerStart_ = 0;
  std::optional<int64_t> started_;
  bool titled_ = false, fence_ = false, inBlock_ = false;
  int mode_ = None, prev_ = None, blank_ = 0, echo_ = 0;
  std::vector<std::string> buf_, echoLines_;
  json pending_ = json::array(), shell_, hdrs_ = json::object();
};

// --- discovery
// ------------------------------------------------------------------------------------

const std::set<std::string> kSkip = {"node_modules", "target", "Library", "go",          "vendor",
                                     "dist",         "build",  "venv",    "__pycache__", "snap",
                                     "Pictures",     "Music",  "Videos",  "Downloads"};

void findHistories(const fs::path &dir, int depth, std::vector<fs::path> &out, size_t &dirs,
                   std::chrono::steady_clock::time_point deadline) {
  std::error_code ec;
  if (depth > 4 || ++dirs > 50000 || std::chrono::steady_clock::now() > deadline)
    return;
  if (fs::is_regular_file(dir / kHistory, ec))
    out.push_back(dir / kHistory);
  fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || kSkip.count(name) || !it->is_directory(ec) ||
        it->is_symlink(ec))
      continue;
    findHistories(it->path(), depth + 1, out, dirs, deadline);
  }
}

} // namespace

std::vector<fs::path> AiderAdapter::roots() const {
  std::vector<fs::path> out;
  if (const char *f = std::getenv("AIDER_CHAT_HISTORY_FILE"); f && *f)
    out.emplace_back(f);
  if (const char *h = std::getenv("HOME"); h && *h) {
    size_t dirs = 0;
    findHistories(h, 0, out, dirs, std::chrono::steady_clock::now() + std::chrono::seconds(2));
  }
  return out;
}

int AiderAdapter::claims(const fs::path &path, std::string_view head) const {
  const std::string name = path.filename().string();
  if (name == kHistory || text::endsWith(name, "aider.chat.history.md"))
    return 8;
  if (path.extension() != ".md")
    return 0;
  if (head.empty())
    return 1;
  return head.find(kHeader) != std::string_view::npos ? 6 : 0;
}

std::unique_ptr<FileParser> AiderAdapter::open(const fs::path &path, const json &state) const {
  return std::make_unique<AiderParser>(path, state);
}

} // namespace mantra
