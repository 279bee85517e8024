#pragma once
// What io/kafka.cpp (clients) and io/kafka_admin.cpp (topics, mock cluster) share: the settings
// every client starts from, client creation, and reading a topic's partition count. Not for use
// outside io/kafka*.cpp.
#include <chrono>
#include <string>

#include "io/kafka.h"

namespace lpbf::kafka_detail {

// Sets one librdkafka setting; a refused one throws std::runtime_error naming it.
void set_conf(rd_kafka_conf_t* conf, const char* key, const std::string& value);
// The settings every client here shares (brokers, quiet logging, short reconnects).
KafkaConfPtr base_conf(const KafkaOptions& options);
// A client of `type` made from `conf` (which librdkafka takes over); throws std::runtime_error
// when librdkafka refuses.
KafkaClientPtr make_client(rd_kafka_type_t type, KafkaConfPtr conf);
// Partitions of `topic` as the brokers tell `rk`, checked against [1, kMaxKafkaPartitions].
// Asking also keeps the topic's metadata in `rk` for its next produce.
Result<int> partition_count(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout);

}  // namespace lpbf::kafka_detail
