// Small accessors for reading agents' JSON, where every field is optional and of uncertain type.
// None of them throws.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

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

} // namespace mantra::js
