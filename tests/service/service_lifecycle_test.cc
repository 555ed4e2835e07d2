// The decision service over time: a delegation chain two levels deep ended by a cascade, hot
// reload of a bad and then a good bundle, a restart on the same data directory, `writ explain`
// of a denied call, and SIGKILL under concurrent load with nothing acknowledged lost.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <set>

#include "ledger/record.h"
#include "service_world.h"
#include "store/sqlite_store.h"

namespace writ::service::testing {
namespace {

class ServiceLifecycleTest : public ServiceWorld {
 protected:
  // An email to a customer, which the example bundle does not permit the payments team.
  server::TestResponse SendEmail(const std::string& task) {
    return Authorize(
        task, "send_email", "McpServer", "email",
        json::object{{"input", {{"to", "c@acme.example"}, {"subject", "s"}, {"body", "b"}}}});
  }
  // This node's ledger records, in order, decoded (read from the store while the service runs).
  std::vector<ledger::LedgerRecord> LedgerRecords() {
    store::SqliteOptions so;
    so.data_dir = data_;
    so.read_only = true;
    auto s = store::OpenSqliteStore(so);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    std::vector<ledger::LedgerRecord> out;
    if (!s.ok()) return out;
    store::RecordQuery q;
    q.origin = kOrigin;
    q.limit = 100000;
    auto rows = (*s)->ledger().QueryRecords(q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return out;
    for (const store::StoredRecord& row : *rows) {
      auto decoded = ledger::DecodeRecord(row.body);
      EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
      if (decoded.ok()) out.push_back(std::move(decoded).value());
    }
    return out;
  }

  // The content hashes of the loads recorded so far, in order, of `kind`.
  std::vector<std::string> LoadedHashes(ledger::RecordKind kind) {
    std::vector<std::string> out;
    for (const ledger::LedgerRecord& r : LedgerRecords()) {
      if (r.kind == kind) out.push_back(Str(r.body, "content_hash"));
    }
    return out;
  }

  // Every decision names a policy set and entity data whose load was recorded before it.
  void ExpectEveryDecisionFollowsItsLoads() {
    std::set<std::string> policies, entities;
    size_t decisions = 0;
    for (const ledger::LedgerRecord& r : LedgerRecords()) {
      if (r.kind == ledger::RecordKind::kPolicySetLoaded) {
        policies.insert(Str(r.body, "content_hash"));
      } else if (r.kind == ledger::RecordKind::kEntityDataLoaded) {
        entities.insert(Str(r.body, "content_hash"));
      } else if (r.kind == ledger::RecordKind::kDecision) {
        ++decisions;
        EXPECT_EQ(policies.count(Str(r.body, "policy_set_hash")), 1u)
            << "decision at seq " << r.seq << " names a policy set whose load is not before it";
        EXPECT_EQ(entities.count(Str(r.body, "entities_hash")), 1u)
            << "decision at seq " << r.seq << " names entity data whose load is not before it";
      }
    }
    EXPECT_GT(decisions, 0u);
  }

  // GET /v1/policies once its answer satisfies `done` (the directory is polled every 150 ms).
  template <typename Done>
  json::value PoliciesOnce(Done done, int timeout_ms = 5000) {
    for (int waited = 0; waited < timeout_ms; waited += 25) {
      json::value p = Json(Call("GET", "/v1/policies", viewer_));
      if (done(p)) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "timed out waiting for the policies";
    return json::value();
  }
};

TEST_F(ServiceLifecycleTest, DelegationTwoLevelsDeepEndsInOneCascade) {
  StartWithKeys();
  TestAgent orchestrator = Register("payments-orchestrator", "payments");
  TestAgent lead = Register("refund-lead", "payments");
  TestAgent refunder = Register("refund-agent", "payments");
  auto opened = OpenTask(orchestrator, UserToken("bob", {"employees"}), "refund a duplicate");
  ASSERT_EQ(opened.status, 201) << opened.body;
  std::string task_id = Str(Json(opened), "task_id");
  std::string task = Str(Json(opened), "token");

  auto first = Exchange(task, lead, "payments:refund");
  ASSERT_EQ(first.status, 200) << first.body;
  std::string lead_token = Str(Json(first), "access_token");
  auto second = Exchange(lead_token, refunder, "payments:refund");
  ASSERT_EQ(second.status, 200) << second.body;
  std::string refund_token = Str(Json(second), "access_token");
  // Depth 3 is beyond what the bundle's delegation policy allows.
  TestAgent deeper = Register("refund-helper", "payments");
  EXPECT_EQ(Str(Json(Exchange(refund_token, deeper, "payments:refund")), "writ_code"),
            "exchange_denied");

  auto introspected = PostForm("/oauth/introspect", viewer_, {{"token", refund_token}});
  json::value ij = Json(introspected);
  EXPECT_EQ(ij.at("depth").to_number<int64_t>(), 2);
  EXPECT_EQ(Str(ij.at("act"), "sub"), lead.spiffe_id());
  EXPECT_EQ(Str(ij.at("act").at("act"), "sub"), orchestrator.spiffe_id());

  // The sub-sub-agent acts, with the whole chain in its decision.
  auto allowed =
      Refund(refund_token, 25, json::object{{"credential", {{"audience", "payments-api"}}}});
  ASSERT_EQ(Str(Json(allowed), "verdict"), "allow") << allowed.body;
  std::string credential = Str(Json(allowed).at("credential"), "token");
  auto decision = Call("GET", "/v1/decisions/" + Str(Json(allowed), "decision_id"), viewer_);
  json::value identity = Json(decision).at("decision").at("record").at("identity");
  EXPECT_EQ(identity.at("actor_chain").as_array(),
            (json::array{"payments-orchestrator", "refund-lead"}));

  // Only the task's own task token ends it.
  EXPECT_EQ(ErrorCode(Post("/v1/tasks/" + task_id + "/end", lead_token, json::object{})),
            "not_task_owner");
  auto ended = Post("/v1/tasks/" + task_id + "/end", task, json::object{{"reason", "done"}});
  ASSERT_EQ(ended.status, 200) << ended.body;
  // The task token, two delegated tokens and the credential.
  EXPECT_EQ(Json(ended).at("revoked_credentials").to_number<int64_t>(), 4);
  for (const std::string& t : {task, lead_token, refund_token, credential}) {
    EXPECT_FALSE(Active(t));
  }
  EXPECT_EQ(ErrorCode(Refund(refund_token, 5)), "task_revoked");
  EXPECT_EQ(ErrorCode(Exchange(lead_token, refunder)), "invalid_request");
  EXPECT_EQ(ErrorCode(Post("/v1/tasks/" + task_id + "/end", admin_, json::object{})), "task_ended");
  EXPECT_EQ(ErrorCode(Post("/v1/tasks/no-such-task/end", admin_, json::object{})),
            "task_not_found");

  // The ledger holds the whole path: start, delegations, decisions, credentials, revocations,
  // end.
  std::map<std::string, int> kinds;
  int revoked_tokens = 0;
  for (const json::object& node : LedgerRecordsOfTask(task_id)) {
    std::string kind = Str(node, "kind");
    ++kinds[kind];
    if (kind == "credential_revoke" && Str(node.at("record"), "credential_type") != "revocation") {
      ++revoked_tokens;
    }
    if (kind == "task_end") {
      EXPECT_EQ(node.at("record").at("revoked_credentials").to_number<int64_t>(), 4);
    }
  }
  EXPECT_EQ(kinds["task_start"], 1);
  EXPECT_EQ(kinds["delegation"], 2);
  EXPECT_EQ(kinds["task_end"], 1);
  EXPECT_EQ(revoked_tokens, 4);
  EXPECT_GE(kinds["decision"], 4);  // task/start, two delegates, the refund (and the refusal)
}

TEST_F(ServiceLifecycleTest, HotReloadRejectsABadBundleWholeAndPicksUpAGoodOne) {
  StartWithKeys();
  // The first load is recorded: its policy set and entity data, with the content hashes of the
  // bundle that serves.
  json::value first = Json(Call("GET", "/v1/policies", viewer_));
  std::string version = Str(first, "version");
  EXPECT_EQ(LoadedHashes(ledger::RecordKind::kPolicySetLoaded),
            std::vector<std::string>{Str(first, "policy_hash")});
  EXPECT_EQ(LoadedHashes(ledger::RecordKind::kEntityDataLoaded),
            std::vector<std::string>{Str(first, "entities_hash")});
  for (const ledger::LedgerRecord& r : LedgerRecords()) {
    if (r.kind != ledger::RecordKind::kPolicySetLoaded &&
        r.kind != ledger::RecordKind::kEntityDataLoaded) {
      continue;
    }
    EXPECT_EQ(Str(r.body, "source"), bundle_.string());
    EXPECT_EQ(Str(r.body, "node"), kOrigin);
    EXPECT_FALSE(r.body.contains("previous_hash"));
    EXPECT_GT(r.body.at("size").to_number<int64_t>(), 0);
  }

  TestAgent orchestrator = Register("payments-orchestrator", "payments");
  // A registered agent joins the entity data: a new version of it, recorded before it serves.
  json::value with_agent = Json(Call("GET", "/v1/policies", viewer_));
  EXPECT_EQ(Str(with_agent, "policy_hash"), Str(first, "policy_hash"));
  EXPECT_EQ(
      LoadedHashes(ledger::RecordKind::kEntityDataLoaded),
      (std::vector<std::string>{Str(first, "entities_hash"), Str(with_agent, "entities_hash")}));
  std::string task = TaskToken(orchestrator, "bob");
  EXPECT_EQ(Str(Json(SendEmail(task)), "code"), "no_permit");

  // A valid new policy that would allow the email, beside a file that does not parse: the bundle
  // is rejected whole — the new policy does not serve either — and the last good one keeps
  // serving.
  const std::string mail_policy =
      "@id(\"payments-mail-customers\") @risk(\"medium\")\n"
      "permit (principal in Team::\"payments\", action == Action::\"send_email\", "
      "resource == McpServer::\"email\");\n";
  WriteFile(bundle_ / "zz-email.cedar", mail_policy);
  WriteFile(bundle_ / "zz-broken.cedar", "permit (principal, action, resource) when { 1 + };\n");
  json::value rejected =
      PoliciesOnce([](const json::value& p) { return p.at("rejected").to_number<int64_t>() >= 1; });
  EXPECT_EQ(Str(rejected, "version"), version);
  EXPECT_EQ(Str(rejected, "policy_hash"), Str(first, "policy_hash"));
  EXPECT_NE(Str(rejected, "last_error").find("zz-broken.cedar"), std::string::npos);
  json::value still = Json(SendEmail(task));
  EXPECT_EQ(Str(still, "code"), "no_permit") << json::serialize(still);
  EXPECT_EQ(Str(still, "policy_version"), Str(first, "policy_hash"));
  EXPECT_EQ(Str(Json(Refund(task, 5)), "verdict"), "allow");
  EXPECT_EQ(Call("GET", "/readyz").status, 200);
  auto reload = Call("POST", "/v1/policies/reload", admin_);
  EXPECT_EQ(reload.status, 422);
  EXPECT_EQ(ErrorCode(reload), "bundle_rejected");
  EXPECT_EQ(Str(Json(SendEmail(task)), "code"), "no_permit");
  // Nothing of the rejected bundle was recorded.
  EXPECT_EQ(LoadedHashes(ledger::RecordKind::kPolicySetLoaded).size(), 1u);

  // Without the broken file the new policy is picked up and recorded.
  fs::remove(bundle_ / "zz-broken.cedar");
  json::value loaded =
      PoliciesOnce([&](const json::value& p) { return Str(p, "version") != version; });
  EXPECT_TRUE(loaded.at("last_error").is_null());
  json::value allowed = Json(SendEmail(task));
  EXPECT_EQ(Str(allowed, "verdict"), "allow");
  EXPECT_EQ(allowed.at("policies").as_array(), json::array{"payments-mail-customers"});
  EXPECT_EQ(Str(allowed, "policy_version"), Str(loaded, "policy_hash"));
  EXPECT_EQ(LoadedHashes(ledger::RecordKind::kPolicySetLoaded),
            (std::vector<std::string>{Str(first, "policy_hash"), Str(loaded, "policy_hash")}));

  // The new policy set is in the ledger, with the one it replaced, and its text is in the store.
  auto explained = Call("GET", "/v1/explain/" + Str(allowed, "decision_id"), viewer_);
  EXPECT_NE(explained.body.find("payments-mail-customers"), std::string::npos);
  EXPECT_NE(explained.body.find("McpServer::\\\"email\\\""), std::string::npos);
  EXPECT_GE(Json(Call("GET", "/v1/policies", viewer_)).at("rejected").to_number<int64_t>(), 2);
  auto metrics = Call("GET", "/metrics", viewer_).body;
  EXPECT_EQ(metrics.find("writ_bundle_rejections_total 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("writ_bundle_rejections_total "), std::string::npos) << metrics;
  ExpectEveryDecisionFollowsItsLoads();
  Stop();
  std::string out;
  ASSERT_EQ(
      Writ({"ledger", "query", "--data", data_, "--kind", "policy_set_loaded", "--json"}, &out), 0);
  EXPECT_NE(out.find(Str(loaded, "policy_hash")), std::string::npos);
  EXPECT_NE(out.find("\"previous_hash\""), std::string::npos);
}

// A bundle whose load cannot be recorded does not serve: decisions would name a policy set the
// ledger never saw loaded. The last recorded bundle keeps serving, the failure is counted, and the
// load is tried again on the next poll, without another change of the directory.
TEST_F(ServiceLifecycleTest, AHotReloadWhoseLoadCannotBeRecordedDoesNotServe) {
  StartWithKeys();
  TestAgent orchestrator = Register("payments-orchestrator", "payments");
  std::string task = TaskToken(orchestrator, "bob");
  EXPECT_EQ(Str(Json(SendEmail(task)), "code"), "no_permit");
  std::string original = Str(Json(Call("GET", "/v1/policies", viewer_)), "policy_hash");

  // Another process holds the database's write lock: neither the new bundle's blobs nor its load
  // record can be written meanwhile (the service's writer gives up after its 2 s busy timeout).
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((fs::path(data_) / "writ.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  WriteFile(bundle_ / "zz-email.cedar",
            "@id(\"payments-mail-customers\") @risk(\"medium\")\n"
            "permit (principal in Team::\"payments\", action == Action::\"send_email\", "
            "resource == McpServer::\"email\");\n");
  auto tried = [&](const json::value& p) {
    const json::value* unrecorded = p.as_object().if_contains("unrecorded");
    return (unrecorded != nullptr && unrecorded->to_number<int64_t>() >= 1 &&
            !Str(p, "last_error").empty()) ||
           Str(p, "policy_hash") != original;
  };
  json::value during = PoliciesOnce(tried, 10000);
  EXPECT_EQ(Str(during, "policy_hash"), original) << json::serialize(during);
  EXPECT_GE(during.at("unrecorded").to_number<int64_t>(), 1);
  EXPECT_NE(Str(during, "last_error").find("could not be recorded"), std::string::npos)
      << json::serialize(during);
  auto metrics = Call("GET", "/metrics", viewer_).body;
  EXPECT_EQ(metrics.find("writ_bundle_unrecorded_loads_total 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("writ_bundle_unrecorded_loads_total "), std::string::npos) << metrics;

  // The lock released, the next poll loads the bundle again, records it, then serves it.
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  json::value after =
      PoliciesOnce([&](const json::value& p) { return Str(p, "policy_hash") != original; });
  EXPECT_TRUE(after.at("last_error").is_null()) << json::serialize(after);
  json::value allowed = Json(SendEmail(task));
  EXPECT_EQ(Str(allowed, "verdict"), "allow") << json::serialize(allowed);
  EXPECT_EQ(Str(allowed, "policy_version"), Str(after, "policy_hash"));
  EXPECT_EQ(LoadedHashes(ledger::RecordKind::kPolicySetLoaded),
            (std::vector<std::string>{original, Str(after, "policy_hash")}));
  EXPECT_EQ(Call("GET", "/readyz").status, 200);
  ExpectEveryDecisionFollowsItsLoads();
}

TEST_F(ServiceLifecycleTest, RestartKeepsTokensRevocationsApprovalsAndTheLedger) {
  StartWithKeys();
  TestAgent orchestrator = Register("payments-orchestrator", "payments");
  TestAgent refunder = Register("refund-agent", "payments");
  std::string task = TaskToken(orchestrator, "bob");
  std::string kept = Str(Json(Exchange(task, refunder, "payments:refund")), "access_token");
  std::string revoked = Str(Json(Exchange(task, refunder, "payments:refund")), "access_token");
  ASSERT_EQ(PostForm("/oauth/revoke", task, {{"token", revoked}}).status, 200);
  std::string approval = Str(Json(Refund(kept, 700)), "approval_id");
  ASSERT_FALSE(approval.empty());
  auto denied = Authorize(kept, "resources/read", "Dataset", "card-vault");
  std::string denied_id = Str(Json(denied), "decision_id");
  std::string allowed_id = Str(Json(Refund(kept, 20)), "decision_id");
  Stop();

  Serve();
  EXPECT_EQ(Call("GET", "/readyz").status, 200);
  // Tokens still verify (same keys), revocations still hold, the approval is still pending.
  EXPECT_EQ(Str(Json(Refund(kept, 10)), "verdict"), "allow");
  EXPECT_EQ(ErrorCode(Refund(revoked, 10)), "token_revoked");
  auto pending = Call("GET", "/v1/approvals/" + approval, viewer_);
  EXPECT_EQ(Str(Json(pending), "status"), "pending");
  ASSERT_EQ(Post("/v1/approvals/" + approval + "/grant", approver_,
                 json::object{{"user_token", UserToken("alice")}})
                .status,
            200);
  EXPECT_EQ(Str(Json(Refund(kept, 700)), "verdict"), "allow");
  // The decisions made before the restart are still there, and the task's intent was read
  // back from the ledger.
  EXPECT_EQ(Call("GET", "/v1/decisions/" + allowed_id, viewer_).status, 200);
  auto after = Call("GET", "/v1/decisions/" + Str(Json(Refund(kept, 11)), "decision_id"), viewer_);
  EXPECT_EQ(Str(Json(after).at("decision").at("record"), "intent"), "refund a duplicate charge");
  Stop();

  std::string out, err;
  EXPECT_EQ(Writ({"ledger", "verify", "--data", data_, "--checkpoint-file",
                  (dir_ / "checkpoints.jsonl").string()},
                 &out, &err),
            0)
      << out << err;

  // `writ explain` of the denied call, offline.
  ASSERT_EQ(Writ({"explain", denied_id, "--data", data_}, &out, &err), 0) << err;
  EXPECT_NE(out.find("deny"), std::string::npos) << out;
  EXPECT_NE(out.find("restricted-data"), std::string::npos) << out;
  EXPECT_NE(out.find("restricted datasets are never read by agents"), std::string::npos);
  EXPECT_NE(out.find("task "), std::string::npos) << out;
  EXPECT_NE(out.find("✓"), std::string::npos) << out;
  ASSERT_EQ(Writ({"explain", denied_id, "--data", data_, "--json"}, &out, &err), 0) << err;
  json::value ej = json::parse(out);
  EXPECT_EQ(Str(ej, "decision_id"), denied_id);
  EXPECT_EQ(Writ({"explain", "no-such-id", "--data", data_}, &out, &err), 1);
  EXPECT_NE(err.find("not_found"), std::string::npos) << err;
}

TEST_F(ServiceLifecycleTest, KillUnderLoadLosesNothingAcknowledged) {
  StartWithKeys();
  TestAgent orchestrator = Register("payments-orchestrator", "payments");
  std::string task = TaskToken(orchestrator, "bob");
  struct Ack {
    std::string decision_id;
    uint64_t seq;
  };
  std::mutex mu;
  std::vector<Ack> acks;
  std::atomic<bool> stop{false};
  std::atomic<int> errors_before_kill{0};
  std::atomic<bool> killed{false};
  std::string body = json::serialize(json::object{
      {"action", "refund"},
      {"resource", {{"type", "McpServer"}, {"id", "payments"}}},
      {"context", {{"input", {{"order_id", "A-1"}, {"amount", 3}, {"currency", "EUR"}}}}}});
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto c = server::HttpTestClient::Connect("127.0.0.1", port_);
      if (!c.ok()) return;
      while (!stop.load()) {
        auto r = (*c)->Send(
            "POST", "/v1/authorize",
            {{"Authorization", "Bearer " + task}, {"Content-Type", "application/json"}}, body);
        if (!r.ok()) {
          if (!killed.load()) errors_before_kill.fetch_add(1);
          return;
        }
        if (r->status != 200) continue;
        json::value v = Json(*r);
        if (Str(v, "verdict") != "allow") continue;
        std::lock_guard<std::mutex> lock(mu);
        acks.push_back({Str(v, "decision_id"), v.at("ledger_seq").to_number<uint64_t>()});
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  killed.store(true);
  serve_->Signal(SIGKILL);
  EXPECT_EQ(serve_->Wait(std::chrono::seconds(10)), 128 + SIGKILL);
  stop.store(true);
  for (auto& t : threads) t.join();
  serve_.reset();
  EXPECT_EQ(errors_before_kill.load(), 0);
  std::printf("%zu decisions acknowledged before the kill\n", acks.size());
  ASSERT_GT(acks.size(), 50u);

  std::string out, err;
  EXPECT_EQ(Writ({"ledger", "verify", "--data", data_}, &out, &err), 0) << out << err;
  {
    store::SqliteOptions so;
    so.data_dir = data_;
    so.read_only = true;
    auto s = store::OpenSqliteStore(so);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    for (const Ack& a : acks) {
      auto rec = (*s)->ledger().GetRecord(kOrigin, a.seq);
      ASSERT_TRUE(rec.ok() && rec->has_value()) << "seq " << a.seq << " is missing";
      ASSERT_EQ((*rec)->decision_id, a.decision_id) << "seq " << a.seq;
      ASSERT_EQ((*rec)->kind, "decision");
    }
  }
  // The service starts again on the same directory and goes on deciding.
  Serve();
  EXPECT_EQ(Call("GET", "/readyz").status, 200);
  EXPECT_EQ(Str(Json(Refund(task, 4)), "verdict"), "allow");
  Stop();
  EXPECT_EQ(Writ({"ledger", "verify", "--data", data_}, &out, &err), 0) << out << err;
}

}  // namespace
}  // namespace writ::service::testing
