#pragma once
// Kafka through librdkafka: a producer, a consumer (in a group, or reading partitions it assigns
// itself), topic creation, and librdkafka's built-in mock cluster (tests and demos). A call that
// can fail returns a Result or Status (io/result.h); constructors throw std::runtime_error when a
// client cannot be created. Each class owns its librdkafka client and hands librdkafka `this`
// for its callbacks: none is copyable or movable.
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
#include "io/kafka_handles.h"
#include "io/result.h"

namespace lpbf {

// The most partitions a topic may have here (as --partitions allows): a count a broker reports
// above it is refused with an error, never used to size per-partition state.
inline constexpr int kMaxKafkaPartitions = 10000;

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
  // Idempotent, acks=all. `on_delivery(opaque, delivered)` runs from poll()/flush() on the
  // caller's thread: the message was delivered, or the Error says why not.
  using Delivery = std::function<void(void* opaque, const Status& delivered)>;
  KafkaProducer(const KafkaOptions& options, Delivery on_delivery = {},
                KafkaBatching batching = KafkaBatching::one_per_message);
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;
  ~KafkaProducer();
  // Queues a message; `value` is kept, not copied, until its delivery is reported. On success,
  // and only then, `on_delivery` runs later for `opaque`.
  Status produce(const std::string& topic, const std::string& key, SharedBytes value, void* opaque = nullptr,
                 const std::vector<KafkaHeader>& headers = {}, int32_t partition = RD_KAFKA_PARTITION_UA);
  Status produce(const std::string& topic, const std::string& key, std::string value, void* opaque = nullptr,
                 const std::vector<KafkaHeader>& headers = {}, int32_t partition = RD_KAFKA_PARTITION_UA) {
    return produce(topic, key, SharedBytes(std::move(value)), opaque, headers, partition);
  }
  void poll(std::chrono::milliseconds timeout);
  // Fails when messages are still undelivered after `timeout`.
  Status flush(std::chrono::milliseconds timeout);
  // Whether the brokers answer a metadata request within `timeout`.
  Status check_reachable(std::chrono::milliseconds timeout);
  // As kafka_partition_count, through this producer's connections (no client of its own); the
  // topic's metadata stays warm for the next produce to it.
  Result<int> partition_count(const std::string& topic, std::chrono::milliseconds timeout);
  // The client's last error about its brokers (e.g. one refusing connections), or empty.
  std::string last_error() const;

 private:
  static void on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* m, void* self);
  static void on_error(rd_kafka_t*, int err, const char* reason, void* self);
  KafkaClientPtr rk_;
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
  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;
  ~KafkaConsumer();
  // A message, or nothing within `timeout`, or an error (not end-of-partition, which is nothing;
  // also a rebalance this consumer could not apply). The client keeps going after an error.
  Result<std::optional<KafkaMessage>> poll(std::chrono::milliseconds timeout);
  // Commits "everything before `next`" of that partition, with `metadata` (asynchronously: only
  // a request that cannot even be queued fails here).
  Status commit(const std::string& topic, int32_t partition, int64_t next, const std::string& metadata = {});
  // The committed offsets (and their metadata) of partitions of this group; an error when the
  // coordinator did not answer within `timeout`.
  Result<std::map<int32_t, CommittedOffset>> committed(const std::string& topic, const std::vector<int32_t>& partitions,
                                                       std::chrono::milliseconds timeout);
  // Leaves the group (once; the destructor does it when not done).
  Status close();
  // Messages behind the end of the partitions assigned now: the high watermark (as the last
  // fetch saw it; no request is made) less this consumer's position, summed.
  int64_t lag();
  // The consumer group's generation as this member last saw it (it rises by one with every
  // rebalance that completes), or -1 when not known (no group, or librdkafka did not say).
  // Asks librdkafka's main thread: call it from the polling thread (rebalance callbacks included).
  int32_t group_generation();

 private:
  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* self);
  KafkaClientPtr rk_;
  Rebalance rebalance_;
  bool closed_ = false;
  std::string rebalance_error_;  // set in on_rebalance, told by the next poll() without a message
};

// Partitions of `topic`: at least 1 and at most kMaxKafkaPartitions, or an error (unknown topic,
// no answer within `timeout`, or a count out of that range).
Result<int> kafka_partition_count(const KafkaOptions& options, const std::string& topic,
                                  std::chrono::milliseconds timeout);
// The next offset to be written to each of the `partitions` partitions of `topic` (its high
// watermark), by partition.
Result<std::map<int32_t, int64_t>> kafka_end_offsets(const KafkaOptions& options, const std::string& topic,
                                                     int partitions, std::chrono::milliseconds timeout);

// A consumer group's lag on one topic, as Kafka tools define it: for each partition, its high
// watermark less the group's committed offset (0 when nothing is committed),
// summed. Reads the group's commits without joining it, so measuring does not rebalance it.
class KafkaGroupLag {
 public:
  KafkaGroupLag(const KafkaOptions& options, const std::string& group, const std::string& topic, int partitions);
  KafkaGroupLag(const KafkaGroupLag&) = delete;
  KafkaGroupLag& operator=(const KafkaGroupLag&) = delete;
  // The lag now, or an error when the brokers did not answer within `timeout` (per request).
  Result<int64_t> measure(std::chrono::milliseconds timeout);

 private:
  KafkaClientPtr rk_;
  std::string topic_;
  int partitions_ = 0;
};

// Creates the topics that do not exist yet (with `partitions` each).
Status ensure_kafka_topics(const KafkaOptions& options, const std::vector<std::string>& topics, int partitions,
                           std::chrono::milliseconds timeout);

// librdkafka's in-process mock cluster: real brokers on loopback for tests and demos.
class MockKafkaCluster {
 public:
  explicit MockKafkaCluster(int brokers);
  MockKafkaCluster(const MockKafkaCluster&) = delete;
  MockKafkaCluster& operator=(const MockKafkaCluster&) = delete;
  std::string bootstraps() const { return bootstraps_; }
  Status create_topic(const std::string& topic, int partitions);
  Status set_broker_down(int broker_id, bool down);
  int brokers() const { return brokers_; }

 private:
  KafkaClientPtr host_;
  KafkaMockClusterPtr cluster_;  // after host_: destroyed before it
  std::string bootstraps_;
  int brokers_ = 0;
};

}  // namespace lpbf
