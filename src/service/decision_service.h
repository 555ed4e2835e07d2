// DecisionService: Writ's decision service — the JSON and OAuth API that agents, approvers and
// investigators call — assembled over the one store `writ serve` opens.
//
// Create() builds, in dependency order: the secrets (the master key from a file or an
// environment variable, the evidence HMAC key likewise), the ledger with this node's checkpoint
// signer (`<data dir>/ledger.key`), the evidence policy, the ledger-backed identity event sink
// (ledger_event_sink.h), the identity parts (signing key ring, agent registry, revocation index
// loaded from the store, token service, users' token verifier with its OIDC providers, secret
// broker), the caller resolver (caller_resolver.h), the policy bundle watcher — whose every
// accepted load stores the policy set and entity data as content-addressed blobs and records
// `policy_set_loaded` / `entity_data_loaded` before the bundle serves (a load that cannot be
// recorded does not serve; the last recorded bundle keeps serving and the load is retried) —
// and the decision engine, whose just-in-time credentials are minted by
// TokenService::IssueCredential.
//
// Install() gives the server its routes (each api_*.cc file names its routes at its top; the
// decision codes are in authz/decision.h, the approval flow in docs/annotations.md), installs
// TokenService::Verify as the bearer verifier (the verified token travels to the handlers in
// server::Caller::credential), adds the readiness checks "bundle" (a bundle is loaded) and
// "ledger" (the last append succeeded and the store answers) and the shutdown hooks that stop
// the bundle watcher, drain the work pool and close the ledger (which completes every accepted
// append and checkpoints).
//
// Threads: handlers run on the server's workers and never wait on the disk there; a decision is
// handed to the ledger (DecisionEngine::DecideAsync) and answered from its completion callback;
// work that waits on a sync (issuing tokens, revocations, approvals, checkpoints) runs on a
// small WorkPool (work_pool.h). The one exception is the creation of a pending approval inside
// a decision that needs one, a single-row insert made by the engine on the calling thread (and,
// only when the ledger refused its records, its withdrawal, a single-row delete on the ledger's
// completion thread).
//
// Thread-safety: after Install(), every handler may run on any thread at once. Shutdown() is
// idempotent; the destructor calls it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "authz/bundle_watcher.h"
#include "authz/decision.h"
#include "base/clock.h"
#include "base/status.h"
#include "identity/agent_registry.h"
#include "identity/http_fetcher.h"
#include "identity/master_key.h"
#include "identity/revocation_index.h"
#include "identity/secret_broker.h"
#include "identity/signing_keys.h"
#include "identity/token_service.h"
#include "identity/user_tokens.h"
#include "ledger/checkpoint.h"
#include "ledger/evidence.h"
#include "ledger/ledger.h"
#include "server/config.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/server.h"
#include "server/service_assembly.h"
#include "service/agent_entities.h"
#include "service/caller_resolver.h"
#include "service/ledger_event_sink.h"
#include "service/work_pool.h"
#include "store/store.h"

namespace writ::service {

class ServiceMetrics;

class DecisionService {
  struct Passkey {};

 public:
  // Builds every part. Errors keep their codes: failed_precondition for a missing or unsafe
  // master key or evidence key, invalid_argument for bad settings, the store's and the
  // ledger's own errors. A bundle that does not load is not an error here: the service starts
  // unready (readiness "bundle") and keeps watching the directory.
  static Result<std::unique_ptr<DecisionService>> Create(
      const server::DecisionServiceSettings& settings, const std::string& data_dir,
      store::Store& store, server::MetricsRegistry& metrics, const Clock& clock);

  DecisionService(Passkey, const server::DecisionServiceSettings& settings, store::Store& store,
                  server::MetricsRegistry& metrics, const Clock& clock);
  DecisionService(const DecisionService&) = delete;
  DecisionService& operator=(const DecisionService&) = delete;
  ~DecisionService();

  // Routes, bearer verifier, readiness checks and shutdown hooks (before the server starts).
  Status Install(server::Server& server, server::Authenticator& authenticator);
  // Stops the watcher, drains the work pool, closes the ledger. Idempotent.
  void Shutdown();

  // The parts, for tests and for other parts adopted after this one.
  const std::string& origin() const { return origin_; }
  std::string VerifierKey() const;
  ledger::Ledger& ledger() { return *ledger_; }
  identity::TokenService& tokens() { return *tokens_; }
  identity::AgentRegistry& agents() { return *agents_; }
  identity::SecretBroker& secrets() { return *broker_; }
  authz::DecisionEngine& engine() { return *engine_; }
  authz::BundleWatcher& bundles() { return *watcher_; }
  CallerResolver& callers() { return *resolver_; }

  // For parts wired after this one (the MCP gateway). A decision made, counted (under
  // `source`) and recorded like the API's: `done` is called once the record is durable (see
  // Decide below).
  void DecideFor(const authz::DecisionInput& input, std::string_view source,
                 authz::DecisionEngine::DecisionCallback done) {
    Decide(input, source, std::move(done));
  }
  // Records the outcome of a decided call (an `outcome` record); `done` once durable.
  void RecordOutcome(const ledger::OutcomeRecord& outcome,
                     std::function<void(Result<ledger::AppendReceipt>)> done) {
    AppendThen(ledger::RecordKind::kOutcome, outcome.ToJson(), std::move(done), false);
  }
  // The same for an outcome nobody waits on: written with the ledger's next append or within
  // its lazy_within_ms (Ledger::AppendLazyAsync).
  void RecordOutcomeLazily(const ledger::OutcomeRecord& outcome,
                           std::function<void(Result<ledger::AppendReceipt>)> done) {
    AppendThen(ledger::RecordKind::kOutcome, outcome.ToJson(), std::move(done), true);
  }

