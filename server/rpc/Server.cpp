// The JSON-RPC dispatcher and its handlers (see Server.h). The binding table in the constructor
// is the list of methods; each handler is unpack → core → shapes (core/Json.h).
#include "rpc/Server.h"

#include "core/Json.h"
#include "search/Search.h"

#include <chrono>
#include <climits>
#include <filesystem>

namespace mantra::rpc {
namespace {

using nlohmann::json;

// Reads typed fields out of `params`, remembering the first problem as "params.<field>: …".
// Absent and null fields leave the output unchanged.
class ParamReader {
public:
  explicit ParamReader(const json &p) : p_(p) {
    if (!p.is_null() && !p.is_object())
      fail("params", "expected object");
  }
  void string(const char *key, std::string &out, bool required = false) {
    if (const json *v = field(key, required)) {
      if (v->is_string())
        out = v->get<std::string>();
      else
        fail(key, "expected string");
    }
  }
  void integer(const char *key, int64_t &out, bool required = false) {
    if (const json *v = field(key, required)) {
      if (v->is_number_integer())
        out = v->get<int64_t>();
      else if (v->is_number_unsigned())
        out = INT64_MAX; // above int64: as large as it gets
      else
        fail(key, "expected integer");
    }
  }
  void positive(const char *key, int64_t &out) {
    integer(key, out);
    if (!error_ && out <= 0)
      fail(key, "must be positive");
  }
  const std::optional<RpcError> &error() const { return error_; }

private:
  const json *field(const char *key, bool required) {
    if (error_)
      return nullptr;
    const json *v = nullptr;
    if (p_.is_object())
      if (auto it = p_.find(key); it != p_.end() && !it->is_null())
        v = &*it;
    if (!v && required)
      fail(key, "required");
    return v;
  }
  void fail(const std::string &key, const std::string &what) {
    if (!error_)
      error_ = RpcError{InvalidParams, (key == "params" ? key : "params." + key) + ": " + what};
  }
  const json &p_;
  std::optional<RpcError> error_;
};

// A core error as a JSON-RPC error. Parse errors name the param they came from.
RpcError fromCore(const Error &e, const char *param = nullptr) {
  switch (e.code) {
  case ErrorCode::NotFound:
    return {NotFound, e.message};
  case ErrorCode::Ambiguous:
    return {Ambiguous, e.message};
  case ErrorCode::Parse:
  case ErrorCode::Invalid:
    return {InvalidParams, param ? "params." + e.message : e.message};
  default:
    return {DatabaseError, e.message};
  }
}

json errorResponse(const json &id, const RpcError &e) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", e.code}, {"message", e.message}}}};
}

} // namespace

// --- params --------------------------------------------------------------------------------

struct Server::NoParams {
  static std::optional<RpcError> read(const json &j, NoParams &) { return ParamReader(j).error(); }
};
struct Server::InitializeParams {
  std::string clientName; // informational only
  static std::optional<RpcError> read(const json &j, InitializeParams &) {
    return ParamReader(j).error(); // clientInfo, workspaceFolders: accepted, not used yet
  }
};
struct Server::SessionsParams {
  std::string agent, project;
  int64_t limit = 20;
  static std::optional<RpcError> read(const json &j, SessionsParams &p) {
    ParamReader r(j);
    r.string("agent", p.agent);
    r.string("project", p.project);
    r.positive("limit", p.limit);
    return r.error();
  }
};
struct Server::SessionParams {
  std::string session;
  int64_t from = 1, to = INT64_MAX;
  static std::optional<RpcError> read(const json &j, SessionParams &p) {
    ParamReader r(j);
    r.string("session", p.session, true);
    r.integer("from", p.from);
    r.integer("to", p.to);
    return r.error();
  }
};
struct Server::SearchParams {
  std::string query;
  int64_t limit = 20;
  static std::optional<RpcError> read(const json &j, SearchParams &p) {
    ParamReader r(j);
    r.string("query", p.query, true);
    r.positive("limit", p.limit);
    if (!r.error() && p.query.empty())
      return RpcError{InvalidParams, "params.query: must not be empty"};
    return r.error();
  }
};

// --- the binding table ---------------------------------------------------------------------

template <typename P> void Server::bind(const std::string &name, Reply (Server::*h)(const P &)) {
  requests_[name] = [this, h](const json &params) -> Reply {
    P p;
    if (auto err = P::read(params, p))
      return *err;
    return (this->*h)(p);
  };
}

void Server::notification(const std::string &name, void (Server::*h)()) {
  notifications_[name] = h;
}

Server::Server(ServerOptions opts) : opts_(std::move(opts)) {
  bind("initialize", &Server::onInitialize);
  bind("shutdown", &Server::onShutdown);
  bind("mantra/sessions", &Server::onSessions);
  bind("mantra/session", &Server::onSession);
  bind("mantra/search", &Server::onSearch);
  bind("mantra/status", &Server::onStatus);
  notification("initialized", &Server::onInitialized);
  notification("exit", &Server::onExit);
}

Server::~Server() = default;

