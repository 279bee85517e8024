#include "core/kafka_worker.h"

#include <map>
#include <mutex>
#include <set>

#include "core/analyse_batch.h"
#include "io/msgpack_codec.h"

namespace lpbf {

namespace {

struct Pending {  // an outcome on its way: commit its source offset once delivered
  int32_t partition;
  int64_t offset;
};

}  // namespace

size_t run_kafka_worker(const KafkaTopology& t, const std::atomic<bool>& stop, std::string* error) {
  // Windows per (partition, tile): a revoked partition's windows are dropped, an assigned one's rebuilt.
  std::map<std::pair<int32_t, std::string>, TileWindow> windows;
  std::map<int32_t, int64_t> replay_until;  // partition -> first offset to answer again
  // Commits advance only over a contiguous run of delivered outcomes: outcomes go to different
  // result partitions and may be acknowledged out of order.
  struct Progress {
    int64_t next_commit = -1;  // lowest answered-but-uncommitted offset
    std::set<int64_t> delivered;
  };
  std::map<int32_t, Progress> progress;
  std::mutex delivered_mutex;
  std::vector<Pending> delivered;
  std::string delivery_error;
  size_t produced = 0;

  KafkaProducer producer(t.kafka, [&](void* opaque, const std::string& err) {
    std::unique_ptr<Pending> p(static_cast<Pending*>(opaque));
    std::lock_guard lock(delivered_mutex);
    if (err.empty()) delivered.push_back(*p);
    else delivery_error = err;  // not committed: the batch will be analysed again
  });
  KafkaConsumer* consumer_ptr = nullptr;
  KafkaConsumer::Rebalance rebalance;
  rebalance.on_assign = [&](const std::vector<int32_t>& parts) {
    std::vector<int32_t> from_start;
    for (int32_t p : parts) {
      const int64_t committed = consumer_ptr ? consumer_ptr->committed(t.raw_topic, p, std::chrono::seconds(5)) : -1;
      replay_until[p] = committed < 0 ? 0 : committed;
      progress[p] = Progress{};
      if (committed > 0) from_start.push_back(p);  // rebuild the windows from the partition's history
    }
    return from_start;
  };
  rebalance.on_revoke = [&](const std::vector<int32_t>& parts) {
    const std::set<int32_t> gone(parts.begin(), parts.end());
    for (auto it = windows.begin(); it != windows.end();) it = gone.count(it->first.first) ? windows.erase(it) : std::next(it);
  };
  KafkaConsumer consumer(t.kafka, t.group, t.raw_topic, rebalance);
  consumer_ptr = &consumer;
  auto commit_delivered = [&] {
    std::lock_guard lock(delivered_mutex);
    for (const Pending& d : delivered) {
      Progress& pr = progress[d.partition];
      pr.delivered.insert(d.offset);
      int64_t last = -1;
      while (pr.next_commit >= 0 && pr.delivered.count(pr.next_commit)) {
        pr.delivered.erase(pr.next_commit);
        last = pr.next_commit++;
      }
      if (last >= 0) consumer.commit(t.raw_topic, d.partition, last);
    }
    delivered.clear();
  };

  while (!stop.load()) {
    producer.poll(std::chrono::milliseconds(0));
    commit_delivered();
    std::string poll_error;
    std::optional<KafkaMessage> m = consumer.poll(std::chrono::milliseconds(50), &poll_error);
    if (!m) continue;
    const bool replaying = m->offset < replay_until[m->partition];
    DecodedBatch d = decode_batch(std::make_shared<const ByteBuffer>(std::move(m->value)));
    std::string failure;
    std::optional<TileResult> result;
    if (!d.ok()) {
      failure = "unreadable batch from Kafka: " + d.error;
    } else {
      BatchAnswer a = answer_batch(windows[{m->partition, m->key}], d.batch);  // key: bench|print_id/tile_id
      result = std::move(a.result);
      failure = std::move(a.error);
    }
    if (replaying) continue;  // rebuilding windows: this batch was answered before
    Progress& pr = progress[m->partition];
    if (pr.next_commit < 0) pr.next_commit = m->offset;
    const std::string value = encode_outcome(d.batch.batch_id, result ? &*result : nullptr, failure);
    const std::string bench = m->key.substr(0, m->key.find('|'));
    const std::string err = producer.produce(t.results_topic, bench + "|" + std::to_string(d.batch.batch_id), value,
                                             new Pending{m->partition, m->offset});
    if (!err.empty() && error) *error = err;
    ++produced;
  }
  producer.flush(std::chrono::seconds(5));
  commit_delivered();
  consumer.close();
  if (error && error->empty() && !delivery_error.empty()) *error = delivery_error;
  return produced;
}

}  // namespace lpbf
