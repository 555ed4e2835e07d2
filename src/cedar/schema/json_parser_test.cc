#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cedar/schema_fragment.h"

namespace cedar {
namespace {

using Kind = SchemaTypeExpr::Kind;

SchemaFragment Parse(std::string_view text) {
  auto f = SchemaFragment::FromJson(text);
  EXPECT_TRUE(f.ok()) << text << "\n" << (f.ok() ? "" : f.error().ToString());
  return f.ok() ? std::move(f).value() : SchemaFragment{};
}

std::string ParseError(std::string_view text) {
  auto f = SchemaFragment::FromJson(text);
  EXPECT_FALSE(f.ok()) << text;
  return f.ok() ? std::string() : f.error().message;
}

// A schema whose entity type E has one attribute `a` of the given type.
std::string WithAttribute(std::string_view type) {
  return R"({"": {"entityTypes": {"E": {"shape": {"type": "Record", "attributes": {"a": )" +
         std::string(type) + "}}}}, \"actions\": {}}}";
}

const SchemaAttributeDecl& Attribute(const SchemaFragment& f) {
  return f.namespaces.at(0).entity_types.at(0).shape->attributes.at(0);
}

TEST(JsonSchemaParser, MinimalNamespaces) {
  SchemaFragment f = Parse(R"({"": {"entityTypes": {}, "actions": {}},
                               "A::B": {"entityTypes": {}, "actions": {}, "commonTypes": {},
                                        "annotations": {"doc": "x", "flag": null}}})");
  ASSERT_EQ(f.namespaces.size(), 2u);
  EXPECT_EQ(f.namespaces[0].name, "");
  EXPECT_EQ(f.namespaces[1].name, "A::B");
  EXPECT_EQ(f.namespaces[1].annotations, (Annotations{{"doc", "x"}, {"flag", ""}}));
  EXPECT_TRUE(Parse("{}").namespaces.empty());
}

TEST(JsonSchemaParser, EntityTypes) {
  SchemaFragment f = Parse(R"({"NS": {
    "entityTypes": {
      "User": {
        "memberOfTypes": ["Group", "Other::Team"],
        "shape": {"type": "Record", "attributes": {
          "name": {"type": "String"},
          "age": {"type": "Long", "required": false, "annotations": {"doc": "years"}},
          "admin": {"type": "Boolean", "required": true}
        }},
        "tags": {"type": "Set", "element": {"type": "String"}},
        "annotations": {"doc": "a user"}
      },
      "Group": {},
      "Color": {"enum": ["red", "green"], "annotations": {"doc": "colors"}}
    },
    "actions": {}}})");
  const auto& es = f.namespaces[0].entity_types;
  ASSERT_EQ(es.size(), 3u);
  const SchemaEntityDecl& user = es[0];
  EXPECT_EQ(user.name, "User");
  ASSERT_EQ(user.member_of_types.size(), 2u);
  EXPECT_EQ(user.member_of_types[1].name, "Other::Team");
  const auto& attrs = user.shape->attributes;
  ASSERT_EQ(attrs.size(), 3u);
  EXPECT_EQ(attrs[0].name, "name");
  EXPECT_EQ(attrs[0].type, SchemaTypeExpr::Primitive(Kind::kString));
  EXPECT_TRUE(attrs[0].required);
  EXPECT_EQ(attrs[1].type, SchemaTypeExpr::Primitive(Kind::kLong));
  EXPECT_FALSE(attrs[1].required);
  EXPECT_EQ(attrs[1].annotations, (Annotations{{"doc", "years"}}));
  EXPECT_EQ(attrs[2].type, SchemaTypeExpr::Primitive(Kind::kBool));
  EXPECT_TRUE(attrs[2].required);
  EXPECT_EQ(*user.tags, SchemaTypeExpr::SetOf(SchemaTypeExpr::Primitive(Kind::kString)));
  EXPECT_EQ(user.annotations, (Annotations{{"doc", "a user"}}));
  EXPECT_FALSE(es[1].shape.has_value());
  EXPECT_EQ(*es[2].enum_ids, (std::vector<std::string>{"red", "green"}));
  EXPECT_EQ(es[2].annotations, (Annotations{{"doc", "colors"}}));
}

