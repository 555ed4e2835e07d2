#include <gtest/gtest.h>
#include <pthread.h>

#include "cedar/policy.h"
#include "cedar/stack_guard.h"

namespace cedar {
namespace {

std::string ParseError(std::string_view text) {
  auto r = ParsePolicies(text);
  if (r.ok()) return "ok";
  return r.error().ToString();
}

const char* kAll = "permit(principal, action, resource)";

std::string CondError(std::string_view cond) {
  return ParseError(std::string(kAll) + " when { " + std::string(cond) + " };");
}

TEST(ParserTest, ScopeForms) {
  auto r = ParsePolicies(R"(
    permit(principal == User::"a", action == Action::"view", resource);
    forbid(principal in Group::"g", action in [Action::"a", Ns::Action::"b",], resource is Doc in Folder::"f",);
    permit(principal is User, action in Action::"all", resource == Doc::"d");
    permit(principal is User in ?principal, action, resource in ?resource);
  )");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 4u);
  const PolicyAst& p0 = *(*r)[0];
  EXPECT_EQ(p0.principal.op, EntityScope::kEq);
  EXPECT_EQ(p0.principal.uid->ToString(), "User::\"a\"");
  EXPECT_EQ(p0.action.op, ActionScope::kEq);
  EXPECT_EQ(p0.resource.op, EntityScope::kAny);
  const PolicyAst& p1 = *(*r)[1];
  EXPECT_EQ(p1.effect, Effect::kForbid);
  EXPECT_EQ(p1.principal.op, EntityScope::kIn);
  EXPECT_EQ(p1.action.op, ActionScope::kInSet);
  EXPECT_EQ(p1.action.uids.size(), 2u);
  EXPECT_EQ(p1.action.uids[1]->type, "Ns::Action");
  EXPECT_EQ(p1.resource.op, EntityScope::kIsIn);
  EXPECT_EQ(p1.resource.entity_type, "Doc");
  EXPECT_EQ(p1.resource.uid->ToString(), "Folder::\"f\"");
  const PolicyAst& p2 = *(*r)[2];
  EXPECT_EQ(p2.principal.op, EntityScope::kIs);
  EXPECT_EQ(p2.action.op, ActionScope::kIn);
  const PolicyAst& p3 = *(*r)[3];
  EXPECT_TRUE(p3.IsTemplate());
  EXPECT_TRUE(p3.principal.slot);
  EXPECT_TRUE(p3.resource.slot);
}

TEST(ParserTest, ScopeErrors) {
  EXPECT_EQ(ParseError("permit(principal, action == User::\"a\", resource);"),
            "1:29: expected an entity uid with type `Action` but got `User::\"a\"`");
  EXPECT_EQ(ParseError("permit(principal == ?resource, action, resource);"),
            "1:21: expected an entity uid or matching template slot, found ?resource instead of "
            "?principal");
  EXPECT_EQ(ParseError("permit(principal in [User::\"a\"], action, resource);"),
            "1:21: expected single entity uid or template slot, found set of entity uids");
  EXPECT_EQ(ParseError("permit(principal, action is Action, resource);"),
            "1:26: `is` cannot appear in the action scope");
  EXPECT_EQ(ParseError("allow(principal, action, resource);"),
            "1:1: expected `permit` or `forbid`, found `allow`");
  EXPECT_EQ(ParseError("permit(principal, action, resource)"),
            "1:36: expected `;` at the end of the policy, found end of input");
}

TEST(ParserTest, Annotations) {
  auto r = ParsePolicy(
      "@id(\"p1\") @advice @if(\"reserved words are fine\") permit(principal, action, resource);");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ((*r)->annotations.size(), 3u);
  EXPECT_EQ((*r)->annotations[0].value, "p1");
  EXPECT_FALSE((*r)->annotations[1].has_value);
  EXPECT_EQ((*r)->FindAnnotation("if")->value, "reserved words are fine");
  EXPECT_EQ(ParseError("@a @b(\"x\") @a(\"y\") permit(principal, action, resource);"),
            "1:12: duplicate annotation: @a");
}

TEST(ParserTest, ConditionsInOrder) {
  auto r = ParsePolicy(std::string(kAll) + " when { true } unless { false } when { 1 == 1 };");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->conditions.size(), 3u);
  EXPECT_TRUE((*r)->conditions[0].is_when);
  EXPECT_FALSE((*r)->conditions[1].is_when);
  EXPECT_EQ(ParseError(std::string(kAll) + " when {};"),
            "1:37: `when` condition clause cannot be empty");
}

TEST(ParserTest, ExpressionErrorsCedarReports) {
  EXPECT_EQ(CondError("1 < 2 < 3"),
            "1:50: multiple relational operators (>, ==, in, etc.) must be used with parentheses "
            "to make ordering explicit");
  EXPECT_EQ(CondError("1 / 2 == 3"), "1:46: division is not supported");
  EXPECT_EQ(CondError("1 % 2 == 3"), "1:46: remainder/modulo is not supported");
  EXPECT_EQ(CondError("foo(1)"), "1:44: `foo` is not a valid function");
  EXPECT_EQ(CondError("A::B(1)"), "1:44: `A::B` is not a valid function");
  EXPECT_EQ(CondError("isIpv4(ip(\"1.2.3.4\"))"), "1:44: `isIpv4` is a method, not a function");
  EXPECT_EQ(CondError("context.foo()"), "1:52: `foo` is not a valid method");
  EXPECT_EQ(CondError("context.ip()"), "1:52: `ip` is a function, not a method");
  EXPECT_EQ(CondError("[1].contains(1, 2)"),
            "1:48: call to `contains` requires exactly 1 argument, but got 2 arguments");
  EXPECT_EQ(CondError("[].isEmpty(1)"),
            "1:47: call to `isEmpty` requires exactly 0 arguments, but got 1 argument");
  EXPECT_EQ(CondError("{a: 1, a: 2} == {}"), "1:51: duplicate key `a` in record literal");
  EXPECT_EQ(CondError("context.if"), "1:52: this identifier is reserved and cannot be used: if");
  EXPECT_EQ(CondError("context has then"),
            "1:56: this identifier is reserved and cannot be used: then");
  EXPECT_EQ(CondError("foo"), "1:44: invalid variable: foo");
  EXPECT_EQ(CondError("__cedar::X::\"a\" == 1"),
            "1:44: The name `__cedar::X` contains `__cedar`, which is reserved");
  EXPECT_EQ(
      CondError("?principal == 1"),
      "1:44: found template slot ?principal in a condition; slots may only appear in the scope");
  EXPECT_EQ(CondError("!!!!!true"), "1:44: too many occurrences of `!`");
  EXPECT_EQ(CondError("-----1 == 1"), "1:44: too many occurrences of `-`");
  EXPECT_EQ(CondError("9223372036854775808 == 0"),
            "1:44: integer literal `9223372036854775808` is too large");
  EXPECT_EQ(CondError("\"\\q\""), "1:45: the input `\\q` is not a valid escape");
  EXPECT_EQ(
      CondError("\"\\x80\""),
      "1:45: the input `\\x80` is not a valid escape: `\\x` takes two hex digits, at most 7F");
  EXPECT_EQ(CondError("\"\\u{110000}\"").substr(0, 35), "1:45: the input `\\u{110000}` is not");
  EXPECT_EQ(CondError("1 + if true then 1 else 2 == 2"), "1:48: unexpected token `if`");
  EXPECT_EQ(CondError("\"abc"), "1:44: unterminated string literal");
  EXPECT_EQ(CondError("1 & 2"), "1:46: unexpected `&`; did you mean `&&`?");
}

TEST(ParserTest, AcceptedForms) {
  EXPECT_EQ(CondError("[1, 2,] == [1, 2]"), "ok");
  EXPECT_EQ(CondError("{a: 1,} == {a: 1}"), "ok");
  EXPECT_EQ(CondError("ip(\"1.2.3.4\",).isIpv4()"), "ok");
  EXPECT_EQ(CondError("----1 == 1"), "ok");
  EXPECT_EQ(CondError("- 9223372036854775808 == 0"), "ok");
  EXPECT_EQ(CondError("principal::\"a\" == 0"), "ok");
  EXPECT_EQ(CondError("\"a\\'b\\\"c\\0\\t\\u{1F600}\" == \"\""), "ok");
  EXPECT_EQ(CondError("context has a.b.c"), "ok");
  EXPECT_EQ(CondError("context has \"a b\""), "ok");
  EXPECT_EQ(CondError("principal is Ns::User in [Group::\"a\"]"), "ok");
  EXPECT_EQ(CondError("(if true then 1 else 2) == 1"), "ok");
  EXPECT_EQ(ParseError("// only a comment\n"), "ok");
  EXPECT_EQ(ParseError("permit(principal, action, resource)\xc2\xa0when { true };"), "ok");
}

TEST(ParserTest, NegativeLiteralFolding) {
  Arena arena;
  auto e = ParseExpression(arena, "-9223372036854775808");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->kind, ExprKind::kLiteral);
  EXPECT_EQ((*e)->lit.AsLong(), INT64_MIN);
  auto e2 = ParseExpression(arena, "--5");
  ASSERT_TRUE(e2.ok());
  EXPECT_EQ((*e2)->kind, ExprKind::kUnary);
  EXPECT_EQ((*e2)->a->kind, ExprKind::kLiteral);
  EXPECT_EQ((*e2)->a->lit.AsLong(), -5);
}

