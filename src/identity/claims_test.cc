#include "identity/claims.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "identity/errors.h"

namespace writ::identity {
namespace {

namespace json = boost::json;

TokenClaims Delegated() {
  TokenClaims c;
  c.kind = TokenKind::kDelegated;
  c.issuer = "https://writ.test";
  c.subject = "spiffe://t/agent/c";
  c.audience = "writ";
  c.token_id = "j3";
  c.issued_at = 100;
  c.not_before = 100;
  c.expires_at = 200;
  c.task_id = "task";
  c.transaction_id = "txn";
  c.user = {"alice", "https://idp"};
  c.scopes = {"read", "write"};
  c.depth = 2;
  c.actors = {"spiffe://t/agent/b", "spiffe://t/agent/a"};
  c.ancestors = {"j1", "j2"};
  return c;
}

TEST(ClaimsTest, RoundTripWithNestedActChain) {
  TokenClaims c = Delegated();
  auto text = EncodeClaims(c);
  ASSERT_TRUE(text.ok());
  json::object o = json::parse(*text).as_object();
  // RFC 8693 §4.1: the nearest prior actor is outermost.
  EXPECT_EQ(o["act"].at("sub").as_string(), "spiffe://t/agent/b");
  EXPECT_EQ(o["act"].at("act").at("sub").as_string(), "spiffe://t/agent/a");
  EXPECT_FALSE(o["act"].at("act").as_object().contains("act"));
  EXPECT_EQ(o["scope"].as_string(), "read write");
  auto back = DecodeClaims(*text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->actors, c.actors);
  EXPECT_EQ(back->ancestors, c.ancestors);
  EXPECT_EQ(back->parent_token_id(), "j2");
  EXPECT_EQ(back->user.issuer, "https://idp");
  EXPECT_EQ(back->scopes, c.scopes);
  EXPECT_EQ(back->depth, 2);
}

TEST(ClaimsTest, InconsistentOrMistypedClaimsAreRefused) {
  auto mutate = [](auto fn) {
    json::object o = json::parse(EncodeClaims(Delegated()).value()).as_object();
    fn(o);
    return DecodeClaims(json::serialize(o));
  };
  std::vector<std::function<void(json::object&)>> cases = {
      [](json::object& o) { o.erase("exp"); },
      [](json::object& o) { o["exp"] = "tomorrow"; },
      [](json::object& o) { o["depth"] = 3; },                  // depth vs chain
      [](json::object& o) { o["chain"] = json::array{"j1"}; },  // chain vs depth
      [](json::object& o) { o.erase("act"); },                  // actors vs depth
      [](json::object& o) { o["kind"] = "task"; },              // task with a chain
      [](json::object& o) { o["kind"] = "admin"; },
      [](json::object& o) { o["scope"] = "write read"; },  // not canonical
      [](json::object& o) { o["scope"] = "a  b"; },
      [](json::object& o) { o["usr"] = "alice"; },
      [](json::object& o) { o["jti"] = ""; },
      [](json::object& o) {
        o["act"] = json::object{{"sub", 5}};
      },
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto r = mutate(cases[i]);
    EXPECT_FALSE(r.ok()) << i;
    EXPECT_EQ(IdentityErrorOf(r.status()), IdentityError::kClaimsInvalid) << i;
  }
  EXPECT_FALSE(DecodeClaims("[1]").ok());
  EXPECT_FALSE(DecodeClaims("{").ok());
}

TEST(ClaimsTest, Scopes) {
  EXPECT_EQ(NormalizeScopes({"b", "a", "b"}).value(), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(NormalizeScopes({"a b"}).ok());
  EXPECT_FALSE(NormalizeScopes({""}).ok());
  EXPECT_FALSE(NormalizeScopes({"quo\"te"}).ok());
  EXPECT_EQ(ParseScopeString(" read  write ").value(), (std::vector<std::string>{"read", "write"}));
  EXPECT_TRUE(ScopesSubset({"a"}, {"a", "b"}));
  EXPECT_TRUE(ScopesSubset({}, {"a"}));
  EXPECT_FALSE(ScopesSubset({"a", "c"}, {"a", "b"}));
}

}  // namespace
}  // namespace writ::identity
