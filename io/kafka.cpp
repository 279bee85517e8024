#include "io/kafka.h"

#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace lpbf {
namespace {

// Sets one librdkafka setting; a refused one frees `conf` and throws, naming the setting.
void set_conf(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK) return;
  rd_kafka_conf_destroy(conf);
  throw std::runtime_error(std::string("Kafka setting ") + key + ": " + err);
}

rd_kafka_conf_t* base_conf(const KafkaOptions& o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_conf(conf, "bootstrap.servers", o.brokers);
  // Only critical messages: a lost broker is reported by lpbf-bench itself, once and with context,
  // instead of a connection error a second from every client.
  set_conf(conf, "log_level", "2");
  set_conf(conf, "socket.connection.setup.timeout.ms", "5000");
  set_conf(conf, "reconnect.backoff.max.ms", "1000");
  return conf;
}

rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("cannot create a Kafka client: ") + err);
  }
  return rk;
}

std::vector<int32_t> partitions_of(const rd_kafka_topic_partition_list_t* parts) {
  std::vector<int32_t> out;
  for (int i = 0; i < parts->cnt; ++i) out.push_back(parts->elems[i].partition);
  return out;
}

// Partitions of `topic` as the brokers tell `rk` (0: unknown topic, or no answer within
// `timeout`). Asking also keeps the topic's metadata in `rk` for its next produce.
int partition_count(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int partitions = 0;
  if (rd_kafka_metadata(rk, 0, rkt, &md, int(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR && md)
    for (int i = 0; i < md->topic_cnt; ++i)
      if (!md->topics[i].err && topic == md->topics[i].topic) partitions = md->topics[i].partition_cnt;
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  return partitions;
}

}  // namespace

KafkaProducer::KafkaProducer(const KafkaOptions& o, Delivery on_delivery, KafkaBatching batching)
    : on_delivery_(std::move(on_delivery)) {
  rd_kafka_conf_t* conf = base_conf(o);
  set_conf(conf, "enable.idempotence", "true");
  set_conf(conf, "acks", "all");
  const bool one = batching == KafkaBatching::one_per_message;
  set_conf(conf, "linger.ms", one ? "1" : "5");
  set_conf(conf, "batch.num.messages", one ? "1" : "10000");
  set_conf(conf, "message.max.bytes", "134217728");
  // A message not acknowledged within 15 s fails (its batch is then reported) instead of the
  // default 5 minutes of retries.
  set_conf(conf, "message.timeout.ms", "15000");
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaProducer::on_delivery_report);
  rd_kafka_conf_set_error_cb(conf, &KafkaProducer::on_error);
  rk_ = make_client(RD_KAFKA_PRODUCER, conf);
}

KafkaProducer::~KafkaProducer() {
  if (!rk_) return;
  if (rd_kafka_flush(rk_, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Still undelivered (a broker is gone): give up on them now rather than block shutdown.
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk_, 100);
  }
  rd_kafka_destroy(rk_);
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
  if (p->on_delivery_) p->on_delivery_(owned->opaque, m->err ? rd_kafka_err2str(m->err) : std::string());
}

std::string KafkaProducer::produce(const std::string& topic, const std::string& key, SharedBytes value, void* opaque,
                                   const std::vector<KafkaHeader>& headers, int32_t partition) {
  auto owned = std::make_unique<OwnedValue>(OwnedValue{std::move(value), opaque});
  for (int attempt = 0;; ++attempt) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (!headers.empty()) {
      hdrs = rd_kafka_headers_new(headers.size());
      for (const KafkaHeader& h : headers)
        rd_kafka_header_add(hdrs, h.name.data(), ssize_t(h.name.size()), h.value.data(), ssize_t(h.value.size()));
    }
    const rd_kafka_resp_err_t e =
        hdrs ? rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_KEY(key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(const_cast<uint8_t*>(owned->value.data()), owned->value.size()), RD_KAFKA_V_HEADERS(hdrs),
                                 RD_KAFKA_V_OPAQUE(owned.get()), RD_KAFKA_V_END)
             : rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_KEY(key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(const_cast<uint8_t*>(owned->value.data()), owned->value.size()),
                                 RD_KAFKA_V_OPAQUE(owned.get()), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      owned.release();  // the delivery report frees it
      return {};
    }
    if (hdrs) rd_kafka_headers_destroy(hdrs);  // not taken over on failure
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt > 100) return std::string("produce to ") + topic + ": " + rd_kafka_err2str(e);
    rd_kafka_poll(rk_, 10);  // the local queue is full: let deliveries drain
  }
}

