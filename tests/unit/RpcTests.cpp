// Tests for `mantra serve` (server/rpc): the dispatcher in-process over pipes, the real binary as
// a child process on an indexed fixture database, the protocol/examples transcripts replayed and
// every response checked against protocol/schema, and a seeded fuzz of broken frames.
#include "TestSupport.h"

#include "rpc/Server.h"
#include "rpc/Transport.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <random>
#include <set>
#include <thread>

using namespace mantra;
using namespace mantra::test;
using nlohmann::json;

namespace {

std::string frame(const std::string &body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}
std::string frame(const json &j) { return frame(j.dump()); }
json req(const json &id, const std::string &method, const json &params = json()) {
  json j = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null())
    j["params"] = params;
  return j;
}
json note(const std::string &method) { return {{"jsonrpc", "2.0"}, {"method", method}}; }

// Splits the server's output into message bodies (the server always frames correctly).
std::vector<json> parseFrames(const std::string &out) {
  std::vector<json> msgs;
  size_t pos = 0;
  while (pos < out.size()) {
    const size_t end = out.find("\r\n\r\n", pos);
    REQUIRE(end != std::string::npos);
    REQUIRE(out.compare(pos, 16, "Content-Length: ") == 0);
    const size_t len = std::stoul(out.substr(pos + 16, end - pos - 16));
    msgs.push_back(json::parse(out.substr(end + 4, len)));
    pos = end + 4 + len;
  }
  return msgs;
}

// The response with this id, or null.
json byId(const std::vector<json> &msgs, const json &id) {
  for (const auto &m : msgs)
    if (m.value("id", json()) == id)
      return m;
  return json();
}

void writeAll(int fd, const std::string &s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n <= 0)
      break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}
