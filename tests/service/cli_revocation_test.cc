// `writ revoke` run beside a running `writ serve` on the same data directory: the service sees
// the revocation within its documented catch-up interval (TokenServiceOptions::
// revocation_refresh_ms, 100 ms; docs/identity.md, "Revocation") without a restart, and the ledger
// holds the same evidence the API writes — the revocation order, one credential_revoke per token it
// reached and, for a task, its task_end — recorded by the command under its own log origin
// (`writ-cli`).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "service_world.h"

namespace writ::service::testing {
namespace {

// The documented bound (100 ms) and a margin for the time between the command's commit and its
// exit, which the test cannot see.
constexpr auto kWithinRefresh = std::chrono::milliseconds(150);

class CliRevocationTest : public ServiceWorld {
 protected:
  // `writ revoke --<what> value` on the service's data directory; the JSON it printed.
  json::value CliRevoke(const std::string& what, const std::string& value) {
    std::string out, err;
    int rc = Writ({"revoke", "--" + what, value, "--data", data_, "--trust-domain", "writ.test",
                   "--issuer", kIssuer, "--reason", "revoked from the command line", "--json"},
                  &out, &err);
    EXPECT_EQ(rc, 0) << out << err;
    json::error_code ec;
    json::value v = json::parse(out, ec);
    EXPECT_FALSE(ec) << out;
    return v;
  }

  std::string Jti(const std::string& token) {
    auto r = PostForm("/oauth/introspect", viewer_, {{"token", token}});
    return Str(Json(r), "jti");
  }

  // The refusal code of a small refund by `token` ("" when it was decided: any verdict).
  std::string CallCode(const std::string& token) { return ErrorCode(Refund(token, 5)); }
};

TEST_F(CliRevocationTest, RevocationsByTheCommandLineTakeEffectInTheRunningServer) {
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
  auto second = Exchange(task, refunder, "payments:refund");
  ASSERT_EQ(second.status, 200) << second.body;
  std::string refund_token = Str(Json(second), "access_token");
  for (const std::string& t : {task, lead_token, refund_token}) ASSERT_TRUE(Active(t));
  EXPECT_EQ(CallCode(lead_token), "");  // verified and cached by the service

  // A token: the very next call after the bound is refused; its siblings keep working.
  std::string lead_jti = Jti(lead_token);
  ASSERT_FALSE(lead_jti.empty());
  CliRevoke("token", lead_jti);
  std::this_thread::sleep_for(kWithinRefresh);
  EXPECT_EQ(CallCode(lead_token), "token_revoked");
  EXPECT_FALSE(Active(lead_token));
  EXPECT_TRUE(Active(task));
  EXPECT_TRUE(Active(refund_token));

  // An agent.
  CliRevoke("agent", "refund-agent");
  std::this_thread::sleep_for(kWithinRefresh);
  EXPECT_EQ(CallCode(refund_token), "agent_revoked");
  EXPECT_FALSE(Active(refund_token));
  EXPECT_EQ(ErrorCode(Exchange(task, refunder, "payments:refund")), "invalid_request");
  EXPECT_TRUE(Active(task));

  // The task: ends it, as POST /v1/tasks/{id}/end does.
  json::value ended = CliRevoke("task", task_id);
  std::this_thread::sleep_for(kWithinRefresh);
  EXPECT_EQ(CallCode(task), "task_revoked");
  EXPECT_FALSE(Active(task));
  EXPECT_EQ(ErrorCode(Post("/v1/tasks/" + task_id + "/end", admin_, json::object{})), "task_ended");

  // The evidence: what the API writes, under the command's own origin.
  std::set<std::string> reached;
  for (const json::value& j : ended.at("tokens").as_array()) reached.emplace(j.as_string());
  EXPECT_FALSE(reached.empty());
  std::map<std::string, int> kinds;
  std::set<std::string> revoked_ids;
  bool order = false;
  for (const json::object& node : LedgerRecordsOfTask(task_id)) {
    std::string kind = Str(node, "kind");
    ++kinds[kind];
    const json::value& rec = node.at("record");
    if (kind == "credential_revoke" && Str(rec, "credential_type") == "revocation") {
      if (Str(rec, "revoked_via") == "task:" + task_id) order = true;
    } else if (kind == "credential_revoke" && Str(rec, "revoked_via") == "task:" + task_id) {
      revoked_ids.insert(Str(rec, "credential_id"));
    }
    if (kind == "task_end") {
      EXPECT_EQ(rec.at("revoked_credentials").to_number<int64_t>(),
                static_cast<int64_t>(reached.size()));
      EXPECT_EQ(Str(rec, "reason"), "revoked from the command line");
      EXPECT_EQ(Str(node, "origin"), "writ-cli");
    }
  }
  EXPECT_EQ(kinds["task_end"], 1);
  EXPECT_TRUE(order) << "no revocation order for the task";
  EXPECT_EQ(revoked_ids, reached);

  // The command's log verifies.
  std::string out, err;
  EXPECT_EQ(Writ({"ledger", "verify", "--data", data_, "--origin", "writ-cli"}, &out, &err), 0)
      << out << err;
}

}  // namespace
}  // namespace writ::service::testing