int KafkaProducer::partition_count(const std::string& topic, std::chrono::milliseconds timeout) {
  return lpbf::partition_count(rk_, topic, timeout);
}

void KafkaProducer::poll(std::chrono::milliseconds timeout) { rd_kafka_poll(rk_, int(timeout.count())); }

std::string KafkaProducer::flush(std::chrono::milliseconds timeout) {
  const rd_kafka_resp_err_t e = rd_kafka_flush(rk_, int(timeout.count()));
  return e ? std::string("flush: ") + rd_kafka_err2str(e) : std::string();
}

std::string KafkaProducer::check_reachable(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t e = rd_kafka_metadata(rk_, 1, nullptr, &md, int(timeout.count()));
  if (md) rd_kafka_metadata_destroy(md);
  return e ? std::string(rd_kafka_err2str(e)) : std::string();
}

namespace {

rd_kafka_conf_t* consumer_conf(const KafkaOptions& o, const std::string& group) {
  rd_kafka_conf_t* conf = base_conf(o);
  set_conf(conf, "group.id", group);
  set_conf(conf, "auto.offset.reset", "earliest");
  set_conf(conf, "enable.auto.commit", "false");
  set_conf(conf, "enable.auto.offset.store", "false");
  set_conf(conf, "session.timeout.ms", std::to_string(o.session_timeout.count()));
  set_conf(conf, "heartbeat.interval.ms", std::to_string(std::max<int64_t>(100, o.session_timeout.count() / 6)));
  set_conf(conf, "fetch.message.max.bytes", "1048576");
  // A batch waits for the consumer's long-poll: keep it short (the default 500 ms is per hop).
  set_conf(conf, "fetch.wait.max.ms", "5");
  // Fetch again as soon as one message is there, and keep at most ~64 MB (128 batches) read
  // ahead: enough to hide a fetch round trip, not so much that a rebalance throws away seconds.
  set_conf(conf, "fetch.min.bytes", "1");
  set_conf(conf, "queued.max.messages.kbytes", "65536");
  set_conf(conf, "fetch.error.backoff.ms", "50");
  return conf;
}

}  // namespace

