// The JSON-RPC 2.0 layer of `mantra serve`: parses message bodies, checks the request shape and
// the lifecycle (initialize … shutdown, exit), and routes each method through one binding table
// to a short handler that unpacks typed params, calls the core (Store, search) and converts the
// result with the shapes shared with the CLI (core/Json.h). The wire format is in
// protocol/README.md; the error codes are below.
//
// Contract:
// - handle() takes one message body and returns the response body to send, or nullopt when there
//   is none (notifications, responses from the client). It never throws: a handler's exception
//   becomes InternalError for that request only.
// - run() reads bodies from the transport until `exit` or end of input and returns the process
//   exit code: 0 after shutdown + exit, 1 otherwise.
// - One thread: the Server and its Store are used by the thread that calls run()/handle().
#pragma once

#include "rpc/Transport.h"
#include "store/Store.h"

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mantra::rpc {

// JSON-RPC 2.0 and LSP codes, then Mantra's own (-32001, -32003, -32004).
enum ErrorCodes : int {
  ParseError = -32700,
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InternalError = -32603,
  ServerNotInitialized = -32002, // LSP: a request before initialize
  NotFound = -32001,             // no session (or event) with that id or prefix
  Ambiguous = -32003,            // a prefix names more than one session
  DatabaseError = -32004,        // the database could not be opened or read
};

struct RpcError {
  int code = InternalError;
  std::string message;
};

// What a handler returns: a result, or an error for the reply.
struct Reply {
  Reply(nlohmann::json r) : result(std::move(r)) {}
  Reply(RpcError e) : error(std::move(e)) {}
  nlohmann::json result;
  std::optional<RpcError> error;
};

struct ServerOptions {
  std::string database; // the database path (opened on the first method that needs it)
};

class Server {
public:
  explicit Server(ServerOptions opts);
  ~Server();

  std::optional<std::string> handle(const std::string &body);
  int run(Transport &transport);

  bool exited() const { return exited_; }
  int exitCode() const { return shutdown_ ? 0 : 1; }
  // The methods of the binding table, sorted (initialize's "capabilities.methods").
  std::vector<std::string> methods() const;

private:
  using Handler = std::function<Reply(const nlohmann::json &params)>;
  template <typename P> void bind(const std::string &name, Reply (Server::*h)(const P &));
  void notification(const std::string &name, void (Server::*h)());
  std::optional<nlohmann::json> dispatch(const nlohmann::json &msg);
  Reply call(const std::string &method, const nlohmann::json &params);
  // The store, opened on first use; DatabaseError when it cannot be opened.
  Store *store(RpcError &err);

  struct InitializeParams;
  struct SessionsParams;
  struct SessionParams;
  struct SearchParams;
  struct NoParams;
  Reply onInitialize(const InitializeParams &p);
  Reply onShutdown(const NoParams &p);
  Reply onSessions(const SessionsParams &p);
  Reply onSession(const SessionParams &p);
  Reply onSearch(const SearchParams &p);
  Reply onStatus(const NoParams &p);
  void onInitialized();
  void onExit();

  ServerOptions opts_;
  std::unique_ptr<Store> store_;
  std::map<std::string, Handler> requests_;
  std::map<std::string, void (Server::*)()> notifications_;
  bool initialized_ = false, shutdown_ = false, exited_ = false;
};

} // namespace mantra::rpc
