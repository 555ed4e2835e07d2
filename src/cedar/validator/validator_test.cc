#include "cedar/validator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cedar/policy.h"
#include "cedar/schema.h"

namespace cedar {
namespace {

constexpr const char* kSchema = R"(
entity Group { name: String };
entity User in [Group] {
  name: String, age: Long, opt?: Long, mgr?: User,
  rec: { a: Long, b?: String }, strs: Set<String>, addr: ipaddr, born: datetime
} tags String;
entity Doc { owner: User };
entity Color enum ["red", "green"];
action read, write appliesTo {
  principal: [User], resource: [Doc], context: { flag: Bool, o?: Long, who: User }
};
action view in [read] appliesTo { principal: [User, Group], resource: [Doc, User] };
action nothing;
)";

class ValidatorTest : public ::testing::Test {
 protected:
  // Validates `policies` against `schema`; the text is kept for positions.
  ValidationResult Check(const std::string& policies, const ValidationOptions& options = {},
                         const char* schema = kSchema) {
    text_ = policies;
    auto s = Schema::FromCedar(schema);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    auto p = PolicySet::Parse(policies);
    EXPECT_TRUE(p.ok()) << p.error().ToString();
    if (!s.ok() || !p.ok()) return {};
    return Validate(*s, *p, options);
  }

  // The line and column where the `nth` occurrence of `needle` starts in the policy text.
  std::pair<uint32_t, uint32_t> Where(std::string_view needle, int nth = 0) const {
    size_t at = text_.find(needle);
    for (int i = 0; i < nth && at != std::string::npos; ++i) at = text_.find(needle, at + 1);
    EXPECT_NE(at, std::string::npos) << needle;
    uint32_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return {line, col};
  }

  static std::vector<ValidationIssue> Of(const ValidationResult& r, ValidationCode code) {
    std::vector<ValidationIssue> out;
    for (const auto* list : {&r.errors, &r.warnings}) {
      for (const auto& i : *list) {
        if (i.code == code) out.push_back(i);
      }
    }
    return out;
  }

  // Exactly one issue of `code`, in policy `id`, starting where `needle` does.
  void ExpectOne(const ValidationResult& r, ValidationCode code, std::string_view needle,
                 const std::string& id = "policy0", int nth = 0) {
    auto found = Of(r, code);
    ASSERT_EQ(found.size(), 1u) << ValidationCodeName(code) << "\n" << Dump(r);
    EXPECT_EQ(found[0].policy_id, id);
    auto [line, col] = Where(needle, nth);
    EXPECT_EQ(found[0].pos.line, line) << found[0].ToString();
    EXPECT_EQ(found[0].pos.column, col) << found[0].ToString();
    EXPECT_FALSE(found[0].message.empty());
  }

  static std::string Dump(const ValidationResult& r) {
    std::string out;
    for (const auto& i : r.errors) out += i.ToString() + "\n";
    for (const auto& i : r.warnings) out += i.ToString() + "\n";
    return out;
  }

  std::string text_;
};

// ---- errors ----

TEST_F(ValidatorTest, ValidPolicyHasNoIssues) {
  auto r = Check(R"(permit(principal is User, action == Action::"read", resource)
when { principal.age > 3 && resource.owner == principal && context.flag };)");
  EXPECT_TRUE(r.ok()) << Dump(r);
  EXPECT_TRUE(r.warnings.empty()) << Dump(r);
}

TEST_F(ValidatorTest, UnrecognizedEntityTypeInScopeAndConditions) {
  auto r = Check(R"(permit(principal, action, resource)
when { principal is Usr };)");
  EXPECT_FALSE(r.ok());
  ExpectOne(r, ValidationCode::kUnrecognizedEntityType, "Usr");
  r = Check("permit(principal in Grp::\"g\", action, resource);");
  ExpectOne(r, ValidationCode::kUnrecognizedEntityType, "Grp");
  // Checked even where the condition cannot run.
  r = Check("permit(principal, action, resource) when { false && Nope::\"x\" == principal };");
  ExpectOne(r, ValidationCode::kUnrecognizedEntityType, "Nope");
}

TEST_F(ValidatorTest, UnrecognizedAction) {
  auto r = Check(R"(permit(principal, action in [Action::"read",
  Action::"raed"], resource);)");
  EXPECT_FALSE(r.ok());
  ExpectOne(r, ValidationCode::kUnrecognizedAction, "Action::\"raed\"");
  r = Check("permit(principal, action, resource) when { action == Action::\"nope\" };");
  ExpectOne(r, ValidationCode::kUnrecognizedAction, "Action::\"nope\"");
}

