// `mantra serve`: the JSON-RPC sidecar on stdin/stdout (protocol/README.md). Logs go to stderr
// only: stdout carries frames and nothing else.
#include "cli/CliSupport.h"

#include "rpc/Server.h"
#include "rpc/Transport.h"

#include <csignal>
#include <unistd.h>

namespace mantra::cli {

// Exit codes: 0 after shutdown + exit, 1 when the input ends or exit comes without shutdown,
// 2 on a usage error. Nothing is read or compiled before the server answers initialize: the
// redaction rules (config.json and the flags) are built by the first thread that needs them.
int cmdServe(const Args &a) {
  if (!a.positional.empty())
    return usage("serve takes no arguments");
  std::signal(SIGPIPE, SIG_IGN); // a closed client shows up as a failed write, not a signal
  const std::string db = opt(a, "--db");
  rpc::ServerOptions opts;
  opts.database = db.empty() ? defaultDatabasePath() : db;
  opts.backgroundIndex = true;
  opts.makeRedactor = [a] { return makeRedactor(a); };
  rpc::Server server(std::move(opts));
  rpc::Transport transport(STDIN_FILENO, STDOUT_FILENO);
  return server.run(transport);
}

} // namespace mantra::cli
