#include "perf/stage_bench.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/pipeline/analysis_stage.h"
#include "core/pipeline/channel.h"
#include "io/tiff_encoder.h"
#include "perf/harness.h"

namespace lpbf::perf {
namespace {

constexpr int kTiles = 16;
constexpr int kThreads = 2;
constexpr size_t kInFlight = 7;  // a run's default: threads + connections + 1

// The plainest thread-safe queue: the baseline QueueChannel is judged against. Both hand items
// between threads and wake a sleeping receiver, so both are bound by the same cache-line transfers
// and futex calls.
template <class T>
class MutexChannel final : public Sender<T>, public Receiver<T> {
 public:
  void send(T item) override {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
  }
  std::optional<T> receive(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    if (!ready_.wait_for(lock, timeout, [&] { return !items_.empty(); })) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;
};

// One round: every batch through a fresh stage on fresh channels. Seconds per batch.
template <template <class> class Channel>
double run_round(const std::vector<Batch>& batches, bool transport_only) {
  Channel<FetchedBatch> to_analyse;
  Channel<BatchOutcome> to_submit;
  StageMetrics metrics;
  AnalysisStage stage(to_analyse, to_submit, metrics, transport_only);
  std::thread workers([&] { stage.run(kThreads); });
  size_t sent = 0, answered = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (answered < batches.size()) {
    for (; sent < batches.size() && sent - answered < kInFlight; ++sent) {
      FetchedBatch fb;
      fb.batch = batches[sent];
      stage.assign(fb);
      to_analyse.send(std::move(fb));
    }
    std::optional<BatchOutcome> o = to_submit.receive(std::chrono::seconds(5));
    if (!o || !o->result) {
      stage.close();
      workers.join();
      throw std::runtime_error("stage bench: a batch was not answered" + (o ? ": " + o->error : std::string()));
    }
    ++answered;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stage.close();
  workers.join();
  return seconds / double(batches.size());
}

// A batch's tile and sequence number, as the analysis stage keeps them.
struct Numbered {
  TileKey key;
  uint64_t seq;
};

}  // namespace

PieceTimes measure_pieces(int batches, int rounds) {
  // Keys as a run makes them: one print, 16 tiles, a batch's layer its tile's next.
  std::vector<TileKey> keys;
  for (int i = 0; i < batches; ++i) keys.push_back({"gate-print", i % kTiles});
  // Each tile's layers completed in pairs out of order (1, 0, 3, 2, ...): one of each pair waits.
  std::vector<size_t> order;
  for (int i = 0; i + kTiles < batches; i += 2 * kTiles)
    for (int t = 0; t < kTiles; ++t) order.push_back(size_t(i + kTiles + t)), order.push_back(size_t(i + t));
  volatile uint64_t sink = 0;
  auto sequencer = [&] {
    TileSequencer<uint64_t> seq;
    std::vector<uint64_t> numbers(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) numbers[i] = seq.assign(keys[i]);
    uint64_t sum = 0;
    const TileSequencer<uint64_t>::Run run = [&](TileWindow&, uint64_t&& v) { sum += v; };
    for (size_t i : order) seq.complete(keys[i], numbers[i], i, run);
    sink = sink + sum;
  };
  auto tile_lookup = [&] {
    std::mutex mutex;
    std::map<TileKey, uint64_t> next;
    uint64_t sum = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      std::lock_guard lock(mutex);
      sum += next[keys[i]]++;
    }
    for (size_t i : order) {
      std::lock_guard lock(mutex);
      sum += next[keys[i]] + i;
    }
    sink = sink + sum;
  };
  // Outcomes as the analysis stage sends them: an id, a result with a print id and no centroids.
  auto outcome = [](int64_t id) {
    return BatchOutcome{id, TileResult{id, "gate-print", id % kTiles, 0, {}}, "", Clock::time_point{}};
  };
  auto through = [&](auto& channel) {
    for (int i = 0; i < batches; i += 64) {
      for (int j = 0; j < 64; ++j) channel.send(outcome(i + j));
      for (int j = 0; j < 64; ++j) sink = sink + uint64_t(channel.receive(std::chrono::milliseconds(0))->batch_id);
    }
  };
  PieceTimes best{1e30, 1e30, 1e30, 1e30};
  for (int round = 0; round < rounds; ++round) {
    const auto [s, l] = best_cpu_paired(sequencer, tile_lookup, 1);
    best.sequencer_s = std::min(best.sequencer_s, s / batches);
    best.tile_lookup_s = std::min(best.tile_lookup_s, l / batches);
    QueueChannel<BatchOutcome> queue;
    MutexChannel<BatchOutcome> plain;
    const auto [c, m] = best_cpu_paired([&] { through(queue); }, [&] { through(plain); }, 1);
    best.channel_s = std::min(best.channel_s, c / batches);
    best.mutex_queue_s = std::min(best.mutex_queue_s, m / batches);
  }
  return best;
}

StageTimes measure_stage(int batches, int rounds) {
  // Tiles of 8x8 grey pixels with a bright square: Q1 counts, Q2 and DBSCAN run on next to nothing.
  Image16 image(8, 8);
  for (int y = 2; y < 6; ++y)
    for (int x = 2; x < 6; ++x) image.pixels[size_t(y * 8 + x)] = 40000;
  const SharedBytes tif(encode_tiff(image, standard_tiff_layouts().front()));
  std::vector<Batch> stream;
  for (int i = 0; i < batches; ++i) stream.push_back({i, "gate", i % kTiles, i / kTiles, tif});
  StageTimes best{1e30, 1e30, 1e30};
  for (int round = 0; round < rounds; ++round) {
    best.channels_s = std::min(best.channels_s, run_round<QueueChannel>(stream, true));
    best.plain_queue_s = std::min(best.plain_queue_s, run_round<MutexChannel>(stream, true));
    best.sequenced_s = std::min(best.sequenced_s, run_round<QueueChannel>(stream, false));
  }
  return best;
}

}  // namespace lpbf::perf
