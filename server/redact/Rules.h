// The built-in redaction rules: what a secret looks like, rule by rule.
//
// Each rule has an id (it appears in "[REDACTED:<id>]"), the literal keywords one of which must
// occur for the rule to be tried at all (the prefilter), a PCRE2 pattern, and an optional check
// that the matched value really looks like a secret. When the pattern has a capture group 1,
// only that group is replaced (the value of `password=…`, the password in a URL); otherwise the
// whole match is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mantra::redact {

enum class Check {
  None,
  NotExample,  // skip values that say they are documentation examples ("…EXAMPLE…")
  RandomToken, // looks generated: mixed letters and digits, no placeholder words
  Assignment,  // a literal value assigned in code/env/YAML, not a call, variable or placeholder
  Placeholder, // reject obvious placeholders only (${X}, <x>, ****, YOUR_TOKEN)
  PrivateIp,   // every octet ≤ 255
  Host,        // a host name, not a property access (this.corp, config.internal)
  KeyId,       // a fixed-alphabet id (AWS): not an EXAMPLE, not a run of one letter
};

// Well-known values published on purpose (emulator keys, documentation examples): never
// redacted, whatever rule they match.
const std::vector<std::string> &publicValues();

struct Keyword {
  std::string text;
  bool caseless = true;
};

struct Rule {
  std::string id;
  std::vector<Keyword> keywords; // empty: always tried
  std::string pattern;           // PCRE2 syntax
  Check check = Check::None;
  bool caseless = false; // compile the pattern with PCRE2_CASELESS
  // A match starts exactly where one of the keywords does: the engine then tries the pattern
  // only at the keyword hits (anchored), instead of scanning the whole text.
  bool anchored = true;
  // How far past its keyword an anchored match can reach (0: to the end of the text). Bounding
  // the subject keeps each try short: PCRE2's JIT looks for a required character (the `@` of a
  // URL's credentials, say) to the end of the subject before it tries to match.
  size_t window = 4096;
};

// The rules Mantra ships, in priority order (an earlier rule wins an overlap of equal start).
const std::vector<Rule> &builtinRules();

// True for values that are obviously not real secrets: ${VAR}, <your-key>, ****, YOUR_API_KEY,
// "changeme"-style words are NOT included (those are real, weak secrets).
bool isPlaceholder(std::string_view value);

// Shannon entropy in bits per byte.
double entropy(std::string_view s);

} // namespace mantra::redact
