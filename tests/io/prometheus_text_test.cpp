// Prometheus' text exposition format (0.0.4): what io/prometheus_text.h writes, and the /metrics
// of the runner and the challenger, read by a strict parser of the format's grammar written here
// from the format's specification (no Prometheus tool is packaged in Debian 12).
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "core/commands/benchmark_run.h"
#include "core/challenger/challenger.h"
#include "core/challenger/challenger_host.h"
#include "core/kafka/kafka_options.h"
#include "core/pipeline/run_metrics.h"
#include "io/golden_dataset.h"
#include "io/prometheus_text.h"
#include "tests/http_test_client.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace http = boost::beast::http;

namespace {

struct Family {
  std::string type, help;
  std::vector<std::pair<std::string, double>> samples;  // "name{labels}" as written, value
};

// Throws std::runtime_error naming the line that breaks the grammar: every sample belongs to a
// family announced by HELP and TYPE before it, names and label names are legal, label values are
// quoted with only \\, \" and \n escapes, values are floats (or NaN, +Inf, -Inf); a histogram's
// buckets rise in `le`, are cumulative, end with +Inf, and the +Inf bucket equals _count.
std::map<std::string, Family> parse_exposition(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\["\\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\["\\n])*")*\})? ([-+]?([0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|Inf)|NaN)( -?[0-9]+)?)");
  std::map<std::string, Family> families;
  std::string current;
  std::istringstream in(text);
  int n = 0;
  if (text.empty() || text.back() != '\n') throw std::runtime_error("the text does not end with a newline");
  for (std::string line; std::getline(in, line);) {
    ++n;
    const std::string where = "line " + std::to_string(n) + ": " + line;
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      current = m[1];
      if (families.count(current)) throw std::runtime_error(where + " (family announced twice)");
      families[current].help = m[2];
    } else if (std::regex_match(line, m, type)) {
      if (m[1] != current) throw std::runtime_error(where + " (TYPE without its HELP)");
      families[current].type = m[2];
    } else if (std::regex_match(line, m, sample)) {
      const std::string name = m[1];
      if (current.empty() || families[current].type.empty()) throw std::runtime_error(where + " (sample before TYPE)");
      const Family& f = families[current];
      const bool ok = name == current ||
                      (f.type == "histogram" && (name == current + "_bucket" || name == current + "_sum" || name == current + "_count"));
      if (!ok) throw std::runtime_error(where + " (sample outside its family " + current + ")");
      const std::string v = m[7];
      const double value = v == "NaN" ? NAN : v == "+Inf" || v == "Inf" ? INFINITY : v == "-Inf" ? -INFINITY : std::stod(v);
      families[current].samples.push_back({name + m[2].str(), value});
    } else {
      throw std::runtime_error(where + " (not HELP, TYPE or a sample)");
    }
  }
  for (const auto& [name, f] : families) {
    if (f.type != "histogram") continue;
    double last_le = -INFINITY, last_count = 0, count = -1;
    bool inf = false;
    for (const auto& [s, v] : f.samples) {
      std::smatch m;
      if (std::regex_search(s, m, std::regex(R"(_bucket\{.*le="([^"]+)\"\})"))) {
        const double le = m[1] == "+Inf" ? INFINITY : std::stod(m[1]);
        if (le <= last_le) throw std::runtime_error(name + ": buckets do not rise in le");
        if (v < last_count) throw std::runtime_error(name + ": buckets are not cumulative");
        last_le = le, last_count = v, inf = std::isinf(le);
      } else if (s.find("_count") != std::string::npos) {
        count = v;
      }
    }
    if (!inf) throw std::runtime_error(name + ": no +Inf bucket");
    if (count != last_count) throw std::runtime_error(name + ": the +Inf bucket is not _count");
  }
  return families;
}

// The body as sent (HttpResponse::text() trims the final newline the format requires).
std::string body_of(const HttpResponse& r) { return std::string(r.body.begin(), r.body.end()); }

double value_of(const std::map<std::string, Family>& f, const std::string& family, const std::string& sample) {
  if (!f.count(family)) return NAN;
  for (const auto& [s, v] : f.at(family).samples)
    if (s == sample) return v;
  MESSAGE("no sample " << sample << " in " << family);
  return NAN;
}

}  // namespace

