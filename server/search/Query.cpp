// The query parser (see Query.h): a lexer that cuts the query into words, phrases, filters and
// OR, then a pass that joins OR'ed neighbours. Every error names the column it is about.
#include "search/Query.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>

namespace mantra {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::vector<std::string> wordsOf(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !wordChar(static_cast<unsigned char>(s[i])))
      ++i;
    const size_t start = i;
    while (i < s.size() && wordChar(static_cast<unsigned char>(s[i])))
      ++i;
    if (i > start)
      out.push_back(lower(s.substr(start, i - start)));
  }
  return out;
}

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// 1-based code-point column of byte offset `at`.
int columnOf(std::string_view q, size_t at) {
  int col = 1;
  for (size_t i = 0; i < at && i < q.size(); ++i)
    col += (static_cast<unsigned char>(q[i]) & 0xC0) != 0x80;
  return col;
}

Error parseError(const std::string &what, int column) {
  return makeError(ErrorCode::Parse, "query: " + what + " at column " + std::to_string(column));
}

struct FilterName {
  const char *name;
  FilterKind kind;
};

// `is:` is handled apart (its value picks the kind).
constexpr FilterName kFilters[] = {
    {"agent", FilterKind::Agent}, {"project", FilterKind::Project},
    {"file", FilterKind::File},   {"tool", FilterKind::Tool},
    {"cmd", FilterKind::Cmd},     {"branch", FilterKind::Branch},
    {"model", FilterKind::Model}, {"kind", FilterKind::Kind},
    {"after", FilterKind::After}, {"before", FilterKind::Before},
};

std::optional<FilterKind> filterByName(std::string_view name) {
  for (const auto &f : kFilters)
    if (name == f.name)
      return f.kind;
  return std::nullopt;
}

std::vector<std::string> splitList(std::string_view v) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= v.size()) {
    const size_t comma = std::min(v.find(',', i), v.size());
    if (comma > i)
      out.emplace_back(v.substr(i, comma - i));
    i = comma + 1;
  }
  return out;
}

std::string home() {
  const char *h = std::getenv("HOME");
  return h ? h : "";
}

// ".", "./x", "../x", "~/x", "/x/" → an absolute, normalized path; anything else unchanged.
// nullopt when a relative path needs the caller's folder and there is none.
std::optional<std::string> resolvePath(const std::string &v, const QueryContext &ctx) {
  namespace fs = std::filesystem;
  std::string abs;
  if (v == "." || v == ".." || v.rfind("./", 0) == 0 || v.rfind("../", 0) == 0) {
    if (ctx.cwd.empty())
      return std::nullopt;
    abs = (fs::path(ctx.cwd) / v).lexically_normal().string();
  } else if ((v == "~" || v.rfind("~/", 0) == 0) && !home().empty()) {
    abs = (fs::path(home()) / v.substr(std::min<size_t>(2, v.size()))).lexically_normal().string();
  } else if (!v.empty() && v[0] == '/') {
    abs = fs::path(v).lexically_normal().string();
  } else {
    return v;
  }
  while (abs.size() > 1 && abs.back() == '/')
    abs.pop_back();
  return abs;
}

// Local midnight of a calendar day; nullopt for a day that does not exist.
std::optional<int64_t> localDay(int year, int month, int day) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1) || tm.tm_mday != day || tm.tm_mon != month - 1)
    return std::nullopt;
  return static_cast<int64_t>(t) * 1000;
}

