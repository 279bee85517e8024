#pragma once
// Kafka through librdkafka: a producer, a consumer (in a group, or reading partitions it assigns
// itself), topic creation, and librdkafka's built-in mock cluster (tests and demos). Errors are
// values (strings naming what failed), not exceptions, except in constructors, which throw
// std::runtime_error when a client cannot be created.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "io/batch.h"

struct rd_kafka_mock_cluster_s;

namespace lpbf {

struct KafkaHeader {
  std::string name, value;
};

struct KafkaMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  // The payload, inside librdkafka's own message (kept alive by it): a batch's TIFF is read
  // from here, never copied. Holding it holds that fetch's buffer: let go once decoded, and
  // before the consumer it came from is destroyed.
  SharedBytes value;
  std::vector<KafkaHeader> headers;
  // The value of header `name`, or nullopt.
  std::optional<std::string> header(const std::string& name) const;
};

// Settings every client here shares: short timeouts, so that a dead broker or worker is noticed
// in seconds, not minutes.
struct KafkaOptions {
  std::string brokers;
  std::chrono::milliseconds session_timeout{6000};
};

// How a producer groups its messages into record batches (one produce request each).
enum class KafkaBatching {
  // One message a record batch, sent within 1 ms. For batches: a broker prunes its log a whole
  // record batch at a time (librdkafka's mock cluster keeps 5 MB a partition), so the runner's
  // bound on a partition's unanswered bytes holds only with one batch a record batch.
  one_per_message,
  // The messages of up to 5 ms a record batch. For small messages (outcomes): fewer requests, and
  // a log of fewer record batches, which matters because the mock broker walks a partition's
  // list of record batches on every fetch (profiled after 6400 outcomes: 5% of all CPU with one
  // outcome a record batch, 1.7% with 2 ms). A short linger also costs: librdkafka's broker
  // thread polls in a tight loop until the linger deadline (poll and clock samples of the broker
  // threads, 3200 batches: 2.4% of all CPU at 2 ms, 1.0% at 5 ms, 0.7% at 10 ms; 5 ms adds at
  // most 5 ms to a batch's latency of ~30 ms through Kafka).
  linger,
};

class KafkaProducer {
 public:
  // Idempotent, acks=all. `on_delivery(opaque, error)` runs from poll()/flush() on the caller's thread.
  using Delivery = std::function<void(void* opaque, const std::string& error)>;
  KafkaProducer(const KafkaOptions& options, Delivery on_delivery = {},
                KafkaBatching batching = KafkaBatching::one_per_message);
  ~KafkaProducer();
  // Queues a message; `value` is kept, not copied, until its delivery is reported. Returns an
  // error string, empty on success (then, and only then, `on_delivery` runs later for `opaque`).
  std::string produce(const std::string& topic, const std::string& key, SharedBytes value, void* opaque = nullptr,
                      const std::vector<KafkaHeader>& headers = {}, int32_t partition = RD_KAFKA_PARTITION_UA);
  std::string produce(const std::string& topic, const std::string& key, std::string value, void* opaque = nullptr,
                      const std::vector<KafkaHeader>& headers = {}, int32_t partition = RD_KAFKA_PARTITION_UA) {
    return produce(topic, key, SharedBytes(std::move(value)), opaque, headers, partition);
  }
  void poll(std::chrono::milliseconds timeout);
  std::string flush(std::chrono::milliseconds timeout);
  // Empty when the brokers answer a metadata request within `timeout`, else why not.
  std::string check_reachable(std::chrono::milliseconds timeout);
  // As kafka_partition_count, through this producer's connections (no client of its own); the
  // topic's metadata stays warm for the next produce to it.
  int partition_count(const std::string& topic, std::chrono::milliseconds timeout);
  // The client's last error about its brokers (e.g. one refusing connections), or empty.
  std::string last_error() const;
  rd_kafka_t* handle() { return rk_; }

 private:
  static void on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* m, void* self);
  static void on_error(rd_kafka_t*, int err, const char* reason, void* self);
  rd_kafka_t* rk_ = nullptr;
  Delivery on_delivery_;
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

