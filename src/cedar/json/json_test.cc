#include "cedar/json.h"

#include <gtest/gtest.h>

namespace cedar {
namespace {

std::string EntitiesError(std::string_view text) {
  auto r = EntitiesFromJsonText(text);
  return r.ok() ? "ok" : r.error().message;
}

std::string ValueOf(std::string_view json_text) {
  auto j = ParseJsonText(json_text);
  if (!j.ok()) return "error: " + j.error().message;
  Arena arena;
  auto v = ValueFromJson(*j, arena);
  if (!v.ok()) return "error: " + v.error().message;
  return v->ToCedar();
}

TEST(JsonTest, ValuesWithoutSchema) {
  EXPECT_EQ(ValueOf("true"), "true");
  EXPECT_EQ(ValueOf("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(ValueOf("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(ValueOf("[2, 1, 2]"), "[1, 2]");
  EXPECT_EQ(ValueOf(R"({"__entity": {"type": "Ns::User", "id": "a"}})"), "Ns::User::\"a\"");
  // Without a schema, the implicit form is an ordinary record.
  EXPECT_EQ(ValueOf(R"({"type": "User", "id": "a"})"), "{\"id\": \"a\", \"type\": \"User\"}");
  EXPECT_EQ(ValueOf(R"({"__extn": {"fn": "ip", "arg": "10.0.0.1"}})"), "ip(\"10.0.0.1\")");
  EXPECT_EQ(ValueOf(R"({"__extn": {"fn": "decimal", "args": ["1.5"]}})"), "decimal(\"1.5\")");
  EXPECT_EQ(ValueOf(R"({"__extn": {"fn": "duration", "arg": "1h"}})"), "duration(\"1h\")");
}

TEST(JsonTest, InvalidValues) {
  EXPECT_EQ(ValueOf("9223372036854775808"),
            "error: integer 9223372036854775808 is outside the range of a 64-bit signed integer");
  EXPECT_EQ(ValueOf("1.5"),
            "error: number 1.5E0 is not an integer; Cedar has no floating-point numbers");
  EXPECT_EQ(ValueOf("1e3").substr(0, 13), "error: number");
  EXPECT_EQ(ValueOf("null"), "error: `null` is not a Cedar value");
  EXPECT_EQ(ValueOf(R"({"a": 1, "a": 2})"), "error: duplicate key `a` in JSON object");
  EXPECT_EQ(ValueOf(R"({"__extn": {"fn": "nope", "arg": "x"}})"),
            "error: unknown extension function `nope`");
  EXPECT_EQ(ValueOf(R"({"__extn": {"fn": "ip", "arg": "x", "args": ["y"]}})").substr(0, 40),
            "error: an extension value needs a string");
  EXPECT_EQ(ValueOf(R"({"__entity": {"type": "User "}})").substr(0, 52),
            "error: expected an entity reference with exactly the");
  EXPECT_EQ(ValueOf(R"({"__entity": {"type": "User ", "id": "a"}})").substr(0, 30),
            "error: invalid entity type `Us");
  EXPECT_EQ(ValueOf("[1,"), "error: malformed JSON: incomplete JSON");
  std::string deep(200, '[');
  EXPECT_EQ(ValueOf(deep + std::string(200, ']')).substr(0, 22), "error: malformed JSON:");
}

TEST(JsonTest, EntitiesForms) {
  auto r = EntitiesFromJsonText(R"([
    {"uid": {"__entity": {"type": "User", "id": "a"}}, "attrs": {"n": 1},
     "parents": [{"type": "Group", "id": "g"}, {"__entity": {"type": "Group", "id": "h"}}],
     "tags": {"t": "v"}},
    {"uid": {"type": "Group", "id": "g"}, "parents": [{"type": "Group", "id": "top"}]},
    {"uid": {"type": "Group", "id": "top"}}
  ])");
  ASSERT_TRUE(r.ok()) << r.error().message;
  Arena arena;
  const EntityUID* a = EntityUID::Make(arena, "User", "a");
  const EntityUID* top = EntityUID::Make(arena, "Group", "top");
  const EntityUID* h = EntityUID::Make(arena, "Group", "h");
  EXPECT_TRUE(r->IsIn(*a, *top));  // transitive
  EXPECT_TRUE(r->IsIn(*a, *h));    // parent not in the data
  EXPECT_FALSE(r->IsIn(*top, *a));
  EXPECT_EQ(r->Find(*a)->tags->Find("t")->AsString(), "v");
}

TEST(JsonTest, EntitiesErrors) {
  EXPECT_EQ(
      EntitiesError(R"([{"uid": {"type": "U", "id": "a"}}, {"uid": {"type": "U", "id": "a"}}])"),
      "duplicate entity entry `U::\"a\"`");
  EXPECT_EQ(
      EntitiesError(R"([{"uid": {"type": "U", "id": "a"}, "parents": [{"type": "U", "id": "b"}]},
                              {"uid": {"type": "U", "id": "b"}, "parents": [{"type": "U", "id": "a"}]}])")
          .substr(0, 37),
      "the entity hierarchy has a cycle cont");
  EXPECT_EQ(EntitiesError(R"([{"uid": {"type": "U", "id": "a"}, "extra": 1}])"),
            "unknown field `extra` in an entity; expected `uid`, `attrs`, `parents` and `tags`");
  EXPECT_EQ(EntitiesError(R"({"uid": 1})"),
            "entity data must be a JSON array of entities, found an object");
  EXPECT_EQ(EntitiesError(R"([{"uid": {"type": "U", "id": "a"}, "attrs": {"x": 1.5}}])"),
            "in attribute `x` of `U::\"a\"`: number 1.5E0 is not an integer; Cedar has no "
            "floating-point numbers");
}

TEST(JsonTest, RequestAndContext) {
  auto j = ParseJsonText(
      R"({"principal": {"type": "U", "id": "a"}, "action": {"type": "Action", "id": "v"},
                            "resource": {"__entity": {"type": "R", "id": "r"}}, "context": {"k": [1]}})");
  ASSERT_TRUE(j.ok());
  auto r = RequestFromJson(*j);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->request.principal->ToString(), "U::\"a\"");
  EXPECT_EQ(r->request.resource->ToString(), "R::\"r\"");
  EXPECT_EQ(r->request.context.ToCedar(), "{\"k\": [1]}");
  auto bad = ParseJsonText(
      R"({"principal": {"type": "U", "id": "a"}, "action": {"type": "Action", "id": "v"},
                              "resource": {"type": "R", "id": "r"}, "context": [1]})");
  EXPECT_EQ(RequestFromJson(*bad).error().message,
            "the context must be a JSON object, found an array");
}

