#include "verdict/common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>

namespace verdict::metrics {
namespace {

// The hot path promises no locks; fail the build on a platform where that would be a lie.
static_assert(std::atomic<double>::is_always_lock_free && std::atomic<uint64_t>::is_always_lock_free);

// fetch_add for doubles as a CAS loop: lock-free wherever 64-bit CAS is, and explicit about it.
void atomic_add(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed, std::memory_order_relaxed)) {
  }
}

// HELP text escapes only backslash and newline; label values also escape the double quote.
void append_escaped(std::string& out, std::string_view s, bool escape_quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `{a="x",b="y"}`, plus an optional trailing label (the histogram's `le`); nothing if empty.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    append_escaped(out, values[i], /*escape_quote=*/true);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;  // produced by format_value: nothing to escape
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<std::string>& names, const std::vector<std::string>& values,
                   double v) {
  out += name;
  out += suffix;
  append_labels(out, names, values);
  out += ' ';
  out += format_value(v);
  out += '\n';
}

template <class Metric>  // Counter or Gauge
void render_child(std::string& out, const std::string& name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, const Metric& m) {
  append_sample(out, name, "", names, values, m.value());
}

void render_child(std::string& out, const std::string& name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, const Histogram& h) {
  const std::vector<uint64_t> cumulative = h.cumulative_counts();
  const std::vector<double>& bounds = h.bounds();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    out += name;
    out += "_bucket";
    append_labels(out, names, values, "le", i < bounds.size() ? format_value(bounds[i]) : "+Inf");
    out += ' ';
    out += std::to_string(cumulative[i]);
    out += '\n';
  }
  append_sample(out, name, "_sum", names, values, h.sum());
  // _count is the +Inf bucket of the same snapshot, so the two always agree in one scrape.
  append_sample(out, name, "_count", names, values, static_cast<double>(cumulative.back()));
}

template <class Metric>
constexpr std::string_view type_name() {
  if constexpr (std::is_same_v<Metric, Counter>) return "counter";
  if constexpr (std::is_same_v<Metric, Gauge>) return "gauge";
  if constexpr (std::is_same_v<Metric, Histogram>) return "histogram";
}

// Drops an optional trailing +Inf and checks the rest are finite and strictly increasing.
std::vector<double> normalize_buckets(const std::string& name, std::vector<double> buckets) {
  if (!buckets.empty() && buckets.back() == std::numeric_limits<double>::infinity()) buckets.pop_back();
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i]) || (i > 0 && !(buckets[i - 1] < buckets[i]))) {
      throw std::invalid_argument("histogram " + name +
                                  ": buckets must be finite and strictly increasing");
    }
  }
  return buckets;
}

}  // namespace

void Counter::inc(double v) {
  if (!(v > 0)) return;  // also rejects NaN
  atomic_add(value_, v);
}

void Gauge::add(double v) { atomic_add(value_, v); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) {
  // First bound >= v; NaN compares false everywhere and lands in +Inf, as client_golang does.
  size_t i = bounds_.size();
  if (!std::isnan(v)) {
    i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  }
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

uint64_t Histogram::count() const { return cumulative_counts().back(); }

void detail::FamilyBase::render_header(std::string& out, std::string_view type) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_escaped(out, help_, /*escape_quote=*/false);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type;
  out += '\n';
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> buckets)
    : FamilyBase(std::move(name), std::move(help), std::move(label_names)),
      buckets_(std::move(buckets)) {
  if (label_names_.empty()) with({});  // so the unlabelled series is exported from the start
}

template <class Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size()) {
    throw std::invalid_argument("metric " + name_ + ": expected " +
                                std::to_string(label_names_.size()) + " label values, got " +
                                std::to_string(label_values.size()));
  }
  std::lock_guard lock(mu_);
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return children_.try_emplace(label_values, buckets_).first->second;
  } else {
    return children_.try_emplace(label_values).first->second;
  }
}

template <class Metric>
void Family<Metric>::render(std::string& out) const {
  render_header(out, type_name<Metric>());
  std::lock_guard lock(mu_);
  for (const auto& [values, metric] : children_) render_child(out, name_, label_names_, values, metric);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <class Metric>
Family<Metric>& Registry::get_or_add(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> buckets) {
  if (!is_valid_metric_name(name)) throw std::invalid_argument("invalid metric name: \"" + name + "\"");
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!is_valid_label_name(label)) {
      throw std::invalid_argument("metric " + name + ": invalid label name \"" + label + "\"");
    }
    if (std::find(label_names.begin(), label_names.begin() + i, label) != label_names.begin() + i) {
      throw std::invalid_argument("metric " + name + ": duplicate label name \"" + label + "\"");
    }
    if (std::is_same_v<Metric, Histogram> && label == "le") {
      throw std::invalid_argument("histogram " + name + ": label name \"le\" is reserved");
    }
  }
  if constexpr (std::is_same_v<Metric, Histogram>) buckets = normalize_buckets(name, std::move(buckets));

  std::lock_guard lock(mu_);
  if (auto it = by_name_.find(name); it != by_name_.end()) {
    auto* existing = dynamic_cast<Family<Metric>*>(it->second);
    if (existing == nullptr) {
      throw std::invalid_argument("metric " + name + " is already registered with another type");
    }
    if (existing->label_names() != label_names || existing->buckets_ != buckets) {
      throw std::invalid_argument("metric " + name +
                                  " is already registered with other label names or buckets");
    }
    return *existing;
  }
  // The constructor is private (only the Registry makes families), so no make_unique.
  std::unique_ptr<Family<Metric>> family(
      new Family<Metric>(name, help, std::move(label_names), std::move(buckets)));
  Family<Metric>& ref = *family;
  by_name_.emplace(name, family.get());
  families_.push_back(std::move(family));
  return ref;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names) {
  return get_or_add<Counter>(name, help, std::move(label_names), {});
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names) {
  return get_or_add<Gauge>(name, help, std::move(label_names), {});
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<double> buckets,
                                       std::vector<std::string> label_names) {
  return get_or_add<Histogram>(name, help, std::move(label_names), std::move(buckets));
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& family : families_) family->render(out);
  return out;
}

std::vector<double> exponential_buckets(double start, double factor, size_t count) {
  if (!(start > 0) || !(factor > 1) || count < 1) {
    throw std::invalid_argument("exponential_buckets needs start > 0, factor > 1 and count >= 1");
  }
  std::vector<double> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i, start *= factor) out.push_back(start);
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";  // also turns -0 into 0
  char buf[64];
  // Integral values below 2^53-ish print in fixed notation ("800000", not "8e+05"); everything
  // else uses the shortest form that round-trips.
  const bool integral = std::fabs(v) < 1e15 && v == std::trunc(v);
  const auto result = integral ? std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed)
                               : std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, result.ptr);
}

namespace {

bool is_name_char(char c, bool first, bool allow_colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (c == ':') return allow_colon;
  return !first && c >= '0' && c <= '9';
}

bool is_valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!is_name_char(name[i], i == 0, allow_colon)) return false;
  }
  return true;
}

}  // namespace

bool is_valid_metric_name(std::string_view name) { return is_valid_name(name, /*allow_colon=*/true); }

bool is_valid_label_name(std::string_view name) {
  // Colons are for recording rules only, and "__" prefixes are Prometheus-internal labels.
  return is_valid_name(name, /*allow_colon=*/false) && !name.starts_with("__");
}

}  // namespace verdict::metrics
