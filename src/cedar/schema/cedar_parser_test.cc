#include <gtest/gtest.h>

#include "cedar/schema_fragment.h"

namespace cedar {
namespace {

using Kind = SchemaTypeExpr::Kind;

SchemaFragment Parse(std::string_view text) {
  auto f = SchemaFragment::FromCedar(text);
  EXPECT_TRUE(f.ok()) << text << "\n" << (f.ok() ? "" : f.error().ToString());
  return f.ok() ? std::move(f).value() : SchemaFragment{};
}

Error ParseError(std::string_view text) {
  auto f = SchemaFragment::FromCedar(text);
  EXPECT_FALSE(f.ok()) << text;
  return f.ok() ? Error{} : f.error();
}

std::vector<std::string> Names(const std::vector<SchemaNameRef>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) out.push_back(r.name);
  return out;
}

TEST(CedarSchemaParser, EmptySchema) {
  EXPECT_TRUE(Parse("").namespaces.empty());
  EXPECT_TRUE(Parse("  // only a comment\n").namespaces.empty());
}

TEST(CedarSchemaParser, EntityWithParentsShapeAndTags) {
  SchemaFragment f = Parse(R"(
    entity User in [Group, Org::Team] = {
      name: String,
      "job title"?: String,
      manager?: User,
      groups: Set<Group>,
    } tags Set<String>;
    entity Group;
  )");
  ASSERT_EQ(f.namespaces.size(), 1u);
  const SchemaNamespace& ns = f.namespaces[0];
  EXPECT_EQ(ns.name, "");
  ASSERT_EQ(ns.entity_types.size(), 2u);
  const SchemaEntityDecl& user = ns.entity_types[0];
  EXPECT_EQ(user.name, "User");
  EXPECT_EQ(Names(user.member_of_types), (std::vector<std::string>{"Group", "Org::Team"}));
  ASSERT_TRUE(user.shape.has_value());
  ASSERT_EQ(user.shape->kind, Kind::kRecord);
  const auto& attrs = user.shape->attributes;
  ASSERT_EQ(attrs.size(), 4u);
  EXPECT_EQ(attrs[0].name, "name");
  EXPECT_EQ(attrs[0].type, SchemaTypeExpr::Named("String"));
  EXPECT_TRUE(attrs[0].required);
  EXPECT_EQ(attrs[1].name, "job title");
  EXPECT_FALSE(attrs[1].required);
  EXPECT_EQ(attrs[2].name, "manager");
  EXPECT_FALSE(attrs[2].required);
  EXPECT_EQ(attrs[3].type, SchemaTypeExpr::SetOf(SchemaTypeExpr::Named("Group")));
  ASSERT_TRUE(user.tags.has_value());
  EXPECT_EQ(*user.tags, SchemaTypeExpr::SetOf(SchemaTypeExpr::Named("String")));
  const SchemaEntityDecl& group = ns.entity_types[1];
  EXPECT_EQ(group.name, "Group");
  EXPECT_TRUE(group.member_of_types.empty());
  EXPECT_FALSE(group.shape.has_value());
  EXPECT_FALSE(group.tags.has_value());
  EXPECT_FALSE(group.enum_ids.has_value());
}

TEST(CedarSchemaParser, ShapeWithoutEqualsAndSingleParentWithoutBrackets) {
  SchemaFragment f = Parse("entity A in B { x: Long }; entity B in []; entity C {};");
  const auto& es = f.namespaces[0].entity_types;
  EXPECT_EQ(Names(es[0].member_of_types), std::vector<std::string>{"B"});
  EXPECT_EQ(es[0].shape->attributes.size(), 1u);
  EXPECT_TRUE(es[1].member_of_types.empty());
  ASSERT_TRUE(es[2].shape.has_value());
  EXPECT_TRUE(es[2].shape->attributes.empty());
}

TEST(CedarSchemaParser, SeveralEntityNamesShareOneDeclaration) {
  SchemaFragment f = Parse("@doc(\"x\") entity A, B, C in [D] { a: Long }; entity D;");
  const auto& es = f.namespaces[0].entity_types;
  ASSERT_EQ(es.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(es[i].name, std::string(1, static_cast<char>('A' + i)));
    EXPECT_EQ(Names(es[i].member_of_types), std::vector<std::string>{"D"});
    EXPECT_EQ(es[i].annotations, (Annotations{{"doc", "x"}}));
    EXPECT_EQ(es[i].shape->attributes[0].name, "a");
  }
}

TEST(CedarSchemaParser, EnumeratedEntityType) {
  SchemaFragment f = Parse(R"(entity Color enum ["red", "green", "\u{1F600}", ""];)");
  const SchemaEntityDecl& e = f.namespaces[0].entity_types[0];
  ASSERT_TRUE(e.enum_ids.has_value());
  EXPECT_EQ(*e.enum_ids, (std::vector<std::string>{"red", "green", "\xF0\x9F\x98\x80", ""}));
}

TEST(CedarSchemaParser, EnumErrors) {
  EXPECT_NE(ParseError("entity E enum [];").message.find("expected string literal"),
            std::string::npos);
  EXPECT_NE(ParseError("entity E enum [\"a\",];").message.find("`]`"), std::string::npos);
  EXPECT_NE(ParseError("entity E in [F] enum [\"a\"]; entity F;").message.find("`enum`"),
            std::string::npos);
  EXPECT_NE(ParseError("entity E enum [\"a\"] tags Long;").message.find("expected `;`"),
            std::string::npos);
  EXPECT_NE(ParseError("entity E enum \"a\";").message.find("expected `[`"), std::string::npos);
}

TEST(CedarSchemaParser, Actions) {
  SchemaFragment f = Parse(R"(
    action "view photo", edit in [read, "all", Action::"x", NS::Sub::Action::"y"] appliesTo {
      principal: User,
      resource: [Photo, Album],
      context: { ip: ipaddr, "at"?: datetime },
    };
    action read;
    action "all" appliesTo { context: Ctx, resource: [R], principal: [P] };
  )");
  const auto& as = f.namespaces[0].actions;
  ASSERT_EQ(as.size(), 4u);
  EXPECT_EQ(as[0].name, "view photo");
  EXPECT_EQ(as[1].name, "edit");
  for (int i = 0; i < 2; ++i) {
    const SchemaActionDecl& a = as[i];
    ASSERT_EQ(a.member_of.size(), 4u);
    EXPECT_EQ(a.member_of[0], (SchemaActionRef{std::nullopt, "read", {}}));
    EXPECT_EQ(a.member_of[1], (SchemaActionRef{std::nullopt, "all", {}}));
    EXPECT_EQ(a.member_of[2], (SchemaActionRef{"Action", "x", {}}));
    EXPECT_EQ(a.member_of[3], (SchemaActionRef{"NS::Sub::Action", "y", {}}));
    ASSERT_TRUE(a.applies_to.has_value());
    EXPECT_EQ(Names(a.applies_to->principal_types), std::vector<std::string>{"User"});
    EXPECT_EQ(Names(a.applies_to->resource_types), (std::vector<std::string>{"Photo", "Album"}));
    ASSERT_TRUE(a.applies_to->context.has_value());
    ASSERT_EQ(a.applies_to->context->kind, Kind::kRecord);
    EXPECT_EQ(a.applies_to->context->attributes.size(), 2u);
    EXPECT_FALSE(a.applies_to->context->attributes[1].required);
  }
  EXPECT_FALSE(as[2].applies_to.has_value());
  EXPECT_TRUE(as[2].member_of.empty());
  // A context written as a name refers to a common type.
  ASSERT_TRUE(as[3].applies_to->context.has_value());
  EXPECT_EQ(*as[3].applies_to->context, SchemaTypeExpr::Named("Ctx", Kind::kCommon));
  EXPECT_EQ(Names(as[3].applies_to->principal_types), std::vector<std::string>{"P"});
}

TEST(CedarSchemaParser, ActionWithoutContextHasNone) {
  SchemaFragment f = Parse("action a appliesTo { principal: P, resource: R };");
  EXPECT_FALSE(f.namespaces[0].actions[0].applies_to->context.has_value());
}

TEST(CedarSchemaParser, ActionSingleParentWithoutBrackets) {
  SchemaFragment f = Parse("action a in \"b c\"; action \"b c\";");
  EXPECT_EQ(f.namespaces[0].actions[0].member_of,
            (std::vector<SchemaActionRef>{{std::nullopt, "b c", {}}}));
}

TEST(CedarSchemaParser, AppliesToErrors) {
  Error e = ParseError("action a appliesTo { principal: E };");
  EXPECT_NE(e.message.find("missing `resource`"), std::string::npos) << e.message;
  EXPECT_EQ(e.pos.line, 1u);
  EXPECT_EQ(e.pos.column, 8u);
  EXPECT_NE(ParseError("action a appliesTo { resource: E };").message.find("missing `principal`"),
            std::string::npos);
  EXPECT_NE(ParseError("action a appliesTo { context: {} };").message.find("missing"),
            std::string::npos);
  EXPECT_NE(ParseError("action a appliesTo { };")
                .message.find("expected `context`, `principal`, or `resource`"),
            std::string::npos);
  EXPECT_NE(ParseError("action a appliesTo { principal: [], resource: E };").message.find("`[]`"),
            std::string::npos);
  EXPECT_NE(ParseError("action a appliesTo { principal: E, principal: E, resource: E };")
                .message.find("duplicate `principal`"),
            std::string::npos);
  EXPECT_NE(
      ParseError("action a appliesTo { principal: E, resource: E, context: {}, context: {} };")
          .message.find("duplicate `context`"),
      std::string::npos);
  EXPECT_NE(ParseError("action a appliesTo { principal: E, resource: E, context: Set<Long> };")
                .message.find("unexpected token `<`"),
            std::string::npos);
  EXPECT_NE(ParseError("action a appliesTo { principal: E, resource: E } in [b];")
                .message.find("unexpected token `in`; expected `;`"),
            std::string::npos);
  EXPECT_NE(ParseError("action a appliesTo { principal: [E,], resource: E };")
                .message.find("expected identifier"),
            std::string::npos);
}

TEST(CedarSchemaParser, ActionAttributes) {
  // Only an empty attribute block is accepted (and ignored).
  SchemaFragment f = Parse("action a attributes {};");
  EXPECT_EQ(f.namespaces[0].actions[0].name, "a");
  EXPECT_NE(ParseError("action a attributes { x: Long };").message.find("cannot have attributes"),
            std::string::npos);
}

TEST(CedarSchemaParser, ActionParentErrors) {
  EXPECT_NE(ParseError("action a in [];").message.find("expected identifier or string literal"),
            std::string::npos);
  EXPECT_NE(ParseError("action a in [b,];").message.find("expected identifier or string literal"),
            std::string::npos);
  EXPECT_NE(ParseError("action a in [if];").message.find("`if` is a reserved identifier"),
            std::string::npos);
  EXPECT_NE(ParseError("action N::a;").message.find("unexpected token `::`"), std::string::npos);
}

TEST(CedarSchemaParser, CommonTypes) {
  SchemaFragment f = Parse(R"(
    type Name = String;
    type Names = Set<Name>;
    type Person = { name: Name, "aliases"?: Names, home: __cedar::ipaddr };
    @doc("empty") type Nothing = {};
  )");
  const auto& ts = f.namespaces[0].common_types;
  ASSERT_EQ(ts.size(), 4u);
  EXPECT_EQ(ts[0].name, "Name");
  EXPECT_EQ(ts[0].type, SchemaTypeExpr::Named("String"));
  EXPECT_EQ(ts[1].type, SchemaTypeExpr::SetOf(SchemaTypeExpr::Named("Name")));
  EXPECT_EQ(ts[2].type.attributes[2].type, SchemaTypeExpr::Named("__cedar::ipaddr"));
  EXPECT_EQ(ts[3].annotations, (Annotations{{"doc", "empty"}}));
  EXPECT_TRUE(ts[3].type.attributes.empty());
}

TEST(CedarSchemaParser, NestedTypes) {
  SchemaFragment f = Parse("entity A { a: { b: { c: Set<Set<{ d?: Long }>> } } };");
  const SchemaTypeExpr& a = f.namespaces[0].entity_types[0].shape->attributes[0].type;
  ASSERT_EQ(a.kind, Kind::kRecord);
  const SchemaTypeExpr& c = a.attributes[0].type.attributes[0].type;
  SchemaAttributeDecl d{"d", SchemaTypeExpr::Named("Long"), false, {}, {}};
  EXPECT_EQ(c, SchemaTypeExpr::SetOf(SchemaTypeExpr::SetOf(SchemaTypeExpr::Record({d}))));
}

TEST(CedarSchemaParser, SetIsANameUnlessFollowedByAngleBracket) {
  SchemaFragment f = Parse("entity Set; entity E { a: Set, b: Set<Set> };");
  const auto& attrs = f.namespaces[0].entity_types[1].shape->attributes;
  EXPECT_EQ(attrs[0].type, SchemaTypeExpr::Named("Set"));
  EXPECT_EQ(attrs[1].type, SchemaTypeExpr::SetOf(SchemaTypeExpr::Named("Set")));
  EXPECT_NE(ParseError("entity E { a: N::Set<Long> };").message.find("unexpected token `<`"),
            std::string::npos);
}

TEST(CedarSchemaParser, Namespaces) {
  SchemaFragment f = Parse(R"(
    entity Top;
    @doc("the app") @owner("me")
    namespace App::V1 {
      entity User;
      type T = Long;
      action view;
    }
    namespace Other {}
    entity Bottom;
  )");
  ASSERT_EQ(f.namespaces.size(), 3u);
  // Declarations outside any namespace gather in the empty namespace, where first seen.
  EXPECT_EQ(f.namespaces[0].name, "");
  ASSERT_EQ(f.namespaces[0].entity_types.size(), 2u);
  EXPECT_EQ(f.namespaces[0].entity_types[1].name, "Bottom");
  EXPECT_EQ(f.namespaces[1].name, "App::V1");
  EXPECT_EQ(f.namespaces[1].annotations, (Annotations{{"doc", "the app"}, {"owner", "me"}}));
  EXPECT_EQ(f.namespaces[1].entity_types.size(), 1u);
  EXPECT_EQ(f.namespaces[1].common_types.size(), 1u);
  EXPECT_EQ(f.namespaces[1].actions.size(), 1u);
  EXPECT_EQ(f.namespaces[2].name, "Other");
  EXPECT_EQ(f.FindNamespace("Other"), &f.namespaces[2]);
  EXPECT_EQ(f.FindNamespace("Nope"), nullptr);
}

TEST(CedarSchemaParser, NamespaceErrors) {
  EXPECT_NE(ParseError("namespace N { namespace M {} }").message.find("cannot be nested"),
            std::string::npos);
  EXPECT_NE(ParseError("namespace N { };").message.find("not followed by `;`"), std::string::npos);
  EXPECT_NE(ParseError("namespace {}").message.find("expected identifier"), std::string::npos);
  EXPECT_NE(ParseError("namespace A {} namespace A {}").message.find("declared twice"),
            std::string::npos);
  EXPECT_NE(ParseError("namespace __cedar { entity A; }").message.find("__cedar"),
            std::string::npos);
  EXPECT_NE(ParseError("namespace A::__cedar::B {}").message.find("__cedar"), std::string::npos);
  EXPECT_NE(ParseError("namespace like {}").message.find("`like` is a reserved identifier"),
            std::string::npos);
}

TEST(CedarSchemaParser, Annotations) {
  SchemaFragment f = Parse(R"(
    @doc("an \"entity\"\n") @flag @if("reserved words are fine here")
    entity A {
      @doc("attr") @other
      a: Long,
    };
  )");
  const SchemaEntityDecl& a = f.namespaces[0].entity_types[0];
  EXPECT_EQ(a.annotations,
            (Annotations{
                {"doc", "an \"entity\"\n"}, {"flag", ""}, {"if", "reserved words are fine here"}}));
  EXPECT_EQ(a.shape->attributes[0].annotations, (Annotations{{"doc", "attr"}, {"other", ""}}));
  Error e = ParseError("@doc(\"x\")\n  @doc(\"y\") entity A;");
  EXPECT_NE(e.message.find("duplicate annotation `@doc`"), std::string::npos);
  EXPECT_EQ(e.pos.line, 2u);
  EXPECT_EQ(e.pos.column, 4u);
  EXPECT_NE(ParseError("@doc(\"x\")").message.find("unexpected end of input"), std::string::npos);
  EXPECT_NE(ParseError("@doc(x) entity A;").message.find("expected string literal"),
            std::string::npos);
  EXPECT_NE(ParseError("entity A { @doc(\"x\") };").message.find("expected identifier or string"),
            std::string::npos);
}

TEST(CedarSchemaParser, AttributeNames) {
  SchemaFragment f = Parse(R"(entity E { "": Long, "a b": Long, principal: Long, entity: Long,
                                         "if": Long, __cedar: Long, "\u{1F600}": Long };)");
  const auto& attrs = f.namespaces[0].entity_types[0].shape->attributes;
  std::vector<std::string> names;
  for (const auto& a : attrs) names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"", "a b", "principal", "entity", "if", "__cedar",
                                             "\xF0\x9F\x98\x80"}));
  EXPECT_NE(ParseError("entity E { in: Long };").message.find("`in` is a reserved identifier"),
            std::string::npos);
}

