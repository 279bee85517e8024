#pragma once
// `--record DIR`: keeps the stream a challenger served, and the run's accepted answers, as a golden
// directory (SPEC §4) that `replay DIR --check` and `challenger --dataset DIR` read back.
//
// The fetch stage hands it each fetched batch, the submit stage each answer the challenger
// accepted. Both calls are a pointer copy and a queue push under a short lock: a writer thread does
// the disk work, with CPU the run does not want (SCHED_IDLE, and at most `writer_share` of a core).
// When the queue is full (the disk or that spare CPU is slower than the run) the batch is dropped
// and counted, never waited for. A failure part-way (a full disk, a vanished directory) stops the
// recording with one message and keeps what was written; the run goes on. Only the constructor
// throws.
//
// DIR gets, as batches arrive: bNNNNNN.tif (the batch's `tif` bytes, exactly as served); and, every
// few seconds and at finish(), atomically (temp file + rename): manifest.json (serving order, that
// is batch_id order) and results.json (the accepted answers, in expected.json's format, manifest
// order). A run that crashes leaves the prefix of its last checkpoint.
//
// An answer is left out of results.json when a replay of the recording could not reproduce it: its
// batch was not recorded, or its window (SPEC §2: its tile's two previous batches) lacks a batch the
// recorder dropped.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "analysis/tile_result.h"
#include "core/pipeline/batch_key.h"
#include "io/batch.h"
#include "io/golden_dataset.h"

namespace lpbf {

struct RecorderLimits {
  // Batches handed over and not yet written. Each keeps the reply body it arrived in alive: memory
  // the run would otherwise reuse for the next (fresh pages are slow on a VM), so the queue is short.
  size_t max_pending_batches = 64;
  size_t max_pending_bytes = size_t(32) << 20;
  // Answers handed over and not yet taken by the writer.
  size_t max_pending_results = size_t(1) << 16;
  // manifest.json and results.json are rewritten this often (and at least 20 times as long as the
  // last rewrite took, so that a long stream's checkpoints stay a small part of the writer's time).
  std::chrono::milliseconds checkpoint_every{2000};
  // The writer looks at its queue this often (and at once when the queue is a quarter full).
  std::chrono::milliseconds poll_every{20};
  // While the run goes on, the writer spends at most this share of one core's time writing (CPU
  // time; it rests in between, and the queue drops what it cannot hold): writing a 500 KB batch is
  // a few hundred microseconds of kernel time that scheduling alone does not keep from the run.
  // 0: no limit. After finish() is called the rest is written without rests.
  double writer_share = 0.10;
  // The writer thread runs only on a core nothing else wants (Linux SCHED_IDLE): on a busy machine
  // the disk work waits (and the queue drops) rather than slow the run. False: the run's priority.
  bool writer_idle = true;
  // Told once, from the writer thread, when the recording stops part-way (see status().error).
  std::function<void(const std::string&)> on_error;
  // Tests only: runs on the writer thread before each batch is written (to hold the writer back).
  std::function<void()> before_write;
};

struct RecorderStatus {
  std::filesystem::path dir;
  size_t batches_recorded = 0;      // in DIR and, after finish(), in manifest.json
  uint64_t bytes_recorded = 0;      // their TIFF bytes
  size_t batches_dropped = 0;       // the queue was full: not kept
  size_t batches_not_recorded = 0;  // handed over after the recording stopped
  size_t results_recorded = 0;      // in results.json (after finish())
  size_t results_dropped = 0;       // the queue was full
  size_t results_left_out = 0;      // not reproducible from the recording (see the header comment)
  std::string error;                // the first error; empty: none
  bool finished = false;
  // One line: what is in DIR, what was lost, and the error if any.
  std::string summary() const;
};

class StreamRecorder {
 public:
  // Creates DIR if needed. Throws std::runtime_error when DIR cannot be created or written, or
  // already holds a recording (manifest.json, results.json, expected.json or bNNNNNN.tif files).
  StreamRecorder(std::filesystem::path dir, RecorderLimits limits = {});
  ~StreamRecorder();  // finish()es
  StreamRecorder(const StreamRecorder&) = delete;
  StreamRecorder& operator=(const StreamRecorder&) = delete;

  // A fetched batch: its metadata and `tif` (a part of the reply body, shared, not copied). Any
  // thread. False when it was not kept (queue full, recording stopped or finished).
  bool record_batch(const Batch& batch) { return record_batch(batch, batch.tif); }
  bool record_batch(const Batch& meta, SharedBytes tif);
  // An answer the challenger accepted. Any thread. False when it was not kept.
  bool record_result(const TileResult& result);

  // Writes what is queued, then manifest.json and results.json. Idempotent; later records are refused.
  RecorderStatus finish();
  RecorderStatus status() const;

 private:
  void run_writer();
  void write_batch(Batch& batch);
  void rest_if_over_share(bool closing);
  void fail(const std::string& why) noexcept;  // writer thread: stops the recording, once
  void checkpoint();                           // writer thread, or finish() after it
  std::vector<TileResult> reproducible_results(size_t& left_out) const;

  const std::filesystem::path dir_;
  const RecorderLimits limits_;

  // Shared with the producers, under mu_.
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Batch> inbox_;
  std::vector<TileResult> result_inbox_;
  std::vector<BatchKey> dropped_;                   // batches the queue had no room for (their id, for results.json)
  size_t pending_batches_ = 0, pending_bytes_ = 0;  // handed over, not yet written
  size_t wake_batches_ = 1, wake_bytes_ = 1;        // the writer is woken at a quarter of the limits
  int64_t max_recorded_id_ = INT64_MIN;
  bool closing_ = false;  // finish() called: refuse, drain, stop
  bool stopped_ = false;  // an error: refuse
  RecorderStatus status_;

  // The writer's own.
  std::vector<ManifestEntry> recorded_;  // arrival order
  std::vector<TileResult> results_;      // arrival order
  size_t files_ = 0;                     // bNNNNNN.tif files made (the next one's number)
  bool changed_ = false;                 // since the last checkpoint
  std::chrono::steady_clock::time_point last_checkpoint_;
  std::chrono::steady_clock::duration checkpoint_cost_{};
  double write_budget_s_ = 0;  // writer_share's account: CPU seconds the writer may still spend
  std::chrono::steady_clock::time_point budget_at_;

  std::mutex finish_mu_;
  std::thread writer_;
};

}  // namespace lpbf