TEST(JsonSchemaParser, TypeForms) {
  EXPECT_EQ(Attribute(Parse(WithAttribute(R"({"type": "Entity", "name": "NS::User"})"))).type,
            SchemaTypeExpr::Named("NS::User", Kind::kEntity));
  EXPECT_EQ(Attribute(Parse(WithAttribute(R"({"type": "Extension", "name": "decimal"})"))).type,
            SchemaTypeExpr::Named("decimal", Kind::kExtension));
  EXPECT_EQ(Attribute(Parse(WithAttribute(R"({"type": "EntityOrCommon", "name": "T"})"))).type,
            SchemaTypeExpr::Named("T", Kind::kName));
  EXPECT_EQ(Attribute(Parse(WithAttribute(R"({"type": "My::T"})"))).type,
            SchemaTypeExpr::Named("My::T", Kind::kCommon));
  // "Bool" is not a JSON keyword: it is a name, resolved as a common or built-in type.
  EXPECT_EQ(Attribute(Parse(WithAttribute(R"({"type": "Bool"})"))).type,
            SchemaTypeExpr::Named("Bool", Kind::kCommon));
  SchemaFragment f = Parse(WithAttribute(
      R"({"type": "Record", "attributes": {"x": {"type": "Long"}},
          "additionalAttributes": false})"));
  const SchemaTypeExpr& rec = Attribute(f).type;
  ASSERT_EQ(rec.kind, Kind::kRecord);
  EXPECT_EQ(rec.attributes[0].name, "x");
}

TEST(JsonSchemaParser, Actions) {
  SchemaFragment f = Parse(R"({"NS": {"entityTypes": {}, "actions": {
    "view": {
      "memberOf": [{"id": "read"}, {"id": "all", "type": "Action"},
                   {"id": "x", "type": "Other::Action"}, {"id": "y", "type": null}],
      "appliesTo": {
        "principalTypes": ["User"],
        "resourceTypes": ["Photo", "Album"],
        "context": {"type": "Record", "attributes": {"ip": {"type": "Extension", "name": "ipaddr"}}}
      },
      "annotations": {"doc": "view"}
    },
    "read": {"appliesTo": {"principalTypes": [], "resourceTypes": []}},
    "all": {"memberOf": null, "appliesTo": null, "attributes": null},
    "a b\u0000": {"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["User"],
                                "context": {"type": "Ctx"}}}
  }}})");
  const auto& as = f.namespaces[0].actions;
  ASSERT_EQ(as.size(), 4u);
  const SchemaActionDecl& view = as[0];
  EXPECT_EQ(view.name, "view");
  EXPECT_EQ(view.member_of, (std::vector<SchemaActionRef>{{std::nullopt, "read", {}},
                                                          {"Action", "all", {}},
                                                          {"Other::Action", "x", {}},
                                                          {std::nullopt, "y", {}}}));
  ASSERT_TRUE(view.applies_to.has_value());
  ASSERT_EQ(view.applies_to->resource_types.size(), 2u);
  EXPECT_EQ(view.applies_to->resource_types[1].name, "Album");
  EXPECT_EQ(view.applies_to->context->attributes[0].type,
            SchemaTypeExpr::Named("ipaddr", Kind::kExtension));
  EXPECT_EQ(view.annotations, (Annotations{{"doc", "view"}}));
  ASSERT_TRUE(as[1].applies_to.has_value());
  EXPECT_TRUE(as[1].applies_to->principal_types.empty());
  EXPECT_FALSE(as[1].applies_to->context.has_value());
  EXPECT_FALSE(as[2].applies_to.has_value());
  EXPECT_TRUE(as[2].member_of.empty());
  EXPECT_EQ(as[3].name, std::string("a b\0", 4));
  EXPECT_EQ(*as[3].applies_to->context, SchemaTypeExpr::Named("Ctx", Kind::kCommon));
}

