// The JSON report read back; run_report_json.cpp writes it.
#include "core/report/run_report.h"

#include <simdjson.h>

#include <stdexcept>

namespace lpbf {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

double number(element e) {
  double d = -1;
  if (e.get(d) == simdjson::SUCCESS) return d;  // simdjson converts integers too
  return -1;
}

template <class T>
void read_if(object o, const char* key, T& out) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) return;
  if constexpr (std::is_same_v<T, std::string>) {
    std::string_view s;
    if (e.get(s) == simdjson::SUCCESS) out = std::string(s);
  } else if constexpr (std::is_same_v<T, bool>) {
    bool v;
    if (e.get(v) == simdjson::SUCCESS) out = v;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    int64_t v;
    if (e.get(v) == simdjson::SUCCESS) out = v;
  } else {
    double v;
    if (e.get(v) == simdjson::SUCCESS) out = v;
  }
}

// The column index of each name in a {"columns": [...], "rows": [...]} table; -1 if absent.
std::vector<int> column_indices(object table, std::initializer_list<const char*> names) {
  std::vector<int> at;
  array columns;
  std::vector<std::string_view> have;
  if (table["columns"].get(columns) == simdjson::SUCCESS)
    for (element c : columns) {
      std::string_view s;
      have.push_back(c.get(s) == simdjson::SUCCESS ? s : "");
    }
  for (const char* n : names) {
    int i = -1;
    for (size_t k = 0; k < have.size(); ++k)
      if (have[k] == n) i = int(k);
    at.push_back(i);
  }
  return at;
}

std::vector<element> row_cells(element row) {
  std::vector<element> cells;
  array a;
  if (row.get(a) == simdjson::SUCCESS)
    for (element c : a) cells.push_back(c);
  return cells;
}

}  // namespace

