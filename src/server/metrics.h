// MetricsRegistry: counters, gauges and histograms with labels, rendered in the Prometheus text
// exposition format (version 0.0.4) for `/metrics`.
//
// Every part of Writ registers its metrics in the one registry the service owns: a family is a
// name, a help text and label names; WithLabels(values) returns the child for one combination
// of label values, created on first use and kept until the registry is destroyed (its address
// is stable, so hot paths look it up once and keep the reference).
//
// Naming: names match [a-zA-Z_:][a-zA-Z0-9_:]* and start with "writ_"; counters end in
// "_total"; durations are in seconds ("_seconds"). Label values are free text (escaped when
// rendered) but must come from a small set (route patterns, error codes), never from ids.
//
// Misuse is a bug, not an input error: registering a name twice with a different type, labels
// or buckets, an invalid name, or WithLabels with the wrong number of values aborts the process
// with a message on stderr.
//
// Thread-safety: everything may be called from any thread. Updating a child is one or two
// relaxed atomic operations; WithLabels takes a shared lock (exclusive only on the first use of
// a combination); Render takes the registry's lock and reads each value atomically (a scrape
// concurrent with updates sees each value at some instant, not all at one).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace writ::server {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, strictly ascending, without +Inf.
  explicit Histogram(std::shared_ptr<const std::vector<double>> bounds);
  void Observe(double v);

  // Per-bucket (not cumulative) counts, the last one for +Inf; and the sum of observations.
  std::vector<uint64_t> BucketCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  std::shared_ptr<const std::vector<double>> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_->size() + 1
  std::atomic<double> sum_{0};
};

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };

// The children of one metric name, by label values.
class MetricFamilyBase {
 public:
  virtual ~MetricFamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

 protected:
  MetricFamilyBase(std::string name, std::string help, MetricType type,
                   std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)) {}
  // Aborts unless `n` equals the number of label names.
  void CheckLabelCount(size_t n) const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

template <typename Metric>
class MetricFamily final : public MetricFamilyBase {
 public:
  using Factory = std::function<std::unique_ptr<Metric>()>;
  MetricFamily(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names, Factory factory)
      : MetricFamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        factory_(std::move(factory)) {}

  // The child for these label values (as many as label names, in the same order).
  Metric& WithLabels(std::initializer_list<std::string_view> values) {
    return WithLabels(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Metric& WithLabels(std::span<const std::string_view> values);
  // The child without labels (for families declared without label names).
  Metric& Get() { return WithLabels(std::span<const std::string_view>()); }

  // Calls `fn(label_values, metric)` for every child, in label order (under a shared lock).
  void ForEach(const std::function<void(const std::vector<std::string>&, const Metric&)>& fn) const;

 private:
  struct LabelsLess {
    using is_transparent = void;
    bool operator()(const std::vector<std::string>& a, const std::vector<std::string>& b) const {
      return a < b;
    }
    bool operator()(std::span<const std::string_view> a, const std::vector<std::string>& b) const;
    bool operator()(const std::vector<std::string>& a, std::span<const std::string_view> b) const;
  };

  Factory factory_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>, LabelsLess> children_;
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

// Upper bounds (seconds) for request latencies: 50 µs to 10 s.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names, std::vector<double> bounds);

  // `collect` runs at the start of every Render (e.g. to set gauges read from elsewhere). It
  // must not register metrics.
  void AddCollector(std::function<void()> collect);

  // Every family, sorted by name, in the text exposition format; children sorted by labels.
  std::string Render() const;

 private:
  MetricFamilyBase& Add(std::unique_ptr<MetricFamilyBase> family,
                        const std::vector<double>* bounds);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamilyBase>> families_;
  std::map<std::string, std::vector<double>> histogram_bounds_;
  std::vector<std::function<void()>> collectors_;
};

// Appends `v` as the exposition format writes sample values: integers without a fraction,
// "+Inf", "-Inf", "NaN", otherwise the shortest decimal that reads back as `v`.
void AppendMetricValue(double v, std::string* out);
// Appends a label value with \, " and newline escaped.
void AppendEscapedLabelValue(std::string_view v, std::string* out);

}  // namespace writ::server
