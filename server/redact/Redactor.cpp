#include "redact/Redactor.h"

namespace mantra {

std::string Redactor::redact(std::string text) const {
  // No rules yet (the redaction issue adds them). Kept as a real function so that every caller
  // is already in place.
  return text;
}

void Redactor::redactJson(nlohmann::json &j) const {
  if (j.is_string()) {
    j = redact(j.get<std::string>());
  } else if (j.is_structured()) {
    for (auto &v : j)
      redactJson(v);
  }
}

void Redactor::redactEvent(Event &e) const {
  e.text = redact(std::move(e.text));
  e.command = redact(std::move(e.command));
  e.path = redact(std::move(e.path));
  e.tool = redact(std::move(e.tool));
  redactJson(e.data);
}

void Redactor::redactSession(SessionInfo &s) const {
  s.title = redact(std::move(s.title));
  s.project = redact(std::move(s.project));
  s.branch = redact(std::move(s.branch));
}

void Redactor::redactTitle(TitleHint &t) const { t.title = redact(std::move(t.title)); }

} // namespace mantra
