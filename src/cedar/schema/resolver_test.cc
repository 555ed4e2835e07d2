#include <gtest/gtest.h>

#include "cedar/schema.h"
#include "cedar/schema_fragment.h"

namespace cedar {
namespace {

using K = SchemaType::Kind;

Schema Resolve(std::string_view text) {
  auto s = Schema::FromCedar(text);
  EXPECT_TRUE(s.ok()) << text << "\n" << (s.ok() ? "" : s.error().ToString());
  return s.ok() ? std::move(s).value() : Schema{};
}

Schema ResolveJson(std::string_view text) {
  auto s = Schema::FromJson(text);
  EXPECT_TRUE(s.ok()) << text << "\n" << (s.ok() ? "" : s.error().ToString());
  return s.ok() ? std::move(s).value() : Schema{};
}

Error ResolveError(std::string_view text) {
  auto s = Schema::FromCedar(text);
  EXPECT_FALSE(s.ok()) << text;
  return s.ok() ? Error{} : s.error();
}

Error ResolveJsonError(std::string_view text) {
  auto s = Schema::FromJson(text);
  EXPECT_FALSE(s.ok()) << text;
  return s.ok() ? Error{} : s.error();
}

// The type of attribute `attr` of entity type `entity`.
const SchemaType& Attr(const Schema& s, std::string_view entity, const std::string& attr) {
  const EntityTypeDef* e = s.FindEntityType(entity);
  EXPECT_NE(e, nullptr) << entity;
  static const SchemaType kNone;
  if (e == nullptr || e->shape->attributes.count(attr) == 0) {
    ADD_FAILURE() << "no attribute " << attr << " in " << entity;
    return kNone;
  }
  return *e->shape->attributes.at(attr).type;
}

// The entity type an attribute's type names, or "<kind>" for a type that is not an entity.
std::string EntityName(const SchemaType& t) {
  return t.kind == K::kEntity ? t.name : "<" + t.ToString() + ">";
}

std::string ResolvedAs(std::string_view text, std::string_view entity, const std::string& attr) {
  Schema s = Resolve(text);
  return Attr(s, entity, attr).ToString() +
         (Attr(s, entity, attr).kind == K::kEntity ? " entity" : "");
}

TEST(SchemaResolver, EntityTypeDefinition) {
  Schema s = Resolve(R"(
    namespace App {
      @doc("a user")
      entity User in [Group, Group] = {
        name: String,
        age?: Long,
        active: Bool,
        friends: Set<User>,
        ip: ipaddr,
        @doc("when") at: datetime,
        span: duration,
        limit: decimal,
        address: { street: String, "zip code"?: String },
      } tags Set<String>;
      entity Group;
      entity Color enum ["red", "green"];
    }
  )");
  ASSERT_EQ(s.entity_types().size(), 3u);
  const EntityTypeDef* user = s.FindEntityType("App::User");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->name, "App::User");
  EXPECT_EQ(user->member_of, std::vector<std::string>{"App::Group"});  // repeats dropped
  EXPECT_EQ(user->annotations, (Annotations{{"doc", "a user"}}));
  const auto& attrs = user->shape->attributes;
  ASSERT_EQ(attrs.size(), 9u);
  EXPECT_EQ(attrs.at("name").type->kind, K::kString);
  EXPECT_TRUE(attrs.at("name").required);
  EXPECT_EQ(attrs.at("age").type->kind, K::kLong);
  EXPECT_FALSE(attrs.at("age").required);
  EXPECT_EQ(attrs.at("active").type->kind, K::kBool);
  EXPECT_EQ(attrs.at("friends").type->ToString(), "Set<App::User>");
  EXPECT_EQ(attrs.at("friends").type->element->kind, K::kEntity);
  EXPECT_EQ(attrs.at("ip").type->kind, K::kExtension);
  EXPECT_EQ(attrs.at("ip").type->name, "ipaddr");
  EXPECT_EQ(attrs.at("at").type->name, "datetime");
  EXPECT_EQ(attrs.at("at").annotations, (Annotations{{"doc", "when"}}));
  EXPECT_EQ(attrs.at("span").type->name, "duration");
  EXPECT_EQ(attrs.at("limit").type->name, "decimal");
  EXPECT_EQ(attrs.at("address").type->ToString(), "{ street: String, \"zip code\"?: String }");
  ASSERT_NE(user->tags, nullptr);
  EXPECT_EQ(user->tags->ToString(), "Set<String>");
  EXPECT_FALSE(user->enum_ids.has_value());