TEST(CedarSchemaParser, RepeatedAttributeKeepsTheLast) {
  SchemaFragment f = Parse("entity E { a: Long, \"b\": Long, \"a\": String };");
  const auto& attrs = f.namespaces[0].entity_types[0].shape->attributes;
  ASSERT_EQ(attrs.size(), 2u);
  EXPECT_EQ(attrs[0].name, "a");
  EXPECT_EQ(attrs[0].type, SchemaTypeExpr::Named("String"));
}

TEST(CedarSchemaParser, KeywordsAreContextual) {
  SchemaFragment f = Parse(
      "entity entity; entity namespace; entity type; entity action; entity appliesTo;"
      "entity principal; entity tags; entity enum; entity permit; entity Long;"
      "action action; action permit;");
  EXPECT_EQ(f.namespaces[0].entity_types.size(), 10u);
  EXPECT_EQ(f.namespaces[0].actions.size(), 2u);
}

TEST(CedarSchemaParser, ReservedWords) {
  for (const char* w : {"true", "false", "if", "then", "else", "in", "is", "like", "has"}) {
    std::string text = std::string("entity ") + w + ";";
    EXPECT_EQ(ParseError(text).message, "`" + std::string(w) + "` is a reserved identifier")
        << text;
    EXPECT_FALSE(SchemaFragment::FromCedar(std::string("type ") + w + " = Long;").ok());
    EXPECT_FALSE(SchemaFragment::FromCedar(std::string("action ") + w + ";").ok());
    EXPECT_TRUE(SchemaFragment::FromCedar(std::string("action \"") + w + "\";").ok());
  }
}

