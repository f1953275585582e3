// Cursor: where its stores are, which files are its own, and the IDE's state.vscdb.
//
// state.vscdb is a SQLite database Cursor rewrites in place while it runs, so it is not read
// line by line: the Indexer hands it to readSource() whenever the database or its -wal changed
// (Adapter::readsItself). How a re-read stays cheap and never duplicates a step:
//   - The parser state keeps, per composer, a fingerprint (lastUpdatedAt and the size of its
//     composerData row), how many of its bubbles were emitted and a rolling hash of what they
//     emitted. A composer whose fingerprint did not change is not read at all.
//   - A changed composer is read whole (composerData + its bubbleId rows, one range scan); its
//     bubbles are turned into events again and hashed. When the hashes of the bubbles emitted
//     before still match, only the bubbles after them are emitted (the common case: a
//     conversation grew). When they do not (a checkpoint restored, a message edited), nothing is
//     emitted and readSource() answers Rewritten: the Indexer forgets the source's events and
//     reads it again from nothing.
//   - Bubbles still being written (in generatingBubbleIds, a tool whose status is not final, the
//     last bubble of a composer whose status is "generating", bubbles not yet in the header
//     list) are held back until they settle, so a streaming answer does not cause a rewrite —
//     while the composer was updated in the last ten minutes; after that (Cursor quit in the
//     middle) they are taken as they are.
//   - Everything a run would emit is buffered first, so a Rewritten or locked database leaves the
//     store as it was.
//
// Bubbles (type 1 user, 2 assistant; "user"/"ai" in the legacy chat panel):
//   user text                        -> user (first one = title, unless the composer is named)
//   thinking / allThinkingBlocks     -> reasoning
//   assistant text                   -> assistant
//   toolFormerData                   -> CursorTools.cpp (shell, edit with data.changes, read)
//   capabilityType 22                -> meta "summarize" (context compacted; no text is kept)
//   other types                      -> meta with the raw bubble, counted as unknown
// The project: the composer's workspaceIdentifier, a bubble's workspaceProjectDir /
// workspaceUris, trackedGitRepos, composer.composerHeaders, else the workspace database
// (workspaceStorage/<id>/) whose composer.composerData lists the composer, via workspace.json.
#include "ingest/CursorAdapter.h"

#include "ingest/CursorShared.h"
#include "ingest/Json.h"
#include "ingest/ReadOnlyDb.h"
#include "ingest/Text.h"
#include "util/Time.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

namespace mantra {
namespace fs = std::filesystem;
using nlohmann::json;
using text::startsWith;
using text::trim;

namespace cursor {
namespace {

constexpr int64_t kSettleMs = 10 * 60 * 1000; // a composer untouched this long is not streaming

// Keeps what a parser emits until the run is known to stand, then passes it on in order.
class BufferSink : public Sink {
public:
  void session(const SessionInfo &info) override { items_.push_back({0, info, {}, {}, 0, {}}); }
  void event(Event &&e) override { items_.push_back({1, {}, std::move(e), {}, 0, {}}); }
  void titleHint(TitleHint &&h) override { items_.push_back({2, {}, {}, std::move(h), 0, {}}); }
  void problem(int64_t line, std::string m) override {
    items_.push_back({3, {}, {}, {}, line, std::move(m)});
  }
  void unknownRecord() override { items_.push_back({4, {}, {}, {}, 0, {}}); }