  const EntityTypeDef* group = s.FindEntityType("App::Group");
  ASSERT_NE(group, nullptr);
  ASSERT_NE(group->shape, nullptr);
  EXPECT_EQ(group->shape->kind, K::kRecord);
  EXPECT_TRUE(group->shape->attributes.empty());
  EXPECT_EQ(group->tags, nullptr);
  EXPECT_EQ(*s.FindEntityType("App::Color")->enum_ids, (std::vector<std::string>{"red", "green"}));
  EXPECT_EQ(s.FindEntityType("User"), nullptr);
}

TEST(SchemaResolver, Actions) {
  Schema s = Resolve(R"(
    entity User;
    entity Photo;
    namespace App {
      entity Doc;
      action read;
      @doc("view") action view in [read, Action::"all"] appliesTo {
        principal: [User, User],
        resource: [Doc, Photo],
        context: { ip: ipaddr },
      };
      action edit in [App::Action::"read"] appliesTo { principal: User, resource: Doc };
    }
    action all;
  )");
  ASSERT_EQ(s.actions().size(), 4u);
  const ActionDef* view = s.FindAction("App::Action", "view");
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(view->uid, (ActionRef{"App::Action", "view"}));
  // `read` is App's own; `Action::"all"` is not declared in App, so it is the empty
  // namespace's.
  EXPECT_EQ(view->member_of, (std::vector<ActionRef>{{"App::Action", "read"}, {"Action", "all"}}));
  EXPECT_TRUE(view->has_applies_to);
  EXPECT_EQ(view->principal_types, std::vector<std::string>{"User"});
  EXPECT_EQ(view->resource_types, (std::vector<std::string>{"App::Doc", "Photo"}));
  EXPECT_EQ(view->context->ToString(), "{ ip: ipaddr }");
  EXPECT_EQ(view->annotations, (Annotations{{"doc", "view"}}));

  const ActionDef* edit = s.FindAction("App::Action", "edit");
  EXPECT_EQ(edit->member_of, (std::vector<ActionRef>{{"App::Action", "read"}}));
  EXPECT_EQ(edit->context->kind, K::kRecord);
  EXPECT_TRUE(edit->context->attributes.empty());

  const ActionDef* read = s.FindAction("App::Action", "read");
  EXPECT_FALSE(read->has_applies_to);
  EXPECT_TRUE(read->principal_types.empty());
  EXPECT_TRUE(read->resource_types.empty());
  EXPECT_TRUE(read->context->attributes.empty());

  EXPECT_TRUE(s.IsActionType("App::Action"));
  EXPECT_TRUE(s.IsActionType("Action"));
  EXPECT_FALSE(s.IsActionType("User"));
  auto ancestors = s.ActionAncestors({"App::Action", "edit"});
  EXPECT_EQ(ancestors, (std::vector<ActionRef>{{"App::Action", "read"}}));
  auto view_ancestors = s.ActionAncestors({"App::Action", "view"});
  EXPECT_EQ(view_ancestors.size(), 2u);
}

TEST(SchemaResolver, UnqualifiedParentActionPrefersTheOwnNamespace) {
  Schema s = Resolve("namespace N { action a in [b, Action::\"c\"]; action b; action c; }");
  EXPECT_EQ(s.FindAction("N::Action", "a")->member_of,
            (std::vector<ActionRef>{{"N::Action", "b"}, {"N::Action", "c"}}));
  Schema t = Resolve("namespace N { action a in [b]; } action b;");
  EXPECT_EQ(t.FindAction("N::Action", "a")->member_of, (std::vector<ActionRef>{{"Action", "b"}}));
  Schema u = Resolve("namespace N { action a in [M::Action::\"b\"]; } namespace M { action b; }");
  EXPECT_EQ(u.FindAction("N::Action", "a")->member_of,
            (std::vector<ActionRef>{{"M::Action", "b"}}));
}

TEST(SchemaResolver, ActionParentErrors) {
  Error e = ResolveError("action a in [c];");
  EXPECT_EQ(e.code, ErrorCode::kSchema);
  EXPECT_EQ(e.message,
            "Action::\"c\" in the parents of action Action::\"a\" is not a declared action");
  EXPECT_EQ(e.pos.column, 14u);
  EXPECT_NE(
      ResolveError("namespace N { action a in [b]; }").message.find("(nor is N::Action::\"b\")"),
      std::string::npos);
  EXPECT_NE(ResolveError("namespace N { action a in [N::Action::\"b\"]; } action b;")
                .message.find("N::Action::\"b\" in the parents"),
            std::string::npos);
  EXPECT_NE(ResolveError("entity Foo; action a in [Foo::\"b\"];").message.find("Foo::\"b\""),
            std::string::npos);
}

TEST(SchemaResolver, ActionCycles) {
  EXPECT_EQ(ResolveError("action a in [a];").message,
            "the action hierarchy has a cycle: Action::\"a\" -> Action::\"a\"");
  EXPECT_NE(ResolveError("action a in [b]; action b in [c]; action c in [d]; action d in [b];")
                .message.find("Action::\"b\" -> Action::\"c\" -> Action::\"d\" -> Action::\"b\""),
            std::string::npos);
  EXPECT_NE(ResolveError("namespace N { action a in [M::Action::\"b\"]; }"
                         "namespace M { action b in [N::Action::\"a\"]; }")
                .message.find("cycle"),
            std::string::npos);
  // A diamond is not a cycle.
  Resolve("action a in [b, c]; action b in [d]; action c in [d]; action d;");
}

TEST(SchemaResolver, DeepActionHierarchy) {
  std::string text = "action a0;";
  for (int i = 1; i < 5000; ++i) {
    text += " action a" + std::to_string(i) + " in [a" + std::to_string(i - 1) + "];";
  }
  Schema s = Resolve(text);
  EXPECT_EQ(s.ActionAncestors({"Action", "a4999"}).size(), 4999u);
}

TEST(SchemaResolver, UnqualifiedNameOrder) {
  // The namespace's common type, then its entity type, then the empty namespace's common type,
  // then its entity type, then the built-in type.
  EXPECT_EQ(ResolvedAs("entity N; namespace NS { entity A { a: N }; }", "NS::A", "a"), "N entity");
  // A namespace's own declaration cannot have the name of one in the empty namespace (see
  // Shadowing), except that the action type `NS::Action` may meet a common type `Action`.
  EXPECT_EQ(ResolvedAs("type Action = Long; namespace NS { action a; entity A { a: Action }; }",
                       "NS::A", "a"),
            "NS::Action entity");
  EXPECT_EQ(
      ResolvedAs("type Action = Long; namespace NS { entity A { a: Action }; }", "NS::A", "a"),
      "Long");
  EXPECT_EQ(ResolvedAs("type Action = Long; action b; namespace NS { entity A { a: Action }; }",
                       "NS::A", "a"),
            "Long");
  EXPECT_EQ(ResolvedAs("type N = Long; namespace NS { entity A { a: N }; }", "NS::A", "a"), "Long");
  EXPECT_EQ(
      ResolvedAs("namespace NS { type N = String; entity N; entity A { a: N }; }", "NS::A", "a"),
      "String");
  EXPECT_EQ(ResolvedAs("type E = Long; entity E; entity F { x: E };", "F", "x"), "Long");
  EXPECT_EQ(ResolvedAs("entity String; entity E { a: String };", "E", "a"), "String entity");
  EXPECT_EQ(ResolvedAs("entity String; entity E { a: __cedar::String };", "E", "a"), "String");
  EXPECT_EQ(ResolvedAs("type ipaddr = Long; entity E { a: ipaddr };", "E", "a"), "Long");
  EXPECT_EQ(ResolvedAs("type ipaddr = Long; entity E { a: __cedar::ipaddr };", "E", "a"), "ipaddr");
  EXPECT_EQ(ResolvedAs("type ipaddr = Long; namespace N { entity F { a: ipaddr }; }", "N::F", "a"),
            "Long");
  // Declarations after the use count too.
  EXPECT_EQ(ResolvedAs("namespace NS { entity A { a: N }; type N = { x: Long }; }", "NS::A", "a"),
            "{ x: Long }");
}

TEST(SchemaResolver, QualifiedNames) {
  Schema s = Resolve(R"(
    namespace A { type T = Long; entity B; }
    namespace A::B { type T = String; entity C { x: T, y: A::T, z: A::B, w: A::B::C }; }
  )");
  EXPECT_EQ(Attr(s, "A::B::C", "x").kind, K::kString);
  EXPECT_EQ(Attr(s, "A::B::C", "y").kind, K::kLong);
  EXPECT_EQ(EntityName(Attr(s, "A::B::C", "z")), "A::B");
  EXPECT_EQ(EntityName(Attr(s, "A::B::C", "w")), "A::B::C");
  EXPECT_NE(ResolveError("type A = Long; entity E { a: N::A };")
                .message.find("unknown common or entity type `N::A`"),
            std::string::npos);
}

TEST(SchemaResolver, CedarNamespaceNamesBuiltins) {
  Schema s = Resolve(R"(
    entity Long; entity Bool;
    entity A {
      a: __cedar::Long, b: __cedar::Bool, c: __cedar::String, d: __cedar::decimal,
      e: __cedar::datetime, f: __cedar::duration, g: __cedar::ipaddr, h: Long, i: Bool,
    };
  )");
  EXPECT_EQ(Attr(s, "A", "a").kind, K::kLong);
  EXPECT_EQ(Attr(s, "A", "b").kind, K::kBool);
  EXPECT_EQ(Attr(s, "A", "c").kind, K::kString);
  EXPECT_EQ(Attr(s, "A", "d").name, "decimal");
  EXPECT_EQ(Attr(s, "A", "e").name, "datetime");
  EXPECT_EQ(Attr(s, "A", "f").name, "duration");
  EXPECT_EQ(Attr(s, "A", "g").name, "ipaddr");
  EXPECT_EQ(EntityName(Attr(s, "A", "h")), "Long");
  EXPECT_EQ(EntityName(Attr(s, "A", "i")), "Bool");
  EXPECT_NE(ResolveError("entity A { a: __cedar::Boolean };").message.find("`__cedar::Boolean`"),
            std::string::npos);
  EXPECT_NE(ResolveError("entity A { a: __cedar::Foo };").message.find("built-in types"),
            std::string::npos);
  // `Boolean` is the JSON keyword, not a type name.
  EXPECT_NE(ResolveError("entity A { a: Boolean };").message.find("unknown common or entity type"),
            std::string::npos);
}

TEST(SchemaResolver, CommonTypesInline) {
  Schema s = Resolve(R"(
    type Name = String;
    type Person = { name: Name, nick?: Name, friends: Set<Person2> };
    type Person2 = { id: Long };
    entity User = { me: Person, other: Person2 } tags Name;
    action a appliesTo { principal: User, resource: User, context: Person2 };
  )");
  EXPECT_EQ(Attr(s, "User", "me").ToString(),
            "{ friends: Set<{ id: Long }>, name: String, nick?: String }");
  EXPECT_EQ(s.FindEntityType("User")->tags->kind, K::kString);
  EXPECT_EQ(s.FindAction("Action", "a")->context->ToString(), "{ id: Long }");
}

TEST(SchemaResolver, CommonTypeCycles) {
  Error e = ResolveError("type A = B;\ntype B = A;");
  EXPECT_EQ(e.message, "common types refer to each other in a cycle: `A` -> `B` -> `A`");
  EXPECT_EQ(e.pos.line, 1u);
  EXPECT_NE(ResolveError("type A = { a: B }; type B = Set<A>; entity E;").message.find("cycle"),
            std::string::npos);
  EXPECT_NE(ResolveError("type A = A;").message.find("`A` -> `A`"), std::string::npos);
  EXPECT_NE(
      ResolveError("namespace N { type A = B; type B = M::C; } namespace M { type C = N::A; }")
          .message.find("`N::A` -> `N::B` -> `M::C` -> `N::A`"),
      std::string::npos);
  // Unused common types are checked too.
  EXPECT_NE(ResolveError("type T = Foo;").message.find("unknown common or entity type `Foo`"),
            std::string::npos);
}

TEST(SchemaResolver, LongCommonTypeChains) {
  // Resolution does not recurse through common types, so long chains are fine.
  std::string text;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    text += "type A" + std::to_string(i) + " = A" + std::to_string(i + 1) + ";\n";
  }
  text += "type A" + std::to_string(n) + " = { x: Long }; entity E { a: A0 };";
  Schema s = Resolve(text);
  EXPECT_EQ(Attr(s, "E", "a").ToString(), "{ x: Long }");
  text += "type A" + std::to_string(n + 1) + " = A0;";
  text.replace(text.find("type A100000 = { x: Long }"), 26, "type A100000 = A100001");
  EXPECT_NE(ResolveError(text).message.find("cycle"), std::string::npos);
}

