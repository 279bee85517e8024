#pragma once
// The Kafka settings shared by the run, `worker` and `kafka-mock`: where the brokers are, or a mock
// cluster to start, and the topology (group, topics, partitions, timeouts). Plain data: the
// commands layer fills it from the command line, and nothing starts until a command asks.
#include <memory>
#include <optional>
#include <string>

#include "io/result.h"

#include "core/kafka/kafka_topology.h"

namespace lpbf {

struct KafkaSetup {
  std::string brokers;     // bootstrap servers (host:port,...); empty: no Kafka, unless mock_brokers
  int mock_brokers = 0;    // > 0: librdkafka's mock cluster with this many brokers, in this process
  KafkaTopology topology;  // its kafka.brokers is filled when the cluster is started or reached

  bool enabled() const { return !brokers.empty() || mock_brokers > 0; }
};

// Starts librdkafka's mock cluster with `brokers` brokers, creates `t`'s raw and results topics on
// it, and points `t` at it. The cluster must outlive every client of `t`. Throws
// std::runtime_error when the cluster cannot be started or a topic made.
std::unique_ptr<MockKafkaCluster> start_mock_kafka(KafkaTopology& t, int brokers);

// Checks that the brokers answer and creates the topics a run uses when missing: raw, results and
// dead letters with `partitions` each, the workers' roster with one.
Status prepare_kafka_topics(const KafkaTopology& t);

// The topology a command uses; nullopt without Kafka. With mock_brokers, starts the cluster into
// `mock` (which must outlive its use) and creates the topics on it.
std::optional<KafkaTopology> kafka_topology(const KafkaSetup& setup, std::unique_ptr<MockKafkaCluster>& mock);

}  // namespace lpbf
