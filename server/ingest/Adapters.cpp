// The list of adapters Mantra ships. Adding an agent: write its adapter, add one line here.
#include "ingest/Adapter.h"
#include "ingest/ClaudeAdapter.h"
#include "ingest/CodexAdapter.h"
#include "ingest/GeminiAdapter.h"

namespace mantra {

std::vector<std::unique_ptr<Adapter>> makeAdapters() {
  std::vector<std::unique_ptr<Adapter>> out;
  out.push_back(std::make_unique<ClaudeAdapter>());
  out.push_back(std::make_unique<CodexAdapter>());
  out.push_back(std::make_unique<GeminiAdapter>());
  return out;
}

} // namespace mantra
