#pragma once
// An analysis worker on Kafka: consumes `raw-batch` in a consumer group, analyses each batch on
// its tile's window, produces the outcome to `results`, and commits a partition's offset only
// over outcomes that are acknowledged (at-least-once; the runner drops repeats).
//
// Windows across rebalances. A tile's layers all live in one partition (the key is
// bench|print_id/tile_id), in batch_id order. Every commit of offset C carries, as metadata, the
// look-back start S (core/kafka/kafka_lookback.h): the lowest offset holding one of the last two layers
// before C of any tile of the partition. Whoever is assigned the partition (another worker, or
// this one again) reads from S, folds [S, C) into its windows without answering, and answers
// from C on; with nothing committed it reads from the beginning and answers everything. Every
// outcome is then computed on the window a single in-process run has, whatever was consumed,
// produced or acknowledged before; outcomes repeated across a rebalance are dropped by the runner.
// The runner numbers each tile's layers (header tile_seq): a worker that finds a layer missing
// before one it must answer fails that batch with the reason instead of answering it wrongly.
//
// A batch that fails here (unreadable msgpack or TIFF) is reported to the runner as failed, and
// its raw bytes go to `<raw-topic>.dlq` with headers reason, worker, batch_id, source.
#include <atomic>
#include <string>

#include "core/kafka/kafka_topology.h"

namespace lpbf {

struct KafkaWorkerStats {
  size_t answered = 0;         // outcomes produced
  size_t folded = 0;           // batches read back into windows only (rebuilds after an assignment)
  double rebuild_seconds = 0;  // the longest rebuild: assignment to its first batch to answer
  size_t assignments = 0;      // rebalances this worker took part in (its first join included)
  // What went wrong along the way, each handled where it happened (an outcome left unacknowledged
  // is answered again by the partition's next owner; a failed commit is retried): how often, and
  // the last one, for the operator.
  size_t errors = 0;
  std::string last_error;
};

// What `lpbf-bench worker --metrics-port` serves, live: the process's workers add to it.
struct KafkaWorkerGauges {
  static constexpr size_t kMaxConsumers = 256;
  std::atomic<int64_t> answered{0}, failed{0}, folded{0};
  std::atomic<int64_t> lag[kMaxConsumers] = {};  // each consumer's, refreshed twice a second
  std::atomic<size_t> consumers{0};
};
std::string worker_metrics_text(const KafkaWorkerGauges& gauges);

// Runs one worker (one consumer) until `stop` is set; adds to `gauges` when given. Throws
// std::runtime_error when its clients cannot be created.
KafkaWorkerStats run_kafka_worker(const KafkaTopology& topology, const std::atomic<bool>& stop,
                                  KafkaWorkerGauges* gauges = nullptr);

}  // namespace lpbf