TEST_F(ValidatorTest, InvalidEnumEntity) {
  auto r = Check(R"(permit(principal, action, resource) when { Color::"red" != Color::"blue" };)");
  EXPECT_FALSE(r.ok());
  ExpectOne(r, ValidationCode::kInvalidEnumEntity, "Color::\"blue\"");
}

TEST_F(ValidatorTest, UnexpectedType) {
  auto r = Check("permit(principal is User, action, resource) when { principal.age like \"1*\" };");
  ExpectOne(r, ValidationCode::kUnexpectedType, "principal.age");
  r = Check("permit(principal, action, resource) when { 1 };");
  ExpectOne(r, ValidationCode::kUnexpectedType, "1 }");
  r = Check("permit(principal is User, action, resource) when { principal.age < \"x\" };");
  ExpectOne(r, ValidationCode::kUnexpectedType, "\"x\"");
  r = Check("permit(principal, action, resource) when { principal in [1] };");
  ExpectOne(r, ValidationCode::kUnexpectedType, "[1]");
  r = Check(
      "permit(principal is User, action, resource) when { principal.born < duration(\"1h\") };");
  ExpectOne(r, ValidationCode::kUnexpectedType, "duration");
  r = Check("permit(principal is User, action, resource) when { principal.addr.isInRange(1) };");
  ExpectOne(r, ValidationCode::kUnexpectedType, "1) }");
}

TEST_F(ValidatorTest, IncompatibleTypes) {
  auto r = Check("permit(principal is User, action, resource) when { principal.age == \"a\" };");
  ExpectOne(r, ValidationCode::kIncompatibleTypes, "principal.age ==");
  r = Check("permit(principal, action, resource) when { [1, \"a\"].isEmpty() };");
  ExpectOne(r, ValidationCode::kIncompatibleTypes, "[1");
  r = Check(
      "permit(principal is User, action, resource) when { (if principal.age > 1 then 1 else "
      "\"a\") == 1 };");
  ExpectOne(r, ValidationCode::kIncompatibleTypes, "if principal");
  r = Check("permit(principal is User, action, resource) when { principal.strs.contains(1) };");
  ExpectOne(r, ValidationCode::kIncompatibleTypes, "principal.strs");
  // Different entity types are never compatible, even where their attributes would be.
  r = Check(
      "permit(principal is User, action, resource is Doc) when { [principal, resource]."
      "isEmpty() };");
  ExpectOne(r, ValidationCode::kIncompatibleTypes, "[principal");
  // Strict records: same attributes, same requiredness.
  r = Check("permit(principal is User, action, resource) when { principal.rec == {a: 1} };");
  ExpectOne(r, ValidationCode::kIncompatibleTypes, "principal.rec");
}

TEST_F(ValidatorTest, EqualityKnownFalseIsNotAnError) {
  // Two literals, or two different entity types: `==` is false, not a type error.
  auto r = Check(R"(permit(principal, action, resource) when { 1 == "a" };
permit(principal is User, action, resource is Doc) when { principal == resource };)");
  EXPECT_TRUE(r.ok()) << Dump(r);
  EXPECT_EQ(Of(r, ValidationCode::kImpossiblePolicy).size(), 2u);
}

