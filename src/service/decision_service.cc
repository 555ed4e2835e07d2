#include "service/decision_service.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "base/encoding.h"
#include "ledger/records.h"
#include "service/service_metrics.h"

namespace writ::service {
namespace {

namespace json = boost::json;

// Reads a secret file: refused when group or others may read it; trailing newlines dropped.
Result<std::string> ReadSecretFile(const std::string& path, std::string_view what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound(std::string(what) + ": no file at " + path);
    return IoError(std::string(what) + ": cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return FailedPrecondition(std::string(what) + ": " + path +
                              " is readable by group or others; chmod 600 it");
  }
  std::string data;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      ::close(fd);
      return IoError(std::string(what) + ": cannot read " + path);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > (1 << 16)) {
      ::close(fd);
      return InvalidArgument(std::string(what) + ": " + path + " is larger than 64 KiB");
    }
  }
  ::close(fd);
  while (!data.empty() && (data.back() == '\n' || data.back() == '\r')) data.pop_back();
  return data;
}

Result<identity::MasterKey> LoadMasterKey(const server::DecisionServiceSettings& s) {
  if (!s.master_key_file.empty()) return identity::MasterKey::FromFile(s.master_key_file);
  auto key = identity::MasterKey::FromEnvironment(s.master_key_env.c_str());
  if (key.ok() || key.status().code() != StatusCode::kNotFound) return key;
  return FailedPrecondition(
      "identity: no master key: set identity.master_key_file, or the environment variable " +
      s.master_key_env + " (64 hex digits or base64 of 32 bytes)");
}

Result<std::string> LoadEvidenceKey(const server::DecisionServiceSettings& s) {
  if (!s.hmac_key_file.empty()) return ReadSecretFile(s.hmac_key_file, "evidence key");
  if (!s.hmac_key_env.empty()) {
    const char* v = std::getenv(s.hmac_key_env.c_str());
    if (v == nullptr) {
      return FailedPrecondition("evidence: the environment variable " + s.hmac_key_env +
                                " (evidence.hmac_key_env) is not set");
    }
    std::string key(v);
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    return key;
  }
  return std::string();
}

std::vector<JwsAlgorithm> Algorithms(const std::vector<std::string>& names) {
  std::vector<JwsAlgorithm> out;
  for (const std::string& n : names) {
    if (auto a = ParseJwsAlgorithm(n)) out.push_back(*a);
  }
  return out;
}

}  // namespace

// Mints just-in-time credentials for allowed decisions, and remembers which decision each was
// minted for until the decision completes, so that a credential whose decision could not be
// recorded (and was therefore never handed out) is revoked.
class DecisionService::Minter final : public authz::CredentialMinter {
 public:
  explicit Minter(identity::TokenService& tokens) : tokens_(tokens) {}

  Result<authz::MintedCredential> Mint(const std::string& presented_token,
                                       const std::string& decision_id,
                                       const authz::CredentialAsk& ask) override {
    identity::CredentialRequest r;
    r.parent_token = presented_token;
    r.decision_id = decision_id;
    r.audience = ask.audience;
    r.scopes = ask.scopes;
    r.lifetime_s = ask.lifetime_s;
    WRIT_ASSIGN_OR_RETURN(identity::IssuedToken issued, tokens_.IssueCredential(r));
    {
      std::lock_guard<std::mutex> lock(mu_);
      minted_[decision_id] = issued.claims.token_id;
    }
    authz::MintedCredential c;
    c.id = issued.claims.token_id;
    c.token = std::move(issued.token);
    c.expires_us = issued.claims.expires_at * 1000000;
    c.scopes = issued.claims.scopes;
    return c;
  }

  // The credential minted for `decision_id`, forgotten; "" when none.
  std::string Take(const std::string& decision_id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = minted_.find(decision_id);
    if (it == minted_.end()) return {};
    std::string id = std::move(it->second);
    minted_.erase(it);
    return id;
  }

 private:
  identity::TokenService& tokens_;
  std::mutex mu_;
  std::map<std::string, std::string> minted_;
};

DecisionService::DecisionService(Passkey, const server::DecisionServiceSettings& settings,
                                 store::Store& store, server::MetricsRegistry& metrics,
                                 const Clock& clock)
    : settings_(settings), store_(store), registry_(metrics), clock_(clock) {}

DecisionService::~DecisionService() {
  Shutdown();
}

