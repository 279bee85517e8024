#include "core/pipeline/stream_recorder.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_set>

#include "io/json_text.h"
#include "io/tiff_decoder.h"

namespace lpbf {
namespace {

namespace fs = std::filesystem;

// The files a recording (or a golden directory) is made of: a directory holding one already is
// not recorded into, lest two streams mix.
bool recording_file(const std::string& name) {
  return name == "manifest.json" || name == "expected.json" || name == kRecordedResultsFile ||
         (name.size() > 5 && name[0] == 'b' && name.ends_with(".tif"));
}

// A dropped batch taints its tile's next this many batches: their windows (SPEC §2) held it.
constexpr int kWindowAfter = 2;
// Beyond this many dropped batches the recording stops: their ids are kept in memory.
constexpr size_t kMaxDroppedTracked = size_t(1) << 20;

// The calling thread's CPU time: what its writing takes from the run (waiting for the disk does not).
double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

std::string megabytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", double(bytes) / 1e6);
  return text;
}

}  // namespace

std::string RecorderStatus::summary() const {
  std::string s = "recorded " + std::to_string(batches_recorded) + " batches (" + megabytes(bytes_recorded) + ") and " +
                  std::to_string(results_recorded) + " answers to " + dir.string();
  if (batches_dropped > 0)
    s += "; dropped " + std::to_string(batches_dropped) +
         " batches (the recorder writes only with spare CPU, and as fast as the disk goes: it fell behind the run)";
  if (results_dropped > 0) s += "; dropped " + std::to_string(results_dropped) + " answers";
  if (results_left_out > 0)
    s += "; left " + std::to_string(results_left_out) +
         " answers out of results.json (their batch, or one in their window, is not in the recording)";
  if (!error.empty()) s += "; " + error;
  return s;
}

StreamRecorder::StreamRecorder(fs::path dir, RecorderLimits limits) : dir_(std::move(dir)), limits_(std::move(limits)) {
  const std::string where = "cannot record to " + dir_.string() + ": ";
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error(where + "cannot create the directory: " + ec.message());
  if (!fs::is_directory(dir_, ec)) throw std::runtime_error(where + "it is not a directory");
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec))
    if (recording_file(it->path().filename().string()))
      throw std::runtime_error(where + "it holds a recording already (" + it->path().filename().string() +
                               "); record into a new or empty directory");
  if (ec) throw std::runtime_error(where + "cannot list the directory: " + ec.message());
  const fs::path probe = dir_ / ".lpbf-record-probe";
  const uint8_t byte = 0;
  if (Status s = write_file(probe, std::span(&byte, 1)); !s) throw std::runtime_error(where + s.error());
  fs::remove(probe, ec);

  status_.dir = dir_;
  wake_batches_ = std::max<size_t>(1, limits_.max_pending_batches / 4);
  wake_bytes_ = std::max<size_t>(1, limits_.max_pending_bytes / 4);
  inbox_.reserve(64);
  last_checkpoint_ = budget_at_ = std::chrono::steady_clock::now();
  writer_ = std::thread([this] { run_writer(); });
}

StreamRecorder::~StreamRecorder() { static_cast<void>(finish()); }

bool StreamRecorder::record_batch(const Batch& meta, SharedBytes tif) try {
  const size_t bytes = tif.size();
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (closing_) return false;
    const bool full = pending_batches_ > 0 && (pending_batches_ >= limits_.max_pending_batches ||
                                               pending_bytes_ + bytes > limits_.max_pending_bytes);
    if (stopped_ || full) {
      // Kept for results.json: an answer whose window held this batch is not reproducible. After a
      // stop only an id below one recorded can matter (batches may be handed over out of order).
      if (full) ++status_.batches_dropped;
      else ++status_.batches_not_recorded;
      if (full || meta.batch_id < max_recorded_id_) dropped_.push_back(key_of(meta));
      return false;
    }
    inbox_.push_back(Batch{meta.batch_id, meta.print_id, meta.tile_id, meta.layer, std::move(tif)});
    ++pending_batches_;
    pending_bytes_ += bytes;
    wake = pending_batches_ >= wake_batches_ || pending_bytes_ >= wake_bytes_;
  }
  if (wake) wake_.notify_one();
  return true;
} catch (const std::exception&) {  // out of memory: the batch is not kept, the run goes on
  std::lock_guard lock(mu_);
  ++status_.batches_dropped;
  return false;
}

