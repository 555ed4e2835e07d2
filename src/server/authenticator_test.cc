#include "server/authenticator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/sqlite_store.h"

namespace writ::server {
namespace {

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-server-auth-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store::SqliteOptions o;
    o.data_dir = dir_.string();
    auto s = store::OpenSqliteStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    for (Role role : {Role::kViewer, Role::kApprover, Role::kAdmin}) {
      auto k = CreateApiKey(store_->api_keys(), std::string(RoleName(role)), role, clock_);
      ASSERT_TRUE(k.ok());
      keys_[static_cast<int>(role)] = k->key;
    }
    api_keys_ = std::make_unique<ApiKeyAuthenticator>(store_->api_keys());
    auth_ = std::make_unique<Authenticator>(api_keys_.get());
  }
  void TearDown() override {
    auth_.reset();
    api_keys_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string Bearer(Role role) { return "Bearer " + keys_[static_cast<int>(role)]; }
  std::string Code(std::string_view authorization, const Access& access) {
    auto r = auth_->Authenticate(authorization, access);
    return r.ok() ? "ok" : std::to_string(r.error().status) + " " + r.error().code;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{1};
  std::string keys_[4];
  std::unique_ptr<ApiKeyAuthenticator> api_keys_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(AuthenticatorTest, RolesIncludeTheOnesBelow) {
  const Role roles[] = {Role::kViewer, Role::kApprover, Role::kAdmin};
  for (Role held : roles) {
    for (Role required : roles) {
      std::string expected = RoleIncludes(held, required) ? "ok" : "403 insufficient_role";
      EXPECT_EQ(Code(Bearer(held), Access::AtLeast(required)), expected)
          << RoleName(held) << " on " << RoleName(required);
    }
  }
  EXPECT_TRUE(RoleIncludes(Role::kAdmin, Role::kViewer));
  EXPECT_FALSE(RoleIncludes(Role::kViewer, Role::kApprover));
}

TEST_F(AuthenticatorTest, PublicRoutesNeedNothing) {
  auto r = auth_->Authenticate("", Access::Public());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, CallerKind::kAnonymous);
  EXPECT_EQ(Code("garbage", Access::Public()), "ok");
}

TEST_F(AuthenticatorTest, MissingOrMalformedCredentials) {
  Access viewer = Access::AtLeast(Role::kViewer);
  EXPECT_EQ(Code("", viewer), "401 unauthenticated");
  EXPECT_EQ(Code("Basic dXNlcjpwYXNz", viewer), "401 invalid_authorization");
  EXPECT_EQ(Code("Bearer", viewer), "401 invalid_authorization");
  EXPECT_EQ(Code("Bearer    ", viewer), "401 invalid_authorization");
  EXPECT_EQ(Code("Bearerwk_x", viewer), "401 invalid_authorization");
  EXPECT_EQ(Code("Bearer wk_not_a_key", viewer), "401 invalid_api_key");
  // The scheme is case-insensitive and may be followed by several spaces.
  EXPECT_EQ(Code("bEaReR   " + keys_[static_cast<int>(Role::kViewer)], viewer), "ok");
}

TEST_F(AuthenticatorTest, TokensAndKeysGoWhereTheRouteTakesThem) {
  EXPECT_EQ(Code("Bearer eyJhbGciOi.x.y", Access::AtLeast(Role::kViewer)), "401 api_key_required");
  EXPECT_EQ(Code(Bearer(Role::kAdmin), Access::Agents()), "401 bearer_token_required");
  EXPECT_EQ(Code("Bearer eyJhbGciOi.x.y", Access::Agents()), "401 bearer_tokens_unsupported");
  EXPECT_EQ(Code(Bearer(Role::kViewer), Access::AgentsOr(Role::kViewer)), "ok");
}

TEST_F(AuthenticatorTest, BearerVerifierDecidesForAgents) {
  std::string seen;
  auth_->SetBearerVerifier([&](std::string_view token) -> Result<Caller> {
    seen = token;
    if (token == "good") {
      Caller c;
      c.id = "spiffe://writ.example/agent/triage";
      c.name = "jti-1";
      c.credential = std::string("claims");
      return c;
    }
    if (token == "down") return Unavailable("jwks: cannot fetch");
    if (token == "plain") return InvalidArgument("not a token at all");
    return Status(StatusCode::kPermissionDenied, "token_expired: the token expired");
  });
  auto r = auth_->Authenticate("Bearer good", Access::Agents());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(seen, "good");
  EXPECT_EQ(r->kind, CallerKind::kAgent);
  EXPECT_EQ(r->id, "spiffe://writ.example/agent/triage");
  EXPECT_EQ(*std::any_cast<std::string>(&r->credential), "claims");
  EXPECT_EQ(Code("Bearer old", Access::Agents()), "401 token_expired");
  EXPECT_EQ(Code("Bearer plain", Access::Agents()), "401 invalid_token");
  EXPECT_EQ(Code("Bearer down", Access::Agents()), "503 unavailable");
}

}  // namespace
}  // namespace writ::server
