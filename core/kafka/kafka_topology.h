#pragma once
// Where a run's Kafka traffic goes: the brokers, the topics and group, and the timeouts and bounds
// every part (runner, bridge, workers, roster) agrees on. Plain data.
#include <chrono>
#include <cstddef>
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
  std::chrono::seconds outcome_timeout{30};
  // The runner waits this long for workers to hold every raw partition before creating the bench.
  std::chrono::seconds ready_timeout{30};
  // The runner keeps at most this many bytes of unanswered batches in one raw partition (always
  // one batch): a partition's backlog must stay within what the brokers retain, and
  // librdkafka's mock cluster retains 5 MB a partition. Raise it on a real cluster.
  size_t partition_window_bytes = 4 << 20;

  std::string dead_letter_topic() const { return raw_topic + ".dlq"; }
  std::string roster_topic() const { return raw_topic + ".workers"; }
};

}  // namespace lpbf