  void replay(Sink &to) {
    for (auto &i : items_) {
      switch (i.kind) {
      case 0:
        to.session(i.info);
        break;
      case 1:
        to.event(std::move(i.event));
        break;
      case 2:
        to.titleHint(std::move(i.hint));
        break;
      case 3:
        to.problem(i.line, std::move(i.message));
        break;
      default:
        to.unknownRecord();
      }
    }
    items_.clear();
  }

private:
  struct Item {
    int kind;
    SessionInfo info;
    Event event;
    TitleHint hint;
    int64_t line;
    std::string message;
  };
  std::vector<Item> items_;
};

std::string readSmall(const fs::path &p, size_t max) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) > max || ec)
    return {};
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The folder a workspaceStorage/<id>/workspace.json names ("folder", or the folder of a
// multi-root "workspace" file).
std::string workspaceFolder(const fs::path &dir) {
  const json w = json::parse(readSmall(dir / "workspace.json", 1 << 16), nullptr, false);
  if (std::string f = fileUriPath(js::str(w, "folder")); !f.empty())
    return absolutePath(f, "");
  if (std::string f = fileUriPath(js::str(w, "workspace")); !f.empty())
    return fs::path(f).parent_path().generic_string();
  return {};
}

std::string uriOrPath(const json &uri) {
  if (uri.is_string())
    return absolutePath(uri.get<std::string>(), "");
  for (const char *k : {"fsPath", "path"})
    if (const std::string &p = js::str(uri, k); !p.empty() && p[0] == '/')
      return absolutePath(p, "");
  return fileUriPath(js::str(uri, "external"));
}

// The text of a Lexical richText document: its text nodes, paragraphs on their own lines.
void lexicalText(const json &node, std::string &out) {
  if (const std::string &t = js::str(node, "text"); !t.empty())
    out += t;
  const json &children = js::get(node, "children");
  if (!children.is_array())
    return;
  for (const auto &c : children) {
    lexicalText(c, out);
    if (js::str(c, "type") == "paragraph")
      out += "\n";
  }
}

std::string bubbleText(const json &b) {
  for (const char *k : {"text", "rawText", "content", "message"})
    if (const std::string &t = js::str(b, k); !trim(t).empty())
      return t;
  const json rich = decoded(js::get(b, "richText"));
  if (rich.is_object()) {
    std::string out;
    lexicalText(js::get(rich, "root"), out);
    return trim(out);
  }
  return {};
}

int bubbleType(const json &b) {
  const json &t = js::get(b, "type");
  if (t.is_number_integer())
    return t.get<int>();
  const std::string s = t.is_string() ? t.get<std::string>() : "";
  return s == "user" ? 1 : (s == "ai" || s == "assistant") ? 2 : 0;
}

std::string digestOf(const std::vector<Event> &events) {
  uint64_t h = fnv1a("bubble");
  for (const auto &e : events) {
    json j = {{"k", toString(e.kind)}, {"x", e.text},    {"t", e.tool},
              {"p", e.path},           {"c", e.command}, {"e", e.isError},
              {"i", e.callId},         {"u", e.uuid},    {"d", e.data}};
    if (e.time)
      j["m"] = *e.time;
    if (e.exitCode)
      j["x2"] = *e.exitCode;
    h = fnv1a(j.dump(-1, ' ', false, json::error_handler_t::replace), h);
  }
  return hex64(h);
}

std::string roll(const std::string &prev, const std::string &digest) {
  return hex64(fnv1a(digest, fnv1a(prev)));
}

bool finalStatus(const std::string &s) {
  static const std::set<std::string> done = {"",         "completed", "complete",  "error",
                                             "errored",  "failed",    "cancelled", "canceled",
                                             "rejected", "aborted",   "success",   "done"};
  return done.count(s) > 0;
}

// One bubble in conversation order.
struct Bubble {
  std::string id;
  json value;
  bool listed = true; // named by the composer's header list (or inline conversation)
};

class IdeParser : public FileParser {
public:
  IdeParser(const fs::path &path, const json &state) : path_(path), state_(state) {
    if (!state_.is_object())
      state_ = json::object();
    if (!state_["composers"].is_object())
      state_["composers"] = json::object();
    if (!state_["tabs"].is_object())
      state_["tabs"] = json::object();
    const fs::path dir = path.parent_path();
    if (dir.parent_path().filename() == "workspaceStorage")
      workspaceProject_ = workspaceFolder(dir);
  }

  json state() const override { return state_; }
  void line(std::string_view, int64_t, Sink &) override {}

  Read readSource(const fs::path &path, Sink &sink) override {
    auto db = ReadOnlyDb::open(path);
    if (!db) {
      const bool busy = db.error().code == ErrorCode::Busy;
      sink.problem(0, db.error().message + (busy ? " (locked: read again on the next run)" : ""));
      return busy ? Read::Retry : Read::Done;
    }
    db_ = db->get();
    if (auto st = db_->begin(); !st) {
      sink.problem(0, st.error().message + " (read again on the next run)");
      return Read::Retry;
    }
    json next = state_;
    BufferSink buf;
    Outcome out = Outcome::Ok;
    if (db_->hasTable("cursorDiskKV"))
      out = composers(buf, next);
    if (out == Outcome::Ok && db_->hasTable("ItemTable"))
      out = legacyChat(buf, next);
    db_->end();
    db_ = nullptr;
    if (out == Outcome::Busy) {
      sink.problem(0, path.string() + ": locked while being read: read again on the next run");
      return Read::Retry;
    }
    if (out == Outcome::Rewritten)
      return Read::Rewritten;
    buf.replay(sink);
    state_ = std::move(next);
    return Read::Done;
  }

private:
  enum class Outcome { Ok, Rewritten, Busy };

  // --- composers (cursorDiskKV) ----------------------------------------------------------------

  Outcome composers(Sink &sink, json &next) {
    // One cheap pass over the composer rows: which changed since the last run. The fingerprint
    // is the row's size and the digits after its first "lastUpdatedAt" — found by a byte search,
    // not by parsing thousands of JSON documents on every change of the database.
    auto st =
        db_->prepare("SELECT substr(key, 14), length(value), substr(CAST(value AS TEXT), "
                     "instr(CAST(value AS TEXT), '\"lastUpdatedAt\":') + 16, 16) FROM cursorDiskKV "
                     "WHERE key >= 'composerData:' AND key < 'composerData;'");
    if (!st)
      return failed(st.error(), sink);
    std::vector<std::pair<std::string, std::string>> changed;
    while (st->step()) {
      const std::string id = st->text(0);
      const std::string fp = st->text(2) + ":" + st->text(1);
      const json &prev = js::get(next["composers"], id.c_str());
      if (js::str(prev, "fp") != fp || js::flag(prev, "pending"))
        changed.emplace_back(id, fp);
    }
    if (st->failed())
      return failed(db_->lastError("composers"), sink);
    for (const auto &[id, fp] : changed) {
      const Outcome o = composer(id, fp, sink, next);
      if (o != Outcome::Ok)
        return o;
    }
    return Outcome::Ok;
  }

  Outcome failed(const Error &e, Sink &sink) {
    if (db_->busy())
      return Outcome::Busy;
    sink.problem(0, e.message);
    return Outcome::Ok;
  }

  Outcome composer(const std::string &id, const std::string &fp, Sink &sink, json &next) {
    const std::string key = "composerData:" + id;
    auto st = db_->prepare("SELECT value FROM cursorDiskKV WHERE key = ?1");
    if (!st)
      return failed(st.error(), sink);
    st->bind(1, key);
    if (!st->step())
      return st->failed() ? failed(db_->lastError(key), sink) : Outcome::Ok;
    const json c = json::parse(st->bytes(0), nullptr, false);
    if (!c.is_object()) {
      sink.problem(0, key + ": " + (c.is_discarded() ? "invalid JSON" : "not a JSON object") +
                          " (skipped; read again when it changes)");
      return Outcome::Ok;
    }
    std::map<std::string, json> rows;
    if (Outcome o = bubbleRows(id, rows, sink); o != Outcome::Ok)
      return o;
    const std::vector<Bubble> list = ordered(c, rows);
    json &entry = next["composers"][id];
    if (!entry.is_object())
      entry = json::object();
    std::string project = js::str(entry, "p");
    if (project.empty())
      project = projectOf(id, c, list);
    return conversation("cursor:" + id, id, c, list, project, fp, entry, sink);
  }

  Outcome bubbleRows(const std::string &id, std::map<std::string, json> &rows, Sink &sink) {
    const std::string lo = "bubbleId:" + id + ":", hi = "bubbleId:" + id + ";";
    auto st = db_->prepare("SELECT key, value FROM cursorDiskKV WHERE key >= ?1 AND key < ?2");
    if (!st)
      return failed(st.error(), sink);
    st->bind(1, lo).bind(2, hi);
    while (st->step()) {
      const std::string key = st->text(0);
      json b = json::parse(st->bytes(1), nullptr, false);
      if (!b.is_object()) {
        sink.problem(0, key + ": " + (b.is_discarded() ? "invalid JSON" : "not a JSON object") +
                            " (bubble skipped)");
        continue;
      }
      rows.emplace(key.substr(lo.size()), std::move(b));
    }
    if (st->failed())
      return failed(db_->lastError("bubbles of " + id), sink);
    return Outcome::Ok;
  }

  // The bubbles in conversation order: the header list (fullConversationHeadersOnly), else an
  // inline `conversation` array (_v < 3) or conversationMap; then rows no list names yet, by
  // time. Header entries without a row (not written yet, or folded into another) are skipped.
  static std::vector<Bubble> ordered(const json &c, std::map<std::string, json> &rows) {
    std::vector<Bubble> out;
    std::set<std::string> seen;
    auto take = [&](const std::string &bid, const json *inline_) {
      if (bid.empty() || !seen.insert(bid).second)
        return;
      if (auto it = rows.find(bid); it != rows.end())
        out.push_back({bid, std::move(it->second), true});
      else if (inline_)
        out.push_back({bid, *inline_, true});
    };
    for (const auto &h : js::get(c, "fullConversationHeadersOnly"))
      take(js::str(h, "bubbleId"), nullptr);
    const json &conv = js::get(c, "conversation");
    for (const auto &b : conv)
      take(js::str(b, "bubbleId"), &b);
    const json &map = js::get(c, "conversationMap");
    if (map.is_object())
      for (const auto &h : js::get(c, "fullConversationHeadersOnly"))
        if (const json &b = js::get(map, js::str(h, "bubbleId").c_str()); b.is_object())
          take(js::str(h, "bubbleId"), &b);
    for (const auto &tab : js::get(c, "tabs"))
      for (const auto &b : js::get(tab, "bubbles"))
        take(js::str(b, "bubbleId").empty() ? js::str(b, "id") : js::str(b, "bubbleId"), &b);
    std::vector<Bubble> rest;
    for (auto &[bid, b] : rows)
      if (!seen.count(bid))
        rest.push_back({bid, std::move(b), false});
    std::stable_sort(rest.begin(), rest.end(), [](const Bubble &a, const Bubble &b) {
      return timeOf(js::get(a.value, "createdAt")).value_or(0) <
             timeOf(js::get(b.value, "createdAt")).value_or(0);
    });
    for (auto &b : rest)
      out.push_back(std::move(b));
    return out;
  }

  // Turns a conversation's bubbles into events and emits those after the ones emitted before
  // (see the top of the file). `entry` is its state: fp, n (bubbles emitted), h (their hash),
  // p (project), pending.
  Outcome conversation(const std::string &sessionId, const std::string &nativeId, const json &c,
                       const std::vector<Bubble> &list, const std::string &project,
                       const std::string &fp, json &entry, Sink &sink) {
    // Paths resolve against the project the conversation was first read with, so that learning
    // it later (from a workspace database) does not change what was emitted.
    const std::string base = entry.contains("p") ? js::str(entry, "p") : project;
    ToolContext ctx{sessionId, base, [this](const std::string &cid) { return content(cid); }};
    const auto lastUpdated = timeOf(js::get(c, "lastUpdatedAt"));
    // Held back only while the conversation is live: one untouched for a while (Cursor quit in
    // the middle of an answer) is taken as it is.
    const bool recent = lastUpdated && nowMs() - *lastUpdated < kSettleMs;
    std::set<std::string> generating;
    for (const auto &g : js::get(c, "generatingBubbleIds"))
      if (g.is_string())
        generating.insert(g.get<std::string>());
    const bool composerGenerating = js::str(c, "status") == "generating";

    const auto emitted = static_cast<size_t>(js::integer(entry, "n").value_or(0));
    std::string hash;
    size_t settled = list.size();
    std::vector<std::vector<Event>> units(list.size());
    std::vector<int> unknown(list.size(), 0);
    int firstUser = -1;
    std::string model;
    for (size_t i = 0; i < list.size(); ++i) {
      const Bubble &b = list[i];
      units[i] = bubbleEvents(b, ctx, unknown[i]);
      if (firstUser < 0 && bubbleType(b.value) == 1)
        firstUser = static_cast<int>(i);
      if (const std::string &m = js::str(js::get(b.value, "modelInfo"), "modelName"); !m.empty())
        model = m;
      if (i < emitted) {
        hash = roll(hash, digestOf(units[i]));
        continue;
      }
      if (settled == list.size() &&
          !isSettled(b, i + 1 == list.size(), generating, composerGenerating, recent))
        settled = i;
    }
    if (list.size() < emitted || hash != js::str(entry, "h"))
      return Outcome::Rewritten;
    if (list.empty()) {
      entry["fp"] = fp; // a draft: no session until it has a message
      return Outcome::Ok;
    }

    SessionInfo s;
    s.id = sessionId;
    s.agent = "cursor";
    s.nativeId = nativeId;
    s.project = project;
    s.model = model.empty() ? js::str(js::get(c, "modelConfig"), "modelName") : model;
    if (s.model == "default")
      s.model.clear();
    s.started = timeOf(js::get(c, "createdAt"));
    s.ended = lastUpdated ? lastUpdated : s.started;
    std::string name = js::str(c, "name");
    if (name.empty())
      name = js::str(c, "chatTitle");
    if (!trim(name).empty()) {
      s.title = text::titleFrom(name);
      s.titleRank = TitleAgentGenerated;
    }
    sink.session(s);
    for (const auto &sub : {"subComposerIds", "subagentComposerIds"})
      for (const auto &child : js::get(c, sub))
        if (child.is_string() && exists("composerData:" + child.get<std::string>())) {
          SessionInfo k;
          k.id = "cursor:" + child.get<std::string>();
          k.agent = "cursor";
          k.nativeId = child.get<std::string>();
          k.parentId = sessionId;
          k.isSubagent = true;
          sink.session(k);
        }

    for (size_t i = emitted; i < settled; ++i) {
      if (static_cast<int>(i) == firstUser)
        for (const auto &e : units[i])
          if (e.kind == EventKind::User) {
            SessionInfo t;
            t.id = sessionId;
            t.agent = "cursor";
            t.title = text::titleFrom(e.text);
            t.titleRank = TitleFirstPrompt;
            sink.session(t);
            break;
          }
      for (int k = 0; k < unknown[i]; ++k)
        sink.unknownRecord();
      hash = roll(hash, digestOf(units[i]));
      for (auto &e : units[i]) {
        if (e.time) {
          SessionInfo t;
          t.id = sessionId;
          t.agent = "cursor";
          t.started = t.ended = e.time;
          sink.session(t);
        }
        sink.event(std::move(e));
      }
    }
    entry["fp"] = fp;
    entry["n"] = settled;
    entry["h"] = hash;
    entry["p"] = base;
    if (settled < list.size())
      entry["pending"] = true;
    else
      entry.erase("pending");
    return Outcome::Ok;
  }

  static bool isSettled(const Bubble &b, bool last, const std::set<std::string> &generating,
                        bool composerGenerating, bool recent) {
    if (!recent)
      return true;
    if (generating.count(b.id) || (last && composerGenerating) || !b.listed)
      return false;
    const json &tfd = js::get(b.value, "toolFormerData");
    const auto check = [](const json &t) { return finalStatus(js::str(t, "status")); };
    if (tfd.is_array())
      return std::all_of(tfd.begin(), tfd.end(), check);
    return !tfd.is_object() || check(tfd);
  }

  std::vector<Event> bubbleEvents(const Bubble &b, const ToolContext &ctx, int &unknown) {
    std::vector<Event> out;
    const json &v = b.value;
    auto t = timeOf(js::get(v, "createdAt"));
    if (!t)
      t = timeOf(js::get(v, "timestamp"));
    auto make = [&](EventKind kind, std::string text) {
      Event e;
      e.sessionId = ctx.sessionId;
      e.kind = kind;
      e.time = t;
      e.uuid = b.id;
      e.text = std::move(text);
      return e;
    };
    const int type = bubbleType(v);
    const std::string body = bubbleText(v);
    if (type == 1) {
      if (!trim(body).empty())
        out.push_back(make(EventKind::User, body));
      return out;
    }
    if (type != 2) {
      Event e = make(EventKind::Meta, body);
      e.tool = "bubble";
      e.data = {{"raw", v}};
      out.push_back(std::move(e));
      ++unknown;
      return out;
    }
    if (const std::string &th = js::str(js::get(v, "thinking"), "text"); !trim(th).empty())
      out.push_back(make(EventKind::Reasoning, th));
    for (const auto &blk : js::get(v, "allThinkingBlocks")) {
      std::string th = js::str(blk, "text");
      if (th.empty())
        th = js::str(blk, "thinking");
      if (!trim(th).empty() && (out.empty() || out.back().text != th))
        out.push_back(make(EventKind::Reasoning, th));
    }
    if (js::integer(v, "capabilityType").value_or(0) == 22) {
      Event e = make(EventKind::Meta, "Context summarized");
      e.tool = "summarize";
      out.push_back(std::move(e));
    }
    if (!trim(body).empty() && body != "[REDACTED]") {
      Event e = make(EventKind::Assistant, body);
      if (const std::string &m = js::str(js::get(v, "modelInfo"), "modelName"); !m.empty())
        e.data = {{"model", m}};
      if (const json &tc = js::get(v, "tokenCount"); tc.is_object()) {
        if (!e.data.is_object())
          e.data = json::object();
        e.data["tokens"] = tc;
      }
      out.push_back(std::move(e));
    }
    const json &tfd = js::get(v, "toolFormerData");
    const json tools = tfd.is_array() ? tfd : tfd.is_object() ? json::array({tfd}) : json::array();
    for (size_t i = 0; i < tools.size(); ++i) {
      const json &tf = tools[i];
      ToolCall call;
      call.name = js::str(tf, "name");
      if (call.name.empty())
        continue;
      call.callId = js::str(tf, "toolCallId");
      if (call.callId.empty())
        call.callId = b.id + "#" + std::to_string(i);
      call.params = decoded(js::get(tf, "params"));
      if (call.params.is_null() || (call.params.is_string() && js::get(tf, "rawArgs").is_string()))
        call.params = decoded(js::get(tf, "rawArgs"));
      call.result = decoded(js::get(tf, "result"));
      call.status = js::str(tf, "status");
      call.hasResult = !call.result.is_null();
      const json &decision = js::get(tf, "userDecision");
      call.failed = call.status == "error" || call.status == "errored" || call.status == "failed" ||
                    call.status == "cancelled" || call.status == "canceled" ||
                    call.status == "rejected" || call.status == "aborted" ||
                    (decision.is_string() && decision.get<std::string>() == "rejected") ||
                    js::flag(call.result, "rejected");
      call.time = t;
      call.uuid = b.id;
      for (auto &e : toolEvents(call, ctx))
        out.push_back(std::move(e));
    }
    return out;
  }

  bool exists(const std::string &key) {
    auto st = db_->prepare("SELECT 1 FROM cursorDiskKV WHERE key = ?1");
    if (!st)
      return false;
    st->bind(1, key);
    return st->step();
  }

  // The text of a composer.content.<hash> row (or its agentKv:blob: twin).
  std::optional<std::string> content(const std::string &id) {
    if (!db_)
      return std::nullopt;
    std::string hash = id;
    if (startsWith(hash, "composer.content."))
      hash = hash.substr(17);
    auto st = db_->prepare("SELECT value FROM cursorDiskKV WHERE key = ?1 OR key = ?2 LIMIT 1");
    if (!st)
      return std::nullopt;
    st->bind(1, "composer.content." + hash).bind(2, "agentKv:blob:" + hash);
    if (!st->step())
      return std::nullopt;
    return st->bytes(0);
  }

  // --- the project of a composer ---------------------------------------------------------------

  std::string projectOf(const std::string &id, const json &c, const std::vector<Bubble> &list) {
    if (std::string p = uriOrPath(js::get(js::get(c, "workspaceIdentifier"), "uri")); !p.empty())
      return p;
    for (const auto &b : list) {
      if (const std::string &d = js::str(b.value, "workspaceProjectDir"); !d.empty())
        return absolutePath(d, "");
      for (const auto &u : js::get(b.value, "workspaceUris"))
        if (std::string p = uriOrPath(u); !p.empty())
          return p;
    }
    for (const auto &r : js::get(c, "trackedGitRepos"))
      if (const std::string &p = js::str(r, "repoPath"); !p.empty())
        return absolutePath(p, "");
    if (!workspaceProject_.empty())
      return workspaceProject_;
    if (!headersRead_) {
      headersRead_ = true;
      readHeaders();
      readWorkspaces();
    }
    auto it = known_.find(id);
    return it == known_.end() ? std::string() : it->second;
  }

  // The global ItemTable's composer.composerHeaders: each composer's workspace.
  void readHeaders() {
    if (!db_->hasTable("ItemTable"))
      return;
    auto st = db_->prepare("SELECT value FROM ItemTable WHERE key = 'composer.composerHeaders'");
    if (!st || !st->step())
      return;
    const json h = json::parse(st->bytes(0), nullptr, false);
    for (const auto &c : js::get(h, "allComposers"))
      if (std::string p = uriOrPath(js::get(js::get(c, "workspaceIdentifier"), "uri")); !p.empty())
        known_.emplace(js::str(c, "composerId"), p);
  }

  // Every workspaceStorage/<id>/ beside this globalStorage: the composers its database lists.
  void readWorkspaces() {
    const fs::path user = path_.parent_path().parent_path();
    std::error_code ec;
    fs::directory_iterator it(user / "workspaceStorage", ec);
    if (ec)
      return;
    for (const auto &dir : it) {
      const std::string folder = workspaceFolder(dir.path());
      if (folder.empty() || !fs::exists(dir.path() / "state.vscdb", ec))
        continue;
      auto db = ReadOnlyDb::open(dir.path() / "state.vscdb", 200);
      if (!db || !(*db)->hasTable("ItemTable"))
        continue;
      auto st = (*db)->prepare("SELECT value FROM ItemTable WHERE key = 'composer.composerData'");
      if (!st || !st->step())
        continue;
      const json d = json::parse(st->bytes(0), nullptr, false);
      for (const auto &c : js::get(d, "allComposers"))
        known_.emplace(js::str(c, "composerId"), folder);
      for (const char *k : {"selectedComposerIds", "lastFocusedComposerIds"})
        for (const auto &c : js::get(d, k))
          if (c.is_string())
            known_.emplace(c.get<std::string>(), folder);
    }
  }

  // --- the legacy chat panel (ItemTable) -------------------------------------------------------

  Outcome legacyChat(Sink &sink, json &next) {
    auto st = db_->prepare(
        "SELECT value FROM ItemTable WHERE key = 'workbench.panel.aichat.view.aichat.chatdata'");
    if (!st)
      return failed(st.error(), sink);
    if (!st->step())
      return st->failed() ? failed(db_->lastError("chat panel"), sink) : Outcome::Ok;
    const std::string raw = st->bytes(0);
    const std::string fp = hex64(fnv1a(raw));
    if (js::str(next, "chatFp") == fp)
      return Outcome::Ok;
    const json data = json::parse(raw, nullptr, false);
    if (!data.is_object()) {
      sink.problem(0, "workbench.panel.aichat.view.aichat.chatdata: invalid JSON (skipped)");
      return Outcome::Ok;
    }
    for (const auto &tab : js::get(data, "tabs")) {
      const std::string &tabId = js::str(tab, "tabId");
      if (tabId.empty())
        continue;
      std::vector<Bubble> list;
      int n = 0;
      for (const auto &b : js::get(tab, "bubbles")) {
        std::string bid = js::str(b, "id");
        if (bid.empty())
          bid = js::str(b, "bubbleId");
        if (bid.empty())
          bid = tabId + "#" + std::to_string(n);
        ++n;
        list.push_back({bid, b, true});
      }
      json c = {{"chatTitle", js::str(tab, "chatTitle")}};
      for (const char *k : {"lastSendTime", "timestamp"})
        if (!js::get(tab, k).is_null()) {
          c["lastUpdatedAt"] = js::get(tab, k);
          c["createdAt"] = js::get(tab, k);
        }
      json &entry = next["tabs"][tabId];
      if (!entry.is_object())
        entry = json::object();
      const Outcome o = conversation("cursor:" + tabId, tabId, c, list, workspaceProject_,
                                     hex64(list.size()), entry, sink);
      if (o != Outcome::Ok)
        return o;
    }
    next["chatFp"] = fp;
    return Outcome::Ok;
  }

  fs::path path_;
  json state_;
  std::string workspaceProject_;
  ReadOnlyDb *db_ = nullptr;
  bool headersRead_ = false;
  std::map<std::string, std::string> known_; // composer id -> project folder
};

} // namespace

std::unique_ptr<FileParser> openIdeDatabase(const fs::path &path, const json &state) {
  return std::make_unique<IdeParser>(path, state);
}

} // namespace cursor

