#include "server/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace writ::server {
namespace {

TEST(MetricsTest, RendersCountersWithHelpTypeAndEscapedLabels) {
  MetricsRegistry r;
  CounterFamily& c = r.AddCounter("writ_test_total", "Things\\counted\nhere.", {"code", "route"});
  c.WithLabels({"a\"b", "x\\y\nz"}).Increment(3);
  c.WithLabels({"plain", "r"}).Increment();
  EXPECT_EQ(r.Render(),
            "# HELP writ_test_total Things\\\\counted\\nhere.\n"
            "# TYPE writ_test_total counter\n"
            "writ_test_total{code=\"a\\\"b\",route=\"x\\\\y\\nz\"} 3\n"
            "writ_test_total{code=\"plain\",route=\"r\"} 1\n");
}

TEST(MetricsTest, FamiliesWithoutLabelsRenderZeroFromTheStart) {
  MetricsRegistry r;
  r.AddGauge("writ_b", "B.");
  r.AddCounter("writ_a_total", "A.");
  EXPECT_EQ(r.Render(),
            "# HELP writ_a_total A.\n# TYPE writ_a_total counter\nwrit_a_total 0\n"
            "# HELP writ_b B.\n# TYPE writ_b gauge\nwrit_b 0\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndCountMatchesInf) {
  MetricsRegistry r;
  HistogramFamily& h = r.AddHistogram("writ_latency_seconds", "L.", {"route"}, {0.125, 0.5, 1});
  Histogram& x = h.WithLabels({"GET /x"});
  for (double v : {0.0625, 0.125, 0.25, 0.75, 3.0}) x.Observe(v);
  EXPECT_EQ(r.Render(),
            "# HELP writ_latency_seconds L.\n"
            "# TYPE writ_latency_seconds histogram\n"
            "writ_latency_seconds_bucket{route=\"GET /x\",le=\"0.125\"} 2\n"
            "writ_latency_seconds_bucket{route=\"GET /x\",le=\"0.5\"} 3\n"
            "writ_latency_seconds_bucket{route=\"GET /x\",le=\"1\"} 4\n"
            "writ_latency_seconds_bucket{route=\"GET /x\",le=\"+Inf\"} 5\n"
            "writ_latency_seconds_sum{route=\"GET /x\"} 4.1875\n"
            "writ_latency_seconds_count{route=\"GET /x\"} 5\n");
}

TEST(MetricsTest, GaugesTakeFractionsAndSpecialValues) {
  std::string out;
  AppendMetricValue(1.5, &out);
  out += ' ';
  AppendMetricValue(-2, &out);
  out += ' ';
  AppendMetricValue(1.0 / 0.0, &out);
  out += ' ';
  AppendMetricValue(-1.0 / 0.0, &out);
  out += ' ';
  AppendMetricValue(0.0 / 0.0, &out);
  out += ' ';
  AppendMetricValue(1e300, &out);
  EXPECT_EQ(out, "1.5 -2 +Inf -Inf NaN 1e+300");
  MetricsRegistry r;
  Gauge& g = r.AddGauge("writ_g", "G.").Get();
  g.Set(2.5);
  g.Add(-1);
  EXPECT_DOUBLE_EQ(g.value(), 1.5);
}

TEST(MetricsTest, SameChildForSameLabelsAndSameFamilyForSameRegistration) {
  MetricsRegistry r;
  CounterFamily& a = r.AddCounter("writ_x_total", "X.", {"k"});
  CounterFamily& b = r.AddCounter("writ_x_total", "X.", {"k"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.WithLabels({"v"}), &b.WithLabels({"v"}));
  EXPECT_NE(&a.WithLabels({"v"}), &a.WithLabels({"w"}));
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry r;
  CounterFamily& c = r.AddCounter("writ_c_total", "C.", {"t"});
  HistogramFamily& h = r.AddHistogram("writ_h", "H.", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        c.WithLabels({i % 2 ? "odd" : "even"}).Increment();
        h.Get().Observe(t);
        if (i % 1000 == 0) (void)r.Render();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.WithLabels({"odd"}).value() + c.WithLabels({"even"}).value(), 40000u);
  std::vector<uint64_t> counts = h.Get().BucketCounts();
  EXPECT_EQ(counts[0] + counts[1], 40000u);
  EXPECT_EQ(counts[0], 20000u);  // observations 0 and 1 are <= 1
}

TEST(MetricsDeathTest, MisuseAborts) {
  MetricsRegistry r;
  r.AddCounter("writ_m_total", "M.", {"a"});
  EXPECT_DEATH(r.AddGauge("writ_m_total", "M."), "different shapes");
  EXPECT_DEATH(r.AddCounter("bad name", "B."), "invalid metric name");
  EXPECT_DEATH(r.AddCounter("writ_n_total", "N.", {"__x"}), "invalid label name");
  EXPECT_DEATH(r.AddCounter("writ_m_total", "M.", {"a"}).WithLabels({"1", "2"}), "2 values");
  EXPECT_DEATH(r.AddHistogram("writ_hh", "H.", {}, {1, 1}), "strictly ascending");
}

}  // namespace
}  // namespace writ::server
