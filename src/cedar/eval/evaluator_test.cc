#include "cedar/eval/evaluator.h"

#include <gtest/gtest.h>

#include "cedar/json.h"

namespace cedar {
namespace {

// Evaluates `expr` for principal User::"alice", action Action::"view", resource Doc::"d1",
// with the entities below and `context_json`; returns the value in Cedar syntax or
// "error: <message>".
const char* kEntities = R"([
  {"uid": {"type": "User", "id": "alice"},
   "attrs": {"age": 30, "name": "Alice", "tags": ["a", "b"], "manager": {"__entity": {"type": "User", "id": "bob"}},
             "address": {"city": "Paris", "zip": {"code": "75001"}}},
   "parents": [{"type": "Group", "id": "eng"}],
   "tags": {"clearance": "secret", "level": 3}},
  {"uid": {"type": "User", "id": "bob"}, "attrs": {}, "parents": [{"type": "Group", "id": "mgmt"}]},
  {"uid": {"type": "Group", "id": "eng"}, "attrs": {}, "parents": [{"type": "Group", "id": "all"}]},
  {"uid": {"type": "Group", "id": "all"}, "attrs": {}, "parents": []},
  {"uid": {"type": "Action", "id": "view"}, "attrs": {}, "parents": [{"type": "Action", "id": "read"}]}
])";

std::string EvalExpr(std::string_view expr, std::string_view context_json = "{}") {
  auto ents = EntitiesFromJsonText(kEntities);
  EXPECT_TRUE(ents.ok()) << ents.error().message;
  Arena arena;
  auto ctx_json = ParseJsonText(context_json);
  EXPECT_TRUE(ctx_json.ok());
  auto ctx = ContextFromJson(*ctx_json, arena);
  EXPECT_TRUE(ctx.ok());
  Request req;
  req.principal = EntityUID::Make(arena, "User", "alice");
  req.action = EntityUID::Make(arena, "Action", "view");
  req.resource = EntityUID::Make(arena, "Doc", "d1");
  req.context = *ctx;
  auto e = ParseExpression(arena, expr);
  if (!e.ok()) return "parse error: " + e.error().message;
  Evaluator ev(*ents, req, arena);
  Value v;
  if (!ev.Eval(**e, v)) return "error: " + ev.error();
  return v.ToCedar();
}

TEST(EvaluatorTest, ConstantSetLiteralsAreFoldedOnce) {
  Arena arena;
  auto folded = ParseExpression(arena, R"([3, 1, 3, "a", ip("10.0.0.1"), [2, 2], User::"x"])");
  ASSERT_TRUE(folded.ok());
  ASSERT_TRUE((*folded)->folded);
  EXPECT_EQ((*folded)->lit.AsSet().items.size(), 6u);  // canonical: the second 3 dropped
  auto mixed = ParseExpression(arena, "[1, principal]");
  ASSERT_TRUE(mixed.ok());
  EXPECT_FALSE((*mixed)->folded);
  auto bad_ip = ParseExpression(arena, R"([ip("not an ip")])");
  ASSERT_TRUE(bad_ip.ok());
  EXPECT_FALSE((*bad_ip)->folded);  // the error is for evaluation to report
  // Folded and evaluated sets mean the same.
  EXPECT_EQ(EvalExpr("[3, 1, 3] == [1, 3]"), "true");
  EXPECT_EQ(EvalExpr("[1, principal] == [principal, 1, 1]"), "true");
  EXPECT_EQ(EvalExpr(R"([[2, 2], [1]] == [[1], [2]])"), "true");
  EXPECT_EQ(EvalExpr(R"(["x", "b"].containsAny(principal.tags))"), "true");
  EXPECT_EQ(EvalExpr(R"(principal.tags.containsAll(["b", "a", "a"]))"), "true");
  EXPECT_EQ(EvalExpr(R"(principal in [Group::"all", User::"nobody"])"), "true");
  EXPECT_EQ(EvalExpr(R"([ip("1.2.3.4"), ip("1.2.3.4")] == [ip("1.2.3.4")])"), "true");
  EXPECT_EQ(EvalExpr(R"([ip("not an ip")])").rfind("error: ", 0), 0u);
}

TEST(EvaluatorTest, Literals) {
  EXPECT_EQ(EvalExpr("1"), "1");
  EXPECT_EQ(EvalExpr("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(EvalExpr("\"a\\u{e9}\\x41\""),
            "\"a\xc3\xa9"
            "A\"");
  EXPECT_EQ(EvalExpr("[3, 1, 2, 1]"), "[1, 2, 3]");
  EXPECT_EQ(EvalExpr("{b: 1, \"a\": true}"), "{\"a\": true, \"b\": 1}");
  EXPECT_EQ(EvalExpr("User::\"x\""), "User::\"x\"");
}