TEST_F(ValidatorTest, AttributeNotFound) {
  auto r = Check(R"(permit(principal, action, resource)
when { principal.age > 1 };)");
  // Group has no `age`; User does.
  ExpectOne(r, ValidationCode::kAttributeNotFound, "principal.age");
  EXPECT_NE(Of(r, ValidationCode::kAttributeNotFound)[0].message.find("Group"), std::string::npos);
  r = Check("permit(principal is User, action, resource) when { principal.rec.c == 1 };");
  ExpectOne(r, ValidationCode::kAttributeNotFound, "principal.rec.c");
  EXPECT_NE(Of(r, ValidationCode::kAttributeNotFound)[0].message.find("rec.c"), std::string::npos);
}

TEST_F(ValidatorTest, OptionalAttributeNeedsGuard) {
  auto r = Check("permit(principal is User, action, resource) when { principal.opt > 1 };");
  ExpectOne(r, ValidationCode::kUnsafeOptionalAttributeAccess, "principal.opt");
  r = Check("permit(principal is User, action, resource) when { principal.rec.b like \"x\" };");
  ExpectOne(r, ValidationCode::kUnsafeOptionalAttributeAccess, "principal.rec.b");
  r = Check(R"(permit(principal is User, action == Action::"read", resource)
when { context.o > 1 };)");
  ExpectOne(r, ValidationCode::kUnsafeOptionalAttributeAccess, "context.o");
  // `||` keeps only what both sides establish; an `if` guard does not reach its else branch.
  r = Check(R"(permit(principal is User, action, resource)
when { principal has opt || principal.opt > 1 };)");
  ExpectOne(r, ValidationCode::kUnsafeOptionalAttributeAccess, "principal.opt");
  r = Check(R"(permit(principal is User, action, resource)
when { if principal has opt then principal.opt > 1 else principal.opt > 2 };)");
  ExpectOne(r, ValidationCode::kUnsafeOptionalAttributeAccess, "principal.opt", "policy0", 1);
}

TEST_F(ValidatorTest, GuardsFlowThroughAndOrIf) {
  auto r = Check(R"(
permit(principal is User, action, resource) when { principal has opt && principal.opt > 1 };
permit(principal is User, action, resource)
  when { (principal has opt || principal has opt) && principal.opt > 1 };
permit(principal is User, action, resource)
  when { if principal has opt then principal.opt > 1 else false };
permit(principal is User, action, resource)
  when { (if principal has opt then true else principal has opt) && principal.opt > 1 };
permit(principal is User, action, resource) when { principal has mgr.opt && principal.mgr.opt > 1 };
permit(principal is User, action, resource) when { principal.rec has b && principal.rec.b == "x" };
permit(principal is User, action, resource) when { principal has opt } when { principal.opt > 1 };
permit(principal is User, action, resource)
  when { principal.hasTag(principal.name) && principal.getTag(principal.name) == "v" };
)");
  EXPECT_TRUE(r.ok()) << Dump(r);
}

TEST_F(ValidatorTest, TagNeedsGuardForTheSameKey) {
  auto r = Check(R"(permit(principal is User, action, resource)
when { principal.hasTag("a") && principal.getTag("b") == "x" };)");
  ExpectOne(r, ValidationCode::kUnsafeTagAccess, "principal.getTag");
  // An entity type without tags: hasTag is false, so getTag is never guarded.
  r = Check("permit(principal, action, resource is Doc) when { resource.getTag(\"a\") == \"x\" };");
  ExpectOne(r, ValidationCode::kUnsafeTagAccess, "resource.getTag");
}

TEST_F(ValidatorTest, ExtensionFunctions) {
  auto r = Check("permit(principal, action, resource) when { ip(\"1.2.3.4\").isInRange() };");
  ExpectOne(r, ValidationCode::kWrongArgumentCount, "ip(");
  r = Check("permit(principal, action, resource) when { ip(\"1.2.3\").isIpv4() };");
  ExpectOne(r, ValidationCode::kInvalidExtensionArgument, "ip(");
  r = Check(
      "permit(principal, action, resource) when { decimal(\"1.23456\") == decimal(\"1.0\") };");
  ExpectOne(r, ValidationCode::kInvalidExtensionArgument, "decimal(\"1.23456\")");
  r = Check("permit(principal is User, action, resource) when { ip(principal.name).isIpv4() };");
  ExpectOne(r, ValidationCode::kNonLiteralExtensionConstructor, "ip(");
  r = Check(R"(permit(principal is User, action, resource) when {
  datetime("2024-01-01").offset(duration("1h")) > principal.born &&
  principal.born.toTime().toHours() < 20 && decimal("1.5").lessThan(decimal("2.5")) };)");
  EXPECT_TRUE(r.ok()) << Dump(r);
}

