#include "verdict/common/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace verdict::metrics {
namespace {

TEST(FormatValue, IntegersSpecialsAndFractions) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-0.0), "0");
  EXPECT_EQ(format_value(3), "3");
  EXPECT_EQ(format_value(-7), "-7");
  EXPECT_EQ(format_value(800000), "800000");
  EXPECT_EQ(format_value(1.5), "1.5");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(0.1 + 0.2), "0.30000000000000004");  // round-trips, no rounding
  EXPECT_EQ(format_value(1e-7), "1e-07");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(Registry, UnlabelledFamiliesRenderZeroBeforeFirstUse) {
  Registry r;
  r.counter("requests_total", "Requests served.");
  r.gauge("in_flight", "Requests in flight.");
  r.histogram("latency_seconds", "Latency.", {0.1, 1});
  EXPECT_EQ(r.render(),
            "# HELP requests_total Requests served.\n"
            "# TYPE requests_total counter\n"
            "requests_total 0\n"
            "# HELP in_flight Requests in flight.\n"
            "# TYPE in_flight gauge\n"
            "in_flight 0\n"
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.1\"} 0\n"
            "latency_seconds_bucket{le=\"1\"} 0\n"
            "latency_seconds_bucket{le=\"+Inf\"} 0\n"
            "latency_seconds_sum 0\n"
            "latency_seconds_count 0\n");
}

TEST(Registry, CounterAndGaugeWithoutLabels) {
  Registry r;
  Counter& c = r.counter("requests_total", "Requests.").with({});
  c.inc();
  c.inc(2.5);
  c.inc(-10);  // ignored: counters never go down
  c.inc(std::nan(""));
  EXPECT_EQ(c.value(), 3.5);
  Gauge& g = r.gauge("temperature", "Degrees.").with({});
  g.set(10);
  g.add(-12);
  EXPECT_EQ(g.value(), -2);
  EXPECT_EQ(r.render(),
            "# HELP requests_total Requests.\n"
            "# TYPE requests_total counter\n"
            "requests_total 3.5\n"
            "# HELP temperature Degrees.\n"
            "# TYPE temperature gauge\n"
            "temperature -2\n");
  g.set(std::numeric_limits<double>::infinity());
  EXPECT_NE(r.render().find("temperature +Inf\n"), std::string::npos);
}

TEST(Registry, LabelledChildrenSortedAndOnlyThoseThatExist) {
  Registry r;
  auto& family = r.counter("http_requests_total", "HTTP requests.", {"method", "code"});
  EXPECT_EQ(r.render(),
            "# HELP http_requests_total HTTP requests.\n"
            "# TYPE http_requests_total counter\n");
  family.with({"post", "200"}).inc(3);
  family.with({"get", "500"}).inc();
  family.with({"get", "200"}).inc(2);
  EXPECT_EQ(&family.with({"get", "200"}), &family.with({"get", "200"}));
  EXPECT_EQ(r.render(),
            "# HELP http_requests_total HTTP requests.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"get\",code=\"200\"} 2\n"
            "http_requests_total{method=\"get\",code=\"500\"} 1\n"
            "http_requests_total{method=\"post\",code=\"200\"} 3\n");
  EXPECT_THROW(family.with({"get"}), std::invalid_argument);
  EXPECT_THROW(family.with({"get", "200", "x"}), std::invalid_argument);
}

TEST(Registry, HistogramCumulativeBucketsWithLabels) {
  Registry r;
  // Binary fractions, so _sum is exact and the expected text is stable.
  auto& family = r.histogram("latency_seconds", "Latency.", {0.125, 0.5, 2}, {"route"});
  Histogram& h = family.with({"/classify"});
  h.observe(0.0625);
  h.observe(0.125);  // upper bounds are inclusive
  h.observe(0.25);
  h.observe(1);
  h.observe(2.5);
  h.observe(7.5);
  EXPECT_EQ(h.cumulative_counts(), (std::vector<uint64_t>{2, 3, 4, 6}));
  EXPECT_EQ(h.count(), 6u);
  family.with({"/health"}).observe(0.25);
  EXPECT_EQ(r.render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"/classify\",le=\"0.125\"} 2\n"
            "latency_seconds_bucket{route=\"/classify\",le=\"0.5\"} 3\n"
            "latency_seconds_bucket{route=\"/classify\",le=\"2\"} 4\n"
            "latency_seconds_bucket{route=\"/classify\",le=\"+Inf\"} 6\n"
            "latency_seconds_sum{route=\"/classify\"} 11.4375\n"
            "latency_seconds_count{route=\"/classify\"} 6\n"
            "latency_seconds_bucket{route=\"/health\",le=\"0.125\"} 0\n"
            "latency_seconds_bucket{route=\"/health\",le=\"0.5\"} 1\n"
            "latency_seconds_bucket{route=\"/health\",le=\"2\"} 1\n"
            "latency_seconds_bucket{route=\"/health\",le=\"+Inf\"} 1\n"
            "latency_seconds_sum{route=\"/health\"} 0.25\n"
            "latency_seconds_count{route=\"/health\"} 1\n");
}

