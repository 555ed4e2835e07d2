// Schema-based parsing of entities, context and requests.
#include <gtest/gtest.h>

#include "cedar/json.h"

namespace cedar {
namespace {

const char* kSchema = R"(
  entity Group;
  entity User in [Group] = { name: String, age?: Long, boss?: User, home: ipaddr, tags: Set<String> };
  entity Doc = { owner: User, level: decimal } tags String;
  entity Color enum ["red", "green"];
  action read;
  action write in [read];
  action view in [write] appliesTo {
    principal: [User], resource: [Doc],
    context: { ip: ipaddr, at: datetime, who?: User, n: Long }
  };
  action paint appliesTo { principal: [User], resource: [Color] };
)";

Schema LoadSchema() {
  auto s = Schema::FromCedar(kSchema);
  EXPECT_TRUE(s.ok()) << s.error().ToString();
  return std::move(s).value();
}

std::string Entities(std::string_view text) {
  Schema schema = LoadSchema();
  auto r = EntitiesFromJsonText(text, &schema);
  return r.ok() ? "ok" : r.error().message;
}

TEST(SchemaJsonTest, ImplicitFormsAreTypedBySchema) {
  Schema schema = LoadSchema();
  auto r = EntitiesFromJsonText(R"([
    {"uid": {"type": "User", "id": "a"}, "parents": [{"type": "Group", "id": "g"}],
     "attrs": {"name": "A", "boss": {"type": "User", "id": "b"}, "home": "10.0.0.1", "tags": []}},
    {"uid": {"type": "Doc", "id": "d"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "a"}},
     "level": {"fn": "decimal", "arg": "1.5"}}, "tags": {"t": "x"}}
  ])",
                                &schema);
  ASSERT_TRUE(r.ok()) << r.error().message;
  Arena arena;
  const Entity* a = r->Find(*EntityUID::Make(arena, "User", "a"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->attrs->Find("home")->ToCedar(), "ip(\"10.0.0.1\")");
  EXPECT_EQ(a->attrs->Find("boss")->ToCedar(), "User::\"b\"");
  const Entity* d = r->Find(*EntityUID::Make(arena, "Doc", "d"));
  EXPECT_EQ(d->attrs->Find("level")->ToCedar(), "decimal(\"1.5\")");
  // The schema's actions and their hierarchy are part of the data.
  EXPECT_TRUE(r->IsIn(*EntityUID::Make(arena, "Action", "view"),
                      *EntityUID::Make(arena, "Action", "read")));
}

TEST(SchemaJsonTest, EntitiesAreCheckedAgainstTheSchema) {
  EXPECT_EQ(Entities(R"([{"uid": {"type": "Nope", "id": "a"}}])"),
            "entity `Nope::\"a\"` has type `Nope`, which is not declared in the schema");
  EXPECT_EQ(
      Entities(
          R"([{"uid": {"type": "User", "id": "a"}, "attrs": {"home": "10.0.0.1", "tags": []}}])"),
      "in the attrs of `User::\"a\"`: expected the required attribute `name` to be present");
  EXPECT_EQ(
      Entities(
          R"([{"uid": {"type": "User", "id": "a"}, "attrs": {"name": 1, "home": "10.0.0.1", "tags": []}}])"),
      "in the attrs of `User::\"a\"`: in attribute `name`: type mismatch: value was expected to "
      "have type String, found an integer");
  EXPECT_EQ(
      Entities(
          R"([{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "home": "10.0.0.1", "tags": [], "x": 1}}])"),
      "in the attrs of `User::\"a\"`: attribute `x` is not declared in the schema");
  EXPECT_EQ(
      Entities(
          R"([{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "home": "10.0.0.1", "tags": [],
                          "boss": {"type": "Group", "id": "g"}}}])"),
      "in the attrs of `User::\"a\"`: in attribute `boss`: type mismatch: value was expected "
      "to have type User, found an entity of type Group");
  EXPECT_EQ(
      Entities(
          R"([{"uid": {"type": "User", "id": "a"}, "attrs": {"name": "A", "home": "not an ip", "tags": []}}])")
          .substr(0, 60),
      "in the attrs of `User::\"a\"`: in attribute `home`: error whil");
  EXPECT_EQ(
      Entities(
          R"([{"uid": {"type": "Group", "id": "g"}, "parents": [{"type": "User", "id": "a"}]}])"),
      "entity `Group::\"g\"` is not allowed to have an ancestor of type `User` according to the "
      "schema");
  EXPECT_EQ(Entities(R"([{"uid": {"type": "Group", "id": "g"}, "tags": {"t": "x"}}])"),
            "entity `Group::\"g\"` has tags, but its type does not allow tags");
  EXPECT_EQ(Entities(R"([{"uid": {"type": "Color", "id": "blue"}}])"),
            "entity `Color::\"blue\"` is of an enumerated type, but `blue` is not one of its ids");
  EXPECT_EQ(Entities(R"([{"uid": {"type": "Action", "id": "nope"}}])"),
            "action `Action::\"nope\"` is not declared in the schema");
}