RunReport parse_run_report(std::string_view json, const std::string& origin) {
  RunReport r;
  r.origin = origin;
  r.json = std::string(json);
  simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc); err)
    throw std::runtime_error(origin + ": not JSON: " + simdjson::error_message(err));
  object o;
  if (doc.get(o) != simdjson::SUCCESS) throw std::runtime_error(origin + ": not a run report (not a JSON object)");
  if (o["throughput"].error() || o["results"].error())
    throw std::runtime_error(origin + ": not a run report (no \"throughput\" or \"results\")");
  read_if(o, "bench_id", r.bench_id);
  read_if(o, "bench_name", r.bench_name);
  read_if(o, "url", r.url);
  read_if(o, "command", r.command);
  read_if(o, "config", r.config);
  read_if(o, "cpu_seconds", r.cpu_seconds);
  read_if(o, "embedded_challenger_cpu_seconds", r.embedded_cpu_seconds);
  read_if(o, "machine", r.machine);
  read_if(o, "version", r.version);
  read_if(o, "connections", r.connections);
  read_if(o, "threads", r.threads);
  read_if(o, "batches", r.batches);
  read_if(o, "results", r.results);
  read_if(o, "wall_seconds", r.wall_seconds);
  read_if(o, "throughput", r.throughput);
  read_if(o, "challenger_end_reply", r.end_reply);
  read_if(o, "max_queue_depth", r.max_queue_depth);
  read_if(o, "kafka_ready_seconds", r.kafka_ready_seconds);  // null: stays -1
  read_if(o, "memory_budget_bytes", r.memory_budget);
  read_if(o, "memory_peak_bytes", r.memory_peak);
  object group;
  if (o["kafka_group"].get(group) == simdjson::SUCCESS) {
    read_if(group, "generation_at_start", r.kafka_generation_at_start);
    read_if(group, "generation_at_end", r.kafka_generation_at_end);
    array members;
    if (group["members"].get(members) == simdjson::SUCCESS)
      for (element m : members) {
        std::string_view s;
        if (m.get(s) == simdjson::SUCCESS) r.kafka_members.emplace_back(s);
      }
  }
  read_if(o, "uncertain_reposts", r.uncertain_reposts);
  read_if(o, "max_batches", r.max_batches);
  read_if(o, "recording", r.recording);
  read_if(o, "tls_insecure", r.tls_insecure);
  read_if(o, "warmup", r.warmup);
  read_if(o, "measured", r.measured);
  object lat;
  if (o["latency_ms"].get(lat) == simdjson::SUCCESS) {
    read_if(lat, "p50", r.p50), read_if(lat, "p90", r.p90), read_if(lat, "p99", r.p99);
    read_if(lat, "max", r.max), read_if(lat, "mean", r.mean);
  }
  object open;
  if (o["open_model"].get(open) == simdjson::SUCCESS) {  // null: a closed-model run
    OpenModelReport& m = r.open_model;
    read_if(open, "offered_rate", m.offered_rate), read_if(open, "achieved_rate", m.achieved_rate);
    object backlog, corrected;
    if (open["backlog"].get(backlog) == simdjson::SUCCESS) {
      read_if(backlog, "max_batches", m.max_backlog), read_if(backlog, "max_ms", m.max_lateness_ms);
      read_if(backlog, "end_batches", m.end_backlog), read_if(backlog, "end_ms", m.end_lateness_ms);
    }
    if (open["corrected_latency_ms"].get(corrected) == simdjson::SUCCESS) {
      read_if(corrected, "p50", m.p50), read_if(corrected, "p90", m.p90), read_if(corrected, "p99", m.p99);
      read_if(corrected, "max", m.max), read_if(corrected, "mean", m.mean);
    }
  }
  object busy;
  if (o["stage_busy_seconds"].get(busy) == simdjson::SUCCESS) {
    read_if(busy, "fetch", r.fetch_s), read_if(busy, "decode", r.decode_s);
    read_if(busy, "analyse", r.analyse_s), read_if(busy, "submit", r.submit_s);
  }
  array list;
  if (o["failed"].get(list) == simdjson::SUCCESS)
    for (element e : list) {
      object f;
      if (e.get(f) != simdjson::SUCCESS) continue;
      FailedBatch fb;
      read_if(f, "batch_id", fb.batch_id);
      read_if(f, "reason", fb.reason);
      r.failed.push_back(std::move(fb));
    }
  if (o["errors"].get(list) == simdjson::SUCCESS)
    for (element e : list) {
      object f;
      std::string message;
      if (e.get(f) == simdjson::SUCCESS) read_if(f, "message", message);
      r.errors.push_back(std::move(message));
    }
  if (o["incomplete_windows"].get(list) == simdjson::SUCCESS)
    for (element e : list) {
      object w;
      if (e.get(w) != simdjson::SUCCESS) continue;
      IncompleteWindow iw;
      read_if(w, "batch_id", iw.batch_id);
      read_if(w, "tile_id", iw.tile_id);
      read_if(w, "print_id", iw.print_id);
      read_if(w, "layer", iw.layer);
      array missing;
      if (w["missing_layers"].get(missing) == simdjson::SUCCESS)
        for (element m : missing) {
          int64_t layer;
          if (m.get(layer) == simdjson::SUCCESS) iw.missing_layers.push_back(layer);
        }
      r.incomplete.push_back(std::move(iw));
    }
  if (o["repetitions"].get(list) == simdjson::SUCCESS)
    for (element e : list) {
      object rep;
      if (e.get(rep) != simdjson::SUCCESS) continue;
      Repetition p;
      read_if(rep, "bench_id", p.bench_id);
      read_if(rep, "results", p.results), read_if(rep, "measured", p.measured);
      read_if(rep, "wall_seconds", p.wall_seconds), read_if(rep, "throughput", p.throughput);
      object replat;
      if (rep["latency_ms"].get(replat) == simdjson::SUCCESS) {
        read_if(replat, "p50", p.p50), read_if(replat, "p90", p.p90), read_if(replat, "p99", p.p99);
        read_if(replat, "max", p.max), read_if(replat, "mean", p.mean);
      }
      read_if(rep, "cpu_seconds", p.cpu_seconds);
      read_if(rep, "wrong", p.wrong), read_if(rep, "missing", p.missing);
      read_if(rep, "challenger_throughput", p.challenger_throughput);
      read_if(rep, "challenger_p99_ms", p.challenger_p99);
      r.repetitions.push_back(std::move(p));
    }
  // The challenger's figures: as the run read them (challenger_stats), or, in reports from before
  // it did, from its /api/end reply kept as it came.
  object stats;
  if (o["challenger_stats"].get(stats) == simdjson::SUCCESS) {
    read_if(stats, "source", r.challenger.source);
    read_if(stats, "served", r.challenger.served), read_if(stats, "results", r.challenger.results);
    read_if(stats, "missing", r.challenger.missing), read_if(stats, "wrong", r.challenger.wrong);
    read_if(stats, "duplicates", r.challenger.duplicates), read_if(stats, "throughput", r.challenger.throughput);
    read_if(stats, "latency_mean_ms", r.challenger.latency_mean_ms);
    read_if(stats, "latency_min_ms", r.challenger.latency_min_ms);
    read_if(stats, "latency_p50_ms", r.challenger.latency_p50_ms);
    read_if(stats, "latency_p99_ms", r.challenger.latency_p99_ms);
    read_if(stats, "latency_max_ms", r.challenger.latency_max_ms);
  } else {
    r.challenger = parse_end_reply(r.end_reply);
  }
  r.wrong = r.challenger.wrong, r.missing = r.challenger.missing, r.duplicates = r.challenger.duplicates;

  object table;
  if (o["trace"].get(table) == simdjson::SUCCESS && table["rows"].get(list) == simdjson::SUCCESS) {
    const auto at =
        column_indices(table, {"batch_id", "print_id", "tile_id", "layer", "fetched_ms", "decoded_ms", "analysed_ms",
                               "submitted_ms", "acked_ms", "outcome", "saturated", "clusters", "worker"});
    for (element row : list) {
      const auto cells = row_cells(row);
      auto cell = [&](int k) -> const element* {
        return at[size_t(k)] >= 0 && size_t(at[size_t(k)]) < cells.size() ? &cells[size_t(at[size_t(k)])] : nullptr;
      };
      auto num = [&](int k) { return cell(k) ? number(*cell(k)) : -1.0; };
      auto text = [&](int k) {
        std::string_view s;
        return cell(k) && cell(k)->get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
      };
      TracedBatch b;
      b.batch_id = int64_t(num(0));
      b.print_id = text(1);
      b.tile_id = int64_t(num(2)), b.layer = int64_t(num(3));
      b.fetched = num(4), b.decoded = num(5), b.analysed = num(6), b.submitted = num(7), b.acked = num(8);
      b.outcome = text(9);
      b.saturated = int64_t(num(10)), b.clusters = int64_t(num(11));
      b.worker = text(12);
      r.trace.push_back(std::move(b));
    }
  }
  if (o["samples"].get(table) == simdjson::SUCCESS && table["rows"].get(list) == simdjson::SUCCESS) {
    const auto at =
        column_indices(table, {"t_ms", "in_flight", "to_analyse", "to_submit", "answered", "failed", "kafka_lag"});
    for (element row : list) {
      const auto cells = row_cells(row);
      auto num = [&](int k, double missing = 0.0) {
        return at[size_t(k)] >= 0 && size_t(at[size_t(k)]) < cells.size() ? number(cells[size_t(at[size_t(k)])])
                                                                          : missing;
      };
      r.samples.push_back({num(0), int64_t(num(1)), int64_t(num(2)), int64_t(num(3)), int64_t(num(4)), int64_t(num(5)),
                           int64_t(num(6, -1))});
    }
  }
  if (o["clusters"].get(list) == simdjson::SUCCESS)
    for (element row : list) {
      const auto cells = row_cells(row);
      if (cells.size() < 4) continue;
      r.clusters.push_back({int64_t(number(cells[0])), number(cells[1]), number(cells[2]), int64_t(number(cells[3]))});
    }
  return r;
}

}  // namespace lpbf
