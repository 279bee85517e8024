#include "core/kafka/kafka_worker.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <map>
#include <set>

#include "core/pipeline/analyse_batch.h"
#include "core/kafka/kafka_lookback.h"
#include "core/kafka/kafka_roster.h"
#include "io/prometheus_text.h"
#include "io/msgpack_codec.h"

namespace lpbf {

namespace {

using SteadyClock = std::chrono::steady_clock;

// A header holding a non-negative decimal integer, or nullopt (absent, or not such a number).
std::optional<int64_t> int_header(const KafkaMessage& m, const std::string& name) {
  const auto v = m.header(name);
  if (!v || v->empty()) return std::nullopt;
  int64_t n = -1;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < 0) return std::nullopt;
  return n;
}

// host/pid/n: the runner tells its own workers by the prefix (this_process_worker_prefix).
std::string worker_name() {
  static std::atomic<int> counter{0};
  return this_process_worker_prefix() + std::to_string(counter++);
}

// One tile's window, and which of the runner's layer numbers (tile_seq) it holds without a gap.
struct TileState {
  TileWindow window;
  int64_t run_from = -1, last_seq = -1;  // the window holds layers run_from..last_seq
  int64_t last_offset = -1;
};

// One assigned partition.
struct PartitionState {
  uint64_t epoch = 0;         // which assignment: outcomes of an older one do not commit here
  int64_t resume_at = 0;      // offsets below were answered before: folded only
  int64_t consumed_end = -1;  // one past the last offset read
  int64_t committed = -1;     // the last commit made (the next offset to answer)
  bool commit_due = false;
  std::optional<SteadyClock::time_point> rebuilding_since;  // assigned, resume point not reached yet
  std::set<int64_t> outstanding;                            // answered, outcome not acknowledged yet
  PartitionLookback lookback;
  std::map<std::string, TileState> tiles;  // key: bench|print_id/tile_id

  int64_t commit_point() const { return outstanding.empty() ? consumed_end : *outstanding.begin(); }
};

// An outcome on its way to the results topic.
struct Pending {
  int32_t partition;
  uint64_t epoch;
  int64_t offset;
  std::string key, value;  // to produce it again when delivery fails
  int attempts;
};

class Worker {
 public:
  Worker(const KafkaTopology& t, KafkaWorkerGauges* gauges)
      : t_(t),
        name_(worker_name()),
        producer_(
            t.kafka, [this](void* opaque, const Status& delivered) { on_delivery(opaque, delivered); },
            KafkaBatching::linger),
        results_partition_(results_partition(t.results_topic)) {
    gauges_ = gauges;
    KafkaConsumer::Rebalance rebalance;
    rebalance.on_assign = [this](const std::vector<int32_t>& parts) { return on_assign(parts); };
    rebalance.on_revoke = [this](const std::vector<int32_t>& parts) { on_revoke(parts); };
    consumer_ = std::make_unique<KafkaConsumer>(t.kafka, t.group, t.raw_topic, rebalance);
    if (gauges_) lag_slot_ = gauges_->consumers.fetch_add(1) % KafkaWorkerGauges::kMaxConsumers;
    // The first outcome would wait for the producer's id and the results topic's metadata (a
    // second or so): pay that now, with a message no runner takes (its key names no bench).
    // Only a warm-up: when it fails, the first outcome pays the wait instead and reports its own failure.
    if (producer_.produce(t.results_topic, "", "", nullptr, {}, 0))
      static_cast<void>(producer_.flush(std::chrono::seconds(5)));
  }

