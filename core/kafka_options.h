#pragma once
// The Kafka flags shared by the run, `worker` and `kafka-mock`: --kafka BROKERS | mock[:N],
// --group, --raw-topic, --results-topic, --partitions.
#include <memory>
#include <optional>

#include "core/command_line.h"
#include "core/kafka_worker.h"

namespace lpbf {

inline constexpr const char* kKafkaOptionsHelp =
    R"(  --kafka BROKERS   Kafka bootstrap servers (host:port,...), or `mock` / `mock:N` for librdkafka's
                    built-in mock cluster with N brokers (default 3), started in this process
  --group G         the analysis workers' consumer group (default lpbf-workers)
  --raw-topic T     topic of fetched batches (default raw-batch)
  --results-topic T topic of outcomes (default results)
  --partitions N    partitions of topics created here (default 8)
  --kafka-timeout S a batch with no outcome after S seconds fails (default 60)
)";

// Starts librdkafka's mock cluster with `brokers` brokers, creates `t`'s raw and results topics on
// it, and points `t` at it. The cluster must outlive every client of `t`.
std::unique_ptr<MockKafkaCluster> start_mock_kafka(KafkaTopology& t, int brokers);

// Reads the Kafka flags; nullopt without --kafka. For `mock`, starts the cluster into `mock`
// (which must outlive its use) and creates the topics on it.
std::optional<KafkaTopology> kafka_from_options(CommandLine& args, std::unique_ptr<MockKafkaCluster>& mock);

}  // namespace lpbf