// after:/before: values — YYYY-MM-DD (local midnight), today, yesterday, or an age counted back
// from `now`: 12h, 7d, 3w, 2m (calendar months), 1y.
std::optional<int64_t> parseWhen(const std::string &v, int64_t now) {
  const std::time_t nowS = static_cast<std::time_t>(now / 1000);
  std::tm local{};
  localtime_r(&nowS, &local);
  if (v == "today" || v == "yesterday") {
    std::tm tm = local;
    tm.tm_mday -= v == "yesterday"; // mktime normalizes day 0 to the previous month's last
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return static_cast<int64_t>(std::mktime(&tm)) * 1000;
  }
  if (v.size() == 10 && v[4] == '-' && v[7] == '-') {
    for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
      if (v[i] < '0' || v[i] > '9')
        return std::nullopt;
    return localDay(std::atoi(v.substr(0, 4).c_str()), std::atoi(v.substr(5, 2).c_str()),
                    std::atoi(v.substr(8, 2).c_str()));
  }
  if (v.size() < 2 || v.size() > 7)
    return std::nullopt;
  const char unit = v.back();
  const std::string digits = v.substr(0, v.size() - 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  const int64_t n = std::atoll(digits.c_str());
  constexpr int64_t hour = 3600 * 1000, day = 24 * hour;
  switch (unit) {
  case 'h':
    return now - n * hour;
  case 'd':
    return now - n * day;
  case 'w':
    return now - n * 7 * day;
  case 'm':
  case 'y': {
    std::tm tm = local;
    if (unit == 'm')
      tm.tm_mon -= static_cast<int>(n);
    else
      tm.tm_year -= static_cast<int>(n);
    tm.tm_isdst = -1;
    const std::time_t t = std::mktime(&tm);
    if (t == static_cast<std::time_t>(-1))
      return std::nullopt;
    return static_cast<int64_t>(t) * 1000 + now % 1000;
  }
  default:
    return std::nullopt;
  }
}

// kind: values; a few words people use for them are accepted too.
std::optional<std::vector<std::string>> kindsOf(const std::string &v) {
  static const std::pair<const char *, std::vector<std::string>> kAliases[] = {
      {"user", {"user"}},
      {"prompt", {"user"}},
      {"assistant", {"assistant"}},
      {"answer", {"assistant"}},
      {"reasoning", {"reasoning"}},
      {"thinking", {"reasoning"}},
      {"shell", {"shell"}},
      {"command", {"shell"}},
      {"edit", {"edit"}},
      {"tool_call", {"tool_call"}},
      {"tool_result", {"tool_result"}},
      {"tool", {"tool_call", "tool_result"}},
      {"summary", {"summary"}},
      {"meta", {"meta"}},
  };
  for (const auto &[name, kinds] : kAliases)
    if (v == name)
      return kinds;
  return std::nullopt;
}

// Builds a filter from `name:value`; `column` is where the value starts (for its errors).
Expected<Filter> makeFilter(FilterKind kind, const std::string &value, int nameColumn, int column,
                            const QueryContext &ctx) {
  Filter f;
  f.kind = kind;
  f.column = nameColumn;
  const std::string name(filterName(kind));
  switch (kind) {
  case FilterKind::Agent:
  case FilterKind::Tool:
  case FilterKind::Model:
    for (const auto &v : splitList(value))
      f.values.push_back(lower(v));
    break;
  case FilterKind::Branch:
    f.values = splitList(value);
    break;
  case FilterKind::Cmd:
    f.values = {value};
    break;
  case FilterKind::Project:
  case FilterKind::File:
    for (const auto &v : splitList(value)) {
      auto p = resolvePath(v, ctx);
      if (!p)
        return parseError(
            name + ":" + v + " needs the current folder, which the caller did not give", column);
      f.values.push_back(*p);
    }
    break;
  case FilterKind::Kind:
    for (const auto &v : splitList(lower(value))) {
      auto kinds = kindsOf(v);
      if (!kinds)
        return parseError("kind: unknown kind '" + v +
                              "' (user, assistant, reasoning, shell, edit, tool_call, "
                              "tool_result, summary, meta)",
                          column);
      for (auto &k : *kinds)
        if (std::find(f.values.begin(), f.values.end(), k) == f.values.end())
          f.values.push_back(k);
    }
    break;
  case FilterKind::After:
  case FilterKind::Before: {
    auto t = parseWhen(lower(value), ctx.now);
    if (!t)
      return parseError(name +
                            ": expects a date (YYYY-MM-DD, today, yesterday) or an age (12h, "
                            "7d, 3w, 2m, 1y), not '" +
                            value + "'",
                        column);
    f.time = *t;
    f.values = {value};
    break;
  }
  case FilterKind::Failed:
  case FilterKind::Subagent:
    break;
  }
  if (f.values.empty() && kind != FilterKind::Failed && kind != FilterKind::Subagent)
    return parseError(name + ": needs a value", nameColumn);
  return f;
}

// One lexed element of the query.
struct Item {
  enum Type { Text, Filt, Or } type = Text;
  TextTerm term;
  std::vector<TextTerm> alternatives; // "term OR alt OR …"
  Filter filter;
  bool negated = false;
  int column = 1;
};

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return isSpace(c); });
}

