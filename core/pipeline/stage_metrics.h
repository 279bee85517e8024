#pragma once
// Busy time per stage, for the report: where the wall time of a run went.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace lpbf {

struct StageMetrics {
  std::atomic<int64_t> fetch_ns{0};    // io thread: handling next_batch replies (msgpack, reorder)
  std::atomic<int64_t> decode_ns{0};   // workers: TIFF decode
  std::atomic<int64_t> analyse_ns{0};  // workers: Q1 + Q2 + Q3
  std::atomic<int64_t> submit_ns{0};   // io thread: encoding and posting results

  // Adds the time since construction to a counter when it goes out of scope.
  class Timer {
   public:
    explicit Timer(std::atomic<int64_t>& into) : into_(into), start_(std::chrono::steady_clock::now()) {}
    ~Timer() {
      into_.fetch_add(
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count(),
          std::memory_order_relaxed);
    }

   private:
    std::atomic<int64_t>& into_;
    std::chrono::steady_clock::time_point start_;
  };
};

}  // namespace lpbf
