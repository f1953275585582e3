// Params parsing (see Protocol.h). ParamReader reads typed fields and keeps the first problem
// with its path, so that every handler reports a bad field the same way.
#include "rpc/Protocol.h"

#include "timeline/Uri.h"

#include <climits>

namespace mantra::rpc {
namespace {

using nlohmann::json;

// Reads typed fields out of an object, remembering the first problem as "<at>.<field>: …".
// Absent and null fields leave the output unchanged. `at` is "params" or a nested path.
class ParamReader {
public:
  explicit ParamReader(const json &p, std::string at = "params") : p_(p), at_(std::move(at)) {
    if (!p.is_null() && !p.is_object())
      error_ = RpcError{InvalidParams, at_ + ": expected object"};
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
      if (v->is_number_integer() && !v->is_number_unsigned())
        out = v->get<int64_t>();
      else if (v->is_number_unsigned())
        out = v->get<uint64_t>() > INT64_MAX ? INT64_MAX : v->get<int64_t>();
      else
        fail(key, "expected integer");
    }
  }
  void positive(const char *key, int64_t &out, bool required = false) {
    integer(key, out, required);
    if (!error_ && out <= 0)
      fail(key, "must be positive");
  }
  void boolean(const char *key, bool &out) {
    if (const json *v = field(key, false)) {
      if (v->is_boolean())
        out = v->get<bool>();
      else
        fail(key, "expected boolean");
    }
  }
  void strings(const char *key, std::vector<std::string> &out) {
    if (const json *v = field(key, false)) {
      if (!v->is_array())
        return fail(key, "expected array of strings");
      for (size_t i = 0; i < v->size(); ++i) {
        if (!(*v)[i].is_string())
          return fail(std::string(key) + "[" + std::to_string(i) + "]", "expected string");
        out.push_back((*v)[i].get<std::string>());
      }
    }
  }
  // A nested object's reader (null when absent); its problems carry the nested path.
  ParamReader object(const char *key) {
    const json *v = field(key, false);
    ParamReader sub(v ? *v : kNull, at_ + "." + key);
    if (error_)
      sub.error_ = error_;
    return sub;
  }
  void merge(const ParamReader &sub) {
    if (!error_)
      error_ = sub.error_;
  }
  const std::optional<RpcError> &error() const { return error_; }

private:
  static inline const json kNull = nullptr;
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
      error_ = RpcError{InvalidParams, at_ + "." + key + ": " + what};
  }
  const json &p_;
  std::string at_;
  std::optional<RpcError> error_;
};

} // namespace

RpcError fromCore(const Error &e, const char *param) {
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

std::optional<RpcError> NoParams::read(const json &j, NoParams &) { return ParamReader(j).error(); }

std::optional<RpcError> InitializeParams::read(const json &j, InitializeParams &p) {
  ParamReader r(j); // clientInfo, workspaceFolders: accepted, not used yet
  ParamReader options = r.object("initializationOptions");
  options.boolean("backgroundIndex", p.backgroundIndex);
  r.merge(options);
  return r.error();
}

std::optional<RpcError> SessionsParams::read(const json &j, SessionsParams &p) {
  ParamReader r(j);
  r.string("agent", p.agent);
  r.string("project", p.project);
  r.positive("limit", p.limit);
  return r.error();
}

std::optional<RpcError> SessionParams::read(const json &j, SessionParams &p) {
  ParamReader r(j);
  r.string("session", p.session, true);
  r.integer("from", p.from);
  r.integer("to", p.to);
  return r.error();
}

std::optional<RpcError> SearchParams::read(const json &j, SearchParams &p) {
  ParamReader r(j);
  r.string("query", p.query, true);
  r.positive("limit", p.limit);
  r.boolean("byEvent", p.byEvent);
  r.string("cwd", p.cwd);
  if (!r.error() && p.query.empty())
    return RpcError{InvalidParams, "params.query: must not be empty"};
  if (!r.error() && !p.cwd.empty() && p.cwd[0] != '/')
    return RpcError{InvalidParams, "params.cwd: must be an absolute path"};
  return r.error();
}

std::optional<RpcError> EventParams::read(const json &j, EventParams &p) {
  ParamReader r(j);
  r.string("session", p.session, true);
  r.positive("seq", p.seq, true);
  return r.error();
}

std::optional<RpcError> FilesParams::read(const json &j, FilesParams &p) {
  ParamReader r(j);
  r.string("session", p.session, true);
  return r.error();
}

std::optional<RpcError> FileAtParams::read(const json &j, FileAtParams &p) {
  ParamReader r(j);
  r.string("uri", p.uri);
  if (p.uri.empty()) {
    r.string("session", p.session, true);
    r.integer("seq", p.seq, true);
    r.string("path", p.path, true);
  }
  if (auto e = r.error())
    return e;
  if (!p.uri.empty()) {
    auto u = timeline::parseFileUri(p.uri);
    if (!u)
      return RpcError{InvalidParams, "params." + u.error().message};
    p.session = u->session;
    p.seq = u->seq;
    p.path = u->path;
  }
  if (p.seq < 0)
    return RpcError{InvalidParams, "params.seq: must not be negative"};
  return std::nullopt;
}

std::optional<RpcError> OriginParams::read(const json &j, OriginParams &p) {
  ParamReader r(j);
  r.string("path", p.path, true);
  r.positive("line", p.line, true);
  std::string text;
  r.string("text", text);
  r.strings("above", p.above);
  r.strings("below", p.below);
  if (auto e = r.error())
    return e;
  if (j.contains("text"))
    p.text = std::move(text);
  if (p.path.empty() || p.path[0] != '/')
    return RpcError{InvalidParams, "params.path: must be an absolute path"};
  return std::nullopt;
}

std::optional<RpcError> DiffParams::read(const json &j, DiffParams &p) {
  ParamReader r(j);
  r.string("session", p.session, true);
  r.string("path", p.path);
  r.integer("seq", p.seq);
  r.integer("from", p.from);
  r.integer("to", p.to);
  if (auto e = r.error())
    return e;
  if (p.seq < 0 && (p.from < 0 || p.to < 0))
    return RpcError{InvalidParams, "params.seq: required (or params.from and params.to)"};
  if (p.seq >= 0 && (p.from >= 0 || p.to >= 0))
    return RpcError{InvalidParams, "params.seq: give either seq or from/to, not both"};
  if (p.seq == 0)
    return RpcError{InvalidParams, "params.seq: must be positive"};
  if (p.seq > 0) {
    p.from = p.seq - 1;
    p.to = p.seq;
  }
  if (p.from > p.to)
    return RpcError{InvalidParams, "params.from: must not be after params.to"};
  return std::nullopt;
}

std::optional<RpcError> ReindexParams::read(const json &j, ReindexParams &p) {
  ParamReader r(j);
  r.strings("paths", p.paths);
  return r.error();
}

std::optional<json> cancelledId(const json &params) {
  if (!params.is_object())
    return std::nullopt;
  auto it = params.find("id");
  if (it == params.end() || !(it->is_string() || it->is_number_integer()))
    return std::nullopt;
  return *it;
}

} // namespace mantra::rpc
