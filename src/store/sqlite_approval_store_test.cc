#include "store/sqlite_approval_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/approval_store.h"
#include "store/sqlite_store.h"

namespace writ::store {
namespace {

class ApprovalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-approvals-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    store_.reset();
    SqliteOptions o;
    o.data_dir = dir_.string();
    auto s = OpenSqliteStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  ApprovalStore& approvals() { return store_->approvals(); }

  static StoredApproval Pending(std::string id, int64_t created = 100, int64_t expires = 1000) {
    StoredApproval a;
    a.id = std::move(id);
    a.decision_id = "d-" + a.id;
    a.request_digest = "digest";
    a.policy_version = "v1";
    a.group = "finance";
    a.status = "pending";
    a.principal = "Agent::\"a\"";
    a.action = "Action::\"refund\"";
    a.resource = "Tool::\"payments/refund\"";
    a.summary = "{}";
    a.created_us = created;
    a.expires_us = expires;
    return a;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ApprovalStoreTest, GrantIsConsumedExactlyOnce) {
  ASSERT_TRUE(approvals().InsertApproval(Pending("ap1")).ok());
  EXPECT_EQ(approvals().InsertApproval(Pending("ap1")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*approvals().CountPending(200), 1);
  // Not granted yet: cannot be consumed.
  EXPECT_EQ(approvals().ConsumeApproval("ap1", "digest", "v1", "d2", 200).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(approvals().DecideApproval("ap1", true, "alice", "ok", false, 300).ok());
  EXPECT_EQ(approvals().DecideApproval("ap1", false, "bob", "", false, 301).code(),
            StatusCode::kFailedPrecondition);
  // Bound to the request and the policy version.
  EXPECT_EQ(approvals().ConsumeApproval("ap1", "other", "v1", "d2", 400).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(approvals().ConsumeApproval("ap1", "digest", "v2", "d2", 400).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(approvals().ConsumeApproval("ap1", "digest", "v1", "d2", 400).ok());
  EXPECT_EQ(approvals().ConsumeApproval("ap1", "digest", "v1", "d3", 401).code(),
            StatusCode::kFailedPrecondition);
  auto got = approvals().GetApproval("ap1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, "consumed");
  EXPECT_EQ((*got)->approver, "alice");
  EXPECT_EQ((*got)->consumed_by, "d2");
  EXPECT_EQ(*approvals().CountPending(500), 0);
}

// A pending approval whose request could not be recorded is withdrawn: gone, and no longer found
// open. A decided one stays.
TEST_F(ApprovalStoreTest, OnlyAPendingApprovalIsWithdrawn) {
  ASSERT_TRUE(approvals().InsertApproval(Pending("ap1")).ok());
  ASSERT_TRUE(approvals().InsertApproval(Pending("ap2")).ok());
  ASSERT_TRUE(approvals().DecideApproval("ap2", true, "alice", "", false, 200).ok());
  ASSERT_TRUE(approvals().WithdrawApproval("ap1").ok());
  EXPECT_FALSE(approvals().GetApproval("ap1")->has_value());
  EXPECT_EQ(approvals().WithdrawApproval("ap1").code(), StatusCode::kNotFound);
  EXPECT_EQ(approvals().WithdrawApproval("ap2").code(), StatusCode::kFailedPrecondition);
  auto open = approvals().FindOpenApproval("digest", "v1", 300);
  ASSERT_TRUE(open.ok() && open->has_value());
  EXPECT_EQ((*open)->id, "ap2");
  ASSERT_TRUE(approvals().ConsumeApproval("ap2", "digest", "v1", "d2", 300).ok());
  EXPECT_FALSE(approvals().FindOpenApproval("digest", "v1", 300)->has_value());
  EXPECT_EQ(*approvals().CountPending(300), 0);
}

TEST_F(ApprovalStoreTest, OnlyTheDecisionThatConsumedAGrantGivesItBack) {
  ASSERT_TRUE(approvals().InsertApproval(Pending("ap")).ok());
  EXPECT_EQ(approvals().ReleaseApproval("ap", "d1").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(approvals().DecideApproval("ap", true, "alice", "", false, 200).ok());
  ASSERT_TRUE(approvals().ConsumeApproval("ap", "digest", "v1", "d1", 300).ok());
  EXPECT_FALSE(approvals().FindOpenApproval("digest", "v1", 300)->has_value());
  Status other = approvals().ReleaseApproval("ap", "d2");
  EXPECT_EQ(other.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(other.message().find("consumed"), std::string::npos) << other.message();
  EXPECT_EQ(approvals().ReleaseApproval("nope", "d1").code(), StatusCode::kNotFound);
  ASSERT_TRUE(approvals().ReleaseApproval("ap", "d1").ok());
  auto back = approvals().GetApproval("ap");
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_EQ((*back)->status, "granted");
  EXPECT_EQ((*back)->consumed_by, "");
  // Open again, and usable once more (by the next decision).
  auto open = approvals().FindOpenApproval("digest", "v1", 300);
  ASSERT_TRUE(open.ok() && open->has_value());
  EXPECT_EQ((*open)->id, "ap");
  ASSERT_TRUE(approvals().ConsumeApproval("ap", "digest", "v1", "d3", 300).ok());
  EXPECT_EQ(approvals().GetApproval("ap")->value().consumed_by, "d3");
}

TEST_F(ApprovalStoreTest, ReopenedOnlyWhileAsItsApproverLeftIt) {
  ASSERT_TRUE(approvals().InsertApproval(Pending("g")).ok());
  ASSERT_TRUE(approvals().InsertApproval(Pending("d")).ok());
  EXPECT_EQ(approvals().ReopenApproval("g", "alice").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(approvals().DecideApproval("g", true, "alice", "fine", false, 200).ok());
  ASSERT_TRUE(approvals().DecideApproval("d", false, "alice", "no", false, 200).ok());
  EXPECT_EQ(approvals().ReopenApproval("g", "bob").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(approvals().ReopenApproval("nope", "alice").code(), StatusCode::kNotFound);
  ASSERT_TRUE(approvals().ReopenApproval("g", "alice").ok());
  ASSERT_TRUE(approvals().ReopenApproval("d", "alice").ok());
  for (const char* id : {"g", "d"}) {
    auto a = approvals().GetApproval(id);
    ASSERT_TRUE(a.ok() && a->has_value());
    EXPECT_EQ((*a)->status, "pending") << id;
    EXPECT_EQ((*a)->approver, "") << id;
    EXPECT_EQ((*a)->note, "") << id;
    EXPECT_EQ((*a)->decided_us, 0) << id;
  }
  EXPECT_EQ(*approvals().CountPending(300), 2);
  // Pending again, both can be decided; a consumed grant cannot be reopened.
  ASSERT_TRUE(approvals().DecideApproval("g", true, "carol", "", false, 300).ok());
  ASSERT_TRUE(approvals().ConsumeApproval("g", "digest", "v1", "d1", 300).ok());
  EXPECT_EQ(approvals().ReopenApproval("g", "carol").code(), StatusCode::kFailedPrecondition);
  auto open = approvals().FindOpenApproval("digest", "v1", 300);
  ASSERT_TRUE(open.ok() && open->has_value());
  EXPECT_EQ((*open)->id, "d");  // the reopened denial counts as open again
}

TEST_F(ApprovalStoreTest, ExpiryAndLookup) {
  ASSERT_TRUE(approvals().InsertApproval(Pending("old", 10, 50)).ok());
  ASSERT_TRUE(approvals().InsertApproval(Pending("new", 20, 5000)).ok());
  auto open = approvals().FindOpenApproval("digest", "v1", 100);
  ASSERT_TRUE(open.ok() && open->has_value());
  EXPECT_EQ((*open)->id, "new");
  Status late = approvals().DecideApproval("old", true, "alice", "", false, 100);
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.message().find("expired"), std::string::npos);
  EXPECT_EQ(approvals().DecideApproval("nope", true, "alice", "", false, 100).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(approvals().DecideApproval("new", false, "bob", "too risky", false, 100).ok());
  EXPECT_FALSE(approvals().FindOpenApproval("digest", "v1", 100)->has_value());
  auto denied = approvals().ListApprovals("denied", 10);
  ASSERT_TRUE(denied.ok());
  ASSERT_EQ(denied->size(), 1u);
  EXPECT_EQ((*denied)[0].note, "too risky");
}

TEST_F(ApprovalStoreTest, SurvivesReopen) {
  StoredApproval a = Pending("ap");
  a.override_ = false;
  ASSERT_TRUE(approvals().InsertApproval(a).ok());
  ASSERT_TRUE(approvals().DecideApproval("ap", true, "root", "break glass", true, 200).ok());
  Open();
  auto got = approvals().GetApproval("ap");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->status, "granted");
  EXPECT_TRUE((*got)->override_);
}

// The lookup that most decisions make (no approval for their request) is answered from memory;
// it must agree with the table through every change, before and after the first lookup and
// across a reopen.
TEST_F(ApprovalStoreTest, OpenLookupFollowsEveryChange) {
  auto open_id = [&](const std::string& digest) -> std::string {
    auto r = approvals().FindOpenApproval(digest, "v1", 150);
    EXPECT_TRUE(r.ok());
    return r.ok() && r->has_value() ? (*r)->id : "";
  };
  StoredApproval before = Pending("before");
  before.request_digest = "d-before";
  ASSERT_TRUE(approvals().InsertApproval(before).ok());  // before the first lookup
  EXPECT_EQ(open_id("d-before"), "before");
  EXPECT_EQ(open_id("d-none"), "");
  StoredApproval after = Pending("after");
  after.request_digest = "d-after";
  ASSERT_TRUE(approvals().InsertApproval(after).ok());  // after it
  EXPECT_EQ(open_id("d-after"), "after");
  // Granted stays open until consumed; denied closes.
  ASSERT_TRUE(approvals().DecideApproval("after", true, "alice", "", false, 120).ok());
  EXPECT_EQ(open_id("d-after"), "after");
  ASSERT_TRUE(approvals().ConsumeApproval("after", "d-after", "v1", "dx", 130).ok());
  EXPECT_EQ(open_id("d-after"), "");
  ASSERT_TRUE(approvals().DecideApproval("before", false, "bob", "", false, 120).ok());
  EXPECT_EQ(open_id("d-before"), "");
  // Two open approvals of one request: closing one leaves the other found.
  StoredApproval x = Pending("x1", 100);
  x.request_digest = "d-twice";
  ASSERT_TRUE(approvals().InsertApproval(x).ok());
  x.id = "x2";
  x.created_us = 110;
  ASSERT_TRUE(approvals().InsertApproval(x).ok());
  ASSERT_TRUE(approvals().DecideApproval("x2", false, "bob", "", false, 120).ok());
  EXPECT_EQ(open_id("d-twice"), "x1");
  // A failed change (already decided) leaves the set as it was.
  EXPECT_FALSE(approvals().DecideApproval("x2", false, "bob", "", false, 121).ok());
  EXPECT_EQ(open_id("d-twice"), "x1");
  Open();
  EXPECT_EQ(open_id("d-twice"), "x1");
  EXPECT_EQ(open_id("d-after"), "");
  EXPECT_EQ(open_id("d-before"), "");
}

TEST_F(ApprovalStoreTest, MayHaveOpenApprovalFollowsThePrincipalActionAndResource) {
  auto may = [&](const std::string& principal, const std::string& resource) {
    auto r = approvals().MayHaveOpenApproval(principal, "Action::\"refund\"", resource);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  };
  const std::string a = "Agent::\"a\"", b = "Agent::\"b\"", tool = "Tool::\"payments/refund\"";
  EXPECT_FALSE(may(a, tool));
  StoredApproval one = Pending("one");
  one.request_digest = "d-one";
  ASSERT_TRUE(approvals().InsertApproval(one).ok());
  StoredApproval two = Pending("two");
  two.request_digest = "d-two";  // another input, the same principal, action and resource
  ASSERT_TRUE(approvals().InsertApproval(two).ok());
  EXPECT_TRUE(may(a, tool));
  EXPECT_FALSE(may(b, tool));
  EXPECT_FALSE(may(a, "Tool::\"other\""));
  // Texts that would run together without their lengths are told apart.
  auto joined = approvals().MayHaveOpenApproval(a + "Action::\"refund\"", "", tool);
  ASSERT_TRUE(joined.ok());
  EXPECT_FALSE(*joined);
  // Open while one of the two is: denied closes one; granted stays open until consumed.
  ASSERT_TRUE(approvals().DecideApproval("one", false, "bob", "", false, 120).ok());
  EXPECT_TRUE(may(a, tool));
  ASSERT_TRUE(approvals().DecideApproval("two", true, "bob", "", false, 120).ok());
  EXPECT_TRUE(may(a, tool));
  Open();  // counted again from the table
  EXPECT_TRUE(may(a, tool));
  ASSERT_TRUE(approvals().ConsumeApproval("two", "d-two", "v1", "dx", 130).ok());
  EXPECT_FALSE(may(a, tool));
  Open();
  EXPECT_FALSE(may(a, tool));
}

}  // namespace
}  // namespace writ::store
