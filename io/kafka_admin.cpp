// Topic creation through the admin API, and librdkafka's mock cluster.
#include "io/kafka.h"

#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h, which io/kafka.h includes

#include <algorithm>
#include <stdexcept>

#include "io/kafka_conf.h"

namespace lpbf {

using namespace kafka_detail;

void KafkaFree::operator()(rd_kafka_mock_cluster_s* p) const { rd_kafka_mock_cluster_destroy(p); }

Status ensure_kafka_topics(const KafkaOptions& o, const std::vector<std::string>& topics, int partitions,
                           std::chrono::milliseconds timeout) {
  const KafkaClientPtr rk = make_client(RD_KAFKA_PRODUCER, base_conf(o));
  // Only the missing ones: a cluster may refuse or not implement creation of existing topics.
  std::vector<std::string> missing = topics;
  {
    const rd_kafka_metadata_t* raw = nullptr;
    // No answer here is not an error yet: creating them all then says what is wrong.
    const rd_kafka_resp_err_t e = rd_kafka_metadata(rk.get(), 1, nullptr, &raw, int(timeout.count()));
    const KafkaMetadataPtr md(raw);
    if (!e && md)
      for (int i = 0; i < md->topic_cnt; ++i)
        if (!md->topics[i].err) std::erase(missing, std::string(md->topics[i].topic));
  }
  if (missing.empty()) return {};
  char err[512];
  std::vector<KafkaNewTopicPtr> news;
  for (const std::string& t : missing) {
    news.emplace_back(rd_kafka_NewTopic_new(t.c_str(), partitions, -1, err, sizeof err));
    if (!news.back()) return Error{"creating topic " + t + ": " + err};
  }
  std::vector<rd_kafka_NewTopic_t*> request;  // borrowed for the call; `news` frees them
  for (const KafkaNewTopicPtr& t : news) request.push_back(t.get());
  const KafkaQueuePtr q(rd_kafka_queue_new(rk.get()));
  const KafkaAdminOptionsPtr opts(rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  if (!q || !opts) return Error{"creating topics: librdkafka refused to set up the request"};
  if (rd_kafka_AdminOptions_set_operation_timeout(opts.get(), int(timeout.count()), err, sizeof err))
    return Error{std::string("creating topics: ") + err};
  rd_kafka_CreateTopics(rk.get(), request.data(), request.size(), opts.get(), q.get());
  const KafkaEventPtr ev(rd_kafka_queue_poll(q.get(), int(timeout.count()) + 1000));
  if (!ev) return Error{"creating topics timed out: are the brokers at " + o.brokers + " reachable?"};
  if (rd_kafka_event_error(ev.get()))
    return Error{std::string("creating topics: ") + rd_kafka_event_error_string(ev.get())};
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(ev.get());
  if (!result)
    return Error{std::string("creating topics: an answer of another kind: ") + rd_kafka_event_name(ev.get())};
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
      return Error{std::string("creating topic ") + rd_kafka_topic_result_name(results[i]) + ": " +
                   rd_kafka_err2str(e)};
  }
  return {};
}

MockKafkaCluster::MockKafkaCluster(int brokers) : brokers_(brokers) {
  KafkaConfPtr conf(rd_kafka_conf_new());
  set_conf(conf.get(), "log_level", "2");
  host_ = make_client(RD_KAFKA_PRODUCER, std::move(conf));
  cluster_.reset(rd_kafka_mock_cluster_new(host_.get(), brokers));
  if (!cluster_) throw std::runtime_error("cannot start librdkafka's mock Kafka cluster");
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_.get());
}

Status MockKafkaCluster::create_topic(const std::string& topic, int partitions) {
  if (const rd_kafka_resp_err_t e =
          rd_kafka_mock_topic_create(cluster_.get(), topic.c_str(), partitions, std::min(brokers_, 3)))
    return Error{"creating topic " + topic + " on the mock cluster: " + rd_kafka_err2str(e)};
  return {};
}

Status MockKafkaCluster::set_broker_down(int broker_id, bool down) {
  const rd_kafka_resp_err_t e = down ? rd_kafka_mock_broker_set_down(cluster_.get(), broker_id)
                                     : rd_kafka_mock_broker_set_up(cluster_.get(), broker_id);
  if (e) return Error{"mock broker " + std::to_string(broker_id) + ": " + rd_kafka_err2str(e)};
  return {};
}

}  // namespace lpbf