TEST(SchemaResolver, UndeclaredNames) {
  Error e = ResolveError("entity E in [F];");
  EXPECT_EQ(e.message,
            "unknown entity type `F` in the parents of entity type `E`: it is not declared");
  EXPECT_EQ(e.pos.column, 14u);
  EXPECT_EQ(ResolveError("namespace N { entity E { a: Set<Foo> }; }").message,
            "unknown common or entity type `Foo` in the attributes of entity type `N::E`: neither "
            "`N::Foo` nor `Foo` is declared, and it is not a built-in type");
  EXPECT_NE(ResolveError("entity E tags Foo;").message.find("the tags of entity type `E`"),
            std::string::npos);
  EXPECT_NE(ResolveError("action a appliesTo { principal: F, resource: E }; entity E;")
                .message.find("unknown entity type `F` in the principal types of action"),
            std::string::npos);
  EXPECT_NE(ResolveError("action a appliesTo { principal: E, resource: F }; entity E;")
                .message.find("resource types"),
            std::string::npos);
  // A context written as a name must be a common type (or built-in), never an entity type.
  EXPECT_NE(
      ResolveError("namespace N { action a appliesTo { principal: E, resource: E, context: E }; "
                   "entity E; }")
          .message.find("unknown common type `E` in the context of action N::Action::\"a\""),
      std::string::npos);
  // Principal, resource and parent types name entity types only.
  EXPECT_NE(ResolveError("action a appliesTo { principal: T, resource: E }; entity E; type T = E;")
                .message.find("unknown entity type `T`"),
            std::string::npos);
}

