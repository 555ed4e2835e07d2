// The decision service's API, end to end through the real `writ serve`: tasks, delegation,
// every verdict kind, approvals, credentials, outcomes, queries, explain, proofs, the
// well-known documents, revocation, and bad input that changes nothing.
#include <gtest/gtest.h>

#include "service_world.h"

namespace writ::service::testing {
namespace {

class ServiceApiTest : public ServiceWorld {
 protected:
  uint64_t TreeSize() {
    auto r = Call("GET", "/v1/ledger/checkpoint", viewer_);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r).at("tree_size").to_number<uint64_t>();
  }

  // A refund agent's delegated token in a task of bob's (the payments team may refund).
  std::string RefundToken() {
    TestAgent orchestrator = Register("payments-orchestrator", "payments");
    TestAgent refunder = Register("refund-agent", "payments");
    std::string task = TaskToken(orchestrator, "bob");
    auto x = Exchange(task, refunder, "payments:refund");
    EXPECT_EQ(x.status, 200) << x.body;
    return Str(Json(x), "access_token");
  }

  // The records other than the decision itself that carry `decision_id` (GET /v1/decisions/{id}).
  std::vector<json::object> RelatedRecords(const std::string& decision_id) {
    auto r = Call("GET", "/v1/decisions/" + decision_id, viewer_);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<json::object> out;
    json::value v = Json(r);
    if (const json::value* related = v.is_object() ? v.as_object().if_contains("related") : nullptr;
        related != nullptr && related->is_array()) {
      for (const auto& item : related->get_array()) out.push_back(item.as_object());
    }
    return out;
  }

