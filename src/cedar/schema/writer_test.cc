#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cedar/schema.h"
#include "cedar/schema_fragment.h"

namespace cedar {
namespace {

SchemaFragment FromCedar(std::string_view text) {
  auto f = SchemaFragment::FromCedar(text);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().ToString());
  return f.ok() ? std::move(f).value() : SchemaFragment{};
}

SchemaFragment FromJson(std::string_view text) {
  auto f = SchemaFragment::FromJson(text);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().ToString());
  return f.ok() ? std::move(f).value() : SchemaFragment{};
}

std::string ToCedar(const SchemaFragment& f) {
  auto text = f.ToCedar();
  EXPECT_TRUE(text.ok()) << (text.ok() ? "" : text.error().ToString());
  return text.ok() ? *text : std::string();
}

constexpr std::string_view kSample = R"(entity Top;

@doc("the app")
namespace App {
  @doc("t")
  type Ctx = {
    ip: ipaddr,
    "user agent"?: String
  };

  entity User in [Group, Other::Team] = {
    name: String,
    "if": Long,
    groups: Set<Group>,
    nested: {
      @doc("inner")
      a: Long,
      b?: {}
    }
  } tags Set<String>;

  entity Group;

  @flag
  entity Kind enum ["a", "b\n"];

  action "read";

  @doc("view")
  action "view" in ["read", Action::"all", Other::Action::"x"] appliesTo {
    principal: [User],
    resource: [Group, Kind],
    context: Ctx
  };

  action "write \"it\"" appliesTo {
    principal: [User],
    resource: [User]
  };
}
)";

TEST(CedarSchemaWriter, WritesCedarLayout) {
  SchemaFragment f = FromCedar(kSample);
  EXPECT_EQ(ToCedar(f), kSample);
}

TEST(CedarSchemaWriter, NormalizesLayout) {
  SchemaFragment f = FromCedar(
      "namespace N{entity A,B in C{x:Long,};type T=Set<Long>;action a,\"b\" in [x];}"
      "@a entity C;");
  EXPECT_EQ(ToCedar(f), R"(namespace N {
  type T = Set<Long>;

  entity A in [C] = {
    x: Long
  };

  entity B in [C] = {
    x: Long
  };

  action "a" in ["x"];

  action "b" in ["x"];
}

@a
entity C;
)");
}

TEST(CedarSchemaWriter, EmptySchemas) {
  EXPECT_EQ(ToCedar(FromCedar("")), "");
  EXPECT_EQ(ToCedar(FromCedar("namespace N {}")), "namespace N {\n}\n");
}

TEST(CedarSchemaWriter, Escapes) {
  SchemaFragment f = FromCedar(R"(@doc("tab\there \u{1} \u{7f} \u{e9}")
                                  entity E { "\0": Long, "a\\b": Long };
                                  action "\r";)");
  EXPECT_EQ(ToCedar(f), R"(@doc("tab\there \u{1} \u{7f} )"
                        "\xC3\xA9"
                        R"(")
entity E = {
  "\0": Long,
  "a\\b": Long
};

action "\r";
)");
  EXPECT_EQ(FromCedar(ToCedar(f)), f);
}

TEST(CedarSchemaWriter, JsonOnlyFormsKeepTheirMeaning) {
  SchemaFragment f = FromJson(R"({"N": {
    "commonTypes": {"T": {"type": "Long"}},
    "entityTypes": {
      "E": {"shape": {"type": "Record", "attributes": {
        "a": {"type": "Long"}, "b": {"type": "String"}, "c": {"type": "Boolean"},
        "d": {"type": "Extension", "name": "ipaddr"}, "e": {"type": "Entity", "name": "E"},
        "f": {"type": "T"}, "g": {"type": "EntityOrCommon", "name": "T"}}}}
    },
    "actions": {
      "none": {"appliesTo": {"principalTypes": [], "resourceTypes": ["E"]}},
      "ctx": {"appliesTo": {"principalTypes": ["E"], "resourceTypes": ["E"],
                            "context": {"type": "T"}}}
    }}})");
  EXPECT_EQ(ToCedar(f), R"(namespace N {
  type T = __cedar::Long;

  entity E = {
    a: __cedar::Long,
    b: __cedar::String,
    c: __cedar::Bool,
    d: __cedar::ipaddr,
    e: E,
    f: T,
    g: T
  };

  action "none";

  action "ctx" appliesTo {
    principal: [E],
    resource: [E],
    context: T
  };
}
)");
}

TEST(CedarSchemaWriter, WhatTheCedarFormatCannotSay) {
  auto shape = FromJson(R"({"": {"entityTypes": {"E": {"shape": {"type": "T"}}}, "actions": {},
                         "commonTypes": {"T": {"type": "Record", "attributes": {}}}}})")
                   .ToCedar();
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.error().code, ErrorCode::kSchema);
  EXPECT_NE(shape.error().message.find("the shape of entity type `E` is not written as a record"),
            std::string::npos);
  auto context = FromJson(R"({"": {"entityTypes": {"E": {}}, "actions": {"a": {"appliesTo":
                   {"principalTypes": ["E"], "resourceTypes": ["E"],
                    "context": {"type": "Set", "element": {"type": "Long"}}}}}}})")
                     .ToCedar();
  ASSERT_FALSE(context.ok());
  EXPECT_NE(context.error().message.find("the context of action \"a\" is a set"),
            std::string::npos);
}

