// The gateway benchmark's world: the gateway tests' world (tests/gateway/gateway_world.h: the
// real writ serve, server-everything on a free port, a bundle from `writ schema from-mcp`), one
// task token, then bench/gateway/gateway_bench.js measuring through Writ and directly.
//   gateway_bench [--gtest_also_run_disabled_tests]  (WRIT_BENCH_CALLS, WRIT_BENCH_SECONDS,
//   WRIT_BENCH_CONCURRENCY, WRIT_BENCH_ROUNDS override the defaults;
//   WRIT_BENCH_OUTCOME_BEFORE_REPLY=1 sets [gateway] outcome_before_reply)
#include <cstdlib>
#include <iostream>

#include "gateway/gateway_world.h"

namespace writ::gateway::testing {
namespace {

int64_t Env(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::atoll(v) : fallback;
}

class GatewayBench : public GatewayWorld {
 protected:
  void SetUp() override {
    // WRIT_BENCH_OUTCOME_BEFORE_REPLY=1: answers wait for their outcome records to be durable.
    outcome_before_reply_ = Env("WRIT_BENCH_OUTCOME_BEFORE_REPLY", 0) != 0;
    GatewayWorld::SetUp();
  }
};

TEST_F(GatewayBench, ToolsCallThroughWritVersusDirect) {
  auto [token, task] = Task("bench-bot", "payments", "alice");
  json::object args{{"writ", "http://127.0.0.1:" + std::to_string(port_)},
                    {"token", token},
                    {"direct", EverythingUrl()},
                    {"calls", Env("WRIT_BENCH_CALLS", 1000)},
                    {"rounds", Env("WRIT_BENCH_ROUNDS", 3)},
                    {"concurrency", Env("WRIT_BENCH_CONCURRENCY", 32)},
                    {"seconds", Env("WRIT_BENCH_SECONDS", 5)}};
  Child c({NodeBinary(), WRIT_GATEWAY_BENCH_DIR "/gateway_bench.js", json::serialize(args)});
  ASSERT_TRUE(c.started());
  int rc = c.Wait(std::chrono::seconds(900));
  EXPECT_EQ(rc, 0) << c.err();
  std::cout << c.out();
}

}  // namespace
}  // namespace writ::gateway::testing
