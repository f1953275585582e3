#include "origin/Origin.h"

#include "origin/Blame.h"
#include "timeline/Patch.h"
#include "util/Time.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <tuple>

namespace mantra::origin {
namespace fs = std::filesystem;

namespace {

// How many stored lines one fingerprint lookup reads: enough for every session that wrote a rare
// line; a common one is judged by its context among the newest of them.
constexpr int kHitLimit = 200;
// At most this many rows of one line in one file are read, and this many candidates judged.
constexpr int kSameFileLimit = 2000;
constexpr size_t kMaxCandidates = 64;
// More sessions than this wrote a line: it is common.
constexpr int kCommonSessions = 3;
// A line must be this long (without whitespace) to be recognized without its context.
constexpr size_t kDistinctiveLength = 16;
// A session step after the commit holding the line cannot have written it; the slack covers
// clock skew and a commit made from the session's own state a little earlier.
constexpr int64_t kCommitSlackMs = 10 * 60 * 1000;
// ... and this long to be recognized in another file without it.
constexpr size_t kDistinctiveAlone = 32;
// Fuzzy matches: the least similarity (Dice coefficient of character pairs) that counts.
constexpr double kFuzzySimilarity = 0.5;
constexpr size_t kMaxFileBytes = 8u << 20;
constexpr size_t kCandidatesShown = 5;

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// The lines of a text, without their '\n' (a last line without one counts; a final '\n' does not
// start another line).
std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos)
      nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

bool isChange(const std::string &op) {
  return op != "base" && op != "read" && op != "delete" && op != "move" && op != "copy";
}

// The nearest non-zero fingerprint in [from, to) stepping by `step` (±1), or 0.
int64_t nearest(const std::vector<int64_t> &fps, long from, long to, int step) {
  for (long i = from; i != to; i += step)
    if (fps[static_cast<size_t>(i)] != 0)
      return fps[static_cast<size_t>(i)];
  return 0;
}

// Dice's coefficient over the multisets of adjacent character pairs: 1 for equal strings.
double similarity(const std::string &a, const std::string &b) {
  if (a == b)
    return 1;
  if (a.size() < 2 || b.size() < 2)
    return 0;
  std::map<std::pair<char, char>, int> pairs;
  for (size_t i = 0; i + 1 < a.size(); ++i)
    ++pairs[{a[i], a[i + 1]}];
  int shared = 0;
  for (size_t i = 0; i + 1 < b.size(); ++i)
    if (auto it = pairs.find({b[i], b[i + 1]}); it != pairs.end() && it->second > 0) {
      --it->second;
      ++shared;
    }
  return 2.0 * shared / static_cast<double>(a.size() - 1 + b.size() - 1);
}

std::optional<std::string> readFile(const std::string &path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > kMaxFileBytes)
    return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string shortDate(int64_t ms) { return formatIsoTime(ms).substr(0, 10); }

std::string describeCommit(const BlameLine &b) {
  std::string s = b.commit.substr(0, 10) + " (" + shortDate(b.timeMs);
  if (!b.author.empty())
    s += ", " + b.author;
  return s + ")";
}

bool isUnder(const std::string &path, const std::string &dirWithSlash) {
  return !dirWithSlash.empty() && (path + "/").compare(0, dirWithSlash.size(), dirWithSlash) == 0;
}

// A candidate while the query is judged.
struct Scored {
  OriginRow row;
  OriginStep step; // filled in once the row is a candidate
  std::string confidence;
  double score = 0;
};

} // namespace

std::string normalize(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (char c : line)
    if (!isSpace(c))
      out += c;
  return out;
}

int64_t fingerprint(std::string_view line) {
  uint64_t h = 14695981039346656037ull;
  bool any = false;
  for (char c : line) {
    if (isSpace(c))
      continue;
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
    any = true;
  }
  if (!any)
    return 0;
  return h == 0 ? 1 : static_cast<int64_t>(h);
}

bool isTrivial(std::string_view line) {
  size_t length = 0, alnum = 0;
  for (char c : line) {
    if (isSpace(c))
      continue;
    ++length;
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80)
      ++alnum;
  }
  return alnum < 3 || length <= 6;
}