// --- the adapter ---------------------------------------------------------------------------------

namespace {

fs::path home() {
  const char *h = std::getenv("HOME");
  return h && *h ? fs::path(h) : fs::path();
}

bool sqliteHead(std::string_view head) {
  return head.substr(0, 16) == std::string_view("SQLite format 3\0", 16);
}

bool has(std::string_view s, std::string_view what) { return s.find(what) != std::string::npos; }

fs::path cursorHome() {
  if (const char *d = std::getenv("CURSOR_HOME"); d && *d)
    return d;
  return home().empty() ? fs::path() : home() / ".cursor";
}

} // namespace

std::vector<fs::path> CursorAdapter::roots() const {
  std::vector<fs::path> out;
  std::vector<fs::path> users;
  if (const char *d = std::getenv("CURSOR_USER_DIR"); d && *d) {
    users.emplace_back(d);
  } else if (!home().empty()) {
    const char *xdg = std::getenv("XDG_CONFIG_HOME");
    users.push_back((xdg && *xdg ? fs::path(xdg) : home() / ".config") / "Cursor" / "User");
    users.push_back(home() / "Library" / "Application Support" / "Cursor" / "User");
  }
  for (const auto &u : users) {
    out.push_back(u / "globalStorage");
    out.push_back(u / "workspaceStorage");
  }
  if (const fs::path h = cursorHome(); !h.empty()) {
    out.push_back(h / "chats");
    out.push_back(h / "projects");
  }
  return out;
}

