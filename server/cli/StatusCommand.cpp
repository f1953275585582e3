// `mantra status`: what the database holds, per agent, and which sessions Mantra now keeps
// alone because their agent deleted (or moved) the files they came from.
#include "cli/CliSupport.h"

#include "util/Time.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

namespace mantra::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int64_t fileSize(const std::string &path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

} // namespace

int cmdStatus(const Args &a) {
  if (!a.positional.empty())
    return usage("status takes no arguments");
  auto store = openStore(a);
  if (!store)
    return fail(store.error());
  auto agents = (*store)->agentStats();
  if (!agents)
    return fail(agents.error());
  auto pairs = (*store)->sessionSources();
  if (!pairs)
    return fail(pairs.error());
  // A session is archived when none of the files it came from is there any more.
  std::map<std::string, bool> anyPresent;
  std::map<std::string, bool> exists;
  for (const auto &[session, path] : *pairs) {
    auto it = exists.find(path);
    if (it == exists.end()) {
      std::error_code ec;
      it = exists.emplace(path, fs::exists(path, ec)).first;
    }
    anyPresent[session] = anyPresent[session] || it->second;
  }
  int64_t archived = 0, missingFiles = 0;
  for (const auto &[session, present] : anyPresent)
    archived += present ? 0 : 1;
  for (const auto &[path, present] : exists)
    missingFiles += present ? 0 : 1;
  const std::string db = (*store)->path();
  const int64_t size = fileSize(db) + fileSize(db + "-wal") + fileSize(db + "-shm");

  if (a.flags.count("--json")) {
    json list = json::array();
    for (const auto &s : *agents)
      list.push_back(
          {{"agent", s.agent},
           {"sources", s.sources},
           {"sessions", s.sessions},
           {"events", s.events},
           {"lastIndexed", s.lastIndexed ? json(formatIsoTime(*s.lastIndexed)) : json(nullptr)}});
    printJson({{"database", db},
               {"bytes", size},
               {"schemaVersion", Store::kSchemaVersion},
               {"agents", list},
               {"archived", {{"sessions", archived}, {"missingFiles", missingFiles}}},
               {"watching", false}});
    return 0;
  }
  std::printf("Database %s (%.1f MB, schema %d)\n", db.c_str(), double(size) / 1e6,
              Store::kSchemaVersion);
  if (agents->empty())
    std::printf("Nothing indexed yet: run 'mantra index'.\n");
  for (const auto &s : *agents)
    std::printf("  %-8s %6lld sessions %8lld steps from %6lld files, last indexed %s\n",
                s.agent.c_str(), static_cast<long long>(s.sessions),
                static_cast<long long>(s.events), static_cast<long long>(s.sources),
                s.lastIndexed ? formatIsoTime(*s.lastIndexed).c_str() : "never");
  std::printf("%lld sessions kept only here (their %lld files are gone from disk).\n",
              static_cast<long long>(archived), static_cast<long long>(missingFiles));
  std::printf("Not watching for new sessions: run 'mantra index' to pick them up.\n");
  return 0;
}

} // namespace mantra::cli