TEST(CedarSchemaParser, ReservedDeclarationNames) {
  for (const char* w :
       {"Bool", "Boolean", "Entity", "Extension", "Long", "Record", "Set", "String"}) {
    Error e = ParseError(std::string("type ") + w + " = Long;");
    EXPECT_EQ(e.code, ErrorCode::kSchema);
    EXPECT_NE(e.message.find("reserved type name"), std::string::npos) << e.message;
    EXPECT_EQ(e.pos.column, 6u);
    // The same words may name entity types.
    EXPECT_TRUE(SchemaFragment::FromCedar(std::string("entity ") + w + ";").ok()) << w;
  }
  EXPECT_TRUE(SchemaFragment::FromCedar("type ipaddr = Long;").ok());
  EXPECT_NE(ParseError("entity __cedar;").message.find("__cedar"), std::string::npos);
  EXPECT_NE(ParseError("type __cedar = Long;").message.find("__cedar"), std::string::npos);
  Error action = ParseError("namespace N {\n  entity Action;\n}");
  EXPECT_NE(action.message.find("`N::Action` cannot be declared as an entity type"),
            std::string::npos)
      << action.message;
  EXPECT_EQ(action.pos.line, 2u);
  EXPECT_TRUE(SchemaFragment::FromCedar("namespace Action { entity A; } type Action = Long;").ok());
}

