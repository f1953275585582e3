// The list of adapters Mantra ships. Adding an agent: write its adapter, add one line here.
#include "ingest/Adapter.h"
#include "ingest/AiderAdapter.h"
#include "ingest/ClaudeAdapter.h"
#include "ingest/ClineAdapter.h"
#include "ingest/CodexAdapter.h"
#include "ingest/CursorAdapter.h"
#include "ingest/GeminiAdapter.h"
#include "ingest/Json.h"
#include "ingest/Text.h"

namespace mantra {

std::optional<nlohmann::json> parseRecordLine(std::string_view text, int64_t lineNo, Sink &sink,
                                              bool objectOnly) {
  if (text::trim(text).empty())
    return std::nullopt;
  nlohmann::json r = nlohmann::json::parse(text, nullptr, false);
  if (r.is_discarded()) {
    sink.problem(lineNo, js::invalidJsonMessage(text));
    return std::nullopt;
  }
  if (objectOnly && !r.is_object()) {
    sink.problem(lineNo, "expected a JSON object, got " + std::string(r.type_name()));
    return std::nullopt;
  }
  return r;
}

std::vector<std::unique_ptr<Adapter>> makeAdapters() {
  std::vector<std::unique_ptr<Adapter>> out;
  out.push_back(std::make_unique<ClaudeAdapter>());
  out.push_back(std::make_unique<CodexAdapter>());
  out.push_back(std::make_unique<GeminiAdapter>());
  out.push_back(std::make_unique<CursorAdapter>());
  out.push_back(std::make_unique<AiderAdapter>());
  out.push_back(std::make_unique<ClineAdapter>());
  return out;
}

} // namespace mantra