TEST(ParserTest, InvalidUtf8IsRejected) {
  EXPECT_EQ(ParseError("permit(principal, action, resource) when { \"\xff\" };"),
            "input is not valid UTF-8");
}

TEST(ParserTest, PolicySetIdsAndTemplates) {
  auto set = PolicySet::Parse(R"(
    permit(principal, action, resource);
    permit(principal == ?principal, action, resource);
    forbid(principal, action, resource);
  )");
  ASSERT_TRUE(set.ok());
  EXPECT_NE(set->FindPolicy("policy0"), nullptr);
  EXPECT_NE(set->FindTemplate("policy1"), nullptr);
  EXPECT_NE(set->FindPolicy("policy2"), nullptr);
  Arena arena;
  const EntityUID* alice = EntityUID::Make(arena, "User", "alice");
  EXPECT_TRUE(set->Link("policy1", "link0", alice, nullptr).ok());
  EXPECT_EQ(set->FindPolicy("link0")->principal_uid()->ToString(), "User::\"alice\"");
  EXPECT_FALSE(set->Link("policy1", "link1", nullptr, nullptr).ok());
  EXPECT_FALSE(set->Link("policy1", "link2", alice, alice).ok());
  EXPECT_FALSE(set->Link("policy1", "policy0", alice, nullptr).ok());
  EXPECT_FALSE(set->Link("nope", "link3", alice, nullptr).ok());
}

}  // namespace
}  // namespace cedar