TEST(CedarSchemaParser, DuplicateDeclarations) {
  Error e = ParseError("entity A;\nentity A;");
  EXPECT_EQ(e.message, "the entity type `A` is declared twice");
  EXPECT_EQ(e.pos.line, 2u);
  EXPECT_EQ(e.pos.column, 8u);
  EXPECT_NE(ParseError("namespace N { type T = Long; type T = Long; }")
                .message.find("common type `T` is declared twice in namespace `N`"),
            std::string::npos);
  EXPECT_NE(ParseError("action \"a\"; action a;").message.find("action \"a\" is declared twice"),
            std::string::npos);
  // A common type and an entity type may share a name.
  EXPECT_TRUE(SchemaFragment::FromCedar("type E = Long; entity E;").ok());
}

TEST(CedarSchemaParser, CommentsAndWhitespace) {
  SchemaFragment f =
      Parse("// leading\nentity E // after the name\n{ a: Long // after a type\n,\n}; // trailing");
  EXPECT_EQ(f.namespaces[0].entity_types[0].shape->attributes.size(), 1u);
  // Unicode whitespace separates tokens too.
  EXPECT_EQ(Parse("entity\xC2\xA0"
                  "E;")
                .namespaces[0]
                .entity_types[0]
                .name,
            "E");
}

