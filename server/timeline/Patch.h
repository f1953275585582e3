// The text transformations the timeline replays: an agent's edit applied to a file's content
// (exact replacement, a Codex apply_patch update, a unified diff), a unified diff between two
// contents, and the binary test that decides whether a content is shown as text at all.
// Pure functions over strings: no I/O, no SQL, no state; any thread may call them.
//
// Line handling is byte-exact: "\r\n" and a missing final newline survive every function here
// except applyContextPatch, which (like Codex itself) ends the file with a newline.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mantra::timeline {

struct ApplyResult {
  bool ok = false;
  std::string content; // the new text when ok
  // When !ok: what failed and where, e.g. "hunk 2 (@@ def main():): context not found",
  // "old text not found", "old text found 3 times, expected 1". Empty when ok.
  std::string error;
  // When ok: each way the edit applied other than exactly as written (a hunk found at an
  // offset, matched ignoring whitespace or line endings, …), e.g.
  // "hunk 2 (@@ -10,4 +10,5 @@) applied at line 14 (offset +4 lines)". Empty when it applied
  // cleanly.
  std::vector<std::string> notes;
};

// Exact string replacement as coding agents do it (Claude Code Edit/MultiEdit, Gemini replace).
// Occurrences are counted left to right without overlap.
// - all=false, no expectedCount: `oldText` must occur exactly once.
// - all=true: every occurrence is replaced; there must be at least one.
// - expectedCount=n: it must occur exactly n times; all are replaced.
// - Empty `oldText`: creates the file, so `original` must be empty; the result is `newText`.
// When `oldText` is not found as is in a "\r\n" file and has bare "\n" line breaks, it is
// matched with "\r\n" breaks (and `newText` written with them), noted in `notes`.
ApplyResult applyReplace(std::string_view original, std::string_view oldText,
                         std::string_view newText, bool all, std::optional<int> expectedCount);

// The body of one Codex apply_patch "*** Update File:" section: chunks that start with "@@" or
// "@@ <context line>" (consecutive headers narrow the search one after the other), then lines
// starting with ' ' (context), '-' (removed) and '+' (added), an empty line counting as empty
// context; "*** End of File" after a chunk anchors it at the end of the file. A leading
// "*** Update File:"/"*** Move to:" line is skipped and the body ends at "*** End Patch" or the
// next "*** " section, so a caller may pass the section with or without its headers.
// Codex's rules: each chunk's header lines and then its old lines (context + removed) are
// searched from where the previous chunk ended, trying exact, then trailing-whitespace-
// insensitive, then whitespace-trimmed, then Unicode-punctuation-normalised equality; a
// "*** End of File" chunk must match at the end. A chunk whose old lines end with an empty line
// is retried without it. A chunk with no old lines is appended at the end of the file (Codex
// ignores its header's position). Context lines keep the file's own text and line endings;
// added lines take the ending of the file's first line break ("\n" if it has none), and the
// result always ends with a line break, as Codex writes it.
ApplyResult applyContextPatch(std::string_view original, std::string_view patchBody);

// Unified-diff hunks ("@@ -a,b +c,d @@ optional text" followed by ' ', '-', '+' lines and
// "\ No newline at end of file"), e.g. Claude Code's structuredPatch turned into text or Codex's
// unified_diff. Anything before the first "@@" ("diff --git", "---", "+++") is skipped.
// Each hunk's context and removed lines must match the file: at the stated line shifted by the
// offset of the hunks before it, else at the position nearest to that which does not overlap
// the previous hunk, searched as `patch` does (noted); byte-exact, else ignoring "\r\n" versus
// "\n" (noted; added lines then take the file's first line ending). A hunk with no old lines
// is not verified (an insertion into an empty file numbered "-1,0", as jsdiff may, is
// accepted). Fails, naming the hunk, when the lines are nowhere, or when a hunk's body does not
// have the line counts its header states.
ApplyResult applyUnifiedDiff(std::string_view original, std::string_view diff);

// A GNU-style unified diff from `before` to `after`, computed with dtl: "--- a/<fromName>" and
// "+++ b/<toName>" headers (a name of "/dev/null" is written as is), hunks with `context` lines
// of context (changes at most 2*context lines apart share a hunk), "@@ -a,b +c,d @@" numbered as
// GNU diff does (",1" omitted, ",0" ranges numbered from the line before), "\ No newline at end of
// file" after a last line without one. "\r" is part of a line, so line-ending changes show. Empty
// string when the texts are equal. applyUnifiedDiff(before, result) gives back `after`.
std::string unifiedDiff(std::string_view before, std::string_view after, std::string_view fromName,
                        std::string_view toName, int context = 3);

// The indices of the lines of `b` that the minimal edit script from `a` to `b` inserts (the lines
// compared exactly as given: normalize them first to ignore whitespace). The same script as
// unifiedDiff's.
std::vector<size_t> insertedLines(const std::vector<std::string_view> &a,
                                  const std::vector<std::string_view> &b);

// True when the first 8 KiB of `text` contain a NUL byte or are not valid UTF-8 (a sequence cut
// by the 8 KiB boundary is not held against it).
bool looksBinary(std::string_view text);

} // namespace mantra::timeline
