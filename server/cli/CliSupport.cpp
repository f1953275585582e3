// Argument parsing and the helpers shared by every command.
#include "cli/CliSupport.h"

#include "config/Config.h"

#include <iostream>

namespace mantra::cli {
namespace {
using nlohmann::json;
// Options taking a value; everything else starting with -- is a flag.
const std::set<std::string> kValued = {
    "--db", "--agent",  "--project",        "--limit",           "--from",
    "--to", "--config", "--redact-pattern", "--internal-domain", "--allow", "--kind", "--text", "--above", "--below"};

const std::set<std::string> kFlags = {"--json", "--all", "--full",    "--dry-run", "--rescan",
                                      "--help", "-h",    "--version", "--by-event"};

} // namespace

std::string opt(const Args &a, const std::string &name) {
  auto it = a.options.find(name);
  return it == a.options.end() || it->second.empty() ? std::string() : it->second.back();
}

Args parse(int argc, char **argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--") {
      for (++i; i < argc; ++i)
        a.positional.push_back(argv[i]);
      break;
    }
    const bool longOpt = s.rfind("--", 0) == 0;
    if (a.command == "search" && !longOpt && s.size() > 1 && s[0] == '-' && s != "-h") {
      a.positional.push_back(s); // "-word" belongs to the query
      continue;
    }
    if (s.size() > 1 && s[0] == '-') {
      std::string name = s, value;
      bool hasValue = false;
      if (auto eq = s.find('='); eq != std::string::npos && s.rfind("--", 0) == 0) {
        name = s.substr(0, eq);
        value = s.substr(eq + 1);
        hasValue = true;
      }
      if (kValued.count(name)) {
        if (!hasValue) {
          if (i + 1 >= argc) {
            a.error = name + " needs a value";
            return a;
          }
          value = argv[++i];
        }
        a.options[name].push_back(value);
        continue;
      }
      if (kFlags.count(name) && !hasValue) {
        a.flags.insert(name);
        continue;
      }
      a.error = "unknown option " + s;
      return a;
    }
    if (a.command.empty())
      a.command = s;
    else
      a.positional.push_back(s);
  }
  return a;
}

bool intOption(const Args &a, const std::string &name, int64_t &out, std::string &err) {
  if (!a.options.count(name))
    return true;
  const std::string v = opt(a, name);
  try {
    size_t used = 0;
    out = std::stoll(v, &used);
    if (used != v.size())
      throw std::invalid_argument("x");
  } catch (...) {
    err = name + ": expected an integer, got '" + v + "'";
    return false;
  }
  return true;
}

// Messages can quote input (a query, a path, a config value): they pass the built-in rules
// like every other text that leaves Mantra. Compiled on first use only: most runs never print
// an error, and compiling the rules costs milliseconds.
const Redactor &messageRedactor() {
  static const Redactor r;
  return r;
}

int fail(const Error &e) {
  std::cerr << "mantra: " << messageRedactor().redact(e.message) << "\n";
  return 1;
}

int usage(const std::string &msg) {
  std::cerr << "mantra: " << messageRedactor().redact(msg) << "\n(see 'mantra help')\n";
  return 2;
}

void printJson(const nlohmann::json &j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

Expected<std::unique_ptr<Store>> openStore(const Args &a) {
  const std::string db = opt(a, "--db");
  return Store::open(db.empty() ? defaultDatabasePath() : db);
}

// The redactor for this run: built-in rules, config.json's "redact", then the flags.
Expected<Redactor> makeRedactor(const Args &a) {
  const std::string path = opt(a, "--config");
  auto cfg = loadConfig(path.empty() ? defaultConfigPath() : path, !path.empty());
  if (!cfg)
    return cfg.error();
  RedactOptions o = cfg->redact;
  if (auto it = a.options.find("--redact-pattern"); it != a.options.end())
    for (const auto &p : it->second) {
      // ID=REGEX, or just REGEX
      const auto eq = p.find('=');
      const bool named = eq != std::string::npos && eq > 0 &&
                         p.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") == eq;
      o.patterns.push_back(named ? CustomPattern{p.substr(0, eq), p.substr(eq + 1)}
                                 : CustomPattern{"", p});
    }
  if (auto it = a.options.find("--internal-domain"); it != a.options.end())
    o.internalDomains.insert(o.internalDomains.end(), it->second.begin(), it->second.end());
  if (auto it = a.options.find("--allow"); it != a.options.end())
    o.allow.insert(o.allow.end(), it->second.begin(), it->second.end());
  return Redactor::create(o);
}

} // namespace mantra::cli
