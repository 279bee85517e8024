#pragma once
// One benchmark run against a challenger: create and start a bench, run the pipeline
// fetch -> analyse -> submit until every batch is answered or reported, end the bench, summarise.
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/kafka/kafka_worker.h"
#include "core/pipeline/challenger_client.h"
#include "core/pipeline/pipeline_messages.h"
#include "core/pipeline/run_ledger.h"
#include "core/pipeline/send_schedule.h"
#include "core/report/run_report.h"

namespace lpbf {

// The in-flight bound with --kafka when none is given: see run_benchmark.
inline constexpr int kKafkaDefaultInFlight = 64;

struct RunResult;

struct RunOptions {
  std::string url;
  std::string bench_name = "lpbf-bench";
  std::string apitoken = "polimi-deib";
  bool test = true;
  int64_t max_batches = -1;  // -1: all; else the client stops fetching after this many (never sent to the challenger)
  // --warmup: the first N batches fetched are answered and checked as every other, but left out of
  // the report's throughput, latency and wall time (make_run_report).
  int64_t warmup = 0;
  int connections = 4;
  int threads = 0;        // 0: all cores
  int max_in_flight = 0;  // batches fetched and not yet answered; 0: threads + connections + 1
  // --rate: next_batch requests leave on a fixed schedule of this many a second (the open model,
  // send_schedule.h), the in-flight bound still holding; 0: as soon as a slot frees (closed model).
  double rate = 0;
  std::chrono::milliseconds timeout{10000};
  // --memory-budget: bytes held in batches fetched, decoded images and tile windows; 0: default_memory_budget().
  uint64_t memory_budget = 0;
  bool progress = false;  // the live line on stderr
  // With Kafka, fetched batches go through its topics and `kafka_workers` in-process workers
  // (0: only other processes, `lpbf-bench worker`) analyse them.
  std::optional<KafkaTopology> kafka;
  int kafka_workers = 1;
  // perf only, never a command-line option: answer each batch at once with an empty result (the
  // HTTP path alone; see AnalysisStage).
  bool transport_only = false;
  // The embedded challenger's CPU so far (its threads' user + system seconds), when it runs in this
  // process: sampled with the process's, so that the summary can tell the runner's own CPU apart.
  std::function<double()> embedded_cpu_seconds;
  std::string command_line;   // as the user typed it, for the report
  std::string configuration;  // the effective options, as `name=value` lines (a --config file), for the report
  // Prometheus metrics at http://metrics_bind:metrics_port/metrics while the run lasts; -1: none
  // (0: a free port). `on_metrics_listening` is told the port once it listens.
  int metrics_port = -1;
  std::string metrics_bind = "127.0.0.1";
  std::function<void(unsigned short)> on_metrics_listening;
  // After the run (the bench ended), the metrics endpoint stays up this many seconds, for a last
  // scrape of the final counts (SIGINT ends it sooner); -1: kDefaultMetricsLingerSeconds.
  int metrics_linger_seconds = -1;
  // Told the finished run before the metrics endpoint lingers (the summary is printed then).
  std::function<void(const RunResult&)> on_run_ended;
  // Record the stream served, and the accepted answers, in this directory (see StreamRecorder); "": no.
  std::string record_dir;
  // For an https URL: the CA store, a client certificate, --insecure (io/tls.h).
  TlsClientOptions tls;

  int effective_threads() const { return threads > 0 ? threads : int(std::thread::hardware_concurrency()); }
};

// Two scrape intervals of 15 s: a scraper on that period scrapes the final counts at least once.
inline constexpr int kDefaultMetricsLingerSeconds = 30;

struct RunResult {
  std::string bench_id;
  RunLedger ledger;
  double seconds = 0;                // first fetch to last result acknowledged
  double cpu_seconds = 0;            // this process's CPU time (all threads, user + system) in those seconds
                                     // (with --warmup, from the release of the warm-up's last batch)
  double embedded_cpu_seconds = -1;  // of which the embedded challenger's threads ran (-1: none in this process)
  Clock::time_point started;         // the first fetch: the trace's time zero
  int64_t fetch_ns = 0, decode_ns = 0, analyse_ns = 0, submit_ns = 0;
  size_t max_queue_depth = 0;       // analyse -> submit and fetch -> analyse, the larger
  std::string end_reply;            // the challenger's /api/end answer, as it came
  ChallengerStats challenger;       // its figures, read from that answer (none from the evaluation server)
  bool bench_forgotten = false;     // the challenger lost the bench mid-run (404 naming it, on next_batch or end)
  std::string recording;            // with --record: what was kept and lost (StreamRecorder's summary)
  double kafka_ready_seconds = -1;  // with Kafka: the wait for workers to hold every raw partition
  uint64_t memory_budget = 0;       // the budget in force (--memory-budget or its default)
  uint64_t memory_peak = 0;         // the most bytes it ever held
  std::optional<SendSchedule::Stats> pacing;                             // with --rate: the send schedule's figures
  int64_t kafka_generation_at_start = -1, kafka_generation_at_end = -1;  // the group's (RunReport says)
  std::vector<std::string> kafka_members;                                // when the clock started
};

// The run could not start (bad URL, challenger refusing the bench, Kafka or metrics set-up): the
// command ends with exit status 2.
struct SetupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws SetupError. Anything that goes wrong once the bench runs is in the result's ledger.
RunResult run_benchmark(const RunOptions& options);

// The run as its report (core/report): the JSON of --report is run_report_json of it, the summary
// printed at the end summary_text of it.
RunReport make_run_report(const RunOptions& options, const RunResult& r);

}  // namespace lpbf