Result<std::unique_ptr<DecisionService>> DecisionService::Create(
    const server::DecisionServiceSettings& settings, const std::string& data_dir,
    store::Store& store, server::MetricsRegistry& metrics, const Clock& clock) {
  WRIT_RETURN_IF_ERROR(server::ValidateDecisionServiceSettings(settings));
  auto service = std::make_unique<DecisionService>(Passkey{}, settings, store, metrics, clock);
  WRIT_RETURN_IF_ERROR(service->Build(data_dir));
  return service;
}

Status DecisionService::Build(const std::string& data_dir) {
  const server::DecisionServiceSettings& s = settings_;
  origin_ = s.origin.empty() ? s.trust_domain + "/node-1" : s.origin;
  WRIT_RETURN_IF_ERROR(ledger::ValidateOrigin(origin_).WithContext("config: ledger.origin"));
  token_endpoint_ = s.issuer + "/oauth/token";

  // Secrets first: nothing is opened without them.
  WRIT_ASSIGN_OR_RETURN(identity::MasterKey master, LoadMasterKey(s));
  master_key_.emplace(std::move(master));
  WRIT_ASSIGN_OR_RETURN(std::string hmac_key, LoadEvidenceKey(s));

  // The ledger, with this node's checkpoint key.
  WRIT_ASSIGN_OR_RETURN(note_signer_,
                        ledger::LoadOrCreateFileNoteSigner(data_dir + "/ledger.key", origin_));
  ledger::LedgerOptions lo;
  lo.origin = origin_;
  lo.checkpoint_every_records = static_cast<uint64_t>(s.checkpoint_every_records);
  lo.checkpoint_every_ms = s.checkpoint_every_ms;
  lo.outside_checkpoint_file = s.checkpoint_file;
  lo.max_pending_records = static_cast<size_t>(s.max_pending_records);
  lo.lazy_within_ms = s.lazy_within_ms;
  WRIT_ASSIGN_OR_RETURN(ledger_, ledger::Ledger::Open(store_.ledger(), *note_signer_, clock_, lo));

  ledger::EvidenceConfig ec;
  ec.hmac_key = std::move(hmac_key);
  ec.sensitive_names = s.sensitive_names;
  ec.sensitive_paths = s.sensitive_paths;
  WRIT_ASSIGN_OR_RETURN(ec.default_depth, ledger::ParseEvidenceDepth(s.default_depth));
  WRIT_ASSIGN_OR_RETURN(ledger::EvidencePolicy evidence, ledger::EvidencePolicy::Create(ec));
  evidence_.emplace(std::move(evidence));

  metrics_ = std::make_unique<ServiceMetrics>(registry_);
  sink_ = std::make_unique<LedgerEventSink>(*ledger_, *evidence_, clock_, s.trust_domain);
  sink_->SetObserver([this](const identity::IdentityEvent& e) {
    if (e.type == identity::EventType::kRefused) metrics_->CountRefusal(e.error);
  });

  // Identity.
  identity::KeyRingOptions ko;
  ko.algorithm = s.signing_algorithm == "ES256" ? JwsAlgorithm::kES256 : JwsAlgorithm::kEdDSA;
  WRIT_ASSIGN_OR_RETURN(
      keys_, identity::SigningKeyRing::Open(store_.identity(), *master_key_, clock_, *sink_, ko));
  identity::AgentRegistryOptions ao;
  ao.trust_domain = s.trust_domain;
  ao.token_endpoint = token_endpoint_;
  agents_ = std::make_unique<identity::AgentRegistry>(store_.identity(), *sink_, clock_, ao);
  revocations_ = std::make_unique<identity::RevocationIndex>();
  WRIT_RETURN_IF_ERROR(revocations_->LoadFromStore(store_.identity()).status());
  identity::TokenServiceOptions to;
  to.issuer = s.issuer;
  to.default_audience = s.audience;
  to.task_token_lifetime_s = s.task_token_lifetime_s;
  to.max_task_token_lifetime_s = s.max_task_token_lifetime_s;
  to.credential_lifetime_s = s.credential_lifetime_s;
  to.max_credential_lifetime_s = s.max_credential_lifetime_s;
  to.max_delegation_depth = s.max_delegation_depth;
  tokens_ = std::make_unique<identity::TokenService>(store_.identity(), *keys_, *agents_,
                                                     *revocations_, *sink_, clock_, to);
  fetcher_ = identity::MakeBeastHttpFetcher();
  users_ = std::make_unique<identity::UserTokenVerifier>(clock_, *sink_);
  for (const server::OidcProviderSettings& p : s.oidc) {
    identity::OidcProviderConfig pc;
    pc.issuer = p.issuer;
    pc.audiences = p.audiences;
    if (!p.algorithms.empty()) pc.algorithms = Algorithms(p.algorithms);
    pc.groups_claim = p.groups_claim;
    pc.clock_skew_s = p.clock_skew_s;
    std::unique_ptr<identity::JwksSource> jwks = p.jwks_file.empty()
                                                     ? identity::JwksFromUrl(p.jwks_url, *fetcher_)
                                                     : identity::JwksFromFile(p.jwks_file);
    WRIT_RETURN_IF_ERROR(users_->AddProvider(std::move(pc), std::move(jwks))
                             .WithContext("config: [[identity.oidc]] " + p.issuer));
  }
  broker_ =
      std::make_unique<identity::SecretBroker>(store_.identity(), *master_key_, *sink_, clock_);
  resolver_ = std::make_unique<CallerResolver>(*agents_, store_.ledger(), s.trust_domain);
  minter_ = std::make_unique<Minter>(*tokens_);

  // Policies: a bundle that does not load leaves the service unready, not stopped.
  watcher_ = std::make_unique<authz::BundleWatcher>(
      s.bundle_dir, authz::BundleOptions{},
      [this](const authz::Bundle& b, const authz::Bundle* previous) {
        return OnBundleLoaded(b, previous);
      });
  Status first = watcher_->Reload();
  if (!first.ok()) {
    std::fprintf(stderr, "writ: policies: %s (not ready until a bundle loads)\n",
                 first.ToString().c_str());
  }
  if (s.reload_interval_ms > 0) watcher_->Start(s.reload_interval_ms);

  authz::EngineOptions eo;
  eo.node = origin_;
  eo.approval_ttl_us = s.approval_ttl_s * 1000000;
  eo.minter = minter_.get();
  engine_ = std::make_unique<authz::DecisionEngine>(overlay_, *ledger_, *evidence_,
                                                    store_.approvals(), clock_, eo);
  pool_ = std::make_unique<WorkPool>(s.blocking_threads, static_cast<size_t>(s.max_queued_work));
  return Status::Ok();
}

