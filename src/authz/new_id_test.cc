#include <gtest/gtest.h>

#include <set>

#include "authz/decision.h"
#include "base/failing_random_test_util.h"

namespace writ::authz {
namespace {

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

TEST(NewUuidV7Test, IsATimeOrderedVersion7UuidWithRandomBits) {
  // 2026-11-24T03:00:00.123Z
  ManualClock clock(1795489200123456);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    Result<std::string> id = NewUuidV7(clock);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    const std::string& s = *id;
    ASSERT_EQ(s.size(), 36u) << s;
    for (size_t k = 0; k < s.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        EXPECT_EQ(s[k], '-') << s;
      } else {
        EXPECT_TRUE(IsLowerHex(s[k])) << s;
      }
    }
    // The first 48 bits are the Unix time in milliseconds.
    EXPECT_EQ(s.substr(0, 8) + s.substr(9, 4), "01a20b7ef7fb") << s;
    EXPECT_EQ(s[14], '7') << s;                                          // version
    EXPECT_NE(std::string("89ab").find(s[19]), std::string::npos) << s;  // RFC 9562 variant
    seen.insert(s);
  }
  // Within one millisecond only the random bits tell the ids apart.
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(NewUuidV7Test, RefusesWhenTheRandomGeneratorFails) {
  // Without its random bits every id made in the same millisecond would be the same one: a
  // decision or approval id must not be made at all then. Random bits are drawn 256 ids'
  // worth at a time, so the ids already drawn are still made, each distinct, and the next
  // draw refuses.
  ManualClock clock(1795489200123456);
  Result<std::string> id = std::string();
  std::set<std::string> seen;
  int made = 0;
  {
    testutil::FailingRandomGenerator failing;
    ASSERT_TRUE(failing.installed());
    for (; made <= 256; ++made) {
      id = NewUuidV7(clock);
      if (!id.ok()) break;
      seen.insert(*id);
    }
  }
  EXPECT_LE(made, 255);
  EXPECT_EQ(seen.size(), static_cast<size_t>(made));
  EXPECT_EQ(id.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(id.status().message().find("random"), std::string::npos) << id.status().ToString();
  // The generator works again: so do the ids.
  EXPECT_TRUE(NewUuidV7(clock).ok());
}

}  // namespace
}  // namespace writ::authz
