// The JSON-RPC 2.0 layer of `mantra serve`: parses message bodies, checks the request shape and
// the lifecycle (initialize … shutdown, exit), and routes each method through one binding table
// to a short handler that unpacks typed params (rpc/Protocol.h), calls the core (Store, search)
// and converts the result with the shapes shared with the CLI (core/Json.h). The wire format is
// in protocol/README.md.
//
// Threads:
// - The reader thread (the caller of run()) reads every message. It answers the lifecycle
//   requests itself (initialize, shutdown, mantra/reindex: none touches the database), and
//   handles the notifications ($/cancelRequest, initialized, exit).
// - Every other request runs on a worker of a small pool (WorkerPool), each worker with its own
//   Store connection, so that a long request can be cancelled and queries are answered while
//   the background index (BackgroundIndex: its own thread and connections) runs. Responses may
//   therefore come out of order.
// - The reader posts the requests that arrived together only after it has read all of them: a
//   request and its $/cancelRequest sent together never run.
//
// Contract:
// - run() reads bodies from the transport until `exit` or end of input and returns the process
//   exit code: 0 after shutdown + exit, 1 otherwise. At end of input the requests already read
//   are answered first; after `exit` nothing more is answered.
// - No exception leaves run(): a handler's exception becomes InternalError for that request.
// - Every error message that can quote input passes the redactor before it is sent.
#pragma once

#include "ingest/Adapter.h"
#include "origin/Origin.h"
#include "redact/Redactor.h"
#include "rpc/BackgroundIndex.h"
#include "rpc/Protocol.h"
#include "rpc/Transport.h"
#include "rpc/WorkerPool.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mantra::rpc {

struct ServerOptions {
  std::string database; // the database path (each connection opens on its first use)
  int workers = 2;      // threads that run requests
  // Index every agent's default folders once the client sends `initialized` (unless its
  // initializationOptions.backgroundIndex is false). `mantra serve` turns it on; in-process
  // tests leave it off so that they never read the folders of the user running them.
  bool backgroundIndex = false;
  // The redactor for indexing and for responses (config + flags); null: the built-in rules.
  // Called once, off the reader thread. When it fails, indexing fails with its error and
  // responses use the built-in rules.
  std::function<Expected<Redactor>()> makeRedactor;
  std::function<std::vector<std::unique_ptr<Adapter>>()> makeAdapters; // null: makeAdapters()
  Transport::Log log; // one line per event worth logging (null: stderr)
  // Test hook: called on the worker just before a pooled handler runs (a test blocks here to
  // keep a request in flight until it is cancelled).
  std::function<void(const std::string &method, const CancelFlag &cancelled)> beforeHandler;
};

class Server {
public:
  explicit Server(ServerOptions opts);
  ~Server();
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  int run(Transport &transport);
  // The methods of the binding table, sorted (initialize's "capabilities.methods").
  std::vector<std::string> methods() const;

private:
  using Context = WorkerPool::Context;
  using Handler = std::function<Reply(const nlohmann::json &params, Context *ctx)>;
  struct Binding {
    Handler handler;
    bool pooled = false;
  };
  template <typename P> void bind(const std::string &name, Reply (Server::*h)(const P &));
  template <typename P>
  void bind(const std::string &name, Reply (Server::*h)(const P &, Context &));
  void notification(const std::string &name, void (Server::*h)(const nlohmann::json &));

  void receive(const std::string &body);
  void dispatch(const nlohmann::json &msg);
  void request(const nlohmann::json &id, const std::string &method, const nlohmann::json &params);
  Reply guarded(const std::string &method, const std::function<Reply()> &f);
  void runPooled(const nlohmann::json &id, const std::string &method, const nlohmann::json &params,
                 const Handler &h, const std::shared_ptr<CancelFlag> &flag, Context &ctx);
  void flush();
  void respond(const nlohmann::json &id, Reply r);
  void notify(const std::string &method, nlohmann::json params);
  void send(const nlohmann::json &msg);
  void log(const std::string &line);
  void makeRedactors();
  const Redactor &outputRedactor();
  Expected<const Redactor *> indexRedactor();

  Reply onInitialize(const InitializeParams &p);
  Reply onShutdown(const NoParams &p);
  Reply onReindex(const ReindexParams &p);
  Reply onSessions(const SessionsParams &p, Context &c);
  Reply onSession(const SessionParams &p, Context &c);
  Reply onSearch(const SearchParams &p, Context &c);
  Reply onEvent(const EventParams &p, Context &c);
  Reply onFiles(const FilesParams &p, Context &c);
  Reply onFileAt(const FileAtParams &p, Context &c);
  Reply onDiff(const DiffParams &p, Context &c);
  Reply onOrigin(const OriginParams &p, Context &c);
  Reply onStatus(const NoParams &p, Context &c);
  void onInitialized(const nlohmann::json &params);
  void onExit(const nlohmann::json &params);
  void onCancel(const nlohmann::json &params);

  ServerOptions opts_;
  std::map<std::string, Binding> requests_;
  std::map<std::string, void (Server::*)(const nlohmann::json &)> notifications_;
  bool initialized_ = false, shutdown_ = false, exited_ = false;
  bool indexOnStart_ = true; // the client's initializationOptions.backgroundIndex

  Transport *transport_ = nullptr;
  std::once_flag redactorOnce_;
  std::optional<Redactor> redactor_, builtin_;
  std::optional<Error> redactorError_;

  // Requests posted or about to be, by id (JSON text), with their cancel flags.
  std::mutex inflightMu_;
  std::multimap<std::string, std::shared_ptr<CancelFlag>> inflight_;
  struct Pending {
    std::shared_ptr<CancelFlag> cancel;
    WorkerPool::Job job;
  };
  std::vector<Pending> pending_; // read together, not posted yet (reader thread only)

  origin::Finder finder_; // keeps recent blames across hovers
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<BackgroundIndex> index_;
};

} // namespace mantra::rpc
