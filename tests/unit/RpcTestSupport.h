// Helpers shared by the `mantra serve` tests (RpcTests.cpp, RpcServerTests.cpp): LSP frames,
// a client that drives a server — the real binary as a child process, or the dispatcher
// in-process over pipes — and waits for its messages, the fixture database, and a small JSON
// Schema validator for protocol/schema.
#pragma once

#include "TestSupport.h"

#include "rpc/Server.h"
#include "rpc/Transport.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <functional>
#include <mutex>
#include <poll.h>
#include <set>
#include <thread>

extern char **environ;

namespace mantra::test {

using nlohmann::json;

inline std::string frame(const std::string &body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}
inline std::string frame(const json &j) { return frame(j.dump()); }
inline json req(const json &id, const std::string &method, const json &params = json()) {
  json j = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null())
    j["params"] = params;
  return j;
}
inline json note(const std::string &method, const json &params = json()) {
  json j = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null())
    j["params"] = params;
  return j;
}
// initialize (with the start-up index on or off) + initialized.
inline std::string initFrame(int id = 0, bool index = false) {
  return frame(req(id, "initialize", {{"initializationOptions", {{"backgroundIndex", index}}}})) +
         frame(note("initialized"));
}
inline std::string endFrames(int id = 999) {
  return frame(req(id, "shutdown")) + frame(note("exit"));
}

// The response with this id, or null.
inline json byId(const std::vector<json> &msgs, const json &id) {
  for (const auto &m : msgs)
    if (m.contains("id") && m["id"] == id && (m.contains("result") || m.contains("error")))
      return m;
  return json();
}
// The server's notifications of one method, in order.
inline std::vector<json> notifications(const std::vector<json> &msgs, const std::string &method) {
  std::vector<json> out;
  for (const auto &m : msgs)
    if (!m.contains("id") && m.value("method", "") == method)
      out.push_back(m["params"]);
  return out;
}
inline int errorCode(const json &m) {
  return m.is_object() && m.contains("error") ? m["error"].value("code", 0) : 0;
}

// A client end of a server: writes frames to its input, reads and parses its output.
class Peer {
public:
  Peer() { std::signal(SIGPIPE, SIG_IGN); } // a server that exits early fails our writes
  virtual ~Peer() {
    closeInput();
    if (out_ >= 0)
      ::close(out_);
  }
  void send(const std::string &bytes) {
    const int fd = in_.load();
    size_t done = 0;
    while (fd >= 0 && done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0)
        return;
      done += static_cast<size_t>(n);
    }
  }
  void send(const json &msg) { send(frame(msg)); }
  // Any thread; once.
  void closeInput() {
    if (const int fd = in_.exchange(-1); fd >= 0)
      ::close(fd);
  }
  // The first message, received so far or within `timeout`, for which `pred` holds; null when
  // none came.
  json waitFor(const std::function<bool(const json &)> &pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t seen = 0;
    for (;;) {
      for (; seen < msgs.size(); ++seen)
        if (pred(msgs[seen]))
          return msgs[seen];
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !readSome(static_cast<int>(left.count())))
        return json();
    }
  }
  json response(const json &id) {
    return waitFor([&](const json &m) { return !byId({m}, id).is_null(); });
  }
  // The params of the first notification of `method` for which `pred` holds; null if none came.
  json notification(const std::string &method, const std::function<bool(const json &)> &pred) {
    const json m = waitFor([&](const json &msg) {
      return !msg.contains("id") && msg.value("method", "") == method &&
             pred(msg.value("params", json()));
    });
    return m.is_null() ? m : m.value("params", json());
  }
  // Reads until the server closes its output.
  void readToEnd() {
    while (readSome(60000)) {
    }
  }

  std::vector<json> msgs; // every message received, in order