Status DecisionService::OnBundleLoaded(const authz::Bundle& b, const authz::Bundle* previous) {
  (void)previous;  // what changed is judged against the published bundle
  std::lock_guard<std::mutex> lock(publish_mu_);
  std::string policy_blob = std::exchange(base_policy_blob_, b.policy_blob);
  std::string entities_blob = std::exchange(base_entities_blob_, b.entities_blob);
  std::string directory = std::exchange(base_directory_, b.directory);
  Status published = PublishLocked();
  if (!published.ok()) {
    // Not published: agent registrations keep building on the bundle that serves.
    base_policy_blob_ = std::move(policy_blob);
    base_entities_blob_ = std::move(entities_blob);
    base_directory_ = std::move(directory);
  }
  return published;
}

void DecisionService::RepublishAgents() {
  std::lock_guard<std::mutex> lock(publish_mu_);
  if (base_policy_blob_.empty()) return;
  // Unpublished, the agents' entities are laid over again when the watcher next polls.
  if (!PublishLocked().ok()) watcher_->RetryAtNextPoll();
}

Status DecisionService::PublishLocked() {
  std::shared_ptr<const authz::Bundle> next;
  Result<std::vector<identity::Agent>> agents = agents_->List();
  if (agents.ok()) {
    auto built = AgentEntityOverlay::Build(base_policy_blob_, base_entities_blob_, *agents);
    if (built.ok()) {
      next = std::move(built).value();
      overlay_error_.clear();
    } else {
      overlay_error_ = built.status().ToString();
    }
  } else {
    overlay_error_ = agents.status().ToString();
  }
  if (!next) {
    std::fprintf(stderr, "writ: policies: registered agents are not in the entity data: %s\n",
                 overlay_error_.c_str());
    auto plain = authz::BundleFromBlobs(base_policy_blob_, base_entities_blob_);
    if (!plain.ok()) {
      std::fprintf(stderr, "writ: policies: %s\n", plain.status().ToString().c_str());
      return plain.status();
    }
    next = std::move(plain).value();
  }
  std::shared_ptr<const authz::Bundle> previous = overlay_.Current();

  // Fail closed: a bundle serves only once its blobs are stored and its load is recorded, so
  // that every decision names a policy set and entity data whose load is in the ledger before
  // it, and can be replayed and explained from the store alone. Otherwise the bundle that
  // serves keeps serving, and the caller tries again later.
  auto refuse = [&](const char* step, const Status& why) {
    std::string what =
        std::string("the load could not be recorded (") + step + "): " + why.ToString();
    std::fprintf(stderr,
                 "writ: policies: %s; the bundle does not serve (the last recorded one keeps "
                 "serving) and is tried again at the next poll\n",
                 what.c_str());
    unrecorded_publishes_.fetch_add(1, std::memory_order_relaxed);
    return Unavailable(what);
  };
  Status stored = store_.blobs().PutBlob("application/json", next->policy_blob).status();
  if (stored.ok())
    stored = store_.blobs().PutBlob("application/json", next->entities_blob).status();
  if (!stored.ok()) return refuse("storing the bundle's blobs", stored);
  std::vector<ledger::LedgerEntry> entries;
  Status encoded = Status::Ok();
  auto add = [&](ledger::RecordKind kind, const Digest& hash, const Digest* previous_hash,
                 size_t size) {
    ledger::VersionLoadedRecord r;
    r.content_hash = DigestHex(hash);
    if (previous_hash != nullptr) r.previous_hash = DigestHex(*previous_hash);
    r.source = base_directory_;
    r.node = origin_;
    r.size = static_cast<int64_t>(size);
    auto e = evidence_->Entry(kind, r.ToJson());
    if (e.ok()) {
      entries.push_back(std::move(e).value());
    } else if (encoded.ok()) {
      encoded = e.status();
    }
  };
  if (!previous || previous->policy_hash != next->policy_hash) {
    add(ledger::RecordKind::kPolicySetLoaded, next->policy_hash,
        previous ? &previous->policy_hash : nullptr, next->policy_blob.size());
  }
  if (!previous || previous->entities_hash != next->entities_hash) {
    add(ledger::RecordKind::kEntityDataLoaded, next->entities_hash,
        previous ? &previous->entities_hash : nullptr, next->entities_blob.size());
  }
  if (!encoded.ok()) return refuse("making its records", encoded);
  if (!entries.empty()) {
    auto appended = ledger_->AppendBatch(std::move(entries));
    NoteLedgerResult(appended.ok());
    if (!appended.ok()) return refuse("appending to the ledger", appended.status());
  }
  overlay_.Publish(std::move(next));
  return Status::Ok();
}

