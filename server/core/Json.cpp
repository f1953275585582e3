// The shared JSON shapes (see Json.h). Optional fields are omitted rather than null so that a
// step's JSON only carries what applies to its kind.
#include "core/Json.h"

#include "util/Time.h"

#include <cmath>
#include <filesystem>
#include <map>

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
  if (e.kind == EventKind::Shell && e.data.is_object()) {
    // The terminal's detail, where the agent recorded it (normalized keys, see Model.h).
    for (const char *k : {"cwd", "durationMs"})
      if (auto it = e.data.find(k);
          it != e.data.end() &&
          ((it->is_string() && !it->get<std::string>().empty()) || it->is_number()))
        j[k] = *it;
    // The streams apart only when there is something on stderr; otherwise stdout is the text.
    auto err = e.data.find("stderr");
    if (err != e.data.end() && err->is_string() && !err->get<std::string>().empty()) {
      j["stderr"] = *err;
      if (auto out = e.data.find("stdout"); out != e.data.end() && out->is_string())
        j["stdout"] = *out;
    }
  }
  return j;
}

namespace {

// Scores to three decimals: their order is what they say, the digits beyond are noise.
double score3(double s) { return std::round(s * 1000.0) / 1000.0; }

json highlightsJson(const SearchStep &s) {
  json hl = json::array();
  for (const auto &[from, to] : s.highlights)
    hl.push_back({from, to});
  return hl;
}

} // namespace

json hitJson(const SearchHit &h) {
  return {{"session", h.sessionId},    {"seq", h.seq},         {"kind", toString(h.kind)},
          {"agent", h.agent},          {"title", h.title},     {"project", h.project},
          {"time", isoOrNull(h.time)}, {"snippet", h.snippet}, {"highlights", highlightsJson(h)},
          {"score", score3(h.score)}};
}

json stepHitJson(const SearchStep &s) {
  return {{"seq", s.seq},         {"kind", toString(s.kind)},        {"time", isoOrNull(s.time)},
          {"snippet", s.snippet}, {"highlights", highlightsJson(s)}, {"score", score3(s.score)}};
}

json sessionHitJson(const SessionHit &h) {
  json steps = json::array();
  for (const auto &s : h.steps)
    steps.push_back(stepHitJson(s));
  return {{"session", sessionJson(h.session)},
          {"hits", h.hits},
          {"score", score3(h.score)},
          {"steps", steps},
          {"files", h.files}};
}

json searchResultJson(const SearchResult &r, bool byEvent, double ms) {
  json list = json::array();
  if (byEvent) {
    for (const auto &h : r.hits)
      list.push_back(hitJson(h));
    return {{"hits", list}, {"ms", ms}};
  }
  for (const auto &s : r.sessions)
    list.push_back(sessionHitJson(s));
  return {{"sessions", list},
          {"total", {{"sessions", r.totalSessions}, {"hits", r.totalHits}}},
          {"ms", ms}};
}

json eventDetailJson(const Event &e) {
  json j = eventJson(e);
  j["data"] = e.data;
  return j;
}

json indexReportJson(const IndexReport &r) {
  json errors = json::array();
  for (const auto &e : r.errors)
    errors.push_back({{"file", e.file}, {"line", e.line}, {"message", e.message}});
  return {
      {"sessions", r.totals.sessions}, {"events", r.totals.events}, {"sources", r.totals.sources},
      {"skipped", r.skipped},          {"unknown", r.unknown},      {"added", r.eventsAdded},
      {"filesRead", r.filesRead},      {"bytesRead", r.bytesRead},  {"errors", errors},
      {"seconds", r.seconds}};
}

namespace {

int64_t fileSize(const std::string &path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

} // namespace

Expected<StatusSummary> readStatus(Store &store) {
  StatusSummary s;
  auto agents = store.agentStats();
  if (!agents)
    return agents.error();
  s.agents = std::move(*agents);
  auto pairs = store.sessionSources();
  if (!pairs)
    return pairs.error();
  // A session is archived when none of the files it came from is there any more.
  std::map<std::string, bool> anyPresent;
  std::map<std::string, bool> exists;
  for (const auto &[session, path] : *pairs) {
    auto it = exists.find(path);
    if (it == exists.end()) {
      std::error_code ec;
      it = exists.emplace(path, std::filesystem::exists(path, ec)).first;
    }
    anyPresent[session] = anyPresent[session] || it->second;
  }
  for (const auto &[session, present] : anyPresent)
    s.archivedSessions += present ? 0 : 1;
  for (const auto &[path, present] : exists)
    s.missingFiles += present ? 0 : 1;
  s.database = store.path();
  s.bytes = fileSize(s.database) + fileSize(s.database + "-wal") + fileSize(s.database + "-shm");
  return s;
}

json statusJson(const StatusSummary &s) {
  json list = json::array();
  int64_t sessions = 0, events = 0, sources = 0;
  for (const auto &a : s.agents) {
    list.push_back({{"agent", a.agent},
                    {"sources", a.sources},
                    {"sessions", a.sessions},
                    {"events", a.events},
                    {"lastIndexed", isoOrNull(a.lastIndexed)}});
    sessions += a.sessions;
    events += a.events;
    sources += a.sources;
  }
  return {{"database", s.database},
          {"bytes", s.bytes},
          {"schemaVersion", Store::kSchemaVersion},
          {"sessions", sessions},
          {"events", events},
          {"sources", sources},
          {"agents", list},
          {"archived", {{"sessions", s.archivedSessions}, {"missingFiles", s.missingFiles}}},
          {"watching", s.watching}};
}

} // namespace mantra
