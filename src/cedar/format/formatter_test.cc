#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cedar/format.h"
#include "cedar/json.h"
#include "cedar/policy.h"

namespace cedar {
namespace {

// The expected outputs below are those of the reference formatter (cedar-wasm's
// formatPolicies) for the same input and options.

std::string Format(std::string_view text, int width = 80, int indent = 2) {
  FormatOptions options;
  options.line_width = width;
  options.indent_width = indent;
  auto r = FormatPolicies(text, options);
  if (!r.ok()) return "error: " + r.error().ToString();
  return *r;
}

TEST(FormatterTest, PolicySetWithComments) {
  const char* in = R"(// Photos are visible to their owner.
@id("owner-read")
permit(principal, action == Action::"view", resource is Photo) when { resource.owner == principal };  // owner

forbid(principal,action,resource) when { context.risk > 007 && !(context.mfa) || resource.tags.containsAny(["secret", "top \"secret\""]) } unless { principal in Ns :: Group::"admins" };
// end
)";
  const char* want = R"(// Photos are visible to their owner.
@id("owner-read")
permit (
  principal,
  action == Action::"view",
  resource is Photo
)
when { resource.owner == principal }; // owner

forbid (principal, action, resource)
when
{
  context.risk > 7 &&
  !(context.mfa) ||
  resource.tags.containsAny(["secret", "top \"secret\""])
}
unless { principal in Ns::Group::"admins" };
// end
)";
  EXPECT_EQ(Format(in), want);
  EXPECT_EQ(Format(want), want);
}

TEST(FormatterTest, TrailingCommasDroppedAndOptions) {
  const char* in =
      R"(permit(principal in Group::"a", action in [Action::"read", Action::"list",], resource,) when { {a: 1, "b c": [1, 2,]} has "b c" };)";
  EXPECT_EQ(Format(in), R"(permit (
  principal in Group::"a",
  action in [Action::"read", Action::"list"],
  resource
)
when { { a: 1, "b c": [1, 2] } has "b c" };
)");
  EXPECT_EQ(Format(in, 40, 4), R"(permit (
    principal in Group::"a",
    action in
        [Action::"read",
         Action::"list"],
    resource
)
when
{ { a: 1, "b c": [1, 2] } has "b c" };
)");
}

TEST(FormatterTest, BareScope) {
  EXPECT_EQ(Format("permit(principal,action,resource);"),
            "permit (principal, action, resource);\n");
  // The scope stays on one line; only the break after the effect is possible.
  EXPECT_EQ(Format("permit(principal,action,resource);", 20),
            "permit\n(principal, action, resource);\n");
}

TEST(FormatterTest, ConditionLayouts) {
  const char* in = "permit(principal,action,resource) when { context.aaa && context.bbb };";
  EXPECT_EQ(Format(in, 80),
            "permit (principal, action, resource)\nwhen { context.aaa && context.bbb };\n");
  // Braces on their own lines, the expression still on one.
  EXPECT_EQ(Format(in, 30),
            "permit\n(principal, action, resource)\nwhen\n{\n  context.aaa && context.bbb\n};\n");
  // One operand per line.
  EXPECT_EQ(
      Format(in, 20),
      "permit\n(principal, action, resource)\nwhen\n{\n  context.aaa &&\n  context.bbb\n};\n");
}

TEST(FormatterTest, LongExpressions) {
  const char* in =
      "permit(principal,action,resource) when { [1,2,3].contains(4) && "
      "context.aaaa.bbbb.cccc[\"dddd\"].eeee == ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\")) };";
  EXPECT_EQ(Format(in, 30), R"(permit
(principal, action, resource)
when
{
  [1, 2, 3].contains(4) &&
  context.aaaa
    .bbbb
    .cccc
    ["dddd"]
    .eeee == ip(
      "10.0.0.1"
    )
    .isInRange
    (
      ip("10.0.0.0/8")
    )
};
)");
}

TEST(FormatterTest, IfAndParentheses) {
  const char* in =
      "permit(principal,action,resource) when { if (context.a) then ((1 + 2) * 3) else -(4) };";
  EXPECT_EQ(Format(in),
            "permit (principal, action, resource)\n"
            "when { if (context.a) then ((1 + 2) * 3) else -(4) };\n");
  EXPECT_EQ(Format(in, 20), R"(permit
(principal, action, resource)
when
{
  if
    (context.a)
  then
    ((1 + 2) * 3)
  else
    -(4)
};
)");
}