TEST(JsonSchemaParser, CommonTypes) {
  SchemaFragment f = Parse(R"({"": {"entityTypes": {}, "actions": {}, "commonTypes": {
    "Name": {"type": "String", "annotations": {"doc": "a name"}},
    "ipaddr": {"type": "Long"}
  }}})");
  const auto& ts = f.namespaces[0].common_types;
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].name, "Name");
  EXPECT_EQ(ts[0].type, SchemaTypeExpr::Primitive(Kind::kString));
  EXPECT_EQ(ts[0].annotations, (Annotations{{"doc", "a name"}}));
  EXPECT_EQ(ts[1].name, "ipaddr");
}

TEST(JsonSchemaParser, FromParsedValue) {
  boost::json::value v = boost::json::parse(R"({"N": {"entityTypes": {"E": {}}, "actions": {}}})");
  auto f = SchemaFragment::FromJsonValue(v);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->namespaces[0].entity_types[0].name, "E");
}

TEST(JsonSchemaParser, MalformedJson) {
  auto f = SchemaFragment::FromJson("{\"\": ");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, ErrorCode::kJson);
  EXPECT_NE(f.error().message.find("malformed JSON"), std::string::npos);
  EXPECT_NE(ParseError("[]").find("expected the schema to be an object, found an array"),
            std::string::npos);
}

TEST(JsonSchemaParser, DuplicateKeys) {
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {"E": {}, "E": {}}, "actions": {}}})")
                .find("the key \"E\" appears twice"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"N": {"entityTypes": {}, "actions": {}}, "N": {"entityTypes": {},
                           "actions": {}}})")
                .find("appears twice"),
            std::string::npos);
}

TEST(JsonSchemaParser, ErrorsNameTheirPlace) {
  EXPECT_EQ(ParseError(R"({"NS": {"entityTypes": {"User": {"shape": {"type": "Record",
              "attributes": {"a": {"type": "Long", "foo": 1}}}}}, "actions": {}}})"),
            "invalid JSON schema at [\"NS\"].entityTypes[\"User\"].shape.attributes[\"a\"]: "
            "unknown field `foo` for a type of the form {\"type\": \"Long\"}; expected `type`, "
            "`annotations`, or `required`");
  EXPECT_EQ(ParseError(R"({"": {"entityTypes": {}, "actions": {"a": {"memberOf": [{"id": "b"},
              {"type": "Action"}]}}}})"),
            "invalid JSON schema at [\"\"].actions[\"a\"].memberOf[1]: missing field `id`");
}

TEST(JsonSchemaParser, UnknownAndMissingFields) {
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {}, "actions": {}, "foo": {}}})")
                .find("unknown field `foo`; expected `commonTypes`, `entityTypes`, `actions`, or "
                      "`annotations`"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {}}})").find("missing field `actions`"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"actions": {}}})").find("missing field `entityTypes`"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {"E": {"foo": 1}}, "actions": {}}})")
                .find("unknown field `foo`"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {}, "actions": {"a": {"foo": 1}}}})")
                .find("unknown field `foo`"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {}, "actions": {"a": {"appliesTo": {}}}}})")
                .find("missing field `principalTypes`"),
            std::string::npos);
  EXPECT_NE(
      ParseError(R"({"": {"entityTypes": {}, "actions": {"a": {"appliesTo":
              {"principalTypes": [], "resourceTypes": [], "x": 1}}}}})")
          .find("unknown field `x`; expected `principalTypes`, `resourceTypes`, or `context`"),
      std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {}, "actions": {"a": {"memberOf":
              [{"id": "b", "x": 1}]}}}})")
                .find("unknown field `x`; expected `id` or `type`"),
            std::string::npos);
}

