// Error and Expected<T>: how every module reports failure without exceptions crossing module
// boundaries. An Error carries a code (for the CLI's exit status and, later, JSON-RPC codes) and
// a message that already says where ("store: open /x/mantra.db: unable to open database file").
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mantra {

enum class ErrorCode {
  Io,        // a file could not be read or written
  Parse,     // input (JSON, a query, an argument) is malformed
  Database,  // SQLite reported an error
  Busy,      // the database is locked by another process
  Schema,    // the database comes from a newer Mantra or is not a Mantra database
  NotFound,  // a session, event or file does not exist
  Ambiguous, // a prefix names more than one session
  Invalid,   // a request or argument is well-formed but not acceptable
};

struct Error {
  ErrorCode code = ErrorCode::Invalid;
  std::string message;
};

inline Error makeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// Holds either a T or an Error. Cheap to move; test with `if (!r)`, read `r.error()` or `*r`.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Error error) : v_(std::move(error)) {}

  explicit operator bool() const { return std::holds_alternative<T>(v_); }
  T &operator*() { return std::get<T>(v_); }
  const T &operator*() const { return std::get<T>(v_); }
  T *operator->() { return &std::get<T>(v_); }
  const T *operator->() const { return &std::get<T>(v_); }
  const Error &error() const { return std::get<Error>(v_); }

private:
  std::variant<T, Error> v_;
};

// Expected<void>: success or an Error.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}
  static Status ok() { return Status(); }
  explicit operator bool() const { return ok_; }
  const Error &error() const { return error_; }

private:
  Error error_;
  bool ok_ = true;
};

} // namespace mantra
