#include "service/decision_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>

#include "ledger/record.h"
#include "server/api_keys.h"
#include "server/authenticator.h"
#include "server/http_test_client.h"
#include "server/server.h"
#include "store/forwarding_ledger_store.h"
#include "store/sqlite_store.h"

namespace writ::service {
namespace {

namespace fs = std::filesystem;

// A ledger store over the real one that can be made to fail the commits of policy and entity
// loads, as a full disk would (and only those, so that the rest of the service starts).
class FailingLedgerStore final : public store::ForwardingLedgerStore {
 public:
  explicit FailingLedgerStore(store::LedgerStore& inner) : ForwardingLedgerStore(inner) {}

  std::atomic<bool> failing{false};            // the records of policy and entity loads
  std::atomic<bool> failing_approvals{false};  // the records of approvers' decisions

  Status CommitBatch(const store::LedgerBatch& b) override {
    for (const store::StoredRecord& r : b.records) {
      bool load = r.kind == "policy_set_loaded" || r.kind == "entity_data_loaded";
      bool approval =
          r.kind == "approval_grant" || r.kind == "approval_deny" || r.kind == "approval_override";
      if ((load && failing.load()) || (approval && failing_approvals.load())) {
        return IoError("disk full (test)");
      }
    }
    return inner_.CommitBatch(b);
  }
};

// The SQLite store with its ledger behind FailingLedgerStore.
class StoreWithFailingLedger final : public store::Store {
 public:
  explicit StoreWithFailingLedger(std::unique_ptr<store::Store> inner)
      : inner_(std::move(inner)), ledger_(inner_->ledger()) {}

  FailingLedgerStore& failing_ledger() { return ledger_; }
  store::LedgerStore& ledger() override { return ledger_; }
  store::BlobStore& blobs() override { return inner_->blobs(); }
  store::IdentityStore& identity() override { return inner_->identity(); }
  store::ApiKeyStore& api_keys() override { return inner_->api_keys(); }
  store::ApprovalStore& approvals() override { return inner_->approvals(); }
  Result<int> SchemaVersion() override { return inner_->SchemaVersion(); }

 private:
  std::unique_ptr<store::Store> inner_;
  FailingLedgerStore ledger_;
};

class DecisionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("writ-decision-service-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "bundle");
    std::ofstream(dir_ / "bundle" / "a.cedar")
        << "@id(\"read\") permit(principal, action == Action::\"read\", resource);";
    ASSERT_TRUE(identity::MasterKey::Generate()->WriteFile((dir_ / "master.key").string()).ok());
    store::SqliteOptions so;
    so.data_dir = (dir_ / "data").string();
    auto opened = store::OpenSqliteStore(so);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::make_unique<StoreWithFailingLedger>(std::move(opened).value());
    settings_.bundle_dir = (dir_ / "bundle").string();
    settings_.reload_interval_ms = 0;  // reloads only when the test asks
    settings_.master_key_file = (dir_ / "master.key").string();
    settings_.trust_domain = "writ.test";
  }
  void TearDown() override {
    if (service_) service_->Shutdown();
    service_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void Start() {
    auto created =
        DecisionService::Create(settings_, (dir_ / "data").string(), *store_, metrics_, clock_);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    service_ = std::move(created).value();
  }

  Result<authz::DecisionOutcome> Decide(const std::string& action) {
    authz::DecisionInput in;
    in.caller.agent = "reader";
    in.action = action;
    in.resource_type = "Doc";
    in.resource_id = "plan";
    return service_->engine().Decide(in);
  }

  // This node's records, decoded, in order.
  std::vector<ledger::LedgerRecord> Records() {
    store::RecordQuery q;
    q.origin = service_->origin();
    q.limit = 10000;
    std::vector<ledger::LedgerRecord> out;
    auto rows = store_->ledger().QueryRecords(q);
    EXPECT_TRUE(rows.ok());
    if (!rows.ok()) return out;
    for (const store::StoredRecord& row : *rows) out.push_back(*ledger::DecodeRecord(row.body));
    return out;
  }
  std::vector<std::string> PolicySetLoads() {
    std::vector<std::string> out;
    for (const auto& r : Records()) {
      if (r.kind == ledger::RecordKind::kPolicySetLoaded) {
        out.emplace_back(r.body.at("content_hash").as_string());
      }
    }
    return out;
  }

  fs::path dir_;
  std::unique_ptr<StoreWithFailingLedger> store_;
  server::DecisionServiceSettings settings_;
  server::MetricsRegistry metrics_;
  SystemClock clock_;
  std::unique_ptr<DecisionService> service_;
};

// A bundle whose load cannot be appended to the ledger is not published: decisions go on naming
// the last bundle whose load is recorded, and a reload once the ledger records again publishes
// it, its load recorded before any decision names it.
TEST_F(DecisionServiceTest, ABundleWhoseLoadIsNotRecordedDoesNotServe) {
  Start();
  auto first = service_->bundles().Current();
  ASSERT_NE(first, nullptr);
  std::string original = DigestHex(first->policy_hash);
  EXPECT_EQ(PolicySetLoads(), std::vector<std::string>{original});
  auto before = Decide("write");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->verdict, ledger::Verdict::kDeny);

