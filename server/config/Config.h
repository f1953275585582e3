// User configuration: $XDG_CONFIG_HOME/mantra/config.json (default ~/.config/mantra/config.json).
// Every setting also has a command-line flag; flags add to what the file says.
//
//   {
//     "redact": {
//       "patterns": ["ACME-[0-9]{8}", {"id": "acme-ticket", "pattern": "TKT-[0-9]+"}],
//       "internalDomains": ["acme.net"],
//       "allow": ["AKIAIOSFODNN7EXAMPLE"]
//     }
//   }
#pragma once

#include "redact/Redactor.h"
#include "util/Expected.h"

#include <string>

namespace mantra {

struct Config {
  std::string path; // where it was read from ("" when there was no file)
  RedactOptions redact;
};

std::string defaultConfigPath();

// Reads the config at `path`. A missing file is an empty config when `mustExist` is false.
// Errors name the file and the JSON path: "config.json: redact.patterns[1]: expected a string".
Expected<Config> loadConfig(const std::string &path, bool mustExist);

} // namespace mantra
