#include "server/router.h"

#include <gtest/gtest.h>

namespace writ::server {
namespace {

Handler Named(std::string* hit, std::string name) {
  return [hit, name](const Request&, Responder r) {
    *hit = name;
    r.Send(Response::Text(200, name));
  };
}

TEST(RouterTest, LiteralBeatsParameterWhateverTheOrderOfRegistration) {
  Router router;
  std::string hit;
  ASSERT_TRUE(router.Handle("GET", "/v1/items/{id}", Named(&hit, "param"), Access::Public()).ok());
  ASSERT_TRUE(
      router.Handle("GET", "/v1/items/latest", Named(&hit, "literal"), Access::Public()).ok());
  std::vector<RawParam> params;
  RouteMatch m = router.Match("GET", "/v1/items/latest", &params);
  ASSERT_EQ(m.outcome, MatchOutcome::kFound);
  EXPECT_EQ(m.route->pattern, "/v1/items/latest");
  EXPECT_TRUE(params.empty());

  m = router.Match("GET", "/v1/items/42", &params);
  ASSERT_EQ(m.outcome, MatchOutcome::kFound);
  EXPECT_EQ(m.route->pattern, "/v1/items/{id}");
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].first, "id");
  EXPECT_EQ(params[0].second, "42");
}

TEST(RouterTest, ParametersMatchOneNonEmptySegmentEach) {
  Router router;
  std::string hit;
  ASSERT_TRUE(router.Handle("GET", "/a/{x}/b/{y}", Named(&hit, "ab"), Access::Public()).ok());
  std::vector<RawParam> params;
  RouteMatch m = router.Match("GET", "/a/1/b/two%20words", &params);
  ASSERT_EQ(m.outcome, MatchOutcome::kFound);
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].second, "1");
  EXPECT_EQ(params[1].second, "two%20words");  // raw: the server decodes
  EXPECT_EQ(router.Match("GET", "/a//b/2", &params).outcome, MatchOutcome::kNotFound);
  EXPECT_EQ(router.Match("GET", "/a/1/b", &params).outcome, MatchOutcome::kNotFound);
  EXPECT_EQ(router.Match("GET", "/a/1/b/2/c", &params).outcome, MatchOutcome::kNotFound);
  EXPECT_EQ(router.Match("GET", "/a/1/b/2/", &params).outcome, MatchOutcome::kNotFound);
}

TEST(RouterTest, RootAndTrailingSlashAreDistinct) {
  Router router;
  std::string hit;
  ASSERT_TRUE(router.Handle("GET", "/", Named(&hit, "root"), Access::Public()).ok());
  ASSERT_TRUE(router.Handle("GET", "/x", Named(&hit, "x"), Access::Public()).ok());
  EXPECT_EQ(router.Match("GET", "/", nullptr).route->pattern, "/");
  EXPECT_EQ(router.Match("GET", "/x", nullptr).route->pattern, "/x");
  EXPECT_EQ(router.Match("GET", "/x/", nullptr).outcome, MatchOutcome::kNotFound);
  EXPECT_EQ(router.Match("GET", "", nullptr).outcome, MatchOutcome::kNotFound);
}

TEST(RouterTest, OtherMethodIs405WithAllowListAndHeadUsesGet) {
  Router router;
  std::string hit;
  ASSERT_TRUE(router.Handle("GET", "/v1/keys", Named(&hit, "list"), Access::Public()).ok());
  ASSERT_TRUE(router.Handle("POST", "/v1/keys", Named(&hit, "create"), Access::Public()).ok());
  ASSERT_TRUE(router.Handle("DELETE", "/v1/keys/{id}", Named(&hit, "del"), Access::Public()).ok());
  RouteMatch m = router.Match("PUT", "/v1/keys", nullptr);
  EXPECT_EQ(m.outcome, MatchOutcome::kMethodNotAllowed);
  EXPECT_EQ(m.allowed_methods, "GET, HEAD, POST");
  m = router.Match("GET", "/v1/keys/abc", nullptr);
  EXPECT_EQ(m.outcome, MatchOutcome::kMethodNotAllowed);
  EXPECT_EQ(m.allowed_methods, "DELETE");
  m = router.Match("HEAD", "/v1/keys", nullptr);
  ASSERT_EQ(m.outcome, MatchOutcome::kFound);
  EXPECT_EQ(m.route->method, "GET");
  EXPECT_EQ(router.Match("HEAD", "/v1/keys/abc", nullptr).outcome, MatchOutcome::kMethodNotAllowed);
}

TEST(RouterTest, FallsBackToLessSpecificRouteOfTheRightMethod) {
  Router router;
  std::string hit;
  ASSERT_TRUE(router.Handle("POST", "/v1/items/special", Named(&hit, "s"), Access::Public()).ok());
  ASSERT_TRUE(router.Handle("GET", "/v1/items/{id}", Named(&hit, "g"), Access::Public()).ok());
  RouteMatch m = router.Match("GET", "/v1/items/special", nullptr);
  ASSERT_EQ(m.outcome, MatchOutcome::kFound);
  EXPECT_EQ(m.route->pattern, "/v1/items/{id}");
}

TEST(RouterTest, RefusesMalformedPatternsAndOverlaps) {
  Router router;
  auto h = [](const Request&, Responder r) { r.Send(Response::Text(200, "")); };
  EXPECT_EQ(router.Handle("GET", "v1", h, Access::Public()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Handle("GET", "/a//b", h, Access::Public()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Handle("GET", "/a/", h, Access::Public()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Handle("GET", "/a/{}", h, Access::Public()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Handle("GET", "/a/x{id}", h, Access::Public()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Handle("GET", "/a/{id}/{id}", h, Access::Public()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Handle("G T", "/a", h, Access::Public()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Handle("GET", "/a", Handler(), Access::Public()).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(router.Handle("GET", "/a/{id}", h, Access::Public()).ok());
  EXPECT_EQ(router.Handle("GET", "/a/{other}", h, Access::Public()).code(),
            StatusCode::kAlreadyExists);
  EXPECT_TRUE(router.Handle("POST", "/a/{other}", h, Access::Public()).ok());
  EXPECT_EQ(router.size(), 2u);
  router.Freeze();
  EXPECT_EQ(router.Handle("GET", "/b", h, Access::Public()).code(),
            StatusCode::kFailedPrecondition);
}

TEST(RouterTest, RoutesKeepRegistrationIndexAndLabel) {
  Router router;
  std::string hit;
  ASSERT_TRUE(router
                  .Handle("GET", "/z/{id}", Named(&hit, "z"), Access::AtLeast(Role::kAdmin),
                          RouteOptions{std::chrono::milliseconds(5), 10})
                  .ok());
  ASSERT_TRUE(router.Handle("GET", "/a", Named(&hit, "a"), Access::Public()).ok());
  EXPECT_EQ(router.route(0).label, "GET /z/{id}");
  EXPECT_EQ(router.route(1).index, 1u);
  const Route* z = router.Match("GET", "/z/1", nullptr).route;
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->index, 0u);
  EXPECT_EQ(z->options.timeout.count(), 5);
  EXPECT_EQ(z->options.max_body_bytes, 10u);
  ASSERT_TRUE(z->access.min_role.has_value());
  EXPECT_EQ(*z->access.min_role, Role::kAdmin);
  Request req;
  z->handler(req, Responder::ForCallback([](Response) {}));
  EXPECT_EQ(hit, "z");
}

}  // namespace
}  // namespace writ::server
