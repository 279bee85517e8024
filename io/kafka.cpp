#include "io/kafka.h"

#include <librdkafka/rdkafka_mock.h>

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

}  // namespace

KafkaProducer::KafkaProducer(const KafkaOptions& o, Delivery on_delivery) : on_delivery_(std::move(on_delivery)) {
  rd_kafka_conf_t* conf = base_conf(o);
  set_conf(conf, "enable.idempotence", "true");
  set_conf(conf, "acks", "all");
  set_conf(conf, "linger.ms", "1");
  set_conf(conf, "message.max.bytes", "134217728");
  // A message not acknowledged within 15 s fails (its batch is then reported) instead of the
  // default 5 minutes of retries.
  set_conf(conf, "message.timeout.ms", "15000");
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaProducer::on_delivery_report);
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

void KafkaProducer::on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* m, void* self) {
  auto* p = static_cast<KafkaProducer*>(self);
  if (p->on_delivery_) p->on_delivery_(m->_private, m->err ? rd_kafka_err2str(m->err) : std::string());
}

std::string KafkaProducer::produce(const std::string& topic, const std::string& key, const std::string& value, void* opaque) {
  for (int attempt = 0;; ++attempt) {
    const rd_kafka_resp_err_t e = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt > 100) return std::string("produce to ") + topic + ": " + rd_kafka_err2str(e);
    rd_kafka_poll(rk_, 10);  // the local queue is full: let deliveries drain
  }
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

KafkaConsumer::KafkaConsumer(const KafkaOptions& o, const std::string& group, const std::string& topic, Rebalance rebalance)
    : rebalance_(std::move(rebalance)) {
  rd_kafka_conf_t* conf = base_conf(o);
  set_conf(conf, "group.id", group);
  set_conf(conf, "auto.offset.reset", "earliest");
  set_conf(conf, "enable.auto.commit", "false");
  set_conf(conf, "session.timeout.ms", std::to_string(o.session_timeout.count()));
  set_conf(conf, "heartbeat.interval.ms", "500");
  set_conf(conf, "fetch.message.max.bytes", "134217728");
  // A batch waits for the consumer's long-poll: keep it short (the default 500 ms is per hop).
  set_conf(conf, "fetch.wait.max.ms", "10");
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

KafkaConsumer::~KafkaConsumer() {
  close();
  rd_kafka_destroy(rk_);
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
      for (int32_t p : c->rebalance_.on_assign(partitions_of(parts)))
        for (int i = 0; i < parts->cnt; ++i)
          if (parts->elems[i].partition == p) parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk, parts);
  } else {
    if (c->rebalance_.on_revoke) c->rebalance_.on_revoke(partitions_of(parts));
    rd_kafka_assign(rk, nullptr);
  }
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
                       ByteBuffer(static_cast<const uint8_t*>(m->payload), static_cast<const uint8_t*>(m->payload) + m->len)};
  }
  rd_kafka_message_destroy(m);
  return out;
}

void KafkaConsumer::commit(const std::string& topic, int32_t partition, int64_t offset) {
  rd_kafka_topic_partition_list_t* t = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(t, topic.c_str(), partition)->offset = offset + 1;
  rd_kafka_commit(rk_, t, 1);
  rd_kafka_topic_partition_list_destroy(t);
}

int64_t KafkaConsumer::committed(const std::string& topic, int32_t partition, std::chrono::milliseconds timeout) {
  rd_kafka_topic_partition_list_t* t = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(t, topic.c_str(), partition);
  int64_t offset = -1;
  if (rd_kafka_committed(rk_, t, int(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR && t->elems[0].offset >= 0)
    offset = t->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(t);
  return offset;
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
