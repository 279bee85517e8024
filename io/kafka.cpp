// The clients: producer, consumer, group lag, partition counts and end offsets. Topic creation and
// the mock cluster are in io/kafka_admin.cpp.
#include "io/kafka.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#include "io/kafka_conf.h"

namespace lpbf {

namespace kafka_detail {

void set_conf(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    throw std::runtime_error(std::string("Kafka setting ") + key + ": " + err);
}

KafkaConfPtr base_conf(const KafkaOptions& o) {
  KafkaConfPtr conf(rd_kafka_conf_new());
  set_conf(conf.get(), "bootstrap.servers", o.brokers);
  // Only critical messages: a lost broker is reported by lpbf-bench itself, once and with context,
  // instead of a connection error a second from every client.
  set_conf(conf.get(), "log_level", "2");
  set_conf(conf.get(), "socket.connection.setup.timeout.ms", "5000");
  set_conf(conf.get(), "reconnect.backoff.max.ms", "1000");
  return conf;
}

KafkaClientPtr make_client(rd_kafka_type_t type, KafkaConfPtr conf) {
  char err[512];
  KafkaClientPtr rk(rd_kafka_new(type, conf.get(), err, sizeof err));
  if (!rk) throw std::runtime_error(std::string("cannot create a Kafka client: ") + err);
  conf.release();  // rd_kafka_new took it over (only on success)
  return rk;
}

Result<int> partition_count(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout) {
  const KafkaTopicPtr rkt(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  if (!rkt) return Error{"partitions of Kafka topic " + topic + ": " + rd_kafka_err2str(rd_kafka_last_error())};
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt.get(), &raw, int(timeout.count()));
  const KafkaMetadataPtr md(raw);
  if (e || !md) return Error{"partitions of Kafka topic " + topic + ": " + rd_kafka_err2str(e)};
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (topic != t.topic) continue;
    if (t.err) return Error{"partitions of Kafka topic " + topic + ": " + rd_kafka_err2str(t.err)};
    // The count comes from the brokers and sizes per-partition state: an absurd one is refused.
    if (t.partition_cnt < 1 || t.partition_cnt > kMaxKafkaPartitions)
      return Error{"Kafka topic " + topic + " has " + std::to_string(t.partition_cnt) +
                   " partitions (lpbf-bench handles 1 to " + std::to_string(kMaxKafkaPartitions) + ")"};
    return t.partition_cnt;
  }
  return Error{"partitions of Kafka topic " + topic + ": not in the brokers' metadata"};
}

}  // namespace kafka_detail

using namespace kafka_detail;

namespace {

std::vector<int32_t> partitions_of(const rd_kafka_topic_partition_list_t* parts) {
  std::vector<int32_t> out;
  for (int i = 0; i < parts->cnt; ++i) out.push_back(parts->elems[i].partition);
  return out;
}

}  // namespace

KafkaProducer::KafkaProducer(const KafkaOptions& o, Delivery on_delivery, KafkaBatching batching)
    : on_delivery_(std::move(on_delivery)) {
  KafkaConfPtr conf = base_conf(o);
  set_conf(conf.get(), "enable.idempotence", "true");
  set_conf(conf.get(), "acks", "all");
  const bool one = batching == KafkaBatching::one_per_message;
  set_conf(conf.get(), "linger.ms", one ? "1" : "5");
  set_conf(conf.get(), "batch.num.messages", one ? "1" : "10000");
  set_conf(conf.get(), "message.max.bytes", "134217728");
  // A message not acknowledged within 15 s fails (its batch is then reported) instead of the
  // default 5 minutes of retries.
  set_conf(conf.get(), "message.timeout.ms", "15000");
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaProducer::on_delivery_report);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaProducer::on_error);
  rk_ = make_client(RD_KAFKA_PRODUCER, std::move(conf));
}

KafkaProducer::~KafkaProducer() {
  if (rd_kafka_flush(rk_.get(), 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Still undelivered (a broker is gone): give up on them now rather than block shutdown. A
    // purge that fails changes nothing: destroying the client drops them all the same.
    static_cast<void>(rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT));
    rd_kafka_poll(rk_.get(), 100);
  }
  rk_.reset();  // here, while the members its last callbacks use are still there
}

namespace {
// A queued message's bytes, kept alive until librdkafka reports its delivery (no copy), with
// the caller's opaque.
struct OwnedValue {
  SharedBytes value;
  void* opaque;
};
}  // namespace

void KafkaProducer::on_error(rd_kafka_t*, int, const char* reason, void* self) {
  auto* p = static_cast<KafkaProducer*>(self);
  std::lock_guard lock(p->error_mutex_);
  p->last_error_ = reason ? reason : "";
}