TEST(Registry, HistogramNaNAndTrailingInfBucket) {
  Registry r;
  Histogram& h = r.histogram("h", "", {1, std::numeric_limits<double>::infinity()}).with({});
  EXPECT_EQ(h.bounds(), (std::vector<double>{1}));
  h.observe(std::nan(""));  // counted in +Inf only, as client_golang does
  EXPECT_EQ(h.cumulative_counts(), (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(h.sum()));
}

TEST(Registry, Escaping) {
  Registry r;
  r.gauge("g", "Back\\slash, \"quotes\" and\nnewline.", {"path"})
      .with({"C:\\dir\\\"x\"\nend"})
      .set(1);
  EXPECT_EQ(r.render(),
            "# HELP g Back\\\\slash, \"quotes\" and\\nnewline.\n"
            "# TYPE g gauge\n"
            "g{path=\"C:\\\\dir\\\\\\\"x\\\"\\nend\"} 1\n");
}

TEST(Registry, SameNameReturnsSameFamilyOrThrows) {
  Registry r;
  auto& a = r.counter("x_total", "X.", {"k"});
  EXPECT_EQ(&a, &r.counter("x_total", "Other help is fine.", {"k"}));
  EXPECT_THROW(r.gauge("x_total", "X.", {"k"}), std::invalid_argument);
  EXPECT_THROW(r.counter("x_total", "X.", {"other"}), std::invalid_argument);
  EXPECT_THROW(r.counter("x_total", "X."), std::invalid_argument);
  auto& h = r.histogram("h", "H.", {1, 2});
  EXPECT_EQ(&h, &r.histogram("h", "H.", {1, 2}));
  EXPECT_THROW(r.histogram("h", "H.", {1, 3}), std::invalid_argument);
}

TEST(Registry, InvalidNamesAndBucketsThrow) {
  Registry r;
  for (const char* bad : {"", "1abc", "a-b", "a b", "caf\xc3\xa9"}) {
    EXPECT_THROW(r.counter(bad, "h"), std::invalid_argument) << bad;
  }
  EXPECT_NO_THROW(r.counter("_ok:name_1", "h"));
  EXPECT_NO_THROW(r.gauge("g", "h", {"_ok", "Label_2"}));
  for (const char* bad : {"", "2x", "a-b", "a:b", "__reserved"}) {
    EXPECT_THROW(r.gauge("g2", "h", {bad}), std::invalid_argument) << bad;
  }
  EXPECT_THROW(r.gauge("g3", "h", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h1", "h", {1}, {"le"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h2", "h", {2, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h3", "h", {1, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h4", "h", {std::nan("")}), std::invalid_argument);
  // Nothing half-registered after a throw.
  EXPECT_EQ(r.render().find("g2"), std::string::npos);
}

TEST(ExponentialBuckets, Values) {
  EXPECT_EQ(exponential_buckets(0.001, 10, 4), (std::vector<double>{0.001, 0.01, 0.1, 1.0}));
  EXPECT_EQ(exponential_buckets(1, 2, 3), (std::vector<double>{1, 2, 4}));
  EXPECT_THROW(exponential_buckets(0, 2, 3), std::invalid_argument);
  EXPECT_THROW(exponential_buckets(1, 1, 3), std::invalid_argument);
  EXPECT_THROW(exponential_buckets(1, 2, 0), std::invalid_argument);
}

TEST(Concurrency, ExactTotalsFromEightThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100000;
  Registry r;
  auto& counters = r.counter("ops_total", "Ops.", {"kind"});
  Gauge& gauge = r.gauge("level", "Level.").with({});
  Histogram& hist = r.histogram("sizes", "Sizes.", {0.5, 1.5}).with({});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every thread looks the child up itself, racing on its creation.
      Counter& c = counters.with({"op"});
      for (int i = 0; i < kPerThread; ++i) {
        c.inc();
        gauge.add(t % 2 == 0 ? 2 : -1);
        hist.observe(1);
        if (i % 20000 == 0) (void)r.render();  // scrapes concurrent with updates
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counters.with({"op"}).value(), kThreads * kPerThread);
  EXPECT_EQ(gauge.value(), (kThreads / 2) * kPerThread * (2 - 1));
  EXPECT_EQ(hist.count(), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(hist.sum(), kThreads * kPerThread);
  EXPECT_NE(r.render().find("ops_total{kind=\"op\"} 800000\n"), std::string::npos);
  EXPECT_NE(r.render().find("sizes_bucket{le=\"1.5\"} 800000\n"), std::string::npos);
}

}  // namespace
}  // namespace verdict::metrics
