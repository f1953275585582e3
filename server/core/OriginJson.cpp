#include "core/OriginJson.h"

#include "util/Time.h"

#include <cmath>

namespace mantra {

using nlohmann::json;

namespace {

std::string cut(const std::string &s, size_t max) {
  if (s.size() <= max)
    return s;
  size_t at = max;
  while (at > 0 && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80)
    --at; // not inside a UTF-8 sequence
  return s.substr(0, at) + "…";
}

json one(const origin::Origin &o) {
  json j = {{"session", o.session},
            {"seq", o.seq},
            {"prompt", cut(o.prompt, 4000)},
            {"agent", o.agent},
            {"time", o.time ? json(formatIsoTime(*o.time)) : json(nullptr)},
            {"path", o.path},
            {"line", o.line},
            {"confidence", o.confidence},
            {"score", std::round(o.score * 100) / 100}};
  if (!o.explanation.empty())
    j["explanation"] = cut(o.explanation, 1000);
  return j;
}

} // namespace

json originJson(const origin::Answer &a) {
  json j = {{"origin", a.origin ? one(*a.origin) : json(nullptr)}, {"candidates", json::array()}};
  for (const auto &c : a.candidates)
    j["candidates"].push_back(one(c));
  if (!a.reason.empty())
    j["reason"] = a.reason;
  if (a.blame) {
    json b = {{"commit", a.blame->commit.empty() ? json(nullptr) : json(a.blame->commit)}};
    if (!a.blame->commit.empty()) {
      b["summary"] = a.blame->summary;
      b["author"] = a.blame->author;
      b["time"] = formatIsoTime(a.blame->timeMs);
    }
    j["blame"] = b;
  }
  return j;
}

} // namespace mantra
