#pragma once
// The runner's ends of the Kafka arrows. Fetched batches go to `raw-batch` (keyed
// bench|print_id/tile_id, placed by raw_partition_of so one tile's layers stay in order in one
// partition; headers batch_id and tile_seq, the batch's place among its tile's layers); outcomes
// come back from `results` (keyed bench|batch_id, every partition read directly from where it
// ended when the bridge started: no consumer group, no join), are taken once each for this
// bench, and go to the submit stage's in-process channel. Each raw partition carries at most `partition_window_bytes`
// of unanswered batches; later ones wait here (the fetch stage's in-flight bound still counts them).
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/pipeline/channel.h"
#include "core/kafka/kafka_roster.h"
#include "core/kafka/kafka_topology.h"
#include "core/pipeline/pipeline_messages.h"
#include "io/msgpack_codec.h"

namespace lpbf {

// The raw partition of a batch of `bench`: its print's tiles go round the partitions by tile id,
// so a tile stays in one partition and a layer's tiles spread evenly (16 tiles, 8 partitions: 2
// each). The runner is the raw topic's only producer, so it knows the partition before producing.
int32_t raw_partition_of(const std::string& bench, const Batch& b, int partitions);

class KafkaBridge final : public Sender<FetchedBatch> {
 public:
  // Throws std::runtime_error when the brokers cannot be reached or the results topic read.
  // `roster_from`: where the roster stood when the group was ready (WorkersReady::roster_offset),
  // for newest_generation(); negative: its end when the bridge starts.
  KafkaBridge(const KafkaTopology& topology, const std::string& bench_id, Sender<BatchOutcome>& to_submit,
              int64_t roster_from = -1);
  ~KafkaBridge() override;

  void send(FetchedBatch fb) override;  // the fetch stage's output, in batch_id order
  void stop();
  size_t duplicates() const { return duplicates_.load(); }
  // The workers' group lag on the raw topic (messages not yet committed as answered), as last
  // measured (every 200 ms), or -1 when not known yet.
  int64_t consumer_lag() const { return consumer_lag_.load(); }
  // The newest generation of the workers' group announced since the bridge started (read with the
  // lag; after stop(), every announcement made before it), or kGenerationUnknown when none said.
  // Above the generation the clock started at: the group rebalanced during the run.
  int32_t newest_generation() const { return newest_generation_.load(); }

 private:
  void receive_loop();
  void measure_lag_loop();
  void expire_overdue();
  void deliver(int64_t batch_id, std::optional<TileResult> result, std::string error, OutcomeOrigin origin = {});
  void release_held();

  struct Waiting {
    Clock::time_point fetched_at;
    int32_t partition;  // -1: never produced
    size_t bytes;
  };
  struct RawMessage {
    int64_t batch_id;
    int32_t partition;
    std::string key;
    SharedBytes value;
    std::vector<KafkaHeader> headers;
  };

  KafkaTopology topology_;
  std::string bench_;
  Sender<BatchOutcome>& to_submit_;
  std::unique_ptr<KafkaProducer> producer_;
  std::unique_ptr<KafkaConsumer> results_;
  std::map<std::string, int64_t> layers_of_tile_;  // send() only: the next tile_seq of each tile
  std::mutex mutex_;
  int raw_partitions_ = 0;
  std::unordered_map<int64_t, Waiting> waiting_;  // sent, no outcome yet
  std::vector<std::deque<RawMessage>> held_;      // per raw partition: waiting for room
  std::vector<size_t> unanswered_bytes_;          // per raw partition: produced, no outcome yet
  std::atomic<bool> stop_{false};
  std::atomic<size_t> duplicates_{0};
  std::atomic<int64_t> consumer_lag_{-1};
  std::unique_ptr<GenerationWatch> generations_;  // the lag meter's thread, then stop()'s
  std::atomic<int32_t> newest_generation_{kGenerationUnknown};
  int64_t roster_from_ = -1;
  std::string last_kafka_error_;  // under mutex_
  std::string stalled_;           // set once, under mutex_: why the Kafka path is considered dead
  bool stalled() {
    std::lock_guard lock(mutex_);
    return !stalled_.empty();
  }
  std::thread receiver_;
  std::thread lag_meter_;
};

}  // namespace lpbf
