// `--record DIR` (core/pipeline/stream_recorder.h) on the real stream's 500x500 raw tiles: the
// hot-path call the fetch stage makes per batch, the refused call when the queue is full, and the
// writer thread's time per batch (its disk work, off the hot path but on the run's cores).
#include "perf/recorder_bench.h"

#include <time.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "core/challenger/synthetic_stream.h"
#include "core/pipeline/stream_recorder.h"
#include "io/msgpack_codec.h"
#include "io/tiff_encoder.h"

namespace lpbf::perf {

void run_recorder_benchmarks(Report& report) {
  namespace fs = std::filesystem;
  SyntheticSpec spec;
  spec.grid = 1;
  const Image16 tile = synthetic_tile(spec, 0, 0, 0);
  Batch made{0, "P0000", 0, 0, SharedBytes(encode_tiff(tile, standard_tiff_layouts().front()))};
  // As the fetch stage has it: the TIFF a part of the msgpack reply body.
  const DecodedBatch fetched = decode_batch(SharedBytes(encode_batch(made)));
  Batch b = fetched.batch;
  const fs::path dir = fs::temp_directory_path() / ("lpbf-perf-record-" + std::to_string(::getpid()));
  constexpr int kCalls = 64;

  {  // The queue has room: a pointer copy and a push. Every call shares one body: no memory grows.
    RecorderLimits limits;
    limits.max_pending_batches = size_t(1) << 20;
    limits.max_pending_bytes = size_t(1) << 62;
    std::mutex mu;
    std::condition_variable cv;
    bool held = true;  // the writer waits: the calls alone are timed, not the disk beside them
    limits.before_write = [&] {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return !held; });
    };
    fs::remove_all(dir);
    StreamRecorder recorder(dir, limits);
    int64_t id = 0;
    const double kept = median_seconds(
        [&] {
          for (int i = 0; i < kCalls; ++i) b.batch_id = id++, static_cast<void>(recorder.record_batch(b));
        },
        200, 0.5);
    report.add("record", "record_batch, queue has room (500x500 raw)", kept / kCalls * 1e9, "ns/call");
    // The queue full: the call refuses and counts.
    RecorderLimits full_limits = limits;
    full_limits.max_pending_batches = 1;
    fs::remove_all(dir / "full");
    StreamRecorder full(dir / "full", full_limits);
    static_cast<void>(full.record_batch(b));
    const double dropped = median_seconds(
        [&] {
          for (int i = 0; i < kCalls; ++i) b.batch_id = id++, static_cast<void>(full.record_batch(b));
        },
        200, 0.5);
    report.add("record", "record_batch, queue full (dropped, counted)", dropped / kCalls * 1e9, "ns/call");
    // Not written: with the directory gone the writers' first write fails and they drop the rest.
    fs::remove_all(dir);
    {
      std::lock_guard lock(mu);
      held = false;
    }
    cv.notify_all();
  }

  {  // The writer: batches written per second of its time, to this machine's temporary directory.
    constexpr int kBatches = 400;
    fs::remove_all(dir);
    RecorderLimits limits;
    limits.writer_idle = false;  // its own cost, not the machine's other work
    limits.writer_share = 0;
    limits.max_pending_batches = kBatches;
    limits.max_pending_bytes = size_t(1) << 62;
    double best = 1e30, best_cpu = 1e30;
    auto cpu_now = [] {
      timespec t{};
      ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
      return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
    };
    // A new directory each time, the old ones removed only at the end: ext4 spends most of a file's
    // creation looking for an inode not recently deleted when files were just removed beside it.
    for (int rep = 0; rep < 3; ++rep) {
      StreamRecorder recorder(dir / std::to_string(rep), limits);
      const auto t0 = std::chrono::steady_clock::now();
      const double cpu0 = cpu_now();
      for (int i = 0; i < kBatches; ++i) b.batch_id = i, static_cast<void>(recorder.record_batch(b));
      const RecorderStatus s = recorder.finish();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (s.batches_recorded == size_t(kBatches))
        best = std::min(best, seconds), best_cpu = std::min(best_cpu, cpu_now() - cpu0);
    }
    const std::string where = fs::temp_directory_path().string();
    report.add("record", "writer: one 500x500 raw batch to " + where, best / kBatches * 1e6, "us/batch",
               std::to_string(int(double(kBatches) * double(b.tif.size()) / best / 1e6)) + " MB/s");
    report.add("record", "writer: CPU for one 500x500 raw batch", best_cpu / kBatches * 1e6, "us/batch",
               "the process's CPU time (user + system)");
  }
  fs::remove_all(dir);
}

}  // namespace lpbf::perf