TEST(SchemaResolver, ShapesAndContextsAreRecords) {
  EXPECT_EQ(ResolveError("action a appliesTo { principal: E, resource: E, context: T };\n"
                         "entity E; type T = Long;")
                .message,
            "the context of action Action::\"a\" must be a record type, but it is `Long`");
  EXPECT_NE(
      ResolveError("action a appliesTo { principal: E, resource: E, context: ipaddr }; entity E;")
          .message.find("must be a record type, but it is `ipaddr`"),
      std::string::npos);
  EXPECT_NE(ResolveJsonError(
                R"({"": {"entityTypes": {"E": {"shape": {"type": "Long"}}}, "actions": {}}})")
                .message.find("the shape of entity type `E` must be a record type"),
            std::string::npos);
  Schema s = ResolveJson(R"({"": {"entityTypes": {"E": {"shape": {"type": "T"}}}, "actions": {},
                              "commonTypes": {"T": {"type": "Record",
                                "attributes": {"x": {"type": "Long"}}}}}})");
  EXPECT_EQ(s.FindEntityType("E")->shape->ToString(), "{ x: Long }");
}

TEST(SchemaResolver, ActionTypesAsAttributeTypes) {
  Schema s = Resolve("action a; entity E { a: Action };");
  EXPECT_EQ(EntityName(Attr(s, "E", "a")), "Action");
  Schema t = Resolve("namespace N { entity E { a: Action }; action x; } action y;");
  EXPECT_EQ(EntityName(Attr(t, "N::E", "a")), "N::Action");
  Schema u = Resolve("namespace N { entity E { a: Action }; } action x;");
  EXPECT_EQ(EntityName(Attr(u, "N::E", "a")), "Action");
  EXPECT_FALSE(Schema::FromCedar("entity E { a: Action };").ok());
  // ... but not as parents, principals or resources.
  EXPECT_NE(ResolveError("action a appliesTo { principal: Action, resource: Action };")
                .message.find("`Action` in the principal types of action Action::\"a\" is the "
                              "type of actions, not a declared entity type"),
            std::string::npos);
  EXPECT_NE(ResolveError("action a; entity E in [Action];").message.find("type of actions"),
            std::string::npos);
}