protected:
  // Waits up to `ms` for output; false at end of output or on timeout.
  bool readSome(int ms) {
    if (out_ < 0)
      return false;
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0)
      return false;
    char chunk[65536];
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n <= 0) {
      ::close(out_);
      out_ = -1;
      return false;
    }
    buf_.append(chunk, static_cast<size_t>(n));
    parse();
    return true;
  }
  // The server always frames correctly: "Content-Length: N\r\n\r\n" then N bytes.
  void parse() {
    for (;;) {
      const size_t end = buf_.find("\r\n\r\n");
      if (end == std::string::npos)
        return;
      REQUIRE(buf_.compare(0, 16, "Content-Length: ") == 0);
      const size_t len = std::stoul(buf_.substr(16, end - 16));
      if (buf_.size() < end + 4 + len)
        return;
      msgs.push_back(json::parse(buf_.substr(end + 4, len)));
      buf_.erase(0, end + 4 + len);
    }
  }
  std::atomic<int> in_{-1}; // closed by a writer thread or by the reader
  int out_ = -1;
  std::string buf_;
};

// The real binary: `mantra --db DB serve` in `cwd` (default: the project), with HOME set to
// `home` (default: an empty folder, so that the start-up index finds nothing) and every other
// variable that moves an agent's folders or Mantra's config removed.
class ServerProcess : public Peer {
public:
  explicit ServerProcess(const std::string &db, const std::string &homeDir = "",
                         const std::string &cwd = MANTRA_SOURCE_DIR) {
    const std::string home = homeDir.empty() ? tmp_ / "home" : homeDir;
    fs::create_directories(home);
    fs::create_directories(tmp_ / "config");
    std::vector<std::string> env;
    static const std::set<std::string> drop = {
        "HOME",          "CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "XDG_CONFIG_HOME",
        "XDG_DATA_HOME", "MANTRA_DB"};
    for (char **e = environ; *e; ++e) {
      const std::string s = *e;
      if (!drop.count(s.substr(0, s.find('='))))
        env.push_back(s);
    }
    env.push_back("HOME=" + home);
    env.push_back("XDG_CONFIG_HOME=" + (tmp_ / "config"));
    std::vector<char *> envp;
    for (auto &s : env)
      envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = {MANTRA_BINARY, "--db", db, "serve"};
    std::vector<char *> argv;
    for (auto &s : args)
      argv.push_back(s.data());
    argv.push_back(nullptr);
    const std::string errPath = tmp_ / "err";
    int in[2], out[2];
    REQUIRE(::pipe(in) == 0);
    REQUIRE(::pipe(out) == 0);
    started = std::chrono::steady_clock::now();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) { // only async-signal-safe calls from here on
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      const int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(err, 2);
      for (int fd : {in[0], in[1], out[0], out[1], err})
        ::close(fd);
      if (::chdir(cwd.c_str()) != 0)
        ::_exit(126);
      ::execve(MANTRA_BINARY, argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    in_ = in[1];
    out_ = out[0];
  }
  ~ServerProcess() override {
    closeInput();
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Closes the input, reads everything, and returns the exit code (-1 when killed by a signal).
  int wait() {
    closeInput();
    readToEnd();
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string log() const { return readFile(tmp_ / "err"); }
  std::chrono::steady_clock::time_point started;

private:
  TempDir tmp_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// The dispatcher in-process, on its own thread, over two pipes.
class InProcessServer : public Peer {
public:
  explicit InProcessServer(rpc::ServerOptions opts) {
    int in[2], out[2];
    REQUIRE(::pipe(in) == 0);
    REQUIRE(::pipe(out) == 0);
    in_ = in[1];
    out_ = out[0];
    if (!opts.log)
      opts.log = [this](const std::string &line) {
        std::lock_guard<std::mutex> lock(logMu_);
        log_ += line + "\n";
      };
    thread_ = std::thread([this, opts = std::move(opts), rd = in[0], wr = out[1]]() mutable {
      {
        rpc::Transport t(rd, wr, opts.log);
        rpc::Server s(std::move(opts));
        exitCode_ = s.run(t);
      }
      ::close(wr);
      ::close(rd);
    });
  }
  ~InProcessServer() override {
    closeInput();
    if (thread_.joinable()) {
      readToEnd();
      thread_.join();
    }
  }
  int wait() {
    closeInput();
    readToEnd();
    thread_.join();
    return exitCode_;
  }
  std::string log() {
    std::lock_guard<std::mutex> lock(logMu_);
    return log_;
  }

private:
  std::thread thread_;
  int exitCode_ = -1;
  std::mutex logMu_;
  std::string log_;
};

struct Run {
  int exitCode = -1;
  std::vector<json> msgs;
  std::string log;
};

inline rpc::ServerOptions inProcessOptions(const std::string &db) {
  rpc::ServerOptions o;
  o.database = db;
  return o;
}

// Feeds `input` to an in-process server (from another thread: the server's output is read
// meanwhile) and collects everything it says until it ends.
inline Run runInProcess(const std::string &input, rpc::ServerOptions opts) {
  InProcessServer s(std::move(opts));
  std::thread writer([&] {
    s.send(input);
    s.closeInput();
  });
  Run r;
  s.readToEnd(); // while the writer writes: the server's output must not fill up
  writer.join();
  r.exitCode = s.wait();
  r.msgs = s.msgs;
  r.log = s.log();
  return r;
}
inline Run runInProcess(const std::string &input, const std::string &db) {
  return runInProcess(input, inProcessOptions(db));
}

// The same with the real binary.
inline Run runBinary(const std::string &input, const std::string &db) {
  ServerProcess p(db);
  std::thread writer([&] {
    p.send(input);
    p.closeInput();
  });
  p.readToEnd();
  writer.join();
  Run r;
  r.exitCode = p.wait();
  r.msgs = p.msgs;
  r.log = p.log();
  return r;
}

// A database indexed from the generated Claude Code fixture, shared by the tests of one run.
// Tests that write to it work on a copy (copyDb).
inline const std::string &fixtureDb() {
  static TempDir dir;
  static const std::string db = [] {
    const std::string path = dir / "mantra.db";
    const auto r = runMantra("--db " + shellQuote(path) + " index --json " +
                             shellQuote(fixture("generated/claude/home").string()));
    REQUIRE(r.exitCode == 0);
    return path;
  }();
  return db;
}
inline std::string copyDb(const std::string &from, const TempDir &to) {
  const std::string db = to / "mantra.db";
  fs::copy_file(from, db, fs::copy_options::overwrite_existing);
  if (fs::exists(from + "-wal"))
    fs::copy_file(from + "-wal", db + "-wal", fs::copy_options::overwrite_existing);
  return db;
}

// --- a small JSON Schema validator: type, required, properties, additionalProperties (bool),
// items, enum, const, minimum, anyOf, local $ref (#/$defs/…). Returns the first problem, or "".
inline std::string validate(const json &v, const json &s, const json &root, const std::string &at) {
  if (s.contains("$ref")) {
    const std::string ref = s["$ref"];
    REQUIRE(ref.rfind("#/$defs/", 0) == 0);
    return validate(v, root["$defs"][ref.substr(8)], root, at);
  }
  if (s.contains("anyOf")) {
    std::string first;
    for (const auto &alt : s["anyOf"]) {
      const std::string e = validate(v, alt, root, at);
      if (e.empty())
        return "";
      if (first.empty())
        first = e;
    }
    return at + ": matches no alternative (" + first + ")";
  }
  if (s.contains("type")) {
    const json types = s["type"].is_array() ? s["type"] : json::array({s["type"]});
    bool ok = false;
    for (const auto &t : types) {
      const std::string n = t;
      ok = ok || (n == "object" && v.is_object()) || (n == "array" && v.is_array()) ||
           (n == "string" && v.is_string()) || (n == "integer" && v.is_number_integer()) ||
           (n == "number" && v.is_number()) || (n == "boolean" && v.is_boolean()) ||
           (n == "null" && v.is_null());
    }
    if (!ok)
      return at + ": expected " + types.dump() + ", got " + v.dump().substr(0, 80);
  }
  if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
    return at + ": not in enum";
  if (s.contains("const") && s["const"] != v)
    return at + ": not " + s["const"].dump();
  if (s.contains("minimum") && v.is_number() && v.get<double>() < s["minimum"].get<double>())
    return at + ": below minimum";
  if (v.is_object()) {
    for (const auto &k : s.value("required", json::array()))
      if (!v.contains(k.get<std::string>()))
        return at + "." + k.get<std::string>() + ": required";
    const json props = s.value("properties", json::object());
    for (const auto &[k, sub] : v.items()) {
      if (props.contains(k)) {
        if (auto e = validate(sub, props[k], root, at + "." + k); !e.empty())
          return e;
      } else if (s.value("additionalProperties", true) == false) {
        return at + "." + k + ": not allowed";
      }
    }
  }
  if (v.is_array() && s.contains("items"))
    for (size_t i = 0; i < v.size(); ++i)
      if (auto e = validate(v[i], s["items"], root, at + "[" + std::to_string(i) + "]"); !e.empty())
        return e;
  return "";
}

inline fs::path protocolDir() { return fs::path(MANTRA_SOURCE_DIR) / "protocol"; }

// protocol/schema/<name>.<kind>.schema.json for a method ("mantra/" and "$/" dropped).
inline fs::path schemaPath(const std::string &method, const std::string &kind) {
  std::string name = method;
  for (const char *prefix : {"mantra/", "$/"})
    if (name.rfind(prefix, 0) == 0)
      name = name.substr(std::string(prefix).size());
  return protocolDir() / "schema" / (name + "." + kind + ".schema.json");
}

// Checks a message part against its schema when that file exists.
inline void checkSchema(const std::string &method, const std::string &kind, const json &v) {
  const fs::path p = schemaPath(method, kind);
  if (!fs::exists(p))
    return;
  const json schema = json::parse(readFile(p));
  INFO(p.string());
  CHECK(validate(v, schema, schema, kind) == "");
}

// Checks every notification and error in `msgs` against the schemas.
inline void checkMessages(const std::vector<json> &msgs) {
  const json errorSchema = json::parse(readFile(protocolDir() / "schema" / "error.schema.json"));
  for (const auto &m : msgs) {
    if (m.contains("method"))
      checkSchema(m["method"], "params", m.value("params", json()));
    if (m.contains("error"))
      CHECK(validate(m["error"], errorSchema, errorSchema, "error") == "");
  }
}

// Structural equality; numbers compared loosely, keys whose value varies from run to run
// (times, sizes, the database path) skipped at any depth, and the scores of search results
// (their recency factor moves with the clock).
inline bool sameShape(const json &a, const json &b, std::string &where,
                      const std::string &at = "$") {
  static const std::set<std::string> ignore = {"ms", "database", "bytes", "lastIndexed", "seconds"};
  if (a.is_number() && b.is_number() && at.size() > 6 &&
      at.compare(at.size() - 6, 6, ".score") == 0 &&
      (at.find(".sessions[") != std::string::npos || at.find(".hits[") != std::string::npos))
    return true;
  if (a.is_number() && b.is_number()) {
    if (std::abs(a.get<double>() - b.get<double>()) <=
        1e-6 * std::max(1.0, std::abs(a.get<double>())))
      return true;
  } else if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (const auto &[k, v] : a.items())
      keys.insert(k);
    for (const auto &[k, v] : b.items())
      keys.insert(k);
    for (const auto &k : keys) {
      if (ignore.count(k))
        continue;
      if (!a.contains(k) || !b.contains(k)) {
        where = at + "." + k + " missing on one side";
        return false;
      }
      if (!sameShape(a[k], b[k], where, at + "." + k))
        return false;
    }
    return true;
  } else if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i)
      if (!sameShape(a[i], b[i], where, at + "[" + std::to_string(i) + "]"))
        return false;
    return true;
  } else if (a == b) {
    return true;
  }
  where = at + ": " + a.dump().substr(0, 100) + " vs " + b.dump().substr(0, 100);
  return false;
}

} // namespace mantra::test