TEST(SchemaJsonTest, ActionEntitiesInTheDataMustMatchTheSchema) {
  // Direct parents, or their transitive closure, are both consistent.
  EXPECT_EQ(
      Entities(
          R"([{"uid": {"type": "Action", "id": "view"}, "parents": [{"type": "Action", "id": "write"}]}])"),
      "ok");
  EXPECT_EQ(
      Entities(
          R"([{"uid": {"type": "Action", "id": "view"}, "parents": [{"type": "Action", "id": "write"},
                                                                               {"type": "Action", "id": "read"}]}])"),
      "ok");
  EXPECT_EQ(
      Entities(
          R"([{"uid": {"type": "Action", "id": "view"}, "parents": [{"type": "Action", "id": "read"}]}])"),
      "the definition of action `Action::\"view\"` in the entity data does not match its "
      "declaration in the schema");
  EXPECT_EQ(Entities(R"([{"uid": {"type": "Action", "id": "view"}, "parents": []}])"),
            "the definition of action `Action::\"view\"` in the entity data does not match its "
            "declaration in the schema");
}

std::string Req(std::string_view json, bool validate = true) {
  Schema schema = LoadSchema();
  auto j = ParseJsonText(json);
  EXPECT_TRUE(j.ok());
  auto r = RequestFromJson(*j, &schema, validate);
  return r.ok() ? r->request.context.ToCedar() : r.error().message;
}

TEST(SchemaJsonTest, RequestsAreValidated) {
  const char* ok_ctx = R"("context": {"ip": "10.0.0.1", "at": "2024-01-01", "n": 3})";
  EXPECT_EQ(
      Req(std::string(
              R"({"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "view"},
                                 "resource": {"type": "Doc", "id": "d"}, )") +
          ok_ctx + "}"),
      "{\"at\": datetime(\"2024-01-01T00:00:00.000Z\"), \"ip\": ip(\"10.0.0.1\"), \"n\": 3}");
  EXPECT_EQ(
      Req(std::string(
              R"({"principal": {"type": "Doc", "id": "a"}, "action": {"type": "Action", "id": "view"},
                                 "resource": {"type": "Doc", "id": "d"}, )") +
          ok_ctx + "}"),
      "principal type `Doc` is not valid for `Action::\"view\"`");
  EXPECT_EQ(
      Req(std::string(
              R"({"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "view"},
                                 "resource": {"type": "User", "id": "d"}, )") +
          ok_ctx + "}"),
      "resource type `User` is not valid for `Action::\"view\"`");
  EXPECT_EQ(
      Req(R"({"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "nope"},
                    "resource": {"type": "Doc", "id": "d"}, "context": {}})"),
      "action `Action::\"nope\"` is not declared in the schema");
  EXPECT_EQ(
      Req(R"({"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "view"},
                    "resource": {"type": "Doc", "id": "d"}, "context": {"ip": "10.0.0.1", "n": 3}})"),
      "in the context: expected the required attribute `at` to be present");
  EXPECT_EQ(
      Req(R"({"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "paint"},
                    "resource": {"type": "Color", "id": "blue"}, "context": {}})"),
      "entity `Color::\"blue\"` is of an enumerated type, but `blue` is not one of its ids");
  EXPECT_EQ(
      Req(R"({"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "paint"},
                    "resource": {"type": "Color", "id": "red"}})"),
      "{}");
}

}  // namespace
}  // namespace cedar