  // A new policy would allow writes; the ledger refuses the load's records.
  std::ofstream(dir_ / "bundle" / "b.cedar")
      << "@id(\"write\") permit(principal, action == Action::\"write\", resource);";
  store_->failing_ledger().failing = true;
  Status reloaded = service_->bundles().Reload();
  EXPECT_EQ(reloaded.code(), StatusCode::kUnavailable);
  EXPECT_NE(reloaded.message().find("could not be recorded (appending to the ledger)"),
            std::string::npos)
      << reloaded.ToString();
  EXPECT_EQ(service_->bundles().Current(), first);
  EXPECT_EQ(service_->bundles().Stats().unrecorded, 1u);
  EXPECT_EQ(service_->bundles().Stats().loads, 1u);
  // The ledger records again: decisions still use the recorded bundle until the load is tried
  // again (at the next poll; here, the next reload).
  store_->failing_ledger().failing = false;
  auto still = Decide("write");
  ASSERT_TRUE(still.ok()) << still.status().ToString();
  EXPECT_EQ(still->verdict, ledger::Verdict::kDeny);
  EXPECT_EQ(still->code, authz::kCodeNoPermit);
  EXPECT_EQ(still->policy_version, original);
  EXPECT_EQ(PolicySetLoads(), std::vector<std::string>{original});

  ASSERT_TRUE(service_->bundles().Reload().ok());
  std::string changed = DigestHex(service_->bundles().Current()->policy_hash);
  ASSERT_NE(changed, original);
  auto after = Decide("write");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->verdict, ledger::Verdict::kAllow);
  EXPECT_EQ(after->policy_version, changed);
  EXPECT_EQ(PolicySetLoads(), (std::vector<std::string>{original, changed}));
  // Each decision follows the load of the policy set it names.
  std::map<std::string, uint64_t> loaded_at;
  for (const auto& r : Records()) {
    if (r.kind == ledger::RecordKind::kPolicySetLoaded) {
      loaded_at[std::string(r.body.at("content_hash").as_string())] = r.seq;
    } else if (r.kind == ledger::RecordKind::kDecision) {
      std::string hash(r.body.at("policy_set_hash").as_string());
      ASSERT_EQ(loaded_at.count(hash), 1u) << "decision at seq " << r.seq;
      EXPECT_LT(loaded_at[hash], r.seq);
    }
  }
  EXPECT_EQ(service_->bundles().Stats().loads, 2u);
}

// An approver's decision whose record cannot be written does not take effect: the approval is
// pending again, the call stays held, nothing is counted, and the approver can decide once the
// ledger records.
TEST_F(DecisionServiceTest, AnApproversDecisionThatCannotBeRecordedChangesNothing) {
  std::ofstream(dir_ / "bundle" / "b.cedar")
      << "@id(\"pay\") @approval(\"finance\")\n"
         "permit(principal, action == Action::\"pay\", resource);";
  settings_.approval_check_groups = false;
  Start();
  server::ApiKeyAuthenticator keys(store_->api_keys());
  server::Authenticator authenticator(&keys);
  server::ServerOptions so;
  so.listen = "127.0.0.1:0";
  so.workers = 1;
  server::Server server(so, metrics_, authenticator);
  ASSERT_TRUE(service_->Install(server, authenticator).ok());
  ASSERT_TRUE(server.Start().ok());
  auto key = server::CreateApiKey(store_->api_keys(), "approver", server::Role::kApprover, clock_);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  ASSERT_TRUE(keys.Reload().ok());
  auto held = Decide("pay");
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  ASSERT_EQ(held->verdict, ledger::Verdict::kApprovalRequired);
  auto client = server::HttpTestClient::Connect("127.0.0.1", server.port());
  ASSERT_TRUE(client.ok());
  auto grant = [&] {
    return (*client)->Send(
        "POST", "/v1/approvals/" + held->approval_id + "/grant",
        {{"Authorization", "Bearer " + key->key}, {"Content-Type", "application/json"}},
        R"({"note":"fine"})");
  };
  auto kinds = [&] {
    std::vector<ledger::RecordKind> out;
    for (const auto& r : Records()) out.push_back(r.kind);
    return out;
  };
  auto count = [&](ledger::RecordKind k) {
    auto all = kinds();
    return std::count(all.begin(), all.end(), k);
  };

  store_->failing_ledger().failing_approvals = true;
  auto refused = grant();
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_NE(refused->body.find("ledger_unavailable"), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("stays pending"), std::string::npos) << refused->body;
  auto stored = store_->approvals().GetApproval(held->approval_id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->status, "pending");
  EXPECT_EQ((*stored)->approver, "");
  auto still = Decide("pay");
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->verdict, ledger::Verdict::kApprovalRequired);
  EXPECT_EQ(still->approval_id, held->approval_id);
  EXPECT_EQ(count(ledger::RecordKind::kApprovalGrant), 0);
  EXPECT_EQ(metrics_.Render().find("writ_approvals_total{action=\"grant\"}"), std::string::npos);

  store_->failing_ledger().failing_approvals = false;
  auto granted = grant();
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(granted->status, 200) << granted->body;
  EXPECT_EQ(count(ledger::RecordKind::kApprovalGrant), 1);
  auto allowed = Decide("pay");
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->verdict, ledger::Verdict::kAllow);
  EXPECT_EQ(allowed->approval_id, held->approval_id);
  server.Shutdown();
  server.Wait();
}

// A first bundle that cannot be recorded leaves the service with no bundle (unready) rather than
// deciding under an unrecorded one; the next reload that can be recorded serves it.
TEST_F(DecisionServiceTest, AFirstBundleThatCannotBeRecordedLeavesNothingServing) {
  store_->failing_ledger().failing = true;
  Start();
  EXPECT_EQ(service_->bundles().Current(), nullptr);
  store_->failing_ledger().failing = false;
  EXPECT_EQ(Decide("read").status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(service_->bundles().Reload().ok());
  ASSERT_NE(service_->bundles().Current(), nullptr);
  auto read = Decide("read");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->verdict, ledger::Verdict::kAllow);
  EXPECT_EQ(PolicySetLoads(),
            std::vector<std::string>{DigestHex(service_->bundles().Current()->policy_hash)});
}

}  // namespace
}  // namespace writ::service