TEST_F(ValidatorTest, EmptySetLiteral) {
  auto r = Check("permit(principal is User, action, resource) when { principal.strs == [] };");
  ExpectOne(r, ValidationCode::kEmptySetLiteral, "[]");
  r = Check("permit(principal, action in [], resource);");
  ExpectOne(r, ValidationCode::kEmptySetLiteral, "[]");
}

// ---- short-circuit typing ----

TEST_F(ValidatorTest, UnreachableCodeIsNotTypechecked) {
  auto r = Check(R"(
permit(principal, action, resource) when { false && 1 + "a" };
permit(principal, action, resource) when { true || 1 + "a" };
permit(principal, action, resource) when { if true then true else 1 + "a" };
permit(principal, action == Action::"view", resource) when { action in Action::"read" || 1 + "a" };
permit(principal is User, action, resource) when { principal is Doc && principal.nope };
permit(principal, action, resource) when { principal in Doc::"d" && principal.nope };
)");
  EXPECT_TRUE(r.ok()) << Dump(r);
  // The same mistakes where they can run.
  r = Check("permit(principal, action, resource) when { true && 1 + \"a\" };");
  EXPECT_FALSE(r.ok());
  r = Check("permit(principal, action, resource) when { principal == principal || 1 + \"a\" };");
  EXPECT_FALSE(r.ok());
}

TEST_F(ValidatorTest, ScopeSelectsEnvironments) {
  // Group principals (view) have no `age`, but the scope leaves only User.
  auto r = Check("permit(principal is User, action, resource) when { principal.age > 1 };");
  EXPECT_TRUE(r.ok()) << Dump(r);
  r = Check("permit(principal, action == Action::\"read\", resource) when { principal.age > 1 };");
  EXPECT_TRUE(r.ok()) << Dump(r);
  r = Check("permit(principal, action, resource) when { principal has age && principal.age > 1 };");
  EXPECT_TRUE(r.ok()) << Dump(r);
}

// ---- templates and links ----

TEST_F(ValidatorTest, TemplatesAreTypedByTheirScope) {
  auto r = Check(R"(permit(principal == ?principal, action, resource)
when { principal.age > 1 };)");
  ExpectOne(r, ValidationCode::kAttributeNotFound, "principal.age");
  r = Check(R"(permit(principal is User in ?principal, action, resource in ?resource)
when { principal.age > 1 };)");
  EXPECT_TRUE(r.ok()) << Dump(r);
}

TEST_F(ValidatorTest, LinkedPoliciesCheckTheirValues) {
  auto schema = Schema::FromCedar(kSchema);
  ASSERT_TRUE(schema.ok());
  auto set = PolicySet::Parse("permit(principal == ?principal, action, resource);");
  ASSERT_TRUE(set.ok());
  Arena arena;
  ASSERT_TRUE(set->Link("policy0", "ok", EntityUID::Make(arena, "User", "u"), nullptr).ok());
  ASSERT_TRUE(set->Link("policy0", "doc", EntityUID::Make(arena, "Doc", "d"), nullptr).ok());
  ASSERT_TRUE(set->Link("policy0", "unknown", EntityUID::Make(arena, "Usr", "u"), nullptr).ok());
  ValidationResult r = Validate(*schema, *set);
  ASSERT_EQ(r.errors.size(), 1u) << Dump(r);
  EXPECT_EQ(r.errors[0].policy_id, "unknown");
  EXPECT_EQ(r.errors[0].code, ValidationCode::kUnrecognizedEntityType);
  std::vector<std::string> inapplicable;
  for (const auto& w : Of(r, ValidationCode::kNoApplicableAction))
    inapplicable.push_back(w.policy_id);
  std::sort(inapplicable.begin(), inapplicable.end());
  EXPECT_EQ(inapplicable, (std::vector<std::string>{"doc", "unknown"}));
}

