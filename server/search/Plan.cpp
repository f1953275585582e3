// From a parsed query to what runs (see Plan.h): FTS5 expressions, SQL conditions, file: matches.
#include "search/Plan.h"

#include "search/Search.h"

#include <algorithm>
#include <filesystem>

namespace mantra::searchplan {
namespace {

bool allWordChars(std::string_view w) {
  return !w.empty() && std::all_of(w.begin(), w.end(),
                                   [](char c) { return wordChar(static_cast<unsigned char>(c)); });
}

// An identifier as people write them in code: camelCase, snake_case, letters with digits.
bool identifierLike(std::string_view w) {
  if (w.size() < 3 || !allWordChars(w))
    return false;
  bool lowerSeen = false, camel = false, underscore = false, letter = false, digit = false;
  for (unsigned char c : w) {
    if (c >= 'a' && c <= 'z')
      lowerSeen = letter = true;
    else if (c >= 'A' && c <= 'Z') {
      camel = camel || lowerSeen;
      letter = true;
    } else if (c >= '0' && c <= '9')
      digit = true;
    else if (c == '_')
      underscore = true;
    else
      letter = true;
  }
  return camel || (letter && (underscore || digit));
}

// Does any row hold this token? (One doclist lookup.)
Expected<bool> anyRow(Store &store, const std::string &match) {
  auto st = store.db().prepare("SELECT 1 FROM events_fts WHERE events_fts MATCH ?1 LIMIT 1");
  if (!st)
    return st.error();
  st->bind(1, match);
  const bool found = st->step();
  if (st->failed())
    return store.db().lastError("search");
  return found;
}

// The vocabulary words containing `w` (case-insensitive), shortest first.
Expected<std::vector<std::string>> expansions(Store &store, const std::string &w) {
  auto st = store.db().prepare(
      "SELECT i.word FROM idents_fts CROSS JOIN idents i ON i.id = idents_fts.rowid "
      "WHERE idents_fts MATCH ?1 ORDER BY length(i.word), i.word LIMIT ?2");
  if (!st)
    return st.error();
  st->bind(1, ftsQuote(w)).bind(2, static_cast<int64_t>(kMaxExpansions));
  std::vector<std::string> out;
  while (st->step())
    out.push_back(st->text(0));
  if (st->failed())
    return store.db().lastError("search: vocabulary");
  return out;
}

// One term as FTS5 syntax, with the vocabulary's expansions when it names part of an identifier.
Expected<std::string> termExpr(Store &store, const TextTerm &t, bool expand) {
  std::string base = ftsQuote(t.text) + (t.prefix ? "*" : "");
  if (!expand || t.quoted || t.prefix || t.text.size() < 3 || !allWordChars(t.text))
    return base;
  bool substring = identifierLike(t.text);
  bool prefixToo = false;
  if (!substring) {
    auto found = anyRow(store, base);
    if (!found)
      return found.error();
    substring = prefixToo = !*found;
  }
  if (!substring)
    return base;
  auto words = expansions(store, t.text);
  if (!words)
    return words.error();
  const std::string self = lower(t.text);
  std::string out = "(" + base + (prefixToo ? " OR " + base + "*" : "");
  for (const auto &w : *words)
    if (w != self)
      out += " OR " + ftsQuote(w);
  return out + ")";
}

// The literal run of a glob before its first wildcard.
std::string literalHead(std::string_view v) {
  return std::string(v.substr(0, std::min(v.find_first_of("*?"), v.size())));
}

// The longest run of a path pattern without wildcards (to narrow what is read before matching).
std::string longestLiteral(std::string_view v) {
  std::string best;
  size_t i = 0;
  while (i < v.size()) {
    const size_t end = std::min(v.find_first_of("*?", i), v.size());
    if (end - i > best.size())
      best = std::string(v.substr(i, end - i));
    i = end + 1;
  }
  return best;
}

std::string orJoin(const std::vector<std::string> &parts) {
  std::string out;
  for (const auto &p : parts)
    out += (out.empty() ? "" : " OR ") + p;
  return parts.size() > 1 ? "(" + out + ")" : out;
}

// --- session and step conditions -----------------------------------------------------------

std::string projectCondition(Params &p, const std::string &v) {
  const std::string proj = "coalesce(s.project, '')";
  if (!v.empty() && v[0] == '/') {
    if (hasGlob(v))
      return proj + " GLOB " + p.add(v);
    const std::string x = p.add(v);
    return "(" + proj + " = " + x + " OR substr(" + proj + ", 1, length(" + x + ") + 1) = " + x +
           " || '/')";
  }
  // A folder name (or the tail of a path): the project folder ends with it.
  const std::string lp = "lower(" + proj + ")";
  if (hasGlob(v))
    return "(" + lp + " GLOB " + p.add(lower(v)) + " OR " + lp + " GLOB '*/' || " +
           p.add(lower(v)) + ")";
  const std::string x = p.add(lower(v));
  return "(" + lp + " = " + x + " OR substr(" + lp + ", -length(" + x + ") - 1) = '/' || " + x +
         ")";
}

std::string valueCondition(Params &p, const std::string &column, const std::string &v,
                           bool substring) {
  if (hasGlob(v))
    return column + " GLOB " + p.add(v);
  if (substring)
    return "instr(" + column + ", " + p.add(v) + ") > 0";
  return column + " = " + p.add(v);
}

std::string anyOf(const std::vector<std::string> &parts, bool negated) {
  std::string s;
  for (const auto &x : parts)
    s += (s.empty() ? "" : " OR ") + x;
  if (parts.size() > 1)
    s = "(" + s + ")";
  return negated ? "NOT " + s : s;
}

const char *kFailed = "(e.is_error != 0 OR e.exit_code != 0)"; // the events_failed index's

// Adds a session (s) or step (e) condition for a filter; file: is matched apart.
void addCondition(Plan &plan, const Filter &f) {
  Params &p = plan.params;
  std::vector<std::string> parts;
  switch (f.kind) {
  case FilterKind::Agent: {
    for (const auto &v : f.values)
      parts.push_back(valueCondition(p, "s.agent", v, false));
    plan.session.push_back(anyOf(parts, f.negated));
    break;
  }
  case FilterKind::Project:
    for (const auto &v : f.values)
      parts.push_back(projectCondition(p, v));
    plan.session.push_back(anyOf(parts, f.negated));
    break;
  case FilterKind::Branch:
    for (const auto &v : f.values)
      parts.push_back(valueCondition(p, "coalesce(s.branch, '')", v, false));
    plan.session.push_back(anyOf(parts, f.negated));
    break;
  case FilterKind::Model:
    for (const auto &v : f.values)
      parts.push_back(valueCondition(p, "lower(coalesce(s.model, ''))", v, true));
    plan.session.push_back(anyOf(parts, f.negated));
    break;
  case FilterKind::After:
    plan.session.push_back(std::string(f.negated ? "NOT " : "") +
                           "coalesce(s.ended, s.started) >= " + p.add(f.time));
    break;
  case FilterKind::Before:
    plan.session.push_back(std::string(f.negated ? "NOT " : "") +
                           "coalesce(s.started, s.ended) < " + p.add(f.time));
    break;
  case FilterKind::Subagent:
    plan.session.push_back(f.negated ? "s.is_subagent = 0" : "s.is_subagent != 0");
    break;
  case FilterKind::Kind:
    for (const auto &v : f.values)
      parts.push_back("e.kind = " + p.add(v));
    plan.step.push_back(anyOf(parts, f.negated));
    break;
  case FilterKind::Tool:
    for (const auto &v : f.values)
      parts.push_back(valueCondition(p, "lower(coalesce(e.tool, ''))", v, false));
    plan.step.push_back(anyOf(parts, f.negated));
    break;
  case FilterKind::Failed:
    plan.step.push_back(f.negated ? "NOT (e.is_error != 0 OR coalesce(e.exit_code, 0) != 0)"
                                  : kFailed);
    break;
  case FilterKind::Cmd:
    if (f.negated)
      plan.step.push_back("e.id NOT IN (SELECT rowid FROM events_fts WHERE events_fts MATCH " +
                          p.add("command : " + ftsQuote(f.values[0]) + "*") + ")");
    break;
  case FilterKind::File:
    break;
  }
}

// --- file: ------------------------------------------------------------------------------------

void addMatch(FileMatchMap &m, const std::string &session, const std::string &path, int64_t seq) {
  FileMatches &fm = m[session];
  fm.paths.insert(path);
  if (seq > 0)
    fm.seqs.insert(seq);
}

// The sessions (and their paths and steps) a file: filter's values select: the timeline's
// touched files, and the paths steps name (tool calls that only looked: Grep, Glob, ls).
Expected<FileMatchMap> matchFiles(Store &store, const Filter &f) {
  FileMatchMap out;
  for (const auto &v : f.values) {
    const std::string lit = longestLiteral(v);
    auto st = store.db().prepare("SELECT session_id, path, seq FROM file_states "
                                 "WHERE ?1 = '' OR instr(path, ?1) > 0");
    if (!st)
      return st.error();
    st->bind(1, lit);
    while (st->step()) {
      const std::string path = st->text(1);
      if (pathMatches(v, path))
        addMatch(out, st->text(0), path, st->int64(2));
    }
    if (st->failed())
      return store.db().lastError("search: file:");
    // Steps naming the path: found through the index's path column, then matched exactly.
    bool words = false;
    for (char c : lit)
      words = words || wordChar(static_cast<unsigned char>(c));
    if (!words)
      continue;
    auto ev = store.db().prepare("SELECT e.session_id, e.path, e.seq, s.project FROM events_fts "
                                 "CROSS JOIN events e ON e.id = events_fts.rowid "
                                 "CROSS JOIN sessions s ON s.id = e.session_id "
                                 "WHERE events_fts MATCH ?1");
    if (!ev)
      return ev.error();
    ev->bind(1, "path : " + ftsQuote(lit));
    while (ev->step()) {
      // Some agents name files relative to the session's folder: made absolute like the
      // timeline's, so that one file is listed once.
      std::string path = ev->text(1);
      const std::string project = ev->text(3);
      if (!path.empty() && path[0] != '/' && !project.empty())
        path = (std::filesystem::path(project) / path).lexically_normal().string();
      if (pathMatches(v, path))
        addMatch(out, ev->text(0), path, ev->int64(2));
    }
    if (ev->failed())
      return store.db().lastError("search: file:");
  }
  return out;
}

// The session-level pass's parts: each clause of words (restricted like the whole query's steps
// by kind:, tool: and the exclusions), each cmd:, and `failed`. Only worth it with two or more.
void makeParts(Plan &plan, const std::vector<std::string> &text,
               const std::vector<std::string> &toolMatch, const std::vector<std::string> &cmds,
               const std::string &negative) {
  std::vector<std::string> shared; // the step conditions every part keeps: all but `failed`
  for (const auto &c : plan.step)
    if (c != kFailed)
      shared.push_back(c);
  const bool failed = plan.query.has(FilterKind::Failed);
  if (text.size() + cmds.size() + (failed ? 1 : 0) < 2 || text.empty())
    return;
  auto withTools = [&](std::string m) {
    for (const auto &t : toolMatch)
      m += " AND " + t;
    return negative.empty() ? m : "(" + m + ") NOT " + negative;
  };
  for (const auto &t : text)
    plan.parts.push_back(Part{withTools(t), shared, true});
  for (const auto &c : cmds)
    plan.parts.push_back(Part{withTools(c), shared, false});
  if (failed) {
    std::vector<std::string> step = shared;
    step.push_back(kFailed);
    plan.parts.push_back(Part{"", step, false});
  }
}

} // namespace

std::string Params::add(Value v) {
  values.push_back(std::move(v));
  return "?" + std::to_string(values.size());
}

void Params::bind(sql::Stmt &st) const {
  for (size_t i = 1; i < values.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    if (const auto *x = std::get_if<int64_t>(&values[i]))
      st.bind(n, *x);
    else
      st.bind(n, std::get<std::string>(values[i]));
  }
}

std::string joinAnd(const std::vector<std::string> &terms) {
  std::string out;
  for (const auto &t : terms)
    out += (out.empty() ? "" : " AND ") + t;
  return out;
}

std::string ftsQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += "\"\"";
    else
      out += c;
  }
  return out + "\"";
}