TEST(FormatterTest, LiteralsAsWritten) {
  EXPECT_EQ(
      Format(
          R"(permit(principal,action,resource) when { "\x41\u{42}c\t" like "a\*b*" && principal == User::"\u{41}" && context["a b"] == 0010 && --1 == - -1 };)"),
      R"(permit (principal, action, resource)
when
{
  "\x41\u{42}c\t" like "a\*b*" &&
  principal == User::"\u{41}" &&
  context["a b"] == 10 &&
  --1 == --1
};
)");
}

TEST(FormatterTest, CommentsStayBesideTheirTokens) {
  const char* in = R"(permit(principal, action, resource)
when {
  context.a // c1
  &&
  // c2
  context.b ||
  [1, // c3
   2] // c4
  .contains(
    // c5
    3)
};)";
  EXPECT_EQ(Format(in), R"(permit (principal, action, resource)
when
{
  context.a // c1
   &&
  // c2
  context.b ||
  [1, // c3
   2] // c4
  .contains
    (
      // c5
      3
    )
};
)");
}

TEST(FormatterTest, CommentsInTheScope) {
  EXPECT_EQ(Format("permit (principal, action, // p\n resource);"),
            "permit (principal, action, // p\n  resource);\n");
  EXPECT_EQ(Format("permit // a\n(principal == A::\"a\", action, resource);"),
            "permit // a\n(\n  principal == A::\"a\",\n  action,\n  resource\n);\n");
  // A comment before a scope variable does not break its line.
  EXPECT_EQ(Format("permit (\n// c\nprincipal == A::\"a\", action, resource);"),
            "permit (\n  // c\n  principal == A::\"a\",\n  action,\n  resource\n);\n");
}

TEST(FormatterTest, LineBreaksInsideStringsAreKept) {
  // Including an empty line inside the literal, which only the layout's own empty lines lose.
  const char* in = "permit(principal,action,resource) when { context.a == \"x\n   \ny\" };";
  const char* want = "permit (principal, action, resource)\nwhen { context.a == \"x\n   \ny\" };\n";
  EXPECT_EQ(Format(in), want);
  EXPECT_EQ(Format(want), want);
}

TEST(FormatterTest, CommentsOnly) {
  EXPECT_EQ(Format(""), "\n");
  EXPECT_EQ(Format("// only\n\n// two\n"), "\n// only\n// two\n");
  EXPECT_EQ(Format("// a\n\n// b\npermit(principal,action,resource);\n\n\n// c\n"),
            "// a\n// b\npermit (principal, action, resource);\n// c\n");
}

TEST(FormatterTest, ParseErrorsHavePositions) {
  auto r = FormatPolicies("permit(principal, action, resource)\nwhen { 1 + };");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
  EXPECT_EQ(r.error().pos.line, 2u);
  EXPECT_GT(r.error().pos.column, 0u);
  // Nesting beyond 1000 expressions is refused, not a crash.
  auto nested = [](int n) {
    return "permit(principal,action,resource) when { " + std::string(n, '(') + "1" +
           std::string(n, ')') + " };";
  };
  EXPECT_TRUE(FormatPolicies(nested(200)).ok());
#if !defined(__SANITIZE_ADDRESS__)
  // Up to the limit where frames are of normal size; a sanitizer build's larger frames reach
  // the end of the stack guard's reserve first and are refused the same way.
  EXPECT_TRUE(FormatPolicies(nested(999)).ok());
#endif
  auto deep = FormatPolicies(nested(5000));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.error().message.find("nested"), std::string::npos);
  FormatOptions bad;
  bad.line_width = 0;
  EXPECT_FALSE(FormatPolicies("permit(principal,action,resource);", bad).ok());
  bad.line_width = 80;
  bad.indent_width = -1;
  EXPECT_FALSE(FormatPolicies("permit(principal,action,resource);", bad).ok());
}

