// Helpers shared by the tests: temporary folders, fixture paths, reading files, running the real
// `mantra` binary.
#pragma once

#include "ingest/Adapter.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace mantra::test {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mantra-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const fs::path &path() const { return path_; }
  std::string operator/(const std::string &name) const { return (path_ / name).string(); }

private:
  fs::path path_;
};

// The project's own fixtures (tests/fixtures/…), always present.
inline fs::path fixture(const std::string &rel) {
  return fs::path(MANTRA_SOURCE_DIR) / "tests" / "fixtures" / rel;
}

// ../shared/fixtures/real/<rel> beside the project, when it exists (CI has it; a bare clone
// does not). Empty path when absent: tests skip with a message.
inline fs::path sharedReal(const std::string &rel) {
  const fs::path p =
      fs::path(MANTRA_SOURCE_DIR).parent_path() / "shared" / "fixtures" / "real" / rel;
  std::error_code ec;
  return fs::exists(p, ec) ? p : fs::path();
}

inline std::string readFile(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const fs::path &p, const std::string &content, bool append = false) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out << content;
}

// Copies a fixture tree into `dest` and returns dest.
inline fs::path copyTree(const fs::path &from, const fs::path &dest) {
  fs::create_directories(dest);
  fs::copy(from, dest, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  return dest;
}

struct RunResult {
  int exitCode = -1;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

// Runs the real `mantra` binary with `args` (shell-quoted by the caller) and extra environment
// assignments ("MANTRA_DB=/x"), capturing stdout and stderr.
inline RunResult runMantra(const std::string &args, const std::string &env = "") {
  TempDir tmp;
  const std::string outPath = tmp / "out", errPath = tmp / "err";
  const std::string cmd = "env " + env + " " + std::string(MANTRA_BINARY) + " " + args + " >" +
                          outPath + " 2>" + errPath + " </dev/null";
  const int rc = std::system(cmd.c_str());
  RunResult r;
  r.exitCode = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = readFile(outPath);
  r.err = readFile(errPath);
  return r;
}

// Runs `cmd` with /bin/sh; returns its stdout, and its exit status in `status` (-1 when it could
// not run).
inline std::string shellOutput(const std::string &cmd, int &status) {
  std::string out;
  FILE *p = ::popen(cmd.c_str(), "r");
  if (!p) {
    status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  const int rc = ::pclose(p);
  status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

inline std::string shellQuote(const std::string &s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// A Sink that keeps everything an adapter emits, in order, for the adapter tests.
struct CollectSink : Sink {
  std::vector<SessionInfo> sessions;
  std::vector<Event> events;
  std::vector<TitleHint> hints;
  std::vector<std::pair<int64_t, std::string>> problems;
  int unknown = 0;
  void session(const SessionInfo &s) override { sessions.push_back(s); }
  void event(Event &&e) override { events.push_back(std::move(e)); }
  void titleHint(TitleHint &&h) override { hints.push_back(std::move(h)); }
  void problem(int64_t line, std::string m) override { problems.emplace_back(line, std::move(m)); }
  void unknownRecord() override { ++unknown; }

  // The texts of the events of one kind, in order.
  std::vector<std::string> texts(EventKind k) const {
    std::vector<std::string> out;
    for (const auto &e : events)
      if (e.kind == k)
        out.push_back(e.text);
    return out;
  }
  // The session metadata merged as the store would, for one session id (all when empty).
  SessionInfo merged(const std::string &id = "") const {
    SessionInfo acc;
    for (const auto &s : sessions)
      if (id.empty() || s.id == id)
        mergeSessionInfo(acc, s);
    return acc;
  }
};

} // namespace mantra::test