std::string KafkaProducer::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void KafkaProducer::on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* m, void* self) {
  auto* p = static_cast<KafkaProducer*>(self);
  std::unique_ptr<OwnedValue> owned(static_cast<OwnedValue*>(m->_private));
  if (p->on_delivery_) p->on_delivery_(owned->opaque, m->err ? Status(Error{rd_kafka_err2str(m->err)}) : Status());
}

Status KafkaProducer::produce(const std::string& topic, const std::string& key, SharedBytes value, void* opaque,
                              const std::vector<KafkaHeader>& headers, int32_t partition) {
  auto owned = std::make_unique<OwnedValue>(OwnedValue{std::move(value), opaque});
  for (int attempt = 0;; ++attempt) {
    KafkaHeadersPtr hdrs;
    if (!headers.empty()) {
      hdrs.reset(rd_kafka_headers_new(headers.size()));
      for (const KafkaHeader& h : headers)
        if (const rd_kafka_resp_err_t e = rd_kafka_header_add(hdrs.get(), h.name.data(), ssize_t(h.name.size()),
                                                              h.value.data(), ssize_t(h.value.size())))
          return Error{"produce to " + topic + ": header " + h.name + ": " + rd_kafka_err2str(e)};
    }
    const rd_kafka_resp_err_t e =
        hdrs ? rd_kafka_producev(rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_KEY(key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(const_cast<uint8_t*>(owned->value.data()), owned->value.size()),
                                 RD_KAFKA_V_HEADERS(hdrs.get()), RD_KAFKA_V_OPAQUE(owned.get()), RD_KAFKA_V_END)
             : rd_kafka_producev(rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_KEY(key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(const_cast<uint8_t*>(owned->value.data()), owned->value.size()),
                                 RD_KAFKA_V_OPAQUE(owned.get()), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      hdrs.release();   // the message owns them now
      owned.release();  // the delivery report frees it
      return {};
    }
    // On failure the headers were not taken over: `hdrs` frees them.
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt > 100)
      return Error{"produce to " + topic + ": " + rd_kafka_err2str(e)};
    rd_kafka_poll(rk_.get(), 10);  // the local queue is full: let deliveries drain
  }
}

Result<int> KafkaProducer::partition_count(const std::string& topic, std::chrono::milliseconds timeout) {
  return kafka_detail::partition_count(rk_.get(), topic, timeout);
}

void KafkaProducer::poll(std::chrono::milliseconds timeout) { rd_kafka_poll(rk_.get(), int(timeout.count())); }

Status KafkaProducer::flush(std::chrono::milliseconds timeout) {
  if (const rd_kafka_resp_err_t e = rd_kafka_flush(rk_.get(), int(timeout.count())))
    return Error{std::string("flush: ") + rd_kafka_err2str(e)};
  return {};
}

Status KafkaProducer::check_reachable(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* raw = nullptr;
  const rd_kafka_resp_err_t e = rd_kafka_metadata(rk_.get(), 1, nullptr, &raw, int(timeout.count()));
  const KafkaMetadataPtr md(raw);
  if (e) return Error{rd_kafka_err2str(e)};
  return {};
}

namespace {

KafkaConfPtr consumer_conf(const KafkaOptions& o, const std::string& group) {
  KafkaConfPtr conf = base_conf(o);
  set_conf(conf.get(), "group.id", group);
  set_conf(conf.get(), "auto.offset.reset", "earliest");
  set_conf(conf.get(), "enable.auto.commit", "false");
  set_conf(conf.get(), "enable.auto.offset.store", "false");
  set_conf(conf.get(), "session.timeout.ms", std::to_string(o.session_timeout.count()));
  set_conf(conf.get(), "heartbeat.interval.ms", std::to_string(std::max<int64_t>(100, o.session_timeout.count() / 6)));
  set_conf(conf.get(), "fetch.message.max.bytes", "1048576");
  // A batch waits for the consumer's long-poll: keep it short (the default 500 ms is per hop).
  set_conf(conf.get(), "fetch.wait.max.ms", "5");
  // Fetch again as soon as one message is there, and keep at most ~64 MB (128 batches) read
  // ahead: enough to hide a fetch round trip, not so much that a rebalance throws away seconds.
  set_conf(conf.get(), "fetch.min.bytes", "1");
  set_conf(conf.get(), "queued.max.messages.kbytes", "65536");
  set_conf(conf.get(), "fetch.error.backoff.ms", "50");
  return conf;
}

// Routes the client's events to its consumer queue, read by rd_kafka_consumer_poll.
void poll_as_consumer(rd_kafka_t* rk) {
  if (const rd_kafka_resp_err_t e = rd_kafka_poll_set_consumer(rk))
    throw std::runtime_error(std::string("cannot set up a Kafka consumer: ") + rd_kafka_err2str(e));
}

}  // namespace

KafkaConsumer::KafkaConsumer(const KafkaOptions& o, const std::string& group, const std::string& topic,
                             Rebalance rebalance)
    : rebalance_(std::move(rebalance)) {
  KafkaConfPtr conf = consumer_conf(o, group);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaConsumer::on_rebalance);
  rk_ = make_client(RD_KAFKA_CONSUMER, std::move(conf));
  poll_as_consumer(rk_.get());
  const KafkaPartitionsPtr t = new_partition_list(1);
  rd_kafka_topic_partition_list_add(t.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (const rd_kafka_resp_err_t e = rd_kafka_subscribe(rk_.get(), t.get()))
    throw std::runtime_error("cannot subscribe to " + topic + ": " + rd_kafka_err2str(e));
}

KafkaConsumer::KafkaConsumer(const KafkaOptions& o, AssignAll, const std::string& topic,
                             std::map<int32_t, int64_t> from, std::chrono::milliseconds timeout) {
  // A group id is required by the client, but assign() never joins it.
  rk_ = make_client(RD_KAFKA_CONSUMER, consumer_conf(o, "lpbf-reader-" + topic));
  poll_as_consumer(rk_.get());
  const Result<int> partitions = kafka_partition_count(o, topic, timeout);
  if (!partitions) throw std::runtime_error(partitions.error());
  const KafkaPartitionsPtr t = new_partition_list(partitions.value());
  for (int32_t p = 0; p < partitions.value(); ++p) {
    const auto it = from.find(p);
    rd_kafka_topic_partition_list_add(t.get(), topic.c_str(), p)->offset =
        it != from.end() ? it->second : RD_KAFKA_OFFSET_END;
  }
  if (const rd_kafka_resp_err_t e = rd_kafka_assign(rk_.get(), t.get()))
    throw std::runtime_error("cannot read topic " + topic + ": " + rd_kafka_err2str(e));
  closed_ = true;  // no group to leave
}

KafkaConsumer::~KafkaConsumer() {
  // Nobody to tell: a member that could not leave is dropped by the group when its session expires.
  static_cast<void>(close());
  rk_.reset();  // here, while the members its last callbacks use are still there
}

int64_t KafkaConsumer::lag() {
  if (closed_) return 0;
  rd_kafka_topic_partition_list_t* raw = nullptr;
  const rd_kafka_resp_err_t e = rd_kafka_assignment(rk_.get(), &raw);
  const KafkaPartitionsPtr parts(raw);
  if (e || !parts) return 0;
  int64_t lag = 0;
  if (rd_kafka_position(rk_.get(), parts.get()) == RD_KAFKA_RESP_ERR_NO_ERROR)
    for (int i = 0; i < parts->cnt; ++i) {
      const rd_kafka_topic_partition_t& p = parts->elems[i];
      int64_t low = -1, high = -1;
      if (p.offset >= 0 &&
          rd_kafka_get_watermark_offsets(rk_.get(), p.topic, p.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          high > p.offset)
        lag += high - p.offset;
    }
  return lag;
}

// librdkafka 2.0.2 has no getter for the generation: its serialised group metadata (the form
// transactional producers send between processes) starts with the magic "CGMDv2:" and then the
// generation as a native int32. Any other magic (another librdkafka) reads as unknown.
int32_t KafkaConsumer::group_generation() {
  if (closed_) return -1;
  rd_kafka_consumer_group_metadata_t* raw = rd_kafka_consumer_group_metadata(rk_.get());
  if (!raw) return -1;
  void* buffer = nullptr;
  size_t size = 0;
  rd_kafka_error_t* error = rd_kafka_consumer_group_metadata_write(raw, &buffer, &size);
  rd_kafka_consumer_group_metadata_destroy(raw);
  if (error) {
    rd_kafka_error_destroy(error);
    return -1;
  }
  static constexpr char kMagic[] = "CGMDv2:";
  int32_t generation = -1;
  if (size >= sizeof kMagic - 1 + sizeof generation && std::memcmp(buffer, kMagic, sizeof kMagic - 1) == 0)
    std::memcpy(&generation, static_cast<const char*>(buffer) + sizeof kMagic - 1, sizeof generation);
  rd_kafka_mem_free(rk_.get(), buffer);
  return generation < 0 ? -1 : generation;
}

Status KafkaConsumer::close() {
  if (closed_) return {};
  closed_ = true;
  if (const rd_kafka_resp_err_t e = rd_kafka_consumer_close(rk_.get()))
    return Error{std::string("leaving the consumer group: ") + rd_kafka_err2str(e)};
  return {};
}

void KafkaConsumer::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                                 void* self) {
  auto* c = static_cast<KafkaConsumer*>(self);
  rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (c->rebalance_.on_assign) {
      for (const auto& [p, offset] : c->rebalance_.on_assign(partitions_of(parts)))
        for (int i = 0; i < parts->cnt; ++i)
          if (parts->elems[i].partition == p) parts->elems[i].offset = offset;
    }
    e = rd_kafka_assign(rk, parts);
  } else {
    if (c->rebalance_.on_revoke) c->rebalance_.on_revoke(partitions_of(parts));
    e = rd_kafka_assign(rk, nullptr);
  }
  // Called from within rd_kafka_consumer_poll: the poll that follows reports it.
  if (e) c->rebalance_error_ = std::string("applying a rebalance: ") + rd_kafka_err2str(e);
}

