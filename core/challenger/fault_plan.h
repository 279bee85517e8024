#pragma once
// Fault injection for `lpbf-bench challenger --faults RATE`: on that share of next_batch and
// result requests, the challenger misbehaves the way real servers and networks do, so that anyone
// can check a client against it. Deterministic for a seed and a request order.
#include <chrono>
#include <cstdint>
#include <string>

namespace lpbf {

enum class Fault {
  none,
  refuse_503,   // 503 before acting: nothing served, nothing taken
  drop_before,  // the connection closes before acting
  slow,         // the reply comes after a delay
  drop_after,   // results only: the result is taken, then the connection closes unanswered (a
                // client that posts it again is counted once, as a duplicate)
  cut_body,     // next_batch only: the batch is served, its body cut mid-way (lost in flight)
};
inline constexpr int kFaultKinds = 6;

inline const char* fault_name(Fault f) {
  switch (f) {
    case Fault::none: return "none";
    case Fault::refuse_503: return "503";
    case Fault::drop_before: return "drop_before";
    case Fault::slow: return "slow";
    case Fault::drop_after: return "drop_after";
    case Fault::cut_body: return "cut_body";
  }
  return "?";
}

class FaultPlan {
 public:
  FaultPlan() = default;
  FaultPlan(double rate, uint64_t seed) : rate_(rate), state_(seed) {}

  bool enabled() const { return rate_ > 0; }
  // The fault for the next request: of next_batch (`is_result` false) or of a result.
  Fault draw(bool is_result) {
    if (!enabled() || unit() >= rate_) return Fault::none;
    // Four kinds, equally likely; the last one depends on the call. (Written without indexing a
    // conditional of two arrays: GCC 12 with -fsanitize=address,undefined read the wrong array.)
    switch (next() % 4) {
      case 0: return Fault::refuse_503;
      case 1: return Fault::drop_before;
      case 2: return Fault::slow;
      default: return is_result ? Fault::drop_after : Fault::cut_body;
    }
  }
  // How slow a slow reply is: 50-250 ms, well inside any client's timeout.
  std::chrono::milliseconds slow_delay() { return std::chrono::milliseconds(50 + next() % 201); }

 private:
  uint64_t next() {  // splitmix64: small, fast, and the same everywhere
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double unit() { return double(next() >> 11) * 0x1.0p-53; }

  double rate_ = 0;
  uint64_t state_ = 0;
};

}  // namespace lpbf
