#pragma once
// The Kafka flags shared by the run, `worker` and `kafka-mock`: --kafka BROKERS | mock[:N],
// --group, --raw-topic, --results-topic, --partitions, --kafka-timeout, --kafka-ready-timeout,
// --session-timeout-ms.
#include <memory>
#include <optional>

#include "core/commands/command_line.h"
#include "core/kafka/kafka_worker.h"

namespace lpbf {

inline constexpr const char* kKafkaOptionsHelp =
    R"(  --kafka BROKERS   Kafka bootstrap servers (host:port,...), or `mock` / `mock:N` for librdkafka's
                    built-in mock cluster with N brokers (default 3), started in this process
  --group G         the analysis workers' consumer group (default lpbf-workers)
  --raw-topic T     topic of fetched batches (default raw-batch)
  --results-topic T topic of outcomes (default results)
  --partitions N    partitions of topics created here (default 8)
  --kafka-timeout S a batch with no outcome after S seconds fails (default 30)
  --kafka-ready-timeout S  the runner waits at most S seconds for workers to hold every raw-topic
                    partition before it creates the bench (default 30)
  --kafka-partition-bytes B  unanswered batch bytes in one raw partition, at most (default 4 MiB:
                    librdkafka's mock cluster keeps only 5 MB a partition; raise on a real cluster)
  --session-timeout-ms MS  consumer-group session timeout: a worker silent this long loses its
                    partitions to the others (default 6000)
)";

// Starts librdkafka's mock cluster with `brokers` brokers, creates `t`'s raw and results topics on
// it, and points `t` at it. The cluster must outlive every client of `t`.
std::unique_ptr<MockKafkaCluster> start_mock_kafka(KafkaTopology& t, int brokers);

// Checks that the brokers answer and creates the topics a run uses when missing: raw, results and
// dead letters with `partitions` each, the workers' roster with one. Empty, or why not.
std::string prepare_kafka_topics(const KafkaTopology& t);

// Reads the Kafka flags; nullopt without --kafka. For `mock`, starts the cluster into `mock`
// (which must outlive its use) and creates the topics on it.
std::optional<KafkaTopology> kafka_from_options(CommandLine& args, std::unique_ptr<MockKafkaCluster>& mock);

}  // namespace lpbf
