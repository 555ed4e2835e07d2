#include "cedar/authorizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "cedar/eval/evaluator.h"
#include "cedar/json.h"

namespace cedar {
namespace {

struct Fixture {
  PolicySet policies;
  Entities entities;
  Arena arena;

  Fixture(std::string_view policy_text, std::string_view entities_json) {
    auto p = PolicySet::Parse(policy_text);
    EXPECT_TRUE(p.ok()) << p.error().ToString();
    policies = std::move(p).value();
    auto e = EntitiesFromJsonText(entities_json);
    EXPECT_TRUE(e.ok()) << e.error().message;
    entities = std::move(e).value();
  }

  Response Decide(std::string_view principal, std::string_view action, std::string_view resource) {
    Request req;
    req.principal = *ParseEntityUID(arena, principal);
    req.action = *ParseEntityUID(arena, action);
    req.resource = *ParseEntityUID(arena, resource);
    return Authorize(policies, entities, req);
  }
};

std::set<std::string> Ids(const std::vector<const Policy*>& ps) {
  std::set<std::string> out;
  for (auto* p : ps) out.insert(p->id());
  return out;
}

TEST(AuthorizerTest, DefaultDenyPermitAndForbidOverrides) {
  Fixture f(
      R"(
    permit(principal == User::"alice", action, resource);
    permit(principal in Group::"eng", action == Action::"read", resource);
    forbid(principal, action == Action::"delete", resource) unless { principal == User::"root" };
  )",
      R"([{"uid": {"type": "User", "id": "alice"}, "attrs": {}, "parents": [{"type": "Group", "id": "eng"}]}])");
  Response r = f.Decide("User::\"bob\"", "Action::\"read\"", "Doc::\"d\"");
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_TRUE(r.reasons.empty());
  r = f.Decide("User::\"alice\"", "Action::\"read\"", "Doc::\"d\"");
  EXPECT_EQ(r.decision, Decision::kAllow);
  EXPECT_EQ(Ids(r.reasons), (std::set<std::string>{"policy0", "policy1"}));
  r = f.Decide("User::\"alice\"", "Action::\"delete\"", "Doc::\"d\"");
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_EQ(Ids(r.reasons), (std::set<std::string>{"policy2"}));
  r = f.Decide("User::\"root\"", "Action::\"delete\"", "Doc::\"d\"");
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_TRUE(r.reasons.empty());
}

TEST(AuthorizerTest, ErroringPoliciesAreSkippedAndReported) {
  Fixture f(R"(
    permit(principal, action, resource) when { principal.missing == 1 };
    forbid(principal, action, resource) when { 1 + "a" == 2 };
    permit(principal, action, resource) when { true };
  )",
            "[]");
  Response r = f.Decide("User::\"a\"", "Action::\"x\"", "Doc::\"d\"");
  EXPECT_EQ(r.decision, Decision::kAllow);
  EXPECT_EQ(Ids(r.reasons), (std::set<std::string>{"policy2"}));
  ASSERT_EQ(r.errors.size(), 2u);
  std::set<std::string> erroring;
  for (const auto& e : r.errors) erroring.insert(e.policy->id());
  EXPECT_EQ(erroring, (std::set<std::string>{"policy0", "policy1"}));
}

TEST(AuthorizerTest, TemplateLinksAreEvaluated) {
  Fixture f(R"(permit(principal == ?principal, action, resource in ?resource);)", "[]");
  Arena a;
  ASSERT_TRUE(f.policies
                  .Link("policy0", "alice-docs", EntityUID::Make(a, "User", "alice"),
                        EntityUID::Make(a, "Folder", "docs"))
                  .ok());
  EXPECT_EQ(f.Decide("User::\"alice\"", "Action::\"x\"", "Folder::\"docs\"").decision,
            Decision::kAllow);
  EXPECT_EQ(f.Decide("User::\"bob\"", "Action::\"x\"", "Folder::\"docs\"").decision,
            Decision::kDeny);
}

