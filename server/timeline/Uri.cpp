#include "timeline/Uri.h"

namespace mantra::timeline {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string decode(const std::string &s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string encode(const std::string &s) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c == ' ' || c == '%' || c == '#' || c == '?' || c < 0x20 || c == 0x7f) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

} // namespace

Expected<FileUri> parseFileUri(const std::string &uri) {
  const std::string scheme = "mantra://";
  auto bad = [&](const std::string &why) {
    return makeError(ErrorCode::Invalid,
                     "uri: " + why + " (expected mantra://<session>/<seq>/<path>)");
  };
  if (uri.compare(0, scheme.size(), scheme) != 0)
    return bad("not a mantra:// URI");
  const size_t s1 = uri.find('/', scheme.size());
  if (s1 == std::string::npos || s1 == scheme.size())
    return bad("no session");
  const size_t s2 = uri.find('/', s1 + 1);
  if (s2 == std::string::npos)
    return bad("no step");
  FileUri out;
  out.session = decode(uri.substr(scheme.size(), s1 - scheme.size()));
  const std::string seq = uri.substr(s1 + 1, s2 - s1 - 1);
  if (seq.empty() || seq.size() > 18 || seq.find_first_not_of("0123456789") != std::string::npos)
    return bad("step '" + seq + "' is not a number");
  out.seq = std::stoll(seq);
  std::string rest = uri.substr(s2 + 1);
  // Query and fragment are not part of the path.
  if (const size_t q = rest.find_first_of("?#"); q != std::string::npos)
    rest.resize(q);
  out.path = decode(rest);
  if (out.path.empty())
    return bad("no path");
  return out;
}

std::string fileUri(const std::string &session, int64_t seq, const std::string &path) {
  return "mantra://" + encode(session) + "/" + std::to_string(seq) + "/" + encode(path);
}

} // namespace mantra::timeline