  KafkaWorkerStats run(const std::atomic<bool>& stop) {
    auto last_commit = SteadyClock::now();
    while (!stop.load()) {
      producer_.poll(std::chrono::milliseconds(0));
      const auto now = SteadyClock::now();
      if (now - last_commit > std::chrono::milliseconds(50)) {
        commit_due();
        last_commit = now;
      }
      if (announce_now_ || now - last_announce_ > kAnnouncePeriod) announce();
      if (gauges_ && now - last_lag_ > std::chrono::milliseconds(500)) {
        gauges_->lag[lag_slot_].store(consumer_->lag());
        last_lag_ = now;
      }
      // A failed poll: librdkafka keeps trying; the error is counted, and a lasting one shows as
      // this worker's partitions going unanswered.
      Result<std::optional<KafkaMessage>> m = consumer_->poll(std::chrono::milliseconds(20));
      if (!m) note(m.error());
      else if (m.value()) handle(std::move(*m.value()));
    }
    // Outcomes still unacknowledged after this are not committed: the next owner answers them.
    if (const Status flushed = producer_.flush(std::chrono::seconds(5)); !flushed)
      note("outcomes left to the next owner: " + flushed.error());
    commit_due();
    partitions_.clear();
    announce();  // holding nothing now: the runner must not count on this worker
    // Undelivered, the runner forgets this worker's last announcement after kAnnouncementLife anyway.
    static_cast<void>(producer_.flush(std::chrono::seconds(1)));
    if (const Status closed = consumer_->close(); !closed) note(closed.error());
    return stats_;
  }

 private:
  std::map<int32_t, int64_t> on_assign(const std::vector<int32_t>& parts) {
    ++epoch_;
    ++stats_.assignments;
    // The generation this assignment belongs to, announced with it: the runner starts the clock
    // only once every member is heard at the newest one (core/kafka/kafka_roster.h).
    generation_ = consumer_->group_generation();
    if (generation_ < 0) generation_ = kGenerationUnknown;
    Result<std::map<int32_t, CommittedOffset>> committed = Error{};
    for (int attempt = 0; attempt < 3 && !committed; ++attempt)
      committed = consumer_->committed(t_.raw_topic, parts, std::chrono::seconds(5));
    std::map<int32_t, int64_t> start;
    for (int32_t p : parts) {
      PartitionState& st = partitions_[p] = PartitionState{};
      st.epoch = epoch_;
      st.rebuilding_since = SteadyClock::now();
      // Unknown or nothing committed: read from the beginning and answer everything (the runner
      // drops what was answered already). Committed with a look-back start: read from there,
      // answer from the committed offset.
      start[p] = RD_KAFKA_OFFSET_BEGINNING;
      if (!committed) continue;
      const CommittedOffset c = committed.value()[p];
      if (c.offset < 0) continue;
      st.resume_at = st.committed = c.offset;
      const auto s = parse_lookback_metadata(c.metadata);
      if (s && *s <= c.offset) start[p] = *s;
    }
    if (!committed)
      note("committed offsets of group " + t_.group + " unknown (" + committed.error() +
           "): reading from the beginning");
    announce_now_ = true;
    return start;
  }

  void on_revoke(const std::vector<int32_t>& parts) {
    commit_due();  // what this worker answered stays answered: the next owner resumes after it
    for (int32_t p : parts) partitions_.erase(p);
    announce_now_ = true;
  }