TEST(SchemaResolver, Shadowing) {
  Error e = ResolveError("entity A;\nnamespace N { entity A; }");
  EXPECT_EQ(e.message,
            "the declaration of `N::A` shadows `A`, declared outside any namespace; rename one of "
            "them");
  EXPECT_EQ(e.pos.line, 2u);
  EXPECT_FALSE(Schema::FromCedar("type T = Long; namespace N { type T = String; }").ok());
  EXPECT_FALSE(Schema::FromCedar("entity T; namespace N { type T = String; }").ok());
  EXPECT_FALSE(Schema::FromCedar("type T = Long; namespace N { entity T; }").ok());
  EXPECT_EQ(ResolveError("action a; namespace N { action a; }").message,
            "the declaration of N::Action::\"a\" shadows Action::\"a\", declared outside any "
            "namespace; rename one of them");
  // Only the empty namespace is protected, and only declarations of the same name.
  Resolve("namespace A { type T = Long; } namespace A::B { type T = String; }");
  Resolve("type Action = Long; namespace N { action a; }");
  Resolve("entity A; namespace N { entity B; }");
}

TEST(SchemaResolver, DeclarationChecksApplyToBuiltFragments) {
  SchemaFragment f;
  f.namespaces.push_back({});
  f.namespaces[0].common_types.push_back({"Set", SchemaTypeExpr::Named("Long"), {}, {}});
  auto s = Schema::FromFragment(f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("reserved type name"), std::string::npos);

  SchemaFragment g;
  g.namespaces.push_back({});
  g.namespaces[0].entity_types.push_back({});
  g.namespaces[0].entity_types[0].name = "E";
  g.namespaces[0].entity_types[0].enum_ids = std::vector<std::string>{};
  EXPECT_FALSE(Schema::FromFragment(g).ok());

  SchemaFragment h;
  h.namespaces.push_back({});
  h.namespaces[0].annotations = {{"doc", "x"}};
  EXPECT_FALSE(Schema::FromFragment(h).ok());

  SchemaFragment set;
  set.namespaces.push_back({});
  set.namespaces[0].common_types.push_back({"T", SchemaTypeExpr{}, {}, {}});
  set.namespaces[0].common_types[0].type.kind = SchemaTypeExpr::Kind::kSet;
  auto no_element = Schema::FromFragment(set);
  ASSERT_FALSE(no_element.ok());
  EXPECT_NE(no_element.error().message.find("without an element type"), std::string::npos);
  EXPECT_FALSE(set.ToCedar().ok());
}