TEST_CASE("the exposition writer's text passes the strict parser: families, escapes, histograms") {
  PrometheusText t;
  t.counter("x_total", "a counter\nwith a \\ in its help", {{{{"path", "a\"b\\c\nd"}}, 3}, {{}, 1e20}});
  t.gauge("y", "a gauge", {{{}, NAN}, {{{"k", "v"}, {"l", "w"}}, -2.5}});
  t.histogram("z_seconds", "a histogram", histogram_of({0.0001, 0.003, 0.003, 7, 50}, kLatencyBucketsSeconds));
  const auto f = parse_exposition(t.str());
  CHECK(f.at("x_total").type == "counter");
  CHECK(f.at("x_total").help == "a counter\\nwith a \\\\ in its help");
  CHECK(value_of(f, "x_total", "x_total{path=\"a\\\"b\\\\c\\nd\"}") == 3);
  CHECK(value_of(f, "z_seconds", "z_seconds_count") == 5);
  CHECK(value_of(f, "z_seconds", "z_seconds_bucket{le=\"0.0005\"}") == 1);
  CHECK(value_of(f, "z_seconds", "z_seconds_bucket{le=\"0.005\"}") == 3);
  CHECK(value_of(f, "z_seconds", "z_seconds_bucket{le=\"10\"}") == 4);
  CHECK(value_of(f, "z_seconds", "z_seconds_bucket{le=\"+Inf\"}") == 5);
  CHECK(value_of(f, "z_seconds", "z_seconds_sum") == doctest::Approx(57.0061));
  // The parser is strict: it refuses what the format does not allow.
  CHECK_THROWS(parse_exposition("a 1\n"));
  CHECK_THROWS(parse_exposition("# HELP a x\n# TYPE a counter\nb 1\n"));
  CHECK_THROWS(parse_exposition("# HELP a x\n# TYPE a counter\na{k=\"v} 1\n"));
  CHECK_THROWS(parse_exposition("# HELP a x\n# TYPE a counter\na 1"));
  CHECK_THROWS(parse_exposition("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n"));
}

TEST_CASE("the runner's /metrics during and at the end of a run, and the challenger's after it") {
  // A challenger slowed to ~200 batches/s, so the run lasts long enough to scrape mid-way.
  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  Challenger challenger(ds);
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [&](const HttpRequest& r) {
    if (r.target.find("next_batch") != std::string::npos) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return challenger.handle(r);
  });
  std::thread server_thread([&] { io.run(); });

  RunOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(server.port());
  o.threads = 1;
  o.connections = 1;
  o.metrics_port = 0;
  std::atomic<unsigned> metrics_port{0};
  o.on_metrics_listening = [&](unsigned short p) { metrics_port = p; };
  RunResult result;
  std::thread run([&] { result = run_benchmark(o); });
  while (metrics_port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  test::HttpTestClient scraper("http://127.0.0.1:" + std::to_string(metrics_port.load()));
  const HttpResponse mid = scraper.call(http::verb::get, "/metrics");
  run.join();
  INFO(describe_failure(scraper.error, mid));
  CHECK(mid.status == 200);
  std::map<std::string, Family> f;
  CHECK_NOTHROW(f = parse_exposition(body_of(mid)));
  for (const char* family : {"lpbf_batches_total", "lpbf_latency_seconds", "lpbf_in_flight", "lpbf_stage_seconds_total",
                             "lpbf_queue_depth", "lpbf_batches_fetched_total"})
    CHECK(f.count(family) == 1);
  const double answered = value_of(f, "lpbf_batches_total", "lpbf_batches_total{outcome=\"answered\"}");
  CHECK(answered > 0);
  CHECK(answered < 20);  // mid-run
  CHECK(value_of(f, "lpbf_latency_seconds", "lpbf_latency_seconds_count") == answered);
  CHECK(result.ledger.answered == 20);

  const HttpResponse after = test::HttpTestClient(o.url).call(http::verb::get, "/metrics");
  REQUIRE(after.status == 200);
  std::map<std::string, Family> c;
  CHECK_NOTHROW(c = parse_exposition(body_of(after)));
  CHECK(value_of(c, "lpbf_challenger_batches_served_total", "lpbf_challenger_batches_served_total") == 20);
  CHECK(value_of(c, "lpbf_challenger_results_total", "lpbf_challenger_results_total{verdict=\"correct\"}") == 20);
  CHECK(value_of(c, "lpbf_challenger_results_total", "lpbf_challenger_results_total{verdict=\"wrong\"}") == 0);
  CHECK(value_of(c, "lpbf_challenger_latency_seconds", "lpbf_challenger_latency_seconds_count") == 20);
  CHECK(value_of(c, "lpbf_challenger_benches", "lpbf_challenger_benches{state=\"ended\"}") == 1);
  io.stop();
  server_thread.join();
}

