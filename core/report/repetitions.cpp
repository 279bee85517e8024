// --repeat K: K benches' reports as one, their figures' medians and spreads.
#include <algorithm>

#include "core/report/run_report.h"

namespace lpbf {
namespace {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The median of the values a challenger gave (>= 0); -1 when none did.
double median_given(const std::vector<RunReport>& runs, double ChallengerStats::*f) {
  std::vector<double> v;
  for (const RunReport& r : runs)
    if (r.challenger.*f >= 0) v.push_back(r.challenger.*f);
  return v.empty() ? -1 : median_of(v);
}

int64_t sum_given(const std::vector<RunReport>& runs, int64_t ChallengerStats::*f) {
  int64_t sum = -1;
  for (const RunReport& r : runs)
    if (r.challenger.*f >= 0) sum = std::max<int64_t>(sum, 0) + r.challenger.*f;
  return sum;
}

}  // namespace

Repetition repetition_of(const RunReport& r) {
  Repetition p;
  p.bench_id = r.bench_id;
  p.results = r.results, p.measured = r.measured >= 0 ? r.measured : r.results;
  p.wall_seconds = r.wall_seconds, p.throughput = r.throughput;
  p.p50 = r.p50, p.p90 = r.p90, p.p99 = r.p99, p.max = r.max, p.mean = r.mean;
  p.cpu_seconds = r.cpu_seconds;
  p.wrong = r.challenger.wrong, p.missing = r.challenger.missing;
  p.challenger_throughput = r.challenger.throughput;
  p.challenger_p99 = r.challenger.latency_p99_ms;
  return p;
}

Spread spread_of(const RunReport& r, double Repetition::*figure) {
  std::vector<double> v;
  if (r.repetitions.empty()) {
    v.push_back(repetition_of(r).*figure);
  } else {
    for (const Repetition& p : r.repetitions) v.push_back(p.*figure);
  }
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {median_of(v), *lo, *hi};
}

RunReport combine_repetitions(const std::vector<RunReport>& runs) {
  if (runs.size() == 1) return runs.front();
  RunReport c = runs.back();  // its description, trace, samples and clusters
  c.repetitions.clear();
  for (const RunReport& r : runs) c.repetitions.push_back(repetition_of(r));
  auto median = [&](double Repetition::*f) { return spread_of(c, f).median; };
  c.wall_seconds = median(&Repetition::wall_seconds), c.throughput = median(&Repetition::throughput);
  c.p50 = median(&Repetition::p50), c.p90 = median(&Repetition::p90), c.p99 = median(&Repetition::p99);
  c.max = median(&Repetition::max), c.mean = median(&Repetition::mean);
  c.cpu_seconds = median(&Repetition::cpu_seconds);
  std::vector<double> embedded;
  for (const RunReport& r : runs) embedded.push_back(r.embedded_cpu_seconds);
  c.embedded_cpu_seconds = median_of(embedded);
  c.batches = c.results = c.measured = c.uncertain_reposts = 0;
  c.fetch_s = c.decode_s = c.analyse_s = c.submit_s = 0;
  c.max_queue_depth = 0;
  c.failed.clear(), c.errors.clear(), c.incomplete.clear();
  std::string replies;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunReport& r = runs[i];
    c.batches += r.batches, c.results += r.results, c.measured += c.repetitions[i].measured;
    c.uncertain_reposts += r.uncertain_reposts;
    c.fetch_s += r.fetch_s, c.decode_s += r.decode_s, c.analyse_s += r.analyse_s, c.submit_s += r.submit_s;
    c.max_queue_depth = std::max(c.max_queue_depth, r.max_queue_depth);
    c.failed.insert(c.failed.end(), r.failed.begin(), r.failed.end());
    for (const std::string& e : r.errors) c.errors.push_back("repetition " + std::to_string(i + 1) + ": " + e);
    c.incomplete.insert(c.incomplete.end(), r.incomplete.begin(), r.incomplete.end());
    replies += (i ? "\n" : "") + r.end_reply;
  }
  c.end_reply = replies;  // one line each, as they came
  // The challenger's: counts summed, figures the medians of those it gave.
  ChallengerStats& s = c.challenger;
  s.served = sum_given(runs, &ChallengerStats::served), s.results = sum_given(runs, &ChallengerStats::results);
  s.missing = sum_given(runs, &ChallengerStats::missing), s.wrong = sum_given(runs, &ChallengerStats::wrong);
  s.duplicates = sum_given(runs, &ChallengerStats::duplicates);
  s.throughput = median_given(runs, &ChallengerStats::throughput);
  s.latency_mean_ms = median_given(runs, &ChallengerStats::latency_mean_ms);
  s.latency_min_ms = median_given(runs, &ChallengerStats::latency_min_ms);
  s.latency_p50_ms = median_given(runs, &ChallengerStats::latency_p50_ms);
  s.latency_p99_ms = median_given(runs, &ChallengerStats::latency_p99_ms);
  s.latency_max_ms = median_given(runs, &ChallengerStats::latency_max_ms);
  c.wrong = s.wrong, c.missing = s.missing, c.duplicates = s.duplicates;
  return c;
}

}  // namespace lpbf
