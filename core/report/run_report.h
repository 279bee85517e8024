#pragma once
// A run's JSON report (`--report FILE.json`): written from a RunReport (run_report_json, which
// core/commands fills from a finished run) and read back into one (parse_run_report), for the HTML
// report and for comparing two runs. Reads reports without a trace too (older ones): their charts
// say "no data".
#include <string>
#include <string_view>
#include <vector>

#include "core/pipeline/challenger_client.h"
#include "core/pipeline/failed_batch.h"
#include "core/pipeline/run_ledger.h"

namespace lpbf {

struct TracedBatch : BatchKey {
  int64_t layer = 0;
  std::string outcome, worker;
  double fetched = -1, decoded = -1, analysed = -1, submitted = -1, acked = -1;  // ms since start; -1: never
  int64_t saturated = -1, clusters = -1;
  double latency() const { return acked >= 0 && fetched >= 0 ? acked - fetched : -1; }
  bool operator==(const TracedBatch&) const = default;
};

struct DepthSample {
  double t_ms = 0;
  int64_t in_flight = 0, to_analyse = 0, to_submit = 0, answered = 0, failed = 0;
  int64_t kafka_lag = -1;  // -1: not measured (no Kafka, or a report from before it was)
  bool operator==(const DepthSample&) const = default;
};

struct ClusterPoint {
  int64_t batch_id = -1;
  double x = 0, y = 0;
  int64_t count = 0;
  bool operator==(const ClusterPoint&) const = default;
};

// A run with --rate (the open model): the offered and achieved send rates, the backlog, and the
// latency from each batch's scheduled send (corrected for coordinated omission). offered_rate 0:
// a closed-model run (no --rate), none of this applies.
struct OpenModelReport {
  double offered_rate = 0, achieved_rate = 0;  // batches/s
  int64_t max_backlog = 0, end_backlog = 0;    // slots due and not sent, at the worst send and at the last
  double max_lateness_ms = 0, end_lateness_ms = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;  // ms, scheduled send to result acknowledged
  bool open() const { return offered_rate > 0; }
  // The pipeline did not keep up: it sent less than 95 % of what was offered.
  bool fell_behind() const { return open() && achieved_rate < 0.95 * offered_rate; }
  bool operator==(const OpenModelReport&) const = default;
};

// One bench of a `--repeat K` run, its figures as the statistics count them (warm-up left out).
struct Repetition {
  std::string bench_id;
  int64_t results = 0;   // answered, warm-up included
  int64_t measured = 0;  // answered and counted: the latency samples
  double wall_seconds = 0, throughput = 0, p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  double cpu_seconds = -1;
  int64_t wrong = -1, missing = -1;                        // the challenger's, -1 where it did not say
  double challenger_throughput = -1, challenger_p99 = -1;  // likewise
  bool operator==(const Repetition&) const = default;
};

struct RunReport {
  std::string origin;  // the file it came from ("" for a report made from a run)
  std::string json;    // the report as it was read (likewise)
  std::string bench_id, bench_name, url, command, machine, version;
  std::string config;  // the run's effective configuration, as --config reads it back ("" in older reports)
  int64_t connections = 0, threads = 0, batches = 0, results = 0;
  double wall_seconds = 0, throughput = 0;
  double cpu_seconds = -1;           // -1: not recorded (older reports)
  double embedded_cpu_seconds = -1;  // of cpu_seconds, the embedded challenger's (-1: none in the process)
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;  // latency, ms (next_batch reply to result acknowledged)
  double fetch_s = 0, decode_s = 0, analyse_s = 0, submit_s = 0;  // busy seconds per stage
  int64_t max_queue_depth = 0;                                    // analyse -> submit and fetch -> analyse, the larger
  double kafka_ready_seconds = -1;  // with Kafka: the wait for workers to hold every raw partition; -1 (null): no Kafka
  // With Kafka (JSON "kafka_group", null without): the workers' group generation when the clock
  // started and the newest announced by the run's end (equal: no rebalance during the run; -1: not
  // known), and its members then ("host/pid/n [partitions] (this run)").
  int64_t kafka_generation_at_start = -1, kafka_generation_at_end = -1;
  std::vector<std::string> kafka_members;
  int64_t memory_budget = 0;      // --memory-budget in force, bytes; 0: not recorded (older reports, Kafka runs)
  int64_t memory_peak = 0;        // the most bytes the budget ever held
  int64_t uncertain_reposts = 0;  // results posted again with the first post's fate unknown
  int64_t max_batches = -1;       // --max-batches; -1: all
  std::string recording;          // with --record: what was kept and lost
  bool tls_insecure = false;      // --insecure: the challenger's certificate was not checked
  // --warmup N: the first N batches of each bench (in the order they were fetched) are answered and
  // checked but left out of throughput, latency and wall time; `measured` is how many answered
  // batches those count (-1: an older report, where every answered batch counted).
  int64_t warmup = 0, measured = -1;
  // --repeat K (K > 1): one entry per bench, in order; the figures above are then their medians
  // (counts are their sums), and the trace, samples and clusters are the last bench's.
  std::vector<Repetition> repetitions;
  std::vector<FailedBatch> failed;
  std::vector<std::string> errors;
  std::vector<IncompleteWindow> incomplete;
  // The challenger's own figures, when it gave them; and, from them, -1 where it did not say:
  ChallengerStats challenger;
  int64_t wrong = -1, missing = -1, duplicates = -1;
  std::string end_reply;
  std::vector<TracedBatch> trace;
  std::vector<DepthSample> samples;
  std::vector<ClusterPoint> clusters;
  OpenModelReport open_model;  // with --rate
  // Known to the run that made the report, for its summary (run_summary.h); not in the JSON:
  std::string kafka_raw_topic;  // with Kafka
  unsigned cores = 0;           // this machine's hardware threads
};

// A figure over a report's repetitions: the median, the least and the greatest; a report of one
// bench has its own figure three times.
struct Spread {
  double median = 0, min = 0, max = 0;
  double relative() const { return median != 0 ? (max - min) / median : 0; }  // (max - min) / median
};
Spread spread_of(const RunReport& report, double Repetition::*figure);

// This bench's figures as a Repetition.
Repetition repetition_of(const RunReport& report);

// K reports of benches run back to back (K >= 1) as one: medians of the figures, sums of the
// counts, every failure and error (each error naming its repetition), the last one's trace.
RunReport combine_repetitions(const std::vector<RunReport>& runs);

// The JSON report, one object and a newline; parse_run_report reads back every field it writes
// (but the two above).
std::string run_report_json(const RunReport& report);

// Throws std::runtime_error naming `origin` and what is wrong.
RunReport parse_run_report(std::string_view json, const std::string& origin);

}  // namespace lpbf
