#include <gtest/gtest.h>

#include "relay/core/metrics.hpp"

namespace relay::core::metrics {
namespace {

TEST(Metrics, CountersRenderWithHelpTypeAndEscapedLabels) {
  Registry registry;
  auto& requests = registry.counter("relay_test_requests_total", "Requests.", {"tunnel", "code"});
  requests.with({"a\"b\\c\nd", "2xx"}).inc(3);
  requests.with({"plain", "5xx"}).inc();
  EXPECT_EQ(registry.render(),
            "# HELP relay_test_requests_total Requests.\n"
            "# TYPE relay_test_requests_total counter\n"
            "relay_test_requests_total{tunnel=\"a\\\"b\\\\c\\nd\",code=\"2xx\"} 3\n"
            "relay_test_requests_total{tunnel=\"plain\",code=\"5xx\"} 1\n");
}

TEST(Metrics, GaugeWithoutLabels) {
  Registry registry;
  registry.gauge("relay_test_sessions", "Sessions.").with({}).set(2.5);
  EXPECT_EQ(registry.render(),
            "# HELP relay_test_sessions Sessions.\n# TYPE relay_test_sessions gauge\n"
            "relay_test_sessions 2.5\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeAndEndInInf) {
  Registry registry;
  auto& h = registry.histogram("relay_test_seconds", "Latency.", {"tunnel"}, {0.1, 1});
  h.with({"t"}).observe(0.05);
  h.with({"t"}).observe(0.1);  // on the bound: counted in le="0.1"
  h.with({"t"}).observe(5);
  EXPECT_EQ(registry.render(),
            "# HELP relay_test_seconds Latency.\n# TYPE relay_test_seconds histogram\n"
            "relay_test_seconds_bucket{tunnel=\"t\",le=\"0.1\"} 2\n"
            "relay_test_seconds_bucket{tunnel=\"t\",le=\"1\"} 2\n"
            "relay_test_seconds_bucket{tunnel=\"t\",le=\"+Inf\"} 3\n"
            "relay_test_seconds_sum{tunnel=\"t\"} 5.15\n"
            "relay_test_seconds_count{tunnel=\"t\"} 3\n");
}

TEST(Metrics, StatusClass) {
  EXPECT_EQ(status_class(200), "2xx");
  EXPECT_EQ(status_class(503), "5xx");
  EXPECT_EQ(status_class(0), "other");
  EXPECT_EQ(status_class(600), "other");
}

}  // namespace
}  // namespace relay::core::metrics