std::vector<std::string> Server::methods() const {
  std::vector<std::string> out;
  for (const auto &[name, h] : requests_)
    out.push_back(name);
  for (const auto &[name, h] : notifications_)
    out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

Store *Server::store(RpcError &err) {
  if (!store_) {
    auto s = Store::open(opts_.database);
    if (!s) {
      err = RpcError{DatabaseError, s.error().message};
      return nullptr;
    }
    store_ = std::move(*s);
  }
  return store_.get();
}

// --- handlers ------------------------------------------------------------------------------

Reply Server::onInitialize(const InitializeParams &) {
  if (initialized_)
    return RpcError{InvalidRequest, "initialize: already initialized"};
  initialized_ = true;
  return json{{"serverInfo", {{"name", "mantra"}, {"version", MANTRA_VERSION}}},
              {"capabilities", {{"methods", methods()}}},
              {"database", opts_.database}};
}

Reply Server::onShutdown(const NoParams &) {
  shutdown_ = true;
  return json(nullptr);
}

void Server::onInitialized() {}

void Server::onExit() { exited_ = true; }

Reply Server::onSessions(const SessionsParams &p) {
  RpcError err;
  Store *s = store(err);
  if (!s)
    return err;
  SessionFilter f{p.agent,
                  p.project.empty() ? ""
                                    : std::filesystem::path(p.project).lexically_normal().string(),
                  static_cast<int>(std::min<int64_t>(p.limit, INT32_MAX))};
  auto rows = s->sessions(f);
  if (!rows)
    return fromCore(rows.error());
  json list = json::array();
  for (const auto &row : *rows)
    list.push_back(sessionJson(row));
  return json{{"sessions", list}};
}

Reply Server::onSession(const SessionParams &p) {
  RpcError err;
  Store *s = store(err);
  if (!s)
    return err;
  auto row = s->session(p.session);
  if (!row)
    return fromCore(row.error());
  auto events = s->events(row->id, p.from, p.to);
  if (!events)
    return fromCore(events.error());
  json list = json::array();
  for (const auto &e : *events)
    list.push_back(eventJson(e));
  return json{{"session", sessionJson(*row)}, {"events", list}};
}

Reply Server::onSearch(const SearchParams &p) {
  RpcError err;
  Store *s = store(err);
  if (!s)
    return err;
  const auto t0 = std::chrono::steady_clock::now();
  auto hits =
      search(*s, SearchOptions{p.query, static_cast<int>(std::min<int64_t>(p.limit, INT32_MAX))});
  if (!hits)
    return fromCore(hits.error(), "query");
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  json list = json::array();
  for (const auto &h : *hits)
    list.push_back(hitJson(h));
  return json{{"hits", list}, {"ms", ms}};
}

Reply Server::onStatus(const NoParams &) {
  RpcError err;
  Store *s = store(err);
  if (!s)
    return err;
  auto c = s->counts();
  if (!c)
    return fromCore(c.error());
  return json{{"database", s->path()},
              {"sessions", c->sessions},
              {"events", c->events},
              {"sources", c->sources}};
}

// --- dispatch ------------------------------------------------------------------------------

Reply Server::call(const std::string &method, const json &params) {
  auto it = requests_.find(method);
  if (it == requests_.end())
    return RpcError{MethodNotFound, "unknown method '" + method + "'"};
  if (!initialized_ && method != "initialize")
    return RpcError{ServerNotInitialized,
                    "the server is not initialized (send 'initialize' first)"};
  if (shutdown_)
    return RpcError{InvalidRequest, "the server is shutting down (only 'exit' is accepted)"};
  return it->second(params);
}

// A parsed message → the response, if any. Checks the JSON-RPC shape first.
std::optional<json> Server::dispatch(const json &msg) {
  if (!msg.is_object())
    return errorResponse(nullptr, {InvalidRequest, msg.is_array() ? "batches are not supported"
                                                                  : "a message must be an object"});
  const auto idIt = msg.find("id");
  const bool hasId = idIt != msg.end();
  const json id = hasId ? *idIt : json(nullptr);
  const bool idOk = id.is_null() || id.is_string() || id.is_number_integer();
  const auto m = msg.find("method");
  if (m == msg.end() && hasId && (msg.contains("result") || msg.contains("error")))
    return std::nullopt; // a response from the client: we send no requests yet
  if (msg.value("jsonrpc", json()) != "2.0" || m == msg.end() || !m->is_string() || !idOk)
    return errorResponse(idOk ? id : json(nullptr),
                         {InvalidRequest, "not a JSON-RPC 2.0 request (jsonrpc, method, id)"});
  const json params = msg.value("params", json());
  const std::string method = m->get<std::string>();
  if (!hasId) { // a notification: never answered; unknown ones are ignored
    if (auto n = notifications_.find(method); n != notifications_.end())
      if (initialized_ || method == "exit")
        (this->*(n->second))();
    return std::nullopt;
  }
  Reply r = [&]() -> Reply {
    try {
      return call(method, params);
    } catch (const std::exception &e) {
      return RpcError{InternalError, "internal error in " + method + ": " + e.what()};
    } catch (...) {
      return RpcError{InternalError, "internal error in " + method};
    }
  }();
  if (r.error)
    return errorResponse(id, *r.error);
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(r.result)}};
}

std::optional<std::string> Server::handle(const std::string &body) {
  try {
    json msg = json::parse(body);
    auto out = dispatch(msg);
    if (!out)
      return std::nullopt;
    return out->dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const json::parse_error &e) {
    // The message does not quote the body: it may hold a secret or invalid UTF-8.
    return errorResponse(
               nullptr, {ParseError, "parse error: invalid JSON at byte " + std::to_string(e.byte)})
        .dump();
  } catch (const std::exception &e) { // outside any handler: keep serving
    return errorResponse(nullptr, {InternalError, e.what()})
        .dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

int Server::run(Transport &transport) {
  while (!exited_) {
    auto body = transport.read();
    if (!body)
      break; // end of input without exit: code 1 unless shut down
    if (auto out = handle(*body))
      if (!transport.write(*out))
        break;
  }
  return exitCode();
}

} // namespace mantra::rpc