TEST_CASE("the runner's /metrics has the Kafka group's lag only when it was measured") {
  RunLedger ledger;
  StageMetrics stages;
  const auto without = parse_exposition(run_metrics_text(ledger, stages, {0, 0, -1}));
  CHECK(without.count("lpbf_kafka_consumer_lag") == 0);
  const auto with = parse_exposition(run_metrics_text(ledger, stages, {0, 0, 42}));
  CHECK(with.at("lpbf_kafka_consumer_lag").type == "gauge");
  CHECK(value_of(with, "lpbf_kafka_consumer_lag", "lpbf_kafka_consumer_lag") == 42);
}

TEST_CASE("a metrics port already taken fails the run before a bench is created") {
  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  ChallengerHost host(ds, "127.0.0.1", 0, 1);
  RunOptions o;
  o.url = host.url();
  o.metrics_port = host.port();  // taken by the challenger itself
  CHECK_THROWS_WITH_AS(run_benchmark(o), doctest::Contains("cannot serve metrics"), SetupError);
  const auto m = parse_exposition(body_of(test::HttpTestClient(host.url()).call(http::verb::get, "/metrics")));
  CHECK(value_of(m, "lpbf_challenger_benches_total", "lpbf_challenger_benches_total") == 0);
}

TEST_CASE("a Kafka worker's /metrics: its answers and its consumer lag, read while it serves a run") {
  KafkaTopology t;
  t.partitions = 2;
  const auto cluster = start_mock_kafka(t, 1);
  test::Background worker(test::binary() + " worker --kafka " + t.kafka.brokers + " --partitions 2 --metrics-port 0");
  REQUIRE(worker.wait_for("metrics at http://127.0.0.1:"));
  std::smatch m;
  const std::string out = worker.output();
  REQUIRE(std::regex_search(out, m, std::regex("metrics at (http://127\\.0\\.0\\.1:[0-9]+)/metrics")));
  test::HttpTestClient scraper(m[1]);
  const auto before = parse_exposition(body_of(scraper.call(http::verb::get, "/metrics")));
  CHECK(value_of(before, "lpbf_worker_batches_total", "lpbf_worker_batches_total{outcome=\"answered\"}") == 0);
  CHECK(value_of(before, "lpbf_kafka_consumer_lag", "lpbf_kafka_consumer_lag") >= 0);

  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  ChallengerHost host(ds, "127.0.0.1", 0, 1);
  RunOptions o;
  o.url = host.url();
  o.kafka = t;
  o.kafka_workers = 0;  // the worker process answers
  const RunResult r = run_benchmark(o);
  REQUIRE(r.ledger.answered == 20);
  std::map<std::string, Family> after;
  CHECK_NOTHROW(after = parse_exposition(body_of(scraper.call(http::verb::get, "/metrics"))));
  CHECK(value_of(after, "lpbf_worker_batches_total", "lpbf_worker_batches_total{outcome=\"answered\"}") == 20);
  CHECK(value_of(after, "lpbf_worker_batches_total", "lpbf_worker_batches_total{outcome=\"failed\"}") == 0);
  CHECK(after.at("lpbf_kafka_consumer_lag").type == "gauge");
}
