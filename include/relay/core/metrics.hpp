#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// Prometheus metrics: counters, gauges and histograms with labels, rendered in the text
// exposition format (version 0.0.4). Names follow Prometheus' conventions: a `relay_` prefix,
// base units (seconds, bytes), `_total` on counters. Labels carry bounded sets only (tunnel
// names, status classes, error codes), never per-request values such as paths.
//
// Updates are lock-free atomics, so a hot path may keep a reference to one labelled series;
// finding a series by its labels takes the family's mutex (the agent's inspector renders from
// another thread).
namespace relay::core::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets with fixed upper bounds (seconds or bytes).
class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void observe(double value);
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  [[nodiscard]] Snapshot snapshot() const;
  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bound (not cumulative), +Inf
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

// Request latencies: 1 ms to 60 s.
const std::vector<double>& latency_buckets();

enum class Type { counter, gauge, histogram };

// All series of one metric name, one per combination of label values.
template <class Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {});

  // The series for these label values (in the order of the family's label names), created at
  // first use.
  Metric& with(std::initializer_list<std::string_view> values);
  // Forgets every series (gauges recomputed at each scrape).
  void clear();
  void render(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_;
};

class Registry {
 public:
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> labels = {});
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Histogram>& histogram(std::string name, std::string help,
                               std::vector<std::string> labels = {},
                               std::vector<double> bounds = latency_buckets());

  // Every family in registration order, as Prometheus' text format.
  [[nodiscard]] std::string render() const;

 private:
  std::vector<std::function<void(std::string&)>> renderers_;
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
};

// "5xx" for 503; "other" outside 100-599.
std::string_view status_class(int status);

// The Content-Type of render()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace relay::core::metrics