// A partition's committed offset and the metadata committed with it.
struct CommittedOffset {
  int64_t offset = -1;  // -1: nothing committed
  std::string metadata;
};

class KafkaConsumer {
 public:
  // Partitions assigned to this consumer (after a rebalance), and those taken away.
  struct Rebalance {
    // Returns where to start reading each assigned partition; a partition left out resumes at
    // the group's committed offset (or the earliest, when none).
    std::function<std::map<int32_t, int64_t>(const std::vector<int32_t>& assigned)> on_assign;
    std::function<void(const std::vector<int32_t>& revoked)> on_revoke;
  };
  // Joins `group`, subscribed to `topic`, reading from the earliest offset when none is committed.
  // Offsets are committed only by commit().
  KafkaConsumer(const KafkaOptions& options, const std::string& group, const std::string& topic,
                Rebalance rebalance = {});
  // Joins no group: reads every partition of `topic` from the given offsets (partition -> offset;
  // partitions left out are read from their end as of now).
  struct AssignAll {};
  KafkaConsumer(const KafkaOptions& options, AssignAll, const std::string& topic, std::map<int32_t, int64_t> from,
                std::chrono::milliseconds timeout);
  ~KafkaConsumer();
  // A message, or nothing within `timeout`. Errors that are not end-of-partition come back in `error`.
  std::optional<KafkaMessage> poll(std::chrono::milliseconds timeout, std::string* error = nullptr);
  // Commits "everything before `next`" of that partition, with `metadata` (asynchronously).
  void commit(const std::string& topic, int32_t partition, int64_t next, const std::string& metadata = {});
  // The committed offsets (and their metadata) of partitions of this group; nullopt when the
  // coordinator did not answer within `timeout`.
  std::optional<std::map<int32_t, CommittedOffset>> committed(const std::string& topic, const std::vector<int32_t>& partitions,
                                                             std::chrono::milliseconds timeout);
  void close();
  // Messages behind the end of the partitions assigned now: the high watermark (as the last
  // fetch saw it; no request is made) less this consumer's position, summed.
  int64_t lag();

 private:
  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* self);
  rd_kafka_t* rk_ = nullptr;
  Rebalance rebalance_;
  bool closed_ = false;
};

// Partitions of `topic` (0 when it does not exist or the brokers do not answer within `timeout`).
int kafka_partition_count(const KafkaOptions& options, const std::string& topic, std::chrono::milliseconds timeout);
// The next offset to be written to each partition of `topic` (its high watermark), or why not.
std::string kafka_end_offsets(const KafkaOptions& options, const std::string& topic, int partitions,
                              std::map<int32_t, int64_t>& out, std::chrono::milliseconds timeout);

// A consumer group's lag on one topic, as Kafka tools define it: for each partition, its high
// watermark less the group's committed offset (0 when nothing is committed),
// summed. Reads the group's commits without joining it, so measuring does not rebalance it.
class KafkaGroupLag {
 public:
  KafkaGroupLag(const KafkaOptions& options, const std::string& group, const std::string& topic, int partitions);
  ~KafkaGroupLag();
  // The lag now, or nullopt when the brokers did not answer within `timeout` (per request).
  std::optional<int64_t> measure(std::chrono::milliseconds timeout);

 private:
  rd_kafka_t* rk_ = nullptr;
  std::string topic_;
  int partitions_ = 0;
};

// Creates the topics that do not exist yet (with `partitions` each). Empty, or why not.
std::string ensure_kafka_topics(const KafkaOptions& options, const std::vector<std::string>& topics, int partitions,
                                std::chrono::milliseconds timeout);

// librdkafka's in-process mock cluster: real brokers on loopback for tests and demos.
class MockKafkaCluster {
 public:
  explicit MockKafkaCluster(int brokers);
  ~MockKafkaCluster();
  std::string bootstraps() const { return bootstraps_; }
  void create_topic(const std::string& topic, int partitions);
  void set_broker_down(int broker_id, bool down);
  int brokers() const { return brokers_; }

 private:
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstraps_;
  int brokers_ = 0;
};

}  // namespace lpbf
