#pragma once
// The arrows of the pipeline (fetch -> analyse -> submit). Stages see only Sender and Receiver,
// so an arrow can be an in-process queue (QueueChannel, below) or a Kafka topic (core/kafka/kafka_bridge.h).
#include <concurrentqueue/blockingconcurrentqueue.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>

namespace lpbf {

template <class T>
class Sender {
 public:
  virtual ~Sender() = default;
  // Never blocks; the pipeline bounds what is in flight before it sends (backpressure at fetch).
  virtual void send(T item) = 0;
};

template <class T>
class Receiver {
 public:
  virtual ~Receiver() = default;
  // Waits up to `timeout` for an item.
  virtual std::optional<T> receive(std::chrono::milliseconds timeout) = 0;
};

// moodycamel's semaphore spins up to 10000 times before it sleeps: tens of microseconds of a core
// burnt by every wait that finds the queue empty, which on two cores is taken from the stage that
// has work. A waiting stage here sleeps almost at once. (Measured in docs/performance.md.)
struct QueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static constexpr int MAX_SEMA_SPINS = 100;
};

// An in-process arrow on moodycamel's lock-free queue. `on_send` (optional) runs after each send:
// an asynchronous consumer (the submit stage on its io_context) uses it to wake up.
template <class T>
class QueueChannel final : public Sender<T>, public Receiver<T> {
 public:
  explicit QueueChannel(std::function<void()> on_send = {}) : on_send_(std::move(on_send)) {}

  void send(T item) override {
    queue_.enqueue(std::move(item));
    const size_t depth = depth_.fetch_add(1, std::memory_order_relaxed) + 1;
    size_t seen = max_depth_.load(std::memory_order_relaxed);
    while (depth > seen && !max_depth_.compare_exchange_weak(seen, depth, std::memory_order_relaxed)) {}
    if (on_send_) on_send_();
  }

  std::optional<T> receive(std::chrono::milliseconds timeout) override {
    // A zero timeout is a poll (the submit stage on the io thread): it must not spin either.
    if (timeout.count() <= 0) return try_receive();
    T item;
    if (!queue_.wait_dequeue_timed(item, std::chrono::duration_cast<std::chrono::microseconds>(timeout)))
      return std::nullopt;
    depth_.fetch_sub(1, std::memory_order_relaxed);
    return item;
  }

  // Non-blocking receive, for a consumer that polls (the io thread).
  std::optional<T> try_receive() {
    T item;
    if (!queue_.try_dequeue(item)) return std::nullopt;
    depth_.fetch_sub(1, std::memory_order_relaxed);
    return item;
  }

  size_t depth() const { return depth_.load(std::memory_order_relaxed); }
  size_t max_depth() const { return max_depth_.load(std::memory_order_relaxed); }

 private:
  moodycamel::BlockingConcurrentQueue<T, QueueTraits> queue_;
  std::atomic<size_t> depth_{0}, max_depth_{0};
  std::function<void()> on_send_;
};

}  // namespace lpbf
