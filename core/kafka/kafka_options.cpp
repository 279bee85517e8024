#include "core/kafka/kafka_options.h"

namespace lpbf {

std::unique_ptr<MockKafkaCluster> start_mock_kafka(KafkaTopology& t, int brokers) {
  auto mock = std::make_unique<MockKafkaCluster>(brokers);
  mock->create_topic(t.raw_topic, t.partitions);
  mock->create_topic(t.results_topic, t.partitions);
  mock->create_topic(t.dead_letter_topic(), t.partitions);
  mock->create_topic(t.roster_topic(), 1);
  t.kafka.brokers = mock->bootstraps();
  return mock;
}

std::string prepare_kafka_topics(const KafkaTopology& t) {
  {
    KafkaProducer probe(t.kafka);
    const std::string unreachable = probe.check_reachable(std::chrono::seconds(5));
    if (!unreachable.empty()) return "cannot reach the Kafka brokers at " + t.kafka.brokers + ": " + unreachable;
  }
  std::string error = ensure_kafka_topics(t.kafka, {t.raw_topic, t.results_topic, t.dead_letter_topic()}, t.partitions,
                                          std::chrono::seconds(10));
  if (error.empty()) error = ensure_kafka_topics(t.kafka, {t.roster_topic()}, 1, std::chrono::seconds(10));
  return error;
}

std::optional<KafkaTopology> kafka_topology(const KafkaSetup& setup, std::unique_ptr<MockKafkaCluster>& mock) {
  if (!setup.enabled()) return std::nullopt;
  KafkaTopology t = setup.topology;
  if (setup.mock_brokers > 0) mock = start_mock_kafka(t, setup.mock_brokers);
  else t.kafka.brokers = setup.brokers;
  return t;
}

}  // namespace lpbf