std::optional<std::string> KafkaMessage::header(const std::string& name) const {
  for (const KafkaHeader& h : headers)
    if (h.name == name) return h.value;
  return std::nullopt;
}

Result<std::optional<KafkaMessage>> KafkaConsumer::poll(std::chrono::milliseconds timeout) {
  KafkaMessagePtr m(rd_kafka_consumer_poll(rk_.get(), int(timeout.count())));
  if (m && m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) return Error{rd_kafka_message_errstr(m.get())};
  if (!m || m->err) {
    if (!rebalance_error_.empty()) return Error{std::exchange(rebalance_error_, {})};
    return std::optional<KafkaMessage>();
  }
  std::optional<KafkaMessage> out =
      KafkaMessage{rd_kafka_topic_name(m->rkt),
                   m->partition,
                   m->offset,
                   m->key ? std::string(static_cast<const char*>(m->key), m->key_len) : std::string(),
                   {},
                   {}};
  rd_kafka_headers_t* hdrs = nullptr;  // the message's own
  if (rd_kafka_message_headers(m.get(), &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
    const char* name;
    const void* value;
    size_t size;
    // At most a few headers are read: their number comes from the message, not from us.
    for (size_t i = 0; i < 16 && rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i)
      out->headers.push_back({name, value ? std::string(static_cast<const char*>(value), size) : std::string()});
  }
  if (m->payload) {
    // The payload stays in librdkafka's message, which the bytes now own (no 500 KB copy).
    const std::span<const uint8_t> payload(static_cast<const uint8_t*>(m->payload), m->len);
    out->value = SharedBytes(std::shared_ptr<const void>(std::move(m)), payload);
  }
  return out;
}

Status KafkaConsumer::commit(const std::string& topic, int32_t partition, int64_t next, const std::string& metadata) {
  const KafkaPartitionsPtr t = new_partition_list(1);
  rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_add(t.get(), topic.c_str(), partition);
  tp->offset = next;
  if (!metadata.empty()) {
    tp->metadata = std::malloc(metadata.size());  // freed with the list
    if (!tp->metadata) return Error{"commit to " + topic + ": out of memory"};
    std::memcpy(tp->metadata, metadata.data(), metadata.size());
    tp->metadata_size = metadata.size();
  }
  if (const rd_kafka_resp_err_t e = rd_kafka_commit(rk_.get(), t.get(), 1))
    return Error{"commit to " + topic + " [" + std::to_string(partition) + "]: " + rd_kafka_err2str(e)};
  return {};
}

Result<std::map<int32_t, CommittedOffset>> KafkaConsumer::committed(const std::string& topic,
                                                                    const std::vector<int32_t>& partitions,
                                                                    std::chrono::milliseconds timeout) {
  const KafkaPartitionsPtr t = new_partition_list(int(partitions.size()));
  for (int32_t p : partitions) rd_kafka_topic_partition_list_add(t.get(), topic.c_str(), p);
  if (const rd_kafka_resp_err_t e = rd_kafka_committed(rk_.get(), t.get(), int(timeout.count())))
    return Error{"committed offsets of " + topic + ": " + rd_kafka_err2str(e)};
  std::map<int32_t, CommittedOffset> out;
  for (int i = 0; i < t->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = t->elems[i];
    if (e.err)
      return Error{"committed offset of " + topic + " [" + std::to_string(e.partition) +
                   "]: " + rd_kafka_err2str(e.err)};
    CommittedOffset c;
    if (e.offset >= 0) {
      c.offset = e.offset;
      // Metadata is read as text of bounded size: it came over the network.
      if (e.metadata) c.metadata.assign(static_cast<const char*>(e.metadata), std::min<size_t>(e.metadata_size, 256));
    }
    out[e.partition] = c;
  }
  return out;
}

Result<int> kafka_partition_count(const KafkaOptions& o, const std::string& topic, std::chrono::milliseconds timeout) {
  const KafkaClientPtr rk = make_client(RD_KAFKA_PRODUCER, base_conf(o));
  Result<int> partitions = partition_count(rk.get(), topic, timeout);
  if (!partitions) return Error{partitions.error() + " (brokers at " + o.brokers + ")"};
  return partitions;
}

namespace {

// Each partition's high watermark through `rk`: offsets_for_times with the timestamp "end", all
// partitions in one call that keeps its timeout (query_watermark_offsets, per partition, waits
// out a lost broker's request timeout, a minute, whatever timeout it is given).
Result<std::map<int32_t, int64_t>> end_offsets(rd_kafka_t* rk, const std::string& topic, int partitions,
                                               std::chrono::milliseconds timeout) {
  assert(partitions >= 1 && partitions <= kMaxKafkaPartitions);  // a count partition_count checked
  const KafkaPartitionsPtr ends = new_partition_list(partitions);
  for (int32_t p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(ends.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_END;
  if (const rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(rk, ends.get(), int(timeout.count())))
    return Error{"end offsets of " + topic + ": " + rd_kafka_err2str(e)};
  std::map<int32_t, int64_t> out;
  for (int i = 0; i < ends->cnt; ++i) {
    const rd_kafka_topic_partition_t& end = ends->elems[i];
    if (end.err || end.offset < 0)
      return Error{"end offset of " + topic + " [" + std::to_string(end.partition) +
                   "]: " + (end.err ? rd_kafka_err2str(end.err) : "none given")};
    out[end.partition] = end.offset;
  }
  return out;
}

}  // namespace

Result<std::map<int32_t, int64_t>> kafka_end_offsets(const KafkaOptions& o, const std::string& topic, int partitions,
                                                     std::chrono::milliseconds timeout) {
  const KafkaClientPtr rk = make_client(RD_KAFKA_PRODUCER, base_conf(o));
  return end_offsets(rk.get(), topic, partitions, timeout);
}

KafkaGroupLag::KafkaGroupLag(const KafkaOptions& o, const std::string& group, const std::string& topic, int partitions)
    : topic_(topic), partitions_(partitions) {
  // A consumer of the group that never subscribes: it may read the group's commits, and it never
  // joins, so the group's members keep their partitions.
  rk_ = make_client(RD_KAFKA_CONSUMER, consumer_conf(o, group));
}

Result<int64_t> KafkaGroupLag::measure(std::chrono::milliseconds timeout) {
  const KafkaPartitionsPtr committed = new_partition_list(partitions_);
  for (int32_t p = 0; p < partitions_; ++p) rd_kafka_topic_partition_list_add(committed.get(), topic_.c_str(), p);
  if (const rd_kafka_resp_err_t e = rd_kafka_committed(rk_.get(), committed.get(), int(timeout.count())))
    return Error{"committed offsets of " + topic_ + ": " + rd_kafka_err2str(e)};
  const Result<std::map<int32_t, int64_t>> ends = end_offsets(rk_.get(), topic_, partitions_, timeout);
  if (!ends) return Error{ends.error()};
  int64_t lag = 0;
  for (int i = 0; i < committed->cnt; ++i) {
    const rd_kafka_topic_partition_t& c = committed->elems[i];
    if (c.err)
      return Error{"committed offset of " + topic_ + " [" + std::to_string(c.partition) +
                   "]: " + rd_kafka_err2str(c.err)};
    const auto end = ends->find(c.partition);
    if (end == ends->end())
      return Error{"end offset of " + topic_ + " [" + std::to_string(c.partition) + "]: none given"};
    // Nothing committed counts from 0: the mock cluster and a young topic start there, and a
    // topic whose start was deleted would only overstate the lag.
    // Offsets come from the brokers: the sum saturates rather than overflow on absurd ones.
    const int64_t behind = std::max<int64_t>(0, end->second - std::max<int64_t>(c.offset, 0));
    lag = behind > std::numeric_limits<int64_t>::max() - lag ? std::numeric_limits<int64_t>::max() : lag + behind;
  }
  return lag;
}

}  // namespace lpbf
