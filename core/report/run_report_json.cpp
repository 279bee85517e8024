// The JSON report written from a RunReport; run_report.cpp reads it back.
#include "core/pipeline/latency_stats.h"
#include "core/report/run_report.h"
#include "core/report/trace_json.h"
#include "io/json_text.h"

namespace lpbf {
namespace {

// null when the challenger gave no figures (the evaluation server); times in milliseconds.
std::string challenger_stats_json(const ChallengerStats& c) {
  if (!c.any()) return "null";
  JsonObject o;
  o.field("source", c.source);
  auto count = [&](const char* key, int64_t v) { v >= 0 ? o.field(key, v) : o.raw(key, "null"); };
  auto number = [&](const char* key, double v) { v >= 0 ? o.field(key, v) : o.raw(key, "null"); };
  count("served", c.served), count("results", c.results), count("missing", c.missing);
  count("wrong", c.wrong), count("duplicates", c.duplicates);
  number("throughput", c.throughput);
  number("latency_mean_ms", c.latency_mean_ms), number("latency_min_ms", c.latency_min_ms);
  number("latency_p50_ms", c.latency_p50_ms), number("latency_p99_ms", c.latency_p99_ms);
  number("latency_max_ms", c.latency_max_ms);
  return o.str();
}

// --rate (the open model); null for a closed-model run.
std::string open_model_json(const OpenModelReport& m) {
  if (!m.open()) return "null";
  return JsonObject()
      .field("offered_rate", m.offered_rate)
      .field("achieved_rate", m.achieved_rate)
      .raw("backlog", JsonObject()
                          .field("max_batches", m.max_backlog)
                          .field("max_ms", m.max_lateness_ms)
                          .field("end_batches", m.end_backlog)
                          .field("end_ms", m.end_lateness_ms)
                          .str())
      .raw("corrected_latency_ms", latency_json({m.p50, m.p90, m.p99, m.max, m.mean}))
      .str();
}

std::string repetitions_json(const std::vector<Repetition>& reps) {
  std::vector<std::string> out;
  for (const Repetition& p : reps) {
    JsonObject o;
    auto count = [&](const char* key, int64_t v) { v >= 0 ? o.field(key, v) : o.raw(key, "null"); };
    auto number = [&](const char* key, double v) { v >= 0 ? o.field(key, v) : o.raw(key, "null"); };
    o.field("bench_id", p.bench_id).field("results", p.results).field("measured", p.measured);
    o.field("wall_seconds", p.wall_seconds).field("throughput", p.throughput);
    o.raw("latency_ms", latency_json({p.p50, p.p90, p.p99, p.max, p.mean}));
    number("cpu_seconds", p.cpu_seconds);
    count("wrong", p.wrong), count("missing", p.missing);
    number("challenger_throughput", p.challenger_throughput), number("challenger_p99_ms", p.challenger_p99);
    out.push_back(o.str());
  }
  return json_array(out);
}

// --repeat: each figure's median, least and greatest over the repetitions (derived from them:
// read back, they are computed again); null for a single bench.
std::string spread_json(const RunReport& r) {
  if (r.repetitions.empty()) return "null";
  JsonObject o;
  auto add = [&](const char* key, double Repetition::*f) {
    const Spread s = spread_of(r, f);
    o.raw(key, JsonObject().field("median", s.median).field("min", s.min).field("max", s.max).str());
  };
  add("throughput", &Repetition::throughput), add("wall_seconds", &Repetition::wall_seconds);
  add("p50", &Repetition::p50), add("p90", &Repetition::p90), add("p99", &Repetition::p99);
  add("max", &Repetition::max), add("mean", &Repetition::mean);
  return o.str();
}

}  // namespace

std::string run_report_json(const RunReport& r) {
  std::vector<std::string> failed, errors;
  for (const FailedBatch& f : r.failed)
    failed.push_back(JsonObject().field("batch_id", f.batch_id).field("reason", f.reason).str());
  for (const std::string& e : r.errors) errors.push_back(JsonObject().field("message", e).str());
  std::vector<std::string> incomplete;
  for (const IncompleteWindow& w : r.incomplete) {
    std::vector<std::string> layers;
    for (int64_t m : w.missing_layers) layers.push_back(std::to_string(m));
    incomplete.push_back(JsonObject()
                             .field("batch_id", w.batch_id)
                             .field("print_id", w.print_id)
                             .field("tile_id", w.tile_id)
                             .field("layer", w.layer)
                             .raw("missing_layers", json_array(layers))
                             .str());
  }
  const std::string stages = JsonObject()
                                 .field("fetch", r.fetch_s)
                                 .field("decode", r.decode_s)
                                 .field("analyse", r.analyse_s)
                                 .field("submit", r.submit_s)
                                 .str();
  std::string kafka_ready = "null";  // null: not a Kafka run
  if (r.kafka_ready_seconds >= 0) {
    kafka_ready.clear();
    append_json_number(kafka_ready, r.kafka_ready_seconds);
  }
  std::string kafka_group = "null";  // null: not a Kafka run
  if (r.kafka_ready_seconds >= 0) {
    std::vector<std::string> members;
    for (const std::string& m : r.kafka_members) {
      std::string quoted;
      append_json_string(quoted, m);
      members.push_back(std::move(quoted));
    }
    kafka_group = JsonObject()
                      .field("generation_at_start", r.kafka_generation_at_start)
                      .field("generation_at_end", r.kafka_generation_at_end)
                      .raw("members", json_array(members))
                      .str();
  }
  return JsonObject()
             .field("bench_id", r.bench_id)
             .field("bench_name", r.bench_name)
             .field("url", r.url)
             .field("connections", r.connections)
             .field("threads", r.threads)
             .field("batches", r.batches)
             .field("results", r.results)
             .raw("failed", json_array(failed))
             .raw("errors", json_array(errors))
             .raw("incomplete_windows", json_array(incomplete))
             .field("wall_seconds", r.wall_seconds)
             .field("cpu_seconds", r.cpu_seconds)
             .field("embedded_challenger_cpu_seconds", r.embedded_cpu_seconds)
             .field("throughput", r.throughput)
             .raw("latency_ms", latency_json({r.p50, r.p90, r.p99, r.max, r.mean}))
             .raw("open_model", open_model_json(r.open_model))
             .raw("stage_busy_seconds", stages)
             .field("max_queue_depth", r.max_queue_depth)
             .raw("kafka_ready_seconds", kafka_ready)
             .field("memory_budget_bytes", r.memory_budget)
             .field("memory_peak_bytes", r.memory_peak)
             .raw("kafka_group", kafka_group)
             .field("challenger_end_reply", r.end_reply)
             .raw("challenger_stats", challenger_stats_json(r.challenger))
             .field("uncertain_reposts", r.uncertain_reposts)
             .field("max_batches", r.max_batches)
             .field("warmup", r.warmup)
             .field("measured", r.measured)
             .raw("repetitions", repetitions_json(r.repetitions))
             .raw("spread", spread_json(r))
             .field("recording", r.recording)
             .field("tls_insecure", r.tls_insecure)
             .field("command", r.command)
             .field("config", r.config)
             .field("machine", r.machine)
             .field("version", r.version)
             .raw("trace", trace_json(r.trace))
             .raw("samples", samples_json(r.samples))
             .raw("clusters", clusters_json(r.clusters))
             .str() +
         "\n";
}

}  // namespace lpbf
