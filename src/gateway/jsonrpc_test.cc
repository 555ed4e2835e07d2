#include "gateway/jsonrpc.h"

#include <gtest/gtest.h>

namespace writ::gateway {
namespace {

namespace json = boost::json;

TEST(JsonRpcTest, ClassifiesRequestsNotificationsAndResponses) {
  auto r = ParseMessage(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, MessageKind::kRequest);
  EXPECT_EQ(r->id, json::value(7));
  EXPECT_EQ(r->method, "tools/call");
  EXPECT_TRUE(r->params.is_object());

  auto n = ParseMessage(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, MessageKind::kNotification);
  EXPECT_TRUE(n->params.is_null());

  auto s = ParseMessage(R"({"jsonrpc":"2.0","id":"a","result":{}})");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, MessageKind::kResponse);
  EXPECT_EQ(s->id, json::value("a"));
}

TEST(JsonRpcTest, RefusesWhatIsNotJsonRpc) {
  auto expect_bad = [](std::string_view text, std::string_view prefix) {
    auto r = ParseMessage(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_TRUE(r.status().message().starts_with(prefix)) << r.status().message();
  };
  expect_bad("{", "parse error");
  expect_bad("", "parse error");
  expect_bad("[]", "invalid request: batches");
  expect_bad("3", "invalid request");
  expect_bad(R"({"id":1,"method":"x"})", "invalid request: `jsonrpc`");
  expect_bad(R"({"jsonrpc":"1.0","id":1,"method":"x"})", "invalid request: `jsonrpc`");
  expect_bad(R"({"jsonrpc":"2.0","id":1.5,"method":"x"})", "invalid request: `id`");
  expect_bad(R"({"jsonrpc":"2.0","id":{},"method":"x"})", "invalid request: `id`");
  expect_bad(R"({"jsonrpc":"2.0","id":1,"method":""})", "invalid request: `method`");
  expect_bad(R"({"jsonrpc":"2.0","id":1,"method":"x","params":3})", "invalid request: `params`");
  expect_bad(R"({"jsonrpc":"2.0"})", "invalid request: neither");
  expect_bad(R"({"jsonrpc":"2.0","id":1})", "invalid request: a response");
}

TEST(JsonRpcTest, BoundsNesting) {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  std::string text = R"({"jsonrpc":"2.0","id":1,"method":"x","params":{"a":)" + deep + "}}";
  EXPECT_FALSE(ParseMessage(text, 64).ok());
  EXPECT_TRUE(ParseMessage(text, 512).ok());
}

TEST(JsonRpcTest, BuildsAnswers) {
  EXPECT_EQ(json::serialize(ResultMessage(1, json::object{{"a", 1}})),
            R"({"jsonrpc":"2.0","id":1,"result":{"a":1}})");
  EXPECT_EQ(
      json::serialize(ErrorMessage("x", kDenied, "no", json::object{{"decision_id", "d"}})),
      R"({"jsonrpc":"2.0","id":"x","error":{"code":-32001,"message":"no","data":{"decision_id":"d"}}})");
  EXPECT_EQ(json::serialize(ErrorMessage(nullptr, kParseError, "bad")),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}})");
  EXPECT_EQ(json::serialize(NotificationMessage("notifications/initialized", nullptr)),
            R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_EQ(json::serialize(RequestMessage(2, "ping", nullptr)),
            R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
}

TEST(JsonRpcTest, ProgressTokensAreSwappedOutAndBack) {
  json::value params = json::parse(R"({"name":"t","_meta":{"progressToken":"client-1","x":1}})");
  json::value client = SwapProgressToken(params, 42);
  EXPECT_EQ(client, json::value("client-1"));
  EXPECT_EQ(params, json::parse(R"({"name":"t","_meta":{"progressToken":42,"x":1}})"));
  // Nothing to swap: unchanged, null returned.
  json::value none = json::parse(R"({"name":"t","_meta":{}})");
  EXPECT_TRUE(SwapProgressToken(none, 42).is_null());
  EXPECT_EQ(none, json::parse(R"({"name":"t","_meta":{}})"));
  json::value not_object = json::parse("[1]");
  EXPECT_TRUE(SwapProgressToken(not_object, 42).is_null());

  json::object progress =
      json::parse(
          R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":42,"progress":1}})")
          .as_object();
  EXPECT_EQ(ProgressToken(progress), json::value(42));
  EXPECT_EQ(WithProgressToken(progress, client),
            json::parse(R"({"jsonrpc":"2.0","method":"notifications/progress",)"
                        R"("params":{"progressToken":"client-1","progress":1}})"));
  json::object other =
      json::parse(
          R"({"jsonrpc":"2.0","method":"notifications/message","params":{"progressToken":42}})")
          .as_object();
  EXPECT_TRUE(ProgressToken(other).is_null());
}

}  // namespace
}  // namespace writ::gateway
