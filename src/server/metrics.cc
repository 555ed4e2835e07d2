#include "server/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace writ::server {
namespace {

[[noreturn]] void Misuse(const std::string& message) {
  std::fprintf(stderr, "writ: metrics misuse: %s\n", message.c_str());
  std::abort();
}

bool ValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  auto first = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  };
  if (!first(name[0])) return false;
  for (char c : name) {
    if (!first(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool ValidLabelName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  auto first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!first(name[0])) return false;
  for (char c : name) {
    if (!first(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

void AppendEscapedHelp(std::string_view v, std::string* out) {
  for (char c : v) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      out->push_back(c);
    }
  }
}

// `{a="x",b="y"` plus `extra` (already formatted, e.g. `le="0.5"`), then `}`; nothing when
// there are no labels at all.
void AppendLabels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                  std::string_view extra, std::string* out) {
  if (names.empty() && extra.empty()) return;
  out->push_back('{');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out->push_back(',');
    *out += names[i];
    *out += "=\"";
    AppendEscapedLabelValue(values[i], out);
    out->push_back('"');
  }
  if (!extra.empty()) {
    if (!names.empty()) out->push_back(',');
    *out += extra;
  }
  out->push_back('}');
}

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

void AppendMetricValue(double v, std::string* out) {
  if (std::isnan(v)) {
    *out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  std::to_chars_result r;
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    r = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof(buf), v);
  }
  out->append(buf, r.ptr);
}

void AppendEscapedLabelValue(std::string_view v, std::string* out) {
  for (char c : v) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '"') {
      *out += "\\\"";
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      out->push_back(c);
    }
  }
}

std::vector<double> LatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

Histogram::Histogram(std::shared_ptr<const std::vector<double>> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_->size() + 1)) {}

void Histogram::Observe(double v) {
  const std::vector<double>& b = *bounds_;
  size_t i = static_cast<size_t>(std::lower_bound(b.begin(), b.end(), v) - b.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(bounds_->size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

void MetricFamilyBase::CheckLabelCount(size_t n) const {
  if (n != label_names_.size()) {
    Misuse(name_ + " has " + std::to_string(label_names_.size()) + " labels, given " +
           std::to_string(n) + " values");
  }
}

template <typename Metric>
bool MetricFamily<Metric>::LabelsLess::operator()(std::span<const std::string_view> a,
                                                  const std::vector<std::string>& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](std::string_view x, std::string_view y) { return x < y; });
}

template <typename Metric>
bool MetricFamily<Metric>::LabelsLess::operator()(const std::vector<std::string>& a,
                                                  std::span<const std::string_view> b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](std::string_view x, std::string_view y) { return x < y; });
}

template <typename Metric>
Metric& MetricFamily<Metric>::WithLabels(std::span<const std::string_view> values) {
  CheckLabelCount(values.size());
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = children_.find(values);
    if (it != children_.end()) return *it->second;
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  std::vector<std::string> key(values.begin(), values.end());
  auto [pos, inserted] = children_.emplace(std::move(key), factory_());
  return *pos->second;
}

template <typename Metric>
void MetricFamily<Metric>::ForEach(
    const std::function<void(const std::vector<std::string>&, const Metric&)>& fn) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& [labels, metric] : children_) fn(labels, *metric);
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

