// McpGateway: Writ between MCP clients and MCP servers (DESIGN.md §3.5; docs/gateway.md).
//
// Each configured upstream ([[gateway.upstream]]) is mounted at /mcp/<name> as an MCP
// Streamable HTTP endpoint:
//   POST    one JSON-RPC message; a request is answered with JSON (or, for a client that
//           accepts only text/event-stream, one SSE event), a notification or a response with
//           202. A forwarded request that asks for progress (`_meta.progressToken`) from a
//           client that accepts text/event-stream is answered with an event stream: the
//           server's progress as it comes, the response last. `initialize` opens a session
//           (Mcp-Session-Id) bound to the token's task and agent; every later message must
//           carry it.
//   GET     the session's stream of server-initiated messages (text/event-stream): the
//           upstream's list-changed notifications (from a stdio server's output or a
//           Streamable HTTP server's own GET stream). One per session.
//   DELETE  ends the session (and its stream); only its own task and agent may.
// The bearer token (a Writ task or delegated token) is verified on every request, so a revoked
// task stops at its next message; a call held for approval has its token verified again before
// it is decided again and before it is forwarded, so one whose task ended (or whose token
// expired or was revoked) while it waited is refused, never forwarded.
//
// Methods: `tools/list` is forwarded and its answer filtered to the tools the principal may use
// (one listing decision per tool, each recorded); `tools/call`, `resources/read` and
// `prompts/get` are decided before they are forwarded — deny answers a JSON-RPC error with the
// policy's @reason and the decision id; narrowing rewrites the arguments (a tool's arguments,
// the URI read, the prompt's name; a narrowed input that cannot be sent is refused) and redacts
// result fields; approval_required holds the call until an approver decides through /v1/approvals
// or the approval timeout passes; brokered secrets are released for allowed calls into header
// fields of the upstream request. The outcome of every forwarded call (status, result digest and
// size, latency) is recorded against its decision: queued in the ledger before the answer is
// sent and written with the ledger's next record (a lazy append, within `[ledger]
// lazy_within_ms`), or durable before it with `outcome_before_reply`. `ping` is
// answered here; `resources/list`, `resources/templates/list`, `prompts/list` and
// `completion/complete` pass through unchanged; notifications pass through
// (`notifications/cancelled` with its request id translated); any other method is method-not-found.
//
// The Cedar request of a call: principal Agent::"<agent>" (with the usual request-time
// entities), action <action_namespace>::Action::"<tool>" (or Action::"resources/read",
// Action::"prompts/get"), resource <resource_type>::"<upstream name>", context.input the
// arguments (resources/read: {"uri"}; prompts/get: {"name"}).
//
// Thread-safety: handlers run on the server's threads; upstream answers on the worker that
// received the call (Streamable HTTP exchanges run on its event loop), or on reader and pool
// threads; held approvals are polled by one thread. All shared state is under locks.
#pragma once

#include <boost/json.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "authz/decision.h"
#include "base/clock.h"
#include "base/status.h"
#include "gateway/upstream.h"
#include "server/config.h"
#include "server/server.h"
#include "server/service_assembly.h"
#include "service/decision_service.h"
#include "service/work_pool.h"
#include "store/store.h"

namespace writ::gateway {

class McpGateway {
  struct Passkey {};

 public:
  // Builds the upstreams (nothing started yet).
  static Result<std::unique_ptr<McpGateway>> Create(const server::GatewaySettings& settings,
                                                    service::DecisionService& service,
                                                    store::Store& store, const Clock& clock);
  ~McpGateway();
  McpGateway(const McpGateway&) = delete;
  McpGateway& operator=(const McpGateway&) = delete;

  // Starts the upstreams (waiting a little for each to initialize), adds the routes, the
  // readiness check "gateway" (every upstream initialized) and the shutdown hook.
  Status Install(server::Server& server);
  // Fails held calls, stops the upstreams and the pool. Idempotent.
  void Shutdown();

  // The upstream mounted as `name` (null when none), for tests.
  Upstream* upstream(const std::string& name);

  struct Mount;
  struct Session;
  struct Call;

  McpGateway(Passkey, const server::GatewaySettings& settings, service::DecisionService& service,
             store::Store& store, const Clock& clock);

 private:
  void HandlePost(Mount& mount, const server::Request& request, server::Responder responder);
  void HandleDelete(Mount& mount, const server::Request& request, server::Responder responder);
  void HandleGet(Mount& mount, const server::Request& request, server::Responder responder);
  // The session a message names, checked against its token and protocol version; null after
  // answering the error (with `id`).
  std::shared_ptr<Session> FindSession(Mount& mount, const server::Request& request,
                                       const identity::VerifiedToken& token,
                                       const boost::json::value& id, server::Responder& responder);
  // An upstream's notification outside any request, to the GET streams of its mount's sessions.
  void Broadcast(Mount& mount, const boost::json::object& message);
  // A new event stream to a client, bounded by max_buffered_bytes (see ResponseStream). When it
  // closes, `on_close` runs (if set), after a log line when its client, too slow, was cut off
  // (`what` names the stream there).
  std::shared_ptr<server::ResponseStream> NewEventStream(const Mount& mount, bool end_on_shutdown,
                                                         std::string what,
                                                         std::function<void()> on_close) const;
  void Initialize(Mount& mount, std::shared_ptr<Call> call, const boost::json::value& params);
  void ListTools(std::shared_ptr<Call> call);
  void Authorize(std::shared_ptr<Call> call);
  void OnDecision(std::shared_ptr<Call> call, Result<authz::DecisionOutcome> outcome);
  void Forward(std::shared_ptr<Call> call, const authz::DecisionOutcome& decision);
  void Hold(std::shared_ptr<Call> call, const authz::DecisionOutcome& decision);
  void PollHeld();
  // The call's bearer token verified again, as the server verifies every arriving message
  // (signature, audience, expiry, revocation of its lineage, task, agent and user); a refusal is
  // recorded by the token service like any other (a deny record in the ledger).
  Status VerifyAgain(const Call& call);
  // Answers a held call whose token no longer verifies: -32001 with its decision (and approval)
  // id and the refusal's code (task_revoked, token_expired, ...), and an `error` outcome with
  // that code against the decision. Nothing is forwarded.
  void RefuseRevoked(std::shared_ptr<Call> call, const std::string& approval_id, const Status& why);
  void Finish(std::shared_ptr<Call> call, boost::json::object message, bool record,
              const std::string& status, const std::string& error, int64_t result_size,
              const std::string& result_digest);

  server::GatewaySettings settings_;
  service::DecisionService& service_;
  store::Store& store_;
  const Clock& clock_;
  std::unique_ptr<service::WorkPool> pool_;
  std::vector<std::unique_ptr<Mount>> mounts_;

  std::mutex sessions_mu_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;

  struct Held {
    std::shared_ptr<Call> call;
    std::string approval_id;
    std::string decision_id;
    int64_t deadline_ms = 0;
  };
  std::mutex held_mu_;
  std::condition_variable held_cv_;
  std::vector<Held> held_;
  bool stopping_ = false;
  std::thread poller_;
  bool shut_down_ = false;
};

// `writ serve`'s wiring: when the configuration names upstreams and the decision service runs,
// creates the gateway, adopts it and installs it. invalid_argument when upstreams are
// configured without the decision service.
Status WireGateway(server::ServiceAssembly& assembly, service::DecisionService* service);

// A new Mcp-Session-Id: 128 random bits in lowercase hex. `unavailable` when the system's random
// generator fails (`initialize` then answers an error and opens no session).
Result<std::string> NewSessionId();

}  // namespace writ::gateway
