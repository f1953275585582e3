// Small accessors for reading agents' JSON, where every field is optional and of uncertain type.
// None of them throws.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace mantra::js {

using nlohmann::json;

// The string at j[key], or "" when j is not an object, the key is absent or not a string.
inline const std::string &str(const json &j, const char *key) {
  static const std::string empty;
  if (!j.is_object())
    return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get_ref<const std::string &>() : empty;
}

// j[key] when present, else a null json.
inline const json &get(const json &j, const char *key) {
  static const json null;
  if (!j.is_object())
    return null;
  auto it = j.find(key);
  return it != j.end() ? *it : null;
}

inline bool flag(const json &j, const char *key) {
  const json &v = get(j, key);
  return v.is_boolean() && v.get<bool>();
}

inline std::optional<int64_t> integer(const json &j, const char *key) {
  const json &v = get(j, key);
  if (v.is_number_integer())
    return v.get<int64_t>();
  if (v.is_number_float())
    return static_cast<int64_t>(v.get<double>());
  return std::nullopt;
}

// The string values of an object's top-level fields, one per line (a string is itself): the
// searchable text of a tool's input.
inline std::string stringValues(const json &input) {
  if (input.is_string())
    return input.get<std::string>();
  std::string out;
  if (!input.is_object())
    return out;
  for (const auto &[k, v] : input.items()) {
    if (!v.is_string() || v.get_ref<const std::string &>().empty())
      continue;
    if (!out.empty())
      out += "\n";
    out += v.get<std::string>();
  }
  return out;
}

// "invalid JSON: <what and where>" for a line that did not parse, without nlohmann's
// "last read: '…'" excerpt of the input: it can hold part of a secret too short for a
// redaction rule to recognise. Parses again, with exceptions, so call it on failures only.
inline std::string invalidJsonMessage(std::string_view text) {
  try {
    json unused = json::parse(text);
    (void)unused;
  } catch (const json::parse_error &e) {
    std::string what = e.what();
    if (auto p = what.find("]"); p != std::string::npos)
      what = what.substr(p + 2);
    if (auto a = what.find("; last read: "); a != std::string::npos) {
      const auto b = what.find("; ", a + 13);
      what.erase(a, b == std::string::npos ? std::string::npos : b - a);
    }
    return "invalid JSON: " + what;
  }
  return "invalid JSON";
}

} // namespace mantra::js
