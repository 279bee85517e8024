#include "core/kafka/kafka_options.h"

#include <stdexcept>
#include <utility>

namespace lpbf {

std::unique_ptr<MockKafkaCluster> start_mock_kafka(KafkaTopology& t, int brokers) {
  auto mock = std::make_unique<MockKafkaCluster>(brokers);
  for (const auto& [topic, partitions] :
       {std::pair{t.raw_topic, t.partitions}, std::pair{t.results_topic, t.partitions},
        std::pair{t.dead_letter_topic(), t.partitions}, std::pair{t.roster_topic(), 1}})
    if (const Status made = mock->create_topic(topic, partitions); !made) throw std::runtime_error(made.error());
  t.kafka.brokers = mock->bootstraps();
  return mock;
}

Status prepare_kafka_topics(const KafkaTopology& t) {
  {
    KafkaProducer probe(t.kafka);
    if (const Status reachable = probe.check_reachable(std::chrono::seconds(5)); !reachable)
      return Error{"cannot reach the Kafka brokers at " + t.kafka.brokers + ": " + reachable.error()};
  }
  if (Status made = ensure_kafka_topics(t.kafka, {t.raw_topic, t.results_topic, t.dead_letter_topic()}, t.partitions,
                                        std::chrono::seconds(10));
      !made)
    return made;
  return ensure_kafka_topics(t.kafka, {t.roster_topic()}, 1, std::chrono::seconds(10));
}

std::optional<KafkaTopology> kafka_topology(const KafkaSetup& setup, std::unique_ptr<MockKafkaCluster>& mock) {
  if (!setup.enabled()) return std::nullopt;
  KafkaTopology t = setup.topology;
  if (setup.mock_brokers > 0) mock = start_mock_kafka(t, setup.mock_brokers);
  else t.kafka.brokers = setup.brokers;
  return t;
}

}  // namespace lpbf
