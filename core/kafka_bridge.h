#pragma once
// The runner's ends of the Kafka arrows. Fetched batches go to `raw-batch` (keyed
// bench|print_id/tile_id, so one tile's layers stay in order in one partition); outcomes come back
// from `results` (keyed bench|batch_id), are taken once each for this bench, and go to the
// submit stage's in-process channel.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/channel.h"
#include "core/kafka_worker.h"
#include "core/pipeline_messages.h"

namespace lpbf {

class KafkaBridge final : public Sender<FetchedBatch> {
 public:
  // Throws std::runtime_error when the brokers cannot be reached or the topics created.
  KafkaBridge(const KafkaTopology& topology, const std::string& bench_id, Sender<BatchOutcome>& to_submit);
  ~KafkaBridge() override;

  void send(FetchedBatch fb) override;  // the fetch stage's output
  void stop();
  size_t duplicates() const { return duplicates_.load(); }

 private:
  void receive_loop();
  void expire_overdue();
  void deliver(int64_t batch_id, std::optional<TileResult> result, std::string error);

  KafkaTopology topology_;
  std::string bench_;
  Sender<BatchOutcome>& to_submit_;
  std::unique_ptr<KafkaProducer> producer_;
  std::mutex mutex_;
  std::unordered_map<int64_t, Clock::time_point> waiting_;  // sent, no outcome yet
  std::atomic<bool> stop_{false};
  std::atomic<size_t> duplicates_{0};
  std::string stalled_;  // set once, under mutex_: why the Kafka path is considered dead
  bool stalled() {
    std::lock_guard lock(mutex_);
    return !stalled_.empty();
  }
  std::thread receiver_;
};

}  // namespace lpbf
