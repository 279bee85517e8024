#include "core/commands/command_line.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ostream>
#include <set>
#include <sstream>

#include "core/pipeline/memory_budget.h"
#include "core/report/baseline_verdict.h"
#include "io/tiff_encoder.h"

namespace lpbf {
namespace {

constexpr size_t kHelpWidth = 100;  // the help's lines, at most
constexpr size_t kNameColumn = 29;  // where an option's description starts

// Breaks `text` into lines of at most `width` characters at spaces; keeps its own line breaks.
std::string wrap(const std::string& text, size_t width) {
  std::string out, line;
  std::istringstream paragraphs(text);
  for (std::string paragraph; std::getline(paragraphs, paragraph);) {
    std::istringstream words(paragraph);
    line.clear();
    for (std::string word; words >> word;) {
      if (!line.empty() && line.size() + 1 + word.size() > width) {
        out += line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
    }
    out += line + "\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

// The help in the style of lpbf-bench's: an option's metavariable after its name (`--threads N`),
// its description wrapped beside it, the defaults in the description's words; the run's help (the
// top level) lists the subcommands before its options.
class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter() {
    column_width(kNameColumn);
    label("Usage", "usage");
  }

  std::string make_option_opts(const CLI::Option* opt) const override {
    return opt->get_option_text().empty() ? "" : " " + opt->get_option_text();
  }
  std::string make_option_desc(const CLI::Option* opt) const override {
    const bool required = opt->get_required() && opt->nonpositional();
    return wrap((required ? "required: " : "") + opt->get_description(), kHelpWidth - kNameColumn);
  }
  // A subcommand's own help leaves out the one-line summary its description starts with (the
  // summary is for the list of subcommands).
  std::string make_description(const CLI::App* app) const override {
    const std::string& d = app->get_description();
    const size_t body = d.find("\n\n");
    return (app->get_parent() && body != std::string::npos ? d.substr(body + 2) : d) + "\n";
  }
  // A subcommand in a list: the first line of its description.
  std::string make_subcommand(const CLI::App* sub) const override {
    const std::string& d = sub->get_description();
    std::ostringstream out;
    CLI::detail::format_help(out, sub->get_name(), d.substr(0, d.find('\n')), column_width_);
    return out.str();
  }
  std::string make_usage(const CLI::App* app, std::string name) const override {
    if (app->get_parent()) return CLI::Formatter::make_usage(app, name);
    return "usage: " + name + " [run] [--url URL] [--bench-name NAME] [options]   the benchmark run\n       " + name +
           " SUBCOMMAND [options]   (`" + name + " SUBCOMMAND --help` describes one)\n";
  }
  // The usage first, as lpbf-bench's hand-written help had it; the top level's subcommands before
  // its (the run's) options.
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    if (mode != CLI::AppFormatMode::Normal) return CLI::Formatter::make_help(app, name, mode);
    std::string help = make_usage(app, name) + "\n" + make_description(app) + make_positionals(app) +
                       (app->get_parent() ? "" : make_subcommands(app, mode)) + make_groups(app, mode) + "\n" +
                       make_footer(app);
    for (size_t at; (at = help.find("\n\n\n")) != std::string::npos;)
      help.erase(at, 1);  // one blank line between groups
    return help;
  }
};

// Whole numbers in plain decimal. CLI11 reads integers with strtoll(base 0), so `010` would be 8
// and `0x10` 16; this checks the text and hands CLI11 the number written plainly.
const CLI::Validator kWholeNumber(
    [](std::string& text) -> std::string {
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        return "takes a whole number, not '" + text + "'";
      text = std::to_string(v);
      return "";
    },
    "");

// A finite number (CLI::Range lets NaN through: every comparison with it is false).
const CLI::Validator kFiniteNumber(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
        return "takes a number, not '" + text + "'";
      return "";
    },
    "");

// An option taking a whole number in [min, max], into `value`.
template <typename T>
CLI::Option* whole_number(CLI::App& app, const std::string& name, T& value, int64_t min, int64_t max,
                          const std::string& metavar, const std::string& help) {
  return app.add_option(name, value, help)->option_text(metavar)->transform(kWholeNumber)->check(CLI::Range(min, max));
}

// The same, for a value kept as a duration or a size: `set` converts it; `now` is the default,
// for the recorded configuration.
CLI::Option* whole_number(CLI::App& app, const std::string& name, const std::function<void(const int64_t&)>& set,
                          int64_t now, int64_t min, int64_t max, const std::string& metavar, const std::string& help) {
  return app.add_option_function<int64_t>(name, set, help)
      ->option_text(metavar)
      ->transform(kWholeNumber)
      ->check(CLI::Range(min, max))
      ->default_str(std::to_string(now));
}

CLI::Option* text(CLI::App& app, const std::string& name, std::string& value, const std::string& metavar,
                  const std::string& help) {
  return app.add_option(name, value, help)->option_text(metavar);
}

// The dataset a challenger serves, shared by `challenger` and the run's embedded challenger.
std::vector<CLI::Option*> add_dataset_options(CLI::App& app, DatasetOptions& o, const std::string& group) {
  std::vector<CLI::Option*> added;
  auto add = [&](CLI::Option* opt) {
    added.push_back(opt->group(group));
    return opt;
  };
  CLI::Option* dir = add(app.add_option_function<std::string>(
                                "--dataset", [&o](const std::string& d) { o.dir = d; },
                                "serve a recorded stream (manifest.json, bNNNNNN.tif files; results are scored against "
                                "expected.json or, in a --record directory, results.json)")
                             ->option_text("DIR"));
  const std::string synthetic =
      "serve a synthetic stream (the default), shaped by --layers, --grid, --tile, --prints, --seed and --layout";
  add(app.add_flag("--synthetic", synthetic)->excludes(dir));
  add(whole_number(app, "--layers", o.spec.layers, 1, 100000, "N", "layers per print (default 12)"));
  add(whole_number(app, "--grid", o.spec.grid, 1, 64, "G",
                   "G x G tiles per layer (default 4: 16 tiles, as the real stream)"));
  add(whole_number(app, "--tile", o.spec.tile, 1, 8192, "T", "tile side in pixels (default 500, as the real stream)"));
  add(whole_number(app, "--prints", o.spec.prints, 1, 1000, "P", "prints, interleaved (default 1)"));
  add(whole_number(app, "--seed", o.spec.seed, 0, INT64_MAX, "S", "any number; same seed, same bytes (default 1)"));
  std::vector<std::string> layouts;
  for (const TiffLayout& l : standard_tiff_layouts()) layouts.push_back(l.name);
  add(text(app, "--layout", o.layout, "NAME",
           "one TIFF layout for all batches: " + CLI::detail::join(layouts, ", ") + " (default: rotate through all)")
          ->check(CLI::IsMember(layouts)));
  add(app.add_flag_callback(
      "--no-cache", [&o] { o.cache = false; },
      "prepare the synthetic stream anew; by default a prepared stream is kept in $LPBF_CACHE_DIR "
      "(else $XDG_CACHE_HOME/lpbf-bench, else ~/.cache/lpbf-bench; 8 GiB at most, oldest "
      "removed first) and the next run loads it at once"));
  add(app.add_option_function<std::string>(
             "--serve-from",
             [&o](const std::string& v) {
               o.serve_from = v == "memory" ? ServeFrom::memory : v == "disk" ? ServeFrom::disk : ServeFrom::automatic;
             },
             "where the batches are kept: memory (all of them), disk (read from the dataset's files as each is "
             "served; a synthetic stream from its cache entry, written there as it is made) or auto (the default: "
             "memory up to --serve-memory-limit of TIFF, disk above it)")
          ->option_text("memory|disk|auto")
          ->check(CLI::IsMember({"memory", "disk", "auto"})));
  add(whole_number(
      app, "--serve-memory-limit", [&o](const int64_t& mib) { o.memory_limit = uint64_t(mib) << 20; },
      int64_t(kDefaultServeMemoryLimit >> 20), 1, int64_t(1) << 30, "MIB",
      "--serve-from auto serves from disk a stream of more TIFF than this (default 1024 MiB; for a synthetic "
      "stream its bound, 2 bytes a pixel); without the cache (--no-cache) such a stream is refused"));
  return added;
}

// Throws a usage error when the dataset options cannot make a dataset (a stream too large).
void check_dataset_options(const DatasetOptions& o) {
  if (const std::string problem = dataset_options_problem(o); !problem.empty()) throw CLI::ValidationError(problem);
}

// The Kafka options shared by the run and `worker`; returns --kafka.
CLI::Option* add_kafka_options(CLI::App& app, KafkaSetup& s, const std::string& group) {
  KafkaTopology& t = s.topology;
  CLI::Option* kafka =
      app.add_option_function<std::string>(
             "--kafka",
             [&s](const std::string& brokers) {
               if (brokers.rfind("mock", 0) != 0) {
                 s.brokers = brokers;
                 return;
               }
               s.mock_brokers = 3;
               if (brokers.size() == 4) return;
               int n = 0;
               const char* end = brokers.data() + brokers.size();
               const auto [at, ec] = std::from_chars(brokers.data() + 5, end, n);
               if (brokers[4] != ':' || ec != std::errc{} || at != end)
                 throw CLI::ValidationError("--kafka", "takes brokers or mock[:N], not '" + brokers + "'");
               if (n < 1 || n > 16)
                 throw CLI::ValidationError("--kafka", "mock:N takes 1 to 16 brokers, not " + brokers.substr(5));
               s.mock_brokers = n;
             },
             "Kafka bootstrap servers (host:port,...), or `mock` / `mock:N` for librdkafka's built-in mock cluster "
             "with N brokers (default 3), started in this process")
          ->option_text("BROKERS")
          ->group(group);
  text(app, "--group", t.group, "G", "the analysis workers' consumer group (default lpbf-workers)")->group(group);
  text(app, "--raw-topic", t.raw_topic, "T", "topic of fetched batches (default raw-batch)")->group(group);
  text(app, "--results-topic", t.results_topic, "T", "topic of outcomes (default results)")->group(group);
  whole_number(app, "--partitions", t.partitions, 1, 10000, "N", "partitions of topics created here (default 8)")
      ->group(group);
  whole_number(
      app, "--kafka-timeout", [&t](const int64_t& v) { t.outcome_timeout = std::chrono::seconds(v); },
      t.outcome_timeout.count(), 1, 86400, "S", "a batch with no outcome after S seconds fails (default 30)")
      ->group(group);
  whole_number(
      app, "--kafka-ready-timeout", [&t](const int64_t& v) { t.ready_timeout = std::chrono::seconds(v); },
      t.ready_timeout.count(), 1, 86400, "S",
      "the runner waits at most S seconds for the workers' group to settle (its own workers assigned, no "
      "rebalance in progress, every raw-topic partition held) before it creates the bench (default 30)")
      ->group(group);
  whole_number(
      app, "--kafka-partition-bytes", [&t](const int64_t& v) { t.partition_window_bytes = size_t(v); },
      int64_t(t.partition_window_bytes), 1, INT64_MAX, "B",
      "unanswered batch bytes in one raw partition, at most (default 4194304: librdkafka's mock cluster "
      "keeps only 5 MB a partition; raise it on a real cluster)")
      ->group(group);
  whole_number(
      app, "--session-timeout-ms", [&t](const int64_t& v) { t.kafka.session_timeout = std::chrono::milliseconds(v); },
      t.kafka.session_timeout.count(), 1000, 3600000, "MS",
      "consumer-group session timeout: a worker silent this long loses its partitions to the others "
      "(default 6000)")
      ->group(group);
  return kafka;
}

const char* const kKafkaGroup = "Kafka (the fetch -> analyse arrow as topics, analysis scaled out over processes)";

// TLS: the client's options for an https:// URL (run, end) and a challenger's certificate
// (`challenger`, the run's embedded challenger). Files are PEM; they are read when the command starts.
const char* const kTlsGroup = "TLS (an https:// challenger)";

void add_tls_client_options(CLI::App& app, TlsClientOptions& t) {
  CLI::Option* cacert = text(app, "--cacert", t.cacert, "FILE",
                             "with an https:// URL: trust the CA certificates in FILE instead of the system's CA store")
                            ->group(kTlsGroup);
  CLI::Option* cert = text(app, "--client-cert", t.client_cert, "FILE",
                           "present this certificate to a challenger that asks for one (mutual TLS; with --client-key)")
                          ->group(kTlsGroup);
  CLI::Option* key =
      text(app, "--client-key", t.client_key, "FILE", "the private key of --client-cert")->group(kTlsGroup);
  cert->needs(key);
  key->needs(cert);
  app.add_flag("--insecure", t.insecure,
               "with an https:// URL: accept any certificate and host name (for testing; the summary warns and the "
               "report records it)")
      ->group(kTlsGroup)
      ->excludes(cacert);
}

// --tls-cert/--tls-key, and --tls-client-ca when `client_ca`; the options added.
std::vector<CLI::Option*> add_tls_server_options(CLI::App& app, TlsServerOptions& t, const std::string& group,
                                                 bool client_ca) {
  CLI::Option* cert =
      text(app, "--tls-cert", t.cert, "FILE", "serve HTTPS with this certificate (chain); with --tls-key")
          ->group(group);
  CLI::Option* key = text(app, "--tls-key", t.key, "FILE", "the private key of --tls-cert")->group(group);
  cert->needs(key);
  key->needs(cert);
  std::vector<CLI::Option*> added{cert, key};
  if (client_ca)
    added.push_back(text(app, "--tls-client-ca", t.client_ca, "FILE",
                         "require every client to present a certificate issued by a CA in FILE (mutual TLS)")
                        ->group(group)
                        ->needs(cert));
  return added;
}

// The run's options live on the top level, so that `lpbf-bench --url URL ...` needs no subcommand.
void add_run_options(CLI::App& app, RunArgs& a) {
  RunOptions& o = a.run;
  CLI::Option* url = text(app, "--url", o.url, "URL",
                          "challenger base URL, e.g. http://127.0.0.1:8866; or $LPBF_URL (default: the embedded "
                          "challenger, below)")
                         ->envname("LPBF_URL");
  text(app, "--bench-name", o.bench_name, "NAME", "name of the bench (default lpbf-bench)");
  // From the environment, a token stays out of the command line (and `ps`).
  text(app, "--apitoken", o.apitoken, "TOKEN", "API token; or $LPBF_APITOKEN (default polimi-deib)")
      ->envname("LPBF_APITOKEN");
  whole_number(app, "--max-batches", o.max_batches, 0, INT64_MAX, "N",
               "fetch at most N batches, then end the bench (default: all); the client stops, the challenger is not "
               "told (the evaluation server refuses a max_batches key)")
      ->default_str("");
  app.add_flag_callback(
      "--no-test", [&o] { o.test = false; }, "create the bench with \"test\": false (default: test mode)");
  whole_number(app, "--connections", o.connections, 1, 256, "N",
               "connections for fetching, and as many for submitting (default 4)");
  whole_number(app, "--threads", o.threads, 1, 1024, "N", "analysis threads (default: all cores)")->default_str("");
  whole_number(app, "--max-in-flight", o.max_in_flight, 1, 100000, "N",
               "batches fetched but not yet answered, at most (default threads + connections + 1; with --kafka 64): "
               "fewer lowers latency, more can hide a slow network")
      ->default_str("");
  app.add_option_function<std::string>(
         "--memory-budget", [&o](const std::string& text) { o.memory_budget = *parse_byte_size(text); },
         "bytes the run may hold in batches fetched, decoded images and tile windows; fetching waits while they "
         "would exceed it (suffix K, M, G, T: binary; default a quarter of physical memory, at most 4G); a batch "
         "whose image alone exceeds it fails")
      ->option_text("BYTES")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return parse_byte_size(text) ? "" : "takes a size such as 512M or 4G, not '" + text + "'";
          },
          ""));
  app.add_option("--rate", o.rate,
                 "the open model: next_batch requests leave on a fixed schedule of R a second (request i at start + "
                 "i/R), not when a slot frees up; --max-in-flight still bounds memory, and a send it delays is the "
                 "backlog. Latency is then reported twice: from the next_batch reply, and from the scheduled send "
                 "(corrected for coordinated omission) (default: none, the closed model)")
      ->option_text("R")
      ->transform(kFiniteNumber)
      ->check(CLI::Range(0.001, 1e7))
      ->default_str("");
  whole_number(app, "--timeout-ms", a.timeout_ms, 1, 3600000, "MS", "per HTTP request (default 10000)");
  whole_number(app, "--warmup", o.warmup, 0, INT64_MAX, "N",
               "leave the first N batches fetched out of every statistic (throughput, latency, wall time); they are "
               "still answered and checked (default 0)");
  whole_number(app, "--repeat", a.repeat, 1, 1000, "K",
               "run K benches back to back against the same challenger, one report: each figure as the median of the "
               "K, with its spread (min-max); --repeat 5 for comparisons (default 1)");
  text(app, "--report", a.report_path, "FILE",
       "write a report: FILE.json (batches, failures, throughput, latency, stage times, every batch's trace) or "
       "FILE.html (the same drawn as charts, self-contained; `lpbf-bench report` reads either back)");
  app.add_flag("--quiet", a.quiet, "no progress line, no summary; only errors");
  whole_number(app, "--metrics-port", o.metrics_port, 0, 65535, "P",
               "serve Prometheus metrics at http://ADDR:P/metrics while the run lasts (0: a free port, printed); "
               "counters of answered and failed batches, latency histogram, in flight, queue depths, busy seconds per "
               "stage")
      ->default_str("");
  text(app, "--metrics-bind", o.metrics_bind, "ADDR", "address of the metrics server (default 127.0.0.1)");
  whole_number(app, "--metrics-linger", o.metrics_linger_seconds, 0, 86400, "S",
               "with --metrics-port: keep serving metrics S seconds after the run, once the summary is printed, so "
               "that a scraper sees the final counts (default 30: two 15 s scrape intervals; 0: none; Ctrl-C ends it "
               "sooner)")
      ->default_str("");
  text(app, "--record", o.record_dir, "DIR",
       "keep the stream the challenger serves in DIR (new or empty), as `replay DIR` and `challenger --dataset DIR` "
       "read it: the batches' TIFFs, manifest.json and results.json (the answers the challenger accepted). Written "
       "beside the run, never slowing it: what the disk cannot keep up with is dropped and counted");

  add_kafka_options(app, a.kafka, kKafkaGroup);
  whole_number(app, "--workers", o.kafka_workers, 0, 256, "N",
               "analysis workers in this process with --kafka (default 1; 0: only `lpbf-bench worker` processes)")
      ->group(kKafkaGroup);

  add_tls_client_options(app, o.tls);
  for (CLI::Option* opt : add_dataset_options(app, a.dataset, "Embedded challenger only (no --url)"))
    opt->excludes(url);
  for (CLI::Option* opt : add_tls_server_options(app, a.embedded_tls, "Embedded challenger only (no --url)", false))
    opt->excludes(url);
}

