// lpbf-bench's command line (core/commands/command_line.*): every option documented with its
// real default, `run` the default subcommand, and every usage error refused at once, before any
// work (no dataset prepared, no socket, no mock cluster).
#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "core/challenger/challenger_host.h"
#include "core/commands/command_line.h"
#include "io/golden_dataset.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

// Parses `args` (after the program name) in-process; the exit status when parsing ends it.
std::optional<int> parse(CommandLine& cl, std::vector<const char*> args, std::string* err = nullptr) {
  args.insert(args.begin(), "lpbf-bench");
  std::ostringstream out, errors;
  const auto status = cl.parse(int(args.size()), args.data(), out, errors);
  if (err) *err = errors.str();
  return status;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("lpbf-cli-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Every option of `app` (not its subcommands'), as the help names it.
std::vector<const CLI::Option*> options_of(const CLI::App& app) { return app.get_options({}); }

}  // namespace

TEST_CASE("command line: every subcommand's --help documents each of its options, with its real default") {
  CommandLine cl;
  std::vector<std::pair<std::string, const CLI::App*>> helps{{"", &cl.app()}, {"run", &cl.app()}};
  for (const CLI::App* sub : cl.app().get_subcommands({}))
    if (sub->get_name() != "run") helps.emplace_back(sub->get_name(), sub);
  CHECK(helps.size() == 9);  // the top level, run, sweep, replay, challenger, worker, kafka-mock, report, end
  for (const auto& [name, app] : helps) {
    const auto r = test::run_command(test::binary() + " " + name + " --help");
    INFO(name, "\n", r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("usage: lpbf-bench") == 0);
    for (const CLI::Option* opt : options_of(*app)) {
      const std::string shown = opt->get_name(false, true);  // -h,--help; --url; DIR
      INFO(shown);
      CHECK(r.output.find("\n  " + shown + " ") != std::string::npos);
      CHECK(!opt->get_description().empty());
      // A value option's default, where it has one, is the one its description gives.
      if (opt->get_type_size() > 0 && !opt->get_default_str().empty())
        CHECK(opt->get_description().find("default " + opt->get_default_str()) != std::string::npos);
    }
  }
  // The top level lists the subcommands and the run's options together.
  const std::string top = test::run_command(test::binary() + " --help").output;
  for (const char* sub : {"run", "sweep", "replay", "challenger", "worker", "kafka-mock", "report", "end"})
    CHECK(top.find("\n  " + std::string(sub) + " ") != std::string::npos);
  CHECK(top.find("--connections N") != std::string::npos);
  CHECK(top.find("Kafka (the fetch -> analyse arrow") != std::string::npos);
  CHECK(top.find("Embedded challenger only (no --url)") != std::string::npos);
}

TEST_CASE("command line: `run` is the default subcommand, and the defaults are the documented ones") {
  {
    CommandLine cl;
    CHECK(!parse(cl, {}));
    CHECK(cl.command() == Command::run);
    const RunArgs& a = cl.run();
    CHECK(a.run.url.empty());  // the embedded challenger
    CHECK(a.run.bench_name == "lpbf-bench");
    CHECK(a.run.apitoken == "polimi-deib");
    CHECK(a.run.test);
    CHECK(a.run.max_batches == -1);
    CHECK(a.run.connections == 4);
    CHECK(a.run.threads == 0);  // all cores
    CHECK(a.run.max_in_flight == 0);
    CHECK(a.timeout_ms == 10000);
    CHECK(a.run.metrics_port == -1);
    CHECK(a.run.metrics_linger_seconds == -1);  // kDefaultMetricsLingerSeconds, with --metrics-port
    CHECK(!a.kafka.enabled());
    CHECK(a.run.kafka_workers == 1);
    CHECK(a.dataset.spec.layers == 12);
    CHECK(a.dataset.spec.grid == 4);
    CHECK(a.dataset.spec.tile == 500);
    CHECK(a.dataset.cache);
  }
  {
    CommandLine cl;
    CHECK(!parse(cl,
                 {"--url", "http://h:1", "--threads", "3", "--no-test", "--kafka", "mock:5", "--kafka-timeout", "7"}));
    CHECK(cl.command() == Command::run);
    CHECK(cl.run().run.url == "http://h:1");
    CHECK(cl.run().run.threads == 3);
    CHECK(!cl.run().run.test);
    CHECK(cl.run().kafka.mock_brokers == 5);
    CHECK(cl.run().kafka.topology.outcome_timeout == std::chrono::seconds(7));
    CHECK(cl.run().run.command_line ==
          "lpbf-bench --url http://h:1 --threads 3 --no-test --kafka mock:5 --kafka-timeout 7");
  }
  {
    CommandLine cl;
    CHECK(!parse(cl, {"run", "--url=http://h:2", "--kafka", "k1:9092,k2:9092", "--workers", "0"}));
    CHECK(cl.command() == Command::run);
    CHECK(cl.run().run.url == "http://h:2");
    CHECK(cl.run().kafka.brokers == "k1:9092,k2:9092");
    CHECK(cl.run().kafka.mock_brokers == 0);
    CHECK(cl.run().run.kafka_workers == 0);
  }
  {
    CommandLine cl;
    CHECK(!parse(cl, {"--metrics-port", "0", "--metrics-linger", "0"}));
    CHECK(cl.run().run.metrics_port == 0);
    CHECK(cl.run().run.metrics_linger_seconds == 0);
    CommandLine negative;
    CHECK(parse(negative, {"--metrics-linger", "-1"}));
  }
  {
    CommandLine cl;
    CHECK(!parse(cl, {"replay", "some/dir", "--check", "--threads", "2"}));
    CHECK(cl.command() == Command::replay);
    CHECK(cl.replay().dir == "some/dir");
    CHECK(cl.replay().check);
    CHECK(cl.replay().threads == 2);
  }
  {
    CommandLine cl;
    CHECK(!parse(cl, {"challenger", "--port", "0", "--faults", "0.25", "--idle-timeout-ms", "500", "--layout", "raw"}));
    CHECK(cl.command() == Command::challenger);
    CHECK(cl.challenger().port == 0);
    CHECK(cl.challenger().fault_rate == 0.25);
    CHECK(cl.challenger().limits.idle_timeout == std::chrono::milliseconds(500));
    CHECK(cl.challenger().limits.header_timeout == std::chrono::milliseconds(10000));
    CHECK(cl.challenger().dataset.layout == "raw");
  }
  {
    CommandLine cl;
    CHECK(!parse(cl, {"report", "a.json", "b.html", "--html", "c.html"}));
    CHECK(cl.command() == Command::report);
    CHECK(cl.report().run == "a.json");
    CHECK(cl.report().baseline == "b.html");
    CHECK(cl.report().html == "c.html");
  }
  {
    CommandLine cl;
    CHECK(parse(cl, {"--help"}) == 0);
  }
}

TEST_CASE("command line: --rate and sweep --rates") {
  {
    CommandLine cl;
    CHECK(!parse(cl, {"--rate", "500"}));
    CHECK(cl.run().run.rate == 500);
    CHECK(cl.run().run.configuration.find("rate=500") != std::string::npos);
  }
  {
    CommandLine cl;
    CHECK(!parse(cl, {}));
    CHECK(cl.run().run.rate == 0);  // the closed model
  }
  for (const char* bad : {"0", "-5", "nan", "fast"}) {
    CommandLine cl;
    std::string err;
    CHECK(parse(cl, {"--rate", bad}, &err) == kExitSetupError);
    CHECK(err.find("--rate") != std::string::npos);
  }
  {
    CommandLine cl;
    CHECK(!parse(cl, {"sweep", "--rates", "250,500.5,max", "--threads", "1", "--point-seconds", "0.5", "--layers", "3",
                      "--report", "s.json"}));
    CHECK(cl.command() == Command::sweep);
    const SweepArgs& a = cl.sweep();
    CHECK(a.rates == std::vector<double>{250, 500.5, 0});
    CHECK(a.run.run.threads == 1);
    CHECK(a.point_seconds == 0.5);
    CHECK(a.run.dataset.spec.layers == 3);
    CHECK(a.run.report_path == "s.json");
    CHECK(a.run.run.command_line.find("sweep --rates") != std::string::npos);
  }
  {
    CommandLine cl;
    CHECK(!parse(cl, {"sweep"}));
    CHECK(cl.sweep().rates.empty());  // auto
    CHECK(cl.sweep().auto_start == 250);
    CHECK(cl.sweep().auto_points == 10);
    CHECK(cl.sweep().point_seconds == 2);
  }
  for (const char* bad : {"", "250,,500", "250,0", "max,-1", "1e400", "250;500", "auto,250"}) {
    CommandLine cl;
    std::string err;
    INFO(bad);
    CHECK(parse(cl, {"sweep", "--rates", bad}, &err) == kExitSetupError);
    CHECK(err.find("--rates") != std::string::npos);
  }
  CommandLine cl;
  std::string err;
  CHECK(parse(cl, {"sweep", "--rate", "5"}, &err) == kExitSetupError);  // the sweep sets it per point
  CHECK(parse_sweep_rates("auto").empty());
  CHECK(parse_sweep_rates("max") == std::vector<double>{0});
}

TEST_CASE(
    "command line: a usage error exits 2 at once (milliseconds of CPU), before any dataset, socket or mock cluster") {
  const fs::path cache = fresh_dir("cache");
  const std::vector<std::string> mistakes{
      "--bogus --layers 100",  // an unknown option; the dataset it names is never prepared
      "--layers 0",            // out of range
      "--tile 99999",
      "--threads zero",  // not a number
      "--threads 1.5",
      "--connections",                        // no value
      "--layout nope",                        // not one of the layouts
      "--layers 100000 --grid 64",            // a stream too large to hold
      "--url http://127.0.0.1:1 --layers 3",  // dataset options without the embedded challenger
      "--kafka mock --bogus",                 // the mock cluster is not started
      "--kafka mock:17",
      "--threads 2 replay /nonexistent",  // the run's option before another subcommand
      "run run",
      "replay",  // a missing positional
      "replay --threads 0 /nonexistent",
      "challenger --bogus",
      "challenger --faults 2",
      "challenger --faults nan",
      "challenger --port 70000",
      "challenger --dataset /nonexistent --synthetic",
      "challenger --emulate bogus",
      "challenger --first-batch-id -1",
      "challenger --state-file /tmp/x",  // only with --emulate evaluation
      "challenger --emulate local --state-file /tmp/x",
      "worker",  // --kafka is required
      "worker --kafka mock --threads 0",
      "kafka-mock --brokers 0",
      "report",
      "report a.json b.json c.json",
  };
  for (const std::string& args : mistakes) {
    INFO(args);
    // Work done, not wall time (which a busy machine inflates): the CPU time of this command alone.
    // A dataset prepared before the check costs 1.5 s and more; parsing, a few milliseconds.
    const test::MeasuredProcess r =
        test::run_command_measured("LPBF_CACHE_DIR=" + cache.string() + " " + test::binary() + " " + args);
    INFO(r.output);
    INFO("cpu " << r.cpu_seconds << " s");
    CHECK(r.exit_code == 2);
    CHECK(r.cpu_seconds >= 0);
    CHECK(r.cpu_seconds < 0.3);
    CHECK(r.output.rfind("lpbf-bench: ", 0) == 0);
    CHECK(r.output.find("--help` lists the options") != std::string::npos);
    CHECK(r.output.find("preparing") == std::string::npos);
    CHECK(r.output.find("mock Kafka cluster") == std::string::npos);
  }
  CHECK(fs::is_empty(cache));  // no dataset was prepared, nothing cached
  fs::remove_all(cache);
}

TEST_CASE("command line: the messages say what is wrong") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"--threads zero", "lpbf-bench: --threads: takes a whole number, not 'zero'"},
      {"--connections 0", "lpbf-bench: --connections: Value 0 not in range 1 to 256"},
      {"--frobnicate", "lpbf-bench: The following argument was not expected: --frobnicate"},
      {"--layout nope", "--layout: nope not in {raw,"},
      {"--kafka mock:17", "--kafka: mock:N takes 1 to 16 brokers, not 17"},
      {"--kafka mockery", "--kafka: takes brokers or mock[:N], not 'mockery'"},
      {"--threads 2 replay d", "--threads is an option of the run, not of replay"},
      {"replay", "DIR is required\n(`lpbf-bench replay --help` lists the options)"},
      {"worker", "--kafka is required"},
      {"challenger --dataset d --synthetic", "--dataset excludes --synthetic"},
      {"challenger --emulate bogus", "--emulate: bogus not in {evaluation,local}"},
      {"challenger --state-file f", "--state-file: only with --emulate evaluation"},
      {"--layers 100000 --grid 64", "the synthetic stream would hold"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = test::run_command(test::binary() + " " + args);
    INFO(args, "\n", r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(message) != std::string::npos);
  }
}

