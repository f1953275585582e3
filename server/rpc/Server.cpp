// The JSON-RPC dispatcher and its handlers (see Server.h). The binding table in the constructor
// is the list of methods; each handler is unpack → core → shapes (core/Json.h).
#include "rpc/Server.h"

#include "core/TimelineJson.h"
#include "timeline/Timeline.h"

#include "core/Json.h"
#include "core/OriginJson.h"
#include "search/Search.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <filesystem>

namespace mantra::rpc {
namespace {

using nlohmann::json;

json errorJson(const json &id, const RpcError &e) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", e.code}, {"message", e.message}}}};
}

// Errors whose message is one of the server's own fixed texts: nothing to redact.
bool fixedMessage(int code) {
  return code == ParseError || code == InvalidRequest || code == ServerNotInitialized ||
         code == RequestCancelled;
}

RpcError cancelled() { return RpcError{RequestCancelled, "request cancelled"}; }

// A database that cannot be opened, whatever the core's code (a bad path is not a bad param).
RpcError openError(const Error &e) { return RpcError{DatabaseError, e.message}; }

} // namespace

// --- the binding table ---------------------------------------------------------------------

// A request answered on the reader thread.
template <typename P> void Server::bind(const std::string &name, Reply (Server::*h)(const P &)) {
  requests_[name] = {[this, h](const json &params, Context *) -> Reply {
                       P p;
                       if (auto err = P::read(params, p))
                         return *err;
                       return (this->*h)(p);
                     },
                     false};
}

// A request run on a worker, with the worker's connection.
template <typename P>
void Server::bind(const std::string &name, Reply (Server::*h)(const P &, Context &)) {
  requests_[name] = {[this, h](const json &params, Context *ctx) -> Reply {
                       P p;
                       if (auto err = P::read(params, p))
                         return *err;
                       return (this->*h)(p, *ctx);
                     },
                     true};
}

void Server::notification(const std::string &name, void (Server::*h)(const json &)) {
  notifications_[name] = h;
}

Server::Server(ServerOptions opts) : opts_(std::move(opts)) {
  bind("initialize", &Server::onInitialize);
  bind("shutdown", &Server::onShutdown);
  bind("mantra/reindex", &Server::onReindex);
  bind("mantra/sessions", &Server::onSessions);
  bind("mantra/session", &Server::onSession);
  bind("mantra/search", &Server::onSearch);
  bind("mantra/event", &Server::onEvent);
  bind("mantra/files", &Server::onFiles);
  bind("mantra/fileAt", &Server::onFileAt);
  bind("mantra/diff", &Server::onDiff);
  bind("mantra/origin", &Server::onOrigin);
  bind("mantra/status", &Server::onStatus);
  notification("initialized", &Server::onInitialized);
  notification("exit", &Server::onExit);
  notification("$/cancelRequest", &Server::onCancel);

  pool_ = std::make_unique<WorkerPool>(opts_.database, opts_.workers);
  BackgroundIndex::Options io;
  io.database = opts_.database;
  io.redactor = [this] { return indexRedactor(); };
  io.adapters = opts_.makeAdapters ? opts_.makeAdapters : [] { return makeAdapters(); };
  io.notify = [this](const std::string &method, json params) { notify(method, std::move(params)); };
  io.log = [this](const std::string &line) { log(line); };
  index_ = std::make_unique<BackgroundIndex>(std::move(io));
}

// The index thread and the workers use this object: stop them before any member goes.
Server::~Server() {
  index_->stop();
  pool_->stop();
}