TEST(EvaluatorTest, BooleanOperatorsShortCircuitAndCheckTypes) {
  EXPECT_EQ(EvalExpr("true && false"), "false");
  EXPECT_EQ(EvalExpr("false && (1 + \"a\")"), "false");
  EXPECT_EQ(EvalExpr("true || (1 + \"a\")"), "true");
  EXPECT_EQ(EvalExpr("1 && true"), "error: type error: expected bool, got long");
  EXPECT_EQ(EvalExpr("true && 1"), "error: type error: expected bool, got long");
  EXPECT_EQ(EvalExpr("false || \"x\""), "error: type error: expected bool, got string");
  EXPECT_EQ(EvalExpr("!true"), "false");
  EXPECT_EQ(EvalExpr("!1"), "error: type error: expected bool, got long");
  EXPECT_EQ(EvalExpr("if true then 1 else 1 + \"a\""), "1");
  EXPECT_EQ(EvalExpr("if 1 then 1 else 2"), "error: type error: expected bool, got long");
}

TEST(EvaluatorTest, EqualityIsStructuralAndNeverAnError) {
  EXPECT_EQ(EvalExpr("1 == \"1\""), "false");
  EXPECT_EQ(EvalExpr("[1, 2] == [2, 1, 1]"), "true");
  EXPECT_EQ(EvalExpr("{a: [1]} == {a: [1]}"), "true");
  EXPECT_EQ(EvalExpr("User::\"a\" != User::\"b\""), "true");
  EXPECT_EQ(EvalExpr("ip(\"10.0.0.1/24\") == ip(\"10.0.0.0/24\")"), "false");
  EXPECT_EQ(EvalExpr("decimal(\"1.0\") == decimal(\"1.0000\")"), "true");
  EXPECT_EQ(EvalExpr("decimal(\"1.0\") == 1"), "false");
}

TEST(EvaluatorTest, Comparisons) {
  EXPECT_EQ(EvalExpr("1 < 2"), "true");
  EXPECT_EQ(EvalExpr("2 <= 2"), "true");
  EXPECT_EQ(EvalExpr("3 > 2"), "true");
  EXPECT_EQ(EvalExpr("1 >= 2"), "false");
  EXPECT_EQ(EvalExpr("datetime(\"2024-01-01\") < datetime(\"2024-01-02\")"), "true");
  EXPECT_EQ(EvalExpr("duration(\"1h\") > duration(\"59m\")"), "true");
  EXPECT_EQ(EvalExpr("\"a\" < \"b\""), "error: type error: expected long, got string");
  EXPECT_EQ(EvalExpr("1 < \"b\""), "error: type error: expected long, got string");
  EXPECT_EQ(EvalExpr("datetime(\"2024-01-01\") < duration(\"1h\")"),
            "error: type error: expected long, got datetime");
}