namespace cedar {
namespace {

TEST(ParserTest, DeepNestingIsRefusedNotACrash) {
  for (const std::string& open :
       {std::string("("), std::string("["), std::string("!("), std::string("if true then ")}) {
    std::string text = "permit(principal, action, resource) when { ";
    for (int i = 0; i < 20000; ++i) text += open;
    text += "true";
    for (int i = 0; i < 20000; ++i) {
      if (open == "(" || open == "!(") text += ")";
      if (open == "[") text += "]";
      if (open.starts_with("if")) text += " else false";
    }
    text += " };";
    auto r = ParsePolicies(text);
    ASSERT_FALSE(r.ok()) << open;
    EXPECT_NE(r.error().message.find("nested too deeply"), std::string::npos) << r.error().message;
  }
  // Long operator chains make deep trees too.
  std::string chain = "permit(principal, action, resource) when { 1";
  for (int i = 0; i < 50000; ++i) chain += " + 1";
  auto r = ParsePolicies(chain + " == 2 };");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nested too deeply"), std::string::npos);
  // Reasonable nesting still parses.
  std::string ok = "permit(principal, action, resource) when { ";
  for (int i = 0; i < 100; ++i) ok += "(";
  ok += "true";
  for (int i = 0; i < 100; ++i) ok += ")";
  EXPECT_TRUE(ParsePolicies(ok + " };").ok());
}

// On a thread whose stack is small, deep nesting ends at the stack guard's reserve with the
// same error instead of overflowing; shallow policies still parse there.
TEST(ParserTest, DeepNestingOnASmallStackIsRefusedNotACrash) {
  struct Job {
    std::string deep_error;
    bool shallow_ok = false;
  } job;
  auto run = [](void* arg) -> void* {
    auto* j = static_cast<Job*>(arg);
    auto nested = [](int n) {
      return std::string(kAll) + " when { " + std::string(n, '(') + "true" + std::string(n, ')') +
             " };";
    };
    auto deep = ParsePolicies(nested(1000));
    j->deep_error = deep.ok() ? "ok" : deep.error().message;
    j->shallow_ok = ParsePolicies(nested(5)).ok();
    return nullptr;
  };
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  // 128 KiB beyond the reserve: too little for 1,000 levels (ten calls each), plenty for 5.
  ASSERT_EQ(pthread_attr_setstacksize(&attr, StackGuard::kDefaultReserve + 128 * 1024), 0);
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, run, &job), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_NE(job.deep_error.find("nested too deeply"), std::string::npos) << job.deep_error;
  EXPECT_TRUE(job.shallow_ok);
}

}  // namespace
}  // namespace cedar
