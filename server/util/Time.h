// Timestamps: Mantra keeps every time as milliseconds since the Unix epoch, UTC, and prints
// ISO 8601 with a trailing Z. Agents write ISO strings (with or without fraction or offset) or
// epoch numbers; these helpers turn both into the one representation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mantra {

// Parses "2026-11-25T11:45:06.683Z", "2026-11-25T11:45:06+02:00", "2026-11-25 11:45:06" and a
// bare date. Returns nullopt for anything else; never throws.
std::optional<int64_t> parseIsoTime(std::string_view s);

// Formats as "2026-11-25T11:45:06.683Z" (milliseconds always shown).
std::string formatIsoTime(int64_t ms);

// Wall clock now, in ms since the epoch.
int64_t nowMs();

} // namespace mantra
