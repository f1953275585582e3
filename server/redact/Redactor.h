// Redaction: the one door every text passes before it is stored, indexed, logged or returned.
// A secret is replaced by "[REDACTED:<rule-id>]"; the text around it is kept.
//
// Engine: a Hyperscan database of every rule's literal keywords finds, in one pass over the
// text, which rules could match at all; only those rules' PCRE2 patterns (JIT-compiled) run.
// Both are linear in the text (no backtracking blow-up from the prefilter; the PCRE2 patterns
// are written without nested quantifiers). See bench/REDACTION.md for the engine comparison.
//
// Thread-safety: a Redactor is immutable after create(); any thread may call its methods
// concurrently (scratch space is per thread). Copies share the compiled rules.
#pragma once

#include "model/Model.h"
#include "util/Expected.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mantra {

struct CustomPattern {
  std::string id;      // appears in [REDACTED:<id>]
  std::string pattern; // PCRE2; group 1, when present, is the part replaced
};

struct RedactOptions {
  std::vector<CustomPattern> patterns;      // the user's own rules
  std::vector<std::string> internalDomains; // hosts under these are redacted (rule internal-host)
  std::vector<std::string> allow;           // literal values never redacted
};

// One secret found in a text: [start, start+length) in bytes.
struct Finding {
  std::string rule;
  size_t start = 0;
  size_t length = 0;
};

class Redactor {
public:
  // The built-in rules only. Never fails (the built-in patterns are tested).
  Redactor();
  // Built-in rules plus the options; a bad custom pattern is an ErrorCode::Invalid naming it.
  static Expected<Redactor> create(const RedactOptions &options);

  // Every secret in `text`, sorted by start, not overlapping.
  std::vector<Finding> find(std::string_view text) const;
  // Returns `text` with every secret replaced by "[REDACTED:<rule-id>]".
  std::string redact(std::string text) const;
  // Redacts every string value (not keys) of a JSON tree in place; the tree is rebuilt from
  // redacted values, so raw records never keep a secret.
  void redactJson(nlohmann::json &j) const;
  // Redacts every text field of an event: text, command, path, tool and data.
  void redactEvent(Event &e) const;
  void redactSession(SessionInfo &s) const;
  void redactTitle(TitleHint &t) const;

  // The ids of every active rule, built-in and custom.
  std::vector<std::string> ruleIds() const;

  struct Impl;

private:
  explicit Redactor(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

} // namespace mantra
