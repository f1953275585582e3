#include "search/Search.h"

namespace mantra {
namespace {

constexpr char kOpen = '\x01', kClose = '\x02';

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += "\"\"";
    else
      out += c;
  }
  return out + "\"";
}

// Collapses whitespace, removes the highlight markers and records where they were.
void finishSnippet(const std::string &raw, SearchHit &hit) {
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

} // namespace

Expected<std::string> toFtsQuery(std::string_view q) {
  std::vector<std::string> terms;
  size_t i = 0;
  while (i < q.size()) {
    if (isSpace(q[i])) {
      ++i;
      continue;
    }
    if (q[i] == '"') {
      const size_t end = q.find('"', i + 1);
      if (end == std::string_view::npos)
        return makeError(ErrorCode::Parse,
                         "query: unclosed quote at column " + std::to_string(i + 1));
      const auto phrase = q.substr(i + 1, end - i - 1);
      bool blank = true;
      for (char c : phrase)
        blank = blank && isSpace(c);
      if (!blank)
        terms.push_back(quoted(phrase));
      i = end + 1;
      continue;
    }
    size_t j = i;
    while (j < q.size() && !isSpace(q[j]) && q[j] != '"')
      ++j;
    std::string_view word = q.substr(i, j - i);
    const bool prefix = word.size() > 1 && word.back() == '*';
    if (prefix)
      word.remove_suffix(1);
    terms.push_back(quoted(word) + (prefix ? "*" : ""));
    i = j;
  }
  if (terms.empty())
    return makeError(ErrorCode::Parse, "query: nothing to search for");
  std::string out;
  for (const auto &t : terms) {
    if (!out.empty())
      out += ' ';
    out += t;
  }
  return out;
}

Expected<std::vector<SearchHit>> search(Store &store, const SearchOptions &opts) {
  auto fts = toFtsQuery(opts.query);
  if (!fts)
    return fts.error();
  // Column weights: text, command, path, tool. Kind weights: what the user typed counts most,
  // then what the assistant said, then tool output (see README "Search").
  auto *st =
      store.db().cached("SELECT e.session_id, e.seq, e.kind, e.time, s.agent, s.title, s.project, "
                        "snippet(events_fts, -1, char(1), char(2), '…', 16), "
                        "bm25(events_fts, 1.0, 1.2, 1.2, 0.5) * CASE e.kind WHEN 'user' THEN 2.0 "
                        "WHEN 'summary' THEN 1.6 WHEN 'assistant' THEN 1.3 WHEN 'edit' THEN 1.1 "
                        "WHEN 'meta' THEN 0.6 ELSE 1.0 END AS score "
                        "FROM events_fts JOIN events e ON e.id = events_fts.rowid "
                        "JOIN sessions s ON s.id = e.session_id "
                        "WHERE events_fts MATCH ?1 ORDER BY score LIMIT ?2");
  if (!st)
    return store.db().lastError("search");
  st->bind(1, *fts).bind(2, static_cast<int64_t>(opts.limit));
  std::vector<SearchHit> hits;
  while (st->step()) {
    SearchHit h;
    h.sessionId = st->text(0);
    h.seq = st->int64(1);
    h.kind = eventKindFromString(st->text(2)).value_or(EventKind::Meta);
    h.time = st->optInt64(3);
    h.agent = st->text(4);
    h.title = st->text(5);
    h.project = st->text(6);
    finishSnippet(st->text(7), h);
    h.score = -st->real(8);
    hits.push_back(std::move(h));
  }
  if (st->failed()) {
    auto err = store.db().lastError("search");
    st->reset();
    return makeError(ErrorCode::Parse, "query: " + opts.query + ": " + err.message);
  }
  st->reset();
  return hits;
}

} // namespace mantra
