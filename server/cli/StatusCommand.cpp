// `mantra status`: what the database holds, per agent, and which sessions Mantra now keeps
// alone because their agent deleted (or moved) the files they came from. The figures and their
// JSON shape are shared with the sidecar's mantra/status (core/Json.h).
#include "cli/CliSupport.h"

#include "core/Json.h"
#include "util/Time.h"

#include <cstdio>

namespace mantra::cli {

int cmdStatus(const Args &a) {
  if (!a.positional.empty())
    return usage("status takes no arguments");
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  auto status = readStatus(**store);
  if (!status)
    return fail(status.error());
  const StatusSummary &s = *status;
  if (a.flags.count("--json")) {
    printJson(statusJson(s));
    return 0;
  }
  std::printf("Database %s (%.1f MB, schema %d)\n", s.database.c_str(), double(s.bytes) / 1e6,
              Store::kSchemaVersion);
  if (s.agents.empty())
    std::printf("Nothing indexed yet: run 'mantra index'.\n");
  for (const auto &g : s.agents)
    std::printf("  %-8s %6lld sessions %8lld steps from %6lld files, last indexed %s\n",
                g.agent.c_str(), static_cast<long long>(g.sessions),
                static_cast<long long>(g.events), static_cast<long long>(g.sources),
                g.lastIndexed ? formatIsoTime(*g.lastIndexed).c_str() : "never");
  std::printf("%lld sessions kept only here (their %lld files are gone from disk).\n",
              static_cast<long long>(s.archivedSessions), static_cast<long long>(s.missingFiles));
  std::printf("Not watching for new sessions: run 'mantra index' to pick them up.\n");
  return 0;
}

} // namespace mantra::cli
