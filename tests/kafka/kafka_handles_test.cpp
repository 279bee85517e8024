// The librdkafka wrappers own their clients and hand librdkafka `this`: a copy would free a client
// twice, a move would leave librdkafka calling back into a moved-from object. Neither compiles.
#include <doctest/doctest.h>

#include <type_traits>

#include "core/kafka/kafka_options.h"
#include "io/kafka.h"

using namespace lpbf;

namespace {

template <class T>
constexpr bool pinned = !std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T> &&
                        !std::is_move_constructible_v<T> && !std::is_move_assignable_v<T>;

static_assert(pinned<KafkaProducer>);
static_assert(pinned<KafkaConsumer>);
static_assert(pinned<KafkaGroupLag>);
static_assert(pinned<MockKafkaCluster>);

}  // namespace

TEST_CASE("kafka: a broker's absurd partition count is an error naming the topic and the count, not a size") {
  MockKafkaCluster cluster(1);
  REQUIRE(cluster.create_topic("wide", kMaxKafkaPartitions + 1).ok());
  REQUIRE(cluster.create_topic("narrow", 3).ok());
  const KafkaOptions options{cluster.bootstraps()};
  const Result<int> wide = kafka_partition_count(options, "wide", std::chrono::seconds(10));
  REQUIRE_FALSE(wide.ok());
  CHECK(wide.error().find("wide") != std::string::npos);
  CHECK(wide.error().find(std::to_string(kMaxKafkaPartitions + 1)) != std::string::npos);
  const Result<int> narrow = kafka_partition_count(options, "narrow", std::chrono::seconds(10));
  REQUIRE_MESSAGE(narrow.ok(), narrow.error());
  CHECK(narrow.value() == 3);
  KafkaProducer producer(options);
  CHECK_FALSE(producer.partition_count("wide", std::chrono::seconds(10)).ok());
  // The runner's readers refuse it as a set-up error, before sizing anything by it.
  CHECK_THROWS_WITH_AS(KafkaConsumer(options, KafkaConsumer::AssignAll{}, "wide", {}, std::chrono::seconds(10)),
                       doctest::Contains("10001 partitions"), std::runtime_error);
}
