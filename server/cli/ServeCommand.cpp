// `mantra serve`: the JSON-RPC sidecar on stdin/stdout (protocol/README.md). Logs go to stderr
// only: stdout carries frames and nothing else.
#include "cli/CliSupport.h"

#include "rpc/Server.h"
#include "rpc/Transport.h"

#include <csignal>
#include <unistd.h>

namespace mantra::cli {

// Exit codes: 0 after shutdown + exit, 1 when the input ends or exit comes without shutdown,
// 2 on a usage error.
int cmdServe(const Args &a) {
  if (!a.positional.empty())
    return usage("serve takes no arguments");
  std::signal(SIGPIPE, SIG_IGN); // a closed client shows up as a failed write, not a signal
  const std::string db = opt(a, "--db");
  rpc::Server server(rpc::ServerOptions{db.empty() ? defaultDatabasePath() : db});
  rpc::Transport transport(STDIN_FILENO, STDOUT_FILENO);
  return server.run(transport);
}

} // namespace mantra::cli
