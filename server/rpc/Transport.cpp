// LSP framing over file descriptors (see Transport.h). Plain blocking read()/write(): the server
// reads on one thread and a frame is the unit of work, so an event loop would add nothing here.
#include "rpc/Transport.h"

#include <cerrno>
#include <cstdio>
#include <unistd.h>

namespace mantra::rpc {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

// Header names are RFC 7230 tokens; we accept letters, digits and '-'.
bool isToken(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// A decimal length no larger than kMaxBody; nullopt otherwise.
std::optional<size_t> parseLength(std::string_view v) {
  if (v.empty() || v.size() > 12)
    return std::nullopt;
  size_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9')
      return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  if (n > Transport::kMaxBody)
    return std::nullopt;
  return n;
}

} // namespace

Transport::Transport(int inFd, int outFd, Log log) : in_(inFd), out_(outFd), log_(std::move(log)) {
  if (!log_)
    log_ = [](const std::string &line) {
      std::fprintf(stderr, "mantra serve: %s\n", line.c_str());
    };
}

bool Transport::fill() {
  if (eof_)
    return false;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(in_, chunk, sizeof chunk);
    if (n > 0) {
      buf_.append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR)
      continue;
    eof_ = true;
    return false;
  }
}

void Transport::reject(const std::string &why) {
  log_("rejected a frame: " + why + "; skipping to the next Content-Length header");
  // Drop one byte so that resync() looks past this block's own (bad) Content-Length.
  buf_.erase(0, 1);
  resync_ = true;
}

// Drops bytes up to the next "content-length" (any case). False when more input is needed.
bool Transport::resync() {
  static constexpr std::string_view kName = "content-length";
  for (size_t i = 0; i + kName.size() <= buf_.size(); ++i) {
    if (iequals(std::string_view(buf_).substr(i, kName.size()), kName)) {
      buf_.erase(0, i);
      resync_ = false;
      return true;
    }
  }
  // Keep a tail that may be the start of the name.
  if (buf_.size() >= kName.size())
    buf_.erase(0, buf_.size() - (kName.size() - 1));
  return false;
}

// Parses the header block at the start of buf_.
Transport::Header Transport::parseHeader(size_t &bodyLen, size_t &headerLen) {
  // Search only as far as a header block may go: a long buffer of bodies is not rescanned.
  const size_t end = std::string_view(buf_).substr(0, kMaxHeader + 4).find("\r\n\r\n");
  if (end == std::string::npos) {
    if (buf_.size() >= kMaxHeader + 4) {
      reject("header block longer than " + std::to_string(kMaxHeader) + " bytes");
      return Header::Bad;
    }
    return Header::NeedMore;
  }
  std::optional<size_t> length;
  bool duplicate = false;
  std::string_view block = std::string_view(buf_).substr(0, end);
  for (;;) {
    const size_t nl = block.find("\r\n");
    const std::string_view line = block.substr(0, nl);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) {
      reject("malformed header line");
      return Header::Bad;
    }
    if (iequals(line.substr(0, colon), "content-length")) {
      duplicate = duplicate || length.has_value();
      length = parseLength(trim(line.substr(colon + 1)));
      if (!length) {
        reject("Content-Length is not a number of at most " + std::to_string(kMaxBody) + " bytes");
        return Header::Bad;
      }
    }
    if (nl == std::string_view::npos)
      break;
    block.remove_prefix(nl + 2);
  }
  if (!length || duplicate) {
    reject(duplicate ? "duplicate Content-Length" : "no Content-Length header");
    return Header::Bad;
  }
  bodyLen = *length;
  headerLen = end + 4;
  return Header::Ok;
}

std::optional<std::string> Transport::read() { return next(true); }

std::optional<std::string> Transport::readBuffered() { return next(false); }

// The next body; when !mayBlock, nullopt as soon as more input would be needed (everything read
// so far stays in buf_, so the next call picks up where this one stopped).
std::optional<std::string> Transport::next(bool mayBlock) {
  for (;;) {
    if (resync_ && !resync()) {
      if (!mayBlock || !fill())
        return std::nullopt;
      continue;
    }
    size_t bodyLen = 0, headerLen = 0;
    const Header h = parseHeader(bodyLen, headerLen);
    if (h == Header::Bad)
      continue;
    if (h == Header::NeedMore) {
      if (!mayBlock || !fill())
        return std::nullopt;
      continue;
    }
    while (buf_.size() < headerLen + bodyLen)
      if (!mayBlock || !fill())
        return std::nullopt; // EOF inside a body: the frame is lost
    std::string body = buf_.substr(headerLen, bodyLen);
    buf_.erase(0, headerLen + bodyLen);
    return body;
  }
}

bool Transport::write(std::string_view body) {
  std::string frame = "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  frame.append(body);
  std::lock_guard<std::mutex> lock(writeMu_);
  size_t done = 0;
  while (done < frame.size()) {
    const ssize_t n = ::write(out_, frame.data() + done, frame.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

} // namespace mantra::rpc