// The index may only skip policies that cannot apply: for random policy sets and requests,
// the indexed authorizer must agree with evaluating every policy.
TEST(AuthorizerTest, IndexAgreesWithEvaluatingEveryPolicy) {
  std::mt19937 rng(20261123);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const char* types[] = {"User", "Group", "Doc", "Folder"};
  auto entity = [&] {
    return std::string(types[pick(4)]) + "::\"" + std::to_string(pick(5)) + "\"";
  };
  auto action = [&] { return "Action::\"" + std::to_string(pick(5)) + "\""; };
  // 60 policies, and 400 so that candidate lists are long enough for the index to intersect
  // two dimensions (PolicyIndex::kFilterAbove).
  for (int round = 0; round < 50; ++round) {
    const int npolicies = round < 40 ? 60 : 400;
    // Entities: a random DAG (parents always have a smaller number, so no cycles).
    std::string ents = "[";
    for (int t = 0; t < 4; ++t) {
      for (int i = 0; i < 5; ++i) {
        if (ents.size() > 1) ents += ",";
        ents += "{\"uid\":{\"type\":\"" + std::string(types[t]) + "\",\"id\":\"" +
                std::to_string(i) + "\"},\"attrs\":{},\"parents\":[";
        for (int k = 0; k < pick(3); ++k) {
          int pt = pick(4), pi = pick(5);
          if (pt * 5 + pi >= t * 5 + i) continue;
          if (ents.back() != '[') ents += ",";
          ents +=
              "{\"type\":\"" + std::string(types[pt]) + "\",\"id\":\"" + std::to_string(pi) + "\"}";
        }
        ents += "]}";
      }
    }
    for (int i = 0; i < 5; ++i) {
      ents += ",{\"uid\":{\"type\":\"Action\",\"id\":\"" + std::to_string(i) +
              "\"},\"attrs\":{},\"parents\":[";
      if (i > 0 && pick(2))
        ents += "{\"type\":\"Action\",\"id\":\"" + std::to_string(pick(i)) + "\"}";
      ents += "]}";
    }
    ents += "]";
    std::string text;
    for (int p = 0; p < npolicies; ++p) {
      text += pick(4) == 0 ? "forbid(" : "permit(";
      auto entity_scope = [&](const char* var) {
        std::string s = var;
        switch (pick(5)) {
          case 0:
            break;
          case 1:
            s += " == " + entity();
            break;
          case 2:
            s += " in " + entity();
            break;
          case 3:
            s += std::string(" is ") + types[pick(4)];
            break;
          case 4:
            s += std::string(" is ") + types[pick(4)] + " in " + entity();
            break;
        }
        return s;
      };
      text += entity_scope("principal") + ", action";
      switch (pick(4)) {
        case 0:
          break;
        case 1:
          text += " == " + action();
          break;
        case 2:
          text += " in " + action();
          break;
        case 3:
          text += " in [" + action() + ", " + action() + "]";
          break;
      }
      text += ", " + entity_scope("resource") + ")";
      if (pick(3) == 0) text += " when { principal in resource }";
      text += ";\n";
    }
    Fixture f(text, ents);
    for (int q = 0; q < 50; ++q) {
      Request req;
      req.principal = *ParseEntityUID(f.arena, entity());
      req.action = *ParseEntityUID(f.arena, action());
      req.resource = *ParseEntityUID(f.arena, entity());
      Response indexed = Authorize(f.policies, f.entities, req);
      // Evaluate every policy directly.
      Arena scratch;
      Evaluator ev(f.entities, req, scratch);
      std::set<std::string> permits, forbids;
      for (const auto& p : f.policies.policies()) {
        if (ev.EvaluatePolicy(*p) == Evaluator::Outcome::kSatisfied) {
          (p->effect() == Effect::kPermit ? permits : forbids).insert(p->id());
        }
      }
      Decision want = forbids.empty() && !permits.empty() ? Decision::kAllow : Decision::kDeny;
      std::set<std::string> want_reasons = forbids.empty() ? permits : forbids;
      ASSERT_EQ(indexed.decision, want) << text;
      ASSERT_EQ(Ids(indexed.reasons), want_reasons) << text;
      ASSERT_EQ(indexed.reasons.size(), want_reasons.size()) << "a policy was reported twice";
    }
  }
}

}  // namespace
}  // namespace cedar
