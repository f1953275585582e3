// The transport: moves JSON-RPC message bodies in and out with LSP framing
// ("Content-Length: N\r\n[Content-Type: …\r\n]\r\n" then N bytes), over a pair of file
// descriptors (stdin/stdout for `mantra serve`, pipes in tests). It knows nothing of JSON-RPC:
// bodies are opaque strings; the Server parses them.
//
// Contract:
// - read() blocks until one whole body is available; it returns nullopt at end of input (EOF or
//   a read error), including EOF in the middle of a frame.
// - A header block without a valid Content-Length (missing, duplicated, non-numeric, above
//   kMaxBody) or with a malformed line, or a header block longer than kMaxHeader, is rejected:
//   one line goes to the log and reading resynchronises on the next "Content-Length" in the
//   stream. Header names are case-insensitive; Content-Type and unknown headers are ignored.
// - write() frames one body and writes it whole; it may be called from any thread (a mutex
//   serialises writers). Returns false when the output is closed.
// - readBuffered() is read() without blocking: the next whole body when the bytes already read
//   hold one, else nullopt (nothing is lost: the partial frame stays buffered for read()). The
//   server uses it to see every message that arrived together before it starts any of them, so
//   that a request and its $/cancelRequest sent together never run.
// - read() and readBuffered() are called by one thread at a time (the reader thread).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace mantra::rpc {

class Transport {
public:
  static constexpr size_t kMaxBody = 64u << 20;   // 64 MiB
  static constexpr size_t kMaxHeader = 64u << 10; // 64 KiB for one header block
  using Log = std::function<void(const std::string &)>;

  // Does not own the descriptors. `log` receives one line per rejected frame (default: stderr).
  Transport(int inFd, int outFd, Log log = nullptr);

  std::optional<std::string> read();
  std::optional<std::string> readBuffered();
  bool write(std::string_view body);

private:
  enum class Header { Ok, NeedMore, Bad };
  Header parseHeader(size_t &bodyLen, size_t &headerLen);
  void reject(const std::string &why);
  bool resync();
  bool fill();
  std::optional<std::string> next(bool mayBlock);

  int in_, out_;
  Log log_;
  std::string buf_;     // bytes read but not consumed
  bool resync_ = false; // skipping bytes until the next "Content-Length"
  bool eof_ = false;
  std::mutex writeMu_;
};

} // namespace mantra::rpc
