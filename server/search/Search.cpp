// Running a search (see Search.h): the plan's SQL gives every matching step with its BM25 score;
// steps are scored and grouped by session here, the sessions that can still make the cut get
// their title and recency factors, and only the steps shown get snippets (FTS5's snippet() is
// the costly part of a query, so it never runs for the thousands of steps a common word hits).
#include "search/Search.h"

#include "search/Plan.h"
#include "util/Time.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <unordered_map>
#include <unordered_set>

namespace mantra {

using namespace searchplan;

double Ranking::kindWeight(EventKind k) {
  switch (k) {
  case EventKind::User:
    return 2.0;
  case EventKind::Summary:
    return 1.6;
  case EventKind::Assistant:
    return 1.3;
  case EventKind::Reasoning:
  case EventKind::Edit:
    return 1.1;
  case EventKind::ToolResult:
    return 0.8;
  case EventKind::Meta:
    return 0.5;
  default:
    return 1.0;
  }
}

namespace {

constexpr char kOpen = '\x01', kClose = '\x02';
constexpr int kPlainSnippet = 160; // code points of a step's start shown when nothing was matched

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Collapses whitespace, removes the highlight markers and records where they were.
void finishSnippet(const std::string &raw, SearchStep &hit) {
  std::string out;
  out.reserve(raw.size());
  int cps = 0, openAt = -1;
  bool space = false;
  for (char c : raw) {
    if (c == kOpen) {
      if (space) {
        out += ' ';
        ++cps;
        space = false;
      }
      openAt = cps;
      continue;
    }
    if (c == kClose) {
      if (openAt >= 0)
        hit.highlights.emplace_back(openAt, cps);
      openAt = -1;
      continue;
    }
    if (isSpace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      ++cps;
      space = false;
    }
    out += c;
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
      ++cps;
  }
  hit.snippet = std::move(out);
}

// The start of a text on one line: whitespace collapsed, cut after `max` code points.
std::string clip(std::string_view s, int max) {
  std::string out;
  int cps = 0;
  bool space = false;
  for (char c : s) {
    if (isSpace(c)) {
      space = !out.empty();
      continue;
    }
    const bool start = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (start && cps + (space ? 1 : 0) >= max) {
      out += "…";
      return out;
    }
    if (space) {
      out += ' ';
      ++cps;
      space = false;
    }
    out += c;
    cps += start;
  }
  return out;
}

int codePoints(std::string_view s) {
  int n = 0;
  for (char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// A light stemmer for comparing query words with title words (the index has its own, Porter).
std::string stem(std::string w) {
  for (const char *suffix : {"ing", "ed", "es", "s"}) {
    const size_t n = std::char_traits<char>::length(suffix);
    if (w.size() > n + 2 && w.compare(w.size() - n, n, suffix) == 0) {
      w.resize(w.size() - n);
      break;
    }
  }
  return w;
}

std::string joined(const std::vector<std::string> &words) {
  std::string out;
  for (const auto &w : words)
    out += (out.empty() ? "" : " ") + w;
  return out;
}

// The title's factor: the share of the query's clauses whose words all occur in it, and
// whether it holds the query's plain words as one phrase.
double titleFactor(const Plan &plan, const std::string &title) {
  if (plan.clauseWords.empty() || title.empty())
    return 1.0;
  const std::vector<std::string> tw = wordsOf(title);
  std::unordered_set<std::string> stems;
  for (const auto &w : tw)
    stems.insert(stem(w));
  size_t matched = 0;
  for (const auto &clause : plan.clauseWords) {
    const auto words = wordsOf(clause);
    matched += !words.empty() && std::all_of(words.begin(), words.end(), [&](const auto &w) {
      return stems.count(stem(w)) != 0;
    });
  }
  double f = 1.0 + Ranking::kTitleWords * double(matched) / double(plan.clauseWords.size());
  if (plan.plainWords.size() >= 2 &&
      (" " + joined(tw) + " ").find(" " + joined(plan.plainWords) + " ") != std::string::npos)
    f += Ranking::kTitlePhrase;
  return f;
}

double recencyFactor(const SessionRow &s, int64_t now) {
  const std::optional<int64_t> at = s.ended ? s.ended : s.started;
  if (!at)
    return 1.0;
  const double days = std::max<double>(0, double(now - *at) / 86400000.0);
  return 1.0 + Ranking::kRecency * std::exp2(-days / Ranking::kRecencyHalfLifeDays);
}

int64_t activity(const SessionRow &s) { return s.ended ? *s.ended : s.started.value_or(0); }

// A matching step before ranking.
struct Cand {
  int64_t rowid = 0;
  int32_t session = 0;
  int64_t seq = 0;
  EventKind kind = EventKind::Meta;
  std::optional<int64_t> time;
  double score = 0;
};

struct Collected {
  std::vector<Cand> cands;
  std::vector<std::string> sessionIds;
};

std::string num(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", d);
  return buf;
}

// Every step matching `match` (none: no FTS) and the conditions, in sessions the file: filters
// allow, with a BM25-based score when `scored`.
Expected<Collected> collect(Store &store, const Plan &plan, const std::string &match,
                            const std::vector<std::string> &step, bool scored) {
  std::string sql;
  std::vector<std::string> where;
  if (!match.empty()) {
    sql = "SELECT e.id, e.session_id, e.seq, e.kind, e.time, " +
          (scored ? "bm25(events_fts, " + num(Ranking::kText) + ", " + num(Ranking::kCommand) +
                        ", " + num(Ranking::kPath) + ", " + num(Ranking::kTool) + ")"
                  : std::string("0")) +
          " FROM events_fts CROSS JOIN events e ON e.id = events_fts.rowid";
    if (!plan.session.empty())
      sql += " CROSS JOIN sessions s ON s.id = e.session_id";
    where.push_back("events_fts MATCH ?1");
  } else {
    sql = "SELECT e.id, e.session_id, e.seq, e.kind, e.time, 0 FROM events e";
    if (!plan.session.empty())
      sql += " JOIN sessions s ON s.id = e.session_id";
  }
  where.insert(where.end(), step.begin(), step.end());
  where.insert(where.end(), plan.session.begin(), plan.session.end());
  sql += " WHERE " + joinAnd(where);
  auto st = store.db().prepare(sql);
  if (!st)
    return st.error();
  if (!match.empty())
    st->bind(1, match);
  plan.params.bind(*st);

  Collected out;
  std::unordered_map<std::string, int32_t> index;
  std::unordered_map<std::string, bool> allowed;
  while (st->step()) {
    std::string sid = st->text(1);
    auto ok = allowed.find(sid);
    if (ok == allowed.end())
      ok = allowed.emplace(sid, plan.sessionAllowed(sid)).first;
    if (!ok->second)
      continue;
    Cand c;
    c.rowid = st->int64(0);
    auto [it, added] = index.emplace(sid, static_cast<int32_t>(out.sessionIds.size()));
    if (added)
      out.sessionIds.push_back(std::move(sid));
    c.session = it->second;
    c.seq = st->int64(2);
    c.kind = eventKindFromString(st->text(3)).value_or(EventKind::Meta);
    c.time = st->optInt64(4);
    c.score = scored ? -st->real(5) * Ranking::kindWeight(c.kind) : 0.0;
    out.cands.push_back(c);
  }
  if (st->failed())
    return store.db().lastError("search");
  return out;
}

// Rows holding the query's plain words as one phrase (for the phrase boost).
Expected<std::unordered_set<int64_t>> phraseRows(Store &store, const Plan &plan) {
  std::unordered_set<int64_t> out;
  if (plan.phraseMatch.empty())
    return out;
  auto st = store.db().prepare("SELECT rowid FROM events_fts WHERE events_fts MATCH ?1");
  if (!st)
    return st.error();
  st->bind(1, plan.phraseMatch);
  while (st->step())
    out.insert(st->int64(0));
  if (st->failed())
    return store.db().lastError("search");
  return out;
}

// Highlights the first occurrence of a matched file's name in a plain snippet.
void highlightFile(SearchStep &s, const FileMatches &files) {
  for (const auto &path : files.paths) {
    const std::string name = path.substr(path.rfind('/') + 1);
    if (name.empty())
      continue;
    const size_t at = s.snippet.find(name);
    if (at == std::string::npos)
      continue;
    const int start = codePoints(std::string_view(s.snippet).substr(0, at));
    s.highlights.emplace_back(start, start + codePoints(name));
    return;
  }
}

// Fills the snippets of the steps shown: around the words (or the command) they matched, else
// the step's start. Steps are queued with add() and filled together by run(): one pass over an
// expression's matches, with snippet() computed only for the queued rows, rather than a query per
// step (each of which would set the expression up again: for a prefix, the merge of every
// matching term).
class Snippets {
public:
  Snippets(Store &store, const Plan &plan) : store_(store), plan_(plan) {}

  // `step` must stay where it is until run().
  void add(SearchStep &step, int64_t rowid, const std::string &sessionId) {
    wants_.push_back(Want{&step, rowid, sessionId});
  }

  Status run() {
    // The words of the whole query; for a step of the session-level pass, the clause it
    // matched; for cmd: alone, the command.
    std::vector<std::pair<const std::string *, int>> tries;
    if (!plan_.textMatch.empty())
      tries.emplace_back(&plan_.textMatch, -1);
    for (const Part &p : plan_.parts)
      if (p.scored)
        tries.emplace_back(&p.match, -1);
    if (!plan_.cmdMatch.empty())
      tries.emplace_back(&plan_.cmdMatch, 1);
    for (const auto &[match, column] : tries)
      if (auto st = pass(*match, column); !st)
        return st;
    for (Want &w : wants_)
      if (!w.done)
        if (auto st = plain(w); !st)
          return st;
    wants_.clear();
    return {};
  }

private:
  struct Want {
    SearchStep *step;
    int64_t rowid;
    std::string sessionId;
    bool done = false;
  };

  Status pass(const std::string &match, int column) {
    std::unordered_map<int64_t, std::vector<Want *>> open;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    std::string list;
    for (Want &w : wants_) {
      if (w.done)
        continue;
      auto &v = open[w.rowid];
      if (v.empty())
        list += (list.empty() ? "" : ",") + std::to_string(w.rowid);
      v.push_back(&w);
      lo = std::min(lo, w.rowid);
      hi = std::max(hi, w.rowid);
    }
    if (open.empty())
      return {};
    auto st = store_.db().prepare(
        "SELECT rowid, snippet(events_fts, " + std::to_string(column) +
        ", char(1), char(2), '…', 16) FROM events_fts WHERE events_fts MATCH ?1 AND rowid "
        "BETWEEN ?2 AND ?3 AND +rowid IN (" +
        list + ")");
    if (!st)
      return st.error();
    st->bind(1, match).bind(2, lo).bind(3, hi);
    while (st->step()) {
      auto it = open.find(st->int64(0));
      if (it == open.end())
        continue;
      const std::string raw = st->text(1);
      for (Want *w : it->second) {
        finishSnippet(raw, *w->step);
        w->done = true;
      }
    }
    if (st->failed())
      return store_.db().lastError("search: snippet");
    return {};
  }

  Status plain(Want &w) {
    auto st = store_.db().cached("SELECT kind, text, command, path, tool FROM events WHERE id = ?");
    if (!st)
      return store_.db().lastError("search: snippet");
    st->bind(1, w.rowid);
    std::string text;
    if (st->step()) {
      const std::string kind = st->text(0), body = st->text(1), command = st->text(2),
                        path = st->text(3), tool = st->text(4);
      if (!command.empty())
        text = "$ " + command + (body.empty() ? "" : "  " + body.substr(0, 4 * kPlainSnippet));
      else if (kind == "edit" || (!path.empty() && kind == "tool_call"))
        text = (tool.empty() ? "" : tool + " ") + path;
      else
        text = body.substr(0, 4 * kPlainSnippet);
    }
    const bool failed = st->failed();
    st->reset();
    if (failed)
      return store_.db().lastError("search: snippet");
    w.step->snippet = clip(text, kPlainSnippet);
    if (!plan_.files.empty())
      highlightFile(*w.step, plan_.filesOf(w.sessionId));
    w.done = true;
    return {};
  }

  Store &store_;
  const Plan &plan_;
  std::vector<Want> wants_;
};

// One session's group of matching steps.
struct Group {
  std::string id;
  int64_t hits = 0;
  std::vector<const Cand *> top; // best first (by score, or by seq when nothing was scored)
  double base = 0;
  double score = 0;
  SessionRow row;
};

SearchStep stepOf(const Cand &c) {
  SearchStep s;
  s.seq = c.seq;
  s.kind = c.kind;
  s.time = c.time;
  s.score = c.score;
  return s;
}

SearchHit hitOf(const SearchStep &s, const SessionRow &row) {
  SearchHit h;
  static_cast<SearchStep &>(h) = s;
  h.sessionId = row.id;
  h.agent = row.agent;
  h.title = row.title;
  h.project = row.project;
  return h;
}

bool better(const Cand *a, const Cand *b, bool scored) {
  return scored ? a->score > b->score : a->seq < b->seq;
}

// Keeps `c` among a group's best steps.
void offer(std::vector<const Cand *> &top, const Cand *c, bool scored) {
  auto at =
      std::find_if(top.begin(), top.end(), [&](const Cand *x) { return better(c, x, scored); });
  if (at - top.begin() < kStepsPerSession) {
    top.insert(at, c);
    if (top.size() > static_cast<size_t>(kStepsPerSession))
      top.pop_back();
  }
}

double baseScore(const std::vector<const Cand *> &top) {
  const double w[] = {1.0, Ranking::kSecondStep, Ranking::kThirdStep};
  double base = 0;
  for (size_t i = 0; i < top.size() && i < 3; ++i)
    base += w[i] * top[i]->score;
  return base;
}

std::vector<Group> groupBySession(const Collected &col, bool scored) {
  std::vector<Group> groups(col.sessionIds.size());
  for (size_t i = 0; i < groups.size(); ++i)
    groups[i].id = col.sessionIds[i];
  for (const Cand &c : col.cands) {
    Group &g = groups[static_cast<size_t>(c.session)];
    ++g.hits;
    offer(g.top, &c, scored);
  }
  for (Group &g : groups)
    g.base = baseScore(g.top);
  return groups;
}

// The session-level pass (Search.h): sessions that have every part of the query somewhere but
// not in one step. Each part's best step is shown; the score is kSpread × the sum of the best
// scores of the parts that are words. `parts` keeps the steps the groups point at.
Expected<std::vector<Group>> spreadGroups(Store &store, const Plan &plan,
                                          const std::unordered_set<std::string> &found,
                                          std::vector<Collected> &parts) {
  parts.reserve(plan.parts.size());
  for (const Part &part : plan.parts) {
    auto col = collect(store, plan, part.match, part.step, part.scored);
    if (!col)
      return col.error();
    parts.push_back(std::move(*col));
  }
  // Sessions in every part: counted through the first part's sessions.
  std::unordered_map<std::string, int> seen;
  for (const Collected &col : parts)
    for (const auto &id : col.sessionIds)
      ++seen[id];
  std::unordered_map<std::string, Group> groups;
  for (const auto &[id, n] : seen)
    if (n == static_cast<int>(parts.size()) && !found.count(id))
      groups[id].id = id;
  std::unordered_map<std::string, std::unordered_set<int64_t>> rows; // distinct matching steps
  for (size_t p = 0; p < parts.size(); ++p) {
    std::unordered_map<int32_t, const Cand *> best;
    for (const Cand &c : parts[p].cands) {
      const std::string &id = parts[p].sessionIds[static_cast<size_t>(c.session)];
      auto g = groups.find(id);
      if (g == groups.end())
        continue;
      rows[id].insert(c.rowid);
      auto [it, added] = best.emplace(c.session, &c);
      if (!added && better(&c, it->second, plan.parts[p].scored))
        it->second = &c;
    }
    for (const auto &[session, c] : best) {
      Group &g = groups[parts[p].sessionIds[static_cast<size_t>(session)]];
      g.base += plan.parts[p].scored ? Ranking::kSpread * c->score : 0.0;
      if (std::none_of(g.top.begin(), g.top.end(),
                       [&](const Cand *x) { return x->rowid == c->rowid; }))
        offer(g.top, c, true);
    }
  }
  std::vector<Group> out;
  for (auto &[id, g] : groups) {
    g.hits = static_cast<int64_t>(rows[id].size());
    out.push_back(std::move(g));
  }
  return out;
}

// The best `limit` groups: by score (title, recency and sub-agent factors applied to those that
// can still make it), or, when nothing was scored, newest first.
Expected<std::vector<Group>> rankGroups(Store &store, const Plan &plan, std::vector<Group> groups,
                                        size_t limit, int64_t now) {
  auto load = [&](Group &g) -> Status {
    auto row = store.session(g.id);
    if (!row)
      return row.error();
    g.row = std::move(*row);
    return {};
  };
  std::vector<Group> out;
  if (!plan.scored) {
    for (Group &g : groups)
      if (auto st = load(g); !st)
        return st.error();
    std::sort(groups.begin(), groups.end(), [](const Group &a, const Group &b) {
      return activity(a.row) != activity(b.row) ? activity(a.row) > activity(b.row)
                                                : a.row.id < b.row.id;
    });
    groups.resize(std::min(limit, groups.size()));
    return groups;
  }
  std::sort(groups.begin(), groups.end(),
            [](const Group &a, const Group &b) { return a.base > b.base; });
  const double maxFactor =
      (1.0 + Ranking::kTitleWords + Ranking::kTitlePhrase) * (1.0 + Ranking::kRecency);
  const bool subagents = plan.query.has(FilterKind::Subagent);
  std::priority_queue<double, std::vector<double>, std::greater<double>> best; // the top scores
  for (Group &g : groups) {
    if (best.size() >= limit && g.base * maxFactor < best.top())
      break;
    if (auto st = load(g); !st)
      return st.error();
    g.score = g.base * titleFactor(plan, g.row.title) * recencyFactor(g.row, now) *
              (g.row.isSubagent && !subagents ? Ranking::kSubagent : 1.0);
    best.push(g.score);
    if (best.size() > limit)
      best.pop();
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(), [](const Group &a, const Group &b) {
    return a.score != b.score ? a.score > b.score : a.row.id < b.row.id;
  });
  out.resize(std::min(limit, out.size()));
  return out;
}

// The flat list: steps by score × their session's recency (newest first when nothing was
// scored), the `limit` best.
Status flatHits(Store &store, const Plan &plan, const Collected &col, size_t limit, int64_t now,
                SearchResult &res) {
  std::vector<const Cand *> order;
  order.reserve(col.cands.size());
  for (const Cand &c : col.cands)
    order.push_back(&c);
  std::unordered_map<int32_t, SessionRow> rows;
  auto rowOf = [&](int32_t s) -> Expected<const SessionRow *> {
    auto it = rows.find(s);
    if (it == rows.end()) {
      auto r = store.session(col.sessionIds[static_cast<size_t>(s)]);
      if (!r)
        return r.error();
      it = rows.emplace(s, std::move(*r)).first;
    }
    return &it->second;
  };
  std::vector<std::pair<double, const Cand *>> picked;
  if (plan.scored) {
    std::sort(order.begin(), order.end(),
              [](const Cand *a, const Cand *b) { return a->score > b->score; });
    std::priority_queue<double, std::vector<double>, std::greater<double>> best;
    for (const Cand *c : order) {
      if (best.size() >= limit && c->score * (1.0 + Ranking::kRecency) < best.top())
        break;
      auto row = rowOf(c->session);
      if (!row)
        return row.error();
      const double s = c->score * recencyFactor(**row, now);
      picked.emplace_back(s, c);
      best.push(s);
      if (best.size() > limit)
        best.pop();
    }
    std::sort(picked.begin(), picked.end(), [](const auto &a, const auto &b) {
      return a.first != b.first ? a.first > b.first : a.second->rowid < b.second->rowid;
    });
  } else {
    auto at = [](const Cand *c) { return c->time.value_or(0); };
    std::sort(order.begin(), order.end(), [&](const Cand *a, const Cand *b) {
      return at(a) != at(b) ? at(a) > at(b) : a->rowid > b->rowid;
    });
    for (size_t i = 0; i < order.size() && i < limit; ++i)
      picked.emplace_back(0.0, order[i]);
  }
  picked.resize(std::min(limit, picked.size()));
  Snippets snippets(store, plan);
  res.hits.reserve(picked.size());
  for (const auto &[score, c] : picked) {
    auto row = rowOf(c->session);
    if (!row)
      return row.error();
    SearchStep s = stepOf(*c);
    s.score = score;
    res.hits.push_back(hitOf(s, **row));
    snippets.add(res.hits.back(), c->rowid, (*row)->id);
  }
  return snippets.run();
}

// The grouped list: sessions by score (plus the session-level pass when too few have everything
// in one step), each with its best steps.
Status sessionHits(Store &store, const Plan &plan, const Collected &col, size_t limit, int64_t now,
                   SearchResult &res) {
  std::vector<Group> groups = groupBySession(col, plan.scored);
  std::vector<Collected> parts; // the steps the session-level pass's groups point at
  if (groups.size() < limit && !plan.parts.empty()) {
    std::unordered_set<std::string> found(col.sessionIds.begin(), col.sessionIds.end());
    auto spread = spreadGroups(store, plan, found, parts);
    if (!spread)
      return spread.error();
    for (Group &g : *spread) {
      res.totalHits += g.hits;
      ++res.totalSessions;
      groups.push_back(std::move(g));
    }
  }
  auto ranked = rankGroups(store, plan, std::move(groups), limit, now);
  if (!ranked)
    return ranked.error();
  Snippets snippets(store, plan);
  res.sessions.reserve(ranked->size());
  for (Group &g : *ranked) {
    SessionHit &sh = res.sessions.emplace_back();
    sh.hits = g.hits;
    sh.score = g.score;
    sh.steps.reserve(g.top.size());
    for (const Cand *c : g.top)
      snippets.add(sh.steps.emplace_back(stepOf(*c)), c->rowid, g.row.id);
    const FileMatches files = plan.filesOf(g.row.id);
    sh.files.assign(files.paths.begin(), files.paths.end());
    sh.session = std::move(g.row);
  }
  return snippets.run();
}

// A query with words or step filters: the matching steps, scored, then listed or grouped.
Expected<SearchResult> searchSteps(Store &store, const Plan &plan, const SearchOptions &o,
                                   int64_t now) {
  auto col = collect(store, plan, plan.match, plan.step, plan.scored);
  if (!col)
    return col.error();
  if (plan.scored && !plan.phraseMatch.empty()) {
    auto phrase = phraseRows(store, plan);
    if (!phrase)
      return phrase.error();
    for (Cand &c : col->cands)
      if (phrase->count(c.rowid))
        c.score *= Ranking::kPhraseBoost;
  }
  SearchResult res;
  res.totalHits = static_cast<int64_t>(col->cands.size());
  res.totalSessions = static_cast<int64_t>(col->sessionIds.size());
  const size_t limit = static_cast<size_t>(std::max(1, o.limit));
  Status st = o.byEvent ? flatHits(store, plan, *col, limit, now, res)
                        : sessionHits(store, plan, *col, limit, now, res);
  if (!st)
    return st.error();
  return res;
}

// The step a session shows when a query selected the whole session: its first prompt (else its
// first step).
Expected<std::optional<Cand>> firstPrompt(Store &store, const std::string &sessionId) {
  for (const char *sql : {"SELECT id, seq, kind, time FROM events WHERE session_id = ?1 AND "
                          "kind = 'user' ORDER BY seq LIMIT 1",
                          "SELECT id, seq, kind, time FROM events WHERE session_id = ?1 "
                          "ORDER BY seq LIMIT 1"}) {
    auto *st = store.db().cached(sql);
    if (!st)
      return store.db().lastError("search");
    st->bind(1, sessionId);
    if (st->step()) {
      Cand c;
      c.rowid = st->int64(0);
      c.seq = st->int64(1);
      c.kind = eventKindFromString(st->text(2)).value_or(EventKind::Meta);
      c.time = st->optInt64(3);
      st->reset();
      return std::optional<Cand>(c);
    }
    const bool failed = st->failed();
    st->reset();
    if (failed)
      return store.db().lastError("search");
  }
  return std::optional<Cand>();
}

Expected<std::vector<Cand>> stepsAt(Store &store, const std::string &sessionId,
                                    const std::set<int64_t> &seqs, size_t max) {
  std::vector<Cand> out;
  auto *st =
      store.db().cached("SELECT id, kind, time FROM events WHERE session_id = ?1 AND seq = ?2");
  if (!st)
    return store.db().lastError("search");
  for (int64_t seq : seqs) {
    if (out.size() >= max)
      break;
    st->bind(1, sessionId).bind(2, seq);
    if (st->step()) {
      Cand c;
      c.rowid = st->int64(0);
      c.seq = seq;
      c.kind = eventKindFromString(st->text(1)).value_or(EventKind::Meta);
      c.time = st->optInt64(2);
      out.push_back(c);
    }
    const bool failed = st->failed();
    st->reset();
    if (failed)
      return store.db().lastError("search");
  }
  return out;
}

// A query of session filters alone: the sessions, newest first, each with its first prompt or
// the steps that touched the files a file: filter named.
Expected<SearchResult> searchSessions(Store &store, const Plan &plan, const SearchOptions &o) {
  std::vector<std::string> where{"s.events > 0"};
  where.insert(where.end(), plan.session.begin(), plan.session.end());
  auto st = store.db().prepare("SELECT s.id, s.events FROM sessions s WHERE " + joinAnd(where) +
                               " ORDER BY coalesce(s.ended, s.started) DESC, s.id");
  if (!st)
    return st.error();
  plan.params.bind(*st);
  std::vector<std::pair<std::string, int64_t>> ids;
  while (st->step())
    ids.emplace_back(st->text(0), st->int64(1));
  if (st->failed())
    return store.db().lastError("search");
  SearchResult res;
  const size_t limit = static_cast<size_t>(std::max(1, o.limit));
  Snippets snippets(store, plan);
  for (const auto &[id, events] : ids) {
    if (!plan.sessionAllowed(id))
      continue;
    const FileMatches files = plan.filesOf(id);
    const int64_t hits = files.seqs.empty() ? events : static_cast<int64_t>(files.seqs.size());
    ++res.totalSessions;
    res.totalHits += hits;
    const bool wanted = o.byEvent ? res.hits.size() < limit : res.sessions.size() < limit;
    if (!wanted)
      continue;
    auto row = store.session(id);
    if (!row)
      return row.error();
    std::vector<Cand> shown;
    if (!files.seqs.empty()) {
      auto at = stepsAt(store, id, files.seqs, kStepsPerSession);
      if (!at)
        return at.error();
      shown = std::move(*at);
    }
    if (shown.empty()) {
      auto first = firstPrompt(store, id);
      if (!first)
        return first.error();
      if (*first)
        shown.push_back(**first);
    }
    SessionHit sh;
    sh.hits = hits;
    sh.files.assign(files.paths.begin(), files.paths.end());
    for (const Cand &c : shown) {
      SearchStep s = stepOf(c);
      snippets.add(s, c.rowid, id); // no words here: the step's start, at once
      if (auto f = snippets.run(); !f)
        return f.error();
      if (o.byEvent && res.hits.size() < limit)
        res.hits.push_back(hitOf(s, *row));
      sh.steps.push_back(std::move(s));
    }
    sh.session = std::move(*row);
    if (!o.byEvent)
      res.sessions.push_back(std::move(sh));
  }
  return res;
}

} // namespace

Expected<SearchResult> search(Store &store, const SearchOptions &o) {
  const int64_t now = o.now.value_or(nowMs());
  auto query = parseQuery(o.query, QueryContext{now, o.cwd});
  if (!query)
    return query.error();
  auto plan = makePlan(store, std::move(*query));
  if (!plan)
    return plan.error();
  return plan->stepLevel ? searchSteps(store, *plan, o, now) : searchSessions(store, *plan, o);
}

} // namespace mantra