bool pathMatches(const std::string &value, std::string_view path) {
  auto whole = [&](std::string_view tail) {
    if (hasGlob(value))
      return globMatch(value, tail) || globMatch(value + "/**", tail);
    return tail == value || (tail.size() > value.size() && tail.substr(0, value.size()) == value &&
                             tail[value.size()] == '/');
  };
  if (!value.empty() && value[0] == '/')
    return whole(path);
  for (size_t i = 0; i < path.size(); ++i)
    if ((i == 0 || path[i - 1] == '/') && whole(path.substr(i)))
      return true;
  return false;
}

bool Plan::sessionAllowed(const std::string &id) const {
  for (const auto &[m, negated] : files)
    if ((m.count(id) != 0) == negated)
      return false;
  return true;
}

FileMatches Plan::filesOf(const std::string &id) const {
  FileMatches out;
  for (const auto &[m, negated] : files) {
    if (negated)
      continue;
    if (auto it = m.find(id); it != m.end()) {
      out.paths.insert(it->second.paths.begin(), it->second.paths.end());
      out.seqs.insert(it->second.seqs.begin(), it->second.seqs.end());
    }
  }
  return out;
}

Expected<Plan> makePlan(Store &store, Query query) {
  Plan plan;
  plan.query = std::move(query);
  const Query &q = plan.query;
  std::vector<std::string> positive, text, negative;
  for (const auto &c : q.text) {
    std::vector<std::string> alts;
    for (const auto &t : c.anyOf) {
      auto e = termExpr(store, t, !c.negated);
      if (!e)
        return e.error();
      alts.push_back(*e);
    }
    const std::string expr = orJoin(alts);
    (c.negated ? negative : text).push_back(expr);
    if (c.negated)
      continue;
    std::string words;
    for (const auto &w : wordsOf(c.anyOf.front().text))
      words += (words.empty() ? "" : " ") + w;
    plan.clauseWords.push_back(words);
    if (c.anyOf.size() == 1 && !c.anyOf[0].quoted && !c.anyOf[0].prefix)
      for (auto &w : wordsOf(c.anyOf[0].text))
        plan.plainWords.push_back(std::move(w));
  }
  positive = text;
  std::vector<std::string> toolMatch, cmdParts;
  for (const auto &f : q.filters) {
    if (f.negated)
      continue;
    if (f.kind == FilterKind::Cmd) {
      plan.cmdMatch = "command : " + ftsQuote(f.values[0]) + "*";
      positive.push_back(plan.cmdMatch);
      cmdParts.push_back(plan.cmdMatch);
    } else if (f.kind == FilterKind::Tool) {
      std::vector<std::string> heads;
      for (const auto &v : f.values) {
        const std::string head = literalHead(v);
        if (!allWordChars(head)) {
          heads.clear(); // a wildcard-only value: no narrowing by the index
          break;
        }
        heads.push_back(ftsQuote(head) + (hasGlob(v) ? "*" : ""));
      }
      if (!heads.empty()) {
        positive.push_back("tool : " + orJoin(heads));
        toolMatch.push_back(positive.back());
      }
    }
  }
  const std::string pos = joinAnd(positive), neg = orJoin(negative);
  if (!pos.empty())
    plan.match = neg.empty() ? pos : "(" + pos + ") NOT " + neg;
  else if (!neg.empty())
    plan.step.push_back("e.id NOT IN (SELECT rowid FROM events_fts WHERE events_fts MATCH " +
                        plan.params.add(neg) + ")");
  plan.textMatch = joinAnd(text);
  if (plan.plainWords.size() >= 2 && !plan.match.empty()) {
    std::string phrase;
    for (const auto &w : plan.plainWords)
      phrase += (phrase.empty() ? "" : " ") + w;
    plan.phraseMatch = "(" + plan.match + ") AND " + ftsQuote(phrase);
  }
  for (const auto &f : q.filters) {
    if (f.kind == FilterKind::File) {
      auto m = matchFiles(store, f);
      if (!m)
        return m.error();
      plan.files.emplace_back(std::move(*m), f.negated);
    } else {
      addCondition(plan, f);
    }
  }
  plan.stepLevel = !plan.match.empty() || !plan.step.empty();
  plan.scored = !text.empty();
  makeParts(plan, text, toolMatch, cmdParts, neg);
  return plan;
}

} // namespace mantra::searchplan
