#include "relay/core/metrics.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace relay::core::metrics {

namespace {

// Label values: backslash, double quote and line feed are escaped (exposition format).
void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_number(std::string& out, double v) {
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<std::int64_t>(v));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    append_escaped(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void append_header(std::string& out, const std::string& name, const std::string& help,
                   std::string_view type) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <class Metric>
constexpr std::string_view type_name() {
  if constexpr (std::is_same_v<Metric, Counter>) {
    return "counter";
  } else if constexpr (std::is_same_v<Metric, Gauge>) {
    return "gauge";
  } else {
    return "histogram";
  }
}

}  // namespace

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double value) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;  // the buckets' total, so +Inf and _count always agree
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,      2.5,   5,    10,    30,   60};
  return kBuckets;
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> labels,
                       std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      labels_(std::move(labels)),
      bounds_(std::move(bounds)) {}

template <class Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> values) {
  std::vector<std::string> key;
  key.reserve(values.size());
  for (auto v : values) key.emplace_back(v);
  key.resize(labels_.size());
  std::lock_guard lock(mutex_);
  auto& slot = series_[std::move(key)];
  if (!slot) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      slot = std::make_unique<Histogram>(bounds_);
    } else {
      slot = std::make_unique<Metric>();
    }
  }
  return *slot;
}

template <class Metric>
void Family<Metric>::clear() {
  std::lock_guard lock(mutex_);
  series_.clear();
}

template <class Metric>
void Family<Metric>::render(std::string& out) const {
  append_header(out, name_, help_, type_name<Metric>());
  std::lock_guard lock(mutex_);
  for (const auto& [values, metric] : series_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const auto snap = metric->snapshot();
      for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
        std::string le;
        if (i < bounds_.size()) {
          append_number(le, bounds_[i]);
        } else {
          le = "+Inf";
        }
        out += name_;
        out += "_bucket";
        append_labels(out, labels_, values, "le", le);
        fmt::format_to(std::back_inserter(out), " {}\n", snap.cumulative[i]);
      }
      out += name_;
      out += "_sum";
      append_labels(out, labels_, values);
      out += ' ';
      append_number(out, snap.sum);
      out += '\n';
      out += name_;
      out += "_count";
      append_labels(out, labels_, values);
      fmt::format_to(std::back_inserter(out), " {}\n", snap.count);
    } else {
      out += name_;
      append_labels(out, labels_, values);
      out += ' ';
      append_number(out, static_cast<double>(metric->value()));
      out += '\n';
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> labels) {
  auto& family = *counters_.emplace_back(
      std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(labels)));
  renderers_.emplace_back([&family](std::string& out) { family.render(out); });
  return family;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> labels) {
  auto& family = *gauges_.emplace_back(
      std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(labels)));
  renderers_.emplace_back([&family](std::string& out) { family.render(out); });
  return family;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> labels,
                                       std::vector<double> bounds) {
  auto& family = *histograms_.emplace_back(std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), std::move(labels), std::move(bounds)));
  renderers_.emplace_back([&family](std::string& out) { family.render(out); });
  return family;
}

std::string Registry::render() const {
  std::string out;
  for (const auto& render : renderers_) render(out);
  return out;
}

std::string_view status_class(int status) {
  static constexpr std::string_view kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  if (status < 100 || status > 599) return "other";
  return kClasses[status / 100 - 1];
}

}  // namespace relay::core::metrics