TEST(JsonTest, PolicyJsonRoundTrip) {
  const char* text =
      R"(@id("x") @flag forbid(principal is U in G::"g", action in [Action::"a", Action::"b"], resource == ?resource)
    when { if context.a > -3 then !(principal.x like "a*\*b") else [1, {k: ip("1.2.3.4")}].contains(decimal("1.5")) }
    unless { principal has a.b && context["q"].getTag("t") != datetime("2024-01-01").offset(duration("1h")) && principal is T in [G::"x"] };)";
  auto ast = ParsePolicy(text);
  ASSERT_TRUE(ast.ok()) << ast.error().ToString();
  boost::json::value j = PolicyToJson(**ast);
  auto back = PolicyFromJson(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(boost::json::serialize(PolicyToJson(**back)), boost::json::serialize(j));
  EXPECT_EQ(j.at("annotations").at("flag"), nullptr);
  EXPECT_EQ(j.at("resource").at("slot"), "?resource");
}

TEST(JsonTest, PolicyJsonErrors) {
  auto bad = [](std::string_view text) {
    auto j = ParseJsonText(text);
    EXPECT_TRUE(j.ok());
    auto r = PolicyFromJson(*j);
    return r.ok() ? std::string("ok") : r.error().message;
  };
  EXPECT_EQ(
      bad(R"({"effect": "allow", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"}})"),
      "policy JSON: `effect` must be \"permit\" or \"forbid\"");
  EXPECT_EQ(
      bad(R"({"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"},
                    "conditions": [{"kind": "when", "body": {"nope": 1}}]})"),
      "policy JSON: unknown expression `nope`");
  EXPECT_EQ(bad(R"({"effect": "permit", "principal": {"op": "All"}, "action": {"op": "All"}})"),
            "policy JSON: missing field `resource`");
}

}  // namespace
}  // namespace cedar