std::string DecisionService::VerifierKey() const {
  return ledger::FormatVerifierKey(note_signer_->name(), note_signer_->public_key());
}

void DecisionService::NoteLedgerResult(bool ok) {
  ledger_failing_.store(!ok, std::memory_order_relaxed);
}

void DecisionService::Decide(const authz::DecisionInput& input, std::string_view source,
                             authz::DecisionEngine::DecisionCallback done) {
  int64_t start = MonotonicMicros();
  bool may_mint = input.credential.has_value();
  engine_->DecideAsync(input, [this, source, start, may_mint,
                               done = std::move(done)](Result<authz::DecisionOutcome> r) {
    if (r.ok()) {
      NoteLedgerResult(r->code != authz::kCodeLedgerUnavailable);
      metrics_->CountDecision(source, r->verdict, MonotonicMicros() - start);
      if (may_mint) {
        std::string minted = minter_->Take(r->decision_id);
        if (!minted.empty() && !r->credential) {
          // Never handed out: revoke it, off this (the ledger's) thread.
          Offload([this, minted] {
            (void)tokens_->Revoke(store::RevocationTarget::kToken, minted,
                                  "its decision could not be recorded");
          });
        }
      }
    }
    done(std::move(r));
  });
}

Result<authz::DecisionOutcome> DecisionService::DecideNow(const authz::DecisionInput& input,
                                                          std::string_view source) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<authz::DecisionOutcome>> result;
  Decide(input, source, [&](Result<authz::DecisionOutcome> r) {
    std::lock_guard<std::mutex> lock(mu);
    result.emplace(std::move(r));
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return result.has_value(); });
  return std::move(*result);
}

bool DecisionService::Offload(std::function<void()> work) {
  return pool_ != nullptr && pool_->TrySubmit(std::move(work));
}

Result<ledger::AppendReceipt> DecisionService::AppendNow(ledger::RecordKind kind,
                                                         json::object body) {
  WRIT_ASSIGN_OR_RETURN(ledger::LedgerEntry entry, evidence_->Entry(kind, std::move(body)));
  Result<ledger::AppendReceipt> r = ledger_->Append(std::move(entry));
  NoteLedgerResult(r.ok());
  return r;
}

