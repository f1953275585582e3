// Shared by the CLI's command files: parsed arguments and the helpers every command uses.
#pragma once

#include "redact/Redactor.h"
#include "store/Store.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace mantra::cli {

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options; // --name value (repeatable)
  std::set<std::string> flags;                             // --name
  std::string error;
};

Args parse(int argc, char **argv);
// The last value given for an option, or "".
std::string opt(const Args &a, const std::string &name);
// Reads an integer option into `out` (unchanged when absent); false with `err` set when malformed.
bool intOption(const Args &a, const std::string &name, int64_t &out, std::string &err);
// Prints "mantra: <message>" on stderr; returns exit code 1.
int fail(const Error &e);
// Prints a usage error on stderr; returns exit code 2.
int usage(const std::string &msg);
void printJson(const nlohmann::json &j);
Expected<std::unique_ptr<Store>> openStore(const Args &a);
// The redactor for this run: built-in rules, config.json's "redact", then the flags.
Expected<Redactor> makeRedactor(const Args &a);

// The built-in rules, compiled once per process (for messages and echoed input).
const Redactor &messageRedactor();

int cmdScan(const Args &a);
int cmdStatus(const Args &a);
int cmdRedact(const Args &a);
int cmdServe(const Args &a);
int cmdFiles(const Args &a);
int cmdFile(const Args &a);
int cmdDiff(const Args &a);
int cmdVerify(const Args &a);
int cmdOrigin(const Args &a);

} // namespace mantra::cli
