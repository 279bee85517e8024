#pragma once
// Owning handles for librdkafka's C objects: each is a std::unique_ptr whose deleter calls the
// matching *_destroy, so that every object is freed exactly once, on every path (CONTRIBUTING.md).
// Hand one over to librdkafka (a conf to rd_kafka_new, headers to a produced message) with
// release(), and only once the call that takes it has succeeded.
#include <librdkafka/rdkafka.h>

#include <memory>

struct rd_kafka_mock_cluster_s;

namespace lpbf {

struct KafkaFree {
  void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
  void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
  void operator()(rd_kafka_topic_t* p) const { rd_kafka_topic_destroy(p); }
  void operator()(rd_kafka_topic_partition_list_t* p) const { rd_kafka_topic_partition_list_destroy(p); }
  void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
  void operator()(rd_kafka_headers_t* p) const { rd_kafka_headers_destroy(p); }
  void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
  void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
  void operator()(rd_kafka_event_t* p) const { rd_kafka_event_destroy(p); }
  void operator()(rd_kafka_AdminOptions_t* p) const { rd_kafka_AdminOptions_destroy(p); }
  void operator()(rd_kafka_NewTopic_t* p) const { rd_kafka_NewTopic_destroy(p); }
  // In io/kafka_admin.cpp: rdkafka_mock.h stays out of the headers.
  void operator()(rd_kafka_mock_cluster_s* p) const;
};

template <class T>
using KafkaPtr = std::unique_ptr<T, KafkaFree>;

using KafkaClientPtr = KafkaPtr<rd_kafka_t>;
using KafkaConfPtr = KafkaPtr<rd_kafka_conf_t>;
using KafkaTopicPtr = KafkaPtr<rd_kafka_topic_t>;
using KafkaPartitionsPtr = KafkaPtr<rd_kafka_topic_partition_list_t>;
using KafkaMetadataPtr = KafkaPtr<const rd_kafka_metadata_t>;
using KafkaHeadersPtr = KafkaPtr<rd_kafka_headers_t>;
using KafkaMessagePtr = KafkaPtr<rd_kafka_message_t>;
using KafkaQueuePtr = KafkaPtr<rd_kafka_queue_t>;
using KafkaEventPtr = KafkaPtr<rd_kafka_event_t>;
using KafkaAdminOptionsPtr = KafkaPtr<rd_kafka_AdminOptions_t>;
using KafkaNewTopicPtr = KafkaPtr<rd_kafka_NewTopic_t>;
using KafkaMockClusterPtr = KafkaPtr<rd_kafka_mock_cluster_s>;

// A new, empty list of topic partitions with room for `size`.
inline KafkaPartitionsPtr new_partition_list(int size) {
  return KafkaPartitionsPtr(rd_kafka_topic_partition_list_new(size));
}

}  // namespace lpbf