TEST(JsonSchemaWriter, WritesJsonFormat) {
  SchemaFragment f = FromCedar(R"(
    @doc("ns") namespace N {
      type T = { a?: Long };
      @e entity E in [F] { x: T, @d("y") y: Set<N::F> } tags String;
      entity F enum ["a"];
      action "r" in [q, Action::"p"] appliesTo { principal: E, resource: [E, F], context: T };
      action q; action p;
    }
  )");
  boost::json::value expected = boost::json::parse(R"({"N": {
    "commonTypes": {"T": {"type": "Record", "attributes": {
      "a": {"type": "EntityOrCommon", "name": "Long", "required": false}}}},
    "entityTypes": {
      "E": {"memberOfTypes": ["F"],
            "shape": {"type": "Record", "attributes": {
              "x": {"type": "EntityOrCommon", "name": "T"},
              "y": {"type": "Set", "element": {"type": "EntityOrCommon", "name": "N::F"},
                    "annotations": {"d": "y"}}}},
            "tags": {"type": "EntityOrCommon", "name": "String"},
            "annotations": {"e": ""}},
      "F": {"enum": ["a"]}},
    "actions": {
      "r": {"memberOf": [{"id": "q"}, {"id": "p", "type": "Action"}],
            "appliesTo": {"principalTypes": ["E"], "resourceTypes": ["E", "F"],
                          "context": {"type": "T"}}},
      "q": {}, "p": {}},
    "annotations": {"doc": "ns"}}})");
  EXPECT_EQ(f.ToJson(), expected) << boost::json::serialize(f.ToJson());
  // The text form is the same document.
  EXPECT_EQ(boost::json::parse(f.ToJsonText()), expected);
}

TEST(JsonSchemaWriter, JsonFormsAreKept) {
  constexpr std::string_view kJson = R"({"": {
    "entityTypes": {"E": {"shape": {"type": "Record", "attributes": {
      "a": {"type": "Long"}, "b": {"type": "String"}, "c": {"type": "Boolean"},
      "d": {"type": "Extension", "name": "decimal"}, "e": {"type": "Entity", "name": "E"},
      "f": {"type": "T"}, "g": {"type": "EntityOrCommon", "name": "T"},
      "h": {"type": "Set", "element": {"type": "Long"}, "required": false}}}}},
    "actions": {"a": {"appliesTo": {"principalTypes": [], "resourceTypes": []}}},
    "commonTypes": {"T": {"type": "Long", "annotations": {"doc": "t"}}}}})";
  SchemaFragment f = FromJson(kJson);
  EXPECT_EQ(f.ToJson(), boost::json::parse(kJson));
  EXPECT_EQ(FromJson(f.ToJsonText()), f);
}

TEST(JsonSchemaWriter, PrettyText) {
  EXPECT_EQ(FromCedar("entity E;").ToJsonText(), R"({
  "": {
    "entityTypes": {
      "E": {}
    },
    "actions": {}
  }
}
)");
}

// Cedar text -> JSON -> Cedar text, and JSON -> Cedar text -> JSON, resolve to the same schema.
TEST(SchemaWriters, RoundTrips) {
  for (std::string_view text :
       {kSample, std::string_view("entity A in [A] { a?: Set<Set<A>> } tags A;"),
        std::string_view("type ipaddr = Long; entity E { a: ipaddr, "
                         "b: __cedar::ipaddr };")}) {
    SchemaFragment f = FromCedar(text);
    auto original = Schema::FromFragment(f);
    SchemaFragment via_json = FromJson(f.ToJsonText());
    EXPECT_EQ(via_json, f) << text;
    SchemaFragment back = FromCedar(ToCedar(via_json));
    EXPECT_EQ(back, f) << text;
    auto resolved = Schema::FromFragment(back);
    if (original.ok()) {
      ASSERT_TRUE(resolved.ok()) << resolved.error().ToString();
      EXPECT_TRUE(*resolved == *original) << text;
    }
  }
  SchemaFragment json = FromJson(R"({"": {"entityTypes": {"E": {"shape": {"type": "Record",
      "attributes": {"a": {"type": "Long"}, "b": {"type": "Entity", "name": "E"}}}}},
      "actions": {"a": {"appliesTo": {"principalTypes": ["E"], "resourceTypes": []}}}}})");
  auto original = Schema::FromFragment(json);
  ASSERT_TRUE(original.ok());
  SchemaFragment via_text = FromCedar(ToCedar(json));
  SchemaFragment back = FromJson(via_text.ToJsonText());
  auto resolved = Schema::FromFragment(back);
  ASSERT_TRUE(resolved.ok());
  EXPECT_TRUE(*resolved == *original);
}

}  // namespace
}  // namespace cedar
