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

std::optional<KafkaTopology> kafka_from_options(CommandLine& args, std::unique_ptr<MockKafkaCluster>& mock) {
  KafkaTopology t;
  const auto brokers = args.value("--kafka");
  t.group = args.value_or("--group", t.group);
  t.raw_topic = args.value_or("--raw-topic", t.raw_topic);
  t.results_topic = args.value_or("--results-topic", t.results_topic);
  t.partitions = int(args.int_or("--partitions", t.partitions, 1, 10000));
  t.outcome_timeout = std::chrono::seconds(args.int_or("--kafka-timeout", t.outcome_timeout.count(), 1, 86400));
  t.partition_window_bytes = size_t(args.int_or("--kafka-partition-bytes", int64_t(t.partition_window_bytes), 1, INT64_MAX));
  t.ready_timeout = std::chrono::seconds(args.int_or("--kafka-ready-timeout", t.ready_timeout.count(), 1, 86400));
  t.kafka.session_timeout =
      std::chrono::milliseconds(args.int_or("--session-timeout-ms", t.kafka.session_timeout.count(), 1000, 3600000));
  if (!brokers) return std::nullopt;
  if (brokers->rfind("mock", 0) == 0) {
    int n = 3;
    if (brokers->size() > 4) {
      if ((*brokers)[4] != ':') throw UsageError("--kafka takes brokers or mock[:N], not '" + *brokers + "'");
      n = std::atoi(brokers->c_str() + 5);
      if (n < 1 || n > 16) throw UsageError("--kafka mock:N takes 1 to 16 brokers");
    }
    mock = start_mock_kafka(t, n);
  } else {
    t.kafka.brokers = *brokers;
  }
  return t;
}

}  // namespace lpbf
