#include "core/kafka_bridge.h"

#include <stdexcept>

#include "io/msgpack_codec.h"

namespace lpbf {

KafkaBridge::KafkaBridge(const KafkaTopology& t, const std::string& bench_id, Sender<BatchOutcome>& to_submit)
    : topology_(t), bench_(bench_id), to_submit_(to_submit) {
  producer_ = std::make_unique<KafkaProducer>(t.kafka, [this](void* opaque, const std::string& err) {
    const auto id = int64_t(reinterpret_cast<intptr_t>(opaque));
    if (!err.empty()) deliver(id, std::nullopt, "could not be sent to Kafka topic " + topology_.raw_topic + ": " + err);
  });
  const std::string unreachable = producer_->check_reachable(std::chrono::seconds(5));
  if (!unreachable.empty())
    throw std::runtime_error("cannot reach the Kafka brokers at " + t.kafka.brokers + ": " + unreachable);
  const std::string topics = ensure_kafka_topics(t.kafka, {t.raw_topic, t.results_topic}, t.partitions, std::chrono::seconds(10));
  if (!topics.empty()) throw std::runtime_error(topics);
  receiver_ = std::thread([this] { receive_loop(); });
}

KafkaBridge::~KafkaBridge() { stop(); }

void KafkaBridge::stop() {
  stop_ = true;
  if (receiver_.joinable()) receiver_.join();
}

void KafkaBridge::send(FetchedBatch fb) {
  {
    std::lock_guard lock(mutex_);
    waiting_[fb.batch.batch_id] = fb.fetched_at;
  }
  if (stalled()) return deliver(fb.batch.batch_id, std::nullopt, stalled_);
  const std::string key = bench_ + "|" + fb.batch.print_id + "/" + std::to_string(fb.batch.tile_id);
  const std::string err = producer_->produce(topology_.raw_topic, key, encode_batch(fb.batch),
                                             reinterpret_cast<void*>(intptr_t(fb.batch.batch_id)));
  if (!err.empty()) deliver(fb.batch.batch_id, std::nullopt, err);
}

void KafkaBridge::deliver(int64_t batch_id, std::optional<TileResult> result, std::string error) {
  Clock::time_point fetched_at;
  {
    std::lock_guard lock(mutex_);
    const auto it = waiting_.find(batch_id);
    if (it == waiting_.end()) {  // answered already (at-least-once delivery), or not ours
      ++duplicates_;
      return;
    }
    fetched_at = it->second;
    waiting_.erase(it);
  }
  to_submit_.send(BatchOutcome{batch_id, std::move(result), std::move(error), fetched_at});
}

void KafkaBridge::expire_overdue() {
  const auto deadline = Clock::now() - topology_.outcome_timeout;
  std::vector<int64_t> failing;
  {
    std::lock_guard lock(mutex_);
    bool overdue = false;
    for (const auto& [id, fetched_at] : waiting_) overdue |= fetched_at < deadline;
    if (overdue && stalled_.empty())
      stalled_ = "no outcome from the Kafka workers within " + std::to_string(topology_.outcome_timeout.count()) +
                 " s (are workers running, and the brokers up?)";
    // Once one batch is overdue the topics are not moving: fail everything waiting now rather
    // than each after its own timeout, and (in send) every later batch at once.
    if (!stalled_.empty())
      for (const auto& entry : waiting_) failing.push_back(entry.first);
  }
  for (int64_t id : failing) deliver(id, std::nullopt, stalled_);
}

void KafkaBridge::receive_loop() {
  KafkaConsumer consumer(topology_.kafka, "lpbf-submit-" + bench_, topology_.results_topic);
  const std::string prefix = bench_ + "|";
  while (!stop_.load()) {
    producer_->poll(std::chrono::milliseconds(0));  // delivery reports of raw batches
    expire_overdue();
    std::optional<KafkaMessage> m = consumer.poll(std::chrono::milliseconds(50));
    if (!m || m->key.rfind(prefix, 0) != 0) continue;  // another bench's outcome
    DecodedOutcome o = decode_outcome(m->value);
    if (!o.decode_error.empty()) {
      const int64_t id = std::atoll(m->key.c_str() + prefix.size());
      deliver(id, std::nullopt, "unreadable outcome from Kafka: " + o.decode_error);
      continue;
    }
    deliver(o.batch_id, std::move(o.result), std::move(o.error));
  }
  consumer.close();
}

}  // namespace lpbf
