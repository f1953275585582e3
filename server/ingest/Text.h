// Small text helpers shared by the adapters: trimming, prefixes, UUID shape, and the one rule
// for turning a first prompt into a session title.
#pragma once

#include <string>
#include <string_view>

namespace mantra::text {

bool startsWith(std::string_view s, std::string_view prefix);
bool endsWith(std::string_view s, std::string_view suffix);
// `s` without leading and trailing whitespace.
std::string trim(std::string_view s);
// True for the canonical 8-4-4-4-12 hex form.
bool isUuid(std::string_view s);
// A one-line title from a prompt: its first line, at most ~80 bytes, cut at a word and never
// inside a UTF-8 sequence, with "…" when cut.
std::string titleFrom(std::string_view prompt);

// `p` as an absolute, lexically normal path: a relative one is resolved against `cwd` (left
// relative when the cwd is unknown); no trailing '/'. "" stays "".
std::string absolutePath(const std::string &p, const std::string &cwd);

// A unified diff without what comes before its first hunk ("Index:", "===", "---"/"+++");
// "" when it has no hunk.
std::string hunksOnly(const std::string &diff);

} // namespace mantra::text
