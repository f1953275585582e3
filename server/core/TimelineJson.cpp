#include "core/TimelineJson.h"

#include "timeline/Uri.h"

namespace mantra {

using nlohmann::json;

json filesJson(const std::vector<timeline::FileSummary> &files, const SessionRow &s) {
  json list = json::array();
  for (const auto &f : files) {
    json j = {{"path", timeline::displayPath(f.path, s.project)},
              {"changedAt", f.changedAt},
              {"reads", f.reads}};
    if (!f.lastStatus.empty())
      j["status"] = f.lastStatus;
    list.push_back(std::move(j));
  }
  return {{"session", s.id}, {"files", list}};
}

json fileAtJson(const timeline::FileAt &f, const SessionRow &s) {
  json j = {{"session", s.id},
            {"path", timeline::displayPath(f.path, s.project)},
            {"seq", f.seq},
            {"stateSeq", f.stateSeq},
            {"content", f.content ? json(*f.content) : json(nullptr)},
            {"exists", f.present},
            {"base", f.base},
            {"exact", f.exact},
            {"changedAt", f.changedAt},
            {"languageId", timeline::languageId(f.path)},
            {"uri", timeline::fileUri(s.id, f.seq, timeline::displayPath(f.path, s.project))}};
  if (!f.reason.empty())
    j["reason"] = f.reason;
  return j;
}

json diffsJson(const std::vector<timeline::FileDiff> &diffs, const SessionRow &s) {
  json list = json::array();
  for (const auto &d : diffs) {
    json j = {{"path", timeline::displayPath(d.path, s.project)},
              {"from", d.from},
              {"to", d.to},
              {"diff", d.diff ? json(*d.diff) : json(nullptr)},
              {"exact", d.exact}};
    if (!d.reason.empty())
      j["reason"] = d.reason;
    list.push_back(std::move(j));
  }
  return {{"session", s.id}, {"diffs", list}};
}

json verifyJson(const std::vector<VerifyStats> &stats,
                const std::vector<std::tuple<std::string, int64_t, std::string>> &bad) {
  json agents = json::array();
  int64_t checks = 0, mismatches = 0;
  for (const auto &v : stats) {
    agents.push_back({{"agent", v.agent},
                      {"sessions", v.sessions},
                      {"files", v.files},
                      {"changes", v.changes},
                      {"exact", v.exact},
                      {"unknown", v.unknown},
                      {"failed", v.failed},
                      {"checks", v.checks},
                      {"matches", v.matches},
                      {"mismatches", v.mismatches}});
    checks += v.checks;
    mismatches += v.mismatches;
  }
  json list = json::array();
  for (const auto &[session, seq, path] : bad)
    list.push_back({{"session", session}, {"seq", seq}, {"path", path}});
  return {{"agents", agents}, {"checks", checks}, {"mismatches", mismatches}, {"mismatched", list}};
}

} // namespace mantra
