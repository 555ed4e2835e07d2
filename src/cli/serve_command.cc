// `writ serve`: the HTTP service, assembled from the configuration file and the flags.
#include <cstdio>
#include <iostream>

#include "base/clock.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "gateway/gateway.h"
#include "server/config.h"
#include "server/service_assembly.h"
#include "service/decision_service.h"

namespace writ::cli {
namespace {

// The product's parts meet here, wired in dependency order (DESIGN.md §3): each part is
// created from assembly.config(), assembly.store() and assembly.metrics(), kept alive with
// assembly.Adopt(), and gives the server its routes (assembly.server().router()), readiness
// checks and shutdown hooks (assembly.server()). The bearer verifier of agents' tokens is set
// on assembly.authenticator(). A part added later may use any part adopted before it.
Status WireProduct(server::ServiceAssembly& assembly) {
  // The decision service (src/service/): on when the configuration names a policy bundle.
  service::DecisionService* decisions = nullptr;
  WRIT_RETURN_IF_ERROR(service::WireDecisionService(assembly, &decisions));
  // The MCP gateway (src/gateway/): on when the configuration names upstream servers.
  return gateway::WireGateway(assembly, decisions);
}

struct ServeFlags {
  std::string config;
  std::string listen;
  std::string data_dir;
  std::string tls_cert;
  std::string tls_key;
  int workers = -1;
  size_t max_connections = 0;
};

[[noreturn]] void Fail(const Status& s) {
  PrintError(s.ToString());
  Exit(kExitInputError);
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand("serve", "run the HTTP service (until SIGTERM or SIGINT)");
  cmd->add_option("--config", flags->config, "configuration file (TOML; see docs/config.md)");
  cmd->add_option("--listen", flags->listen, "host:port to listen on (server.listen)");
  cmd->add_option("--data", flags->data_dir, "data directory (data_dir)");
  cmd->add_option("--tls-cert", flags->tls_cert, "PEM certificate chain (server.tls.cert_file)");
  cmd->add_option("--tls-key", flags->tls_key, "PEM private key (server.tls.key_file)");
  cmd->add_option("--workers", flags->workers,
                  "worker threads, 0 for one per core (server.workers)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--max-connections", flags->max_connections,
                  "open connections at most (server.limits.max_connections)")
      ->check(CLI::Range(1, 1000000));
  cmd->callback([flags] {
    server::ServeConfig config;
    if (!flags->config.empty()) {
      Result<server::ServeConfig> loaded = server::LoadServeConfig(flags->config);
      if (!loaded.ok()) Fail(loaded.status());
      config = std::move(loaded).value();
    }
    // Flags override the file.
    if (!flags->listen.empty()) config.server.listen = flags->listen;
    if (!flags->data_dir.empty()) config.data_dir = flags->data_dir;
    if (!flags->tls_cert.empty()) config.server.tls_cert_file = flags->tls_cert;
    if (!flags->tls_key.empty()) config.server.tls_key_file = flags->tls_key;
    if (flags->workers >= 0) config.server.workers = flags->workers;
    if (flags->max_connections > 0) config.server.limits.max_connections = flags->max_connections;
    Status valid = server::ValidateServeConfig(config);
    if (!valid.ok()) Fail(valid);

    SystemClock clock;
    bool tls = !config.server.tls_cert_file.empty();
    server::ServiceAssembly assembly(std::move(config), clock);
    Status s = assembly.Open();
    if (!s.ok()) Fail(s);
    s = WireProduct(assembly);
    if (!s.ok()) Fail(s);
    s = assembly.Serve([tls](const std::string& address) {
      std::printf("writ: listening on %s://%s\n", tls ? "https" : "http", address.c_str());
      std::fflush(stdout);
    });
    if (!s.ok()) Fail(s);
    std::fprintf(stderr, "writ: stopped\n");
  });
}

}  // namespace writ::cli
