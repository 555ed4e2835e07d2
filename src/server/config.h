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
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/api_keys.h"
#include "server/server.h"

namespace writ::server {

// An OpenID Connect provider whose users' tokens open tasks ([[identity.oidc]]).
struct OidcProviderSettings {
  std::string issuer;
  std::vector<std::string> audiences;  // at least one
  std::string jwks_file;               // exactly one of jwks_file and jwks_url
  std::string jwks_url;
  std::string groups_claim = "groups";
  std::vector<std::string> algorithms;  // empty: RS256, ES256 and EdDSA
  int64_t clock_skew_s = 60;
};

// The decision service (src/service/): policies, identity, evidence, ledger and approvals. It
// runs when `policies.dir` is set; without it `writ serve` serves the framework's own routes
// only. Secrets (the master key, the evidence HMAC key) are named here by file or environment
// variable, never written into the configuration itself.
struct DecisionServiceSettings {
  // [policies]
  std::string bundle_dir;             // empty: the decision service is off
  int64_t reload_interval_ms = 2000;  // 0: no polling (reload through the API only)
  // [identity]
  std::string trust_domain = "writ.local";
  std::string issuer = "https://writ.local";  // "iss" of Writ's tokens; base of endpoint URLs
  std::string audience = "writ";              // "aud" of task tokens; what the API accepts
  int64_t task_token_lifetime_s = 600;
  int64_t max_task_token_lifetime_s = 3600;
  int64_t credential_lifetime_s = 60;
  int64_t max_credential_lifetime_s = 300;
  int max_delegation_depth = 4;
  std::string signing_algorithm = "EdDSA";  // of new signing keys: EdDSA or ES256
  std::string master_key_file;              // takes precedence over the variable
  std::string master_key_env = "WRIT_MASTER_KEY";
  std::vector<OidcProviderSettings> oidc;
  // [evidence]
  std::string hmac_key_file;                 // takes precedence over the variable
  std::string hmac_key_env;                  // empty: no variable
  std::vector<std::string> sensitive_names;  // member names digested under context/upstream
  std::vector<std::string> sensitive_paths;  // dotted paths in record bodies
  std::string default_depth = "full";        // "full" or "summary"
  // [ledger]
  std::string origin;  // empty: "<trust_domain>/node-1"
  int64_t checkpoint_every_records = 1000;
  int64_t checkpoint_every_ms = 1000;
  std::string checkpoint_file;  // outside checkpoint file; empty: none
  int64_t max_pending_records = 65536;
  int64_t lazy_within_ms = 100;  // longest a lazy record (a gateway outcome) waits for company
  // [approvals]
  int64_t approval_ttl_s = 3600;
  bool approval_check_groups = true;  // approvers prove membership of the policy's group
  // [service]
  int blocking_threads = 4;        // threads for work that waits on the disk
  int64_t max_queued_work = 1024;  // beyond it such requests get 503 overloaded
};

// One MCP server the gateway (src/gateway/) stands in front of ([[gateway.upstream]]): either
// Streamable HTTP (`url`) or stdio (`command`, spawned and restarted by Writ). Mounted at
// /mcp/<name>.
struct GatewayUpstreamSettings {
  std::string name;
  std::string url;                          // Streamable HTTP endpoint; exclusive with `command`
  std::string ca_file;                      // https: PEM roots to trust instead of the system's
  std::string command;                      // stdio: the program (searched in PATH)
  std::vector<std::string> args;            // stdio: its arguments
  std::vector<std::string> env;             // stdio: extra environment, "NAME=value" each
  std::string resource_type = "McpServer";  // the Cedar resource is <type>::"<name>"
  std::string action_namespace;             // empty: Action::"<tool>"; else <ns>::Action::"<tool>"
  // Brokered secrets sent upstream as header fields ("Header-Name=secret-name" each; HTTP).
  std::vector<std::string> secret_headers;
  // Brokered secrets in a stdio server's environment ("NAME=secret-name" each), released each
  // time Writ starts the process.
  std::vector<std::string> secret_env;
  int64_t timeout_ms = 60000;  // how long one upstream request may take
};

// The MCP gateway ([gateway]); on when it has at least one upstream and the decision service
// runs.
struct GatewaySettings {
  std::vector<GatewayUpstreamSettings> upstreams;
  int64_t approval_timeout_ms = 120000;  // how long a call waits for an approver
  int64_t max_message_bytes = 4 << 20;   // a client's message, and an upstream's answer
  // Bytes of an event stream (a call's progress, a session's GET stream) waiting for a client
  // that reads slowly; beyond, its stream is cut. 0: twice max_message_bytes.
  int64_t max_buffered_bytes = 0;
  int64_t max_sessions = 10000;   // open Mcp-Session-Ids at most
  int64_t session_idle_s = 3600;  // a session unused this long is forgotten
  int threads = 16;               // threads for the gateway's blocking work
  // True: a forwarded call's answer waits until its outcome record is durable. False: the
  // outcome is queued before the answer leaves and written with the ledger's next record.
  bool outcome_before_reply = false;
};

struct ServeConfig {
  std::string data_dir = "data";  // holds writ.db and the ledger's files
  ServerOptions server;
  ApiKeyAuthenticator::Options api_keys;
  DecisionServiceSettings service;
  GatewaySettings gateway;
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
// The decision service's part of that check.
Status ValidateDecisionServiceSettings(const DecisionServiceSettings& settings);
// The gateway's part.
Status ValidateGatewaySettings(const GatewaySettings& settings);

}  // namespace writ::server
