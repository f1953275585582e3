// The shared JSON shapes (see Json.h). Optional fields are omitted rather than null so that a
// step's JSON only carries what applies to its kind.
#include "core/Json.h"

#include "util/Time.h"

namespace mantra {

using nlohmann::json;

json isoOrNull(std::optional<int64_t> ms) { return ms ? json(formatIsoTime(*ms)) : json(nullptr); }

json sessionJson(const SessionRow &s) {
  json j = {{"id", s.id},
            {"agent", s.agent},
            {"project", s.project},
            {"title", s.title},
            {"branch", s.branch},
            {"started", isoOrNull(s.started)},
            {"ended", isoOrNull(s.ended)},
            {"events", s.events}};
  if (!s.model.empty())
    j["model"] = s.model;
  if (!s.version.empty())
    j["version"] = s.version;
  if (!s.parentId.empty())
    j["parent"] = s.parentId;
  if (s.isSubagent)
    j["subagent"] = true;
  return j;
}

json eventJson(const Event &e) {
  json j = {{"seq", e.seq}, {"kind", toString(e.kind)}};
  if (e.time)
    j["time"] = formatIsoTime(*e.time);
  if (!e.text.empty())
    j["text"] = e.text;
  if (!e.tool.empty())
    j["tool"] = e.tool;
  if (!e.path.empty())
    j["path"] = e.path;
  if (!e.command.empty())
    j["command"] = e.command;
  if (e.exitCode)
    j["exitCode"] = *e.exitCode;
  if (e.isError)
    j["isError"] = true;
  return j;
}

json hitJson(const SearchHit &h) {
  json hl = json::array();
  for (const auto &[s, e] : h.highlights)
    hl.push_back({s, e});
  return {{"session", h.sessionId},    {"seq", h.seq},         {"kind", toString(h.kind)},
          {"agent", h.agent},          {"title", h.title},     {"project", h.project},
          {"time", isoOrNull(h.time)}, {"snippet", h.snippet}, {"highlights", hl},
          {"score", h.score}};
}

} // namespace mantra