KafkaConsumer::KafkaConsumer(const KafkaOptions& o, const std::string& group, const std::string& topic, Rebalance rebalance)
    : rebalance_(std::move(rebalance)) {
  rd_kafka_conf_t* conf = consumer_conf(o, group);
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, &KafkaConsumer::on_rebalance);
  rk_ = make_client(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(rk_);
  rd_kafka_topic_partition_list_t* t = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(t, topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t e = rd_kafka_subscribe(rk_, t);
  rd_kafka_topic_partition_list_destroy(t);
  if (e) throw std::runtime_error("cannot subscribe to " + topic + ": " + rd_kafka_err2str(e));
}

KafkaConsumer::KafkaConsumer(const KafkaOptions& o, AssignAll, const std::string& topic, std::map<int32_t, int64_t> from,
                             std::chrono::milliseconds timeout) {
  // A group id is required by the client, but assign() never joins it.
  rk_ = make_client(RD_KAFKA_CONSUMER, consumer_conf(o, "lpbf-reader-" + topic));
  rd_kafka_poll_set_consumer(rk_);
  const int partitions = kafka_partition_count(o, topic, timeout);
  if (partitions <= 0) {
    rd_kafka_destroy(rk_);
    throw std::runtime_error("Kafka topic " + topic + " has no partitions, or the brokers at " + o.brokers +
                             " did not say within " + std::to_string(timeout.count()) + " ms");
  }
  rd_kafka_topic_partition_list_t* t = rd_kafka_topic_partition_list_new(partitions);
  for (int32_t p = 0; p < partitions; ++p) {
    const auto it = from.find(p);
    rd_kafka_topic_partition_list_add(t, topic.c_str(), p)->offset = it != from.end() ? it->second : RD_KAFKA_OFFSET_END;
  }
  const rd_kafka_resp_err_t e = rd_kafka_assign(rk_, t);
  rd_kafka_topic_partition_list_destroy(t);
  if (e) {
    rd_kafka_destroy(rk_);
    throw std::runtime_error("cannot read topic " + topic + ": " + rd_kafka_err2str(e));
  }
  closed_ = true;  // no group to leave
}

KafkaConsumer::~KafkaConsumer() {
  close();
  rd_kafka_destroy(rk_);
}

int64_t KafkaConsumer::lag() {
  rd_kafka_topic_partition_list_t* parts = nullptr;
  if (closed_ || rd_kafka_assignment(rk_, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts) return 0;
  int64_t lag = 0;
  if (rd_kafka_position(rk_, parts) == RD_KAFKA_RESP_ERR_NO_ERROR)
    for (int i = 0; i < parts->cnt; ++i) {
      const rd_kafka_topic_partition_t& p = parts->elems[i];
      int64_t low = -1, high = -1;
      if (p.offset >= 0 && rd_kafka_get_watermark_offsets(rk_, p.topic, p.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          high > p.offset)
        lag += high - p.offset;
    }
  rd_kafka_topic_partition_list_destroy(parts);
  return lag;
}

void KafkaConsumer::close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_consumer_close(rk_);
}

void KafkaConsumer::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* self) {
  auto* c = static_cast<KafkaConsumer*>(self);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (c->rebalance_.on_assign) {
      for (const auto& [p, offset] : c->rebalance_.on_assign(partitions_of(parts)))
        for (int i = 0; i < parts->cnt; ++i)
          if (parts->elems[i].partition == p) parts->elems[i].offset = offset;
    }
    rd_kafka_assign(rk, parts);
  } else {
    if (c->rebalance_.on_revoke) c->rebalance_.on_revoke(partitions_of(parts));
    rd_kafka_assign(rk, nullptr);
  }
}

std::optional<std::string> KafkaMessage::header(const std::string& name) const {
  for (const KafkaHeader& h : headers)
    if (h.name == name) return h.value;
  return std::nullopt;
}

std::optional<KafkaMessage> KafkaConsumer::poll(std::chrono::milliseconds timeout, std::string* error) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, int(timeout.count()));
  if (!m) return std::nullopt;
  std::optional<KafkaMessage> out;
  if (m->err) {
    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && error) *error = rd_kafka_message_errstr(m);
  } else {
    out = KafkaMessage{rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                       m->key ? std::string(static_cast<const char*>(m->key), m->key_len) : std::string(),
                       {}, {}};
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
      const char* name;
      const void* value;
      size_t size;
      // At most a few headers are read: their number comes from the message, not from us.
      for (size_t i = 0; i < 16 && rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
        out->headers.push_back({name, value ? std::string(static_cast<const char*>(value), size) : std::string()});
    }
  }
  if (out && m->payload) {
    // The payload stays in librdkafka's message, which the bytes now own (no 500 KB copy).
    const std::span<const uint8_t> payload(static_cast<const uint8_t*>(m->payload), m->len);
    out->value = SharedBytes(std::shared_ptr<const void>(m, [](const void* p) {
                               rd_kafka_message_destroy(static_cast<rd_kafka_message_t*>(const_cast<void*>(p)));
                             }),
                             payload);
  } else {
    rd_kafka_message_destroy(m);
  }
  return out;
}

