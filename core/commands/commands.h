#pragma once
// The subcommands of lpbf-bench. core/commands/command_line.h reads the command line into these
// plain structs, every value checked; main() then calls the chosen command. Each returns the process
// exit status: 0 everything answered (and correct, where checked), 1 some batch failed or was
// wrong, 2 usage or set-up error.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/challenger/challenger.h"
#include "core/challenger/dataset_options.h"
#include "core/commands/benchmark_run.h"
#include "core/kafka/kafka_options.h"
#include "io/http_server.h"

namespace lpbf {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBatchesFailed = 1;
inline constexpr int kExitSetupError = 2;

// A usage mistake that shows only once a command looks at its inputs (replay --check of a dataset
// with no expected.json, report --html onto its own input): exit 2, like a parse error.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `lpbf-bench [run] [--url URL] ...`: the benchmark run.
struct RunArgs {
  RunOptions run;  // url, bench name, token, connections, threads, ...; the command line
                   // and the effective configuration, for the report
  int64_t timeout_ms = 10000;
  std::string report_path;  // empty: no report
  int repeat = 1;           // --repeat: benches back to back, one report
  bool quiet = false;
  KafkaSetup kafka;               // not enabled: the in-process arrow
  DatasetOptions dataset;         // the embedded challenger's, without --url
  TlsServerOptions embedded_tls;  // --tls-cert/--tls-key: the embedded challenger serves HTTPS
};

// `lpbf-bench sweep --rates 250,500,max`: one bench per rate against the same challenger.
struct SweepArgs {
  RunArgs run;  // the run's options (the embedded challenger's dataset, --url, --threads...), for every point;
                // run.report_path: the sweep's JSON report (its HTML page beside it)
  std::vector<double> rates;  // batches/s, in the order given; 0: `max`, the closed model; empty: auto
  double auto_start = 250;    // --rates auto: the first rate, doubled until the knee
  int auto_points = 10;       // --rates auto: at most this many points
  double point_seconds = 2;   // each open-model point offers its rate this long (rate x seconds batches)
};

// "250,500,1000,max" -> {250, 500, 1000, 0}; "auto" -> {}. Throws std::invalid_argument saying
// what is wrong.
std::vector<double> parse_sweep_rates(const std::string& text);

// `lpbf-bench replay DIR`
struct ReplayArgs {
  std::string dir;
  std::string out;  // empty: standard output
  bool check = false;
  int threads = 0;  // 0: all cores
};

// `lpbf-bench challenger`
struct ChallengerArgs {
  int port = 8866;
  std::string bind = "127.0.0.1";
  int threads = 2;
  std::string apitoken = kDefaultApiToken;
  HttpServerLimits limits;
  double fault_rate = 0;
  uint64_t fault_seed = 1;
  DatasetOptions dataset;
  Emulation emulate = Emulation::none;  // --emulate: which server to behave like on the wire
  int64_t first_batch_id = 0;           // --first-batch-id: the served ids are N, N+1, ...
  std::string state_file;               // --state-file (evaluation): the active benches across restarts
  TlsServerOptions tls;                 // --tls-cert/--tls-key/--tls-client-ca: serve HTTPS
};

// `lpbf-bench worker`
struct WorkerArgs {
  KafkaSetup kafka;
  int threads = 1;
  int metrics_port = -1;  // -1: no metrics
  std::string metrics_bind = "127.0.0.1";
};

// `lpbf-bench kafka-mock`
struct KafkaMockArgs {
  int brokers = 3;
  int partitions = 8;
};

// `lpbf-bench report RUN [BASELINE]`
struct ReportArgs {
  std::string run;
  std::string baseline;        // empty: none
  std::string max_regression;  // --max-regression LIMITS (baseline_verdict.h); empty: no verdict
  std::string markdown;        // --markdown FILE: the verdict as a table; empty: none
  std::string html;            // empty: RUN with the extension .html
};

// `lpbf-bench end BENCH_ID`
struct EndArgs {
  std::string bench_id;
  std::string url = "http://127.0.0.1:8866";
  int64_t timeout_ms = 10000;
  TlsClientOptions tls;  // for an https URL
};

int run_command(RunArgs args);
int replay_command(const ReplayArgs& args);
int sweep_command(SweepArgs args);
int challenger_command(const ChallengerArgs& args);
int worker_command(const WorkerArgs& args);
int kafka_mock_command(const KafkaMockArgs& args);
int report_command(const ReportArgs& args);
int end_command(const EndArgs& args);

}  // namespace lpbf
