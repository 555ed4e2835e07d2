#include "service/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

namespace writ::service {
namespace {

TEST(WorkPoolTest, RunsEverythingSubmittedBeforeStop) {
  std::atomic<int> done{0};
  WorkPool pool(3, 1000);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&done] { done.fetch_add(1); }));
  }
  pool.Stop();
  EXPECT_EQ(done.load(), 200);
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

TEST(WorkPoolTest, RefusesBeyondTheBound) {
  WorkPool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  // Occupies the only thread, so that later items stay queued.
  ASSERT_TRUE(pool.TrySubmit([gate, &started] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(pool.TrySubmit([] {}));
  release.set_value();
  pool.Stop();
  EXPECT_EQ(pool.queued(), 0u);
}

}  // namespace
}  // namespace writ::service
