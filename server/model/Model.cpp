#include "model/Model.h"

#include <array>

namespace mantra {
namespace {
constexpr std::array<std::string_view, 9> kKindNames = {"user",      "assistant",   "reasoning",
                                                        "tool_call", "tool_result", "shell",
                                                        "edit",      "summary",     "meta"};
}

std::string_view toString(EventKind k) { return kKindNames[static_cast<size_t>(k)]; }

std::optional<EventKind> eventKindFromString(std::string_view s) {
  for (size_t i = 0; i < kKindNames.size(); ++i)
    if (kKindNames[i] == s)
      return static_cast<EventKind>(i);
  return std::nullopt;
}

void mergeResult(Event &call, const Event &result) {
  if (!call.data.is_object())
    call.data = nlohmann::json::object();
  if (!result.data.is_null())
    call.data["result"] = result.data;
  if (call.kind == EventKind::Shell)
    call.text = result.text;
  else if (!result.text.empty())
    call.data["resultText"] = result.text;
  if (call.kind == EventKind::Shell && !call.data.contains("durationMs") && call.time &&
      result.time && *result.time >= *call.time) {
    // Where the agent does not record how long a command ran, the time between the call and its
    // result is the best measure there is.
    if (!result.data.is_object() || !result.data.contains("durationMs"))
      call.data["durationMs"] = *result.time - *call.time;
  }
  if (result.data.is_object())
    for (const char *k : {"durationMs", "stdout", "stderr"})
      if (auto it = result.data.find(k); it != result.data.end() && call.kind == EventKind::Shell)
        call.data[k] = *it;
  if (result.exitCode)
    call.exitCode = result.exitCode;
  call.isError = call.isError || result.isError;
}

void mergeSessionInfo(SessionInfo &acc, const SessionInfo &u) {
  auto first = [](std::string &a, const std::string &b) {
    if (a.empty())
      a = b;
  };
  auto latest = [](std::string &a, const std::string &b) {
    if (!b.empty())
      a = b;
  };
  if (acc.id.empty())
    acc.id = u.id;
  first(acc.agent, u.agent);
  first(acc.nativeId, u.nativeId);
  first(acc.project, u.project);
  latest(acc.branch, u.branch);
  first(acc.commit, u.commit);
  latest(acc.model, u.model);
  latest(acc.version, u.version);
  first(acc.parentId, u.parentId);
  acc.isSubagent = acc.isSubagent || u.isSubagent;
  if (u.started && (!acc.started || *u.started < *acc.started))
    acc.started = u.started;
  if (u.ended && (!acc.ended || *u.ended > *acc.ended))
    acc.ended = u.ended;
  if (!u.title.empty() && u.titleRank > acc.titleRank) {
    acc.title = u.title;
    acc.titleRank = u.titleRank;
  }
}

} // namespace mantra