void KafkaConsumer::commit(const std::string& topic, int32_t partition, int64_t next, const std::string& metadata) {
  rd_kafka_topic_partition_list_t* t = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_add(t, topic.c_str(), partition);
  tp->offset = next;
  if (!metadata.empty()) {
    tp->metadata = std::malloc(metadata.size());  // freed with the list
    std::memcpy(tp->metadata, metadata.data(), metadata.size());
    tp->metadata_size = metadata.size();
  }
  rd_kafka_commit(rk_, t, 1);
  rd_kafka_topic_partition_list_destroy(t);
}

std::optional<std::map<int32_t, CommittedOffset>> KafkaConsumer::committed(const std::string& topic,
                                                                           const std::vector<int32_t>& partitions,
                                                                           std::chrono::milliseconds timeout) {
  rd_kafka_topic_partition_list_t* t = rd_kafka_topic_partition_list_new(int(partitions.size()));
  for (int32_t p : partitions) rd_kafka_topic_partition_list_add(t, topic.c_str(), p);
  std::optional<std::map<int32_t, CommittedOffset>> out;
  if (rd_kafka_committed(rk_, t, int(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    out.emplace();
    for (int i = 0; i < t->cnt && out; ++i) {
      const rd_kafka_topic_partition_t& e = t->elems[i];
      if (e.err) {
        out.reset();
        break;
      }
      CommittedOffset c;
      if (e.offset >= 0) {
        c.offset = e.offset;
        // Metadata is read as text of bounded size: it came over the network.
        if (e.metadata) c.metadata.assign(static_cast<const char*>(e.metadata), std::min<size_t>(e.metadata_size, 256));
      }
      (*out)[e.partition] = c;
    }
  }
  rd_kafka_topic_partition_list_destroy(t);
  return out;
}

int kafka_partition_count(const KafkaOptions& o, const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, base_conf(o));
  const int partitions = partition_count(rk, topic, timeout);
  rd_kafka_destroy(rk);
  return partitions;
}

namespace {

// Each partition's high watermark through `rk`: offsets_for_times with the timestamp "end", all
// partitions in one call that keeps its timeout (query_watermark_offsets, per partition, waits
// out a lost broker's request timeout, a minute, whatever timeout it is given).
std::string end_offsets(rd_kafka_t* rk, const std::string& topic, int partitions, std::map<int32_t, int64_t>& out,
                        std::chrono::milliseconds timeout) {
  rd_kafka_topic_partition_list_t* ends = rd_kafka_topic_partition_list_new(partitions);
  for (int32_t p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(ends, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_END;
  std::string error;
  if (const rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(rk, ends, int(timeout.count())))
    error = "end offsets of " + topic + ": " + rd_kafka_err2str(e);
  for (int i = 0; i < ends->cnt && error.empty(); ++i) {
    const rd_kafka_topic_partition_t& end = ends->elems[i];
    if (end.err || end.offset < 0)
      error = "end offset of " + topic + " [" + std::to_string(end.partition) + "]: " +
              (end.err ? rd_kafka_err2str(end.err) : "none given");
    else
      out[end.partition] = end.offset;
  }
  rd_kafka_topic_partition_list_destroy(ends);
  return error;
}

}  // namespace

std::string kafka_end_offsets(const KafkaOptions& o, const std::string& topic, int partitions,
                              std::map<int32_t, int64_t>& out, std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, base_conf(o));
  const std::string error = end_offsets(rk, topic, partitions, out, timeout);
  rd_kafka_destroy(rk);
  return error;
}

KafkaGroupLag::KafkaGroupLag(const KafkaOptions& o, const std::string& group, const std::string& topic, int partitions)
    : topic_(topic), partitions_(partitions) {
  // A consumer of the group that never subscribes: it may read the group's commits, and it never
  // joins, so the group's members keep their partitions.
  rk_ = make_client(RD_KAFKA_CONSUMER, consumer_conf(o, group));
}

KafkaGroupLag::~KafkaGroupLag() { rd_kafka_destroy(rk_); }

std::optional<int64_t> KafkaGroupLag::measure(std::chrono::milliseconds timeout) {
  rd_kafka_topic_partition_list_t* committed = rd_kafka_topic_partition_list_new(partitions_);
  for (int32_t p = 0; p < partitions_; ++p) rd_kafka_topic_partition_list_add(committed, topic_.c_str(), p);
  std::map<int32_t, int64_t> ends;
  std::optional<int64_t> lag;
  if (rd_kafka_committed(rk_, committed, int(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      end_offsets(rk_, topic_, partitions_, ends, timeout).empty()) {
    lag = 0;
    for (int i = 0; i < committed->cnt && lag; ++i) {
      const rd_kafka_topic_partition_t& c = committed->elems[i];
      const auto end = ends.find(c.partition);
      if (c.err || end == ends.end()) {
        lag.reset();
        break;
      }
      // Nothing committed counts from 0: the mock cluster and a young topic start there, and a
      // topic whose start was deleted would only overstate the lag.
      // Offsets come from the brokers: the sum saturates rather than overflow on absurd ones.
      const int64_t behind = std::max<int64_t>(0, end->second - std::max<int64_t>(c.offset, 0));
      *lag = behind > std::numeric_limits<int64_t>::max() - *lag ? std::numeric_limits<int64_t>::max() : *lag + behind;
    }
  }
  rd_kafka_topic_partition_list_destroy(committed);
  return lag;
}

std::string ensure_kafka_topics(const KafkaOptions& o, const std::vector<std::string>& topics, int partitions,
                                std::chrono::milliseconds timeout) {
  rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, base_conf(o));
  // Only the missing ones: a cluster may refuse or not implement creation of existing topics.
  std::vector<std::string> missing = topics;
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 1, nullptr, &md, int(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR && md) {
    for (int i = 0; i < md->topic_cnt; ++i)
      if (!md->topics[i].err) std::erase(missing, std::string(md->topics[i].topic));
  }
  if (md) rd_kafka_metadata_destroy(md);
  if (missing.empty()) {
    rd_kafka_destroy(rk);
    return {};
  }
  std::vector<rd_kafka_NewTopic_t*> news;
  char err[512];
  for (const std::string& t : missing) news.push_back(rd_kafka_NewTopic_new(t.c_str(), partitions, -1, err, sizeof err));
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(opts, int(timeout.count()), err, sizeof err);
  rd_kafka_CreateTopics(rk, news.data(), news.size(), opts, q);
  std::string error;
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, int(timeout.count()) + 1000);
  if (!ev) {
    error = "creating topics timed out: are the brokers at " + o.brokers + " reachable?";
  } else if (rd_kafka_event_error(ev)) {
    error = std::string("creating topics: ") + rd_kafka_event_error_string(ev);
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n && error.empty(); ++i) {
      const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        error = std::string("creating topic ") + rd_kafka_topic_result_name(results[i]) + ": " + rd_kafka_err2str(e);
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy_array(news.data(), news.size());
  rd_kafka_destroy(rk);
  return error;
}

MockKafkaCluster::MockKafkaCluster(int brokers) : brokers_(brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_conf(conf, "log_level", "2");
  host_ = make_client(RD_KAFKA_PRODUCER, conf);
  cluster_ = rd_kafka_mock_cluster_new(host_, brokers);
  if (!cluster_) throw std::runtime_error("cannot start librdkafka's mock Kafka cluster");
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

MockKafkaCluster::~MockKafkaCluster() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(host_);
}

void MockKafkaCluster::create_topic(const std::string& topic, int partitions) {
  rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, std::min(brokers_, 3));
}

void MockKafkaCluster::set_broker_down(int broker_id, bool down) {
  if (down) rd_kafka_mock_broker_set_down(cluster_, broker_id);
  else rd_kafka_mock_broker_set_up(cluster_, broker_id);
}

}  // namespace lpbf