void add_sweep(CLI::App& app, SweepArgs& a) {
  CLI::App* sub = app.add_subcommand("sweep", R"(latency against offered load, one bench per rate

Runs one bench per offered rate (the open model of --rate) against the same challenger, the
embedded one by default or --url, and writes one report of every point: the latency-throughput
curve (p50 and p99, served and corrected for coordinated omission, against the offered load) with
the knee marked, as JSON and as an HTML page beside it. Takes the run's options (--url,
--threads, --connections, --max-in-flight, the embedded challenger's dataset...), applied to
every point.)");
  add_run_options(*sub, a.run);
  sub->remove_option(sub->get_option("--rate"));  // the sweep sets it per point
  sub->get_option("--report")
      ->description(
          "write the sweep's report to FILE.json (every point; default sweep.json) and its page, the curve, to "
          "FILE.html beside it");
  sub->add_option_function<std::string>(
         "--rates", [&a](const std::string& text) { a.rates = parse_sweep_rates(text); },
         "the offered rates, batches/s, comma-separated, `max` for the closed model (as fast as the pipeline "
         "goes): e.g. 250,500,1000,2000,max; or `auto`: from --auto-start, doubling until the knee (default auto)")
      ->option_text("LIST")
      ->check([](const std::string& text) -> std::string {
        try {
          parse_sweep_rates(text);
          return "";
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      });
  sub->add_option("--auto-start", a.auto_start, "--rates auto: the first rate, batches/s (default 250)")
      ->option_text("R")
      ->transform(kFiniteNumber)
      ->check(CLI::Range(0.001, 1e7));
  whole_number(*sub, "--auto-points", a.auto_points, 1, 64, "N", "--rates auto: at most N points (default 10)");
  sub->add_option("--point-seconds", a.point_seconds,
                  "each rate is offered this long: rate x S batches, fewer if the stream ends first (default 2; a "
                  "longer stream than the embedded default needs --layers)")
      ->option_text("S")
      ->transform(kFiniteNumber)
      ->check(CLI::Range(0.01, 86400.0));
  sub->final_callback([&a] {
    if (a.run.run.url.empty()) check_dataset_options(a.run.dataset);
  });
  sub->footer(
      "Exit status: 0 every point's batches answered; 1 some batch failed or was wrong; 2 usage or set-up error.");
}

void add_replay(CLI::App& app, ReplayArgs& a) {
  CLI::App* sub = app.add_subcommand("replay", R"(compute a recorded dataset offline

Computes every batch of a recorded stream (a directory with manifest.json and bNNNNNN.tif files,
as SPEC.md section 4 describes) offline, and writes the results as a JSON array in manifest
order, the format of expected.json.)");
  sub->add_option("DIR", a.dir, "the recorded stream")->required();
  text(*sub, "--out", a.out, "FILE", "write the results there instead of standard output");
  sub->add_flag("--check", a.check,
                "compare with DIR/expected.json (a recording's DIR/results.json when there is none); print each "
                "mismatch; exit 1 on any");
  whole_number(*sub, "--threads", a.threads, 1, 1024, "N",
               "OpenMP threads, one tile per thread at a time (default: all cores)")
      ->default_str("");
  sub->footer(R"(Exit status: 0 all batches answered (and correct with --check), 1 a batch failed or was wrong,
2 usage error or unreadable dataset.)");
}

void add_challenger(CLI::App& app, ChallengerArgs& a) {
  CLI::App* sub = app.add_subcommand("challenger", R"(serve the challenger API

Serves the challenger REST API of SPEC.md section 1 over HTTP/1.1 (keep-alive, many connections,
several benches at once, each serving the dataset from its start) and scores every result, until
SIGINT or SIGTERM.
  POST /api/create            {"apitoken", "name", "test", "max_batches"?} -> "bench id"
  POST /api/start/{bench}
  GET  /api/next_batch/{bench}                  msgpack batch, 404 when no more
  POST /api/result/0/{bench}/{batch_id}         msgpack result
  POST /api/end/{bench}                         JSON verdict: missing, wrong, latency, throughput
  GET  /api/history                             verdicts of all benches
  GET  /api/plot/{bench}                        a bench's latency and throughput over time, SVG
  GET  /metrics                                 Prometheus text format
  GET  /                                        status page with live progress)");
  whole_number(*sub, "--port", a.port, 0, 65535, "P", "TCP port (default 8866; 0 picks a free one)");
  text(*sub, "--bind", a.bind, "ADDR", "address to listen on (default 127.0.0.1)");
  whole_number(*sub, "--threads", a.threads, 1, 256, "N", "server threads (default 2)");
  text(*sub, "--apitoken", a.apitoken, "TOKEN", "the token create must present (default polimi-deib)");

  const std::string limits = "Limits (a client cannot hold the server hostage)";
  HttpServerLimits& l = a.limits;
  whole_number(
      *sub, "--header-timeout-ms", [&l](const int64_t& v) { l.header_timeout = std::chrono::milliseconds(v); },
      l.header_timeout.count(), 1, 3600000, "MS",
      "a request's header must arrive within MS of the connection opening or of its first byte "
      "(default 10000)")
      ->group(limits);
  whole_number(
      *sub, "--idle-timeout-ms", [&l](const int64_t& v) { l.idle_timeout = std::chrono::milliseconds(v); },
      l.idle_timeout.count(), 1, 86400000, "MS",
      "a kept-alive connection with no request is closed after MS; also bounds reading a body and writing "
      "a reply (default 30000)")
      ->group(limits);
  whole_number(
      *sub, "--max-connections", [&l](const int64_t& v) { l.max_connections = size_t(v); }, int64_t(l.max_connections),
      1, 1000000, "N", "open connections at most; more are answered 503 and closed (default 1024)")
      ->group(limits);

  const std::string faults = "Fault injection (test a client against a misbehaving challenger)";
  sub->add_option("--faults", a.fault_rate,
                  "on this share (0-1) of next_batch and result requests, one of: 503 before acting, the connection "
                  "dropped before acting, a reply slowed by 50-250 ms, a result taken and then its connection dropped "
                  "(a repeat counts once, as a duplicate), a next_batch body cut mid-way (that batch is lost in "
                  "flight). The verdict lists faults, lost batch ids, duplicates. (default 0)")
      ->option_text("RATE")
      ->transform(kFiniteNumber)
      ->check(CLI::Range(0.0, 1.0))
      ->group(faults);
  whole_number(*sub, "--fault-seed", a.fault_seed, 0, INT64_MAX, "S", "the faults' random seed (default 1)")
      ->group(faults);

  const std::string emulation = "Emulation (rehearse against the DEBS organisers' servers offline)";
  sub->add_option_function<std::string>(
         "--emulate",
         [&a](const std::string& server) {
           a.emulate = server == "evaluation" ? Emulation::evaluation : Emulation::local;
         },
         "behave on the wire like `evaluation` (Challenger 2.0, the evaluation server: create takes exactly "
         "apitoken, name and test; one started bench per token until it ends; 412 before start; an empty 404 "
         "at the stream's end; end answers empty and forgets the bench; no verdict, history or plot) or "
         "`local` (the Micro Challenger image: end answers {\"0\": {count, missing, throughput, latency_*}} "
         "with Go durations; /api/get_result, /api/plot, /api/history, /dash). Results are scored either "
         "way; a line per ended bench goes to standard error. (default: neither, the API above)")
      ->option_text("SERVER")
      ->check(CLI::IsMember({"evaluation", "local"}))
      ->group(emulation);
  whole_number(*sub, "--first-batch-id", a.first_batch_id, 0, int64_t(1) << 52, "N",
               "number the served batches N, N+1, ... in serving order, as the organisers' servers do; expected "
               "results follow (default 0)")
      ->group(emulation);
  CLI::Option* state = text(*sub, "--state-file", a.state_file, "FILE",
                            "with --emulate evaluation: remember the started, not yet ended benches in FILE across "
                            "restarts, as the real server's database does (a bench left active then blocks create with "
                            "412 until FILE is deleted) (default: in memory)")
                           ->group(emulation);

  add_dataset_options(*sub, a.dataset, "Dataset");
  add_tls_server_options(*sub, a.tls, kTlsGroup, true);
  sub->final_callback([&a, state] {
    check_dataset_options(a.dataset);
    if (state->count() > 0 && a.emulate != Emulation::evaluation)
      throw CLI::ValidationError("--state-file", "only with --emulate evaluation");
  });
}

void add_worker(CLI::App& app, WorkerArgs& a) {
  CLI::App* sub = app.add_subcommand("worker", R"(analyse batches from Kafka

Analyses batches from Kafka for a runner started with --kafka: consumes the raw-batch topic in a
consumer group, computes Q1-Q3 on each tile's window, produces outcomes to the results topic.
Start as many as you like, on any machine that reaches the brokers; partitions are shared out
among them and move to the others when one stops or dies. Runs until SIGINT or SIGTERM.)");
  whole_number(*sub, "--threads", a.threads, 1, 256, "N", "consumers in this process (default 1)");
  whole_number(*sub, "--metrics-port", a.metrics_port, 0, 65535, "P",
               "serve Prometheus metrics at http://ADDR:P/metrics (0: a free port, printed): "
               "lpbf_worker_batches_total{outcome}, lpbf_worker_batches_folded_total, lpbf_worker_partition_lag")
      ->default_str("");
  text(*sub, "--metrics-bind", a.metrics_bind, "ADDR", "address of the metrics server (default 127.0.0.1)");
  add_kafka_options(*sub, a.kafka, "Kafka")->required();
}

void add_kafka_mock(CLI::App& app, KafkaMockArgs& a) {
  CLI::App* sub = app.add_subcommand("kafka-mock", R"(host a mock Kafka cluster

Hosts librdkafka's mock Kafka cluster (N brokers on loopback) with the raw-batch and results
topics, prints its bootstrap address, and serves until SIGINT or SIGTERM. For trying the
scale-out without a real cluster: point runners and workers at the printed address.)");
  whole_number(*sub, "--brokers", a.brokers, 1, 16, "N", "brokers (default 3)");
  whole_number(*sub, "--partitions", a.partitions, 1, 10000, "P", "partitions of each topic (default 8)");
}

void add_end(CLI::App& app, EndArgs& a) {
  CLI::App* sub = app.add_subcommand("end", R"(end a bench left active

Ends a bench that a crashed or interrupted run left active (POST /api/end/BENCH_ID). The
organisers' evaluation server allows one active bench per API token and refuses to create
another until it is ended; the create error names the bench.)");
  sub->add_option("BENCH_ID", a.bench_id, "the bench to end")->required();
  text(*sub, "--url", a.url, "URL", "challenger base URL; or $LPBF_URL (default http://127.0.0.1:8866)")
      ->envname("LPBF_URL");
  whole_number(*sub, "--timeout-ms", a.timeout_ms, 1, 3600000, "MS", "per HTTP request (default 10000)");
  add_tls_client_options(*sub, a.tls);
  sub->footer(
      "Exit status: 0 ended; 1 the challenger does not know the bench (ended already, or never created); 2 "
      "usage error or the challenger cannot be reached.");
}

void add_report(CLI::App& app, ReportArgs& a) {
  CLI::App* sub = app.add_subcommand("report", R"(draw a saved run report

Draws a run report saved with `lpbf-bench --report FILE.json` (or FILE.html, which carries its
JSON) as one self-contained HTML page: verdict, throughput and latency over time, latency
percentiles, the pipeline's steps and depths, the print's defect map, failures. With BASELINE,
both runs are overlaid (the baseline in orange) and the verdict shows the change of each figure.)");
  sub->add_option("RUN", a.run, "the run report, .json or .html")->required();
  CLI::Option* positional = sub->add_option("BASELINE", a.baseline, "a second report to compare with");
  text(*sub, "--baseline", a.baseline, "BASE", "the report to compare with (the same as BASELINE)")
      ->excludes(positional);
  text(*sub, "--max-regression", a.max_regression, "LIMITS",
       "with a baseline: the verdict for CI, e.g. throughput=5%,p99=10%: one line per figure (baseline, now, "
       "change, limit, PASS or FAIL), exit 1 when a figure regressed beyond its limit. Figures: throughput "
       "(lower is worse), p50, p90, p99, max, mean (latency, ms: higher is worse). With --repeat reports the "
       "medians are compared, and a spread (max - min) wider than the limit is flagged: the test cannot tell");
  text(*sub, "--markdown", a.markdown, "FILE",
       "with --max-regression: also write the verdict as a Markdown table to FILE (for a CI job summary)");
  text(*sub, "--html", a.html, "OUT",
       "the page to write (default: RUN with the extension .html; RUN itself if it is HTML already is refused)");
  sub->footer(
      "Exit status: 0 written (and, with --max-regression, no figure regressed beyond its limit); 1 a figure "
      "regressed beyond its limit; 2 usage error or an unreadable report.");
}

// The run's options as a configuration file would set them (what a report records): every option
// given, from the command line, a --config file or the environment, and every default. A token
// other than the public default is left out: the report may travel further than the token should.
// Options that an option given excludes are left out (with --url, the embedded challenger's), so
// that the record reads back as a --config file.
std::string effective_configuration(const CLI::App& app) {
  std::set<std::string> excluded;
  for (const CLI::Option* opt : app.get_options({}))
    for (const CLI::Option* other : opt->get_excludes())
      if (other->count() > 0 && opt->count() == 0) excluded.insert(opt->get_single_name());
  // config_to_str also writes every subcommand's options (`replay.threads=...`); keep the run's.
  std::istringstream all(app.config_to_str(true, false));
  std::string kept;
  for (std::string line; std::getline(all, line);) {
    const std::string name = line.substr(0, line.find('='));
    if (line.empty() || line[0] == '[' || name.find('.') != std::string::npos) break;
    if (excluded.count(name)) continue;
    if (line.size() > name.size() + 1 && line.substr(name.size() + 1) == "\"\"") continue;  // an empty text: not set
    if (name == "apitoken" && line != std::string("apitoken=\"") + kDefaultApiToken + "\"")
      line = "# apitoken: given, not recorded";
    kept += line + "\n";
  }
  return kept;
}

}  // namespace

