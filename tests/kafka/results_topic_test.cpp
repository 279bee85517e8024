// `--results-topic T`: the workers the runner starts write their outcomes to T and the runner reads
// them from T. On a mock cluster made with no `results` topic, a run with `--results-topic answers`
// is exact, every outcome is in `answers`, and none in `results`. (Kept apart from the Kafka
// helper's files; see tests/kafka/kafka_test.cpp.)
#include <doctest/doctest.h>
#include <simdjson.h>

#include <chrono>
#include <string>

#include "core/challenger/challenger_host.h"
#include "io/golden_dataset.h"
#include "io/kafka.h"
#include "tests/test_support.h"

using namespace lpbf;

TEST_CASE("kafka: --results-topic answers: the outcomes go to that topic, and the run is exact") {
  MockKafkaCluster cluster(1);
  for (const char* topic : {"raw-batch", "answers", "raw-batch.dlq"}) REQUIRE(cluster.create_topic(topic, 4).ok());
  REQUIRE(cluster.create_topic("raw-batch.workers", 1).ok());
  ChallengerHost host(std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small")),
                      "127.0.0.1", 0, 1);
  const auto r = test::run_command(test::binary() + " --url " + host.url() + " --kafka " + cluster.bootstraps() +
                                   " --workers 1 --results-topic answers --quiet");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  const std::string history = host.challenger().handle({"GET", "/api/history", ""}).body;
  simdjson::dom::parser p;
  simdjson::dom::element verdict = p.parse(history).get_array().at(0);
  CHECK(int64_t(verdict["results"]) == 20);
  CHECK(int64_t(verdict["wrong"]) == 0);
  // Every outcome was written to `answers` (at least the 20 answers; control messages may add some).
  KafkaOptions kafka;
  kafka.brokers = cluster.bootstraps();
  const Result<std::map<int32_t, int64_t>> ends = kafka_end_offsets(kafka, "answers", 4, std::chrono::seconds(10));
  REQUIRE_MESSAGE(ends.ok(), ends.error());
  int64_t written = 0;
  for (const auto& [partition, end] : ends.value()) written += end;
  CHECK(written >= 20);
  // And nothing went to the default `results` (which the mock cluster creates, empty, when asked about it).
  const Result<int> partitions = kafka_partition_count(kafka, "results", std::chrono::seconds(5));
  if (partitions.ok()) {
    const Result<std::map<int32_t, int64_t>> unused =
        kafka_end_offsets(kafka, "results", partitions.value(), std::chrono::seconds(10));
    REQUIRE_MESSAGE(unused.ok(), unused.error());
    int64_t stray = 0;
    for (const auto& [partition, end] : unused.value()) stray += end;
    CHECK(stray == 0);
  }
}
