#include "timeline/Timeline.h"

#include "redact/Redactor.h"
#include "timeline/Patch.h"
#include "timeline/Shell.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace mantra::timeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string normPath(const std::string &cwd, const std::string &p) {
  if (p.empty())
    return {};
  fs::path path(p);
  if (path.is_relative())
    path = fs::path(cwd) / path;
  std::string out = path.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  return out;
}

const json *member(const json &j, const char *key) {
  if (!j.is_object())
    return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string str(const json &j, const char *key) {
  const json *v = member(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

bool isUnder(const std::string &path, const std::string &dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

std::string shortCommand(const std::string &cmd) {
  std::string s = cmd.substr(0, cmd.find('\n'));
  if (s.size() > 60)
    s = s.substr(0, 57) + "...";
  return s;
}

// A Jupyter notebook edit (Claude Code's NotebookEdit): the cell's source replaced, a cell
// inserted after it, or the cell deleted. The JSON is written back the way Jupyter writes it
// (indent 1), which is not always byte for byte what the agent wrote: the result is not exact.
ApplyResult applyNotebook(const std::string &content, const json &c) {
  ApplyResult r;
  json nb = json::parse(content, nullptr, false);
  if (nb.is_discarded() || !nb.contains("cells") || !nb["cells"].is_array()) {
    r.error = "the notebook is not valid JSON";
    return r;
  }
  auto &cells = nb["cells"];
  const json *cell = member(c, "cell");
  std::optional<size_t> at;
  if (cell && cell->is_string()) {
    for (size_t i = 0; i < cells.size(); ++i)
      if (cells[i].value("id", "") == cell->get<std::string>())
        at = i;
    if (!at) {
      // Claude Code also accepts "cell-N" for the N-th cell.
      const std::string s = cell->get<std::string>();
      if (s.rfind("cell-", 0) == 0 && s.size() > 5 &&
          std::all_of(s.begin() + 5, s.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        at = static_cast<size_t>(std::stoul(s.substr(5)));
    }
  } else if (cell && cell->is_number_integer()) {
    at = cell->get<size_t>();
  }
  const std::string mode = str(c, "mode").empty() ? "replace" : str(c, "mode");
  json source = json::array();
  {
    const std::string text = str(c, "source");
    size_t i = 0;
    while (i < text.size()) {
      const size_t nl = text.find('\n', i);
      const size_t end = nl == std::string::npos ? text.size() : nl + 1;
      source.push_back(text.substr(i, end - i));
      i = end;
    }
  }
  if (mode == "insert") {
    json fresh = {{"cell_type", str(c, "cellType").empty() ? "code" : str(c, "cellType")},
                  {"metadata", json::object()},
                  {"source", source}};
    if (fresh["cell_type"] == "code") {
      fresh["execution_count"] = nullptr;
      fresh["outputs"] = json::array();
    }
    const size_t pos = at ? std::min(*at + 1, cells.size()) : 0;
    cells.insert(cells.begin() + static_cast<std::ptrdiff_t>(pos), fresh);
  } else {
    if (!at || *at >= cells.size()) {
      r.error = "notebook cell not found";
      return r;
    }
    if (mode == "delete")
      cells.erase(cells.begin() + static_cast<std::ptrdiff_t>(*at));
    else
      cells[*at]["source"] = source;
  }
  r.ok = true;
  r.content = nb.dump(1) + "\n";
  return r;
}

struct Track {
  bool started = false;
  bool known = false;  // the content (or the file's absence) is known
  bool present = true; // the file exists (when known)
  bool exact = false;  // known exactly, not from a base that may differ (the disk)
  std::string content;
  std::string base = "none";
  std::string reason; // why it is unknown or inexact
};

class Builder {
public:
  Builder(const SessionContext &ctx, BaseSource &bases,
          const std::function<std::string(std::string)> &redact)
      : ctx_(ctx), bases_(bases), redact_(redact) {}

  void event(const Event &e) {
    seq_ = e.seq;
    const json &d = e.data;
    const json *result = member(d, "result");
    if (e.kind == EventKind::Edit) {
      edit(e, d, result);
    } else if (e.kind == EventKind::Shell) {
      shell(e, d);
      if (const json *rd = result ? member(*result, "read") : nullptr)
        read(*rd);
    }
    if (e.kind != EventKind::Edit)
      if (const json *rd = member(d, "read"))
        read(*rd);
  }

  std::vector<FileStateRow> rows;

private:
  void edit(const Event &e, const json &d, const json *result) {
    const json *req = member(d, "changes");
    const json *res = result ? member(*result, "changes") : nullptr;
    if (e.isError && !(res && res->is_array() && !res->empty()))
      return; // the agent reported the edit failed: nothing changed
    std::vector<json> changes;
    std::set<std::string> fromResult;
    if (res && res->is_array())
      for (const auto &c : *res)
        if (c.is_object())
          fromResult.insert(normPath(ctx_.project, str(c, "path")));
    if (req && req->is_array()) {
      for (const auto &c : *req) {
        if (!c.is_object())
          continue;
        const std::string p = normPath(ctx_.project, str(c, "path"));
        if (!fromResult.count(p)) {
          changes.push_back(c);
          continue;
        }
        // The recorded result wins; it may still lack what the request knew.
        for (const auto &r : *res) {
          if (!r.is_object() || normPath(ctx_.project, str(r, "path")) != p)
            continue;
          json merged = r;
          for (const char *k : {"before", "to"})
            if (!merged.contains(k) && c.contains(k))
              merged[k] = c[k];
          changes.push_back(std::move(merged));
        }
        fromResult.erase(p);
      }
    }
    if (res && res->is_array())
      for (const auto &r : *res)
        if (r.is_object() && fromResult.count(normPath(ctx_.project, str(r, "path"))))
          changes.push_back(r);
    for (const auto &c : changes)
      change(c);
  }

  // The file's state when the session started, from git or the disk.
  void startFromSources(const std::string &path, Track &t, bool needContent) {
    if (t.started)
      return;
    t.started = true;
    BaseContent g = bases_.git(path);
    if (g.state == BaseContent::State::Absent && !needContent) {
      t.known = true;
      t.present = false;
      t.exact = true;
      t.base = "git";
      emit(0, path, "base", t, {});
      return;
    }
    std::string source = "git";
    if (g.state != BaseContent::State::Found && !needContent) {
      // A whole-content write needs no base; the disk holds what came after, not before.
      t.known = false;
      t.base = "none";
      t.reason = "not known before the session's first change of it";
      return;
    }
    if (g.state != BaseContent::State::Found) {
      g = bases_.disk(path);
      source = "disk";
    }
    if (g.state != BaseContent::State::Found) {
      t.known = false;
      t.base = "none";
      t.reason = g.note.empty() ? "its content before the session's first change is unknown (not "
                                  "read in the session, not in git, not on disk)"
                                : "its base is " + g.note;
      return;
    }
    if (looksBinary(g.content)) {
      t.known = false;
      t.base = "none";
      t.reason = "binary file: not replayed";
      return;
    }
    t.known = true;
    t.present = true;
    t.content = redact_(std::move(g.content));
    t.base = source;
    t.exact = source == "git";
    t.reason = source == "disk" ? "based on the file as it is on disk now, which may differ from "
                                  "what the session started from"
                                : "";
    emit(0, path, "base", t, {});
  }

  void change(const json &c) {
    const std::string path = normPath(ctx_.project, str(c, "path"));
    if (path.empty())
      return;
    const std::string op = str(c, "op");
    Track &t = tracks_[path];
    std::string status;
    std::optional<bool> matched;
    if (const json *before = member(c, "before");
        before && (before->is_string() || before->is_null())) {
      const bool exists = before->is_string();
      const std::string text = exists ? before->get<std::string>() : std::string();
      if (t.started && t.known && t.exact) {
        matched = t.present == exists && (!exists || t.content == text);
        if (!*matched)
          status = "the agent's copy of the file before this step differed from the "
                   "reconstruction; continuing from the agent's copy";
      }
      const bool first = !t.started;
      t.started = true;
      t.known = true;
      t.present = exists;
      t.content = text;
      t.exact = true;
      if (first) {
        t.base = "original";
        emit(0, path, "base", t, {});
      }
    } else if (!t.started) {
      startFromSources(path, t, op != "write");
    }

    std::string name = "edit";
    if (op == "write") {
      const json *content = member(c, "content");
      if (content && content->is_string()) {
        t.content = content->get<std::string>();
        t.known = t.present = t.exact = true;
        t.reason.clear();
      } else {
        t.known = false;
        t.reason = "the write's content was not recorded";
      }
      name = "write";
    } else if (op == "replace" || op == "patch" || op == "unified" || op == "notebook") {
      if (!t.known || !t.present) {
        status = t.known ? "the file does not exist at this point" : t.reason;
        t.known = false;
        if (t.reason.empty())
          t.reason = status;
      } else {
        ApplyResult r;
        if (op == "replace") {
          r.ok = true;
          r.content = t.content;
          const json *edits = member(c, "edits");
          if (edits && edits->is_array()) {
            for (const auto &x : *edits) {
              std::optional<int> count;
              if (const json *n = member(x, "count"); n && n->is_number_integer())
                count = n->get<int>();
              const json *all = member(x, "all");
              r = applyReplace(r.content, str(x, "old"), str(x, "new"),
                               all && all->is_boolean() && all->get<bool>(), count);
              if (!r.ok)
                break;
            }
          }
        } else if (op == "patch") {
          r = applyContextPatch(t.content, str(c, "patch"));
        } else if (op == "unified") {
          r = applyUnifiedDiff(t.content, str(c, "diff"));
        } else {
          r = applyNotebook(t.content, c);
          if (r.ok) {
            t.exact = false;
            t.reason = "a notebook edit is replayed without the agent's exact formatting";
          }
        }
        if (r.ok) {
          t.content = std::move(r.content);
        } else {
          status = "did not apply: " + r.error;
          t.known = false;
          t.reason = "an earlier change did not apply (step " + std::to_string(seq_) + ": " +
                     r.error + ")";
        }
      }
    } else if (op == "delete") {
      t.known = true;
      t.present = false;
      t.exact = true;
      t.content.clear();
      name = "delete";
    } else {
      t.known = false;
      status = op == "unknown" ? str(c, "reason") : "unsupported change '" + op + "'";
      t.reason = "changed at step " + std::to_string(seq_) + " in a way that cannot be replayed";
    }

    if (const json *after = member(c, "after"); after && after->is_string()) {
      if (t.known && t.present && t.exact) {
        const bool same = t.content == after->get<std::string>();
        matched = matched.value_or(true) && same;
        if (!same)
          status = "the reconstruction differed from the agent's recorded result; using the "
                   "recorded one";
      } else if (!status.empty()) {
        status += "; the agent's recorded result is used";
      }
      t.content = after->get<std::string>();
      t.known = t.present = t.exact = true;
      t.reason.clear();
    }
    if (!t.known && status.empty())
      status = t.reason;

    const std::string to = normPath(ctx_.project, str(c, "to"));
    if (!to.empty() && to != path) {
      Track &d = tracks_[to];
      startFromSources(to, d, false); // records whether it existed before
      const Track moved = tracks_[path];
      d = moved;
      emit(seq_, to, "move", d, status, path, matched);
      t.known = true;
      t.present = false;
      t.exact = true;
      t.content.clear();
      emit(seq_, path, "move", t, {}, to);
      return;
    }
    emit(seq_, path, name, t, status, {}, matched);
  }

  void read(const json &rd) {
    const std::string path = normPath(ctx_.project, str(rd, "path"));
    if (path.empty())
      return;
    Track &t = tracks_[path];
    const json *content = member(rd, "content");
    const json *complete = member(rd, "complete");
    if (!content || !content->is_string() || !complete || !complete->is_boolean() ||
        !complete->get<bool>()) {
      FileStateRow r;
      r.seq = seq_;
      r.path = path;
      r.op = "read";
      r.base = t.base;
      r.status = "a partial read";
      rows.push_back(std::move(r));
      return;
    }
    std::optional<bool> matched;
    std::string status;
    if (t.started && t.known && t.exact) {
      matched = t.present && t.content == content->get<std::string>();
      if (!*matched)
        status = "the file read here differed from the reconstruction; continuing from the read";
    }
    if (!t.started)
      t.base = "read";
    t.started = true;
    t.known = t.present = t.exact = true;
    t.content = content->get<std::string>();
    t.reason.clear();
    emit(seq_, path, "read", t, status, {}, matched);
  }

  void shell(const Event &e, const json &d) {
    if (e.command.empty())
      return;
    std::string cwd = str(d, "cwd");
    if (cwd.empty())
      cwd = ctx_.project;
    if (cwd.empty())
      return;
    const bool failed = e.isError || (e.exitCode && *e.exitCode != 0);
    const std::string why = "changed by a command at step " + std::to_string(seq_) + " (`" +
                            shortCommand(e.command) + "`); its content is unknown from here";
    auto unknown = [&](const std::string &path, const std::string &reason) {
      Track &t = tracks_[path];
      t.started = true;
      t.known = false;
      t.exact = false;
      t.reason = reason;
      emit(seq_, path, "command", t, reason);
    };
    auto under = [&](const std::string &dir) {
      std::vector<std::string> out;
      for (const auto &[p, t] : tracks_)
        if (isUnder(p, dir) && t.started)
          out.push_back(p);
      return out;
    };
    for (const auto &eff : shellEffects(e.command, cwd)) {
      using K = ShellEffect::Kind;
      if (failed && eff.kind != K::Reset) {
        // A command that failed may have done part of its work.
        for (const auto &p : {eff.from, eff.to})
          if (!p.empty() && tracks_.count(p))
            unknown(p, "touched by a command that failed at step " + std::to_string(seq_) +
                           "; its content is unknown from here");
        continue;
      }
      switch (eff.kind) {
      case K::Move:
      case K::Copy: {
        Track &s = tracks_[eff.from];
        startFromSources(eff.from, s, true);
        const Track copy = s;
        Track &dst = tracks_[eff.to];
        startFromSources(eff.to, dst, false); // records whether it existed before
        dst = copy;
        dst.started = true;
        const char *name = eff.kind == K::Move ? "move" : "copy";
        emit(seq_, eff.to, name, dst, dst.known ? "" : dst.reason, eff.from);
        if (eff.kind == K::Move) {
          Track &src = tracks_[eff.from];
          src.known = src.exact = true;
          src.present = false;
          src.content.clear();
          emit(seq_, eff.from, "move", src, {}, eff.to);
        }
        break;
      }
      case K::Delete: {
        std::vector<std::string> paths =
            eff.recursive ? under(eff.from) : std::vector<std::string>{};
        if (paths.empty())
          paths.push_back(eff.from);
        for (const auto &p : paths) {
          Track &t = tracks_[p];
          startFromSources(p, t, true);
          t.known = t.exact = true;
          t.present = false;
          t.content.clear();
          emit(seq_, p, "delete", t, {});
        }
        break;
      }
      case K::Write:
        if (eff.recursive) {
          for (const auto &p : under(eff.from))
            unknown(p, why);
        } else {
          unknown(eff.from, why);
        }
        break;
      case K::Create: {
        Track &t = tracks_[eff.from];
        startFromSources(eff.from, t, false);
        if (t.known && !t.present) {
          t.present = t.exact = true;
          t.content.clear();
          emit(seq_, eff.from, "write", t, {});
        }
        break;
      }
      case K::Reset:
        for (const auto &p : under(eff.from))
          unknown(p, "the work tree may have changed at step " + std::to_string(seq_) + " (`" +
                         shortCommand(e.command) + "`); its content is unknown from here");
        break;
      }
    }
  }

  void emit(int64_t seq, const std::string &path, const std::string &op, const Track &t,
            const std::string &status, const std::string &other = {},
            std::optional<bool> matched = std::nullopt) {
    FileStateRow r;
    r.seq = seq;
    r.path = path;
    r.op = op;
    if (t.known && t.present)
      r.content = t.content;
    r.present = !t.known || t.present;
    r.base = t.base;
    r.exact = t.known && t.exact;
    r.status = !status.empty() ? status : (t.known && t.exact ? std::string() : t.reason);
    r.otherPath = other;
    r.matched = matched;
    if (r.content && r.content->size() > kMaxFileBytes) {
      r.content.reset();
      r.exact = false;
      r.status = "larger than 8 MiB: not stored";
    }
    rows.push_back(std::move(r));
  }

  const SessionContext &ctx_;
  BaseSource &bases_;
  const std::function<std::string(std::string)> &redact_;
  std::map<std::string, Track> tracks_;
  int64_t seq_ = 0;
};

bool isChange(const FileStateRow &r) { return r.op != "base" && r.op != "read"; }

} // namespace

std::vector<FileStateRow> build(const std::vector<Event> &events, const SessionContext &ctx,
                                BaseSource &bases,
                                const std::function<std::string(std::string)> &redact) {
  Builder b(ctx, bases, redact);
  for (const auto &e : events)
    b.event(e);
  return std::move(b.rows);
}

Expected<std::vector<FileStateRow>> rebuild(Store &store, const std::string &sessionId,
                                            const Redactor &redactor) {
  auto session = store.session(sessionId);
  if (!session)
    return session.error();
  // A shell step's data matters when the command moves or writes files (its cwd) or may have
  // read one (`cat`: the adapter's read on its result).
  const std::string project = session->project.empty() ? "/" : session->project;
  auto events = store.timelineEvents(sessionId, [&project](const Event &e) {
    return e.command.find("cat") != std::string::npos || !shellEffects(e.command, project).empty();
  });
  if (!events)
    return events.error();
  SessionContext ctx{session->project};
  RepoBases bases(session->project, session->branch, session->started);
  std::function<std::string(std::string)> redact = [&redactor](std::string text) {
    return redactor.redact(std::move(text));
  };
  auto rows = build(*events, ctx, bases, redact);
  if (auto st = store.replaceFileStates(sessionId, rows); !st)
    return st.error();
  return rows;
}

std::string displayPath(const std::string &path, const std::string &project) {
  if (!project.empty() && isUnder(path, project) && path.size() > project.size())
    return path.substr(project.size() + (project.back() == '/' ? 0 : 1));
  return path;
}

std::string languageId(const std::string &path) {
  static const std::map<std::string, std::string> byExt = {{".py", "python"},
                                                           {".ts", "typescript"},
                                                           {".tsx", "typescriptreact"},
                                                           {".js", "javascript"},
                                                           {".jsx", "javascriptreact"},
                                                           {".mjs", "javascript"},
                                                           {".cjs", "javascript"},
                                                           {".json", "json"},
                                                           {".md", "markdown"},
                                                           {".rs", "rust"},
                                                           {".go", "go"},
                                                           {".c", "c"},
                                                           {".h", "c"},
                                                           {".cc", "cpp"},
                                                           {".cpp", "cpp"},
                                                           {".cxx", "cpp"},
                                                           {".hpp", "cpp"},
                                                           {".hh", "cpp"},
                                                           {".java", "java"},
                                                           {".kt", "kotlin"},
                                                           {".rb", "ruby"},
                                                           {".php", "php"},
                                                           {".cs", "csharp"},
                                                           {".swift", "swift"},
                                                           {".sh", "shellscript"},
                                                           {".bash", "shellscript"},
                                                           {".zsh", "shellscript"},
                                                           {".lua", "lua"},
                                                           {".yaml", "yaml"},
                                                           {".yml", "yaml"},
                                                           {".toml", "toml"},
                                                           {".html", "html"},
                                                           {".css", "css"},
                                                           {".scss", "scss"},
                                                           {".sql", "sql"},
                                                           {".xml", "xml"},
                                                           {".vue", "vue"},
                                                           {".svelte", "svelte"},
                                                           {".ipynb", "json"},
                                                           {".txt", "plaintext"},
                                                           {".cmake", "cmake"},
                                                           {".dockerfile", "dockerfile"}};
  const fs::path p(path);
  if (p.filename() == "Makefile")
    return "makefile";
  if (p.filename() == "Dockerfile")
    return "dockerfile";
  if (p.filename() == "CMakeLists.txt")
    return "cmake";
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  auto it = byExt.find(ext);
  return it == byExt.end() ? "plaintext" : it->second;
}

Expected<std::vector<FileSummary>> files(Store &store, const SessionRow &session) {
  auto rows = store.fileStates(session.id, {}, false);
  if (!rows)
    return rows.error();
  std::vector<FileSummary> out;
  for (const auto &r : *rows) {
    if (out.empty() || out.back().path != r.path)
      out.push_back({r.path, {}, {}, {}});
    auto &f = out.back();
    if (r.op == "read")
      f.reads.push_back(r.seq);
    else if (isChange(r) && (f.changedAt.empty() || f.changedAt.back() != r.seq))
      f.changedAt.push_back(r.seq);
    if (r.op != "base")
      f.lastStatus = r.status;
  }
  return out;
}

Expected<std::string> resolvePath(Store &store, const SessionRow &session,
                                  const std::string &path) {
  auto all = files(store, session);
  if (!all)
    return all.error();
  // As stored (a path the agent gave relative, in a session whose folder is unknown, stays so).
  for (const auto &f : *all)
    if (f.path == path)
      return path;
  const std::string abs = normPath(session.project.empty() ? "/" : session.project, path);
  for (const auto &f : *all)
    if (f.path == abs)
      return abs;
  std::string rel = fs::path(path).lexically_normal().string();
  std::vector<std::string> matches;
  for (const auto &f : *all)
    if (f.path.size() > rel.size() &&
        f.path.compare(f.path.size() - rel.size(), rel.size(), rel) == 0 &&
        f.path[f.path.size() - rel.size() - 1] == '/')
      matches.push_back(f.path);
  if (matches.size() == 1)
    return matches[0];
  if (matches.size() > 1) {
    std::string msg = "'" + path + "' matches several files of session " + session.id + ":";
    for (const auto &m : matches)
      msg += " " + displayPath(m, session.project);
    return makeError(ErrorCode::Ambiguous, msg);
  }
  return makeError(ErrorCode::NotFound,
                   "session " + session.id + " did not touch '" + path + "' (see `mantra files`)");
}

namespace {

// The state of `path` after step `seq`, from its rows (ordered by seq).
FileAt stateAt(Store &store, const std::vector<FileStateRow> &rows, const std::string &path,
               int64_t seq) {
  FileAt out;
  out.path = path;
  out.seq = seq;
  for (const auto &r : rows)
    if (isChange(r) && (out.changedAt.empty() || out.changedAt.back() != r.seq))
      out.changedAt.push_back(r.seq);
  const FileStateRow *pick = nullptr;
  for (const auto &r : rows) {
    if (r.seq > seq)
      break;
    if (r.op == "read" && r.hash.empty() && !r.status.empty())
      continue; // a partial read says nothing about the whole file
    pick = &r;
  }
  if (!pick) {
    // Nothing known at or before this step: the first complete read tells the state, when no
    // change came before it.
    for (const auto &r : rows) {
      if (isChange(r))
        break;
      if (r.op == "read" && !r.hash.empty()) {
        pick = &r;
        break;
      }
    }
  }
  if (!pick) {
    out.content.reset();
    out.base = "none";
    out.reason = "not known before step " +
                 (out.changedAt.empty() ? std::to_string(rows.empty() ? 0 : rows.front().seq)
                                        : std::to_string(out.changedAt.front())) +
                 ", the session's first change of it";
    return out;
  }
  out.stateSeq = pick->seq;
  out.present = pick->present;
  out.base = pick->base;
  out.exact = pick->exact;
  out.reason = pick->status;
  if (!pick->hash.empty()) {
    auto b = store.blob(pick->hash);
    if (b && *b)
      out.content = **b;
    else {
      out.exact = false;
      out.reason = "stored content " + pick->hash + " is missing";
    }
  } else if (!pick->present) {
    out.reason = pick->op == "move" ? "moved to " + pick->otherPath : "the file does not exist";
  }
  return out;
}

} // namespace

Expected<FileAt> fileAt(Store &store, const SessionRow &session, int64_t seq,
                        const std::string &path) {
  auto abs = resolvePath(store, session, path);
  if (!abs)
    return abs.error();
  auto rows = store.fileStates(session.id, *abs, false);
  if (!rows)
    return rows.error();
  return stateAt(store, *rows, *abs, seq);
}

Expected<std::vector<FileDiff>> diff(Store &store, const SessionRow &session, int64_t from,
                                     int64_t to, const std::string &path) {
  std::vector<std::string> paths;
  if (!path.empty()) {
    auto abs = resolvePath(store, session, path);
    if (!abs)
      return abs.error();
    paths.push_back(*abs);
  } else {
    auto all = store.fileStates(session.id, {}, false);
    if (!all)
      return all.error();
    for (const auto &r : *all)
      if (isChange(r) && r.seq > from && r.seq <= to && (paths.empty() || paths.back() != r.path))
        paths.push_back(r.path);
  }
  std::vector<FileDiff> out;
  for (const auto &p : paths) {
    auto rows = store.fileStates(session.id, p, false);
    if (!rows)
      return rows.error();
    const FileAt a = stateAt(store, *rows, p, from);
    const FileAt b = stateAt(store, *rows, p, to);
    FileDiff d;
    d.path = p;
    d.from = from;
    d.to = to;
    const bool aKnown = a.content || !a.present;
    const bool bKnown = b.content || !b.present;
    if (!aKnown || !bKnown) {
      d.reason = !bKnown ? b.reason : a.reason;
      out.push_back(std::move(d));
      continue;
    }
    const std::string name = displayPath(p, session.project);
    const std::string before = a.content.value_or(std::string());
    const std::string after = b.content.value_or(std::string());
    d.diff =
        unifiedDiff(before, after, a.present ? name : "/dev/null", b.present ? name : "/dev/null");
    d.exact = a.exact && b.exact;
    if (!d.exact)
      d.reason = !b.exact ? b.reason : a.reason;
    out.push_back(std::move(d));
  }
  return out;
}

} // namespace mantra::timeline