std::vector<OriginLineRow> addedLines(const std::vector<FileStateRow> &states) {
  std::vector<size_t> order(states.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return std::tie(states[x].path, states[x].seq) < std::tie(states[y].path, states[y].seq);
  });
  std::vector<OriginLineRow> out;
  // The previous state of the file being walked: its normalized lines, when known.
  std::vector<std::string> prevNorm;
  bool prevKnown = false;
  const std::string *path = nullptr;
  for (size_t k : order) {
    const FileStateRow &r = states[k];
    if (!path || r.path != *path) {
      path = &r.path;
      // No state before the first one: a change that starts the file's history wrote all of it.
      prevNorm.clear();
      prevKnown = true;
    }
    if (!r.present) {
      prevNorm.clear();
      prevKnown = true;
      continue;
    }
    if (!r.content) {
      // A read that did not show the whole file (a partial read) tells nothing new; any other
      // state without content leaves the file unknown from here.
      if (r.op != "read")
        prevKnown = false;
      continue;
    }
    const auto lines = splitLines(*r.content);
    std::vector<std::string> norm;
    norm.reserve(lines.size());
    for (auto l : lines)
      norm.push_back(normalize(l));
    if (isChange(r.op) && prevKnown) {
      const std::vector<std::string_view> a(prevNorm.begin(), prevNorm.end());
      const std::vector<std::string_view> b(norm.begin(), norm.end());
      const auto inserted = timeline::insertedLines(a, b);
      if (!inserted.empty()) {
        std::vector<int64_t> fps(lines.size());
        for (size_t i = 0; i < lines.size(); ++i)
          fps[i] = fingerprint(lines[i]);
        const long n = static_cast<long>(fps.size());
        for (size_t i : inserted) {
          if (fps[i] == 0)
            continue;
          const long at = static_cast<long>(i);
          out.push_back(OriginLineRow{r.path, r.seq, at + 1, fps[i], nearest(fps, at - 1, -1, -1),
                                      nearest(fps, at + 1, n, 1)});
        }
      }
    }
    prevNorm = std::move(norm);
    prevKnown = true;
  }
  return out;
}

Status rebuild(Store &store, const std::string &sessionId,
               const std::vector<FileStateRow> &states) {
  return store.replaceOriginLines(sessionId, addedLines(states));
}

Expected<int64_t> rebuildPending(Store &store, int64_t limit) {
  auto ids = store.pendingOriginSessions(limit);
  if (!ids)
    return ids.error();
  for (const auto &id : *ids) {
    auto states = store.fileStates(id, "", true);
    if (!states)
      return states.error();
    if (auto st = rebuild(store, id, *states); !st)
      return st.error();
  }
  return static_cast<int64_t>(ids->size());
}

struct Finder::Impl {
  BlameCache blame;
};

Finder::Finder() : impl_(std::make_unique<Impl>()) {}
Finder::~Finder() = default;