TEST(JsonSchemaParser, FieldsByTypeForm) {
  EXPECT_NE(
      ParseError(WithAttribute(R"({"type": "Long", "name": "x"})")).find("unknown field `name`"),
      std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "Long", "element": {"type": "Long"}})"))
                .find("unknown field `element`"),
            std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "Set"})")).find("missing field `element`"),
            std::string::npos);
  EXPECT_NE(
      ParseError(WithAttribute(R"({"type": "Set", "element": {"type": "Long"}, "name": "x"})"))
          .find("unknown field `name`"),
      std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "Record"})")).find("missing field `attributes`"),
            std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "Entity"})")).find("missing field `name`"),
            std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"attributes": {}})")).find("missing field `type`"),
            std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "T", "name": "x"})")).find("unknown field `name`"),
            std::string::npos);
  // `required` and `annotations` belong to attributes (and `annotations` to common types), not
  // to set elements, shapes or tags.
  EXPECT_NE(
      ParseError(WithAttribute(R"({"type": "Set", "element": {"type": "Long", "required": true}})"))
          .find("unknown field `required`"),
      std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {"E": {"tags": {"type": "Long", "annotations": {}}}},
              "actions": {}}})")
                .find("unknown field `annotations`"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {}, "actions": {}, "commonTypes":
              {"T": {"type": "Long", "required": false}}}})")
                .find("unknown field `required`"),
            std::string::npos);
}

TEST(JsonSchemaParser, WrongJsonTypes) {
  EXPECT_NE(ParseError(WithAttribute(R"({"type": 1})"))
                .find("expected `type` to be a string, found a number"),
            std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "Long", "required": "yes"})"))
                .find("expected `required` to be a boolean, found a string"),
            std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "Long", "required": null})")).find("boolean"),
            std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "Record", "attributes": []})")).find("object"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {"E": {"memberOfTypes": null}}, "actions": {}}})")
                .find("expected `memberOfTypes` to be an array, found null"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {"E": {"shape": null}}, "actions": {}}})")
                .find("found null"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {"E": {"enum": ["a", 1]}}, "actions": {}}})")
                .find("expected an entity id to be a string"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"N": {"entityTypes": {}, "actions": {}, "annotations": {"a": 1}}})")
                .find("expected an annotation value to be a string"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {}, "actions": {"a": {"memberOf": ["b"]}}}})")
                .find("expected a parent action"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {}, "actions": {}, "commonTypes": null}})")
                .find("expected commonTypes to be an object, found null"),
            std::string::npos);
  // A positional array is not an entity type (the reference engine's serde accepts `[]`).
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {"E": []}, "actions": {}}})")
                .find("expected an entity type to be an object, found an array"),
            std::string::npos);
}

TEST(JsonSchemaParser, Names) {
  EXPECT_NE(ParseError(R"({"A B": {"entityTypes": {}, "actions": {}}})")
                .find("`A B` is not a valid namespace name"),
            std::string::npos);
  EXPECT_FALSE(SchemaFragment::FromJson(R"({"A::": {"entityTypes": {}, "actions": {}}})").ok());
  EXPECT_FALSE(SchemaFragment::FromJson(R"({" A": {"entityTypes": {}, "actions": {}}})").ok());
  EXPECT_FALSE(SchemaFragment::FromJson(R"({"if": {"entityTypes": {}, "actions": {}}})").ok());
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {"A::B": {}}, "actions": {}}})")
                .find("`A::B` is not a valid entity type name"),
            std::string::npos);
  EXPECT_FALSE(
      SchemaFragment::FromJson(R"({"": {"entityTypes": {"in": {}}, "actions": {}}})").ok());
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {"E": {"memberOfTypes": [" F"]}}, "actions": {}}})")
                .find("` F` is not a valid entity type name"),
            std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "A B"})")).find("not a valid common type name"),
            std::string::npos);
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "EntityOrCommon", "name": "if"})"))
                .find("not a valid entity or common type name"),
            std::string::npos);
  EXPECT_NE(
      ParseError(R"({"": {"entityTypes": {"E": {"annotations": {"a b": "x"}}}, "actions": {}}})")
          .find("`a b` is not a valid annotation name"),
      std::string::npos);
  // Annotation names may be reserved words; action names may be any string.
  SchemaFragment f = Parse(R"({"": {"entityTypes": {"E": {"annotations": {"if": "x"}}},
                                    "actions": {"": {}, "::": {}}}})");
  EXPECT_EQ(f.namespaces[0].entity_types[0].annotations, (Annotations{{"if", "x"}}));
  EXPECT_EQ(f.namespaces[0].actions.size(), 2u);
}

