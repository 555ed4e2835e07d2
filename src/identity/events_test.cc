#include "identity/events.h"

#include <gtest/gtest.h>

namespace writ::identity {
namespace {

TEST(EventsTest, EveryEventTypeMapsToALedgerKind) {
  EXPECT_EQ(LedgerRecordKindName(EventType::kTokenIssued), "credential_issue");
  EXPECT_EQ(LedgerRecordKindName(EventType::kCredentialIssued), "credential_issue");
  EXPECT_EQ(LedgerRecordKindName(EventType::kTokenExchanged), "delegation");
  EXPECT_EQ(LedgerRecordKindName(EventType::kCredentialUsed), "credential_use");
  EXPECT_EQ(LedgerRecordKindName(EventType::kSecretReleased), "credential_use");
  EXPECT_EQ(LedgerRecordKindName(EventType::kRevocation), "credential_revoke");
  EXPECT_EQ(LedgerRecordKindName(EventType::kTokenRevoked), "credential_revoke");
  EXPECT_EQ(LedgerRecordKindName(EventType::kKeyRotated), "key_rotation");
  EXPECT_EQ(LedgerRecordKindName(EventType::kRefused), "decision");
}

TEST(EventsTest, BodyKeepsNonEmptyFieldsAndMarksDenials) {
  IdentityEvent e;
  e.type = EventType::kRefused;
  e.time_us = 1'700'000'000'000'000;
  e.token_id = "j1";
  e.error = "token_expired";
  e.detail["what"] = "token";
  boost::json::object body = EventBody(e);
  EXPECT_EQ(body.at("event").as_string(), "refused");
  EXPECT_EQ(body.at("verdict").as_string(), "deny");
  EXPECT_EQ(body.at("error").as_string(), "token_expired");
  EXPECT_EQ(body.at("time").as_string(), "2023-11-14T22:13:20.000000Z");
  EXPECT_FALSE(body.contains("task_id"));
  EXPECT_EQ(body.at("detail").at("what").as_string(), "token");
  e.type = EventType::kTokenIssued;
  EXPECT_FALSE(EventBody(e).contains("verdict"));
}

TEST(EventsTest, CollectingSinkKeepsOrder) {
  CollectingEventSink sink;
  IdentityEvent a;
  a.token_id = "a";
  IdentityEvent b;
  b.token_id = "b";
  ASSERT_TRUE(sink.Record(a).ok());
  ASSERT_TRUE(sink.Record(b).ok());
  ASSERT_EQ(sink.Events().size(), 2u);
  EXPECT_EQ(sink.Events()[1].token_id, "b");
  sink.Clear();
  EXPECT_TRUE(sink.Events().empty());
}

}  // namespace
}  // namespace writ::identity