bool StreamRecorder::record_result(const TileResult& result) try {
  std::lock_guard lock(mu_);
  if (closing_) return false;
  if (result_inbox_.size() >= limits_.max_pending_results) {
    ++status_.results_dropped;
    return false;
  }
  result_inbox_.push_back(result);
  return true;
} catch (const std::exception&) {
  std::lock_guard lock(mu_);
  ++status_.results_dropped;
  return false;
}

void StreamRecorder::run_writer() {
  // Best effort: where it is refused the writer keeps the run's priority.
  if (limits_.writer_idle) {
    sched_param none{};
    static_cast<void>(::pthread_setschedparam(::pthread_self(), SCHED_IDLE, &none));
  }
  std::vector<Batch> batches;
  std::vector<TileResult> results;
  batches.reserve(64);
  for (bool closing = false; !closing;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, limits_.poll_every,
                     [&] { return closing_ || pending_batches_ >= wake_batches_ || pending_bytes_ >= wake_bytes_; });
      batches.swap(inbox_);
      results.swap(result_inbox_);
      closing = closing_;  // nothing is handed over after this: this round drains the queue
    }
    if (closing && limits_.writer_idle) {  // the run is over: the rest is written at once
      sched_param normal{};
      static_cast<void>(::pthread_setschedparam(::pthread_self(), SCHED_OTHER, &normal));
    }
    for (Batch& b : batches) {
      const size_t bytes = b.tif.size();
      rest_if_over_share(closing);
      try {
        const double cpu_before = thread_cpu_seconds();
        write_batch(b);
        write_budget_s_ -= thread_cpu_seconds() - cpu_before;
      } catch (const std::exception& e) {  // out of memory: the recording stops, not the run
        fail(std::string("recording failed: ") + e.what());
      }
      b.tif = SharedBytes();  // the reply body goes now, not when the round ends
      std::lock_guard lock(mu_);
      --pending_batches_;
      pending_bytes_ -= bytes;
    }
    batches.clear();
    try {
      if (!results.empty()) changed_ = true;
      results_.insert(results_.end(), std::make_move_iterator(results.begin()), std::make_move_iterator(results.end()));
    } catch (const std::exception& e) {
      fail(std::string("recording the answers failed: ") + e.what());
    }
    results.clear();
    const auto now = std::chrono::steady_clock::now();
    if (!closing && !stopped_ && changed_ && !recorded_.empty() &&
        now - last_checkpoint_ >=
            std::max<std::chrono::steady_clock::duration>(limits_.checkpoint_every, 20 * checkpoint_cost_))
      checkpoint();
  }
}

void StreamRecorder::rest_if_over_share(bool closing) {
  if (closing || limits_.writer_share <= 0 || limits_.writer_share >= 1) return;
  constexpr double kBurst = 0.05;  // seconds of writing saved up while idle, at most
  const auto now = std::chrono::steady_clock::now();
  write_budget_s_ = std::min(
      kBurst, write_budget_s_ + limits_.writer_share * std::chrono::duration<double>(now - budget_at_).count());
  budget_at_ = now;
  if (write_budget_s_ >= 0) return;
  // Rest until the account is even; finish() ends a rest early.
  const auto rest = std::chrono::duration<double>(std::min(0.5, -write_budget_s_ / limits_.writer_share));
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, rest, [&] { return closing_; });
}

void StreamRecorder::write_batch(Batch& b) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) {
      ++status_.batches_not_recorded;
      if (b.batch_id < max_recorded_id_) dropped_.push_back(key_of(b));
      return;
    }
  }
  if (limits_.before_write) limits_.before_write();
  const std::string file = batch_file_name(files_++);
  if (Status s = write_file(dir_ / file, b.tif); !s) {
    {
      std::lock_guard lock(mu_);
      ++status_.batches_not_recorded;
      if (b.batch_id < max_recorded_id_) dropped_.push_back(key_of(b));
    }
    fail(s.error());
    checkpoint();  // the kept prefix is listed at once: the run may not end well either
    return;
  }
  recorded_.push_back({b.batch_id, std::move(b.print_id), b.tile_id, b.layer, file, tiff_layout_name(b.tif)});
  changed_ = true;
  bool too_many_dropped = false;
  {
    std::lock_guard lock(mu_);
    ++status_.batches_recorded;
    status_.bytes_recorded += b.tif.size();
    max_recorded_id_ = std::max(max_recorded_id_, b.batch_id);
    too_many_dropped = dropped_.size() > kMaxDroppedTracked;
  }
  if (too_many_dropped)
    fail("over " + std::to_string(kMaxDroppedTracked) + " batches dropped (the disk is much slower than the run)");
}

