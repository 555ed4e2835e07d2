#include <gtest/gtest.h>

#include <set>

#include "base/failing_random_test_util.h"
#include "gateway/gateway.h"

namespace writ::gateway {
namespace {

TEST(NewSessionIdTest, Is128RandomBitsInHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    Result<std::string> id = NewSessionId();
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ASSERT_EQ(id->size(), 32u) << *id;
    for (char c : *id) {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << *id;
    }
    seen.insert(*id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(NewSessionIdTest, FailsWithAnErrorWhenTheRandomGeneratorFails) {
  Result<std::string> id = Status(StatusCode::kInternal, "not called");
  bool threw = false;
  {
    testutil::FailingRandomGenerator failing;
    ASSERT_TRUE(failing.installed());
    try {
      id = NewSessionId();
    } catch (...) {
      threw = true;
    }
  }
  EXPECT_FALSE(threw) << "an error must be returned, not thrown";
  ASSERT_FALSE(id.ok()) << *id;
  EXPECT_EQ(id.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(NewSessionId().ok());
}

}  // namespace
}  // namespace writ::gateway
