// ServeConfig: what `writ serve` reads from its configuration file (TOML, docs/config.md lists
// every key) before command-line flags override it.
//
// Unknown sections and keys are errors, so that a misspelt key does not silently keep its
// default. A part that needs configuration adds its section here (a struct member, its parsing
// in config.cc, its keys in docs/config.md).
//
// Relative paths in a file are resolved against the file's directory; paths given as flags
// against the current directory.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/api_keys.h"
#include "server/server.h"

namespace writ::server {

struct ServeConfig {
  std::string data_dir = "data";  // holds writ.db and the ledger's files
  ServerOptions server;
  ApiKeyAuthenticator::Options api_keys;
};

// Parses the TOML text of a configuration file. `source` names it in error messages and its
// directory resolves relative paths ("" for the current directory). invalid_argument, with the
// line and column where known, for a syntax error, an unknown section or key, a value of the
// wrong type, or a value out of range.
Result<ServeConfig> ParseServeConfig(std::string_view toml_text, std::string_view source);

// Reads and parses the file at `path` (not_found when it does not exist).
Result<ServeConfig> LoadServeConfig(const std::string& path);

// Checks the ranges of every value (also after flags have overridden the file).
Status ValidateServeConfig(const ServeConfig& config);

}  // namespace writ::server
