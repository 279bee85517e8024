#include "core/report/trace_json.h"

#include "io/json_text.h"

namespace lpbf {
namespace {

// Microsecond resolution is enough and keeps the numbers short.
double ms_since(BatchTrace::Time t, BatchTrace::Time start) {
  if (t == BatchTrace::Time{}) return -1;
  return double(std::chrono::duration_cast<std::chrono::microseconds>(t - start).count()) / 1e3;
}

// `before`, if any, then the number.
void append_int(std::string& out, int64_t v, char before = 0) {
  if (before) out += before;
  out += std::to_string(v);
}

const char* outcome_name(BatchTrace::Outcome o) {
  switch (o) {
    case BatchTrace::Outcome::answered: return "answered";
    case BatchTrace::Outcome::failed: return "failed";
    default: return "pending";
  }
}

}  // namespace

std::vector<TracedBatch> traced_batches(const RunTrace& trace, std::chrono::steady_clock::time_point start) {
  std::vector<TracedBatch> out;
  out.reserve(trace.batches().size());
  for (const BatchTrace& b : trace.batches()) {
    TracedBatch t;
    static_cast<BatchKey&>(t) = b;
    t.layer = b.layer;
    t.outcome = outcome_name(b.outcome);
    t.worker = b.worker;
    t.fetched = ms_since(b.fetched, start), t.decoded = ms_since(b.decoded, start);
    t.analysed = ms_since(b.analysed, start), t.submitted = ms_since(b.submitted, start);
    t.acked = ms_since(b.acked, start);
    t.saturated = b.saturated;
    t.clusters = b.outcome == BatchTrace::Outcome::answered ? int64_t(b.centroids.size()) : -1;
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<DepthSample> depth_samples(const RunTrace& trace, std::chrono::steady_clock::time_point start) {
  std::vector<DepthSample> out;
  out.reserve(trace.samples.size());
  for (const PipelineSample& s : trace.samples)
    out.push_back({ms_since(s.at, start), int64_t(s.in_flight), int64_t(s.to_analyse), int64_t(s.to_submit),
                   int64_t(s.answered), int64_t(s.failed), s.kafka_lag});
  return out;
}

std::vector<ClusterPoint> cluster_points(const RunTrace& trace) {
  std::vector<ClusterPoint> out;
  for (const BatchTrace& b : trace.batches())
    for (const Centroid& c : b.centroids) out.push_back({b.batch_id, c.x, c.y, c.count});
  return out;
}

std::string trace_json(const std::vector<TracedBatch>& trace) {
  std::string out =
      R"({"columns": ["batch_id", "print_id", "tile_id", "layer", "fetched_ms", "decoded_ms", "analysed_ms", )"
      R"("submitted_ms", "acked_ms", "outcome", "saturated", "clusters", "worker"], "rows": [)";
  bool first = true;
  for (const TracedBatch& b : trace) {
    out += first ? "\n[" : ",\n[";
    first = false;
    // Appended piece by piece, not "," + to_string(): GCC 12 at -O3 warns falsely (-Wrestrict).
    append_int(out, b.batch_id);
    out += ',';
    append_json_string(out, b.print_id);
    append_int(out, b.tile_id, ',');
    append_int(out, b.layer, ',');
    for (double t : {b.fetched, b.decoded, b.analysed, b.submitted, b.acked}) {
      out += ",";
      append_json_number(out, t);
    }
    out += ',';
    append_json_string(out, b.outcome);
    append_int(out, b.saturated, ',');
    append_int(out, b.clusters, ',');
    out += ',';
    append_json_string(out, b.worker);
    out += "]";
  }
  return out + "]}";
}

std::string samples_json(const std::vector<DepthSample>& samples) {
  std::string out =
      R"({"columns": ["t_ms", "in_flight", "to_analyse", "to_submit", "answered", "failed", "kafka_lag"], "rows": [)";
  bool first = true;
  for (const DepthSample& s : samples) {
    out += first ? "\n[" : ",\n[";
    first = false;
    append_json_number(out, s.t_ms);
    for (int64_t v : {s.in_flight, s.to_analyse, s.to_submit, s.answered, s.failed, s.kafka_lag})
      append_int(out, v, ',');
    out += "]";
  }
  return out + "]}";
}

std::string clusters_json(const std::vector<ClusterPoint>& clusters) {
  std::string out = "[";
  bool first = true;
  for (const ClusterPoint& c : clusters) {
    out += first ? "[" : ", [";
    first = false;
    append_int(out, c.batch_id);
    out += ',';
    append_json_number(out, c.x);
    out += ",";
    append_json_number(out, c.y);
    append_int(out, c.count, ',');
    out += ']';
  }
  return out + "]";
}

}  // namespace lpbf