TEST_CASE("command line: the run takes its URL from $LPBF_URL and its token from $LPBF_APITOKEN; flags win") {
  // Nothing listens on port 1: the message names the URL the run used.
  auto r = test::run_command("LPBF_URL=http://127.0.0.1:1 " + test::binary() + " --quiet");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("cannot create a bench at http://127.0.0.1:1:") != std::string::npos);
  r = test::run_command("LPBF_URL=http://127.0.0.1:1 " + test::binary() + " run --url http://127.0.0.1:2 --quiet");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("cannot create a bench at http://127.0.0.1:2:") != std::string::npos);
  // With $LPBF_URL the embedded challenger is not started, so its options are refused.
  r = test::run_command("LPBF_URL=http://127.0.0.1:1 " + test::binary() + " --layers 3");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--url excludes --layers") != std::string::npos);

  ChallengerHost host(std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small")),
                      "127.0.0.1", 0, 1, "s3cret");
  r = test::run_command("LPBF_URL=" + host.url() + " LPBF_APITOKEN=s3cret " + test::binary() + " --quiet");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  r = test::run_command("LPBF_URL=" + host.url() + " " + test::binary() + " --quiet");  // the default token
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("403") != std::string::npos);
}

TEST_CASE("command line: --config sets the run's options, the command line overrides it, the report records it") {
  ChallengerHost host(std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small")),
                      "127.0.0.1", 0, 1);
  const fs::path dir = fresh_dir("config");
  const fs::path config = dir / "bench.toml", report = dir / "run.json";
  std::ofstream(config) << "# a benchmark configuration\nurl = \"" << host.url()
                        << "\"\nbench-name = \"from-config\"\nconnections = 2\nthreads = 1\nkafka-timeout = 12\n";
  auto r = test::run_command(test::binary() + " --config " + config.string() + " --connections 3 --quiet --report " +
                             report.string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  simdjson::dom::parser parser;
  const std::string json = read_file_bytes(report);
  simdjson::dom::element doc = parser.parse(json);
  CHECK(std::string_view(doc["bench_name"]) == "from-config");  // from the file
  CHECK(int64_t(doc["connections"]) == 3);                      // the command line wins
  CHECK(int64_t(doc["threads"]) == 1);
  CHECK(std::string_view(doc["url"]) == host.url());
  CHECK(std::string_view(doc["command"]).find("--config " + config.string()) != std::string_view::npos);
  const std::string recorded{std::string_view(doc["config"])};
  INFO(recorded);
  for (const std::string& line :
       {"url=\"" + host.url() + "\"", std::string("bench-name=\"from-config\""), std::string("connections=3"),
        std::string("threads=1"), std::string("kafka-timeout=12"), std::string("timeout-ms=10000"),
        std::string("apitoken=\"polimi-deib\"")})
    CHECK(recorded.find(line + "\n") != std::string::npos);
  CHECK(recorded.find("replay.") == std::string::npos);  // the run's options only

  // What the report records is itself a configuration: reading it back runs the same.
  const fs::path again = dir / "again.toml", report2 = dir / "again.json";
  std::ofstream(again) << recorded;
  r = test::run_command(test::binary() + " --config " + again.string() + " --report " + report2.string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  const std::string json2 = read_file_bytes(report2);
  simdjson::dom::element doc2 = parser.parse(json2);
  std::string expected = recorded;
  expected.replace(expected.find(report.string()), report.string().size(), report2.string());
  CHECK(std::string_view(doc2["config"]) == expected);

  // A name the run does not have, or a value out of range, is a usage error like on the command line.
  std::ofstream(dir / "typo.toml") << "conections = 2\n";
  r = test::run_command(test::binary() + " --config " + (dir / "typo.toml").string());
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("conections") != std::string::npos);
  std::ofstream(dir / "range.toml") << "connections = 0\n";
  r = test::run_command(test::binary() + " --config " + (dir / "range.toml").string());
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--connections: Value 0 not in range 1 to 256") != std::string::npos);
  r = test::run_command(test::binary() + " --config " + (dir / "missing.toml").string());
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("missing.toml") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("command line: a --config value with commas stays one value when quoted, as the record writes it") {
  const fs::path dir = fresh_dir("config-commas");
  std::ofstream(dir / "kafka.toml") << "kafka = \"k1:9092,k2:9092\"\nurl = \"http://h:1\"\n";
  CommandLine cl;
  const std::string path = (dir / "kafka.toml").string();
  CHECK(!parse(cl, {"--config", path.c_str()}));
  CHECK(cl.run().kafka.brokers == "k1:9092,k2:9092");
  CHECK(cl.run().run.configuration.find("kafka=\"k1:9092,k2:9092\"\n") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("command line: the recorded configuration leaves out a token other than the default, and excluded options") {
  CommandLine cl;
  CHECK(!parse(cl, {"--url", "http://h:1", "--apitoken", "s3cret", "--threads", "2"}));
  const std::string& config = cl.run().run.configuration;
  CHECK(config.find("s3cret") == std::string::npos);
  CHECK(config.find("# apitoken: given, not recorded\n") != std::string::npos);
  CHECK(config.find("threads=2\n") != std::string::npos);
  CHECK(config.find("url=\"http://h:1\"\n") != std::string::npos);
  CHECK(config.find("max-batches") == std::string::npos);  // not given, and no default value: "all"
  CHECK(config.find("layers=") == std::string::npos);      // the embedded challenger's: --url excludes them

  CommandLine embedded;
  CHECK(!parse(embedded, {"--dataset", "some/dir"}));
  const std::string& with_dataset = embedded.run().run.configuration;
  CHECK(with_dataset.find("dataset=\"some/dir\"\n") != std::string::npos);
  CHECK(with_dataset.find("synthetic=") == std::string::npos);  // --dataset excludes it
  CHECK(with_dataset.find("layers=12\n") != std::string::npos);
}

// docs/architecture.md, "Who may include whom": main -> core/commands -> {core/challenger, core/kafka, core/report}
// -> core/pipeline -> io -> analysis, each folder free to include any further along; the three
// subsystems never include each other; CLI11 only in the commands layer.
TEST_CASE("layers: every #include follows the arrows between folders") {
  const fs::path root = fs::path(LPBF_FUZZ_DIR).parent_path().parent_path();
  const std::vector<std::pair<std::string, std::vector<std::string>>> may_include{
      {"analysis", {"analysis/"}},
      {"io", {"io/", "analysis/"}},
      {"core/pipeline", {"core/pipeline/", "io/", "analysis/"}},
      {"core/challenger", {"core/challenger/", "core/pipeline/", "io/", "analysis/"}},
      {"core/kafka", {"core/kafka/", "core/pipeline/", "io/", "analysis/"}},
      {"core/report", {"core/report/", "core/pipeline/", "io/", "analysis/"}},
  };
  size_t files = 0;
  for (const auto& [dir, allowed] : may_include) {
    for (const auto& e : fs::directory_iterator(root / dir)) {
      if (e.path().extension() != ".h" && e.path().extension() != ".cpp") continue;
      ++files;
      std::ifstream in(e.path());
      for (std::string line; std::getline(in, line);) {
        if (line.rfind("#include", 0) != 0) continue;
        INFO(e.path().string(), ": ", line);
        CHECK(line.find("<CLI/") == std::string::npos);
        const size_t quote = line.find('"');
        if (quote == std::string::npos) continue;  // a library's header
        const std::string target = line.substr(quote + 1);
        bool ok = false;
        for (const std::string& prefix : allowed) ok |= target.rfind(prefix, 0) == 0;
        CHECK(ok);
      }
    }
  }
  CHECK(files > 50);
}
