// Server: Writ's HTTP/1.1 service (RFC 9110, RFC 9112) — keep-alive, optional TLS, routing,
// authentication, limits, metrics, graceful shutdown.
//
// Threads: `workers` threads (default: one per core), each running its own event loop; a new
// connection is handed to the next worker in turn and stays on it. Handlers run on the worker
// of their connection and must not block: slow work goes elsewhere and answers later through
// the Responder (response.h). A connection answers its requests in order; it reads the next
// request only once the current one is answered.
//
// For every request the server, in order: reads the head (431 header_too_large beyond
// max_header_bytes, 400 bad_request when it is not HTTP/1.1, 400 missing_host); routes it
// (404 not_found, 405 method_not_allowed with Allow); authenticates the caller against the
// route's Access (authenticator.h; before any body is read); reads the body (413
// body_too_large beyond the route's limit, which closes the connection; `100 Continue` first
// when asked); parses the trace context; calls the handler. A request, head and body, must
// arrive whole within the read timeout once its first byte came (408 request_timeout), a
// connection may stay idle between requests for the idle timeout, an answer must be written
// within the write timeout, and a handler must answer within its route's timeout (503
// handler_timeout). Beyond max_connections, new connections get 503 too_many_connections and
// are closed. Errors that leave the connection in an unknown state (a body not read, a parse
// error) close it after the answer.
//
// Every server answers GET /healthz (public: the process is alive), GET /readyz (public: 200
// when every readiness check passes, else 503 with the failing checks) and GET /metrics
// (viewer role: the registry in the Prometheus text format). It records in the registry:
//   writ_http_requests_total{route,status}        answers by route and status
//   writ_http_request_duration_seconds{route}     from the head read to the answer written
//   writ_http_bad_input_total{code}               4xx answers by their error code
//   writ_http_connections                         open connections
//   writ_http_connections_accepted_total
//   writ_http_connections_rejected_total{reason}
//
// Shutdown (Shutdown(), or SIGTERM/SIGINT under Run()): stop accepting, close idle
// connections, let requests in flight finish (including handlers answering asynchronously)
// with `Connection: close`, then — once no connection is left, or after the shutdown timeout,
// when the remaining ones are cut — stop the workers and run the shutdown hooks in reverse
// order of registration.
//
// Thread-safety: configure (router(), Add*) before Start(); Shutdown() may be called from any
// thread (it does not block); Wait() and Run() from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/authenticator.h"
#include "server/json_body.h"
#include "server/metrics.h"
#include "server/router.h"

namespace writ::server {

struct ServerLimits {
  size_t max_header_bytes = 16 * 1024;  // request line and header fields together
  size_t max_body_bytes = 1024 * 1024;  // routes may set their own (RouteOptions)
  size_t max_connections = 10000;
  JsonLimits json;
};

struct ServerTimeouts {
  std::chrono::milliseconds read{10000};      // a whole request, from its first byte
  std::chrono::milliseconds idle{60000};      // a keep-alive connection between requests
  std::chrono::milliseconds write{10000};     // writing one answer
  std::chrono::milliseconds handler{30000};   // default for routes that set none
  std::chrono::milliseconds shutdown{30000};  // draining before connections are cut
};

struct ServerOptions {
  // "host:port"; "[v6]:port" for IPv6; port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:8080";
  int workers = 0;  // 0: one per core
  // TLS when both are set: PEM certificate chain and private key (TLS 1.2 and 1.3 only).
  std::string tls_cert_file;
  std::string tls_key_file;
  ServerLimits limits;
  ServerTimeouts timeouts;
};

// A readiness check: ok when the part it watches is ready, else why not.
using ReadinessCheck = std::function<Status()>;

class Server {
 public:
  // `metrics` and `authenticator` must outlive the server.
  Server(ServerOptions options, MetricsRegistry& metrics, const Authenticator& authenticator);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Shuts down and waits when still running.
  ~Server();

  const ServerOptions& options() const;
  Router& router();

  // /readyz reports ready when every check returns ok.
  void AddReadinessCheck(std::string name, ReadinessCheck check);
  // Runs once after the last connection closed (or was cut), in reverse order of registration.
  void AddShutdownHook(std::string name, std::function<void()> hook);

  // Loads TLS material, binds, listens and starts the workers. invalid_argument for a bad
  // listen address or TLS files that cannot be read; unavailable when the address is in use.
  Status Start();
  // The bound port (after Start).
  uint16_t port() const;
  // "host:port" actually bound (after Start).
  std::string bound_address() const;

  // Begins the graceful shutdown; returns at once. Idempotent.
  void Shutdown();
  // Blocks until the shutdown is complete (hooks run). Precondition: Start() succeeded.
  void Wait();
  // Start, serve until SIGTERM or SIGINT (or Shutdown()), then Wait. `on_listening`, when set,
  // runs once the server listens (e.g. to print the address).
  Status Run(const std::function<void()>& on_listening = {});

  // Runs the readiness checks; the failing ones are returned with their Status.
  std::vector<std::pair<std::string, Status>> FailingReadinessChecks() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace writ::server
