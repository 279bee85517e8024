#pragma once
// What a run's report draws: every released batch with the moments it passed each stage, and the
// pipeline's depths sampled through the run. Kept on the io thread, inside the RunLedger; its
// size follows the batches actually served, never a value in a reply.
#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/dbscan.h"
#include "core/pipeline/batch_key.h"

namespace lpbf {

struct BatchTrace : BatchKey {
  using Time = std::chrono::steady_clock::time_point;
  int64_t layer = 0;
  // Default-constructed: the batch never reached that point.
  Time fetched{}, decoded{}, analysed{}, submitted{}, acked{};
  Time scheduled{};  // with --rate: when its next_batch request was due (send_schedule.h); else unset
  enum class Outcome { pending, answered, failed } outcome = Outcome::pending;
  int64_t saturated = -1;           // Q1, once answered
  std::vector<Centroid> centroids;  // Q3, once answered
  std::string worker;               // the Kafka worker that analysed it, when known
};

struct PipelineSample {
  std::chrono::steady_clock::time_point at;
  size_t in_flight = 0, to_analyse = 0, to_submit = 0, answered = 0, failed = 0;
  int64_t kafka_lag = -1;  // the Kafka workers' group lag on the raw topic; -1: no Kafka, or not known
};

class RunTrace {
 public:
  BatchTrace& add(BatchTrace t) {
    index_[t.batch_id] = batches_.size();
    batches_.push_back(std::move(t));
    return batches_.back();
  }
  // The batch's trace, or null for a batch that was never released (failed before).
  BatchTrace* find(int64_t batch_id) {
    const auto it = index_.find(batch_id);
    return it == index_.end() ? nullptr : &batches_[it->second];
  }
  const std::vector<BatchTrace>& batches() const { return batches_; }
  std::vector<PipelineSample> samples;

 private:
  std::vector<BatchTrace> batches_;
  std::unordered_map<int64_t, size_t> index_;
};

}  // namespace lpbf