void DecisionService::AppendThen(ledger::RecordKind kind, json::object body,
                                 std::function<void(Result<ledger::AppendReceipt>)> done,
                                 bool lazy) {
  Result<ledger::LedgerEntry> entry = evidence_->Entry(kind, std::move(body));
  if (!entry.ok()) return done(entry.status());
  auto shared_done =
      std::make_shared<std::function<void(Result<ledger::AppendReceipt>)>>(std::move(done));
  auto recorded = [this, shared_done](Result<ledger::AppendReceipt> r) {
    NoteLedgerResult(r.ok());
    (*shared_done)(std::move(r));
  };
  Status queued = lazy ? ledger_->AppendLazyAsync(std::move(entry).value(), std::move(recorded))
                       : ledger_->AppendAsync(std::move(entry).value(), std::move(recorded));
  if (!queued.ok()) (*shared_done)(Unavailable("ledger: " + queued.message()));
}

Status DecisionService::Install(server::Server& server, server::Authenticator& authenticator) {
  std::string audience = settings_.audience;
  authenticator.SetBearerVerifier(
      [this, audience](std::string_view token) -> Result<server::Caller> {
        identity::VerifyOptions vo;
        vo.audience = audience;
        WRIT_ASSIGN_OR_RETURN(std::shared_ptr<const identity::VerifiedToken> verified,
                              tokens_->Verify(token, vo));
        server::Caller c;
        c.kind = server::CallerKind::kAgent;
        c.id = verified->claims.subject;
        c.name = verified->claims.token_id;
        c.credential = std::move(verified);
        return c;
      });

  server::Router& router = server.router();
  WRIT_RETURN_IF_ERROR(AddTaskRoutes(router));
  WRIT_RETURN_IF_ERROR(AddOAuthRoutes(router));
  WRIT_RETURN_IF_ERROR(AddAuthorizeRoutes(router));
  WRIT_RETURN_IF_ERROR(AddApprovalRoutes(router));
  WRIT_RETURN_IF_ERROR(AddAgentRoutes(router));
  WRIT_RETURN_IF_ERROR(AddQueryRoutes(router));

  server.AddReadinessCheck("bundle", [this]() -> Status {
    if (overlay_.Current()) return Status::Ok();
    std::string why = watcher_->Stats().last_error;
    return Unavailable("no policy bundle is loaded" + (why.empty() ? "" : ": " + why));
  });
  server.AddReadinessCheck("ledger", [this]() -> Status {
    if (ledger_failing_.load(std::memory_order_relaxed)) {
      return Unavailable("the ledger's last append failed: " + ledger_->Stats().last_error);
    }
    return store_.ledger().RecordCount(origin_).status();
  });
  // Hooks run in reverse order of registration: the watcher stops, the pool drains, then the
  // ledger completes what it accepted and checkpoints.
  server.AddShutdownHook("ledger", [this] { (void)ledger_->Close(); });
  server.AddShutdownHook("work-pool", [this] { pool_->Stop(); });
  server.AddShutdownHook("bundle-watcher", [this] { watcher_->Stop(); });

  registry_.AddCollector([this] {
    ScrapeValues v;
    ledger::LedgerStats ls = ledger_->Stats();
    v.ledger_failures = ls.append_failures + ls.rejected_full;
    v.ledger_records = ls.tree_size;
    v.ledger_pending = ls.pending;
    auto pending = store_.approvals().CountPending(clock_.NowMicros());
    v.approvals_pending = pending.ok() ? *pending : -1;
    authz::BundleWatcherStats bs = watcher_->Stats();
    v.bundle_loads = bs.loads;
    v.bundle_rejections = bs.rejected;
    v.bundle_unrecorded = unrecorded_publishes_.load(std::memory_order_relaxed);
    v.bundle_loaded = overlay_.Current() != nullptr;
    v.work_queue = pool_->queued();
    metrics_->SetFromScrape(v);
  });
  return Status::Ok();
}

void DecisionService::Shutdown() {
  if (shut_down_.exchange(true)) return;
  if (watcher_) watcher_->Stop();
  if (pool_) pool_->Stop();
  if (ledger_) (void)ledger_->Close();
}

Status WireDecisionService(server::ServiceAssembly& assembly, DecisionService** wired) {
  const server::ServeConfig& config = assembly.config();
  if (wired != nullptr) *wired = nullptr;
  if (config.service.bundle_dir.empty()) return Status::Ok();
  WRIT_ASSIGN_OR_RETURN(std::unique_ptr<DecisionService> service,
                        DecisionService::Create(config.service, config.data_dir, assembly.store(),
                                                assembly.metrics(), assembly.clock()));
  DecisionService& s = assembly.Adopt(std::move(service));
  if (wired != nullptr) *wired = &s;
  return s.Install(assembly.server(), assembly.authenticator());
}

}  // namespace writ::service