CommandLine::CommandLine()
    : app_(std::make_unique<CLI::App>(
          R"(lpbf-bench: the DEBS 2025 Grand Challenge (L-PBF defect monitoring) solution and benchmark runner.

Without a subcommand, or with `run`: runs the benchmark against a challenger. Fetches every batch,
computes Q1-Q3, posts the results, and prints a summary and the challenger's verdict. Without
--url it starts the embedded challenger in-process (a synthetic stream of 500x500 tiles, or
--dataset).)",
          "lpbf-bench")) {
  CLI::App& app = *app_;
  // Set before the subcommands are added: they copy these.
  app.formatter(std::make_shared<HelpFormatter>());
  app.option_defaults()->always_capture_default();
  app.set_help_flag("-h,--help", "this text");
  app.require_subcommand(0, 1);

  // A benchmark's configuration can be kept in a file: the run's options as `name = value` lines.
  // An unknown name there is an error, as on the command line (CLI11 ignores them by default).
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.set_config("--config", "",
                 "read the run's options from FILE, TOML or INI: one `name = value` a line, the option's long name "
                 "without its dashes (`threads = 2`, `url = \"http://127.0.0.1:8866\"`, `no-test = true`); the "
                 "command line overrides it, and it overrides $LPBF_URL and $LPBF_APITOKEN. The report records the "
                 "run's effective configuration")
      ->option_text("FILE");
  add_run_options(app, run_);
  // `run` names the default: its options are the top level's, so it hands them up (fallthrough)
  // and so does its --help.
  CLI::App* run = app.add_subcommand("run", "run the benchmark (the default; its options are below)");
  run->fallthrough();
  run->set_help_flag();
  add_sweep(app, sweep_);
  add_replay(app, replay_);
  add_challenger(app, challenger_);
  add_worker(app, worker_);
  add_kafka_mock(app, kafka_mock_);
  add_report(app, report_);
  add_end(app, end_);

  app.footer(R"(Exit status: 0 every batch answered (and, with the embedded challenger, correct); 1 some batch
failed or was wrong; 2 usage or set-up error (e.g. the challenger cannot be reached).)");
  app.final_callback([this] {
    if (command() == Command::report) {
      if (!report_.max_regression.empty() && report_.baseline.empty())
        throw CLI::ValidationError("--max-regression", "compares with a baseline: give --baseline BASE");
      if (!report_.markdown.empty() && report_.max_regression.empty())
        throw CLI::ValidationError("--markdown", "writes the verdict of --max-regression: give it too");
      if (!report_.max_regression.empty()) {
        try {
          static_cast<void>(parse_regression_limits(report_.max_regression));
        } catch (const std::invalid_argument& e) {
          throw CLI::ValidationError("--max-regression", e.what());
        }
      }
    }
    if (command() != Command::run) {
      // `lpbf-bench --threads 2 replay DIR` would drop --threads silently.
      if (!app_->parse_order().empty())
        throw CLI::ValidationError(app_->parse_order().front()->get_name() + " is an option of the run, not of " +
                                   command_name() + " (a subcommand's options follow its name)");
      return;
    }
    if (run_.run.url.empty()) check_dataset_options(run_.dataset);
    if (run_.repeat > 1 && !run_.run.record_dir.empty())
      throw CLI::ValidationError("--record", "keeps one bench's stream: it cannot be combined with --repeat");
  });
}

