#pragma once
// Prometheus' text exposition format, version 0.0.4 (what GET /metrics answers): one HELP and one
// TYPE line per family, then its samples. Names and labels follow Prometheus' conventions:
// snake_case with a unit suffix (_seconds, _bytes), counters end in _total.
#include <string>
#include <utility>
#include <vector>

namespace lpbf {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

struct MetricSample {
  MetricLabels labels;
  double value = 0;
};

// A histogram's buckets: upper bounds ascending (the +Inf bucket is implied) and the count of
// observations in each bucket alone (not cumulative), plus one for above the last bound.
// Kept up to date as values arrive (observe), a histogram costs a scrape O(buckets), whatever the
// number of observations.
struct HistogramData {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;  // bounds.size() + 1
  double sum = 0;
  // Counts `v` in the first bucket whose bound it does not exceed: O(log buckets).
  void observe(double v);
};

// Bucket bounds for request latencies, in seconds: 0.5 ms to 10 s, finest between 0.5 and 20 ms
// (where a run's p99 lies), the same on the runner and the challenger.
inline const std::vector<double> kLatencyBucketsSeconds = {0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005,
                                                           0.006,  0.008, 0.01,   0.015, 0.02,  0.05,  0.1,
                                                           0.2,    0.5,   1,      2,     5,     10};
// No observation yet, over `bounds`.
HistogramData empty_histogram(const std::vector<double>& bounds);
// The histogram of `values` over `bounds`: O(values), for a one-off; a served histogram observes.
HistogramData histogram_of(const std::vector<double>& values, const std::vector<double>& bounds);
// Every observation made in this process so far (all histograms): lets a test bound a scrape's
// work (a scrape that rebuilt a histogram from its values would add to it).
uint64_t histogram_observations();

class PrometheusText {
 public:
  PrometheusText& counter(const std::string& name, const std::string& help, const std::vector<MetricSample>& samples);
  PrometheusText& gauge(const std::string& name, const std::string& help, const std::vector<MetricSample>& samples);
  PrometheusText& histogram(const std::string& name, const std::string& help, const HistogramData& h,
                            const MetricLabels& labels = {});
  const std::string& str() const { return out_; }

 private:
  void family(const std::string& name, const std::string& help, const char* type);
  void sample(const std::string& name, const MetricLabels& labels, double value);
  std::string out_;
};

}  // namespace lpbf