std::string readAll(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

struct Run {
  int exitCode = -1;
  std::vector<json> msgs;
  std::string log;
};

// The dispatcher in-process: a writer thread feeds `input` through one pipe, the server runs on
// its own thread, its output comes back through another pipe.
Run runInProcess(const std::string &input, const std::string &db) {
  int in[2], out[2];
  REQUIRE(::pipe(in) == 0);
  REQUIRE(::pipe(out) == 0);
  Run r;
  std::thread writer(writeAll, in[1], input);
  std::thread server([&] {
    rpc::Transport t(in[0], out[1], [&](const std::string &line) { r.log += line + "\n"; });
    rpc::Server s(rpc::ServerOptions{db});
    r.exitCode = s.run(t);
    ::close(out[1]);
    ::close(in[0]);
  });
  const std::string output = readAll(out[0]);
  writer.join();
  server.join();
  r.msgs = parseFrames(output);
  return r;
}

// The real binary: `mantra --db DB serve`, stdin from `input`, stderr captured.
Run runBinary(const std::string &input, const std::string &db) {
  TempDir tmp;
  int in[2], out[2];
  REQUIRE(::pipe(in) == 0);
  REQUIRE(::pipe(out) == 0);
  const std::string errPath = tmp / "err";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    const int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(err, 2);
    for (int fd : {in[0], in[1], out[0], out[1], err})
      ::close(fd);
    ::execl(MANTRA_BINARY, MANTRA_BINARY, "--db", db.c_str(), "serve",
            static_cast<char *>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  std::thread writer(writeAll, in[1], input);
  const std::string output = readAll(out[0]);
  writer.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  Run r;
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.msgs = parseFrames(output);
  r.log = readFile(errPath);
  return r;
}

// A database indexed from the generated Claude Code fixture, shared by the tests of one run.
const std::string &fixtureDb() {
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

// --- a small JSON Schema validator: type, required, properties, additionalProperties (bool),
// items, enum, minimum, local $ref (#/$defs/…). Returns the first problem, or "".
std::string validate(const json &v, const json &s, const json &root, const std::string &at) {
  if (s.contains("$ref")) {
    const std::string ref = s["$ref"];
    REQUIRE(ref.rfind("#/$defs/", 0) == 0);
    return validate(v, root["$defs"][ref.substr(8)], root, at);
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

fs::path protocolDir() { return fs::path(MANTRA_SOURCE_DIR) / "protocol"; }

// Checks a message against protocol/schema/<method>.<kind>.schema.json when that file exists.
void checkSchema(const std::string &method, const std::string &kind, const json &v) {
  std::string name = method.rfind("mantra/", 0) == 0 ? method.substr(7) : method;
  const fs::path p = protocolDir() / "schema" / (name + "." + kind + ".schema.json");
  if (!fs::exists(p))
    return;
  const json schema = json::parse(readFile(p));
  INFO(p.string());
  CHECK(validate(v, schema, schema, kind) == "");
}

// Structural equality; numbers compared loosely, keys in `ignore` skipped at any depth.
bool sameShape(const json &a, const json &b, std::string &where, const std::string &at = "$") {
  static const std::set<std::string> ignore = {"ms", "database"};
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

std::string initFrame(int id = 0) {
  return frame(req(id, "initialize", json::object())) + frame(note("initialized"));
}
std::string endFrames(int id = 999) { return frame(req(id, "shutdown")) + frame(note("exit")); }

int errorCode(const json &m) {
  return m.is_object() && m.contains("error") ? m["error"].value("code", 0) : 0;
}

} // namespace

TEST_CASE("rpc: the real server answers a whole session and exits 0", "[rpc]") {
  const std::vector<json> reqs = {
      req(1, "initialize", {{"clientInfo", {{"name", "test"}}}}),
      note("initialized"),
      req(2, "mantra/sessions", {{"limit", 5}}),
      req(3, "mantra/session", {{"session", "f2d6"}, {"from", 1}, {"to", 3}}),
      req(4, "mantra/search", {{"query", "verbose"}, {"limit", 3}}),
      req(5, "mantra/status"),
      req(6, "shutdown"),
      note("exit")};
  std::string input;
  for (const auto &r : reqs)
    input += frame(r);
  const Run run = runBinary(input, fixtureDb());
  CHECK(run.exitCode == 0);
  REQUIRE(run.msgs.size() == 6); // notifications get no response
  const json init = byId(run.msgs, 1)["result"];
  CHECK(init["serverInfo"]["name"] == "mantra");
  CHECK(init["database"] == fixtureDb());
  CHECK(byId(run.msgs, 2)["result"]["sessions"].size() == 1);
  const json session = byId(run.msgs, 3)["result"];
  CHECK(session["session"]["id"] == "claude:f2d6f4b6-9e33-45d2-bedd-760d95df010b");
  CHECK(session["events"].size() == 3);
  CHECK_FALSE(byId(run.msgs, 4)["result"]["hits"].empty());
  CHECK(byId(run.msgs, 5)["result"]["sessions"] == 1);
  CHECK(byId(run.msgs, 6)["result"].is_null());
  for (const auto &r : reqs)
    if (r.contains("id")) {
      checkSchema(r["method"], "params", r.value("params", json::object()));
      checkSchema(r["method"], "result", byId(run.msgs, r["id"])["result"]);
    }
}

TEST_CASE("rpc: sessions and session return exactly the CLI's --json", "[rpc]") {
  const std::string dbArg = "--db " + shellQuote(fixtureDb());
  const Run run =
      runInProcess(initFrame() + frame(req(1, "mantra/sessions")) +
                       frame(req(2, "mantra/session", {{"session", "f2d6"}})) + endFrames(),
                   fixtureDb());
  CHECK(byId(run.msgs, 1)["result"] == runMantra(dbArg + " sessions --json").json());
  CHECK(byId(run.msgs, 2)["result"] == runMantra(dbArg + " show --json f2d6").json());
}

TEST_CASE("rpc: every protocol/examples transcript replays against the real server", "[rpc]") {
  size_t files = 0;
  for (const auto &entry : fs::directory_iterator(protocolDir() / "examples")) {
    if (entry.path().extension() != ".json")
      continue;
    ++files;
    INFO(entry.path().string());
    const json transcript = json::parse(readFile(entry.path()));
    std::string input;
    for (const auto &step : transcript)
      input += frame(step["request"]);
    const Run run = runBinary(input, fixtureDb());
    for (const auto &step : transcript) {
      const json &rq = step["request"];
      if (!rq.contains("id"))
        continue;
      const json got = byId(run.msgs, rq["id"]);
      std::string where;
      CHECK(sameShape(got, step["response"], where));
      INFO(where);
      CHECK(where == "");
      if (got.contains("result"))
        checkSchema(rq["method"], "result", got["result"]);
    }
  }
  CHECK(files >= 2);
}

TEST_CASE("rpc: lifecycle errors and exit codes", "[rpc]") {
  SECTION("a request before initialize is ServerNotInitialized") {
    const Run run = runInProcess(frame(req(1, "mantra/status")) + initFrame(2) +
                                     frame(req(3, "mantra/status")) + endFrames(),
                                 fixtureDb());
    CHECK(errorCode(byId(run.msgs, 1)) == -32002);
    CHECK(byId(run.msgs, 3).contains("result"));
    CHECK(run.exitCode == 0);
  }
  SECTION("exit without shutdown exits 1") {
    CHECK(runBinary(initFrame() + frame(note("exit")), fixtureDb()).exitCode == 1);
  }
  SECTION("end of input exits 1") { CHECK(runInProcess(initFrame(), fixtureDb()).exitCode == 1); }
  SECTION("requests after shutdown are refused") {
    const Run run = runInProcess(initFrame() + frame(req(1, "shutdown")) +
                                     frame(req(2, "mantra/status")) + frame(note("exit")),
                                 fixtureDb());
    CHECK(errorCode(byId(run.msgs, 2)) == -32600);
    CHECK(run.exitCode == 0);
  }
}

TEST_CASE("rpc: malformed messages get the right error and the server keeps reading", "[rpc]") {
  const std::string input =
      initFrame() + frame(std::string("{not json")) + frame(req(1, "mantra/status")) +
      "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{\"x\":1}" +
      frame(req(2, "mantra/status")) + "content-length: 99999999999\r\n\r\n" +
      "CONTENT-LENGTH: " + std::to_string(req(3, "mantra/status").dump().size()) +
      "\r\ncontent-type: application/json\r\n\r\n" + req(3, "mantra/status").dump() +
      frame(req(4, "mantra/nope")) + frame(note("mantra/unknownNotification")) +
      frame(req(5, "mantra/session", {{"session", "f2d6"}, {"from", "one"}})) +
      frame(req(6, "mantra/session")) + frame(req(7, "mantra/search", {{"query", "\"open"}})) +
      frame(req(8, "mantra/session", {{"session", "nosuchsession"}})) +
      frame(req(9, "mantra/sessions", {{"limit", 0}})) +
      frame(req(10, "mantra/sessions", json::array())) +
      frame(json{{"jsonrpc", "2.0"}, {"id", 11}}) +
      frame(json{{"id", 12}, {"method", "mantra/status"}}) + frame(std::string("[1,2]")) +
      frame(std::string("\xff\xfe")) + endFrames();
  const Run run = runInProcess(input, fixtureDb());
  CHECK(run.exitCode == 0);
  size_t parseErrors = 0;
  for (const auto &m : run.msgs)
    parseErrors += errorCode(m) == -32700 && m["id"].is_null();
  CHECK(parseErrors == 2);
  CHECK(byId(run.msgs, 1).contains("result"));
  CHECK(byId(run.msgs, 2).contains("result"));
  CHECK(byId(run.msgs, 3).contains("result"));
  CHECK(run.log.find("no Content-Length header") != std::string::npos);
  CHECK(run.log.find("Content-Length is not a number") != std::string::npos);
  CHECK(errorCode(byId(run.msgs, 4)) == -32601);
  CHECK(byId(run.msgs, 5)["error"]["message"] == "params.from: expected integer");
  CHECK(byId(run.msgs, 6)["error"]["message"] == "params.session: required");
  CHECK(byId(run.msgs, 7)["error"]["message"] == "params.query: unclosed quote at column 1");
  CHECK(errorCode(byId(run.msgs, 8)) == -32001);
  CHECK(byId(run.msgs, 9)["error"]["message"] == "params.limit: must be positive");
  CHECK(byId(run.msgs, 10)["error"]["message"] == "params: expected object");
  CHECK(errorCode(byId(run.msgs, 11)) == -32600);
  CHECK(errorCode(byId(run.msgs, 12)) == -32600);
  for (const auto &m : run.msgs) // notifications are never answered
    CHECK((m.contains("result") || m.contains("error")));
}

TEST_CASE("rpc: random and truncated frames never stop the server from answering", "[rpc]") {
  std::mt19937 rng(20261125);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto randomBytes = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i)
      s += static_cast<char>(rng() % 256);
    return s;
  };
  std::string input = initFrame();
  std::set<std::string> expected;
  for (int i = 0; i < 400; ++i) {
    const std::string id = "v" + std::to_string(i);
    const std::string valid =
        frame(req(id, i % 2 ? "mantra/status" : "mantra/sessions", {{"limit", 1}}));
    switch (pick(5)) {
    case 0: // random body, honest length
      input += frame(randomBytes(pick(200)));
      break;
    case 1: // truncated JSON body, honest length
      input += frame(valid.substr(valid.find("\r\n\r\n") + 4, pick(valid.size() / 2)));
      break;
    case 2: // a header block cut short before its blank line
      input += valid.substr(0, pick(valid.find("\r\n\r\n") + 3));
      break;
    case 3: // bytes with no header at all, or a huge header
      input += pick(2) ? randomBytes(pick(100)) : "X-Pad: " + std::string(70000, 'a') + "\r\n\r\n";
      break;
    default: // well-formed JSON that is not a valid request
      input += frame(json{{"jsonrpc", "2.0"}, {"id", json::array()}, {"method", 7}});
    }
    input += valid;
    expected.insert(id);
  }
  input += endFrames();
  const auto t0 = std::chrono::steady_clock::now();
  const Run run = runInProcess(input, fixtureDb());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(run.exitCode == 0);
  std::set<std::string> answered;
  for (const auto &m : run.msgs)
    if (m["id"].is_string() && m.contains("result"))
      answered.insert(m["id"].get<std::string>());
  CHECK(answered == expected);
}