// Formatting keeps the meaning and is idempotent, at every width.
TEST(FormatterTest, SameMeaningAndIdempotentAtEveryWidth) {
  const char* in = R"(@id("x") @advice("a b")
permit(principal is User in Group::"g", action in [Action::"a", Action::"b"], resource in ?resource)
when { context.x like "*a*" && (if context.y then {k: [1, -2, decimal("1.5")]} else {}).k.contains(1) }
unless { principal has profile.email && resource.getTag("t") != principal.name + "!" };
forbid(principal, action, resource) when { !principal.active || context.n * 3 - 1 >= 8 };)";
  auto before = ParsePolicies(in);
  ASSERT_TRUE(before.ok());
  for (int width = 1; width <= 120; ++width) {
    for (int indent : {0, 2, 4}) {
      SCOPED_TRACE("width " + std::to_string(width) + ", indent " + std::to_string(indent));
      std::string once = Format(in, width, indent);
      auto after = ParsePolicies(once);
      ASSERT_TRUE(after.ok()) << once;
      ASSERT_EQ(after->size(), before->size());
      for (size_t i = 0; i < before->size(); ++i) {
        EXPECT_EQ(PolicyToJson(*(*after)[i]), PolicyToJson(*(*before)[i]));
      }
      EXPECT_EQ(Format(once, width, indent), once);
    }
  }
}

// ---- PolicyToText ----

// Reads policy JSON, writes it as text and checks that the text reads back to the same JSON.
void ExpectRoundTrip(const char* est_text, const char* want_text = nullptr) {
  SCOPED_TRACE(est_text);
  auto est = ParseJsonText(est_text);
  ASSERT_TRUE(est.ok()) << est.error().ToString();
  auto ast = PolicyFromJson(*est);
  ASSERT_TRUE(ast.ok()) << ast.error().ToString();
  std::string text = PolicyToText(**ast);
  if (want_text != nullptr) {
    EXPECT_EQ(text, want_text);
  }
  auto back = ParsePolicy(text);
  ASSERT_TRUE(back.ok()) << text << ": " << back.error().ToString();
  EXPECT_EQ(PolicyToJson(**back), *est) << text;
}

const char* kScope =
    R"("principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"})";

std::string WithBody(const char* body) {
  return std::string(R"({"effect": "permit", )") + kScope +
         R"(, "conditions": [{"kind": "when", "body": )" + body + "}]}";
}

TEST(PolicyToTextTest, ParenthesesWhereTheTreeNeedsThem) {
  const char* x = R"({"Var": "context"})";
  auto lit = [](int v) { return std::string(R"({"Value": )") + std::to_string(v) + "}"; };
  std::string a_or_b =
      std::string(R"({"||": {"left": {"Var": "principal"}, "right": {"Var": "resource"}}})");
  // (a || b) && c, and a || (b || c)
  ExpectRoundTrip(
      WithBody((R"({"&&": {"left": )" + a_or_b + R"(, "right": )" + x + "}}").c_str()).c_str(),
      "permit(principal, action, resource) when { (principal || resource) && context };\n");
  ExpectRoundTrip(
      WithBody((R"({"||": {"left": )" + std::string(x) + R"(, "right": )" + a_or_b + "}}").c_str())
          .c_str());
  // (1 == 2) == 3
  std::string eq = R"({"==": {"left": )" + lit(1) + R"(, "right": )" + lit(2) + "}}";
  ExpectRoundTrip(
      WithBody((R"({"==": {"left": )" + eq + R"(, "right": )" + lit(3) + "}}").c_str()).c_str(),
      "permit(principal, action, resource) when { (1 == 2) == 3 };\n");
  // 1 - (2 - 3), 1 * (2 + 3)
  std::string sub = R"({"-": {"left": )" + lit(2) + R"(, "right": )" + lit(3) + "}}";
  ExpectRoundTrip(
      WithBody((R"({"-": {"left": )" + lit(1) + R"(, "right": )" + sub + "}}").c_str()).c_str(),
      "permit(principal, action, resource) when { 1 - (2 - 3) };\n");
  // -(5) is the negation of 5, not the literal -5; --5 negates the literal -5.
  ExpectRoundTrip(WithBody(R"({"neg": {"arg": {"Value": 5}}})").c_str(),
                  "permit(principal, action, resource) when { -(5) };\n");
  ExpectRoundTrip(WithBody(R"({"neg": {"arg": {"Value": -5}}})").c_str(),
                  "permit(principal, action, resource) when { --5 };\n");
  ExpectRoundTrip(WithBody(R"({"neg": {"arg": {"!": {"arg": {"Var": "context"}}}}})").c_str(),
                  "permit(principal, action, resource) when { -(!context) };\n");
  // (-1).contains(2): a negative literal as a receiver.
  ExpectRoundTrip(
      WithBody(R"({"contains": {"left": {"Value": -1}, "right": {"Value": 2}}})").c_str(),
      "permit(principal, action, resource) when { (-1).contains(2) };\n");
  // if as an operand
  ExpectRoundTrip(
      WithBody(
          R"({"+": {"left": {"if-then-else": {"if": {"Value": true}, "then": {"Value": 1}, "else": {"Value": 2}}}, "right": {"Value": 3}}})")
          .c_str(),
      "permit(principal, action, resource) when { (if true then 1 else 2) + 3 };\n");
  // Five negations: at most four in a row.
  ExpectRoundTrip(
      WithBody(
          R"({"!": {"arg": {"!": {"arg": {"!": {"arg": {"!": {"arg": {"!": {"arg": {"Var": "context"}}}}}}}}}}})")
          .c_str(),
      "permit(principal, action, resource) when { !!!!(!context) };\n");
}

