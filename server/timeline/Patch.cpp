// The edit formats the timeline replays (see Patch.h). All line work happens on string_views into
// the caller's text; only results are built as new strings, so a few-MB file costs one copy.
#include "timeline/Patch.h"

#include "util/Expected.h"

#include <dtl/dtl.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <unordered_map>

namespace mantra::timeline {

namespace {

using Lines = std::vector<std::string_view>;
constexpr auto npos = std::string_view::npos;

// ---------------------------------------------------------------------------------------------
// Lines and messages

// The lines of `text`, each with its "\n" (the last may lack it): concatenated they give `text`
// back byte for byte, which is how every function here preserves "\r\n" and a missing newline.
Lines splitKeepingEnds(std::string_view text) {
  Lines out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    const size_t end = nl == npos ? text.size() : nl + 1;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

std::string_view withoutCr(std::string_view s) {
  if (!s.empty() && s.back() == '\r')
    s.remove_suffix(1);
  return s;
}

// `line` without its "\n" or "\r\n".
std::string_view withoutEol(std::string_view line) {
  if (!line.empty() && line.back() == '\n')
    line.remove_suffix(1);
  return withoutCr(line);
}

// The line break of the first line that has one; "\n" when none does (Codex and rustfmt pick a
// file's style the same way).
std::string_view firstEol(std::string_view text) {
  const size_t nl = text.find('\n');
  return nl != npos && nl > 0 && text[nl - 1] == '\r' ? "\r\n" : "\n";
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// `s` in double quotes for a message, escaped like a C string literal (so "\r" and quotes show)
// and cut, never inside a UTF-8 sequence, when long.
std::string quoted(std::string_view s) {
  constexpr size_t kMax = 80;
  bool cut = false;
  if (s.size() > kMax) {
    size_t at = kMax;
    while (at > 0 && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80)
      --at;
    s = s.substr(0, at);
    cut = true;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (u < 0x20 || u == 0x7F)
      out += "\\x", out += kHex[u >> 4], out += kHex[u & 15];
    else
      out += c;
  }
  return out + (cut ? "…\"" : "\"");
}

// "1 line", "2 lines".
std::string plural(size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

ApplyResult failure(std::string message) {
  ApplyResult r;
  r.error = std::move(message);
  return r;
}

ApplyResult success(std::string content, std::vector<std::string> notes) {
  ApplyResult r;
  r.ok = true;
  r.content = std::move(content);
  r.notes = std::move(notes);
  return r;
}

// ---------------------------------------------------------------------------------------------
// UTF-8: whitespace trimming and punctuation folding for Codex's fuzzy passes, validation for
// looksBinary

// Decodes the UTF-8 sequence at the start of `s` (`cut` set when `s` ends inside it). Returns its
// length, or 0 when it is not valid UTF-8 (overlong forms and surrogates included).
size_t decodeUtf8(std::string_view s, uint32_t &cp, bool *cut = nullptr) {
  if (cut)
    *cut = false;
  if (s.empty())
    return 0;
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, cp = b0 & 0x0Fu;
    lo = b0 == 0xE0 ? 0xA0 : 0x80;
    hi = b0 == 0xED ? 0x9F : 0xBF;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, cp = b0 & 0x07u;
    lo = b0 == 0xF0 ? 0x90 : 0x80;
    hi = b0 == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  for (size_t i = 1; i < len; ++i) {
    if (i >= s.size()) {
      if (cut)
        *cut = true;
      return 0;
    }
    const auto b = static_cast<unsigned char>(s[i]);
    if (i == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return len;
}

// Rust's char::is_whitespace (the Unicode White_Space property), which Codex's trim uses.
bool isUnicodeSpace(uint32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

std::string_view trimEnd(std::string_view s) {
  while (!s.empty()) {
    size_t start = s.size() - 1;
    while (start > 0 && s.size() - start < 4 &&
           (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
      --start;
    uint32_t cp = 0;
    if (decodeUtf8(s.substr(start), cp) != s.size() - start || !isUnicodeSpace(cp))
      break;
    s = s.substr(0, start);
  }
  return s;
}

std::string_view trim(std::string_view s) {
  s = trimEnd(s);
  while (!s.empty()) {
    uint32_t cp = 0;
    const size_t len = decodeUtf8(s, cp);
    if (len == 0 || !isUnicodeSpace(cp))
      break;
    s.remove_prefix(len);
  }
  return s;
}

// Codex's last matching pass: trimmed, with typographic dashes, quotes and spaces as ASCII.
std::string foldPunctuation(std::string_view s) {
  s = trim(s);
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    uint32_t cp = 0;
    const size_t len = decodeUtf8(s, cp);
    if (len <= 1) {
      out += s[0];
      s.remove_prefix(1);
      continue;
    }
    if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
      out += '-';
    else if (cp >= 0x2018 && cp <= 0x201B)
      out += '\'';
    else if (cp >= 0x201C && cp <= 0x201F)
      out += '"';
    else if (cp == 0xA0 || (cp >= 0x2002 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
             cp == 0x3000)
      out += ' ';
    else
      out += s.substr(0, len);
    s.remove_prefix(len);
  }
  return out;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Exact replacement

namespace {

size_t countOccurrences(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != npos; at = hay.find(needle, at + needle.size()))
    ++n;
  return n;
}

std::string replaceEvery(std::string_view hay, std::string_view needle, std::string_view repl) {
  std::string out;
  out.reserve(hay.size());
  size_t from = 0;
  for (size_t at = hay.find(needle); at != npos; at = hay.find(needle, from)) {
    out += hay.substr(from, at - from);
    out += repl;
    from = at + needle.size();
  }
  out += hay.substr(from);
  return out;
}

// `s` with every bare "\n" written as "\r\n".
std::string withCrlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 16);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
      out += '\r';
    out += s[i];
  }
  return out;
}

} // namespace

ApplyResult applyReplace(std::string_view original, std::string_view oldText,
                         std::string_view newText, bool all, std::optional<int> expectedCount) {
  if (oldText.empty()) {
    if (!original.empty())
      return failure("old text is empty (which creates a file) but the file is not empty");
    return success(std::string(newText), {});
  }
  if (expectedCount && *expectedCount < 1)
    return failure("expected count " + std::to_string(*expectedCount) + " is less than 1");

  std::vector<std::string> notes;
  std::string_view from = oldText, to = newText;
  size_t count = countOccurrences(original, oldText);
  // Agents read "\r\n" files as "\n" text (Claude Code converts back when it writes), so an
  // old text with bare "\n" is looked for with the file's line breaks before giving up.
  std::string crlfOld, crlfNew;
  if (count == 0 && original.find("\r\n") != npos && oldText.find('\n') != npos) {
    crlfOld = withCrlf(oldText);
    if (crlfOld != oldText) {
      if (const size_t c = countOccurrences(original, crlfOld); c > 0) {
        crlfNew = withCrlf(newText);
        from = crlfOld, to = crlfNew, count = c;
        notes.push_back("old text matched with \\r\\n line breaks (the file's); the new text was "
                        "written with them");
      }
    }
  }
  if (count == 0)
    return failure("old text not found");
  const size_t want = expectedCount ? static_cast<size_t>(*expectedCount) : 1;
  if ((expectedCount || !all) && count != want)
    return failure("old text found " + plural(count, "time") + ", expected " +
                   std::to_string(want));
  if (oldText == newText)
    notes.push_back("old and new text are equal: the content is unchanged");
  return success(replaceEvery(original, from, to), std::move(notes));
}

// ---------------------------------------------------------------------------------------------
// Codex apply_patch update sections

namespace {

struct Chunk {
  std::vector<std::string_view> contexts; // the texts of its "@@ …" headers, searched in order
  std::string label;                      // "hunk 2 (@@ def main():)", for messages
  Lines oldLines, newLines;
  // (index in oldLines, index in newLines) of each context line: the file keeps its own text for
  // those, as Codex does when it preserves line endings.
  std::vector<std::pair<size_t, size_t>> contextAt;
  bool endOfFile = false;
};

constexpr std::string_view kEndOfFile = "*** End of File";

// Reads one chunk starting at lines[i]; advances i past it.
Expected<Chunk> parseChunk(const Lines &lines, size_t &i, size_t number, bool first) {
  Chunk c;
  std::string_view header;
  while (i < lines.size() && (lines[i] == "@@" || startsWith(lines[i], "@@ "))) {
    if (header.empty())
      header = lines[i];
    if (lines[i] != "@@")
      c.contexts.push_back(lines[i].substr(3));
    ++i;
  }
  c.label = "hunk " + std::to_string(number);
  if (!header.empty())
    c.label += " (" + std::string(header) + ")";
  if (header.empty() && !first)
    return makeError(ErrorCode::Parse,
                     c.label + ": expected a \"@@\" header, got " + quoted(lines[i]));
  size_t body = 0;
  for (; i < lines.size(); ++i, ++body) {
    const std::string_view l = lines[i];
    if (l == kEndOfFile) {
      if (body == 0)
        break;
      c.endOfFile = true;
      ++i;
      break;
    }
    const char op = l.empty() ? ' ' : l[0];
    const std::string_view text = l.empty() ? l : l.substr(1);
    if (op == ' ') {
      c.contextAt.emplace_back(c.oldLines.size(), c.newLines.size());
      c.oldLines.push_back(text);
      c.newLines.push_back(text);
    } else if (op == '-') {
      c.oldLines.push_back(text);
    } else if (op == '+') {
      c.newLines.push_back(text);
    } else if (body == 0) {
      return makeError(ErrorCode::Parse, c.label + ": unexpected line " + quoted(l) +
                                             " (lines start with ' ', '-' or '+')");
    } else {
      break; // the next chunk's header, or the end of the section
    }
  }
  if (body == 0)
    return makeError(ErrorCode::Parse, c.label + ": has no lines");
  return c;
}

Expected<std::vector<Chunk>> parseUpdateBody(std::string_view body) {
  Lines lines = splitKeepingEnds(body);
  for (auto &l : lines)
    l = withoutEol(l); // Codex reads the patch with str::lines(), which drops "\r\n" too
  size_t i = 0;
  while (i < lines.size() && (trim(lines[i]).empty() || startsWith(lines[i], "*** Update File:") ||
                              startsWith(lines[i], "*** Move to:")))
    ++i;
  std::vector<Chunk> chunks;
  while (i < lines.size()) {
    if (trim(lines[i]).empty()) {
      ++i; // blank lines between chunks
      continue;
    }
    if (startsWith(lines[i], "***"))
      break; // "*** End Patch" or the next file's section
    auto chunk = parseChunk(lines, i, chunks.size() + 1, chunks.empty());
    if (!chunk)
      return chunk.error();
    chunks.push_back(std::move(*chunk));
  }
  if (chunks.empty())
    return makeError(ErrorCode::Parse, "the patch has no hunks");
  return chunks;
}

enum class Fuzz { Exact, TrailingSpace, Space, Punctuation };

const char *fuzzNote(Fuzz f) {
  switch (f) {
  case Fuzz::Exact:
    return "";
  case Fuzz::TrailingSpace:
    return "matched ignoring trailing whitespace";
  case Fuzz::Space:
    return "matched ignoring leading and trailing whitespace";
  case Fuzz::Punctuation:
    return "matched ignoring whitespace and typographic punctuation";
  }
  return "";
}

// Codex's seek_sequence: the first i >= start where `pattern` matches lines[i…], trying each
// pass over the whole range before relaxing to the next; with `eof` only the end of the file.
std::optional<size_t> seekSequence(const Lines &lines, const Lines &pattern, size_t start, bool eof,
                                   Fuzz &how) {
  how = Fuzz::Exact;
  if (pattern.empty())
    return start;
  if (pattern.size() > lines.size())
    return std::nullopt;
  const size_t last = lines.size() - pattern.size();
  const size_t from = eof ? std::max(last, start) : start;
  auto scan = [&](auto &&same) -> std::optional<size_t> {
    for (size_t i = from; i <= last; ++i) {
      size_t j = 0;
      while (j < pattern.size() && same(i + j, j))
        ++j;
      if (j == pattern.size())
        return i;
    }
    return std::nullopt;
  };
  if (auto i = scan([&](size_t f, size_t p) { return lines[f] == pattern[p]; }))
    return i;
  how = Fuzz::TrailingSpace;
  if (auto i = scan([&](size_t f, size_t p) { return trimEnd(lines[f]) == trimEnd(pattern[p]); }))
    return i;
  how = Fuzz::Space;
  if (auto i = scan([&](size_t f, size_t p) { return trim(lines[f]) == trim(pattern[p]); }))
    return i;
  how = Fuzz::Punctuation;
  if (from > last)
    return std::nullopt;
  std::vector<std::string> foldedPattern, foldedLines;
  for (auto p : pattern)
    foldedPattern.push_back(foldPunctuation(p));
  for (size_t f = from; f < lines.size(); ++f)
    foldedLines.push_back(foldPunctuation(lines[f]));
  return scan([&](size_t f, size_t p) { return foldedLines[f - from] == foldedPattern[p]; });
}

struct Replacement {
  size_t start = 0, oldLen = 0;
  Lines lines;
};

// Where one chunk goes: lineIndex advanced past it, its replacements appended.
Status placeChunk(const Chunk &c, const Lines &texts, size_t &lineIndex,
                  std::vector<Replacement> &out, std::vector<std::string> &notes) {
  Fuzz how = Fuzz::Exact;
  for (auto ctx : c.contexts) {
    const auto at = seekSequence(texts, Lines{ctx}, lineIndex, false, how);
    if (!at)
      return makeError(ErrorCode::Invalid,
                       c.label + ": context " +
                           (c.contexts.size() > 1 ? quoted(ctx) + " " : std::string()) +
                           "not found");
    if (how != Fuzz::Exact)
      notes.push_back(c.label + ": context " + fuzzNote(how));
    lineIndex = *at + 1;
  }
  if (c.oldLines.empty()) { // Codex appends these at the end, wherever the header pointed
    out.push_back({texts.size(), 0, c.newLines});
    return {};
  }
  Lines pattern = c.oldLines, repl = c.newLines;
  auto found = seekSequence(texts, pattern, lineIndex, c.endOfFile, how);
  if (!found && pattern.back().empty()) { // a trailing empty line may stand for the final "\n"
    pattern.pop_back();
    if (!repl.empty() && repl.back().empty())
      repl.pop_back();
    found = seekSequence(texts, pattern, lineIndex, c.endOfFile, how);
  }
  if (!found)
    return makeError(ErrorCode::Invalid, c.label + ": expected lines not found" +
                                             (c.endOfFile ? " at the end of the file" : "") + " (" +
                                             plural(c.oldLines.size(), "line") + " starting with " +
                                             quoted(c.oldLines.front()) + ")");
  if (how != Fuzz::Exact)
    notes.push_back(c.label + ": " + fuzzNote(how));
  // Context lines stay as they are in the file; only the runs between them are replaced.
  size_t oldAt = 0, newAt = 0;
  for (auto [oldCtx, newCtx] : c.contextAt) {
    if (oldCtx >= pattern.size() || newCtx >= repl.size())
      break;
    if (oldAt != oldCtx || newAt != newCtx)
      out.push_back({*found + oldAt, oldCtx - oldAt,
                     Lines(repl.begin() + static_cast<std::ptrdiff_t>(newAt),
                           repl.begin() + static_cast<std::ptrdiff_t>(newCtx))});
    oldAt = oldCtx + 1, newAt = newCtx + 1;
  }
  if (oldAt != pattern.size() || newAt != repl.size())
    out.push_back({*found + oldAt, pattern.size() - oldAt,
                   Lines(repl.begin() + static_cast<std::ptrdiff_t>(newAt), repl.end())});
  lineIndex = *found + pattern.size();
  return {};
}

} // namespace

ApplyResult applyContextPatch(std::string_view original, std::string_view patchBody) {
  auto chunks = parseUpdateBody(patchBody);
  if (!chunks)
    return failure(chunks.error().message);
  const Lines lines = splitKeepingEnds(original);
  Lines texts;
  texts.reserve(lines.size());
  for (auto l : lines)
    texts.push_back(withoutEol(l));

  std::vector<std::string> notes;
  std::vector<Replacement> repls;
  size_t lineIndex = 0;
  for (const auto &c : *chunks)
    if (auto st = placeChunk(c, texts, lineIndex, repls, notes); !st)
      return failure(st.error().message);
  std::stable_sort(repls.begin(), repls.end(),
                   [](const Replacement &a, const Replacement &b) { return a.start < b.start; });

  // Every line ends with a break in the result: untouched lines keep theirs, new lines and an
  // unterminated last line take the file's first one (Codex always writes a final newline).
  const std::string_view eol = firstEol(original);
  std::string out;
  out.reserve(original.size() + original.size() / 8 + 64);
  auto copyUntil = [&](size_t &next, size_t end) {
    for (; next < end; ++next) {
      out += lines[next];
      if (lines[next].back() != '\n')
        out += eol;
    }
  };
  size_t src = 0;
  for (const auto &r : repls) {
    if (r.start < src)
      return failure("hunks overlap at line " + std::to_string(r.start + 1));
    copyUntil(src, r.start);
    src += r.oldLen;
    for (auto l : r.lines) {
      out += l;
      out += eol;
    }
  }
  copyUntil(src, lines.size());
  return success(std::move(out), std::move(notes));
}

// ---------------------------------------------------------------------------------------------
// Unified diffs: applying

namespace {

struct DiffLine {
  char op = ' '; // ' ', '-', '+'
  std::string_view text;
  bool noEol = false; // followed by "\ No newline at end of file"
};

struct DiffHunk {
  size_t oldStart = 0, oldCount = 1, newStart = 0, newCount = 1;
  std::string label; // "hunk 2 (@@ -10,4 +10,5 @@)"
  std::vector<DiffLine> lines;
};

bool readNumber(std::string_view &s, size_t &n) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end == s.data())
    return false;
  s.remove_prefix(static_cast<size_t>(end - s.data()));
  return true;
}

// "-a[,b]" or "+c[,d]" at the start of s.
bool readRange(std::string_view &s, char sign, size_t &start, size_t &count) {
  if (s.empty() || s[0] != sign)
    return false;
  s.remove_prefix(1);
  if (!readNumber(s, start))
    return false;
  count = 1;
  if (!s.empty() && s[0] == ',') {
    s.remove_prefix(1);
    return readNumber(s, count);
  }
  return true;
}

bool parseHunkHeader(std::string_view line, DiffHunk &h) {
  std::string_view s = line;
  if (!startsWith(s, "@@ "))
    return false;
  s.remove_prefix(3);
  if (!readRange(s, '-', h.oldStart, h.oldCount) || !startsWith(s, " "))
    return false;
  s.remove_prefix(1);
  if (!readRange(s, '+', h.newStart, h.newCount) || !startsWith(s, " @@"))
    return false;
  h.label = "(" + std::string(line.substr(0, line.size() - s.size() + 3)) + ")";
  return true;
}

// Reads the body of `h` (its header at lines[i-1]) up to the counts its header states.
Status parseHunkBody(const Lines &lines, size_t &i, DiffHunk &h) {
  size_t oldLeft = h.oldCount, newLeft = h.newCount;
  while (oldLeft > 0 || newLeft > 0) {
    if (i >= lines.size())
      return makeError(ErrorCode::Parse, h.label + ": the diff ends before the hunk does (" +
                                             std::to_string(oldLeft) + " old and " +
                                             std::to_string(newLeft) + " new lines missing)");
    const std::string_view l = lines[i++];
    if (startsWith(l, "\\")) {
      if (!h.lines.empty())
        h.lines.back().noEol = true;
      continue;
    }
    // An empty line is a context line whose leading space was lost (editors strip it).
    const char op = l.empty() ? ' ' : l[0];
    const std::string_view text = l.empty() ? l : l.substr(1);
    if (op == ' ' && oldLeft > 0 && newLeft > 0)
      --oldLeft, --newLeft;
    else if (op == '-' && oldLeft > 0)
      --oldLeft;
    else if (op == '+' && newLeft > 0)
      --newLeft;
    else
      return makeError(ErrorCode::Parse, h.label + ": line " + quoted(withoutCr(l)) +
                                             " does not fit the line counts of the header");
    h.lines.push_back({op, text, false});
  }
  if (i < lines.size() && startsWith(lines[i], "\\")) {
    if (!h.lines.empty())
      h.lines.back().noEol = true;
    ++i;
  }
  return {};
}

Expected<std::vector<DiffHunk>> parseUnifiedDiff(std::string_view diff) {
  Lines lines = splitKeepingEnds(diff);
  for (auto &l : lines) // "\r" stays: it is part of the line in a diff, as in GNU diff
    if (!l.empty() && l.back() == '\n')
      l.remove_suffix(1);
  std::vector<DiffHunk> hunks;
  size_t i = 0;
  while (i < lines.size()) {
    const std::string_view l = withoutCr(lines[i]);
    if (!startsWith(l, "@@")) {
      const bool fileHeader = startsWith(l, "--- ") || startsWith(l, "diff ");
      if (!hunks.empty() && (fileHeader || !trim(l).empty()))
        return makeError(ErrorCode::Parse,
                         "line " + std::to_string(i + 1) + ": " +
                             (fileHeader ? "a second file in the diff: " : "unexpected line ") +
                             quoted(l));
      ++i; // headers before the first hunk ("diff --git", "---", "+++", "index")
      continue;
    }
    DiffHunk h;
    if (!parseHunkHeader(l, h))
      return makeError(ErrorCode::Parse,
                       "line " + std::to_string(i + 1) + ": malformed hunk header " + quoted(l));
    h.label = "hunk " + std::to_string(hunks.size() + 1) + " " + h.label;
    ++i;
    if (auto st = parseHunkBody(lines, i, h); !st)
      return st.error();
    hunks.push_back(std::move(h));
  }
  if (hunks.empty() && !trim(diff).empty())
    return makeError(ErrorCode::Parse, "no \"@@\" hunk in the diff");
  return hunks;
}

// Does file line `line` (with its "\n") hold `d`? Exactly, or ignoring "\r\n" versus "\n".
bool sameLine(std::string_view line, const DiffLine &d, bool ignoreEol) {
  if (ignoreEol)
    return withoutEol(line) == withoutCr(d.text);
  if (d.noEol)
    return line == d.text;
  return line.size() == d.text.size() + 1 && line.back() == '\n' &&
         line.substr(0, d.text.size()) == d.text;
}

bool matchesAt(const Lines &lines, const std::vector<const DiffLine *> &old, size_t at,
               bool ignoreEol) {
  for (size_t j = 0; j < old.size(); ++j)
    if (!sameLine(lines[at + j], *old[j], ignoreEol))
      return false;
  return true;
}

// The position in [lo, hi] nearest to `expected` where `old` matches; later before earlier at
// equal distance, as `patch` tries them.
std::optional<size_t> locate(const Lines &lines, const std::vector<const DiffLine *> &old,
                             size_t lo, size_t hi, size_t expected, bool ignoreEol) {
  if (lo > hi)
    return std::nullopt;
  expected = std::clamp(expected, lo, hi);
  for (size_t d = 0; expected + d <= hi || expected >= lo + d; ++d) {
    if (expected + d <= hi && matchesAt(lines, old, expected + d, ignoreEol))
      return expected + d;
    if (d > 0 && expected >= lo + d && matchesAt(lines, old, expected - d, ignoreEol))
      return expected - d;
  }
  return std::nullopt;
}

// Why `old` does not match at `at`, for the error message.
std::string mismatch(const Lines &lines, const std::vector<const DiffLine *> &old, size_t at) {
  if (at + old.size() > lines.size())
    return "the file has " + plural(lines.size(), "line") + ", the hunk needs " +
           std::to_string(old.size()) + " from line " + std::to_string(at + 1);
  for (size_t j = 0; j < old.size(); ++j)
    if (!sameLine(lines[at + j], *old[j], true))
      return "line " + std::to_string(at + j + 1) + " is " + quoted(withoutEol(lines[at + j])) +
             ", the hunk expects " + quoted(withoutCr(old[j]->text));
  return "the lines differ";
}

std::string signedNumber(long long n) { return (n > 0 ? "+" : "") + std::to_string(n); }

struct Placement {
  size_t at = 0;          // the file line where the hunk's old lines start
  bool ignoreEol = false; // they matched only ignoring "\r\n" versus "\n"
};

// Where `old` (a hunk's context and removed lines) sits: at or after `pos`, nearest `expected`.
Expected<Placement> placeHunk(const DiffHunk &h, const std::vector<const DiffLine *> &old,
                              const Lines &lines, size_t pos, size_t expected) {
  if (old.empty()) {
    // Nothing to verify. jsdiff numbers an insertion into an empty file from 1, GNU from 0.
    const size_t at = expected == lines.size() + 1 ? lines.size() : expected;
    if (at < pos || at > lines.size())
      return makeError(ErrorCode::Invalid, h.label + ": inserts after line " +
                                               std::to_string(expected) + " but the file has " +
                                               plural(lines.size(), "line"));
    return Placement{at, false};
  }
  if (old.size() <= lines.size()) {
    const size_t hi = lines.size() - old.size();
    if (auto at = locate(lines, old, pos, hi, expected, false))
      return Placement{*at, false};
    if (auto at = locate(lines, old, pos, hi, expected, true))
      return Placement{*at, true};
  }
  return makeError(ErrorCode::Invalid,
                   h.label + ": does not match the file: " + mismatch(lines, old, expected));
}

// Appends the file up to the hunk and the hunk's result; pos moves past its old lines.
void putHunkResult(std::string &out, const DiffHunk &h, const Lines &lines, size_t &pos,
                   const Placement &p, std::string_view eol) {
  for (; pos < p.at; ++pos)
    out += lines[pos];
  for (const auto &l : h.lines) {
    if (l.op == ' ') {
      out += lines[pos++]; // the file's own bytes, line ending included
    } else if (l.op == '-') {
      ++pos;
    } else {
      out += p.ignoreEol ? withoutCr(l.text) : l.text;
      if (!l.noEol)
        out += p.ignoreEol ? eol : std::string_view("\n");
    }
  }
}

} // namespace

ApplyResult applyUnifiedDiff(std::string_view original, std::string_view diff) {
  auto hunks = parseUnifiedDiff(diff);
  if (!hunks)
    return failure(hunks.error().message);
  const Lines lines = splitKeepingEnds(original);
  std::vector<std::string> notes;
  std::string out;
  out.reserve(original.size() + diff.size());
  size_t pos = 0;      // the first file line not yet copied
  long long shift = 0; // where the previous hunk landed minus where its header said
  for (const auto &h : *hunks) {
    std::vector<const DiffLine *> old;
    for (const auto &l : h.lines)
      if (l.op != '+')
        old.push_back(&l);
    // A header's start is the first old line, or for an empty range the line before it.
    const size_t stated = h.oldCount == 0 ? h.oldStart : (h.oldStart > 0 ? h.oldStart - 1 : 0);
    const long long want = static_cast<long long>(stated) + shift;
    const size_t expected = want < 0 ? 0 : static_cast<size_t>(want);
    const auto placed = placeHunk(h, old, lines, pos, expected);
    if (!placed)
      return failure(placed.error().message);
    const long long offset = static_cast<long long>(placed->at) - static_cast<long long>(stated);
    if (placed->at != expected && !old.empty())
      notes.push_back(h.label + " applied at line " + std::to_string(placed->at + 1) + " (offset " +
                      signedNumber(offset) + " lines)");
    if (placed->ignoreEol)
      notes.push_back(h.label + " matched ignoring line endings");
    shift = offset;
    putHunkResult(out, h, lines, pos, *placed, firstEol(original));
  }
  for (; pos < lines.size(); ++pos)
    out += lines[pos];
  return success(std::move(out), std::move(notes));
}

// ---------------------------------------------------------------------------------------------
// Unified diffs: computing

namespace {

enum Op : signed char { kDelete = -1, kCommon = 0, kAdd = 1 };

// dtl's script from A to B (lines as numbers below `distinct`), appended to ops. dtl only sees
// the lines both sides have: a line found on one side only is a deletion or an insertion whatever
// the alignment (GNU diff discards them the same way), so the script stays minimal while a file
// rewritten from top to bottom costs next to nothing.
void sharedLinesScript(const std::vector<long long> &A, const std::vector<long long> &B,
                       size_t distinct, std::vector<Op> &ops) {
  std::vector<char> inA(distinct, 0), inB(distinct, 0);
  for (auto id : A)
    inA[static_cast<size_t>(id)] = 1;
  for (auto id : B)
    inB[static_cast<size_t>(id)] = 1;
  std::vector<size_t> keptA, keptB; // indices into A and B of the lines dtl sees
  std::vector<long long> sharedA, sharedB;
  for (size_t i = 0; i < A.size(); ++i)
    if (inB[static_cast<size_t>(A[i])])
      keptA.push_back(i), sharedA.push_back(A[i]);
  for (size_t i = 0; i < B.size(); ++i)
    if (inA[static_cast<size_t>(B[i])])
      keptB.push_back(i), sharedB.push_back(B[i]);
  size_t ia = 0, ib = 0; // the next line of A and B without an op
  auto deleteUntil = [&](size_t end) {
    ops.insert(ops.end(), end - ia, kDelete);
    ia = end;
  };
  auto addUntil = [&](size_t end) {
    ops.insert(ops.end(), end - ib, kAdd);
    ib = end;
  };
  if (!sharedA.empty()) { // then sharedB is not empty either
    dtl::Diff<long long> d(sharedA, sharedB);
    d.compose();
    size_t ka = 0, kb = 0;
    for (const auto &e : d.getSes().getSequence()) {
      if (e.second.type != dtl::SES_ADD)
        deleteUntil(keptA[ka++]);
      if (e.second.type != dtl::SES_DELETE)
        addUntil(keptB[kb++]);
      ops.push_back(e.second.type == dtl::SES_ADD      ? kAdd
                    : e.second.type == dtl::SES_DELETE ? kDelete
                                                       : kCommon);
      ia += e.second.type != dtl::SES_ADD ? 1 : 0;
      ib += e.second.type != dtl::SES_DELETE ? 1 : 0;
    }
  }
  deleteUntil(A.size());
  addUntil(B.size());
}

// The edit script from a to b. The common head and tail are taken off first (cheap, and the
// usual shape of an agent's edit); the rest goes to dtl with each distinct line mapped to a
// number, so it compares integers.
std::vector<Op> editScript(const Lines &a, const Lines &b) {
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head])
    ++head;
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
    ++tail;
  std::vector<Op> ops(head, kCommon);
  std::unordered_map<std::string_view, long long> ids;
  auto number = [&](const Lines &src, size_t from, size_t to) {
    std::vector<long long> seq;
    seq.reserve(to - from);
    for (size_t i = from; i < to; ++i)
      seq.push_back(ids.try_emplace(src[i], static_cast<long long>(ids.size())).first->second);
    return seq;
  };
  const auto A = number(a, head, a.size() - tail);
  const auto B = number(b, head, b.size() - tail);
  sharedLinesScript(A, B, ids.size(), ops);
  ops.insert(ops.end(), tail, kCommon);
  return ops;
}

// GNU's "start,count": ",1" left out; an empty range numbered from the line before it.
std::string range(size_t start, size_t count) {
  if (count == 0)
    return std::to_string(start) + ",0";
  if (count == 1)
    return std::to_string(start + 1);
  return std::to_string(start + 1) + "," + std::to_string(count);
}

void putLine(std::string &out, char mark, std::string_view line) {
  out += mark;
  out += line;
  if (line.empty() || line.back() != '\n')
    out += "\n\\ No newline at end of file\n";
}

struct Script {
  const Lines &a, &b;
  std::vector<Op> ops;
  std::vector<size_t> aAt, bAt; // a and b line index before each op (and at the end)
};

// Writes ops [from, to) as one hunk; within a change, deletions come before additions.
void putHunk(std::string &out, const Script &s, size_t from, size_t to) {
  out += "@@ -" + range(s.aAt[from], s.aAt[to] - s.aAt[from]) + " +" +
         range(s.bAt[from], s.bAt[to] - s.bAt[from]) + " @@\n";
  for (size_t k = from; k < to;) {
    if (s.ops[k] == kCommon) {
      putLine(out, ' ', s.a[s.aAt[k]]);
      ++k;
      continue;
    }
    size_t end = k;
    while (end < to && s.ops[end] != kCommon)
      ++end;
    for (size_t i = s.aAt[k]; i < s.aAt[end]; ++i)
      putLine(out, '-', s.a[i]);
    for (size_t i = s.bAt[k]; i < s.bAt[end]; ++i)
      putLine(out, '+', s.b[i]);
    k = end;
  }
}

std::string fileName(std::string_view prefix, std::string_view name) {
  return name == "/dev/null" ? std::string(name) : std::string(prefix) + std::string(name);
}

} // namespace

std::vector<size_t> insertedLines(const std::vector<std::string_view> &a,
                                  const std::vector<std::string_view> &b) {
  std::vector<size_t> out;
  size_t ib = 0;
  for (Op op : editScript(a, b)) {
    if (op == kAdd)
      out.push_back(ib);
    if (op != kDelete)
      ++ib;
  }
  return out;
}

std::string unifiedDiff(std::string_view before, std::string_view after, std::string_view fromName,
                        std::string_view toName, int context) {
  if (before == after)
    return {};
  const Lines a = splitKeepingEnds(before), b = splitKeepingEnds(after);
  Script s{a, b, editScript(a, b), {}, {}};
  const size_t n = s.ops.size();
  s.aAt.resize(n + 1);
  s.bAt.resize(n + 1);
  for (size_t k = 0; k < n; ++k) {
    s.aAt[k + 1] = s.aAt[k] + (s.ops[k] != kAdd ? 1 : 0);
    s.bAt[k + 1] = s.bAt[k] + (s.ops[k] != kDelete ? 1 : 0);
  }
  const size_t ctx = context < 0 ? 0 : static_cast<size_t>(context);
  std::string out = "--- " + fileName("a/", fromName) + "\n+++ " + fileName("b/", toName) + "\n";
  size_t done = 0; // ops already written
  for (size_t k = 0;;) {
    while (k < n && s.ops[k] == kCommon)
      ++k;
    if (k == n)
      break;
    const size_t from = k - std::min(ctx, k - done);
    size_t to = k;
    for (;;) {
      while (to < n && s.ops[to] != kCommon)
        ++to;
      size_t next = to;
      while (next < n && s.ops[next] == kCommon)
        ++next;
      if (next < n && next - to <= 2 * ctx) {
        to = next; // the next change is close enough to share this hunk
        continue;
      }
      to += std::min(ctx, next - to);
      break;
    }
    putHunk(out, s, from, to);
    done = k = to;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Binary detection

bool looksBinary(std::string_view text) {
  constexpr size_t kWindow = 8192;
  const bool truncated = text.size() > kWindow;
  const std::string_view w = text.substr(0, kWindow);
  for (size_t i = 0; i < w.size();) {
    if (w[i] == '\0')
      return true;
    if (static_cast<unsigned char>(w[i]) < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp = 0;
    bool cut = false;
    const size_t len = decodeUtf8(w.substr(i), cp, &cut);
    if (len == 0)
      return !(cut && truncated); // a character cut by the window is not held against the text
    i += len;
  }
  return false;
}

} // namespace mantra::timeline