void StreamRecorder::fail(const std::string& why) noexcept {
  std::string message;
  {
    std::lock_guard lock(mu_);
    if (stopped_ && !status_.error.empty()) return;
    stopped_ = true;
    try {
      message = "recording to " + dir_.string() + " stopped: " + why + "; the " +
                std::to_string(status_.batches_recorded) +
                " batches recorded before it are kept; the run goes on unrecorded";
      status_.error = message;
    } catch (...) {  // out of memory: stopped all the same
      return;
    }
  }
  if (limits_.on_error) {
    try {
      limits_.on_error(message);
    } catch (...) {  // a message that could not be shown stops nothing
    }
  }
}

std::vector<TileResult> StreamRecorder::reproducible_results(size_t& left_out) const {
  std::vector<BatchKey> dropped;
  {
    std::lock_guard lock(mu_);
    dropped = dropped_;
  }
  // Per tile, its recorded batch ids, and those its window lost.
  std::unordered_set<int64_t> recorded;
  std::map<std::pair<std::string_view, int64_t>, std::vector<std::pair<int64_t, bool>>> tiles;  // id, dropped
  for (const ManifestEntry& e : recorded_) {
    recorded.insert(e.batch_id);
    tiles[{e.print_id, e.tile_id}].push_back({e.batch_id, false});
  }
  std::unordered_set<int64_t> tainted;
  if (!dropped.empty()) {
    for (const BatchKey& d : dropped) {
      auto it = tiles.find({d.print_id, d.tile_id});
      if (it != tiles.end()) it->second.push_back({d.batch_id, true});
    }
    for (auto& [key, ids] : tiles) {
      std::sort(ids.begin(), ids.end());
      int after = 0;
      for (const auto& [id, lost] : ids) {
        if (lost) after = kWindowAfter;
        else if (after > 0) tainted.insert(id), --after;
      }
    }
  }
  std::vector<TileResult> kept;
  std::unordered_set<int64_t> seen;
  left_out = 0;
  for (const TileResult& r : results_) {
    if (!seen.insert(r.batch_id).second) continue;  // posted again and accepted again: one answer
    if (!recorded.count(r.batch_id) || tainted.count(r.batch_id)) {
      ++left_out;
      continue;
    }
    kept.push_back(r);
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const TileResult& a, const TileResult& b) { return a.batch_id < b.batch_id; });
  return kept;
}

void StreamRecorder::checkpoint() try {
  const auto start = std::chrono::steady_clock::now();
  changed_ = false;
  std::vector<ManifestEntry> manifest = recorded_;
  std::stable_sort(manifest.begin(), manifest.end(),
                   [](const ManifestEntry& a, const ManifestEntry& b) { return a.batch_id < b.batch_id; });
  size_t left_out = 0;
  const std::vector<TileResult> results = reproducible_results(left_out);
  Status s = replace_file(dir_ / "manifest.json", manifest_to_json(manifest));
  if (s) s = replace_file(dir_ / kRecordedResultsFile, results_to_json(results));
  {
    std::lock_guard lock(mu_);
    status_.results_recorded = results.size();
    status_.results_left_out = left_out;
  }
  if (!s) fail(s.error());
  last_checkpoint_ = std::chrono::steady_clock::now();
  checkpoint_cost_ = last_checkpoint_ - start;
} catch (const std::exception& e) {  // out of memory: the files of the last checkpoint stay
  fail(std::string("writing manifest.json failed: ") + e.what());
}

RecorderStatus StreamRecorder::finish() {
  std::lock_guard once(finish_mu_);
  {
    std::lock_guard lock(mu_);
    if (status_.finished) return status_;
    closing_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  // A run that recorded nothing leaves DIR as it found it: the same --record DIR works next time.
  if (!recorded_.empty() || files_ > 0) checkpoint();
  std::lock_guard lock(mu_);
  status_.finished = true;
  return status_;
}

RecorderStatus StreamRecorder::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace lpbf