 private:
  class Minter;
  friend class Minter;

  Status Build(const std::string& data_dir);
  // The watcher's on_loaded: publishes `bundle` (PublishLocked). An error keeps the watcher
  // from adopting it, and it retries at its next poll.
  Status OnBundleLoaded(const authz::Bundle& bundle, const authz::Bundle* previous);
  // Builds the bundle decisions use from the loaded one and the registered agents
  // (agent_entities.h), stores its blobs, records what changed, then publishes it. Fails
  // closed: when the blobs cannot be stored or the load cannot be recorded, nothing is
  // published (the bundle that serves keeps serving), the refusal is counted and logged, and
  // unavailable is returned. Holds publish_mu_.
  Status PublishLocked();
  // After an agent registration: the agents' entities changed. When that cannot be recorded,
  // the watcher tries again at its next poll.
  void RepublishAgents();

  // Routes, by area (one source file each).
  Status AddTaskRoutes(server::Router& router);       // api_tasks.cc
  Status AddOAuthRoutes(server::Router& router);      // api_oauth.cc
  Status AddAuthorizeRoutes(server::Router& router);  // api_authorize.cc
  Status AddApprovalRoutes(server::Router& router);   // api_approvals.cc
  Status AddAgentRoutes(server::Router& router);      // api_agents.cc
  Status AddQueryRoutes(server::Router& router);      // api_queries.cc: decisions, explain,
                                                      // ledger, policies, well-known

  // Shared by the handlers (api_support.cc).
  // Decides and calls `done` once the record is durable (on the ledger's completion thread, or
  // on this one for refusals found before recording); counts the verdict and latency under
  // `source` and tracks the ledger's health. A credential minted for a decision that could not
  // be recorded is revoked (on the pool).
  void Decide(const authz::DecisionInput& input, std::string_view source,
              authz::DecisionEngine::DecisionCallback done);
  // Blocking form, for work already on the pool.
  Result<authz::DecisionOutcome> DecideNow(const authz::DecisionInput& input,
                                           std::string_view source);
  // Runs `work` on the pool; false when the pool refused it (the caller answers 503).
  bool Offload(std::function<void()> work);
  // Appends a record and waits for it (pool threads only).
  Result<ledger::AppendReceipt> AppendNow(ledger::RecordKind kind, boost::json::object body);
  // Appends a record and calls `done` once durable (any thread); `lazy`: with the ledger's next
  // append (Ledger::AppendLazyAsync).
  void AppendThen(ledger::RecordKind kind, boost::json::object body,
                  std::function<void(Result<ledger::AppendReceipt>)> done, bool lazy = false);
  void NoteLedgerResult(bool ok);

  server::DecisionServiceSettings settings_;
  store::Store& store_;
  server::MetricsRegistry& registry_;
  const Clock& clock_;
  std::string origin_;
  std::string token_endpoint_;

  std::optional<identity::MasterKey> master_key_;
  std::unique_ptr<ledger::NoteSigner> note_signer_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::optional<ledger::EvidencePolicy> evidence_;
  std::unique_ptr<LedgerEventSink> sink_;
  std::unique_ptr<identity::SigningKeyRing> keys_;
  std::unique_ptr<identity::AgentRegistry> agents_;
  std::unique_ptr<identity::RevocationIndex> revocations_;
  std::unique_ptr<identity::TokenService> tokens_;
  std::unique_ptr<identity::HttpFetcher> fetcher_;
  std::unique_ptr<identity::UserTokenVerifier> users_;
  std::unique_ptr<identity::SecretBroker> broker_;
  std::unique_ptr<CallerResolver> resolver_;
  std::unique_ptr<Minter> minter_;
  std::unique_ptr<ServiceMetrics> metrics_;
  std::unique_ptr<authz::BundleWatcher> watcher_;
  AgentEntityOverlay overlay_;  // what the engine decides with
  std::mutex publish_mu_;
  std::string base_policy_blob_;    // of the bundle as loaded (publish_mu_)
  std::string base_entities_blob_;  // (publish_mu_)
  std::string base_directory_;      // (publish_mu_)
  std::string overlay_error_;       // why agents could not be laid over (publish_mu_)
  // Bundles (or agent entity updates) not published because they could not be recorded.
  std::atomic<uint64_t> unrecorded_publishes_{0};
  std::unique_ptr<authz::DecisionEngine> engine_;
  std::unique_ptr<WorkPool> pool_;

  std::atomic<bool> ledger_failing_{false};
  std::atomic<bool> shut_down_{false};
};

// `writ serve`'s wiring of the decision service into an opened assembly: when
// config().service.bundle_dir is set, creates the service, adopts it and installs it; otherwise
// does nothing (the server keeps only its own routes). `wired`, when given, receives the
// service (null when it is off), for the parts wired after it (the MCP gateway).
Status WireDecisionService(server::ServiceAssembly& assembly, DecisionService** wired = nullptr);

}  // namespace writ::service