std::vector<std::string> Server::methods() const {
  std::vector<std::string> out;
  for (const auto &[name, h] : requests_)
    out.push_back(name);
  for (const auto &[name, h] : notifications_)
    out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

// --- redaction and output ------------------------------------------------------------------

// Compiling the rules takes tens of milliseconds: done once, on whichever thread first needs
// them (the index thread, or a worker warmed up after `initialized`), never before initialize.
void Server::makeRedactors() {
  std::call_once(redactorOnce_, [this] {
    if (!opts_.makeRedactor) {
      redactor_.emplace();
      return;
    }
    auto r = opts_.makeRedactor();
    if (r) {
      redactor_.emplace(std::move(*r));
      return;
    }
    redactorError_ = r.error();
    builtin_.emplace();
    log("redaction config: " + builtin_->redact(r.error().message) +
        " (responses use the built-in rules; indexing is off)");
  });
}

const Redactor &Server::outputRedactor() {
  makeRedactors();
  return redactor_ ? *redactor_ : *builtin_;
}

Expected<const Redactor *> Server::indexRedactor() {
  makeRedactors();
  if (redactor_)
    return &*redactor_;
  return *redactorError_;
}

void Server::send(const json &msg) {
  if (transport_)
    transport_->write(msg.dump(-1, ' ', false, json::error_handler_t::replace));
}

void Server::respond(const json &id, Reply r) {
  if (!r.error) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(r.result)}});
    return;
  }
  if (!fixedMessage(r.error->code))
    r.error->message = outputRedactor().redact(std::move(r.error->message));
  send(errorJson(id, *r.error));
}

void Server::notify(const std::string &method, json params) {
  send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
}

void Server::log(const std::string &line) {
  if (opts_.log)
    opts_.log(line);
  else
    std::fprintf(stderr, "mantra serve: %s\n", line.c_str());
}

// --- lifecycle (reader thread) -------------------------------------------------------------

Reply Server::onInitialize(const InitializeParams &p) {
  if (initialized_)
    return RpcError{InvalidRequest, "initialize: already initialized"};
  initialized_ = true;
  indexOnStart_ = p.backgroundIndex;
  return json{{"serverInfo", {{"name", "mantra"}, {"version", MANTRA_VERSION}}},
              {"capabilities", {{"methods", methods()}}},
              {"database", opts_.database}};
}

void Server::onInitialized(const json &) {
  if (opts_.backgroundIndex && indexOnStart_) {
    index_->start({});
    return;
  }
  // No index run compiles the redaction rules: compile them now, off the reader thread.
  pool_->post(std::make_shared<CancelFlag>(false), [this](Context &) { makeRedactors(); });
}

// Answers once every request read before it has been answered and the index run has stopped:
// after this response the server sends nothing more.
Reply Server::onShutdown(const NoParams &) {
  flush();
  pool_->drain();
  index_->stop();
  shutdown_ = true;
  return json(nullptr);
}

void Server::onExit(const json &) { exited_ = true; }

void Server::onCancel(const json &params) {
  const auto id = cancelledId(params);
  if (!id)
    return;
  std::lock_guard<std::mutex> lock(inflightMu_);
  auto [from, to] = inflight_.equal_range(id->dump());
  for (auto it = from; it != to; ++it)
    it->second->store(true);
}

Reply Server::onReindex(const ReindexParams &p) {
  std::vector<std::string> paths;
  for (const auto &path : p.paths) // relative to the server's working folder
    paths.push_back(std::filesystem::absolute(path).lexically_normal().string());
  const auto s = index_->start(std::move(paths));
  return json{{"started", s.started}, {"run", s.run}};
}

// --- queries (worker threads) --------------------------------------------------------------

Reply Server::onSessions(const SessionsParams &p, Context &c) {
  auto s = c.store();
  if (!s)
    return openError(s.error());
  SessionFilter f{p.agent,
                  p.project.empty() ? ""
                                    : std::filesystem::path(p.project).lexically_normal().string(),
                  static_cast<int>(std::min<int64_t>(p.limit, INT32_MAX))};
  auto rows = (*s)->sessions(f);
  if (!rows)
    return fromCore(rows.error());
  json list = json::array();
  for (const auto &row : *rows)
    list.push_back(sessionJson(row));
  return json{{"sessions", list}};
}

Reply Server::onSession(const SessionParams &p, Context &c) {
  auto s = c.store();
  if (!s)
    return openError(s.error());
  auto row = (*s)->session(p.session);
  if (!row)
    return fromCore(row.error());
  auto events = (*s)->events(row->id, p.from, p.to);
  if (!events)
    return fromCore(events.error());
  json list = json::array();
  for (const auto &e : *events)
    list.push_back(eventJson(e));
  return json{{"session", sessionJson(*row)}, {"events", list}};
}

