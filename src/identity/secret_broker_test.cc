#include "identity/secret_broker.h"

#include <gtest/gtest.h>

#include "identity/identity_test_util.h"

namespace writ::identity {
namespace {

using namespace writ::identity::testing;

TEST(SecretBrokerTest, ReleasedOnlyIntoAnAllowedDecisionAndNeverListed) {
  auto dir = TestDir("writ-secrets-");
  CollectingEventSink sink;
  IdentityWorld w;
  ASSERT_TRUE(w.Open(dir, TestMasterHex(), sink).ok());
  SecretBroker broker(w.store->identity(), *w.master, sink, w.clock);
  const std::string value = "ghp_very-secret-token-value";
  ASSERT_TRUE(broker.Put("github", value, "https://api.github.com", "bot").ok());
  EXPECT_FALSE(broker.Put("bad name", "x", "", "").ok());
  EXPECT_FALSE(broker.Put("empty", "", "", "").ok());

  // Stored sealed.
  auto row = w.store->identity().GetSecret("github").value();
  EXPECT_EQ(row->sealed_value.find(value), std::string::npos);
  auto list = broker.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].sealed_value.empty());

  SecretRelease r{"dec-1", "deny", "https://api.github.com", "spiffe://writ.test/agent/a", "t"};
  EXPECT_EQ(IdentityErrorOf(broker.Release("github", r).status()),
            IdentityError::kSecretReleaseDenied);
  r.verdict = "approval_required";
  EXPECT_EQ(IdentityErrorOf(broker.Release("github", r).status()),
            IdentityError::kSecretReleaseDenied);
  r.verdict = "allow";
  r.audience = "https://evil.example.com";
  EXPECT_EQ(IdentityErrorOf(broker.Release("github", r).status()),
            IdentityError::kSecretReleaseDenied);
  r.audience = "https://api.github.com";
  r.decision_id = "";
  EXPECT_FALSE(broker.Release("github", r).ok());
  r.decision_id = "dec-1";
  EXPECT_EQ(broker.Release("nothing", r).status().code(), StatusCode::kNotFound);
  auto released = broker.Release("github", r);
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_EQ(released->Reveal(), value);

  int releases = 0;
  for (const IdentityEvent& e : sink.Events()) {
    EXPECT_EQ(boost::json::serialize(EventBody(e)).find(value), std::string::npos);
    if (e.type == EventType::kSecretReleased) {
      ++releases;
      EXPECT_EQ(e.decision_id, "dec-1");
    }
  }
  EXPECT_EQ(releases, 1);
  EXPECT_EQ(CountRefusals(sink, IdentityError::kSecretReleaseDenied), 4);

  // Another master key cannot open it.
  auto other = MasterKey::FromText(std::string(64, 'c')).value();
  SecretBroker wrong(w.store->identity(), other, sink, w.clock);
  EXPECT_EQ(wrong.Release("github", r).status().code(), StatusCode::kDataLoss);
  w.Close();
  std::filesystem::remove_all(dir);
}

TEST(SecretBrokerTest, ReleasedToAnUpstreamProcessOfItsAudienceOnly) {
  auto dir = TestDir("writ-secrets-process-");
  CollectingEventSink sink;
  IdentityWorld w;
  ASSERT_TRUE(w.Open(dir, TestMasterHex(), sink).ok());
  SecretBroker broker(w.store->identity(), *w.master, sink, w.clock);
  const std::string value = "db-password-93k1";
  ASSERT_TRUE(broker.Put("db", value, "sql", "the SQL server's password").ok());
  ASSERT_TRUE(broker.Put("anywhere", "open-value", "", "no audience").ok());

  EXPECT_EQ(IdentityErrorOf(broker.ReleaseToProcess("db", "fs").status()),
            IdentityError::kSecretReleaseDenied);
  EXPECT_EQ(broker.ReleaseToProcess("nothing", "sql").status().code(), StatusCode::kNotFound);
  auto released = broker.ReleaseToProcess("db", "sql");
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_EQ(released->Reveal(), value);
  EXPECT_TRUE(broker.ReleaseToProcess("anywhere", "fs").ok());

  std::vector<std::string> released_kinds;
  for (const IdentityEvent& e : sink.Events()) {
    EXPECT_EQ(boost::json::serialize(EventBody(e)).find(value), std::string::npos);
    if (e.type == EventType::kSecretReleased) {
      EXPECT_TRUE(e.decision_id.empty());
      released_kinds.push_back(e.detail.at("secret").as_string().c_str());
      EXPECT_EQ(e.detail.at("what"), "process_environment");
    }
  }
  EXPECT_EQ(released_kinds, (std::vector<std::string>{"db", "anywhere"}));
  EXPECT_EQ(CountRefusals(sink, IdentityError::kSecretReleaseDenied), 1);
  w.Close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace writ::identity
