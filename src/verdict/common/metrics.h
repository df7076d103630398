// A small thread-safe Prometheus metrics registry with text exposition (format 0.0.4).
//
// Updating a metric through a reference you already hold (inc/set/add/observe) is lock-free;
// only looking a child up by label values (Family::with) and rendering take a mutex. Families
// and children are never removed, so every reference handed out stays valid for the lifetime
// of the Registry.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace verdict::metrics {

// A monotonically increasing value. Negative and NaN increments are ignored, so a counter can
// never go backwards (Prometheus treats any decrease as a process restart).
class Counter {
 public:
  void inc(double v = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that can go up and down.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into fixed buckets. Counts are stored per bucket (not cumulative) so an
// observation touches one bucket; rendering accumulates them.
class Histogram {
 public:
  // `bounds` are the finite upper bounds, strictly increasing (validated by the Registry).
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double v);

  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative count of observations <= bounds()[i]; i == bounds().size() is the +Inf bucket.
  std::vector<uint64_t> cumulative_counts() const;
  uint64_t count() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 slots, last is +Inf
  std::atomic<double> sum_{0.0};
};

namespace detail {

// What the Registry needs from a family regardless of its metric type.
class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  virtual void render(std::string& out) const = 0;

 protected:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  void render_header(std::string& out, std::string_view type) const;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

}  // namespace detail

// One metric name with a fixed list of label names; each distinct tuple of label values is a
// child metric. Defined in metrics.cc for Counter, Gauge and Histogram only.
template <class Metric>
class Family final : public detail::FamilyBase {
 public:
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // Returns the child for these label values, creating it on first use. Throws
  // std::invalid_argument if the number of values differs from the number of label names.
  Metric& with(const std::vector<std::string>& label_values);

  void render(std::string& out) const override;

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets);

  std::vector<double> buckets_;  // histograms only
  mutable std::mutex mu_;
  // std::map: node addresses are stable (references stay valid) and iteration is sorted.
  std::map<std::vector<std::string>, Metric> children_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering an existing name again returns the existing family if the type, label names
  // (and buckets) match, and throws std::invalid_argument otherwise; invalid metric or label
  // names throw too. These are programmer errors, not user input.
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> label_names = {});
  // `buckets`: strictly increasing upper bounds; a trailing +Inf is optional (always added).
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<double> buckets,
                               std::vector<std::string> label_names = {});

  // The whole text exposition: families in registration order, children sorted by label values.
  std::string render() const;

 private:
  template <class Metric>
  Family<Metric>& get_or_add(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names, std::vector<double> buckets);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<detail::FamilyBase>> families_;  // registration order
  std::unordered_map<std::string, detail::FamilyBase*> by_name_;
};

// `count` buckets: start, start*factor, start*factor^2, ... Throws std::invalid_argument unless
// start > 0, factor > 1 and count >= 1.
std::vector<double> exponential_buckets(double start, double factor, size_t count);

// A sample value as the text format spells it: integers without a fraction ("3"), otherwise the
// shortest round-trip form ("0.005", "1.5e-07"), and "+Inf", "-Inf", "NaN".
std::string format_value(double v);

// True if `name` matches [a-zA-Z_:][a-zA-Z0-9_:]*.
bool is_valid_metric_name(std::string_view name);
// True if `name` matches [a-zA-Z_][a-zA-Z0-9_]* and does not start with "__" (reserved).
bool is_valid_label_name(std::string_view name);

}  // namespace verdict::metrics