// Cuts the query into items. `i` walks bytes; columns are computed from it when needed.
Expected<std::vector<Item>> lex(std::string_view q, const QueryContext &ctx) {
  std::vector<Item> items;
  size_t i = 0;
  while (i < q.size()) {
    if (isSpace(q[i])) {
      ++i;
      continue;
    }
    Item it;
    it.column = columnOf(q, i);
    // "-x" negates x; "-" alone and "--x" are words.
    if (q[i] == '-' && i + 1 < q.size() && !isSpace(q[i + 1]) && q[i + 1] != '-') {
      it.negated = true;
      ++i;
    }
    if (q[i] == '"') {
      const size_t end = q.find('"', i + 1);
      if (end == std::string_view::npos)
        return parseError("unclosed quote", columnOf(q, i));
      it.term.text = std::string(q.substr(i + 1, end - i - 1));
      it.term.quoted = true;
      it.term.column = columnOf(q, i);
      i = end + 1;
      if (i < q.size() && q[i] == '*') {
        it.term.prefix = true;
        ++i;
      }
      if (!blank(it.term.text))
        items.push_back(std::move(it));
      continue;
    }
    size_t j = i;
    while (j < q.size() && !isSpace(q[j]) && q[j] != '"')
      ++j;
    const std::string_view word = q.substr(i, j - i);
    const size_t colon = word.find(':');
    if (colon != std::string_view::npos && colon > 0) {
      const std::string name = lower(word.substr(0, colon));
      std::optional<FilterKind> kind = filterByName(name);
      if (kind || name == "is") {
        std::string value(word.substr(colon + 1));
        const int valueColumn = columnOf(q, i + colon + 1);
        i = j;
        if (value.empty() && j < q.size() && q[j] == '"') {
          const size_t end = q.find('"', j + 1);
          if (end == std::string_view::npos)
            return parseError("unclosed quote", columnOf(q, j));
          value = std::string(q.substr(j + 1, end - j - 1));
          i = end + 1;
        }
        if (name == "is") {
          const std::string v = lower(value);
          if (v == "subagent")
            kind = FilterKind::Subagent;
          else if (v == "failed")
            kind = FilterKind::Failed;
          else
            return parseError("is: expects subagent or failed", valueColumn);
        }
        auto f = makeFilter(*kind, value, it.column + (it.negated ? 1 : 0), valueColumn, ctx);
        if (!f)
          return f.error();
        it.type = Item::Filt;
        it.filter = std::move(*f);
        it.filter.negated = it.negated;
        items.push_back(std::move(it));
        continue;
      }
    }
    i = j;
    if (!it.negated && word == "OR") {
      it.type = Item::Or;
      items.push_back(std::move(it));
      continue;
    }
    if (lower(word) == "failed") {
      it.type = Item::Filt;
      it.filter.kind = FilterKind::Failed;
      it.filter.negated = it.negated;
      it.filter.column = it.column;
      items.push_back(std::move(it));
      continue;
    }
    it.term.column = it.column + (it.negated ? 1 : 0);
    it.term.text = std::string(word);
    if (it.term.text.size() > 1 && it.term.text.back() == '*') {
      it.term.text.pop_back();
      it.term.prefix = true;
    }
    items.push_back(std::move(it));
  }
  return items;
}

