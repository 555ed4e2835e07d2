// Identity benchmark: token verification per second, cold (full signature check, EdDSA and
// ES256) and repeated (served by the verified-token cache keyed by the token's SHA-256), the
// cost of one revocation check on a depth-3 delegated token against an index of 100k
// revocations, and the cost of one token exchange (verify the parent, sign the child, store it
// durably with its parent link, report the event).
//
// usage: identity_bench [--dir DIR] [--tokens N] [--seconds S]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/password_hash.h"
#include "identity/agent_registry.h"
#include "identity/events.h"
#include "identity/master_key.h"
#include "identity/revocation_index.h"
#include "identity/signing_keys.h"
#include "identity/token_service.h"
#include "store/sqlite_store.h"

namespace {

using namespace writ;
using namespace writ::identity;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// CPU time of the calling thread: on a machine shared with other builds, wall time measures
// the scheduler as much as the code; both are printed.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

class CountingSink final : public EventSink {
 public:
  Status Record(const IdentityEvent&) override {
    count.fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  }
  std::atomic<uint64_t> count{0};
};

struct World {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<MasterKey> master;
  SystemClock clock;
  CountingSink sink;
  std::unique_ptr<SigningKeyRing> keys;
  std::unique_ptr<AgentRegistry> agents;
  RevocationIndex index;
  std::unique_ptr<TokenService> tokens;
};

bool Open(World& w, const std::string& dir, JwsAlgorithm alg) {
  store::SqliteOptions so;
  so.data_dir = dir;
  auto s = store::OpenSqliteStore(so);
  if (!s.ok()) {
    std::fprintf(stderr, "store: %s\n", s.status().ToString().c_str());
    return false;
  }
  w.store = std::move(s).value();
  w.master = std::make_unique<MasterKey>(MasterKey::Generate().value());
  KeyRingOptions ko;
  ko.algorithm = alg;
  w.keys = SigningKeyRing::Open(w.store->identity(), *w.master, w.clock, w.sink, ko).value();
  AgentRegistryOptions ao;
  ao.trust_domain = "bench.writ";
  ao.token_endpoint = "https://bench.writ/token";
  ao.secret_hash_cost = MinimumPasswordHashCost();
  w.agents = std::make_unique<AgentRegistry>(w.store->identity(), w.sink, w.clock, ao);
  TokenServiceOptions to;
  to.issuer = "https://bench.writ";
  to.max_delegation_depth = 8;
  w.tokens = std::make_unique<TokenService>(w.store->identity(), *w.keys, *w.agents, w.index,
                                            w.sink, w.clock, to);
  for (const char* name : {"orchestrator", "researcher", "fetcher", "reviewer"}) {
    if (!w.agents->Register({name, "bench", "bench", "", ""}).ok()) return false;
  }
  return true;
}

IssuedToken Task(World& w, int i) {
  TaskTokenRequest r;
  r.agent = "orchestrator";
  r.user = {"user-" + std::to_string(i % 50) + "@example.com", "https://idp.example.com"};
  r.task_id = "task-" + std::to_string(i);
  r.scopes = {"read", "search", "write"};
  r.intent = "summarise the quarterly incident reports";
  return w.tokens->IssueTaskToken(r).value();
}

IssuedToken Delegate(World& w, const IssuedToken& parent, const char* actor) {
  ExchangeRequest r{parent.token, actor, {"read", "search"}, "", 0};
  return w.tokens->Exchange(r, nullptr).value();
}

void RunAlgorithm(const std::string& dir, JwsAlgorithm alg, int n_tokens, double seconds) {
  World w;
  std::filesystem::remove_all(dir);
  if (!Open(w, dir, alg)) return;
  const char* name = JwsAlgorithmName(alg).data();

  // Tokens to verify: depth-3 delegated tokens, the realistic shape of a sub-agent's call.
  std::vector<std::string> tokens;
  auto t0 = Clock::now();
  for (int i = 0; i < n_tokens; ++i) {
    IssuedToken root = Task(w, i);
    IssuedToken d1 = Delegate(w, root, "researcher");
    IssuedToken d2 = Delegate(w, d1, "fetcher");
    tokens.push_back(Delegate(w, d2, "reviewer").token);
  }
  double issue_s = Seconds(t0, Clock::now());
  std::printf(
      "%s: issued %d task tokens and %d exchanges (durable, SQLite synchronous=FULL) in "
      "%.2f s: %.0f us per issue/exchange\n",
      name, n_tokens, 3 * n_tokens, issue_s, issue_s * 1e6 / (4.0 * n_tokens));
  std::printf("%s: depth-3 token size %zu bytes\n", name, tokens[0].size());

  // Cold: each token's first verification (full signature check, claims, revocation).
  t0 = Clock::now();
  double c0 = ThreadCpuSeconds();
  for (const std::string& t : tokens) {
    if (!w.tokens->Verify(t).ok()) std::abort();
  }
  double cold_cpu = ThreadCpuSeconds() - c0;
  double cold_s = Seconds(t0, Clock::now());
  std::printf("%s: cold verification: %.2f us CPU each (%.0f tokens/s per core); wall %.2f us\n",
              name, cold_cpu * 1e6 / tokens.size(), tokens.size() / cold_cpu,
              cold_s * 1e6 / tokens.size());

  // Repeated: the same tokens again, served by the verified-token cache.
  uint64_t ops = 0;
  t0 = Clock::now();
  c0 = ThreadCpuSeconds();
  auto deadline = t0 + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    for (size_t i = 0; i < 1000; ++i) {
      if (!w.tokens->Verify(tokens[(ops + i) % tokens.size()]).ok()) std::abort();
    }
    ops += 1000;
  }
  double warm_cpu = ThreadCpuSeconds() - c0;
  double warm_s = Seconds(t0, Clock::now());
  std::printf(
      "%s: repeated verification (cache): %.0f ns CPU each (%.0f tokens/s per core); "
      "wall %.0f ns\n",
      name, warm_cpu * 1e9 / ops, ops / warm_cpu, warm_s * 1e9 / ops);

