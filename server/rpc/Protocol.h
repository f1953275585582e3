// The typed side of the wire: JSON-RPC error codes, what a handler returns, and the params of
// every method as structs with a read() that names the first bad field ("params.seq: expected
// integer"). The shapes of results are shared with the CLI (core/Json.h). protocol/README.md is
// the specification these follow.
//
// Pure types and functions: no I/O, any thread.
#pragma once

#include "util/Expected.h"

#include <cstdint>
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
  RequestCancelled = -32800,     // LSP: the client cancelled the request ($/cancelRequest)
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

// A core error as a JSON-RPC error: NotFound and Ambiguous keep their codes; a parse or invalid
// error is InvalidParams, prefixed "params." when `param` names where it came from (the core's
// message then starts with that param's name); everything else is DatabaseError.
RpcError fromCore(const Error &e, const char *param = nullptr);

// --- params (each read() returns the first problem, or nullopt) -------------------------------

struct NoParams {
  static std::optional<RpcError> read(const nlohmann::json &j, NoParams &p);
};

struct InitializeParams {
  std::string clientName;      // informational only
  bool backgroundIndex = true; // initializationOptions.backgroundIndex
  static std::optional<RpcError> read(const nlohmann::json &j, InitializeParams &p);
};

struct SessionsParams {
  std::string agent, project;
  int64_t limit = 20;
  static std::optional<RpcError> read(const nlohmann::json &j, SessionsParams &p);
};

struct SessionParams {
  std::string session;
  int64_t from = 1, to = INT64_MAX;
  static std::optional<RpcError> read(const nlohmann::json &j, SessionParams &p);
};

// mantra/search: `limit` counts sessions (steps when byEvent); `cwd` is the client's folder, what
// project:. and ./paths in the query mean (absolute; empty: the query may not use them).
struct SearchParams {
  std::string query;
  int64_t limit = 20;
  bool byEvent = false;
  std::string cwd;
  static std::optional<RpcError> read(const nlohmann::json &j, SearchParams &p);
};

struct EventParams {
  std::string session;
  int64_t seq = 0;
  static std::optional<RpcError> read(const nlohmann::json &j, EventParams &p);
};

// mantra/files
struct FilesParams {
  std::string session;
  static std::optional<RpcError> read(const nlohmann::json &j, FilesParams &p);
};

// mantra/fileAt: session + seq + path, or a mantra:// uri (then the other three come from it).
struct FileAtParams {
  std::string session, path, uri;
  int64_t seq = 0;
  static std::optional<RpcError> read(const nlohmann::json &j, FileAtParams &p);
};

// mantra/diff: one step (`seq`: from seq-1 to seq) or a range (`from`, `to`); `path` optional.
struct DiffParams {
  std::string session, path;
  int64_t seq = -1, from = -1, to = -1;
  static std::optional<RpcError> read(const nlohmann::json &j, DiffParams &p);
};

// mantra/origin: a line of a file (1-based), optionally its text and the lines around it as the
// editor has them.
struct OriginParams {
  std::string path;
  int64_t line = 0;
  std::optional<std::string> text;
  std::vector<std::string> above, below; // nearest last / nearest first
  static std::optional<RpcError> read(const nlohmann::json &j, OriginParams &p);
};

struct ReindexParams {
  std::vector<std::string> paths; // none: every agent's default folders
  static std::optional<RpcError> read(const nlohmann::json &j, ReindexParams &p);
};

// $/cancelRequest: the id of the request to cancel (integer or string); nullopt when the params
// name none (the notification is then ignored).
std::optional<nlohmann::json> cancelledId(const nlohmann::json &params);

} // namespace mantra::rpc
