// The `mantra` executable: everything lives in mantra_core; this only hands over the arguments.
#include "cli/Cli.h"

int main(int argc, char **argv) { return mantra::cli::main(argc, argv); }