// ---- warnings ----

TEST_F(ValidatorTest, ImpossiblePolicy) {
  auto r = Check(R"(permit(principal, action, resource) when { principal has nope };
permit(principal is User, action, resource) when { principal.rec has c };
permit(principal, action, resource) when { principal.rec has a };)");
  auto found = Of(r, ValidationCode::kImpossiblePolicy);
  ASSERT_EQ(found.size(), 2u) << Dump(r);
  EXPECT_EQ(found[0].policy_id, "policy0");
  EXPECT_EQ(found[1].policy_id, "policy1");
  EXPECT_EQ(found[1].pos.line, 2u);
  EXPECT_EQ(found[1].pos.column, 1u);
  EXPECT_FALSE(r.ok());  // policy2: `rec` does not exist on Group
}

TEST_F(ValidatorTest, NoApplicableAction) {
  auto r = Check(R"(permit(principal, action, resource);
permit(principal in Doc::"d", action, resource);
permit(principal, action == Action::"nothing", resource);
permit(principal == Group::"g", action == Action::"read", resource);)");
  EXPECT_TRUE(r.ok()) << Dump(r);
  auto found = Of(r, ValidationCode::kNoApplicableAction);
  ASSERT_EQ(found.size(), 3u) << Dump(r);
  EXPECT_EQ(found[0].policy_id, "policy1");
  EXPECT_EQ(found[1].policy_id, "policy2");
  EXPECT_EQ(found[2].policy_id, "policy3");
  EXPECT_EQ(found[2].pos.line, 4u);
}

TEST_F(ValidatorTest, HierarchyViolationsInScopeAreWarnings) {
  // Doc is no ancestor type of User or Group: a warning, not an error (Cedar 4.13).
  auto r = Check("permit(principal in Doc::\"x\", action == Action::\"read\", resource);");
  EXPECT_TRUE(r.ok()) << Dump(r);
  EXPECT_EQ(Of(r, ValidationCode::kNoApplicableAction).size(), 1u);
  EXPECT_EQ(Of(r, ValidationCode::kImpossiblePolicy).size(), 1u);
}

TEST_F(ValidatorTest, MixedScriptAndBidiStrings) {
  auto r = Check(
      "permit(principal, action, resource) when { context == context && \"hellо\" like \"*\" };",
      {}, "entity U; action a appliesTo { principal: U, resource: U };");
  ExpectOne(r, ValidationCode::kMixedScriptString, "\"hellо\"");
  r = Check("permit(principal, action, resource) when { \"a\\u{202E}b\" == \"b\" };");
  ExpectOne(r, ValidationCode::kBidiCharsInString, "\"a\\u{202E}b\"");
  // Japanese mixes Han, Hiragana and Katakana as one (augmented) script.
  r = Check("permit(principal, action, resource) when { \"日本語のカタカナ\" == \"x\" };");
  EXPECT_TRUE(Of(r, ValidationCode::kMixedScriptString).empty()) << Dump(r);
}

TEST_F(ValidatorTest, IdentifierWarnings) {
  auto r = Check("permit(principal, action, resource) when { principal has \"hellо\" };");
  ExpectOne(r, ValidationCode::kMixedScriptIdentifier, "principal has");
  r = Check("permit(principal, action, resource) when { principal has \"a\\u{202E}b\" };");
  ExpectOne(r, ValidationCode::kBidiCharsInIdentifier, "principal has");
  r = Check("permit(principal, action, resource) when { {\"a\\tb\": 1} has a };");
  ExpectOne(r, ValidationCode::kConfusableIdentifier, "{", "policy0", 1);
  r = Check("permit(principal == User::\"x\\u{0}\", action, resource);");
  ExpectOne(r, ValidationCode::kConfusableIdentifier, "User::");
  r = Check("permit(principal, action, resource) when { principal has \"a b\" };");
  EXPECT_TRUE(Of(r, ValidationCode::kConfusableIdentifier).empty()) << Dump(r);
}