TEST(PolicyToTextTest, NamesAndStrings) {
  ExpectRoundTrip(WithBody(R"({".": {"left": {"Var": "context"}, "attr": "a b"}})").c_str(),
                  "permit(principal, action, resource) when { context[\"a b\"] };\n");
  ExpectRoundTrip(WithBody(R"({".": {"left": {"Var": "context"}, "attr": "if"}})").c_str(),
                  "permit(principal, action, resource) when { context[\"if\"] };\n");
  ExpectRoundTrip(
      WithBody(R"({"Record": {"if": {"Value": 1}, "ok": {"Value": "a\"b\\c\n"}}})").c_str(),
      "permit(principal, action, resource) when { {\"if\": 1, ok: \"a\\\"b\\\\c\\n\"} };\n");
  ExpectRoundTrip(WithBody(R"({"has": {"left": {"Var": "context"}, "attr": "a-b"}})").c_str(),
                  "permit(principal, action, resource) when { context has \"a-b\" };\n");
  ExpectRoundTrip(
      WithBody(
          R"({"like": {"left": {"Var": "context"}, "pattern": [{"Literal": "*"}, "Wildcard", {"Literal": "x"}]}})")
          .c_str(),
      "permit(principal, action, resource) when { context like \"\\**x\" };\n");
  ExpectRoundTrip(
      WithBody(
          R"({"is": {"left": {"Var": "principal"}, "entity_type": "Ns::User", "in": {"Value": {"__entity": {"type": "Ns::Group", "id": "g\"1"}}}}})")
          .c_str(),
      "permit(principal, action, resource) when { principal is Ns::User in Ns::Group::\"g\\\"1\" "
      "};\n");
  ExpectRoundTrip(
      WithBody(
          R"({"isInRange": [{"ip": [{"Value": "10.0.0.1"}]}, {"ip": [{"Value": "10.0.0.0/8"}]}]})")
          .c_str(),
      "permit(principal, action, resource) when { ip(\"10.0.0.1\").isInRange(ip(\"10.0.0.0/8\")) "
      "};\n");
}

TEST(PolicyToTextTest, ScopesAndAnnotations) {
  ExpectRoundTrip(R"({"effect": "forbid", "annotations": {"id": "p\"1", "flag": null},
      "principal": {"op": "is", "entity_type": "User", "in": {"slot": "?principal"}},
      "action": {"op": "in", "entities": [{"type": "Action", "id": "a"}, {"type": "Action", "id": "b"}]},
      "resource": {"op": "==", "entity": {"type": "Doc", "id": "d"}}, "conditions": []})",
                  "@id(\"p\\\"1\")\n@flag\nforbid(principal is User in ?principal, action in "
                  "[Action::\"a\", Action::\"b\"], resource == Doc::\"d\");\n");
}

TEST(PolicyToTextTest, MultiAttributeHasWithAnOddName) {
  // `has` of a path whose names are not all identifiers has no short form; the chain of
  // single tests means the same.
  auto est =
      ParseJsonText(WithBody(R"({"has": {"left": {"Var": "context"}, "attr": ["a", "b c"]}})"));
  ASSERT_TRUE(est.ok());
  auto ast = PolicyFromJson(*est);
  ASSERT_TRUE(ast.ok());
  EXPECT_EQ(PolicyToText(**ast),
            "permit(principal, action, resource) when { context has \"a\" && context[\"a\"] has "
            "\"b c\" };\n");
  ExpectRoundTrip(WithBody(R"({"has": {"left": {"Var": "context"}, "attr": ["a", "b"]}})").c_str(),
                  "permit(principal, action, resource) when { context has a.b };\n");
}

}  // namespace
}  // namespace cedar
