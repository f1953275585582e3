// The `mantra` command line: parses arguments, runs one subcommand on the core modules and
// prints human text (default) or JSON (--json) on stdout; errors go to stderr.
#pragma once

namespace mantra::cli {

// Exit codes: 0 success, 1 failure (database, not found, …), 2 usage error.
int main(int argc, char **argv);

} // namespace mantra::cli
