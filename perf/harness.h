#pragma once
// A small benchmark harness: run a body repeatedly, report the median; collect rows for a table
// and for perf/results.json. Medians, because the machines are shared and noisy.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace lpbf::perf {

// Median seconds per call of `body`, over at least `min_reps` calls and about `budget_s` seconds.
template <class F>
double median_seconds(F&& body, int min_reps = 5, double budget_s = 0.5) {
  std::vector<double> samples;
  const auto start = std::chrono::steady_clock::now();
  while (int(samples.size()) < min_reps ||
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < budget_s) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    samples.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (samples.size() >= 1000) break;
  }
  std::nth_element(samples.begin(), samples.begin() + long(samples.size() / 2), samples.end());
  return samples[samples.size() / 2];
}

// Best (lowest) seconds per call of `body` over `reps` calls. For the gate's ratios: on a shared
// machine other work only ever adds time, so the best of a few is the steadiest figure.
template <class F>
double best_seconds(F&& body, int reps) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

// Seconds of this thread's CPU time one call of `body` takes. For a single-threaded kernel on a
// loaded machine: time the scheduler gives other work is not counted, so a long call (a reference
// kernel) is not inflated more than a short one by being preempted more often.
template <class F>
double thread_cpu_seconds(F&& body) {
  timespec t0, t1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
  body();
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
  return double(t1.tv_sec - t0.tv_sec) + 1e-9 * double(t1.tv_nsec - t0.tv_nsec);
}

// The lowest thread CPU time of `a` and of `b`, alternating them `reps` times, so that a change of
// the VM's speed state hits both.
template <class A, class B>
std::pair<double, double> best_cpu_paired(A&& a, B&& b, int reps) {
  double best_a = 1e30, best_b = 1e30;
  for (int i = 0; i < reps; ++i) {
    best_a = std::min(best_a, thread_cpu_seconds(a));
    best_b = std::min(best_b, thread_cpu_seconds(b));
  }
  return {best_a, best_b};
}

struct Row {
  std::string group, name;
  double value = 0;
  std::string unit;
  std::string note;
};

class Report {
 public:
  void add(std::string group, std::string name, double value, std::string unit, std::string note = "") {
    rows_.push_back({std::move(group), std::move(name), value, std::move(unit), std::move(note)});
    const Row& r = rows_.back();
    std::printf("%-10s %-46s %12.4f %-10s %s\n", r.group.c_str(), r.name.c_str(), r.value, r.unit.c_str(),
                r.note.c_str());
    std::fflush(stdout);
  }
  const std::vector<Row>& rows() const { return rows_; }
  std::string json() const;

 private:
  std::vector<Row> rows_;
};

}  // namespace lpbf::perf