  // The same on two threads (the machine has two cores).
  std::atomic<uint64_t> total{0};
  std::vector<std::thread> threads;
  t0 = Clock::now();
  deadline = t0 + std::chrono::duration<double>(seconds);
  for (int th = 0; th < 2; ++th) {
    threads.emplace_back([&, th] {
      uint64_t local = 0;
      while (Clock::now() < deadline) {
        for (size_t i = 0; i < 1000; ++i) {
          if (!w.tokens->Verify(tokens[(local + i + th * 7) % tokens.size()]).ok()) std::abort();
        }
        local += 1000;
      }
      total.fetch_add(local);
    });
  }
  for (auto& t : threads) t.join();
  double mt_s = Seconds(t0, Clock::now());
  std::printf("%s: repeated verification (cache): %.0f tokens/s wall, 2 threads\n", name,
              total.load() / mt_s);

  // Exchange cost alone: from one root, many children (parent verification is cached).
  IssuedToken root = Task(w, n_tokens + 1);
  int exchanges = 200;
  t0 = Clock::now();
  c0 = ThreadCpuSeconds();
  for (int i = 0; i < exchanges; ++i) Delegate(w, root, "researcher");
  double ex_cpu = ThreadCpuSeconds() - c0;
  double ex_s = Seconds(t0, Clock::now());
  std::printf(
      "%s: exchange: %.0f us CPU each; wall %.0f us each = %.0f per second (durable "
      "store write included)\n",
      name, ex_cpu * 1e6 / exchanges, ex_s * 1e6 / exchanges, exchanges / ex_s);
  w.tokens.reset();
  std::filesystem::remove_all(dir);
}

void RunRevocationCheck(double seconds) {
  RevocationIndex index;
  for (int i = 0; i < 100000; ++i) {
    index.Apply(store::RevocationTarget::kToken, "revoked-token-" + std::to_string(i));
  }
  for (int i = 0; i < 1000; ++i) {
    index.Apply(store::RevocationTarget::kTask, "ended-task-" + std::to_string(i));
  }
  TokenClaims c;
  c.kind = TokenKind::kDelegated;
  c.token_id = "k3GfFzq2d9pQ1bq7mX4r0w";
  c.subject = "spiffe://bench.writ/agent/reviewer";
  c.task_id = "task-123456";
  c.user.subject = "alice@example.com";
  c.depth = 3;
  c.actors = {"spiffe://bench.writ/agent/fetcher", "spiffe://bench.writ/agent/researcher",
              "spiffe://bench.writ/agent/orchestrator"};
  c.ancestors = {"a1b2c3d4e5f6g7h8i9j0kA", "b1b2c3d4e5f6g7h8i9j0kB", "c1b2c3d4e5f6g7h8i9j0kC"};
  RevocationKeys keys = RevocationIndex::KeysFor(c);
  uint64_t ops = 0;
  int revoked = 0;
  auto t0 = Clock::now();
  double c0 = ThreadCpuSeconds();
  auto deadline = t0 + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    for (int i = 0; i < 10000; ++i) revoked += index.Check(c, keys).has_value();
    ops += 10000;
  }
  double cpu = ThreadCpuSeconds() - c0;
  double s = Seconds(t0, Clock::now());
  if (revoked != 0) std::abort();
  std::printf(
      "revocation check (depth-3 token: 4 token ids, 4 agents, task, user; index of %zu "
      "revocations): %.1f ns CPU each; wall %.1f ns\n",
      index.size(), cpu * 1e9 / ops, s * 1e9 / ops);
  index.Apply(store::RevocationTarget::kToken, c.ancestors[0]);
  if (index.Check(c, keys) != IdentityError::kAncestorRevoked) std::abort();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = std::filesystem::temp_directory_path() /
                    ("writ-identity-bench-" + std::to_string(::getpid()));
  int n_tokens = 2000;
  double seconds = 2.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    if (!std::strcmp(argv[i], "--tokens")) n_tokens = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
  }
  RunRevocationCheck(seconds);
  RunAlgorithm(dir + "-eddsa", JwsAlgorithm::kEdDSA, n_tokens, seconds);
  RunAlgorithm(dir + "-es256", JwsAlgorithm::kES256, n_tokens, seconds);
  return 0;
}
