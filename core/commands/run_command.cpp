// `lpbf-bench [run] [--url URL --bench-name NAME ...]`: the benchmark run. Without --url it starts
// the embedded challenger in-process on a free loopback port, serving a synthetic stream.
#include <unistd.h>

#include <cstdio>

#include "core/commands/benchmark_run.h"
#include "core/challenger/challenger_host.h"
#include "core/commands/commands.h"
#include "core/challenger/dataset_options.h"
#include "core/kafka/kafka_options.h"
#include "core/report/report_file.h"
#include "core/report/run_summary.h"

namespace lpbf {
namespace {

// Writes the report, prints the summary and what went wrong; the exit status. `report` holds every
// repetition (combine_repetitions).
int finish_run(const RunArgs& args, const RunReport& report) {
  const bool quiet = args.quiet;
  bool report_written = false;
  if (!args.report_path.empty()) {
    try {
      write_report_file(args.report_path, run_report_json(report));
      report_written = true;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "lpbf-bench: %s\n", e.what());
    }
  }
  const std::string summary = summary_text(report);
  const bool failed = !report.failed.empty() || !report.errors.empty() || !report.incomplete.empty();
  const int64_t wrong = std::max<int64_t>(0, report.challenger.wrong);  // scored by this project's challenger only
  if (!quiet) std::fputs(summary.c_str(), stdout);
  else if (failed || wrong > 0) std::fputs(summary.c_str(), stderr);
  if (!quiet && report_written)
    std::printf("report: %s\n", args.report_path.c_str());  // after the summary: the line to open
  if (!report.incomplete.empty())
    std::fprintf(stderr, "lpbf-bench: %zu answer(s) computed on incomplete windows (see \"incomplete\")\n",
                 report.incomplete.size());
  if (wrong > 0) std::fprintf(stderr, "lpbf-bench: the challenger counted %lld wrong result(s)\n", (long long)wrong);
  return (failed || wrong > 0) ? kExitBatchesFailed : kExitOk;
}

// What one bench of several leaves for the combined report; told at once on stderr.
RunReport end_repetition(const RunArgs& args, const RunResult& r, int k) {
  RunReport report = make_run_report(args.run, r);
  if (r.bench_forgotten)
    std::fprintf(stderr, "lpbf-bench: the challenger forgot bench %s mid-run; this run's results are incomplete\n",
                 r.bench_id.c_str());
  if (args.repeat > 1 && !args.quiet)
    std::fprintf(stderr, "repetition %d/%d: bench %s, %lld answered, %.1f batches/s, p99 %.2f ms\n", k, args.repeat,
                 report.bench_id.c_str(), (long long)report.results, report.throughput, report.p99);
  return report;
}

}  // namespace

int run_command(RunArgs args) {
  RunOptions& o = args.run;
  const bool quiet = args.quiet;
  o.timeout = std::chrono::milliseconds(args.timeout_ms);
  o.on_metrics_listening = [&o](unsigned short port) {
    std::fprintf(stderr, "metrics at http://%s:%u/metrics\n", o.metrics_bind.c_str(), unsigned(port));
  };
  o.progress = !quiet && isatty(STDERR_FILENO);

  std::unique_ptr<MockKafkaCluster> mock_kafka;
  o.kafka = kafka_topology(args.kafka, mock_kafka);
  if (mock_kafka && !quiet) std::fprintf(stderr, "mock Kafka cluster at %s\n", mock_kafka->bootstraps().c_str());

  std::unique_ptr<ChallengerHost> embedded;
  if (o.url.empty()) {
    if (!quiet) std::fprintf(stderr, "no --url: starting the embedded challenger (preparing its dataset)...\n");
    const auto dataset = prepare_dataset(args.dataset, quiet ? nullptr : stderr);
    std::shared_ptr<TlsContext> tls;
    if (args.embedded_tls.enabled()) {
      try {
        tls = make_tls_server_context(args.embedded_tls);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "lpbf-bench: %s\n", e.what());
        return kExitSetupError;
      }
    }
    embedded = std::make_unique<ChallengerHost>(dataset, "127.0.0.1", 0, 1, o.apitoken, HttpServerLimits{},
                                                EmulationOptions{}, std::move(tls));
    o.url = embedded->url();
    o.embedded_cpu_seconds = [host = embedded.get()] { return host->cpu_seconds(); };
    if (!quiet)
      std::fprintf(stderr, "embedded challenger at %s, serving %s\n", o.url.c_str(), dataset->description.c_str());
  }

  // --repeat K: K benches back to back against this challenger, one report. The summary, the report
  // and the exit status are told as soon as the last one ends: before the metrics endpoint lingers
  // for a last scrape (--metrics-linger; only after the last bench).
  std::vector<RunReport> reports;
  int status = -1;
  for (int k = 1; k <= args.repeat; ++k) {
    RunOptions once = o;
    if (k < args.repeat) once.metrics_linger_seconds = 0;
    once.on_run_ended = [&](const RunResult& r) {
      reports.push_back(end_repetition(args, r, k));
      if (k < args.repeat) return;
      status = finish_run(args, combine_repetitions(reports));
      std::fflush(stdout);
    };
    try {
      static_cast<void>(run_benchmark(once));
    } catch (const SetupError& e) {
      std::fprintf(
          stderr, "lpbf-bench: %s%s\n", e.what(),
          k > 1 ? (" (repetition " + std::to_string(k) + " of " + std::to_string(args.repeat) + ")").c_str() : "");
      return kExitSetupError;
    }
  }
  return status >= 0 ? status : kExitSetupError;  // every bench ends by telling on_run_ended
}

}  // namespace lpbf
