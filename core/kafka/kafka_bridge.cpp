#include "core/kafka/kafka_bridge.h"

#include <charconv>
#include <stdexcept>

#include "io/msgpack_codec.h"

namespace lpbf {

KafkaBridge::KafkaBridge(const KafkaTopology& t, const std::string& bench_id, Sender<BatchOutcome>& to_submit,
                         int64_t roster_from)
    : topology_(t), bench_(bench_id), to_submit_(to_submit), roster_from_(roster_from) {
  producer_ = std::make_unique<KafkaProducer>(t.kafka, [this](void* opaque, const Status& delivered) {
    const auto id = int64_t(reinterpret_cast<intptr_t>(opaque));
    if (!delivered)
      deliver(id, std::nullopt, "could not be sent to Kafka topic " + topology_.raw_topic + ": " + delivered.error());
  });
  // Outcomes of this bench can only follow its raw batches, which are all produced from now on:
  // reading each results partition from its present end misses none of them.
  const Result<int> partitions = producer_->partition_count(t.results_topic, std::chrono::seconds(5));
  if (!partitions) throw std::runtime_error(partitions.error() + " (brokers at " + t.kafka.brokers + ")");
  const Result<std::map<int32_t, int64_t>> ends =
      kafka_end_offsets(t.kafka, t.results_topic, partitions.value(), std::chrono::seconds(5));
  if (!ends) throw std::runtime_error(ends.error());
  // The count sizes per-partition state here: partition_count refuses an absurd one.
  const Result<int> raw_partitions =
      producer_->partition_count(t.raw_topic, std::chrono::seconds(5));  // and its metadata warm
  if (!raw_partitions) throw std::runtime_error(raw_partitions.error() + " (brokers at " + t.kafka.brokers + ")");
  raw_partitions_ = raw_partitions.value();
  held_.resize(size_t(raw_partitions_));
  unanswered_bytes_.resize(size_t(raw_partitions_));
  results_ = std::make_unique<KafkaConsumer>(t.kafka, KafkaConsumer::AssignAll{}, t.results_topic, ends.value(),
                                             std::chrono::seconds(5));
  // Warm the producer before the first batch: its producer id (idempotence) and connections (the
  // raw topic's metadata was fetched above) would otherwise cost the first batches a second or two.
  // Only a warm-up: when it fails, the first batches pay the wait instead, and each reports its own failure.
  if (producer_->produce(t.roster_topic(), "runner", "runner of bench " + bench_id, nullptr, {}, 0))
    static_cast<void>(producer_->flush(std::chrono::seconds(5)));
  receiver_ = std::thread([this] { receive_loop(); });
  lag_meter_ = std::thread([this] { measure_lag_loop(); });
}

KafkaBridge::~KafkaBridge() {
  stop();
  // Its last delivery reports (failures, when a broker is gone) call deliver(): they must come
  // while the members deliver() uses are still there.
  producer_.reset();
}

void KafkaBridge::stop() {
  stop_ = true;
  if (receiver_.joinable()) receiver_.join();
  if (lag_meter_.joinable()) lag_meter_.join();
  if (generations_) {
    // A rebalance during the run announced its new generation before the outcomes answered under
    // it (a worker announces on assignment, before it polls a batch): reading the roster up to
    // its end now sees it.
    generations_->catch_up(std::chrono::seconds(2));
    newest_generation_ = generations_->newest();
    generations_.reset();
  }
}

// Where a print's tile 0 goes is a hash (FNV-1a) of bench and print. Before, a hash of each tile's
// key put up to 4 of a layer's 16 tiles in one of 8 partitions: that partition's window
// (partition_window_bytes) then held back the whole stream, and one worker got twice the other's
// batches (the throughput before and after is in perf/RESULTS.md).
int32_t raw_partition_of(const std::string& bench, const Batch& b, int partitions) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bench + "|" + b.print_id) h = (h ^ c) * 1099511628211ull;
  return int32_t((h + uint64_t(b.tile_id)) % uint64_t(partitions));
}

void KafkaBridge::send(FetchedBatch fb) {
  const int64_t id = fb.batch.batch_id;
  if (stalled()) {
    {
      std::lock_guard lock(mutex_);
      waiting_[id] = Waiting{fb.fetched_at, -1, 0};
    }
    return deliver(id, std::nullopt, stalled_);
  }
  const std::string key = bench_ + "|" + fb.batch.print_id + "/" + std::to_string(fb.batch.tile_id);
  // The bytes the challenger sent are already this batch in msgpack: forwarded as they are.
  SharedBytes value = fb.wire.empty() ? SharedBytes(encode_batch(fb.batch)) : std::move(fb.wire);
  RawMessage m{id,
               raw_partition_of(bench_, fb.batch, raw_partitions_),
               key,
               std::move(value),
               {{"batch_id", std::to_string(id)}, {"tile_seq", std::to_string(layers_of_tile_[key]++)}}};
  {
    std::lock_guard lock(mutex_);
    waiting_[id] = Waiting{fb.fetched_at, m.partition, m.value.size()};
    held_[size_t(m.partition)].push_back(std::move(m));
  }
  release_held();
}

