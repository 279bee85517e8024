// `lpbf-bench [--url URL --bench-name NAME ...]`: the benchmark run. Without --url it starts the
// embedded challenger in-process on a free loopback port, serving a synthetic stream.
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "core/commands/benchmark_run.h"
#include "core/challenger/challenger_host.h"
#include "core/commands/commands.h"
#include "core/challenger/dataset_options.h"
#include "core/kafka/kafka_options.h"
#include "core/report/report_file.h"

namespace lpbf {
namespace {

const std::string kRunHelp = std::string(R"(usage: lpbf-bench [--url URL] [--bench-name NAME] [options]

Runs the DEBS 2025 Grand Challenge benchmark against a challenger: fetches every batch, computes
Q1-Q3, posts the results, and prints a summary and the challenger's verdict. Without --url it
starts the embedded challenger in-process (a synthetic stream of 500x500 tiles, or --dataset).

  --url URL           challenger base URL, e.g. http://127.0.0.1:8866
  --bench-name NAME   name of the bench (default lpbf-bench)
  --apitoken TOKEN    API token (default polimi-deib)
  --max-batches N     ask the challenger for at most N batches
  --no-test           create the bench with "test": false (default: test mode)
  --connections N     connections for fetching, and as many for submitting (default 4)
  --threads N         analysis threads (default: all cores)
  --max-in-flight N   batches fetched but not yet answered, at most (default threads +
                      connections + 1): fewer lowers latency, more can hide a slow network
  --timeout-ms MS     per HTTP request (default 10000)
  --report FILE       write a report: FILE.json (batches, failures, throughput, latency, stage
                      times, every batch's trace) or FILE.html (the same drawn as charts,
                      self-contained; `lpbf-bench report` reads either back)
  --quiet             no progress line, no summary; only errors
  --metrics-port P    serve Prometheus metrics at http://ADDR:P/metrics while the run lasts
                      (0: a free port, printed); counters of answered and failed batches,
                      latency histogram, in flight, queue depths, busy seconds per stage
  --metrics-bind ADDR address of the metrics server (default 127.0.0.1)
  -h, --help          this text

Kafka (the fetch -> analyse arrow as topics, analysis scaled out over processes):
)") + kKafkaOptionsHelp + R"(  --workers N       analysis workers in this process with --kafka (default 1; 0: only
                    `lpbf-bench worker` processes)

Embedded challenger only (no --url):
)" + kDatasetOptionsHelp + R"(
Exit status: 0 every batch answered (and, with the embedded challenger, correct); 1 some batch
failed or was wrong; 2 usage or set-up error (e.g. the challenger cannot be reached).
)";

// The verdict's "wrong" count, when the challenger reports one (the embedded one does).
int64_t wrong_in_verdict(const std::string& reply) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(reply).get(doc) != simdjson::SUCCESS) return 0;
  int64_t wrong = 0;
  if (doc["wrong"].get(wrong) != simdjson::SUCCESS) return 0;
  return wrong;
}

}  // namespace

int run_command(CommandLine& args) {
  if (args.help()) {
    std::fputs(kRunHelp.c_str(), stdout);
    return kExitOk;
  }
  RunOptions o;
  o.command_line = args.text();
  const auto url = args.value("--url");
  o.bench_name = args.value_or("--bench-name", o.bench_name);
  o.apitoken = args.value_or("--apitoken", o.apitoken);
  o.max_batches = args.int_or("--max-batches", -1, 0, INT64_MAX);
  o.test = !args.flag("--no-test");
  o.connections = int(args.int_or("--connections", o.connections, 1, 256));
  o.threads = int(args.int_or("--threads", std::thread::hardware_concurrency(), 1, 1024));
  o.max_in_flight = int(args.int_or("--max-in-flight", 0, 1, 100000));
  o.timeout = std::chrono::milliseconds(args.int_or("--timeout-ms", 10000, 1, 3600000));
  const auto report_path = args.value("--report");
  const bool quiet = args.flag("--quiet");
  o.metrics_port = int(args.int_or("--metrics-port", -1, 0, 65535));
  o.metrics_bind = args.value_or("--metrics-bind", o.metrics_bind);
  o.on_metrics_listening = [&o](unsigned short port) {
    std::fprintf(stderr, "metrics at http://%s:%u/metrics\n", o.metrics_bind.c_str(), unsigned(port));
  };
  o.progress = !quiet && isatty(STDERR_FILENO);

  const KafkaSetup kafka = read_kafka_options(args);
  o.kafka_workers = int(args.int_or("--workers", 1, 0, 256));
  std::optional<DatasetOptions> dataset_flags;
  if (!url) dataset_flags = read_dataset_options(args);  // dataset flags belong to the embedded challenger only
  args.finish();  // every argument checked before any work: a mock cluster, a dataset, a socket

  std::unique_ptr<MockKafkaCluster> mock_kafka;
  o.kafka = kafka_topology(kafka, mock_kafka);
  if (mock_kafka && !quiet) std::fprintf(stderr, "mock Kafka cluster at %s\n", mock_kafka->bootstraps().c_str());

  std::unique_ptr<ChallengerHost> embedded;
  if (url) {
    o.url = *url;
  } else {
    if (!quiet) std::fprintf(stderr, "no --url: starting the embedded challenger (preparing its dataset)...\n");
    const auto dataset = prepare_dataset(*dataset_flags, quiet ? nullptr : stderr);
    embedded = std::make_unique<ChallengerHost>(dataset, "127.0.0.1", 0, 1, o.apitoken);
    o.url = embedded->url();
    if (!quiet) std::fprintf(stderr, "embedded challenger at %s, serving %s\n", o.url.c_str(), dataset->description.c_str());
  }

  const RunResult r = run_benchmark(o);
  if (!r.setup_error.empty()) {
    std::fprintf(stderr, "lpbf-bench: %s\n", r.setup_error.c_str());
    return kExitSetupError;
  }
  bool report_written = false;
  if (report_path) {
    try {
      write_report_file(*report_path, report_json(o, r));
      report_written = true;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "lpbf-bench: %s\n", e.what());
    }
  }
  const std::string summary = summary_text(o, r);
  const bool failed = !r.ledger.failures.empty() || !r.ledger.errors.empty() || !r.ledger.incomplete_windows.empty();
  const int64_t wrong = wrong_in_verdict(r.end_reply);
  if (!quiet) std::fputs(summary.c_str(), stdout);
  else if (failed || wrong > 0) std::fputs(summary.c_str(), stderr);
  if (!quiet && report_written) std::printf("report: %s\n", report_path->c_str());  // after the summary: the line to open
  if (!r.ledger.incomplete_windows.empty())
    std::fprintf(stderr, "lpbf-bench: %zu answer(s) computed on incomplete windows (see \"incomplete\")\n",
                 r.ledger.incomplete_windows.size());
  if (r.bench_forgotten)
    std::fprintf(stderr, "lpbf-bench: the challenger forgot bench %s mid-run; this run's results are incomplete\n",
                 r.bench_id.c_str());
  if (wrong > 0) std::fprintf(stderr, "lpbf-bench: the challenger counted %lld wrong result(s)\n", (long long)wrong);
  return (failed || wrong > 0) ? kExitBatchesFailed : kExitOk;
}

}  // namespace lpbf