int CursorAdapter::claims(const fs::path &path, std::string_view head) const {
  const std::string name = path.filename().string();
  const std::string p = path.generic_string();
  if (name == "state.vscdb" || name == "store.db") {
    if (head.empty())
      return 1;
    if (!sqliteHead(head))
      return 0;
    // The schema sits in the first page: Cursor's own tables say it is Cursor's.
    if (name == "state.vscdb" && has(head, "cursorDiskKV"))
      return 8;
    if (name == "store.db" && has(head, "blobs") && has(head, "meta"))
      return 8;
    if (has(p, "/Cursor/User/") || has(p, "/.cursor/chats/"))
      return 6;
    return 0;
  }
  if (path.extension() == ".jsonl" && has(p, "/agent-transcripts/")) {
    if (head.empty())
      return 6;
    return has(head, "\"role\"") || has(head, "\"turn_ended\"") ? 6 : 0;
  }
  return 0;
}

bool CursorAdapter::readsItself(const fs::path &path) const {
  const std::string name = path.filename().string();
  return name == "state.vscdb" || name == "store.db";
}

namespace {

// True when a richer store holds the conversation `id`: the global state.vscdb (a composerData
// row) or a CLI store.db folder of that name.
bool inDatabases(const std::string &id, const std::vector<fs::path> &roots) {
  if (!text::isUuid(id))
    return false;
  std::error_code ec;
  for (const auto &root : roots) {
    if (root.filename() == "globalStorage" && fs::exists(root / "state.vscdb", ec)) {
      auto db = ReadOnlyDb::open(root / "state.vscdb", 200);
      if (!db || !(*db)->hasTable("cursorDiskKV"))
        continue;
      auto st = (*db)->prepare("SELECT 1 FROM cursorDiskKV WHERE key = ?1");
      if (!st)
        continue;
      st->bind(1, "composerData:" + id);
      if (st->step())
        return true;
    } else if (root.filename() == "chats") {
      fs::directory_iterator it(root, ec);
      for (; !ec && it != fs::directory_iterator(); it.increment(ec))
        if (fs::exists(it->path() / id / "store.db", ec))
          return true;
    }
  }
  return false;
}

} // namespace

std::unique_ptr<FileParser> CursorAdapter::open(const fs::path &path, const json &state) const {
  const std::string name = path.filename().string();
  if (name == "state.vscdb")
    return cursor::openIdeDatabase(path, state);
  if (name == "store.db")
    return cursor::openCliStore(path, state);
  // A transcript is named after the conversation it records, which a database may hold too
  // (looked at again on each change: from then on the transcript adds nothing).
  bool shadowed = js::flag(state, "shadowed");
  if (!shadowed)
    shadowed = inDatabases(path.stem().string(), roots());
  return cursor::openTranscript(path, state, shadowed);
}

} // namespace mantra