  void handle(KafkaMessage m) {
    const auto it = partitions_.find(m.partition);
    if (it == partitions_.end()) return;
    PartitionState& st = it->second;
    if (m.offset < st.consumed_end) return;  // read already (never expected)
    st.consumed_end = m.offset + 1;
    st.lookback.record(m.key, m.offset);
    const bool answering = m.offset >= st.resume_at;
    if (answering && st.rebuilding_since) {
      stats_.rebuild_seconds = std::max(
          stats_.rebuild_seconds, std::chrono::duration<double>(SteadyClock::now() - *st.rebuilding_since).count());
      st.rebuilding_since.reset();
    }

    DecodedBatch d = decode_batch(m.value);
    TileState& tile = st.tiles[m.key];
    tile.last_offset = m.offset;
    std::string failure;
    std::optional<TileResult> result;
    OutcomeOrigin origin;
    origin.worker = name_;
    if (!d.ok()) {
      failure = "unreadable batch from Kafka: " + d.error;
    } else {
      BatchAnswer a = answer_batch(tile.window, d.batch);
      result = std::move(a.result);
      failure = std::move(a.error);
      origin.missing_layers = std::move(a.missing_layers);
      origin.layer = d.batch.layer;
    }
    if (const auto seq = int_header(m, "tile_seq")) {
      tile.run_from = (tile.last_seq >= 0 && *seq > 0 && *seq - 1 == tile.last_seq) ? tile.run_from : *seq;
      tile.last_seq = *seq;
      // The window must hold the two layers before this one (fewer at the tile's start).
      if (*seq - tile.run_from < std::min<int64_t>(*seq, 2) && failure.empty()) {
        result.reset();
        failure = "worker " + name_ + " could not rebuild the window of " + m.key + " (layer " + std::to_string(*seq) +
                  " of the tile, offset " + std::to_string(m.offset) + " of " + t_.raw_topic + " [" +
                  std::to_string(m.partition) + "]: earlier layers were not read back)";
      }
    }
    if (!answering) {  // folded into its window: it was answered before
      ++stats_.folded;
      if (gauges_) ++gauges_->folded;
      return;
    }

    int64_t batch_id = d.batch.batch_id;
    if (batch_id < 0) batch_id = int_header(m, "batch_id").value_or(-1);
    if (!failure.empty()) dead_letter(m, batch_id, failure);
    if (batch_id < 0) return;  // nobody can be told: the dead letter is all there is
    const std::string bench = m.key.substr(0, m.key.find('|'));
    auto pending =
        std::make_unique<Pending>(Pending{m.partition, st.epoch, m.offset, bench + "|" + std::to_string(batch_id),
                                          encode_outcome(batch_id, result ? &*result : nullptr, failure, origin), 0});
    st.outstanding.insert(m.offset);
    send(std::move(pending));
    ++stats_.answered;
    if (gauges_) ++(failure.empty() ? gauges_->answered : gauges_->failed);
  }

  // Where this worker produces its outcomes: one partition of the results topic, so that the
  // outcomes of a few milliseconds leave as one record batch (KafkaBatching::linger); which one
  // does not matter, the runner reads them all. Partition count unknown (or refused): librdkafka picks by key.
  int32_t results_partition(const std::string& results_topic) {
    const Result<int> partitions = producer_.partition_count(results_topic, std::chrono::seconds(5));
    return partitions ? int32_t(std::hash<std::string>{}(name_) % size_t(partitions.value())) : RD_KAFKA_PARTITION_UA;
  }

  void send(std::unique_ptr<Pending> p) {
    const Status produced = producer_.produce(t_.results_topic, p->key, p->value, p.get(), {}, results_partition_);
    if (produced) {
      p.release();  // back in on_delivery
      return;
    }
    note(produced.error());  // stays outstanding: not committed, answered again by whoever comes next
  }

  void on_delivery(void* opaque, const Status& delivered) {
    if (!opaque) return;  // an announcement or a dead letter
    std::unique_ptr<Pending> p(static_cast<Pending*>(opaque));
    if (!delivered) {
      if (++p->attempts < 5) return send(std::move(p));
      note("outcome not delivered to " + t_.results_topic + ": " + delivered.error());
      return;
    }
    const auto it = partitions_.find(p->partition);
    if (it == partitions_.end() || it->second.epoch != p->epoch) return;  // the partition moved on
    it->second.outstanding.erase(p->offset);
    it->second.commit_due = true;
  }