TEST(EvaluatorTest, CheckedArithmetic) {
  EXPECT_EQ(EvalExpr("2 + 3 * 4 - 1"), "13");
  EXPECT_EQ(
      EvalExpr("9223372036854775807 + 1"),
      "error: integer overflow while attempting to add the values `9223372036854775807` and `1`");
  EXPECT_EQ(EvalExpr("-9223372036854775807 - 2"),
            "error: integer overflow while attempting to subtract the values "
            "`-9223372036854775807` and `2`");
  EXPECT_EQ(EvalExpr("4611686018427387904 * 2"),
            "error: integer overflow while attempting to multiply the values `4611686018427387904` "
            "and `2`");
  EXPECT_EQ(EvalExpr("-(-9223372036854775808)"),
            "error: integer overflow while attempting to negate the value `-9223372036854775808`");
  EXPECT_EQ(EvalExpr("--9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(EvalExpr("1 + true"), "error: type error: expected long, got bool");
}

TEST(EvaluatorTest, InIsTransitiveReflexiveAndChecksSets) {
  EXPECT_EQ(EvalExpr("principal in Group::\"all\""), "true");
  EXPECT_EQ(EvalExpr("principal in principal"), "true");
  EXPECT_EQ(EvalExpr("principal in Group::\"mgmt\""), "false");
  EXPECT_EQ(EvalExpr("principal in [Group::\"x\", Group::\"eng\"]"), "true");
  EXPECT_EQ(EvalExpr("principal in []"), "false");
  EXPECT_EQ(EvalExpr("User::\"ghost\" in User::\"ghost\""), "true");
  EXPECT_EQ(EvalExpr("User::\"ghost\" in Group::\"all\""), "false");
  EXPECT_EQ(EvalExpr("action in Action::\"read\""), "true");
  // Every element must be an entity, even after a match.
  EXPECT_EQ(EvalExpr("principal in [principal, 1]"),
            "error: type error: expected (entity of type `any_entity_type`), got long");
  EXPECT_EQ(EvalExpr("1 in principal"),
            "error: type error: expected (entity of type `any_entity_type`), got long");
  EXPECT_EQ(
      EvalExpr("principal in 1"),
      "error: type error: expected one of [set, (entity of type `any_entity_type`)], got long");
}

TEST(EvaluatorTest, HasAndAttributeAccess) {
  EXPECT_EQ(EvalExpr("principal has age"), "true");
  EXPECT_EQ(EvalExpr("principal has nope"), "false");
  EXPECT_EQ(EvalExpr("principal has address.zip.code"), "true");
  EXPECT_EQ(EvalExpr("principal has address.zip.nope"), "false");
  EXPECT_EQ(
      EvalExpr("principal has age.x"),
      "error: type error: expected one of [record, (entity of type `any_entity_type`)], got long");
  EXPECT_EQ(EvalExpr("resource has x"), "false");  // entity not in the store
  EXPECT_EQ(EvalExpr("principal[\"age\"]"), "30");
  EXPECT_EQ(EvalExpr("principal.address.zip.code"), "\"75001\"");
  EXPECT_EQ(EvalExpr("principal.manager has nothing"), "false");
  EXPECT_EQ(EvalExpr("principal.nope"),
            "error: `User::\"alice\"` does not have the attribute `nope`");
  EXPECT_EQ(EvalExpr("resource.x"), "error: entity `Doc::\"d1\"` does not exist");
  EXPECT_EQ(EvalExpr("{a: 1}.b"), "error: record does not have the attribute `b`");
  EXPECT_EQ(
      EvalExpr("1 has a"),
      "error: type error: expected one of [record, (entity of type `any_entity_type`)], got long");
  EXPECT_EQ(EvalExpr("context has \"key with space\"", R"({"key with space": 1})"), "true");
}

TEST(EvaluatorTest, Like) {
  EXPECT_EQ(EvalExpr("\"abcdef\" like \"a*f\""), "true");
  EXPECT_EQ(EvalExpr("\"abcdef\" like \"a*e\""), "false");
  EXPECT_EQ(EvalExpr("\"a*b\" like \"a\\*b\""), "true");
  EXPECT_EQ(EvalExpr("\"axb\" like \"a\\*b\""), "false");
  EXPECT_EQ(EvalExpr("\"\" like \"*\""), "true");
  EXPECT_EQ(EvalExpr("\"aaa\" like \"*a*a*a*\""), "true");
  EXPECT_EQ(EvalExpr("\"aa\" like \"*a*a*a*\""), "false");
  EXPECT_EQ(EvalExpr("\"h\xc3\xa9llo\" like \"h*llo\""), "true");
  EXPECT_EQ(EvalExpr("1 like \"*\""), "error: type error: expected string, got long");
}

TEST(EvaluatorTest, Is) {
  EXPECT_EQ(EvalExpr("principal is User"), "true");
  EXPECT_EQ(EvalExpr("principal is Group"), "false");
  EXPECT_EQ(EvalExpr("principal is User in Group::\"all\""), "true");
  EXPECT_EQ(EvalExpr("principal is Group in 1"), "false");  // `in` not evaluated
  EXPECT_EQ(
      EvalExpr("principal is User in 1"),
      "error: type error: expected one of [set, (entity of type `any_entity_type`)], got long");
  EXPECT_EQ(EvalExpr("1 is User"),
            "error: type error: expected (entity of type `any_entity_type`), got long");
}

TEST(EvaluatorTest, SetMethods) {
  EXPECT_EQ(EvalExpr("[1, 2].contains(2)"), "true");
  EXPECT_EQ(EvalExpr("[1, [2]].contains([2])"), "true");
  EXPECT_EQ(EvalExpr("[1, 2, 3].containsAll([3, 1])"), "true");
  EXPECT_EQ(EvalExpr("[1, 2].containsAll([3])"), "false");
  EXPECT_EQ(EvalExpr("[1, 2].containsAny([3, 2])"), "true");
  EXPECT_EQ(EvalExpr("[1, 2].containsAny([])"), "false");
  EXPECT_EQ(EvalExpr("[].containsAll([])"), "true");
  EXPECT_EQ(EvalExpr("[].isEmpty()"), "true");
  EXPECT_EQ(EvalExpr("principal.tags.isEmpty()"), "false");
  EXPECT_EQ(EvalExpr("1.contains(1)"), "error: type error: expected set, got long");
  EXPECT_EQ(EvalExpr("[1].containsAny(1)"), "error: type error: expected set, got long");
  EXPECT_EQ(EvalExpr("\"a\".isEmpty()"), "error: type error: expected set, got string");
}

TEST(EvaluatorTest, Tags) {
  EXPECT_EQ(EvalExpr("principal.hasTag(\"clearance\")"), "true");
  EXPECT_EQ(EvalExpr("principal.hasTag(\"nope\")"), "false");
  EXPECT_EQ(EvalExpr("principal.getTag(\"level\")"), "3");
  EXPECT_EQ(EvalExpr("principal.getTag(\"nope\")"),
            "error: `User::\"alice\"` does not have the tag `nope`");
  EXPECT_EQ(EvalExpr("resource.hasTag(\"x\")"), "false");
  EXPECT_EQ(EvalExpr("resource.getTag(\"x\")"), "error: entity `Doc::\"d1\"` does not exist");
  EXPECT_EQ(EvalExpr("principal.getTag(1)"), "error: type error: expected string, got long");
  EXPECT_EQ(EvalExpr("context.getTag(\"a\")"),
            "error: type error: expected (entity of type `any_entity_type`), got record");
}

TEST(EvaluatorTest, ExtensionFunctions) {
  EXPECT_EQ(EvalExpr("ip(\"10.1.2.3\").isInRange(ip(\"10.0.0.0/8\"))"), "true");
  EXPECT_EQ(EvalExpr("ip(\"::1\").isLoopback()"), "true");
  EXPECT_EQ(EvalExpr("ip(\"224.0.0.1\").isMulticast()"), "true");
  EXPECT_EQ(EvalExpr("ip(\"1.2.3.4\").isIpv4() && ip(\"::\").isIpv6()"), "true");
  EXPECT_EQ(EvalExpr("decimal(\"1.5\").lessThan(decimal(\"2\"))").substr(0, 6), "error:");
  EXPECT_EQ(EvalExpr("decimal(\"1.5\").greaterThanOrEqual(decimal(\"1.5\"))"), "true");
  EXPECT_EQ(
      EvalExpr("datetime(\"2024-01-01\").offset(duration(\"1d\")) == datetime(\"2024-01-02\")"),
      "true");
  EXPECT_EQ(
      EvalExpr(
          "datetime(\"2024-01-02\").durationSince(datetime(\"2024-01-01\")) == duration(\"24h\")"),
      "true");
  EXPECT_EQ(EvalExpr("datetime(\"2024-01-01T10:30:00Z\").toTime() == duration(\"10h30m\")"),
            "true");
  EXPECT_EQ(EvalExpr("datetime(\"2024-01-01T10:30:00Z\").toDate() == datetime(\"2024-01-01\")"),
            "true");
  EXPECT_EQ(EvalExpr("duration(\"-90m\").toHours()"), "-1");
  EXPECT_EQ(EvalExpr("duration(\"1d\").toMilliseconds()"), "86400000");
  // Runtime (not literal) arguments go through the same checks.
  EXPECT_EQ(EvalExpr("ip(context.addr).isLoopback()", R"({"addr": "127.0.0.1"})"), "true");
  EXPECT_EQ(EvalExpr("ip(context.addr)", R"({"addr": "300.0.0.1"})").substr(0, 6), "error:");
  EXPECT_EQ(EvalExpr("ip(1)"), "error: type error: expected string, got long");
  EXPECT_EQ(
      EvalExpr("ip(\"1.2.3.4\", \"x\")"),
      "error: wrong number of arguments provided to extension function `ip`: expected 1, got 2");
  EXPECT_EQ(EvalExpr("\"a\".isIpv4()"), "error: type error: expected ipaddr, got string");
  EXPECT_EQ(EvalExpr("decimal(\"1.0\").lessThan(1)"),
            "error: type error: expected decimal, got long");
}

TEST(EvaluatorTest, ExtensionValuesFromContextJson) {
  EXPECT_EQ(EvalExpr("context.ip.isLoopback()",
                     R"({"ip": {"__extn": {"fn": "ip", "arg": "127.0.0.1"}}})"),
            "true");
  EXPECT_EQ(EvalExpr("context.t == datetime(\"2024-01-02\")",
                     R"({"t": {"__extn": {"fn": "offset", "args": [
                        {"__extn": {"fn": "datetime", "arg": "2024-01-01"}},
                        {"__extn": {"fn": "duration", "arg": "1d"}}]}}})"),
            "true");
}

}  // namespace
}  // namespace cedar