MetricFamilyBase& MetricsRegistry::Add(std::unique_ptr<MetricFamilyBase> family,
                                       const std::vector<double>* bounds) {
  if (!ValidMetricName(family->name())) Misuse("invalid metric name `" + family->name() + "`");
  for (const std::string& l : family->label_names()) {
    if (!ValidLabelName(l) || (family->type() == MetricType::kHistogram && l == "le")) {
      Misuse("invalid label name `" + l + "` on " + family->name());
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(family->name());
  if (it != families_.end()) {
    MetricFamilyBase& old = *it->second;
    bool same = old.type() == family->type() && old.label_names() == family->label_names();
    if (same && bounds != nullptr) same = histogram_bounds_[old.name()] == *bounds;
    if (!same) Misuse(family->name() + " registered twice with different shapes");
    return old;
  }
  if (bounds != nullptr) histogram_bounds_[family->name()] = *bounds;
  MetricFamilyBase& ref = *family;
  families_.emplace(family->name(), std::move(family));
  return ref;
}

CounterFamily& MetricsRegistry::AddCounter(std::string name, std::string help,
                                           std::vector<std::string> label_names) {
  bool no_labels = label_names.empty();
  auto& f = static_cast<CounterFamily&>(
      Add(std::make_unique<CounterFamily>(std::move(name), std::move(help), MetricType::kCounter,
                                          std::move(label_names),
                                          [] { return std::make_unique<Counter>(); }),
          nullptr));
  if (no_labels) f.Get();
  return f;
}

GaugeFamily& MetricsRegistry::AddGauge(std::string name, std::string help,
                                       std::vector<std::string> label_names) {
  bool no_labels = label_names.empty();
  auto& f = static_cast<GaugeFamily&>(
      Add(std::make_unique<GaugeFamily>(std::move(name), std::move(help), MetricType::kGauge,
                                        std::move(label_names),
                                        [] { return std::make_unique<Gauge>(); }),
          nullptr));
  if (no_labels) f.Get();
  return f;
}

HistogramFamily& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> bounds) {
  if (bounds.empty()) Misuse(name + ": a histogram needs at least one bucket");
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (std::isnan(bounds[i]) || std::isinf(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      Misuse(name + ": bucket bounds must be finite and strictly ascending");
    }
  }
  bool no_labels = label_names.empty();
  auto shared = std::make_shared<const std::vector<double>>(bounds);
  auto& f = static_cast<HistogramFamily&>(Add(
      std::make_unique<HistogramFamily>(std::move(name), std::move(help), MetricType::kHistogram,
                                        std::move(label_names),
                                        [shared] { return std::make_unique<Histogram>(shared); }),
      &bounds));
  if (no_labels) f.Get();
  return f;
}

void MetricsRegistry::AddCollector(std::function<void()> collect) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::Render() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard<std::mutex> lock(mu_);
    collectors = collectors_;
  }
  for (const auto& c : collectors) c();
  std::string out;
  out.reserve(4096);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, family] : families_) {
    out += "# HELP ";
    out += name;
    out.push_back(' ');
    AppendEscapedHelp(family->help(), &out);
    out += "\n# TYPE ";
    out += name;
    out.push_back(' ');
    out += TypeName(family->type());
    out.push_back('\n');
    const std::vector<std::string>& label_names = family->label_names();
    switch (family->type()) {
      case MetricType::kCounter:
        static_cast<const CounterFamily&>(*family).ForEach(
            [&](const std::vector<std::string>& labels, const Counter& c) {
              out += name;
              AppendLabels(label_names, labels, {}, &out);
              out.push_back(' ');
              AppendMetricValue(static_cast<double>(c.value()), &out);
              out.push_back('\n');
            });
        break;
      case MetricType::kGauge:
        static_cast<const GaugeFamily&>(*family).ForEach(
            [&](const std::vector<std::string>& labels, const Gauge& g) {
              out += name;
              AppendLabels(label_names, labels, {}, &out);
              out.push_back(' ');
              AppendMetricValue(g.value(), &out);
              out.push_back('\n');
            });
        break;
      case MetricType::kHistogram:
        static_cast<const HistogramFamily&>(*family).ForEach(
            [&](const std::vector<std::string>& labels, const Histogram& h) {
              std::vector<uint64_t> counts = h.BucketCounts();
              const std::vector<double>& bounds = h.bounds();
              uint64_t cumulative = 0;
              std::string le;
              for (size_t i = 0; i < counts.size(); ++i) {
                cumulative += counts[i];
                le = "le=\"";
                if (i < bounds.size()) {
                  AppendMetricValue(bounds[i], &le);
                } else {
                  le += "+Inf";
                }
                le.push_back('"');
                out += name;
                out += "_bucket";
                AppendLabels(label_names, labels, le, &out);
                out.push_back(' ');
                AppendMetricValue(static_cast<double>(cumulative), &out);
                out.push_back('\n');
              }
              out += name;
              out += "_sum";
              AppendLabels(label_names, labels, {}, &out);
              out.push_back(' ');
              AppendMetricValue(h.sum(), &out);
              out.push_back('\n');
              out += name;
              out += "_count";
              AppendLabels(label_names, labels, {}, &out);
              out.push_back(' ');
              AppendMetricValue(static_cast<double>(cumulative), &out);
              out.push_back('\n');
            });
        break;
    }
  }
  return out;
}

}  // namespace writ::server