  // GET /v1/policies once its answer satisfies `done` (the directory is polled every 150 ms).
  template <typename Done>
  json::value PoliciesOnce(Done done) {
    for (int i = 0; i < 200; ++i) {
      json::value p = Json(Call("GET", "/v1/policies", viewer_));
      if (done(p)) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "timed out waiting for the policies";
    return json::value();
  }

  // Sets a key of writ.toml's [approvals] section (before the service starts).
  void SetApprovalTtl(int seconds) {
    std::ifstream in(dir_ / "writ.toml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string toml = ss.str();
    size_t at = toml.find("ttl_s = 600");
    ASSERT_NE(at, std::string::npos);
    toml.replace(at, std::string("ttl_s = 600").size(), "ttl_s = " + std::to_string(seconds));
    WriteFile(dir_ / "writ.toml", toml);
  }
};

TEST_F(ServiceApiTest, EveryVerdictKind) {
  StartWithKeys();
  TestAgent orchestrator = Register("payments-orchestrator", "payments");
  TestAgent refunder = Register("refund-agent", "payments");
  std::string task = TaskToken(orchestrator, "bob");
  auto x = Exchange(task, refunder, "payments:refund");
  ASSERT_EQ(x.status, 200) << x.body;
  std::string token = Str(Json(x), "access_token");

  // allow
  auto allow = Refund(token, 40);
  ASSERT_EQ(allow.status, 200) << allow.body;
  json::value a = Json(allow);
  EXPECT_EQ(Str(a, "verdict"), "allow");
  EXPECT_EQ(a.at("policies").as_array(), json::array{"small-refunds"});
  EXPECT_GT(a.at("ledger_seq").to_number<uint64_t>(), 0u);

  // deny, with the policy's reason
  auto deny = Authorize(token, "resources/read", "Dataset", "card-vault");
  ASSERT_EQ(deny.status, 200) << deny.body;
  json::value d = Json(deny);
  EXPECT_EQ(Str(d, "verdict"), "deny");
  EXPECT_EQ(Str(d, "code"), "policy_denied");
  EXPECT_EQ(Str(d, "reason"), "restricted datasets are never read by agents");
  EXPECT_EQ(d.at("policies").as_array(), json::array{"restricted-data"});

  // deny without a permit
  auto none = Authorize(
      token, "send_email", "McpServer", "email",
      json::object{{"input", {{"to", "x@acme.example"}, {"subject", "s"}, {"body", "b"}}}});
  EXPECT_EQ(Str(Json(none), "code"), "no_permit");

  // narrowed
  auto narrowed =
      Authorize(token, "sql_query", "McpServer", "sql",
                json::object{{"input", {{"sql", "SELECT * FROM orders"}, {"limit", 500}}}});
  ASSERT_EQ(narrowed.status, 200) << narrowed.body;
  json::value n = Json(narrowed);
  EXPECT_EQ(Str(n, "verdict"), "allow");
  EXPECT_EQ(n.at("narrowed").at("input").at("limit").to_number<int64_t>(), 100);
  EXPECT_EQ(Str(n.at("obligations").at(0), "kind"), "cap");

  // a path outside the team's files
  auto unmet = Authorize(token, "read_file", "McpServer", "filesystem",
                         json::object{{"input", {{"path", "/etc/passwd"}}}});
  EXPECT_EQ(Str(Json(unmet), "verdict"), "deny");

  // approval required -> approved through the API -> allowed once -> held again
  auto held = Refund(token, 900);
  json::value h = Json(held);
  ASSERT_EQ(Str(h, "verdict"), "approval_required") << held.body;
  std::string approval = Str(h, "approval_id");
  ASSERT_FALSE(approval.empty());
  auto pending = Call("GET", "/v1/approvals?status=pending", viewer_);
  ASSERT_EQ(pending.status, 200);
  bool listed = false;
  json::value pending_list = Json(pending);
  for (const auto& item : pending_list.at("approvals").as_array()) {
    listed = listed || Str(item, "id") == approval;
  }
  EXPECT_TRUE(listed) << pending.body;
  // Holding again before a decision keeps the same approval.
  EXPECT_EQ(Str(Json(Refund(token, 900)), "approval_id"), approval);
  // A viewer may not grant; an approver who is not in the group may not either.
  EXPECT_EQ(Post("/v1/approvals/" + approval + "/grant", viewer_, json::object{}).status, 403);
  auto outsider = Post("/v1/approvals/" + approval + "/grant", approver_,
                       json::object{{"user_token", UserToken("bob", {"employees"})}});
  EXPECT_EQ(outsider.status, 403);
  EXPECT_EQ(ErrorCode(outsider), "not_in_group");
  EXPECT_EQ(ErrorCode(Post("/v1/approvals/" + approval + "/grant", approver_, json::object{})),
            "approver_identity_required");
  // alice is a finance approver in the bundle's entity data.
  auto granted = Post(
      "/v1/approvals/" + approval + "/grant", approver_,
      json::object{{"note", "duplicate charge confirmed"}, {"user_token", UserToken("alice")}});
  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(Str(Json(granted), "status"), "granted");
  EXPECT_NE(Str(Json(granted), "approver").find("apikey:finance-desk"), std::string::npos);
  EXPECT_EQ(Post("/v1/approvals/" + approval + "/grant", approver_,
                 json::object{{"user_token", UserToken("alice")}})
                .status,
            409);
  auto once = Refund(token, 900);
  json::value o = Json(once);
  EXPECT_EQ(Str(o, "verdict"), "allow") << once.body;
  EXPECT_EQ(Str(o, "approval_id"), approval);
  auto again = Refund(token, 900);
  EXPECT_EQ(Str(Json(again), "verdict"), "approval_required");
  EXPECT_NE(Str(Json(again), "approval_id"), approval);
  auto shown = Call("GET", "/v1/approvals/" + approval, viewer_);
  EXPECT_EQ(Str(Json(shown), "status"), "consumed");

  // a denied approval
  std::string second = Str(Json(Refund(token, 1000)), "approval_id");
  auto denied = Post("/v1/approvals/" + second + "/deny", approver_,
                     json::object{{"note", "not a duplicate"}, {"user_token", UserToken("alice")}});
  ASSERT_EQ(denied.status, 200) << denied.body;
  // The agent asks again presenting the approval it was given.
  json::value dd = Json(Refund(token, 1000, json::object{{"approval_id", second}}));
  EXPECT_EQ(Str(dd, "verdict"), "deny");
  EXPECT_EQ(Str(dd, "code"), "approval_denied");
  EXPECT_NE(Str(dd, "reason").find("not a duplicate"), std::string::npos);

  // an administrator's override
  std::string third = Str(Json(Refund(token, 2000)), "approval_id");
  EXPECT_EQ(Post("/v1/approvals/" + third + "/override", approver_, json::object{}).status, 403);
  ASSERT_EQ(
      Post("/v1/approvals/" + third + "/override", admin_, json::object{{"note", "incident 42"}})
          .status,
      200);
  json::value ov = Json(Refund(token, 2000));
  EXPECT_EQ(Str(ov, "verdict"), "allow");
  EXPECT_EQ(ov.at("transitions").as_array(), json::array{"approval_override"});

  // a credential minted with an allow, consumed once through introspection
  auto minted = Refund(
      token, 30, json::object{{"credential", {{"audience", "payments-api"}, {"lifetime_s", 30}}}});
  ASSERT_EQ(minted.status, 200) << minted.body;
  json::value m = Json(minted);
  ASSERT_EQ(Str(m, "verdict"), "allow");
  std::string credential = Str(m.at("credential"), "token");
  ASSERT_FALSE(credential.empty());
  auto first_use =
      PostForm("/oauth/introspect", viewer_, {{"token", credential}, {"audience", "payments-api"}});
  json::value fu = Json(first_use);
  EXPECT_TRUE(fu.at("active").as_bool()) << first_use.body;
  EXPECT_EQ(Str(fu, "decision"), Str(m, "decision_id"));
  EXPECT_EQ(Str(fu, "aud"), "payments-api");
  EXPECT_FALSE(Active(credential));
  // A credential is not a bearer token for the API.
  EXPECT_EQ(Refund(credential, 10).status, 401);

  // the decisions as recorded
  auto decisions = Call("GET", "/v1/decisions?verdict=deny&agent=refund-agent&limit=50", viewer_);
  ASSERT_EQ(decisions.status, 200);
  bool found = false;
  json::value decision_list = Json(decisions);
  for (const auto& item : decision_list.at("decisions").as_array()) {
    EXPECT_EQ(Str(item, "verdict"), "deny");
    EXPECT_EQ(Str(item, "principal"), "Agent::\"refund-agent\"");
    found = found || Str(item, "decision_id") == Str(d, "decision_id");
  }
  EXPECT_TRUE(found);
  // By time: `from` is inclusive and `to` exclusive, so the denied call's own time finds it
  // with the one and not the other.
  std::string denied_time;
  for (const auto& item : decision_list.at("decisions").as_array()) {
    if (Str(item, "decision_id") == Str(d, "decision_id")) denied_time = Str(item, "time");
  }
  ASSERT_FALSE(denied_time.empty());
  auto has_denied = [&](const std::string& query) {
    auto listed = Call("GET", "/v1/decisions?verdict=deny&limit=1000&" + query, viewer_);
    EXPECT_EQ(listed.status, 200) << listed.body;
    json::value body = Json(listed);
    for (const auto& item : body.at("decisions").as_array()) {
      if (Str(item, "decision_id") == Str(d, "decision_id")) return true;
    }
    return false;
  };
  EXPECT_TRUE(has_denied("from=" + denied_time));
  EXPECT_TRUE(has_denied("to=2999-01-01T00:00:00Z"));
  EXPECT_FALSE(has_denied("to=" + denied_time));
  EXPECT_FALSE(has_denied("from=2999-01-01T00:00:00Z"));
  auto one = Call("GET", "/v1/decisions/" + Str(m, "decision_id"), viewer_);
  ASSERT_EQ(one.status, 200);
  json::value od = Json(one);
  EXPECT_EQ(Str(od.at("decision"), "verdict"), "allow");
  bool has_issue = false, has_use = false;
  for (const auto& rel : od.at("related").as_array()) {
    has_issue = has_issue || Str(rel, "kind") == "credential_issue";
    has_use = has_use || Str(rel, "kind") == "credential_use";
  }
  EXPECT_TRUE(has_issue && has_use) << one.body;
  EXPECT_EQ(Call("GET", "/v1/decisions/nope", viewer_).status, 404);
  EXPECT_EQ(Call("GET", "/v1/decisions?verdict=maybe", viewer_).status, 400);
  EXPECT_EQ(Call("GET", "/v1/decisions?from=yesterday", viewer_).status, 400);
  EXPECT_EQ(Call("GET", "/v1/decisions", token).status, 401);  // agents may not read the ledger

  auto metrics = Call("GET", "/metrics", viewer_);
  EXPECT_NE(metrics.body.find("writ_decisions_total{source=\"authorize\",verdict=\"allow\"}"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("writ_decisions_total{source=\"authorize\",verdict=\"deny\"}"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("writ_decision_latency_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.body.find("writ_approvals_pending "), std::string::npos);
  EXPECT_NE(metrics.body.find("writ_bundle_loaded 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("writ_ledger_append_failures_total 0"), std::string::npos);
}
// A held call leaves evidence of the approval it asks for, whether or not anybody decides it: the
// held decision's record names the approval, and an `approval_request` record beside it (the same
// atomic batch: the next seq) names the approval, the decision, the request's digest, the policy
// set, the expiry, the task and the principal. Explain shows the request before the grant.
TEST_F(ServiceApiTest, AHeldCallRecordsItsApprovalRequest) {
  StartWithKeys();
  std::string token = RefundToken();
  json::value held = Json(Refund(token, 900));
  ASSERT_EQ(Str(held, "verdict"), "approval_required") << json::serialize(held);
  std::string approval = Str(held, "approval_id");
  std::string decision = Str(held, "decision_id");
  ASSERT_FALSE(approval.empty());
  json::value shown = Json(Call("GET", "/v1/approvals/" + approval, viewer_));
  ASSERT_EQ(Str(shown, "status"), "pending");

  json::value d = Json(Call("GET", "/v1/decisions/" + decision, viewer_));
  const json::value& decision_record = d.at("decision").at("record");
  EXPECT_EQ(Str(decision_record, "approval_id"), approval);
  std::vector<json::object> related = RelatedRecords(decision);
  ASSERT_EQ(related.size(), 1u);
  EXPECT_EQ(Str(related[0], "kind"), "approval_request");
  EXPECT_EQ(related[0].at("seq").to_number<uint64_t>(),
            held.at("ledger_seq").to_number<uint64_t>() + 1);
  const json::value& request = related[0].at("record");
  EXPECT_EQ(Str(request, "approval_id"), approval);
  EXPECT_EQ(Str(request, "decision_id"), decision);
  EXPECT_EQ(Str(request, "task_id"), Str(decision_record, "task_id"));
  EXPECT_FALSE(Str(request, "task_id").empty());
  EXPECT_EQ(Str(request, "principal"), "Agent::\"refund-agent\"");
  EXPECT_EQ(Str(request, "group"), "finance-approvers");
  EXPECT_EQ(Str(request, "policy_set_hash"), Str(held, "policy_version"));
  EXPECT_EQ(Str(request, "expires_at"), Str(shown, "expires"));
  EXPECT_FALSE(request.as_object().contains("approver"));
  // The digest that binds the approval: SHA-256 of the canonical JSON of the principal, action,
  // resource and arguments.
  json::object bound{{"principal", "Agent::\"refund-agent\""},
                     {"action", Str(decision_record.at("request"), "action")},
                     {"resource", Str(decision_record.at("request"), "resource")},
                     {"input", {{"order_id", "A-1001"}, {"amount", 900}, {"currency", "EUR"}}}};
  Result<std::string> canonical = CanonicalJson(bound);
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(Str(request, "request_digest"), DigestHex(Sha256(*canonical)));

  // Held again while pending: the same approval, named by the new decision; not asked for twice.
  json::value again = Json(Refund(token, 900));
  ASSERT_EQ(Str(again, "approval_id"), approval);
  json::value d2 = Json(Call("GET", "/v1/decisions/" + Str(again, "decision_id"), viewer_));
  EXPECT_EQ(Str(d2.at("decision").at("record"), "approval_id"), approval);
  EXPECT_TRUE(RelatedRecords(Str(again, "decision_id")).empty());

  // Granted and used: explain shows the request, then the grant, under the held decision, and the
  // decision that used the grant names it too.
  ASSERT_EQ(Post("/v1/approvals/" + approval + "/grant", approver_,
                 json::object{{"user_token", UserToken("alice")}})
                .status,
            200);
  json::value used = Json(Refund(token, 900));
  ASSERT_EQ(Str(used, "verdict"), "allow") << json::serialize(used);
  json::value u = Json(Call("GET", "/v1/decisions/" + Str(used, "decision_id"), viewer_));
  EXPECT_EQ(Str(u.at("decision").at("record"), "approval_id"), approval);

  auto explained = Call("GET", "/v1/explain/" + decision, viewer_);
  ASSERT_EQ(explained.status, 200) << explained.body;
  json::value ej = Json(explained);
  std::vector<std::string> under_held;
  for (const auto& node : ej.at("path").as_array()) {
    if (Str(node, "kind") != "decision" || Str(node.at("record"), "decision_id") != decision) {
      continue;
    }
    for (const auto& child : node.at("children").as_array()) {
      under_held.push_back(Str(child, "kind"));
      EXPECT_EQ(Str(child.at("record"), "approval_id"), approval);
      EXPECT_TRUE(child.as_object().contains("proof")) << json::serialize(child);
    }
  }
  EXPECT_EQ(under_held, (std::vector<std::string>{"approval_request", "approval_grant"}));
  // The approval's own id leads to the same path.
  json::value by_approval = Json(Call("GET", "/v1/explain/" + approval, viewer_));
  EXPECT_EQ(Str(by_approval, "kind"), "approval");
  EXPECT_EQ(Str(by_approval, "decision_id"), decision);
  EXPECT_EQ(Str(by_approval, "task_id"), Str(decision_record, "task_id"));
}

// An administrator's override is its own record kind when it is given and again when the decision
// it allows uses it: nothing in the ledger reads as a grant by a member of the policy's group.
TEST_F(ServiceApiTest, AnOverrideIsRecordedAsAnOverrideWhenGivenAndWhenUsed) {
  StartWithKeys();
  std::string token = RefundToken();
  json::value held = Json(Refund(token, 2000));
  ASSERT_EQ(Str(held, "verdict"), "approval_required");
  std::string approval = Str(held, "approval_id");
  auto given = Post("/v1/approvals/" + approval + "/override", admin_,
                    json::object{{"note", "incident 42"}});
  ASSERT_EQ(given.status, 200) << given.body;
  EXPECT_TRUE(Json(given).at("override").as_bool());

  // Given: recorded against the held decision, after its request, naming the administrator and
  // the note.
  std::vector<json::object> at_hold = RelatedRecords(Str(held, "decision_id"));
  ASSERT_EQ(at_hold.size(), 2u);
  EXPECT_EQ(Str(at_hold[0], "kind"), "approval_request");
  EXPECT_EQ(Str(at_hold[1], "kind"), "approval_override");
  EXPECT_EQ(at_hold[1].at("seq").to_number<uint64_t>(),
            Json(given).at("ledger_seq").to_number<uint64_t>());
  const json::value& given_record = at_hold[1].at("record");
  EXPECT_EQ(Str(given_record, "approval_id"), approval);
  EXPECT_EQ(Str(given_record, "approver"), "apikey:admin");
  EXPECT_EQ(Str(given_record, "group"), "finance-approvers");
  EXPECT_EQ(Str(given_record, "reason"), "incident 42");

  // Used: the decision carries the transition class, and the consumption beside it is an
  // override too, naming the administrator who gave it.
  json::value used = Json(Refund(token, 2000));
  ASSERT_EQ(Str(used, "verdict"), "allow");
  EXPECT_EQ(Str(used, "approval_id"), approval);
  EXPECT_EQ(used.at("transitions").as_array(), json::array{"approval_override"});
  std::vector<json::object> at_use = RelatedRecords(Str(used, "decision_id"));
  ASSERT_EQ(at_use.size(), 1u);
  EXPECT_EQ(Str(at_use[0], "kind"), "approval_override");
  EXPECT_EQ(at_use[0].at("seq").to_number<uint64_t>(),
            used.at("ledger_seq").to_number<uint64_t>() + 1);
  const json::value& used_record = at_use[0].at("record");
  EXPECT_EQ(Str(used_record, "approval_id"), approval);
  EXPECT_EQ(Str(used_record, "decision_id"), Str(used, "decision_id"));
  EXPECT_EQ(Str(used_record, "approver"), "apikey:admin");
  EXPECT_EQ(Str(used_record, "group"), "finance-approvers");
  EXPECT_EQ(Str(used_record, "principal"), "Agent::\"refund-agent\"");

  // A member's grant, by contrast, is a grant when given and when used.
  json::value held2 = Json(Refund(token, 900));
  std::string approval2 = Str(held2, "approval_id");
  ASSERT_EQ(Post("/v1/approvals/" + approval2 + "/grant", approver_,
                 json::object{{"user_token", UserToken("alice")}})
                .status,
            200);
  json::value used2 = Json(Refund(token, 900));
  ASSERT_EQ(Str(used2, "verdict"), "allow");
  EXPECT_FALSE(used2.as_object().contains("transitions"));
  std::vector<json::object> at_use2 = RelatedRecords(Str(used2, "decision_id"));
  ASSERT_EQ(at_use2.size(), 1u);
  EXPECT_EQ(Str(at_use2[0], "kind"), "approval_grant");
  EXPECT_EQ(Str(at_use2[0].at("record"), "approver"), "apikey:finance-desk as User::\"alice\"");
}

// A grant binds to the policy set it was given under, by the set's content hash: after a hot
// reload to another policy set the same request is held again (a new approval), and once the very
// same policy set serves again the unused grant applies again (docs/annotations.md).
TEST_F(ServiceApiTest, AGrantBindsToThePolicySetItWasGivenUnder) {
  StartWithKeys();
  std::string token = RefundToken();
  std::string original = Str(Json(Call("GET", "/v1/policies", viewer_)), "policy_hash");
  ASSERT_EQ(original.size(), 64u);
  json::value held = Json(Refund(token, 900));
  ASSERT_EQ(Str(held, "verdict"), "approval_required");
  EXPECT_EQ(Str(held, "policy_version"), original);
  std::string approval = Str(held, "approval_id");
  auto granted = Post("/v1/approvals/" + approval + "/grant", approver_,
                      json::object{{"user_token", UserToken("alice")}});
  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(Str(Json(granted), "policy_version"), original);

  // Another policy set: a policy added that has nothing to do with refunds.
  WriteFile(bundle_ / "zz-email.cedar",
            "@id(\"payments-mail-customers\")\n"
            "permit (principal in Team::\"payments\", action == Action::\"send_email\", "
            "resource == McpServer::\"email\");\n");
  std::string changed =
      Str(PoliciesOnce([&](const json::value& p) { return Str(p, "policy_hash") != original; }),
          "policy_hash");
  json::value again = Json(Refund(token, 900));
  EXPECT_EQ(Str(again, "verdict"), "approval_required") << json::serialize(again);
  EXPECT_EQ(Str(again, "policy_version"), changed);
  std::string second = Str(again, "approval_id");
  EXPECT_FALSE(second.empty());
  EXPECT_NE(second, approval);
  // Naming the grant does not carry it over either.
  json::value named = Json(Refund(token, 900, json::object{{"approval_id", approval}}));
  EXPECT_EQ(Str(named, "verdict"), "approval_required") << json::serialize(named);
  EXPECT_NE(Str(named, "approval_id"), approval);
  EXPECT_EQ(Str(Json(Call("GET", "/v1/approvals/" + approval, viewer_)), "status"), "granted");

  // The original policy set back: the grant, still unused and unexpired, applies to it, once.
  fs::remove(bundle_ / "zz-email.cedar");
  PoliciesOnce([&](const json::value& p) { return Str(p, "policy_hash") == original; });
  json::value back = Json(Refund(token, 900));
  EXPECT_EQ(Str(back, "verdict"), "allow") << json::serialize(back);
  EXPECT_EQ(Str(back, "approval_id"), approval);
  EXPECT_EQ(Str(back, "policy_version"), original);
  EXPECT_EQ(Str(Json(Refund(token, 900)), "verdict"), "approval_required");
  auto shown = Json(Call("GET", "/v1/approvals/" + approval, viewer_));
  EXPECT_EQ(Str(shown, "status"), "consumed");
  EXPECT_EQ(Str(shown, "consumed_by"), Str(back, "decision_id"));
  // The approval asked for under the other policy set is still pending, bound to that set.
  auto other = Json(Call("GET", "/v1/approvals/" + second, viewer_));
  EXPECT_EQ(Str(other, "status"), "pending");
  EXPECT_EQ(Str(other, "policy_version"), changed);
}

// An approval expires `approvals.ttl_s` after the request was held, granted or not: a grant not
// used by then allows nothing, reads "expired", and the request is held again.
TEST_F(ServiceApiTest, AGrantThatExpiresBeforeItIsUsedAllowsNothing) {
  SetApprovalTtl(2);
  StartWithKeys();
  std::string token = RefundToken();
  json::value held = Json(Refund(token, 900));
  ASSERT_EQ(Str(held, "verdict"), "approval_required");
  std::string approval = Str(held, "approval_id");
  auto granted = Post("/v1/approvals/" + approval + "/grant", approver_,
                      json::object{{"user_token", UserToken("alice")}});
  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(Str(Json(granted), "status"), "granted");
  Result<int64_t> expires = ParseRfc3339(Str(Json(granted), "expires"));
  ASSERT_TRUE(expires.ok());
  int64_t wait_us = *expires + 100'000 - SystemClock().NowMicros();
  ASSERT_GT(wait_us, 0) << "the grant expired before the test could wait for it";
  std::this_thread::sleep_for(std::chrono::microseconds(wait_us));

  EXPECT_EQ(Str(Json(Call("GET", "/v1/approvals/" + approval, viewer_)), "status"), "expired");
  json::value again = Json(Refund(token, 900));
  EXPECT_EQ(Str(again, "verdict"), "approval_required") << json::serialize(again);
  EXPECT_NE(Str(again, "approval_id"), approval);
  // Naming the expired grant: held too, and policies saw it as expired.
  json::value named = Json(Refund(token, 900, json::object{{"approval_id", approval}}));
  EXPECT_EQ(Str(named, "verdict"), "approval_required") << json::serialize(named);
  EXPECT_NE(Str(named, "approval_id"), approval);
  auto recorded = Json(Call("GET", "/v1/decisions/" + Str(named, "decision_id"), viewer_));
  EXPECT_EQ(Str(recorded.at("decision").at("record").at("request").at("context").at("approval"),
                "status"),
            "expired");
  // Never consumed; listed as expired, not as granted.
  json::value shown = Json(Call("GET", "/v1/approvals/" + approval, viewer_));
  EXPECT_EQ(Str(shown, "status"), "expired");
  EXPECT_FALSE(shown.as_object().contains("consumed_by"));
  auto listed = [&](const std::string& status) {
    json::value v = Json(Call("GET", "/v1/approvals?status=" + status, viewer_));
    for (const auto& item : v.at("approvals").as_array()) {
      if (Str(item, "id") == approval) return true;
    }
    return false;
  };
  EXPECT_TRUE(listed("expired"));
  EXPECT_FALSE(listed("granted"));
  // The expired grant can no longer be decided again either.
  EXPECT_EQ(ErrorCode(Post("/v1/approvals/" + approval + "/deny", approver_,
                           json::object{{"user_token", UserToken("alice")}})),
            "approval_not_pending");
}

TEST_F(ServiceApiTest, OutcomesTraceAndBadInput) {
  StartWithKeys();
  TestAgent orchestrator = Register("payments-orchestrator", "payments");
  TestAgent refunder = Register("refund-agent", "payments");
  std::string task = TaskToken(orchestrator, "bob");
  std::string token = Str(Json(Exchange(task, refunder, "payments:refund")), "access_token");
  std::string other_task = TaskToken(orchestrator, "bob");

  // W3C trace context from the caller is used and echoed.
  std::string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto traced = Call("POST", "/v1/authorize", token,
                     json::serialize(json::object{
                         {"action", "refund"},
                         {"resource", {{"type", "McpServer"}, {"id", "payments"}}},
                         {"context",
                          {{"input", {{"order_id", "A-7"}, {"amount", 12}, {"currency", "EUR"}}},
                           {"prompt", "please refund A-7"}}}}),
                     "application/json", {{"traceparent", traceparent}});
  ASSERT_EQ(traced.status, 200) << traced.body;
  json::value t = Json(traced);
  EXPECT_EQ(Str(t.at("trace"), "trace_id"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_NE(traced.header("traceresponse").find("0af7651916cd43dd8448eb211c80319c"),
            std::string::npos);
  std::string decision = Str(t, "decision_id");
  // The prompt is a sensitive field: the ledger holds only its HMAC.
  auto recorded = Call("GET", "/v1/decisions/" + decision, viewer_);
  EXPECT_EQ(recorded.body.find("please refund A-7"), std::string::npos);
  EXPECT_NE(recorded.body.find("hmac_sha256"), std::string::npos);

  // Outcomes: once, for decisions of the caller's own task.
  json::object outcome{{"decision_id", decision},
                       {"status", "success"},
                       {"result_digest", std::string(64, 'c')},
                       {"result_size", 120},
                       {"latency_us", 830}};
  EXPECT_EQ(Post("/v1/outcomes", other_task, outcome).status, 403);
  auto out = Post("/v1/outcomes", token, outcome);
  ASSERT_EQ(out.status, 201) << out.body;
  EXPECT_EQ(Post("/v1/outcomes", token, outcome).status, 409);
  outcome["decision_id"] = "no-such-decision";
  EXPECT_EQ(Post("/v1/outcomes", token, outcome).status, 404);
  outcome["status"] = "fine";
  EXPECT_EQ(ErrorCode(Post("/v1/outcomes", token, outcome)), "invalid_field");

  // Bad input gets a clear 4xx and records nothing. (A checkpoint covers everything before.)
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  uint64_t before = TreeSize();
  auto malformed = Call("POST", "/v1/authorize", token, "{\"action\": ");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(ErrorCode(malformed), "malformed_json");
  auto unknown = Post("/v1/authorize", token,
                      json::object{{"action", "refund"},
                                   {"resource", {{"type", "McpServer"}, {"id", "payments"}}},
                                   {"surprise", 1}});
  EXPECT_EQ(ErrorCode(unknown), "unknown_field");
  auto missing = Post("/v1/authorize", token, json::object{{"action", "refund"}});
  EXPECT_EQ(ErrorCode(missing), "missing_field");
  auto off_schema = Authorize(token, "refund", "McpServer", "payments",
                              json::object{{"input", {{"order_id", 5}}}});
  EXPECT_EQ(off_schema.status, 400);
  EXPECT_EQ(ErrorCode(off_schema), "invalid_request");
  auto no_action = Authorize(token, "teleport", "McpServer", "payments");
  EXPECT_EQ(no_action.status, 400);
  EXPECT_EQ(Call("POST", "/v1/authorize", "", "{}").status, 401);
  EXPECT_EQ(Call("POST", "/v1/authorize", admin_, "{}").status, 401);
  // A refused token is itself recorded, as a denial.
  EXPECT_EQ(ErrorCode(Call("POST", "/v1/authorize", "not-a-token", "{}")), "token_malformed");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  uint64_t after = TreeSize();
  std::vector<std::string> added;
  for (uint64_t seq = before; seq < after; ++seq) {
    auto proof = Call("GET", "/v1/ledger/proof/inclusion?seq=" + std::to_string(seq), viewer_);
    ASSERT_EQ(proof.status, 200) << proof.body;
    json::value record = json::parse(Str(Json(proof), "record"));
    std::string kind = Str(record, "kind");
    if (kind == "checkpoint") continue;
    added.push_back(kind + " " + Str(record.at("body").at("request"), "action"));
  }
  EXPECT_EQ(added, std::vector<std::string>{"decision Action::\"identity/token\""});
}

TEST_F(ServiceApiTest, TasksAgentsAndRevocation) {
  StartWithKeys();
  TestAgent orchestrator = Register("payments-orchestrator", "payments");
  TestAgent refunder = Register("refund-agent", "payments");

  // Agents: listing, lookup, duplicates, bad names, a generated secret shown once.
  EXPECT_EQ(Post("/v1/agents", admin_,
                 json::object{{"name", "refund-agent"},
                              {"owner", "o"},
                              {"team", "payments"},
                              {"generate_secret", true}})
                .status,
            409);
  EXPECT_EQ(
      ErrorCode(Post(
          "/v1/agents", admin_,
          json::object{
              {"name", "bad/name"}, {"owner", "o"}, {"team", "t"}, {"generate_secret", true}})),
      "spiffe_id_invalid");
  EXPECT_EQ(Post("/v1/agents", viewer_, json::object{{"name", "x"}}).status, 403);
  auto with_secret = Post("/v1/agents", admin_,
                          json::object{{"name", "support-orchestrator"},
                                       {"owner", "support@acme.example"},
                                       {"team", "support"},
                                       {"generate_secret", true}});
  ASSERT_EQ(with_secret.status, 201) << with_secret.body;
  std::string secret = Str(Json(with_secret), "client_secret");
  ASSERT_GE(secret.size(), 40u);
  auto shown = Call("GET", "/v1/agents/support-orchestrator", viewer_);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body.find(secret), std::string::npos);
  EXPECT_TRUE(Json(shown).at("has_client_secret").as_bool());
  EXPECT_EQ(Call("GET", "/v1/agents/nobody", viewer_).status, 404);
  auto list = Call("GET", "/v1/agents", viewer_);
  EXPECT_EQ(Json(list).at("agents").as_array().size(), 3u);

  // Opening tasks: by client secret; wrong secret; replayed assertion; wrong audience; policy.
  json::object by_secret{{"client_id", "spiffe://writ.test/agent/support-orchestrator"},
                         {"client_secret", secret},
                         {"user_token", UserToken("bob", {"employees"})},
                         {"intent", "answer ticket 1234"}};
  auto opened = Post("/v1/tasks", "", by_secret);
  ASSERT_EQ(opened.status, 201) << opened.body;
  json::value ot = Json(opened);
  EXPECT_FALSE(Str(ot, "task_id").empty());
  EXPECT_FALSE(Str(ot, "decision_id").empty());
  EXPECT_EQ(Str(ot, "token_type"), "Bearer");
  EXPECT_GT(ot.at("expires_in").to_number<int64_t>(), 0);
  by_secret["client_secret"] = secret + "x";
  EXPECT_EQ(ErrorCode(Post("/v1/tasks", "", by_secret)), "client_auth_failed");
  std::string assertion = Assertion(orchestrator);
  json::object by_assertion{
      {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
      {"client_assertion", assertion},
      {"user_token", UserToken("bob", {"employees"})},
      {"intent", "refund"}};
  EXPECT_EQ(Post("/v1/tasks", "", by_assertion).status, 201);
  auto replayed = Post("/v1/tasks", "", by_assertion);
  EXPECT_EQ(replayed.status, 401);
  EXPECT_EQ(ErrorCode(replayed), "assertion_replayed");
  auto wrong_aud = OpenTask(orchestrator, UserToken("bob", {"employees"}, "another-app"), "x");
  EXPECT_EQ(ErrorCode(wrong_aud), "audience_mismatch");
  // A sub-agent (trust level 2) may not open tasks: a recorded denial.
  auto refused = OpenTask(refunder, UserToken("bob", {"employees"}), "refund");
  ASSERT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(ErrorCode(refused), "no_permit");
  std::string refused_id = Str(Json(refused), "decision_id");
  auto refused_record = Call("GET", "/v1/decisions/" + refused_id, viewer_);
  EXPECT_EQ(Str(Json(refused_record).at("decision"), "verdict"), "deny");
  // A contractor is not an employee.
  EXPECT_EQ(OpenTask(orchestrator, UserToken("carol", {"contractors"}), "x").status, 403);
  EXPECT_EQ(OpenTask(orchestrator, UserToken("bob", {"employees"}), "").status, 400);

  // Delegation errors (RFC 8693 §2.2.2).
  std::string task = TaskToken(orchestrator, "bob");
  auto wide = Exchange(task, refunder, "payments:refund payments:admin");
  EXPECT_EQ(wide.status, 400);
  EXPECT_EQ(ErrorCode(wide), "invalid_scope");
  TestAgent mailer = Register("mailer", "support");
  auto cross = Exchange(task, mailer, "payments:refund");
  EXPECT_EQ(ErrorCode(cross), "invalid_request");
  EXPECT_EQ(Str(Json(cross), "writ_code"), "exchange_denied");
  EXPECT_FALSE(Str(Json(cross), "decision_id").empty());
  EXPECT_EQ(ErrorCode(PostForm("/oauth/token", "", {{"grant_type", "client_credentials"}})),
            "unsupported_grant_type");
  EXPECT_EQ(ErrorCode(PostForm("/oauth/token", "",
                               {{"grant_type", kTokenExchange}, {"subject_token", task}})),
            "invalid_request");
  EXPECT_EQ(ErrorCode(Call("POST", "/oauth/token", "", "grant_type=a&grant_type=b",
                           "application/x-www-form-urlencoded")),
            "invalid_request");
  auto bad_secret = PostForm("/oauth/token", "",
                             {{"grant_type", kTokenExchange},
                              {"subject_token", task},
                              {"subject_token_type", kAccessTokenType},
                              {"client_id", "spiffe://writ.test/agent/support-orchestrator"},
                              {"client_secret", "wrong-secret-wrong-secret"}});
  EXPECT_EQ(bad_secret.status, 401);
  EXPECT_EQ(ErrorCode(bad_secret), "invalid_client");

  // RFC 7009: an agent revokes a token of its own task; always 200 for junk.
  auto child = Exchange(task, refunder, "payments:refund");
  ASSERT_EQ(child.status, 200) << child.body;
  json::value cj = Json(child);
  EXPECT_EQ(Str(cj, "issued_token_type"), kAccessTokenType);
  EXPECT_EQ(Str(cj, "token_type"), "Bearer");
  EXPECT_EQ(Str(cj, "scope"), "payments:refund");
  std::string child_token = Str(cj, "access_token");
  EXPECT_TRUE(Active(child_token));
  std::string other = TaskToken(orchestrator, "bob");
  EXPECT_EQ(PostForm("/oauth/revoke", other, {{"token", child_token}}).status, 403);
  EXPECT_EQ(PostForm("/oauth/revoke", task, {{"token", child_token}}).status, 200);
  EXPECT_FALSE(Active(child_token));
  EXPECT_TRUE(Active(task));
  EXPECT_EQ(PostForm("/oauth/revoke", task, {{"token", "junk"}}).status, 200);
  EXPECT_EQ(ErrorCode(Refund(child_token, 10)), "token_revoked");

  // Revocation by user cascades to every token acting for them.
  auto jwt_child = PostForm("/oauth/token", "",
                            {{"grant_type", kTokenExchange},
                             {"subject_token", other},
                             {"subject_token_type", kJwtTokenType},
                             {"requested_token_type", kJwtTokenType},
                             {"actor_token", Assertion(refunder)},
                             {"actor_token_type", kJwtTokenType}});
  ASSERT_EQ(jwt_child.status, 200) << jwt_child.body;
  EXPECT_EQ(Str(Json(jwt_child), "token_type"), "N_A");
  EXPECT_EQ(
      Post("/v1/revocations", approver_, json::object{{"target", "user"}, {"value", "bob"}}).status,
      403);
  EXPECT_EQ(ErrorCode(Post("/v1/revocations", admin_,
                           json::object{{"target", "planet"}, {"value", "x"}})),
            "invalid_field");
  auto by_user = Post("/v1/revocations", admin_,
                      json::object{{"target", "user"}, {"value", "bob"}, {"reason", "left"}});
  ASSERT_EQ(by_user.status, 201) << by_user.body;
  EXPECT_GE(Json(by_user).at("revoked_credentials").to_number<int64_t>(), 4);
  EXPECT_FALSE(Active(task));
  EXPECT_FALSE(Active(other));
  EXPECT_FALSE(Active(Str(Json(jwt_child), "access_token")));
  EXPECT_EQ(
      Post("/v1/revocations", admin_, json::object{{"target", "user"}, {"value", "bob"}}).status,
      200);  // already revoked: nothing new
  EXPECT_EQ(OpenTask(orchestrator, UserToken("bob", {"employees"}), "again").status, 403);
}

TEST_F(ServiceApiTest, PublicDocumentsLedgerProofsAndPolicies) {
  StartWithKeys();
  auto jwks = Call("GET", "/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200);
  ASSERT_EQ(Json(jwks).at("keys").as_array().size(), 1u);
  EXPECT_EQ(Str(Json(jwks).at("keys").at(0), "crv"), "Ed25519");
  auto meta = Call("GET", "/.well-known/oauth-authorization-server");
  ASSERT_EQ(meta.status, 200);
  json::value mj = Json(meta);
  EXPECT_EQ(Str(mj, "issuer"), kIssuer);
  EXPECT_EQ(Str(mj, "token_endpoint"), kTokenEndpoint);
  EXPECT_EQ(Str(mj, "introspection_endpoint"), "https://writ.test/oauth/introspect");
  EXPECT_EQ(Str(mj, "revocation_endpoint"), "https://writ.test/oauth/revoke");
  EXPECT_EQ(Str(mj, "jwks_uri"), "https://writ.test/.well-known/jwks.json");
  EXPECT_EQ(mj.at("grant_types_supported").as_array(), json::array{kTokenExchange});

  auto ready = Call("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;

  auto policies = Call("GET", "/v1/policies", viewer_);
  ASSERT_EQ(policies.status, 200);
  json::value pj = Json(policies);
  EXPECT_EQ(Str(pj, "version").size(), 12u);
  bool has = false;
  for (const auto& id : pj.at("policy_ids").as_array()) has = has || id == "small-refunds";
  EXPECT_TRUE(has);
  EXPECT_EQ(Call("POST", "/v1/policies/reload", viewer_).status, 403);
  auto reload = Call("POST", "/v1/policies/reload", admin_);
  EXPECT_EQ(reload.status, 200) << reload.body;
  EXPECT_EQ(Str(Json(reload), "version"), Str(pj, "version"));

  // Checkpoints and proofs.
  TestAgent orchestrator = Register("payments-orchestrator", "payments");
  std::string task = TaskToken(orchestrator, "bob");
  auto cp1 = Call("GET", "/v1/ledger/checkpoint", viewer_);
  ASSERT_EQ(cp1.status, 200) << cp1.body;
  json::value c1 = Json(cp1);
  EXPECT_EQ(Str(c1, "origin"), kOrigin);
  EXPECT_NE(Str(c1, "note").find(kOrigin), std::string::npos);
  EXPECT_NE(Str(c1, "verifier_key").find(kOrigin), std::string::npos);
  uint64_t size1 = c1.at("tree_size").to_number<uint64_t>();
  auto allowed = Refund(task, 5);  // the orchestrator itself is in payments
  ASSERT_EQ(allowed.status, 200);
  uint64_t seq = Json(allowed).at("ledger_seq").to_number<uint64_t>();
  auto inclusion = Call("GET", "/v1/ledger/proof/inclusion?seq=" + std::to_string(seq), viewer_);
  ASSERT_EQ(inclusion.status, 200) << inclusion.body;
  json::value ij = Json(inclusion);
  EXPECT_EQ(ij.at("seq").to_number<uint64_t>(), seq);
  EXPECT_NE(Str(ij, "record").find(Str(Json(allowed), "decision_id")), std::string::npos);
  EXPECT_GT(ij.at("tree_size").to_number<uint64_t>(), seq);
  auto cp2 = Call("GET", "/v1/ledger/checkpoint", viewer_);
  uint64_t size2 = Json(cp2).at("tree_size").to_number<uint64_t>();
  ASSERT_GT(size2, size1);
  auto consistency = Call("GET",
                          "/v1/ledger/proof/consistency?first=" + std::to_string(size1) +
                              "&second=" + std::to_string(size2),
                          viewer_);
  ASSERT_EQ(consistency.status, 200) << consistency.body;
  EXPECT_FALSE(Json(consistency).at("consistency_proof").as_array().empty());
  EXPECT_EQ(Call("GET", "/v1/ledger/proof/inclusion?seq=99999999", viewer_).status, 404);
  EXPECT_EQ(Call("GET", "/v1/ledger/proof/inclusion?seq=x", viewer_).status, 400);
  EXPECT_EQ(Call("GET", "/v1/ledger/proof/consistency?first=3&second=2", viewer_).status, 400);
  EXPECT_EQ(Call("GET", "/v1/ledger/proof/consistency?first=1&second=2", viewer_).status, 404);

  // Explain: the task's path with proofs.
  auto explained = Call("GET", "/v1/explain/" + Str(Json(allowed), "decision_id"), viewer_);
  ASSERT_EQ(explained.status, 200) << explained.body;
  json::value ej = Json(explained);
  EXPECT_EQ(Str(ej, "kind"), "decision");
  std::vector<std::string> kinds;
  for (const auto& node : ej.at("path").as_array()) {
    kinds.push_back(Str(node, "kind"));
    EXPECT_TRUE(node.as_object().contains("proof")) << json::serialize(node);
  }
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "task_start"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "decision"), kinds.end());
  EXPECT_EQ(Call("GET", "/v1/explain/unknown-id", viewer_).status, 404);
  EXPECT_EQ(Call("GET", "/openapi.json").status, 200);
}

}  // namespace
}  // namespace writ::service::testing