CommandLine::~CommandLine() = default;

Command CommandLine::command() const {
  const std::string& name = command_name();
  if (name == "sweep") return Command::sweep;
  if (name == "replay") return Command::replay;
  if (name == "challenger") return Command::challenger;
  if (name == "worker") return Command::worker;
  if (name == "kafka-mock") return Command::kafka_mock;
  if (name == "report") return Command::report;
  if (name == "end") return Command::end;
  return Command::run;
}

const std::string& CommandLine::command_name() const {
  static const std::string run = "run";
  const auto chosen = app_->get_subcommands();
  return chosen.empty() ? run : chosen.front()->get_name();
}

std::string CommandLine::usage_hint() const {
  const std::string& name = command_name();
  return "(`lpbf-bench " + (name == "run" ? "" : name + " ") + "--help` lists the options)";
}

std::string CommandLine::help(const std::string& subcommand) const {
  if (subcommand.empty() || subcommand == "run")
    return app_->get_formatter()->make_help(app_.get(), app_->get_name(), CLI::AppFormatMode::Normal);
  const CLI::App* sub = app_->get_subcommand(subcommand);
  return sub->get_formatter()->make_help(sub, app_->get_name() + " " + subcommand, CLI::AppFormatMode::Normal);
}

std::optional<int> CommandLine::parse(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::string typed;
  for (int i = 0; i < argc; ++i) typed += (i ? " " : "") + std::string(argv[i]);
  run_.run.command_line = typed;
  sweep_.run.run.command_line = typed;
  try {
    app_->parse(argc, argv);
    if (command() == Command::run) run_.run.configuration = effective_configuration(*app_);
  } catch (const CLI::CallForHelp&) {
    out << help(command_name());
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << help(command_name());
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "lpbf-bench: " << e.what() << "\n" << usage_hint() << "\n";
    return kExitSetupError;
  }
  return std::nullopt;
}

}  // namespace lpbf
