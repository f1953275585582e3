#include "ingest/Text.h"

#include <cctype>
#include <filesystem>

namespace mantra::text {

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool endsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a])))
    ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1])))
    --b;
  return std::string(s.substr(a, b - a));
}

bool isUuid(std::string_view s) {
  if (s.size() != 36)
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c)))
      return false;
  }
  return true;
}

std::string titleFrom(std::string_view prompt) {
  std::string t = trim(prompt);
  if (auto nl = t.find('\n'); nl != std::string::npos)
    t = trim(t.substr(0, nl));
  constexpr size_t kMax = 80;
  if (t.size() > kMax) {
    size_t cut = t.rfind(' ', kMax);
    if (cut == std::string::npos || cut < kMax / 2)
      cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80)
      --cut; // never split a UTF-8 sequence
    t = t.substr(0, cut) + "…";
  }
  return t;
}

std::string absolutePath(const std::string &p, const std::string &cwd) {
  if (p.empty())
    return p;
  std::filesystem::path path(p);
  if (path.is_relative() && !cwd.empty())
    path = std::filesystem::path(cwd) / path;
  std::string out = path.lexically_normal().generic_string();
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  return out;
}

std::string hunksOnly(const std::string &diff) {
  if (startsWith(diff, "@@"))
    return diff;
  const size_t at = diff.find("\n@@");
  return at == std::string::npos ? std::string() : diff.substr(at + 1);
}

} // namespace mantra::text