TEST_F(ValidatorTest, LikePatternsAreCheckedWithTheirEscapes) {
  // An escaped character reads as Latin (`\u{..}`, `\n`): Hebrew with a newline is mixed,
  // a lone Hebrew point (escaped as it extends a grapheme) followed by Latin is not.
  auto r = Check("permit(principal, action, resource) when { \"\" like \"\\u{5d0}\\n\" };");
  ExpectOne(r, ValidationCode::kMixedScriptString, "\"\" like");
  r = Check("permit(principal, action, resource) when { \"\" like \"\\u{5b2}bi\" };");
  EXPECT_TRUE(Of(r, ValidationCode::kMixedScriptString).empty()) << Dump(r);
}

// ---- level validation ----

TEST_F(ValidatorTest, LevelValidation) {
  const std::string policy = R"(permit(principal is User, action == Action::"read", resource)
when { resource.owner.age > 1 };)";
  ValidationOptions level1;
  level1.max_deref_level = 1;
  auto r = Check(policy, level1);
  EXPECT_FALSE(r.ok());
  ExpectOne(r, ValidationCode::kEntityDerefLevel, "resource.owner.age");
  EXPECT_NE(r.errors[0].message.find("requires level 2"), std::string::npos) << Dump(r);
  ValidationOptions level2;
  level2.max_deref_level = 2;
  EXPECT_TRUE(Check(policy, level2).ok());
  EXPECT_TRUE(Check(policy).ok());  // no level validation
}

TEST_F(ValidatorTest, LevelZeroAllowsNoEntityData) {
  ValidationOptions level0;
  level0.max_deref_level = 0;
  auto r = Check(R"(permit(principal is User, action == Action::"read", resource)
when { principal is User && context.flag && action == Action::"read" };)",
                 level0);
  EXPECT_TRUE(r.ok()) << Dump(r);
  r = Check(R"(permit(principal in Group::"g", action == Action::"read", resource);)", level0);
  ExpectOne(r, ValidationCode::kEntityDerefLevel, "principal in");
  // Entities in the context are roots: one dereference.
  ValidationOptions level1;
  level1.max_deref_level = 1;
  r = Check(R"(permit(principal is User, action == Action::"read", resource)
when { context.who.age > 1 && principal.hasTag("t") && principal has mgr };)",
            level1);
  EXPECT_TRUE(r.ok()) << Dump(r);
}

TEST_F(ValidatorTest, EntityLiteralsCannotBeDereferenced) {
  ValidationOptions level5;
  level5.max_deref_level = 5;
  auto r = Check(R"(permit(principal, action == Action::"read", resource)
when { User::"alice".age > 1 };)",
                 level5);
  ExpectOne(r, ValidationCode::kEntityLiteralDeref, "User::\"alice\".age");
  r = Check(R"(permit(principal, action == Action::"read", resource)
when { User::"alice" in principal };)",
            level5);
  ExpectOne(r, ValidationCode::kEntityLiteralDeref, "User::\"alice\" in");
}

TEST_F(ValidatorTest, OneValidatorForManyPolicies) {
  auto schema = Schema::FromCedar(kSchema);
  ASSERT_TRUE(schema.ok());
  Validator validator(*schema);
  auto good =
      ParsePolicy("permit(principal is User, action, resource) when { principal.age > 1 };");
  auto bad = ParsePolicy("permit(principal, action, resource) when { principal.age > 1 };");
  ASSERT_TRUE(good.ok() && bad.ok());
  ValidationResult out;
  validator.ValidatePolicy("good", **good, {}, out);
  EXPECT_TRUE(out.ok());
  validator.ValidatePolicy("bad", **bad, {}, out);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].policy_id, "bad");
}

TEST_F(ValidatorTest, IssueToStringNamesPolicyPositionAndCode) {
  auto r = Check("permit(principal is User, action, resource)\nwhen { principal.nope };");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString(),
            "policy0:2:8: error[attribute_not_found]: attribute `nope` on entity type `User` "
            "not found");
}

}  // namespace
}  // namespace cedar
