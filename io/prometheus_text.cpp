#include "io/prometheus_text.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <charconv>

namespace lpbf {
namespace {

// HELP text escapes backslash and newline; label values also the double quote.
std::string escaped(const std::string& s, bool quote) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);  // shortest that reads back
  return std::string(buf, r.ptr);
}

std::atomic<uint64_t> observations{0};

}  // namespace

void HistogramData::observe(double v) {
  const size_t i = size_t(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
  ++counts[i];
  sum += v;
  observations.fetch_add(1, std::memory_order_relaxed);
}

uint64_t histogram_observations() { return observations.load(std::memory_order_relaxed); }

HistogramData empty_histogram(const std::vector<double>& bounds) {
  return HistogramData{bounds, std::vector<uint64_t>(bounds.size() + 1, 0), 0};
}

HistogramData histogram_of(const std::vector<double>& values, const std::vector<double>& bounds) {
  HistogramData h = empty_histogram(bounds);
  for (double v : values) h.observe(v);
  return h;
}

void PrometheusText::family(const std::string& name, const std::string& help, const char* type) {
  out_ += "# HELP " + name + " " + escaped(help, false) + "\n# TYPE " + name + " " + type + "\n";
}

void PrometheusText::sample(const std::string& name, const MetricLabels& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      out_ += escaped(labels[i].second, true);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += number(value);
  out_ += '\n';
}

PrometheusText& PrometheusText::counter(const std::string& name, const std::string& help,
                                        const std::vector<MetricSample>& samples) {
  family(name, help, "counter");
  for (const MetricSample& s : samples) sample(name, s.labels, s.value);
  return *this;
}

PrometheusText& PrometheusText::gauge(const std::string& name, const std::string& help,
                                      const std::vector<MetricSample>& samples) {
  family(name, help, "gauge");
  for (const MetricSample& s : samples) sample(name, s.labels, s.value);
  return *this;
}

PrometheusText& PrometheusText::histogram(const std::string& name, const std::string& help, const HistogramData& h,
                                          const MetricLabels& labels) {
  family(name, help, "histogram");
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= h.bounds.size(); ++i) {
    cumulative += i < h.counts.size() ? h.counts[i] : 0;
    MetricLabels l = labels;
    l.push_back({"le", i < h.bounds.size() ? number(h.bounds[i]) : "+Inf"});
    sample(name + "_bucket", l, double(cumulative));
  }
  sample(name + "_sum", labels, h.sum);
  sample(name + "_count", labels, double(cumulative));
  return *this;
}

}  // namespace lpbf
