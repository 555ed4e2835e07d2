#include "base/status.h"

#include <gtest/gtest.h>

#include <set>

namespace writ {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgument("odd: " + std::to_string(v));
  return v / 2;
}

Result<int> Quarter(int v) {
  WRIT_ASSIGN_OR_RETURN(int h, Half(v));
  WRIT_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckPositive(int v) {
  if (v <= 0) return Status(StatusCode::kOutOfRange, "not positive");
  return Status::Ok();
}

Status CheckBoth(int a, int b) {
  WRIT_RETURN_IF_ERROR(CheckPositive(a));
  WRIT_RETURN_IF_ERROR(CheckPositive(b));
  return Status::Ok();
}

TEST(StatusTest, OkAndErrorCarryCodeAndMessage) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.ToString(), "ok");
  Status err = DataLoss("record 7 changed");
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(err.code(), StatusCode::kDataLoss);
  EXPECT_EQ(err.ToString(), "data_loss: record 7 changed");
  EXPECT_EQ(err.WithContext("verify").message(), "verify: record 7 changed");
  EXPECT_EQ(err.WithContext("verify").code(), StatusCode::kDataLoss);
}

TEST(StatusTest, EveryCodeHasADistinctName) {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(StatusCode::kUnimplemented); ++c) {
    names.insert(StatusCodeName(static_cast<StatusCode>(c)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(StatusCode::kUnimplemented) + 1);
  EXPECT_EQ(names.count("unknown"), 0u);
}

TEST(StatusTest, ResultPropagates) {
  auto q = Quarter(12);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, 3);
  auto bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "odd: 3");
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  EXPECT_EQ(CheckBoth(1, -2).code(), StatusCode::kOutOfRange);
}

TEST(StatusTest, ResultFromOkStatusIsAnInternalError) {
  Result<int> r{Status::Ok()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace writ
