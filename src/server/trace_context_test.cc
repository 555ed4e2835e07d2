#include "server/trace_context.h"

#include <gtest/gtest.h>

#include <random>

namespace writ::server {
namespace {

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceParentTest, ParsesTheSpecificationsExample) {
  auto p = ParseTraceParent(kValid);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->version, 0);
  EXPECT_EQ(p->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(p->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(p->flags, 1);
  EXPECT_TRUE(ParseTraceParent("  " + std::string(kValid) + "\t").has_value());
}

TEST(TraceParentTest, RefusesEveryMalformedVariant) {
  const char* bad[] = {
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",    // short flags
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // 00 must be exact
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // uppercase
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // zero parent id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // forbidden version
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // not hex
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // separator
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z",   // flags not hex
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // future: '-' must follow
  };
  for (const char* b : bad) EXPECT_FALSE(ParseTraceParent(b).has_value()) << b;
}

TEST(TraceParentTest, FutureVersionsAreReadAsFarAsVersionZeroGoes) {
  auto p = ParseTraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-ever");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->version, 0xcc);
  EXPECT_EQ(p->flags, 9);
  EXPECT_TRUE(
      ParseTraceParent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").has_value());
}

TEST(TraceStateTest, KeepsValidListsAndNormalisesWhitespace) {
  auto s = ParseTraceState("rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE,,  tenant@sys=a b");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant@sys=a b");
  EXPECT_EQ(*ParseTraceState(""), "");
}

TEST(TraceStateTest, RefusesInvalidMembers) {
  const char* bad[] = {
      "Rojo=1",         // uppercase key
      "1abc=1",         // simple keys start with a letter
      "rojo",           // no '='
      "rojo=",          // empty value
      "rojo=a,rojo=b",  // duplicate key
      "rojo=a=b",       // '=' in value
      "rojo=a\x01b",    // control character in a value
      "t@=1",           // empty system id
      "t@toolongsystemid=1",
  };
  for (const char* b : bad) EXPECT_FALSE(ParseTraceState(b).has_value()) << b;
  std::string many;
  for (int i = 0; i < 33; ++i) many += "k" + std::to_string(i) + "=v,";
  EXPECT_FALSE(ParseTraceState(many).has_value());
  many.clear();
  for (int i = 0; i < 32; ++i) many += "k" + std::to_string(i) + "=v,";
  EXPECT_TRUE(ParseTraceState(many).has_value());
}

TEST(TraceContextTest, ContinuesTheCallersTrace) {
  std::mt19937_64 rng(7);
  TraceContext t;
  BuildTraceContext(kValid, "rojo=1", rng, &t);
  EXPECT_TRUE(t.from_caller);
  EXPECT_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t.parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(t.flags, 1);
  EXPECT_EQ(t.tracestate, "rojo=1");
  ASSERT_EQ(t.span_id.size(), 16u);
  EXPECT_NE(t.span_id, t.parent_id);
  std::string child = t.ChildTraceParent();
  EXPECT_EQ(child, "00-4bf92f3577b34da6a3ce929d0e0e4736-" + t.span_id + "-01");
  EXPECT_TRUE(ParseTraceParent(child).has_value());
}

TEST(TraceContextTest, StartsANewTraceWhenTheHeaderIsAbsentOrInvalid) {
  std::mt19937_64 rng(11);
  TraceContext a, b;
  BuildTraceContext("", "", rng, &a);
  BuildTraceContext("00-garbage", "rojo=1", rng, &b);
  for (const TraceContext* t : {&a, &b}) {
    EXPECT_FALSE(t->from_caller);
    EXPECT_TRUE(t->parent_id.empty());
    EXPECT_TRUE(t->tracestate.empty());  // dropped with an invalid traceparent
    EXPECT_TRUE(ParseTraceParent(t->ChildTraceParent()).has_value());
  }
  EXPECT_NE(a.trace_id, b.trace_id);
}

TEST(TraceContextTest, InvalidTraceStateIsDroppedButTraceKept) {
  std::mt19937_64 rng(3);
  TraceContext t;
  BuildTraceContext(kValid, "BAD=1", rng, &t);
  EXPECT_TRUE(t.from_caller);
  EXPECT_TRUE(t.tracestate.empty());
}

}  // namespace
}  // namespace writ::server
