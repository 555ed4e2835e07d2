// ServiceAssembly: the running service's parts, created and destroyed in the right order.
//
// `writ serve` builds one ServiceAssembly from its ServeConfig, calls Open() (store, metrics
// registry, API key authentication, the server with its built-in routes), lets the product wire
// its parts in (the policy bundle, the ledger, identity, authorization, the gateway: each
// adopted with Adopt(), its routes added to server().router(), its readiness checks and
// shutdown hooks registered on server()), then calls Serve().
//
// Lifetimes, from first created to last destroyed:
//   store → metrics → API key authenticator → authenticator → adopted parts (in adoption
//   order) → server.
// Destruction runs the other way: the server (its threads stopped, its handlers gone) first,
// then the parts from the last adopted to the first, then the rest. So a handler may hold
// references to any part, a part to any part adopted before it, and everything to the store
// and the metrics.
//
// Built-in routes besides the server's own (/healthz, /readyz, /metrics):
//   GET    /openapi.json          public: docs/openapi.json
//   GET    /v1/api-keys           admin: every key (without secrets)
//   POST   /v1/api-keys           admin: {"name", "role"} → the new key, shown once
//   DELETE /v1/api-keys/{id}      admin: revoke a key
// and the readiness check "store".
//
// Thread-safety: one thread builds and serves; the parts' own contracts apply while serving.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "server/api_keys.h"
#include "server/authenticator.h"
#include "server/config.h"
#include "server/metrics.h"
#include "server/server.h"
#include "store/store.h"

namespace writ::server {

class ServiceAssembly {
 public:
  // `clock` must outlive the assembly.
  ServiceAssembly(ServeConfig config, const Clock& clock);
  ServiceAssembly(const ServiceAssembly&) = delete;
  ServiceAssembly& operator=(const ServiceAssembly&) = delete;
  ~ServiceAssembly();

  // Opens the store under config().data_dir and builds the server. Errors of the store keep
  // their codes; nothing listens yet.
  Status Open();

  const ServeConfig& config() const { return config_; }
  const Clock& clock() const { return clock_; }
  // The accessors below require a successful Open().
  store::Store& store() { return *store_; }
  MetricsRegistry& metrics() { return *metrics_; }
  Authenticator& authenticator() { return *authenticator_; }
  Server& server() { return *server_; }

  // Keeps `part` alive until after the server is destroyed; parts are destroyed in reverse
  // order of adoption. Returns the part.
  template <typename T>
  T& Adopt(std::unique_ptr<T> part) {
    T& ref = *part;
    parts_.push_back(std::shared_ptr<void>(std::move(part)));
    return ref;
  }

  // Listens, calls `on_listening(bound address)`, serves until SIGTERM or SIGINT, then drains
  // and runs the shutdown hooks (server.h). Returns the server's start error, if any.
  Status Serve(const std::function<void(const std::string& address)>& on_listening = {});

 private:
  void AddApiKeyRoutes();

  ServeConfig config_;
  const Clock& clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<ApiKeyAuthenticator> api_keys_;
  std::unique_ptr<Authenticator> authenticator_;
  std::vector<std::shared_ptr<void>> parts_;
  std::unique_ptr<Server> server_;
};

}  // namespace writ::server
