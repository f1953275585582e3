#include "config/Config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mantra {
namespace fs = std::filesystem;
using nlohmann::json;

std::string defaultConfigPath() {
  fs::path base;
  if (const char *xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    base = xdg;
  else if (const char *home = std::getenv("HOME"); home && *home)
    base = fs::path(home) / ".config";
  else
    base = ".";
  return (base / "mantra" / "config.json").string();
}

namespace {

Status stringList(const json &j, const std::string &where, std::vector<std::string> &out) {
  if (j.is_null())
    return {};
  if (!j.is_array())
    return makeError(ErrorCode::Parse, where + ": expected an array of strings");
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string())
      return makeError(ErrorCode::Parse, where + "[" + std::to_string(i) + "]: expected a string");
    out.push_back(j[i].get<std::string>());
  }
  return {};
}

} // namespace

Expected<Config> loadConfig(const std::string &path, bool mustExist) {
  Config c;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (mustExist)
      return makeError(ErrorCode::NotFound, "config " + path + ": no such file");
    return c;
  }
  std::ifstream in(path);
  if (!in)
    return makeError(ErrorCode::Io, "config " + path + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false, /*ignore_comments=*/true);
  if (j.is_discarded())
    return makeError(ErrorCode::Parse, "config " + path + ": not valid JSON");
  if (!j.is_object())
    return makeError(ErrorCode::Parse, "config " + path + ": expected a JSON object");
  c.path = path;
  const std::string where = "config " + path + ": redact";
  if (j.contains("redact")) {
    const json &r = j["redact"];
    if (!r.is_object())
      return makeError(ErrorCode::Parse, where + ": expected an object");
    if (r.contains("patterns")) {
      const json &ps = r["patterns"];
      if (!ps.is_array())
        return makeError(ErrorCode::Parse, where + ".patterns: expected an array");
      for (size_t i = 0; i < ps.size(); ++i) {
        const std::string at = where + ".patterns[" + std::to_string(i) + "]";
        if (ps[i].is_string()) {
          c.redact.patterns.push_back({"", ps[i].get<std::string>()});
        } else if (ps[i].is_object() && ps[i].contains("pattern") && ps[i]["pattern"].is_string()) {
          const std::string id = ps[i].value("id", "");
          c.redact.patterns.push_back({id, ps[i]["pattern"].get<std::string>()});
        } else {
          return makeError(ErrorCode::Parse, at + ": expected a string or {\"id\", \"pattern\"}");
        }
      }
    }
    if (auto st = stringList(r.value("internalDomains", json()), where + ".internalDomains",
                             c.redact.internalDomains);
        !st)
      return st.error();
    if (auto st = stringList(r.value("allow", json()), where + ".allow", c.redact.allow); !st)
      return st.error();
  }
  return c;
}

} // namespace mantra
