#include "identity/spiffe_id.h"

#include <gtest/gtest.h>

#include "identity/errors.h"

namespace writ::identity {
namespace {

TEST(SpiffeIdTest, AcceptsValidIds) {
  for (const char* ok : {"spiffe://example.org", "spiffe://example.org/agent/planner",
                         "spiffe://a-b_c.9/x/Y.z/1-2_3", "spiffe://td/agent/a.b"}) {
    auto id = ParseSpiffeId(ok);
    ASSERT_TRUE(id.ok()) << ok << " " << id.status().ToString();
    EXPECT_EQ(id->ToString(), ok);
  }
  auto id = ParseSpiffeId("spiffe://example.org/agent/planner");
  EXPECT_EQ(id->trust_domain, "example.org");
  EXPECT_EQ(id->path, "/agent/planner");
}

TEST(SpiffeIdTest, RefusesEveryRuleOfTheSpecification) {
  std::string long_td(256, 'a');
  std::string long_id = "spiffe://td/" + std::string(2048, 'a');
  for (const std::string& bad :
       {std::string("http://example.org/a"), std::string("SPIFFE://example.org/a"),
        std::string("spiffe://"), std::string("spiffe:///path"),
        std::string("spiffe://Example.org"), std::string("spiffe://exa mple.org"),
        std::string("spiffe://example.org:8080/a"), std::string("spiffe://user@example.org/a"),
        std::string("spiffe://example.org/"), std::string("spiffe://example.org//a"),
        std::string("spiffe://example.org/a/"), std::string("spiffe://example.org/./a"),
        std::string("spiffe://example.org/a/.."), std::string("spiffe://example.org/a?q=1"),
        std::string("spiffe://example.org/a#f"), std::string("spiffe://example.org/a%20b"),
        std::string("spiffe://example.org/a b"), "spiffe://" + long_td, long_id}) {
    auto id = ParseSpiffeId(bad);
    EXPECT_FALSE(id.ok()) << bad;
    EXPECT_EQ(IdentityErrorOf(id.status()), IdentityError::kSpiffeIdInvalid) << bad;
  }
}

TEST(SpiffeIdTest, AgentIds) {
  EXPECT_EQ(AgentSpiffeId("example.org", "planner").value(), "spiffe://example.org/agent/planner");
  EXPECT_FALSE(AgentSpiffeId("example.org", "a/b").ok());
  EXPECT_FALSE(AgentSpiffeId("example.org", "..").ok());
  EXPECT_FALSE(AgentSpiffeId("example.org", "").ok());
  EXPECT_FALSE(AgentSpiffeId("example.org", std::string(129, 'a')).ok());
  EXPECT_TRUE(AgentSpiffeId("example.org", std::string(128, 'a')).ok());
  EXPECT_FALSE(AgentSpiffeId("Example.org", "a").ok());
  EXPECT_EQ(AgentNameFromSpiffeId("spiffe://example.org/agent/planner", "example.org").value(),
            "planner");
  EXPECT_FALSE(AgentNameFromSpiffeId("spiffe://other.org/agent/planner", "example.org").ok());
  EXPECT_FALSE(AgentNameFromSpiffeId("spiffe://example.org/user/planner", "example.org").ok());
  EXPECT_FALSE(AgentNameFromSpiffeId("spiffe://example.org/agent/a/b", "example.org").ok());
}

}  // namespace
}  // namespace writ::identity