TEST(SchemaResolver, JsonForms) {
  Schema s = ResolveJson(R"({"N": {
    "commonTypes": {"T": {"type": "Long"}, "ipaddr": {"type": "String"}},
    "entityTypes": {
      "E": {"shape": {"type": "Record", "attributes": {
        "a": {"type": "Entity", "name": "E"},
        "b": {"type": "EntityOrCommon", "name": "T"},
        "c": {"type": "T"},
        "d": {"type": "ipaddr"},
        "e": {"type": "Extension", "name": "ipaddr"},
        "f": {"type": "Bool"},
        "g": {"type": "Boolean"},
        "h": {"type": "__cedar::ipaddr"},
        "i": {"type": "EntityOrCommon", "name": "Bool"}
      }}}
    },
    "actions": {}}})");
  EXPECT_EQ(EntityName(Attr(s, "N::E", "a")), "N::E");
  EXPECT_EQ(Attr(s, "N::E", "b").kind, K::kLong);
  EXPECT_EQ(Attr(s, "N::E", "c").kind, K::kLong);
  EXPECT_EQ(Attr(s, "N::E", "d").kind, K::kString);  // the common type wins
  EXPECT_EQ(Attr(s, "N::E", "e").name, "ipaddr");    // "Extension" is always the built-in
  EXPECT_EQ(Attr(s, "N::E", "f").kind, K::kBool);
  EXPECT_EQ(Attr(s, "N::E", "g").kind, K::kBool);
  EXPECT_EQ(Attr(s, "N::E", "h").name, "ipaddr");
  EXPECT_EQ(Attr(s, "N::E", "i").kind, K::kBool);
  // {"type": name} never names an entity type; "Entity" never names a common type.
  EXPECT_NE(ResolveJsonError(R"({"": {"entityTypes": {"E": {"shape": {"type": "Record",
              "attributes": {"a": {"type": "E"}}}}}, "actions": {}}})")
                .message.find("unknown common type `E`"),
            std::string::npos);
  EXPECT_NE(ResolveJsonError(R"({"": {"entityTypes": {"E": {"shape": {"type": "Record",
              "attributes": {"a": {"type": "Entity", "name": "T"}}}}}, "actions": {},
              "commonTypes": {"T": {"type": "Long"}}}})")
                .message.find("unknown entity type `T`"),
            std::string::npos);
  EXPECT_FALSE(Schema::FromJson(R"({"": {"entityTypes": {"E": {"shape": {"type": "Record",
              "attributes": {"a": {"type": "EntityOrCommon", "name": "Boolean"}}}}},
              "actions": {}}})")
                   .ok());
}

