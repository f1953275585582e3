// Redaction: the one door every text passes before it is stored, indexed, logged or returned.
//
// This is the call site the redaction issue fills in. Today `redact()` returns its input
// unchanged; the ingest path already routes every event, session title and raw record through
// `redactEvent` / `redactSession` / `redactJson`, so adding rules changes nothing else.
#pragma once

#include "model/Model.h"

#include <string>

namespace mantra {

class Redactor {
public:
  // Returns `text` with every secret replaced by "[REDACTED:<rule-id>]". Thread-safe.
  std::string redact(std::string text) const;
  // Redacts every string value (not keys) of a JSON tree in place.
  void redactJson(nlohmann::json &j) const;
  // Redacts every text field of an event: text, command, path, tool and data.
  void redactEvent(Event &e) const;
  void redactSession(SessionInfo &s) const;
  void redactTitle(TitleHint &t) const;
};

} // namespace mantra