Expected<Answer> Finder::find(Store &store, const Query &q, const Redactor &redactor) {
  if (q.path.empty() || q.path[0] != '/')
    return makeError(ErrorCode::Invalid, "path: must be absolute");
  if (q.line < 1)
    return makeError(ErrorCode::Invalid, "line: must be positive");
  const auto disk = readFile(q.path);
  std::vector<std::string_view> diskLines;
  if (disk)
    diskLines = splitLines(*disk);
  const bool onDisk = q.line <= static_cast<int64_t>(diskLines.size());
  std::string text;
  if (q.text)
    text = *q.text;
  else if (onDisk)
    text = std::string(diskLines[static_cast<size_t>(q.line - 1)]);
  else if (!disk)
    return makeError(ErrorCode::NotFound, "cannot read " + q.path + " (give the line's text)");
  else
    return makeError(ErrorCode::NotFound, q.path + " has " + std::to_string(diskLines.size()) +
                                              " lines, not " + std::to_string(q.line));
  // The disk agrees with the editor about this line: its neighbours and its blame can be used.
  const bool diskAgrees =
      onDisk && normalize(diskLines[static_cast<size_t>(q.line - 1)]) == normalize(text);
  std::vector<std::string> above = q.above, below = q.below;
  if (above.empty() && below.empty() && diskAgrees) {
    const size_t at = static_cast<size_t>(q.line - 1);
    for (size_t i = at >= 3 ? at - 3 : 0; i < at; ++i)
      above.emplace_back(diskLines[i]);
    for (size_t i = at + 1; i < diskLines.size() && i <= at + 3; ++i)
      below.emplace_back(diskLines[i]);
  }

  Answer ans;
  text = redactor.redact(std::move(text));
  const int64_t fp = fingerprint(text);
  if (fp == 0) {
    ans.reason = "a blank line";
    return ans;
  }
  int64_t fpAbove = 0, fpBelow = 0;
  bool aboveTrivial = true, belowTrivial = true;
  for (auto it = above.rbegin(); it != above.rend() && fpAbove == 0; ++it) {
    const std::string l = redactor.redact(*it);
    fpAbove = fingerprint(l);
    aboveTrivial = fpAbove == 0 || isTrivial(l);
  }
  for (auto it = below.begin(); it != below.end() && fpBelow == 0; ++it) {
    const std::string l = redactor.redact(*it);
    fpBelow = fingerprint(l);
    belowTrivial = fpBelow == 0 || isTrivial(l);
  }

  std::optional<BlameLine> blame;
  if (diskAgrees)
    blame = impl_->blame.blame(q.path, *disk, q.line);
  if (blame) {
    Blame b;
    b.commit = blame->commit;
    b.summary = redactor.redact(blame->summary);
    b.author = redactor.redact(blame->author);
    b.timeMs = blame->timeMs;
    ans.blame = b;
  }
  std::string suffix;
  if (blame && q.path.size() > blame->workdir.size() &&
      q.path.compare(0, blame->workdir.size(), blame->workdir) == 0)
    suffix = q.path.substr(blame->workdir.size());

  auto pathIds = store.originPathIds(q.path, suffix);
  if (!pathIds)
    return pathIds.error();
  auto inPaths = [&](int64_t id) {
    return std::find(pathIds->begin(), pathIds->end(), id) != pathIds->end();
  };
  // Who else wrote this line: enough rows to tell a rare line from a common one. A common line is
  // only ever the answer in its own file (with its context), so then only those rows are read.
  auto anywhere = store.originRows(fp, std::nullopt, kHitLimit);
  if (!anywhere)
    return anywhere.error();
  std::set<int64_t> writerSet;
  for (const auto &r : *anywhere)
    writerSet.insert(r.session);
  const auto writers = static_cast<int64_t>(writerSet.size());
  const bool common = writers > kCommonSessions;
  std::vector<OriginRow> rows;
  for (int64_t id : *pathIds) {
    auto same = store.originRows(fp, id, kSameFileLimit);
    if (!same)
      return same.error();
    rows.insert(rows.end(), same->begin(), same->end());
  }
  if (!common)
    for (const auto &r : *anywhere)
      if (!inPaths(r.pathId))
        rows.push_back(r);

  const bool trivial = isTrivial(text);
  const size_t length = normalize(text).size();
  const bool distinctive = !trivial && length >= kDistinctiveLength && !common;
  std::vector<Scored> scored;
  for (const auto &r : rows) {
    const bool sameFile = inPaths(r.pathId);
    // A missing neighbour (the file's first or last line) matches a missing one in the same
    // file; elsewhere only real neighbours count.
    const bool aboveSame = r.above == fpAbove && (sameFile || fpAbove != 0);
    const bool belowSame = r.below == fpBelow && (sameFile || fpBelow != 0);
    const int context = (aboveSame ? 1 : 0) + (belowSame ? 1 : 0);
    // Context tells when a matching neighbour says something (two `}` around a `}` do not).
    const bool telling = (aboveSame && fpAbove != 0 && !aboveTrivial) ||
                         (belowSame && fpBelow != 0 && !belowTrivial);
    Scored sc{r, {}, "", 0};
    if (sameFile && context == 2 && (!trivial || telling)) {
      sc.confidence = "exact";
      sc.score = 0.97;
    } else if (sameFile && context == 1 && !trivial && (telling || distinctive)) {
      sc.confidence = "exact";
      sc.score = 0.9;
    } else if (sameFile && distinctive) {
      sc.confidence = "moved";
      sc.score = 0.75;
    } else if (!sameFile && !trivial && !common && telling && (context == 2 || distinctive)) {
      sc.confidence = "moved";
      sc.score = context == 2 ? 0.8 : 0.7;
    } else if (!sameFile && distinctive && writers == 1 && length >= kDistinctiveAlone) {
      // Alone in another file, only a long line one session wrote counts (boilerplate such as
      // `if __name__ == "__main__":` is short enough to be written twice independently).
      sc.confidence = "moved";
      sc.score = 0.5;
    } else {
      continue;
    }
    scored.push_back(std::move(sc));
  }

  // Fuzzy: the line was edited since; a step wrote its neighbours around a similar line.
  if (scored.empty() && !pathIds->empty() && !trivial) {
    const std::string want = normalize(text);
    std::set<std::tuple<int64_t, int64_t, int64_t>> tried;
    for (int side = 0; side < 2; ++side) {
      const int64_t nb = side == 0 ? fpAbove : fpBelow;
      if (nb == 0 || (side == 0 ? aboveTrivial : belowTrivial))
        continue;
      for (int64_t id : *pathIds) {
        auto around = store.originRows(nb, id, 20);
        if (!around)
          return around.error();
        for (const auto &r : *around) {
          if (r.line == 0 || tried.size() >= 8 || !tried.emplace(r.session, r.seq, r.pathId).second)
            continue;
          auto step = store.originStep(r);
          if (!step)
            return step.error();
          auto content = store.fileStateContent(step->sessionId, r.seq, step->path);
          if (!content)
            return content.error();
          if (!*content)
            continue;
          const auto lines = splitLines(**content);
          const int64_t at = r.line - 1 + (side == 0 ? 1 : -1); // 0-based: the line in between
          if (at < 0 || at >= static_cast<int64_t>(lines.size()))
            continue;
          const std::string_view between = lines[static_cast<size_t>(at)];
          const double sim = similarity(want, normalize(between));
          if (sim < kFuzzySimilarity || sim >= 1)
            continue;
          // The line in between must be one the session wrote (not one it found there).
          auto wrote = store.originRows(fingerprint(between), r.pathId, kSameFileLimit);
          if (!wrote)
            return wrote.error();
          if (std::none_of(wrote->begin(), wrote->end(), [&](const OriginRow &w) {
                return w.session == r.session && w.seq <= r.seq;
              }))
            continue;
          const int64_t otherFp = side == 0 ? fpBelow : fpAbove;
          const int64_t other = at + (side == 0 ? 1 : -1);
          const bool both = otherFp != 0 && other >= 0 &&
                            other < static_cast<int64_t>(lines.size()) &&
                            fingerprint(lines[static_cast<size_t>(other)]) == otherFp;
          OriginRow fr = r;
          fr.line = at + 1;
          scored.push_back(Scored{fr, *step, "fuzzy", 0.3 + 0.4 * sim + (both ? 0.1 : 0)});
        }
      }
    }
  }
  // The facts of each candidate's step (the fuzzy ones have theirs).
  if (scored.size() > kMaxCandidates) {
    std::stable_sort(scored.begin(), scored.end(),
                     [](const Scored &x, const Scored &y) { return x.score > y.score; });
    scored.resize(kMaxCandidates);
  }
  for (auto &sc : scored) {
    if (!sc.step.sessionId.empty())
      continue;
    auto step = store.originStep(sc.row);
    if (!step)
      return step.error();
    sc.step = std::move(*step);
  }

  // git: a step after the commit that holds the line did not write it.
  std::vector<Scored> late;
  if (blame && !blame->commit.empty()) {
    std::vector<Scored> kept;
    for (auto &s : scored) {
      if (s.step.time && *s.step.time > blame->timeMs + kCommitSlackMs)
        late.push_back(std::move(s));
      else
        kept.push_back(std::move(s));
    }
    scored = std::move(kept);
  }
  auto better = [&](const Scored &x, const Scored &y) {
    const double bx = x.score + (blame && isUnder(x.step.project, blame->workdir) ? 0.02 : 0);
    const double by = y.score + (blame && isUnder(y.step.project, blame->workdir) ? 0.02 : 0);
    if (bx != by)
      return bx > by;
    if (x.step.time.value_or(0) != y.step.time.value_or(0))
      return x.step.time.value_or(0) > y.step.time.value_or(0);
    return std::abs(x.row.line - q.line) < std::abs(y.row.line - q.line);
  };
  std::stable_sort(scored.begin(), scored.end(), better);
  std::stable_sort(late.begin(), late.end(), better);

  auto toOrigin = [&](const Scored &s) -> Expected<Origin> {
    Origin o;
    o.session = s.step.sessionId;
    o.seq = s.row.seq;
    o.agent = s.step.agent;
    o.time = s.step.time;
    o.path = s.step.path;
    o.line = s.row.line;
    o.confidence = s.confidence;
    o.score = s.score;
    auto p = store.promptFor(s.step.sessionId, s.row.seq);
    if (!p)
      return p.error();
    o.prompt = std::move(p->first);
    o.explanation = std::move(p->second);
    return o;
  };
  const auto &shown = scored.empty() ? late : scored;
  for (size_t i = 0; i < shown.size() && i <= kCandidatesShown; ++i) {
    auto o = toOrigin(shown[i]);
    if (!o)
      return o.error();
    if (i == 0 && !scored.empty())
      ans.origin = std::move(*o);
    else
      ans.candidates.push_back(std::move(*o));
  }
  if (ans.origin)
    return ans;

  if (!late.empty()) {
    ans.reason = "the line was committed in " + describeCommit(*blame) +
                 ", before the sessions that wrote it";
  } else if (!anywhere->empty()) {
    ans.reason = common ? "a common line (written in more than " + std::to_string(kCommonSessions) +
                              " sessions) whose neighbours match none of them"
                        : "written in other places, but too short or common to tell which";
  } else if (blame && !blame->commit.empty()) {
    auto first = store.earliestSessionIn(blame->workdir.substr(0, blame->workdir.size() - 1));
    if (!first)
      return first.error();
    if (!*first || blame->timeMs + kCommitSlackMs < **first)
      ans.reason = "no session wrote this line: its commit " + describeCommit(*blame) +
                   " predates every session in this repository";
    else
      ans.reason =
          "no session wrote this line (last changed in commit " + describeCommit(*blame) + ")";
  } else if (blame) {
    ans.reason = "no session wrote this line (it is not committed yet)";
  } else {
    ans.reason = "no session wrote this line";
  }
  return ans;
}

} // namespace mantra::origin