TEST(JsonSchemaParser, Extensions) {
  for (const char* ext : {"ipaddr", "decimal", "datetime", "duration"}) {
    Parse(WithAttribute(std::string(R"({"type": "Extension", "name": ")") + ext + "\"}"));
  }
  EXPECT_NE(ParseError(WithAttribute(R"({"type": "Extension", "name": "foo"})"))
                .find("unknown extension type `foo`"),
            std::string::npos);
  EXPECT_FALSE(
      SchemaFragment::FromJson(WithAttribute(R"({"type": "Extension", "name": "__cedar::ipaddr"})"))
          .ok());
}

TEST(JsonSchemaParser, Unsupported) {
  EXPECT_NE(ParseError(WithAttribute(
                           R"({"type": "Record", "attributes": {}, "additionalAttributes": true})"))
                .find("`additionalAttributes: true` are not supported"),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {}, "actions": {"a": {"attributes": {}}}}})")
                .find("actions with attributes are not supported"),
            std::string::npos);
}

TEST(JsonSchemaParser, Enumerations) {
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {"E": {"enum": []}}, "actions": {}}})")
                .find("at least one id"),
            std::string::npos);
  for (const char* other :
       {R"("memberOfTypes": [])", R"("shape": {"type": "Record", "attributes": {}})",
        R"("tags": {"type": "Long"})"}) {
    std::string text = std::string(R"({"": {"entityTypes": {"E": {"enum": ["a"], )") + other +
                       "}}, \"actions\": {}}}";
    EXPECT_NE(ParseError(text).find("an enumerated entity type cannot have"), std::string::npos)
        << text;
  }
  EXPECT_EQ(*Parse(R"({"": {"entityTypes": {"E": {"enum": ["a", "a"]}}, "actions": {}}})")
                 .namespaces[0]
                 .entity_types[0]
                 .enum_ids,
            (std::vector<std::string>{"a", "a"}));
}

TEST(JsonSchemaParser, DeclarationRules) {
  EXPECT_NE(ParseError(R"({"": {"entityTypes": {}, "actions": {}, "annotations": {"a": "b"}}})")
                .find("the empty namespace cannot be annotated"),
            std::string::npos);
  EXPECT_TRUE(
      SchemaFragment::FromJson(R"({"": {"entityTypes": {}, "actions": {}, "annotations": {}}})")
          .ok());
  auto reserved = SchemaFragment::FromJson(
      R"({"": {"entityTypes": {}, "actions": {}, "commonTypes": {"Set": {"type": "Long"}}}})");
  ASSERT_FALSE(reserved.ok());
  EXPECT_EQ(reserved.error().code, ErrorCode::kSchema);
  EXPECT_NE(reserved.error().message.find("reserved type name"), std::string::npos);
  EXPECT_FALSE(
      SchemaFragment::FromJson(R"({"": {"entityTypes": {"Action": {}}, "actions": {}}})").ok());
  EXPECT_FALSE(
      SchemaFragment::FromJson(R"({"": {"entityTypes": {"__cedar": {}}, "actions": {}}})").ok());
  EXPECT_FALSE(
      SchemaFragment::FromJson(R"({"A::__cedar": {"entityTypes": {}, "actions": {}}})").ok());
  EXPECT_TRUE(
      SchemaFragment::FromJson(R"({"": {"entityTypes": {"Set": {}, "Long": {}}, "actions": {}}})")
          .ok());
}

TEST(JsonSchemaParser, DeepNestingIsAnErrorNotACrash) {
  auto nested = [](int levels) {
    std::string type;
    for (int i = 0; i < levels; ++i) type += R"({"type": "Set", "element": )";
    type += R"({"type": "Long"})";
    type.append(static_cast<size_t>(levels), '}');
    return WithAttribute(type);
  };
  EXPECT_TRUE(SchemaFragment::FromJson(nested(500)).ok());
  EXPECT_NE(ParseError(nested(600)).find("types are nested too deeply (more than 512 levels)"),
            std::string::npos);
  EXPECT_FALSE(SchemaFragment::FromJson(nested(100000)).ok());
}

}  // namespace
}  // namespace cedar
