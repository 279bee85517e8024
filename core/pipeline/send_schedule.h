#pragma once
// The open model's clock (`--rate R`): next_batch requests are due on a fixed schedule, request i at
// start + i / R, whether or not the pipeline has room, as a load generator that is not slowed by
// the system it measures (wrk2's constant throughput). The fetch stage takes a slot when it sends;
// a send later than its slot (every connection busy, or the in-flight bound reached) is the
// backlog. Pure arithmetic on time points handed in, so tests drive it with a fake clock.
//
// Latency corrected for coordinated omission runs from a batch's slot (`take`'s answer), not from
// the moment its request actually left: a stalled pipeline cannot hide the requests it delayed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace lpbf {

class SendSchedule {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // What the schedule saw of a run, every figure taken at a send.
  struct Stats {
    double offered_rate = 0;   // R, batches/s
    double achieved_rate = 0;  // sends per second, from the first slot to the last send; 0: fewer than 2 sends
    int64_t sends = 0;
    // Backlog: the slots due and not yet taken when a send left (itself included), and how late
    // that send was. The largest seen, and at the last send (the run's end).
    int64_t max_backlog = 0, end_backlog = 0;
    double max_lateness_ms = 0, end_lateness_ms = 0;
  };

  // rate > 0 batches/s.
  explicit SendSchedule(double rate) : rate_(rate) {}

  void start(Time t0) { start_ = t0; }
  double rate() const { return rate_; }

  // When slot i is due.
  Time slot(int64_t i) const {
    return start_ + std::chrono::duration_cast<Time::duration>(std::chrono::duration<double>(double(i) / rate_));
  }
  // When the next send is due (it may already have passed: the backlog).
  Time due() const { return slot(next_); }

  // A send leaves at `now` (not before due()): takes the next slot and returns its time, the
  // scheduled send time of that request.
  Time take(Time now) {
    const Time scheduled = due();
    const int64_t backlog = std::max<int64_t>(1, slots_due(now) - next_);
    const double late_ms = std::max(0.0, std::chrono::duration<double, std::milli>(now - scheduled).count());
    stats_.max_backlog = std::max(stats_.max_backlog, backlog);
    stats_.max_lateness_ms = std::max(stats_.max_lateness_ms, late_ms);
    stats_.end_backlog = backlog, stats_.end_lateness_ms = late_ms;
    last_send_ = now;
    ++next_;
    return scheduled;
  }

  // Slots due by `now`: the number of i >= 0 with slot(i) <= now.
  int64_t slots_due(Time now) const {
    if (now < start_) return 0;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    int64_t n = int64_t(std::floor(elapsed * rate_)) + 1;
    while (n > 0 && slot(n - 1) > now) --n;  // rounding of the two conversions
    while (slot(n) <= now) ++n;
    return n;
  }

  Stats stats() const {
    Stats s = stats_;
    s.offered_rate = rate_;
    s.sends = next_;
    const double span = std::chrono::duration<double>(last_send_ - start_).count();
    s.achieved_rate = next_ >= 2 && span > 0 ? double(next_ - 1) / span : 0;
    return s;
  }

 private:
  double rate_;
  Time start_{};
  Time last_send_{};
  int64_t next_ = 0;  // the next slot to take
  Stats stats_;
};

}  // namespace lpbf