TEST(CedarSchemaParser, GrammarErrorsCarryPositions) {
  Error e = ParseError("entity A;\nentity B {\n  a: Long\n  b: Long\n};");
  EXPECT_EQ(e.code, ErrorCode::kParse);
  EXPECT_EQ(e.pos.line, 4u);
  EXPECT_EQ(e.pos.column, 3u);
  EXPECT_EQ(e.message, "unexpected token `b`; expected `,`, `::`, or `}`");
  EXPECT_EQ(e.ToString(), "4:3: unexpected token `b`; expected `,`, `::`, or `}`");

  // Columns count characters.
  Error u = ParseError("entity E { \"\xC3\xA9\": Long, ! };");
  EXPECT_EQ(u.pos.column, 23u);  // 24 if bytes were counted

  EXPECT_EQ(ParseError(";").message,
            "unexpected token `;`; expected `@`, `action`, `entity`, `namespace`, or `type`");
  EXPECT_EQ(ParseError("entity A;;").pos.column, 10u);
  EXPECT_EQ(ParseError("entity A { a: Long ").message,
            "unexpected end of input; expected `,`, `::`, or `}`");
  EXPECT_NE(ParseError("entity A tags Long { x: Long };").message.find("expected `;`"),
            std::string::npos);
  EXPECT_NE(ParseError("entity E = T; type T = {};").message.find("expected `{`"),
            std::string::npos);
  EXPECT_NE(ParseError("entity E tags;").message.find("expected `{`, identifier, or `Set`"),
            std::string::npos);
  EXPECT_NE(ParseError("entity E, ;").message.find("expected identifier"), std::string::npos);
  EXPECT_NE(ParseError("entity N::E;").message.find("unexpected token `::`"), std::string::npos);
  EXPECT_NE(ParseError("type N::T = Long;").message.find("unexpected token `::`"),
            std::string::npos);
  EXPECT_NE(ParseError("entity E { a?? : Long };").message.find("expected `:`"), std::string::npos);
  EXPECT_NE(ParseError("entity E { a: Long,, };").message.find("unexpected token `,`"),
            std::string::npos);
  EXPECT_NE(ParseError("entity A { a: Set<> };").message.find("unexpected token `>`"),
            std::string::npos);
  EXPECT_NE(ParseError("entity E in [F,];").message.find("expected identifier"), std::string::npos);
  EXPECT_NE(ParseError("entity A { a: \"Long\" };").message.find("unexpected token `\"Long\"`"),
            std::string::npos);
}