Reply Server::onSearch(const SearchParams &p, Context &c) {
  auto s = c.store();
  if (!s)
    return openError(s.error());
  const auto t0 = std::chrono::steady_clock::now();
  SearchOptions opts;
  opts.query = p.query;
  opts.limit = static_cast<int>(std::min<int64_t>(p.limit, INT32_MAX));
  opts.byEvent = p.byEvent;
  opts.cwd = p.cwd;
  auto res = search(**s, opts);
  if (!res)
    return fromCore(res.error(), "query");
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return searchResultJson(*res, p.byEvent, ms);
}

// The stored step is redacted already (at ingest); its data passes the redactor once more on
// the way out, so rules added since it was stored apply too.
Reply Server::onEvent(const EventParams &p, Context &c) {
  auto s = c.store();
  if (!s)
    return openError(s.error());
  auto row = (*s)->session(p.session);
  if (!row)
    return fromCore(row.error());
  auto events = (*s)->events(row->id, p.seq, p.seq);
  if (!events)
    return fromCore(events.error());
  if (events->empty())
    return RpcError{NotFound, "session " + row->id + " has no step " + std::to_string(p.seq)};
  Event &e = events->front();
  outputRedactor().redactEvent(e);
  return json{{"session", row->id}, {"event", eventDetailJson(e)}};
}

Reply Server::onFiles(const FilesParams &p, Context &c) {
  auto s = c.store();
  if (!s)
    return openError(s.error());
  auto row = (*s)->session(p.session);
  if (!row)
    return fromCore(row.error());
  auto files = timeline::files(**s, *row);
  if (!files)
    return fromCore(files.error());
  return filesJson(*files, *row);
}

Reply Server::onFileAt(const FileAtParams &p, Context &c) {
  auto s = c.store();
  if (!s)
    return openError(s.error());
  const auto t0 = std::chrono::steady_clock::now();
  auto row = (*s)->session(p.session);
  if (!row)
    return fromCore(row.error());
  auto f = timeline::fileAt(**s, *row, p.seq, p.path);
  if (!f)
    return fromCore(f.error(), "path");
  json j = fileAtJson(*f, *row);
  j["ms"] =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return j;
}

Reply Server::onOrigin(const OriginParams &p, Context &c) {
  auto s = c.store();
  if (!s)
    return openError(s.error());
  auto redactor = indexRedactor(); // the rules the stored contents were redacted with
  if (!redactor)
    return fromCore(redactor.error());
  origin::Query q;
  q.path = p.path;
  q.line = p.line;
  q.text = p.text;
  q.above = p.above;
  q.below = p.below;
  const auto t0 = std::chrono::steady_clock::now();
  auto ans = finder_.find(**s, q, **redactor);
  if (!ans)
    return fromCore(ans.error(), "path");
  json j = originJson(*ans);
  j["ms"] =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return j;
}

Reply Server::onDiff(const DiffParams &p, Context &c) {
  auto s = c.store();
  if (!s)
    return openError(s.error());
  auto row = (*s)->session(p.session);
  if (!row)
    return fromCore(row.error());
  auto diffs = timeline::diff(**s, *row, p.from, p.to, p.path);
  if (!diffs)
    return fromCore(diffs.error(), "path");
  return diffsJson(*diffs, *row);
}

Reply Server::onStatus(const NoParams &, Context &c) {
  auto s = c.store();
  if (!s)
    return openError(s.error());
  auto status = readStatus(**s);
  if (!status)
    return fromCore(status.error());
  json j = statusJson(*status);
  j["indexing"] = index_->running();
  return j;
}

// --- dispatch (reader thread) --------------------------------------------------------------

Reply Server::guarded(const std::string &method, const std::function<Reply()> &f) {
  try {
    return f();
  } catch (const std::exception &e) {
    return RpcError{InternalError, "internal error in " + method + ": " + e.what()};
  } catch (...) {
    return RpcError{InternalError, "internal error in " + method};
  }
}