TEST(SchemaResolver, JsonActions) {
  Schema s = ResolveJson(R"({
    "N": {"entityTypes": {"E": {}}, "actions": {
      "a": {"memberOf": [{"id": "b"}, {"id": "c", "type": "Action"},
                         {"id": "d", "type": "M::Action"}],
            "appliesTo": {"principalTypes": ["E", "E"], "resourceTypes": ["E"]}},
      "b": {"appliesTo": {"principalTypes": ["E"], "resourceTypes": []}},
      "c": {"appliesTo": {"principalTypes": [], "resourceTypes": [],
                          "context": {"type": "Record", "attributes": {"x": {"type": "Long"}}}}}
    }},
    "M": {"entityTypes": {}, "actions": {"d": {}}}
  })");
  const ActionDef* a = s.FindAction("N::Action", "a");
  EXPECT_EQ(a->member_of,
            (std::vector<ActionRef>{{"N::Action", "b"}, {"N::Action", "c"}, {"M::Action", "d"}}));
  EXPECT_EQ(a->principal_types, std::vector<std::string>{"N::E"});
  // An empty principal or resource list applies to nothing, like no appliesTo.
  for (const char* id : {"b", "c"}) {
    const ActionDef* d = s.FindAction("N::Action", id);
    EXPECT_FALSE(d->has_applies_to) << id;
    EXPECT_TRUE(d->principal_types.empty());
    EXPECT_TRUE(d->resource_types.empty());
    EXPECT_TRUE(d->context->attributes.empty());
  }
  // ... and is still checked.
  EXPECT_FALSE(Schema::FromJson(R"({"": {"entityTypes": {}, "actions": {"a": {"appliesTo":
      {"principalTypes": ["Nope"], "resourceTypes": []}}}}})")
                   .ok());
}

TEST(SchemaResolver, BothFormatsResolveAlike) {
  Schema text = Resolve(R"(
    namespace App {
      type Ctx = { ip: ipaddr, "user agent"?: String };
      entity User in [Group] { name: String, groups: Set<Group> } tags Long;
      entity Group;
      entity Kind enum ["a", "b"];
      action read;
      action view in [read] appliesTo { principal: [User], resource: [Group, Kind], context: Ctx };
    }
  )");
  Schema json = ResolveJson(R"({"App": {
    "commonTypes": {"Ctx": {"type": "Record", "attributes": {
      "ip": {"type": "Extension", "name": "ipaddr"},
      "user agent": {"type": "String", "required": false}}}},
    "entityTypes": {
      "User": {"memberOfTypes": ["Group"], "shape": {"type": "Record", "attributes": {
        "name": {"type": "String"},
        "groups": {"type": "Set", "element": {"type": "Entity", "name": "Group"}}}},
        "tags": {"type": "Long"}},
      "Group": {},
      "Kind": {"enum": ["a", "b"]}},
    "actions": {
      "read": {},
      "view": {"memberOf": [{"id": "read"}], "appliesTo": {"principalTypes": ["User"],
               "resourceTypes": ["Group", "Kind"], "context": {"type": "Ctx"}}}}}})");
  EXPECT_TRUE(text == json);
}

TEST(SchemaResolver, EqualityIsDeep) {
  Schema a = Resolve("entity E { a: Set<{ b: Long }> };");
  Schema b = Resolve("entity E { a: Set<{ b: Long }> };");
  Schema c = Resolve("entity E { a: Set<{ b?: Long }> };");
  Schema d = Resolve("entity E { a: Set<{ @x b: Long }> };");
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_FALSE(a == d);
}

}  // namespace
}  // namespace cedar