TEST(CedarSchemaParser, LexicalErrors) {
  Error bad_escape = ParseError("entity A { \"\\q\": Long };");
  EXPECT_EQ(bad_escape.code, ErrorCode::kParse);
  EXPECT_NE(bad_escape.message.find("not a valid escape"), std::string::npos);
  EXPECT_NE(ParseError("entity A { \"\\u{110000}\": Long };").message.find("escape"),
            std::string::npos);
  EXPECT_NE(ParseError("entity \xE2\x98\x83;").message.find("unexpected character"),
            std::string::npos);
  EXPECT_NE(ParseError("entity A { \"open: Long };").message.find("unterminated"),
            std::string::npos);
}

TEST(CedarSchemaParser, StringEscapes) {
  SchemaFragment f = Parse(R"(action "\x41\t\0\u{e9}\\\"";)");
  EXPECT_EQ(f.namespaces[0].actions[0].name, std::string("A\t\0\xC3\xA9\\\"", 7));
}

TEST(CedarSchemaParser, DeepNestingIsAnErrorNotACrash) {
  auto nested = [](int levels, bool records) {
    std::string text = "entity E { a: ";
    for (int i = 0; i < levels; ++i) text += records ? "{ a: " : "Set<";
    text += "Long";
    for (int i = 0; i < levels; ++i) text += records ? " }" : ">";
    return text + " };";
  };
  EXPECT_TRUE(SchemaFragment::FromCedar(nested(500, false)).ok());
  EXPECT_TRUE(SchemaFragment::FromCedar(nested(500, true)).ok());
  Error e = ParseError(nested(600, false));
  EXPECT_EQ(e.message, "types are nested too deeply (more than 512 levels)");
  EXPECT_EQ(e.pos.column, 15u + 4 * 512);  // the 513th level
  EXPECT_FALSE(SchemaFragment::FromCedar(nested(100000, true)).ok());
}

TEST(CedarSchemaParser, PositionsOfDeclarations) {
  SchemaFragment f = Parse("namespace N {\n  entity A in [B];\n  action \"x\";\n}");
  const SchemaNamespace& ns = f.namespaces[0];
  EXPECT_EQ(ns.pos.line, 1u);
  EXPECT_EQ(ns.pos.column, 11u);
  EXPECT_EQ(ns.entity_types[0].pos.line, 2u);
  EXPECT_EQ(ns.entity_types[0].pos.column, 10u);
  EXPECT_EQ(ns.entity_types[0].member_of_types[0].pos.column, 16u);
  EXPECT_EQ(ns.actions[0].pos.line, 3u);
  EXPECT_EQ(ns.actions[0].pos.column, 10u);
}

}  // namespace
}  // namespace cedar
