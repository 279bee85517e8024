#pragma once
// What happened to every batch of a run: answered, failed (with the reason), or never received.
// Lives on the io thread only. The summary and the report are read from here.
#include <chrono>
#include <string>
#include <vector>

#include "core/pipeline/batch_key.h"
#include "core/pipeline/failed_batch.h"
#include "core/pipeline/run_trace.h"

namespace lpbf {

// An answer computed on a window that lacked some of its layers (lost in flight, or failed): its
// Q1 is exact, its Q2/Q3 may differ from a run that saw every layer (SPEC §3). Flagged, never silent.
struct IncompleteWindow : BatchKey {
  int64_t layer = 0;
  std::vector<int64_t> missing_layers;
  bool operator==(const IncompleteWindow&) const = default;
};

struct RunLedger {
  size_t released = 0;                               // batches fetched and handed to analysis
  size_t answered = 0;                               // results the challenger acknowledged
  size_t failed_released = 0;                        // released batches that failed
  std::vector<FailedBatch> failures;                 // every failure, with its reason
  std::vector<std::string> errors;                   // run-level problems (challenger down, refused calls)
  std::vector<IncompleteWindow> incomplete_windows;  // answered, flagged
  std::vector<double> latencies_ms;                  // next_batch reply -> result acknowledged
  // Results posted again after a connection died with the first post's fate unknown: the
  // challenger may count each twice (the evaluation server does), so they are reported.
  size_t uncertain_reposts = 0;
  RunTrace trace;  // every released batch, for the report

  size_t outstanding() const { return released - answered - failed_released; }
  void fail(int64_t batch_id, std::string reason, bool released_batch) {
    failures.push_back({batch_id, std::move(reason)});
    failed_released += released_batch;
  }
};

}  // namespace lpbf