  // Commits, for each partition with newly acknowledged outcomes, the offset below which every
  // outcome is acknowledged, with the look-back start a next owner needs.
  void commit_due() {
    for (auto& [p, st] : partitions_) {
      if (!st.commit_due) continue;
      st.commit_due = false;
      const int64_t next = st.commit_point();
      if (next <= st.committed) continue;
      if (const Status c = consumer_->commit(t_.raw_topic, p, next, lookback_metadata(st.lookback.rebuild_start(next)));
          !c) {
        note(c.error());
        st.commit_due = true;  // tried again on the next round
        continue;
      }
      st.committed = next;
      st.lookback.forget_before(next);
      // A tile the look-back has given up (silent for its horizon) gives up its window too: a
      // long-lived worker serves many benches, and a 500x500 window holds 1.5 MB.
      std::erase_if(st.tiles, [&](const auto& entry) { return entry.second.last_offset < next - kLookbackHorizon; });
    }
  }

  void dead_letter(const KafkaMessage& m, int64_t batch_id, const std::string& reason) {
    const std::vector<KafkaHeader> headers{
        {"reason", reason},
        {"worker", name_},
        {"batch_id", batch_id >= 0 ? std::to_string(batch_id) : std::string()},
        {"source", m.topic + "/" + std::to_string(m.partition) + "/" + std::to_string(m.offset)}};
    // Copied: the producer may hold it past the consumer whose message it is.
    const Status kept =
        producer_.produce(t_.dead_letter_topic(), m.key, std::string(m.value.begin(), m.value.end()), nullptr, headers);
    if (!kept) note("dead letter: " + kept.error());
  }

  void announce() {
    Announcement a{t_.group, name_, {}, generation_};
    for (const auto& entry : partitions_) a.partitions.push_back(entry.first);
    // Said again every kAnnouncePeriod: one lost is replaced within 250 ms, and a lasting failure
    // shows where it matters, as the runner waiting for workers (naming the group).
    static_cast<void>(producer_.produce(t_.roster_topic(), name_, encode_announcement(a), nullptr, {}, 0));
    last_announce_ = SteadyClock::now();
    announce_now_ = false;
  }

  // Something that went wrong and was handled: counted, and kept for the operator.
  void note(std::string error) {
    ++stats_.errors;
    stats_.last_error = std::move(error);
  }

  const KafkaTopology& t_;
  const std::string name_;
  KafkaProducer producer_;
  const int32_t results_partition_;
  std::unique_ptr<KafkaConsumer> consumer_;
  std::map<int32_t, PartitionState> partitions_;
  uint64_t epoch_ = 0;
  int32_t generation_ = kGenerationJoining;  // the group's, at the last assignment
  KafkaWorkerStats stats_;
  KafkaWorkerGauges* gauges_ = nullptr;
  size_t lag_slot_ = 0;
  SteadyClock::time_point last_lag_{};
  bool announce_now_ = true;
  SteadyClock::time_point last_announce_{};
};

}  // namespace

KafkaWorkerStats run_kafka_worker(const KafkaTopology& t, const std::atomic<bool>& stop, KafkaWorkerGauges* gauges) {
  Worker worker(t, gauges);
  return worker.run(stop);
}

std::string worker_metrics_text(const KafkaWorkerGauges& g) {
  int64_t lag = 0;
  for (size_t i = 0; i < std::min(g.consumers.load(), KafkaWorkerGauges::kMaxConsumers); ++i) lag += g.lag[i].load();
  PrometheusText t;
  t.counter(
      "lpbf_worker_batches_total", "Outcomes this worker process produced, by outcome.",
      {{{{"outcome", "answered"}}, double(g.answered.load())}, {{{"outcome", "failed"}}, double(g.failed.load())}});
  t.counter("lpbf_worker_batches_folded_total", "Batches read back only to rebuild windows after an assignment.",
            {{{}, double(g.folded.load())}});
  // Not the runner's lpbf_kafka_group_lag (the whole group's uncommitted messages): summed over the
  // workers, this one counts what the group has yet to read.
  t.gauge("lpbf_worker_partition_lag",
          "Messages of this worker's assigned raw partitions not yet consumed (high watermark less position).",
          {{{}, double(lag)}});
  return t.str();
}

}  // namespace lpbf