void Server::request(const json &id, const std::string &method, const json &params) {
  auto it = requests_.find(method);
  if (it == requests_.end())
    return respond(id, RpcError{MethodNotFound, "unknown method '" + method + "'"});
  if (!initialized_ && method != "initialize")
    return respond(id, RpcError{ServerNotInitialized,
                                "the server is not initialized (send 'initialize' first)"});
  if (shutdown_)
    return respond(
        id, RpcError{InvalidRequest, "the server is shutting down (only 'exit' is accepted)"});
  const Handler &h = it->second.handler;
  if (!it->second.pooled)
    return respond(id, guarded(method, [&] { return h(params, nullptr); }));
  auto flag = std::make_shared<CancelFlag>(false);
  {
    std::lock_guard<std::mutex> lock(inflightMu_);
    inflight_.emplace(id.dump(), flag);
  }
  pending_.push_back({flag, [this, id, method, params, flag, &h](Context &ctx) {
                        runPooled(id, method, params, h, flag, ctx);
                      }});
}

// A pooled request on its worker: runs unless cancelled meanwhile, answers -32800 if cancelled
// by the end (an interrupted query fails with a database error: the cancellation wins), and
// leaves the in-flight table before answering.
void Server::runPooled(const json &id, const std::string &method, const json &params,
                       const Handler &h, const std::shared_ptr<CancelFlag> &flag, Context &ctx) {
  Reply r = *flag ? Reply(cancelled()) : guarded(method, [&] {
    if (opts_.beforeHandler)
      opts_.beforeHandler(method, *flag);
    return h(params, &ctx);
  });
  if (*flag)
    r = cancelled();
  {
    std::lock_guard<std::mutex> lock(inflightMu_);
    auto [from, to] = inflight_.equal_range(id.dump());
    for (auto e = from; e != to; ++e)
      if (e->second == flag) {
        inflight_.erase(e);
        break;
      }
  }
  respond(id, std::move(r));
}

// Posts the requests read so far: called once the reader has seen every message that arrived
// together (and before anything that must wait for them, such as shutdown).
void Server::flush() {
  for (auto &p : pending_)
    pool_->post(std::move(p.cancel), std::move(p.job));
  pending_.clear();
}

// A parsed message: checks the JSON-RPC shape, then routes it.
void Server::dispatch(const json &msg) {
  if (!msg.is_object())
    return respond(nullptr,
                   RpcError{InvalidRequest, msg.is_array() ? "batches are not supported"
                                                           : "a message must be an object"});
  const auto idIt = msg.find("id");
  const bool hasId = idIt != msg.end();
  const json id = hasId ? *idIt : json(nullptr);
  const bool idOk = id.is_null() || id.is_string() || id.is_number_integer();
  const auto m = msg.find("method");
  if (m == msg.end() && hasId && (msg.contains("result") || msg.contains("error")))
    return; // a response from the client: we send no requests
  if (msg.value("jsonrpc", json()) != "2.0" || m == msg.end() || !m->is_string() || !idOk)
    return respond(idOk ? id : json(nullptr),
                   RpcError{InvalidRequest, "not a JSON-RPC 2.0 request (jsonrpc, method, id)"});
  const json params = msg.value("params", json());
  const std::string method = m->get<std::string>();
  if (!hasId) { // a notification: never answered; unknown ones are ignored
    if (auto n = notifications_.find(method); n != notifications_.end())
      if (initialized_ || method == "exit")
        (this->*(n->second))(params);
    return;
  }
  request(id, method, params);
}

void Server::receive(const std::string &body) {
  json msg;
  try {
    msg = json::parse(body);
  } catch (const json::parse_error &e) {
    // The message does not quote the body: it may hold a secret or invalid UTF-8.
    return respond(nullptr, RpcError{ParseError, "parse error: invalid JSON at byte " +
                                                     std::to_string(e.byte)});
  }
  try {
    dispatch(msg);
  } catch (const std::exception &e) { // outside any handler: keep serving
    respond(nullptr, RpcError{InternalError, e.what()});
  }
}

int Server::run(Transport &transport) {
  transport_ = &transport;
  while (!exited_) {
    auto body = transport.read();
    if (!body)
      break; // end of input without exit: code 1 unless shut down
    receive(*body);
    while (!exited_) {
      auto more = transport.readBuffered();
      if (!more)
        break;
      receive(*more);
    }
    if (!exited_)
      flush();
  }
  if (!exited_) { // end of input: answer what was asked
    flush();
    pool_->drain();
  }
  index_->stop();
  pool_->stop();
  transport_ = nullptr;
  return shutdown_ ? 0 : 1;
}

} // namespace mantra::rpc
