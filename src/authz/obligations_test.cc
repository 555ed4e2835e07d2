#include "authz/obligations.h"

#include <gtest/gtest.h>

namespace writ::authz {
namespace {

namespace json = boost::json;

ObligationSet SetOf(std::string_view text, const std::string& policy = "p") {
  auto parsed = ParseObligations(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  ObligationSet set;
  if (parsed.ok()) set.Add(*parsed, policy);
  return set;
}

std::string ParseError(std::string_view text) {
  auto parsed = ParseObligations(text);
  return parsed.ok() ? "ok" : parsed.status().message();
}

TEST(ObligationsTest, Grammar) {
  auto parsed = ParseObligations(
      "cap(input.limit, 100); drop(input.cc); pin(input.region, 'eu'); prefix(input.path, "
      "'/srv/'); oneof(input.to, ['a@x', \"b@x\"]); max_length(input.body, 10); "
      "redact(result.email); ttl(30s); scopes('read', 'write'); floor(input.n, -5); "
      "pin(input.\"x-y\".z, true);");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 11u);
  EXPECT_EQ((*parsed)[0].kind, ObligationKind::kCap);
  EXPECT_EQ((*parsed)[0].number, 100);
  EXPECT_EQ((*parsed)[4].values.size(), 2u);
  EXPECT_EQ((*parsed)[7].number, 30000);
  EXPECT_EQ((*parsed)[9].number, -5);
  EXPECT_EQ((*parsed)[10].path, (std::vector<std::string>{"x-y", "z"}));
  EXPECT_EQ((*parsed)[10].value, json::value(true));
}

TEST(ObligationsTest, GrammarErrors) {
  EXPECT_EQ(ParseError("cap(input.limit)"),
            "@narrow: expected `,` and a value after the path at character 16");
  EXPECT_EQ(ParseError("shrink(input.x)").substr(0, 36), "@narrow: unknown obligation `shrink`");
  EXPECT_EQ(ParseError("cap(limit, 3)"),
            "@narrow: a path starts with `input` or `result` at character 10");
  EXPECT_EQ(ParseError("redact(input.x)"),
            "@narrow: redact applies to `result.` paths at character 15");
  EXPECT_EQ(ParseError("cap(result.x, 1)"),
            "@narrow: `cap` applies to `input.` paths at character 13");
  EXPECT_EQ(ParseError("ttl(forever)"),
            "@narrow: ttl takes a positive duration such as 30s or 5m at character 12");
  EXPECT_EQ(ParseError("cap(input.x, 99999999999999999999)"),
            "@narrow: integer out of range at character 34");
  EXPECT_EQ(ParseError(""), "@narrow: no obligation given at character 1");
  EXPECT_EQ(ParseError("drop(input.x) drop(input.y)"),
            "@narrow: expected `;` between obligations at character 15");
}

TEST(ObligationsTest, NarrowsArguments) {
  ObligationSet set = SetOf(
      "cap(input.limit, 100); drop(input.cc); pin(input.region, 'eu'); max_length(input.note, 3)");
  json::object in =
      json::parse(R"({"limit": 500, "cc": "4111", "note": "héllo", "q": "x"})").as_object();
  NarrowingResult r = ApplyToInput(set, in);
  ASSERT_TRUE(r.satisfiable) << r.violation;
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(json::value(r.input),
            json::parse(R"({"limit":100,"note":"hél","q":"x","region":"eu"})"));
  // Already within bounds: nothing changes, absent capped arguments are not invented.
  NarrowingResult same =
      ApplyToInput(SetOf("cap(input.limit, 100)"), json::parse(R"({"x": 1})").as_object());
  EXPECT_FALSE(same.changed);
  EXPECT_EQ(json::serialize(same.input), R"({"x":1})");
}

TEST(ObligationsTest, ChecksThatCannotBeNarrowedDeny) {
  ObligationSet set = SetOf("prefix(input.path, '/srv/team/'); oneof(input.to, ['ops@acme'])");
  EXPECT_TRUE(
      ApplyToInput(set, json::parse(R"({"path": "/srv/team/a", "to": "ops@acme"})").as_object())
          .satisfiable);
  NarrowingResult bad =
      ApplyToInput(set, json::parse(R"({"path": "/etc/passwd", "to": "ops@acme"})").as_object());
  EXPECT_FALSE(bad.satisfiable);
  EXPECT_EQ(bad.violation,
            "prefix(input.path) of policy `p`: the argument must start with '/srv/team/'");
  NarrowingResult missing =
      ApplyToInput(set, json::parse(R"({"path": "/srv/team/a"})").as_object());
  EXPECT_EQ(missing.violation, "oneof(input.to) of policy `p`: the argument is missing");
  NarrowingResult wrong_type =
      ApplyToInput(SetOf("cap(input.n, 1)"), json::parse(R"({"n": "7"})").as_object());
  EXPECT_EQ(wrong_type.violation, "cap(input.n) of policy `p`: the argument is not an integer");
}

TEST(ObligationsTest, MostRestrictiveWins) {
  ObligationSet set;
  set.Add(*ParseObligations("cap(input.n, 100); ttl(5m); scopes('a', 'b', 'c')"), "p1");
  set.Add(*ParseObligations("cap(input.n, 10); ttl(30s); scopes('b', 'c', 'd')"), "p2");
  EXPECT_EQ(*set.ttl_ms, 30000);
  EXPECT_EQ(*set.scopes, (std::vector<std::string>{"b", "c"}));
  NarrowingResult r = ApplyToInput(set, json::parse(R"({"n": 50})").as_object());
  EXPECT_EQ(json::serialize(r.input), R"({"n":10})");
  ObligationSet conflict;
  conflict.Add(*ParseObligations("pin(input.region, 'eu')"), "p1");
  conflict.Add(*ParseObligations("pin(input.region, 'us')"), "p2");
  NarrowingResult c = ApplyToInput(conflict, json::object{});
  EXPECT_FALSE(c.satisfiable);
  EXPECT_EQ(c.violation,
            "pin(input.region) of policy `p2`: conflicts with pin(input.region) of policy `p1`");
}

TEST(ObligationsTest, RedactsResultsThroughArrays) {
  ObligationSet set = SetOf("redact(result.email); redact(result.card.number)");
  json::value result = json::parse(
      R"({"rows": 1, "email": "a@x", "card": {"number": "4111", "exp": "12/30"}, "list": [{"email": "b@x"}]})");
  EXPECT_EQ(ApplyRedactions(set, result), 2u);
  EXPECT_EQ(result.at("email"), "[REDACTED]");
  EXPECT_EQ(result.at("card").at("number"), "[REDACTED]");
  EXPECT_EQ(result.at("card").at("exp"), "12/30");
  json::value array_result = json::parse(R"([{"email": "a"}, {"email": "b"}, {"x": 1}])");
  EXPECT_EQ(ApplyRedactions(set, array_result), 2u);
}

}  // namespace
}  // namespace writ::authz
