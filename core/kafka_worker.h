#pragma once
// An analysis worker on Kafka: consumes `raw-batch` in a consumer group, analyses each batch on
// its tile's window, produces the outcome to `results`, and commits a batch's offset only once
// its outcome is acknowledged (at-least-once; the submitter drops repeats).
//
// Windows across rebalances: a tile's layers all live in one partition (the key is
// print_id/tile_id), in batch_id order. When a partition is assigned, the worker reads it from
// its start up to the group's committed offset, folding those layers into the windows without
// producing anything, then carries on from there: the windows are exactly what they would be had
// this worker seen the partition from the beginning. (The cost is a re-read of the partition's
// history; with the challenge's 3-layer windows, a bounded look-back would do, and is future work.)
#include <atomic>
#include <string>

#include "io/kafka.h"

namespace lpbf {

struct KafkaTopology {
  KafkaOptions kafka;
  std::string raw_topic = "raw-batch";
  std::string results_topic = "results";
  std::string group = "lpbf-workers";
  int partitions = 8;
  // The runner fails a batch whose outcome has not come back within this time (no live worker,
  // a lost broker): every batch ends answered or listed.
  std::chrono::seconds outcome_timeout{60};
};

// Runs one worker (one consumer) until `stop` is set. Returns how many outcomes it produced.
size_t run_kafka_worker(const KafkaTopology& topology, const std::atomic<bool>& stop, std::string* error = nullptr);

}  // namespace lpbf
