#include "core/report/trace_json.h"

#include "io/json_text.h"

namespace lpbf {
namespace {

void append_ms(std::string& out, BatchTrace::Time t, BatchTrace::Time start) {
  if (t == BatchTrace::Time{}) {
    out += "-1";
    return;
  }
  // Microsecond resolution is enough and keeps the numbers short.
  append_json_number(out, double(std::chrono::duration_cast<std::chrono::microseconds>(t - start).count()) / 1e3);
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

std::string trace_json(const RunTrace& trace, std::chrono::steady_clock::time_point start) {
  std::string out =
      R"({"columns": ["batch_id", "print_id", "tile_id", "layer", "fetched_ms", "decoded_ms", "analysed_ms", )"
      R"("submitted_ms", "acked_ms", "outcome", "saturated", "clusters", "worker"], "rows": [)";
  bool first = true;
  for (const BatchTrace& b : trace.batches()) {
    out += first ? "\n[" : ",\n[";
    first = false;
    // Appended piece by piece, not "," + to_string(): GCC 12 at -O3 warns falsely (-Wrestrict).
    append_int(out, b.batch_id);
    out += ',';
    append_json_string(out, b.print_id);
    append_int(out, b.tile_id, ',');
    append_int(out, b.layer, ',');
    for (BatchTrace::Time t : {b.fetched, b.decoded, b.analysed, b.submitted, b.acked}) {
      out += ",";
      append_ms(out, t, start);
    }
    out += ",\"";
    out += outcome_name(b.outcome);
    out += '"';
    append_int(out, b.saturated, ',');
    append_int(out, b.outcome == BatchTrace::Outcome::answered ? int64_t(b.centroids.size()) : -1, ',');
    out += ',';
    append_json_string(out, b.worker);
    out += "]";
  }
  return out + "]}";
}

std::string samples_json(const RunTrace& trace, std::chrono::steady_clock::time_point start) {
  std::string out =
      R"({"columns": ["t_ms", "in_flight", "to_analyse", "to_submit", "answered", "failed", "kafka_lag"], "rows": [)";
  bool first = true;
  for (const PipelineSample& s : trace.samples) {
    out += first ? "\n[" : ",\n[";
    first = false;
    append_ms(out, s.at, start);
    for (size_t v : {s.in_flight, s.to_analyse, s.to_submit, s.answered, s.failed}) append_int(out, int64_t(v), ',');
    append_int(out, s.kafka_lag, ',');
    out += "]";
  }
  return out + "]}";
}

std::string clusters_json(const RunTrace& trace) {
  std::string out = "[";
  bool first = true;
  for (const BatchTrace& b : trace.batches())
    for (const Centroid& c : b.centroids) {
      out += first ? "[" : ", [";
      first = false;
      append_int(out, b.batch_id);
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
