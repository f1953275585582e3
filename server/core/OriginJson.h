// The JSON shape of a line's origin, shared by `mantra origin --json` and mantra/origin.
#pragma once

#include "origin/Origin.h"

#include <nlohmann/json.hpp>

namespace mantra {

// {"origin": Origin | null, "candidates": [Origin], "reason"?, "blame"?}; Origin =
// {"session", "seq", "prompt", "explanation"?, "agent", "time", "path", "line", "confidence",
// "score"}. Prompts longer than 4000 bytes and explanations longer than 1000 are cut (at a
// character boundary, marked with "…").
nlohmann::json originJson(const origin::Answer &a);

} // namespace mantra