// Produces the held batches whose partition has room: at most topology_.partition_window_bytes
// of unanswered batches per partition (one batch always), so that no partition's backlog on the
// brokers outgrows what they retain (librdkafka's mock cluster keeps 5 MB a partition).
void KafkaBridge::release_held() {
  std::vector<RawMessage> ready;
  {
    std::lock_guard lock(mutex_);
    for (size_t p = 0; p < held_.size(); ++p) {
      auto& queue = held_[p];
      while (!queue.empty()) {
        RawMessage& m = queue.front();
        if (!waiting_.count(m.batch_id)) {  // failed meanwhile (the path stalled): not sent
          queue.pop_front();
          continue;
        }
        if (unanswered_bytes_[p] > 0 && unanswered_bytes_[p] + m.value.size() > topology_.partition_window_bytes) break;
        unanswered_bytes_[p] += m.value.size();
        ready.push_back(std::move(m));
        queue.pop_front();
      }
    }
  }
  for (RawMessage& m : ready) {
    const int64_t id = m.batch_id;
    const Status produced = producer_->produce(topology_.raw_topic, m.key, std::move(m.value),
                                               reinterpret_cast<void*>(intptr_t(id)), m.headers, m.partition);
    if (!produced) deliver(id, std::nullopt, produced.error());  // failed now: no delivery report will come
  }
}

void KafkaBridge::deliver(int64_t batch_id, std::optional<TileResult> result, std::string error, OutcomeOrigin origin) {
  Clock::time_point fetched_at;
  bool room = false;
  {
    std::lock_guard lock(mutex_);
    const auto it = waiting_.find(batch_id);
    if (it == waiting_.end()) {  // answered already (at-least-once delivery), or not ours
      ++duplicates_;
      return;
    }
    fetched_at = it->second.fetched_at;
    if (it->second.partition >= 0) {
      size_t& bytes = unanswered_bytes_[size_t(it->second.partition)];
      bytes -= std::min(bytes, it->second.bytes);
      room = !held_[size_t(it->second.partition)].empty();
    }
    waiting_.erase(it);
  }
  BatchOutcome out{batch_id,    std::move(result), std::move(error), fetched_at, std::move(origin.missing_layers),
                   origin.layer};
  out.worker = std::move(origin.worker);
  to_submit_.send(std::move(out));
  if (room) release_held();
}

void KafkaBridge::expire_overdue() {
  const auto deadline = Clock::now() - topology_.outcome_timeout;
  std::vector<int64_t> failing;
  {
    std::lock_guard lock(mutex_);
    bool overdue = false;
    for (const auto& [id, w] : waiting_) overdue |= w.fetched_at < deadline;
    if (overdue && stalled_.empty() && last_kafka_error_.empty()) last_kafka_error_ = producer_->last_error();
    if (overdue && stalled_.empty())
      stalled_ = "no outcome from the Kafka workers within " + std::to_string(topology_.outcome_timeout.count()) +
                 " s (are workers running, and the brokers up?" +
                 (last_kafka_error_.empty() ? std::string(")") : " Last Kafka error: " + last_kafka_error_ + ")");
    // Once one batch is overdue the topics are not moving: fail everything waiting now rather
    // than each after its own timeout, and (in send) every later batch at once.
    if (!stalled_.empty())
      for (const auto& entry : waiting_) failing.push_back(entry.first);
  }
  for (int64_t id : failing) deliver(id, std::nullopt, stalled_);
}

// Its own thread and client: a measurement is a few requests that may wait on a slow broker, and
// the outcomes must not wait behind them.
void KafkaBridge::measure_lag_loop() {
  // Made here, not before the first batch: its requests do not delay the clock's start.
  try {
    generations_ = std::make_unique<GenerationWatch>(topology_, roster_from_);
  } catch (const std::exception&) {
    // The report then cannot tell a rebalance during the run; the run itself does not depend on it.
  }
  std::unique_ptr<KafkaGroupLag> meter;
  try {
    meter = std::make_unique<KafkaGroupLag>(topology_.kafka, topology_.group, topology_.raw_topic, raw_partitions_);
  } catch (const std::exception&) {
    // no lag chart; the run itself does not depend on it
  }
  while (!stop_.load()) {
    const auto next = Clock::now() + std::chrono::milliseconds(200);
    // No answer this time: the last measurement stands until the next one (200 ms on).
    if (meter)
      if (const Result<int64_t> lag = meter->measure(std::chrono::milliseconds(1000))) consumer_lag_ = lag.value();
    while (!stop_.load() && Clock::now() < next) {
      if (!generations_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      generations_->poll(std::chrono::milliseconds(10));
      newest_generation_ = generations_->newest();
    }
  }
}

void KafkaBridge::receive_loop() {
  KafkaConsumer& consumer = *results_;
  const std::string prefix = bench_ + "|";
  while (!stop_.load()) {
    producer_->poll(std::chrono::milliseconds(0));  // delivery reports of raw batches
    expire_overdue();
    Result<std::optional<KafkaMessage>> polled = consumer.poll(std::chrono::milliseconds(50));
    if (!polled) {
      std::lock_guard lock(mutex_);
      last_kafka_error_ = polled.error();  // said when the path stalls: what is missing
      continue;
    }
    std::optional<KafkaMessage>& m = polled.value();
    if (!m || m->key.rfind(prefix, 0) != 0) continue;  // another bench's outcome
    DecodedOutcome o = decode_outcome(m->value);
    if (!o.decode_error.empty()) {
      int64_t id = -1;
      std::from_chars(m->key.data() + prefix.size(), m->key.data() + m->key.size(), id);
      deliver(id, std::nullopt, "unreadable outcome from Kafka: " + o.decode_error);
      continue;
    }
    deliver(o.batch_id, std::move(o.result), std::move(o.error), std::move(o.origin));
  }
}

}  // namespace lpbf