bool listable(FilterKind k) {
  return k != FilterKind::After && k != FilterKind::Before && k != FilterKind::Failed &&
         k != FilterKind::Subagent && k != FilterKind::Cmd;
}

} // namespace

bool Query::hasPositiveText() const {
  return std::any_of(text.begin(), text.end(), [](const TextClause &c) { return !c.negated; });
}

bool Query::has(FilterKind k) const {
  return std::any_of(filters.begin(), filters.end(),
                     [k](const Filter &f) { return f.kind == k && !f.negated; });
}

std::string_view filterName(FilterKind k) {
  for (const auto &f : kFilters)
    if (f.kind == k)
      return f.name;
  return k == FilterKind::Failed ? "failed" : "is:subagent";
}

Expected<Query> parseQuery(std::string_view q, const QueryContext &ctx) {
  auto lexed = lex(q, ctx);
  if (!lexed)
    return lexed.error();
  std::vector<Item> &items = *lexed;
  // Join "x OR y" (y becomes an alternative of x's clause, or its values x's values). An OR with
  // nothing on one side is the word "OR".
  std::vector<Item> out;
  for (size_t k = 0; k < items.size(); ++k) {
    Item &it = items[k];
    if (it.type != Item::Or) {
      out.push_back(std::move(it));
      continue;
    }
    if (out.empty() || k + 1 >= items.size() || items[k + 1].type == Item::Or) {
      it.type = Item::Text;
      it.term.text = "OR";
      it.term.column = it.column;
      out.push_back(std::move(it));
      continue;
    }
    Item &prev = out.back();
    Item &next = items[++k];
    if (prev.type == Item::Text && next.type == Item::Text && !prev.negated && !next.negated) {
      prev.alternatives.push_back(std::move(next.term));
      continue;
    }
    if (prev.type == Item::Filt && next.type == Item::Filt &&
        prev.filter.kind == next.filter.kind && !prev.negated && !next.negated &&
        listable(prev.filter.kind)) {
      for (auto &v : next.filter.values)
        prev.filter.values.push_back(std::move(v));
      continue;
    }
    return parseError("OR joins two words or phrases, or two filters of one kind", it.column);
  }
  Query query;
  for (auto &it : out) {
    if (it.type == Item::Filt) {
      query.filters.push_back(std::move(it.filter));
      continue;
    }
    TextClause c;
    c.negated = it.negated;
    c.anyOf.push_back(std::move(it.term));
    for (auto &alt : it.alternatives)
      c.anyOf.push_back(std::move(alt));
    query.text.push_back(std::move(c));
  }
  if (query.text.empty() && query.filters.empty())
    return makeError(ErrorCode::Parse, "query: nothing to search for");
  if (!query.hasPositiveText() && query.filters.empty())
    return parseError("only exclusions: add a word or a filter to search for",
                      query.text.front().anyOf.front().column - 1);
  return query;
}

bool hasGlob(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

bool globMatch(std::string_view p, std::string_view t) {
  // Backtracking over the stars; patterns are a few characters, paths a few hundred.
  while (!p.empty()) {
    if (p.substr(0, 2) == "**") {
      std::string_view rest = p.substr(2);
      if (!rest.empty() && rest[0] == '/' && globMatch(rest.substr(1), t))
        return true; // "**/" matches no folder at all
      for (size_t i = 0; i <= t.size(); ++i)
        if (globMatch(rest, t.substr(i)))
          return true;
      return false;
    }
    if (p[0] == '*') {
      for (size_t i = 0; i <= t.size(); ++i) {
        if (globMatch(p.substr(1), t.substr(i)))
          return true;
        if (i < t.size() && t[i] == '/')
          break;
      }
      return false;
    }
    if (t.empty() || (p[0] == '?' ? t[0] == '/' : p[0] != t[0]))
      return false;
    p.remove_prefix(1);
    t.remove_prefix(1);
  }
  return t.empty();
}

} // namespace mantra
