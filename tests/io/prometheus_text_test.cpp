// Prometheus' text exposition format (0.0.4): what io/prometheus_text.h writes, and the /metrics
// of the runner, the challenger and a Kafka worker, read by a strict parser of the format's grammar
// written here from the format's specification; then by Prometheus itself (Debian's `prometheus`
// package: promtool on each endpoint's text, and a real server scraping a run).
#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <condition_variable>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "core/commands/benchmark_run.h"
#include "core/challenger/challenger.h"
#include "core/challenger/challenger_host.h"
#include "core/kafka/kafka_options.h"
#include "core/kafka/kafka_worker.h"
#include "core/pipeline/run_metrics.h"
#include "core/challenger/synthetic_stream.h"
#include "io/golden_dataset.h"
#include "io/msgpack_codec.h"
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
      const bool ok =
          name == current || (f.type == "histogram" &&
                              (name == current + "_bucket" || name == current + "_sum" || name == current + "_count"));
      if (!ok) throw std::runtime_error(where + " (sample outside its family " + current + ")");
      const std::string v = m[7];
      const double value = v == "NaN"                  ? NAN
                           : v == "+Inf" || v == "Inf" ? INFINITY
                           : v == "-Inf"               ? -INFINITY
                                                       : std::stod(v);
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

// The whole response to GET `target`, header and body, as a server sent it.
std::string raw_get(unsigned short port, const std::string& target) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  boost::asio::write(
      socket, boost::asio::buffer("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  std::string out;
  boost::system::error_code ec;
  boost::asio::read(socket, boost::asio::dynamic_buffer(out), ec);
  return out;
}

// A loopback port free now (bound, read, closed).
unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// The program's path when it is on PATH, else "".
std::string on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::filesystem::path p = std::filesystem::path(dir) / program;
    if (!dir.empty() && ::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

// Decides whether the Prometheus tests run (at start-up, as doctest's skip decorator is read); says
// once on stderr when they are skipped.
bool prometheus_installed() {
  static const bool installed = [] {
    const bool found = !on_path("prometheus").empty() && !on_path("promtool").empty();
    if (!found)
      std::fprintf(stderr,
                   "lpbf-tests: prometheus/promtool not on PATH: the Prometheus tests are SKIPPED "
                   "(install Debian's prometheus package: make test-deps)\n");
    return found;
  }();
  return installed;
}

// What `promtool check metrics` says of an exposition text ("" when it finds nothing).
std::string promtool_problems(const std::string& text) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("lpbf-promtool-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << text;
  const test::ProcessResult r = test::run_command("promtool check metrics < " + file.string());
  std::filesystem::remove(file);
  return r.exit_code == 0 && r.output.find_first_not_of(" \n") == std::string::npos
             ? ""
             : r.output + " (exit " + std::to_string(r.exit_code) + ")";
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
  CHECK_THROWS(parse_exposition(
      "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n"));
}

TEST_CASE("the runner's /metrics during and at the end of a run, and the challenger's after it") {
  // The challenger holds the run's 5th result until the runner's endpoint has been scraped: the scrape
  // is mid-run by construction (never fewer than 20 answered by luck of timing).
  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  Challenger challenger(ds);
  std::mutex m;
  std::condition_variable cv;
  int results = 0;
  bool holding = false, released = false;
  boost::asio::io_context io;
  HttpServer server(io, "127.0.0.1", 0, [&](const HttpRequest& r) {
    if (r.target.find("/api/result/") != std::string::npos) {
      std::unique_lock lock(m);
      if (++results == 5) {
        holding = true;
        cv.notify_all();
        cv.wait(lock, [&] { return released; });
      }
    }
    return challenger.handle(r);
  });
  std::thread server_thread([&] { io.run(); });
  auto release = [&] {
    std::lock_guard lock(m);
    released = true;
    cv.notify_all();
  };

  RunOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(server.port());
  o.threads = 1;
  o.connections = 1;
  o.metrics_port = 0;
  o.metrics_linger_seconds = 0;
  std::atomic<unsigned> metrics_port{0};
  o.on_metrics_listening = [&](unsigned short p) { metrics_port = p; };
  RunResult result;
  std::thread run([&] { result = run_benchmark(o); });
  {
    std::unique_lock lock(m);
    CHECK(cv.wait_for(lock, std::chrono::seconds(120), [&] { return holding; }));
  }
  // The runner counts an answer once its acknowledgement is read: wait for the first to show.
  test::HttpTestClient scraper("http://127.0.0.1:" + std::to_string(metrics_port.load()));
  HttpResponse mid;
  std::map<std::string, Family> f;
  double answered = 0;
  for (int attempt = 0; attempt < 1200 && !(answered >= 1); ++attempt) {  // 60 s at most
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    mid = scraper.call(http::verb::get, "/metrics");
    if (mid.status != 200) continue;
    try {
      f = parse_exposition(body_of(mid));
    } catch (const std::runtime_error&) {
      continue;  // checked below, once more
    }
    answered = value_of(f, "lpbf_batches_total", "lpbf_batches_total{outcome=\"answered\"}");
  }
  const std::string raw = raw_get(static_cast<unsigned short>(metrics_port.load()), "/metrics");
  release();
  CHECK(raw.find("\r\nServer: lpbf-bench runner\r\n") != std::string::npos);
  run.join();
  INFO(describe_failure(scraper.error, mid));
  CHECK(mid.status == 200);
  CHECK_NOTHROW(f = parse_exposition(body_of(mid)));
  for (const char* family : {"lpbf_batches_total", "lpbf_latency_seconds", "lpbf_in_flight", "lpbf_stage_seconds_total",
                             "lpbf_queue_depth", "lpbf_batches_fetched_total"})
    CHECK(f.count(family) == 1);
  CHECK(answered >= 1);
  CHECK(answered <= 4);  // the 5th result was held by the challenger while scraping
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
  CHECK(raw_get(server.port(), "/metrics").find("\r\nServer: lpbf-bench challenger\r\n") != std::string::npos);
  io.stop();
  server_thread.join();
}

// Timing: the scrape must come within the 2 s linger (the linger is a duration by definition).
TEST_CASE("--metrics-linger: the runner's endpoint serves the final counts after the run, once told it ended" *
          doctest::test_suite("timing")) {
  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  ChallengerHost host(ds, "127.0.0.1", 0, 1);
  RunOptions o;
  o.url = host.url();
  o.threads = 1;
  o.metrics_port = 0;
  o.metrics_linger_seconds = 2;
  std::atomic<unsigned> metrics_port{0};
  std::promise<std::chrono::steady_clock::time_point> ended;  // when the runner said the run ended
  std::atomic<size_t> answered_when_ended{0};
  o.on_metrics_listening = [&](unsigned short p) { metrics_port = p; };
  o.on_run_ended = [&](const RunResult& r) {
    answered_when_ended = r.ledger.answered;
    ended.set_value(std::chrono::steady_clock::now());
  };
  std::atomic<bool> returned{false};
  RunResult result;
  std::thread run([&] {
    result = run_benchmark(o);
    returned = true;
  });
  const auto ended_at = ended.get_future().get();
  CHECK(answered_when_ended == 20);
  std::map<std::string, Family> f;
  CHECK_NOTHROW(
      f = parse_exposition(body_of(test::HttpTestClient("http://127.0.0.1:" + std::to_string(metrics_port.load()))
                                       .call(http::verb::get, "/metrics"))));
  CHECK(value_of(f, "lpbf_batches_total", "lpbf_batches_total{outcome=\"answered\"}") == 20);
  CHECK(value_of(f, "lpbf_latency_seconds", "lpbf_latency_seconds_count") == 20);
  CHECK(value_of(f, "lpbf_in_flight", "lpbf_in_flight") == 0);
  CHECK_FALSE(returned.load());  // still lingering
  run.join();
  CHECK(result.ledger.answered == 20);
  CHECK(std::chrono::steady_clock::now() - ended_at >=
        std::chrono::seconds(2));  // lingered its 2 s, measured from the end
  // Gone once the linger is over.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket probe(io);
  boost::system::error_code ec;
  probe.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(metrics_port.load())}, ec);
  CHECK(ec);
}

// Timing: SIGINT must end a 600 s linger within 10 s.
TEST_CASE(
    "--metrics-linger on the command line: the summary first, a word on stderr, and Ctrl-C (SIGINT) cuts it short" *
    doctest::test_suite("timing")) {
  const unsigned short port = free_port();
  test::Background run(test::binary() + " --layers 4 --tile 64 --threads 1 --metrics-port " + std::to_string(port) +
                       " --metrics-linger 600");
  REQUIRE(run.wait_for("stay up 600 s", std::chrono::seconds(60)));
  const std::string out = run.output();
  CHECK(out.find("64 answered") != std::string::npos);
  CHECK(out.find("challenger: ") < out.find("stay up 600 s"));  // the summary's last line before the linger
  const auto m = parse_exposition(
      body_of(test::HttpTestClient("http://127.0.0.1:" + std::to_string(port)).call(http::verb::get, "/metrics")));
  CHECK(value_of(m, "lpbf_batches_total", "lpbf_batches_total{outcome=\"answered\"}") == 64);
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(run.pid, SIGINT);
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gone = ::kill(run.pid, 0) != 0 ||
           test::run_command("ps -o stat= -p " + std::to_string(run.pid)).output.find('Z') != std::string::npos;
  }
  CHECK(gone);
}

// Timing: besides the work bound, a bound on the scrape's time (best of 30).
TEST_CASE("the challenger's /metrics costs the same at 1k and 100k results: kept as results arrive, never rebuilt" *
          doctest::test_suite("timing")) {
  SyntheticSpec spec;
  spec.layers = 1000, spec.grid = 4, spec.tile = 8;  // 16000 batches of 8 x 8 pixels
  auto ds = std::make_shared<const ServedDataset>(make_synthetic_dataset(spec));
  Challenger c(ds);
  const size_t per_bench = ds->batches.size();
  std::vector<std::string> bodies;
  for (const TileResult& r : ds->expected) bodies.push_back(encode_result(r));
  size_t results = 0;
  // Results in whole benches; a bench answers every batch it served.
  auto add_results = [&](size_t n) {
    while (n > 0) {
      const HttpReply created =
          c.handle({"POST", "/api/create", R"({"apitoken": "polimi-deib", "name": "m", "test": true})"});
      REQUIRE(created.status == 200);
      const std::string bench = created.body.substr(1, created.body.size() - 2 - (created.body.back() == '\n'));
      REQUIRE(c.handle({"POST", "/api/start/" + bench, ""}).status == 200);
      const size_t k = std::min(n, per_bench);
      for (size_t i = 0; i < k; ++i) {
        const HttpReply b = c.handle({"GET", "/api/next_batch/" + bench, ""});
        REQUIRE(b.status == 200);
        const HttpReply r =
            c.handle({"POST", "/api/result/0/" + bench + "/" + std::to_string(ds->expected[i].batch_id), bodies[i]});
        REQUIRE(r.status == 200);
      }
      REQUIRE(c.handle({"POST", "/api/end/" + bench, ""}).status == 200);
      results += k, n -= k;
    }
  };
  // The best of many scrapes, and how many histogram observations the scrapes made.
  auto scrape = [&](double& best_us, uint64_t& observations) {
    const uint64_t before = histogram_observations();
    best_us = 1e9;
    for (int i = 0; i < 30; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const HttpReply m = c.handle({"GET", "/metrics", ""});
      best_us =
          std::min(best_us, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      REQUIRE(m.status == 200);
    }
    observations = histogram_observations() - before;
    const auto f = parse_exposition(c.handle({"GET", "/metrics", ""}).body);
    CHECK(value_of(f, "lpbf_challenger_latency_seconds", "lpbf_challenger_latency_seconds_count") == double(results));
    CHECK(value_of(f, "lpbf_challenger_results_total", "lpbf_challenger_results_total{verdict=\"correct\"}") ==
          double(results));
    CHECK(value_of(f, "lpbf_challenger_batches_served_total", "lpbf_challenger_batches_served_total") ==
          double(results));
  };
  double small_us = 0, large_us = 0;
  uint64_t small_work = 0, large_work = 0;
  add_results(1000);
  scrape(small_us, small_work);
  add_results(99000);
  scrape(large_us, large_work);
  MESSAGE("a scrape at 1k results: " << small_us << " us; at 100k: " << large_us << " us");
  // The work bound: a scrape observes nothing (it rebuilt the histogram from every latency before).
  CHECK(small_work == 0);
  CHECK(large_work == 0);
  // And a generous time bound (the rebuild cost 7x at 16x the results; here 100x).
  CHECK(large_us < 5 * small_us + 50);
}

TEST_CASE("the runner's /metrics has the Kafka group's lag only when it was measured") {
  RunLedger ledger;
  StageMetrics stages;
  const auto without = parse_exposition(run_metrics_text(ledger, stages, {0, 0, -1}));
  CHECK(without.count("lpbf_kafka_group_lag") == 0);
  const auto with = parse_exposition(run_metrics_text(ledger, stages, {0, 0, 42}));
  CHECK(with.at("lpbf_kafka_group_lag").type == "gauge");
  CHECK(value_of(with, "lpbf_kafka_group_lag", "lpbf_kafka_group_lag") == 42);
  // One meaning per name: a worker's lag is another family, so sum() over both cannot mix them.
  CHECK(with.count("lpbf_worker_partition_lag") == 0);
  CHECK(with.count("lpbf_kafka_consumer_lag") == 0);
}

TEST_CASE("the runner's /metrics observes only the latencies added since the last scrape") {
  RunLedger ledger;
  StageMetrics stages;
  RunMetrics metrics;
  ledger.latencies_ms.assign(1000, 2.5);
  ledger.answered = 1000;
  uint64_t before = histogram_observations();
  auto f = parse_exposition(metrics.text(ledger, stages, {0, 0, -1}));
  CHECK(histogram_observations() - before == 1000);
  CHECK(value_of(f, "lpbf_latency_seconds", "lpbf_latency_seconds_bucket{le=\"0.003\"}") == 1000);
  CHECK(value_of(f, "lpbf_latency_seconds", "lpbf_latency_seconds_bucket{le=\"0.002\"}") == 0);
  ledger.latencies_ms.push_back(7);
  before = histogram_observations();
  f = parse_exposition(metrics.text(ledger, stages, {0, 0, -1}));
  CHECK(histogram_observations() - before == 1);
  CHECK(value_of(f, "lpbf_latency_seconds", "lpbf_latency_seconds_count") == 1001);
  CHECK(value_of(f, "lpbf_latency_seconds", "lpbf_latency_seconds_bucket{le=\"0.006\"}") == 1000);
  CHECK(value_of(f, "lpbf_latency_seconds", "lpbf_latency_seconds_bucket{le=\"0.008\"}") == 1001);
  CHECK(value_of(f, "lpbf_latency_seconds", "lpbf_latency_seconds_sum") == doctest::Approx(2.507));
  before = histogram_observations();
  metrics.text(ledger, stages, {0, 0, -1});
  CHECK(histogram_observations() == before);  // nothing new, nothing observed
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
  CHECK(value_of(before, "lpbf_worker_partition_lag", "lpbf_worker_partition_lag") >= 0);
  CHECK(before.count("lpbf_kafka_group_lag") == 0);
  CHECK(raw_get(static_cast<unsigned short>(std::stoi(m[1].str().substr(m[1].str().rfind(':') + 1))), "/metrics")
            .find("\r\nServer: lpbf-bench worker\r\n") != std::string::npos);

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
  CHECK(after.at("lpbf_worker_partition_lag").type == "gauge");
}

TEST_CASE(
    "promtool check metrics finds nothing in the runner's, the challenger's or a worker's text" *
    doctest::skip(!prometheus_installed()) *
    doctest::description("skipped when Debian's prometheus package (promtool) is not installed: make test-deps")) {
  REQUIRE_MESSAGE(prometheus_installed(),
                  "promtool is not on PATH: install Debian's prometheus package (make test-deps)");
  RunLedger ledger;
  ledger.answered = 3;
  ledger.latencies_ms = {0.7, 2.5, 9};
  StageMetrics stages;
  CHECK(promtool_problems(run_metrics_text(ledger, stages, {1, 2, 42})) == "");
  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  Challenger c(ds);
  CHECK(promtool_problems(c.handle({"GET", "/metrics", ""}).body) == "");
  KafkaWorkerGauges gauges;
  CHECK(promtool_problems(worker_metrics_text(gauges)) == "");
}

TEST_CASE("a real Prometheus scraping a run each second holds the run's final answered count (--metrics-linger 3)" *
          doctest::skip(!prometheus_installed()) * doctest::test_suite("timing") *
          doctest::description("skipped when Debian's prometheus package is not installed: make test-deps")) {
  REQUIRE_MESSAGE(prometheus_installed(),
                  "prometheus is not on PATH: install Debian's prometheus package (make test-deps)");
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("lpbf-prometheus-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "data");
  const unsigned short metrics = free_port(), web = free_port();
  std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                                           "scrape_configs:\n  - job_name: lpbf-runner\n    static_configs:\n"
                                           "      - targets: ['127.0.0.1:"
                                        << metrics << "']\n";
  test::Background prometheus("prometheus --config.file=" + (dir / "prometheus.yml").string() +
                              " --storage.tsdb.path=" + (dir / "data").string() +
                              " --web.listen-address=127.0.0.1:" + std::to_string(web));
  test::HttpTestClient api("http://127.0.0.1:" + std::to_string(web));
  bool ready = false;
  for (int i = 0; i < 150 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ready = api.call(http::verb::get, "/-/ready").status == 200;
  }
  INFO(prometheus.output());
  REQUIRE(ready);
  // Its scrape loop starts a few seconds after ready (discovery updates are applied every 5 s):
  // wait until it has tried the target once (down, nothing listens yet).
  bool scraping = false;
  for (int i = 0; i < 150 && !scraping; ++i) {
    const std::string targets = body_of(api.call(http::verb::get, "/api/v1/targets"));
    scraping = targets.find("127.0.0.1:" + std::to_string(metrics)) != std::string::npos &&
               targets.find("\"health\":\"down\"") != std::string::npos;
    if (!scraping) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE(scraping);

  const test::ProcessResult run =
      test::run_command(test::binary() + " --layers 40 --tile 64 --threads 1 --metrics-port " +
                        std::to_string(metrics) + " --metrics-linger 3");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(run.output, m, std::regex("([0-9]+) fetched, ([0-9]+) answered")));
  const double answered = std::stod(m[2]);
  CHECK(answered == 640);
  // The target is gone now (its series marked stale): the last value scraped, over the last minute.
  const HttpResponse q = api.call(
      http::verb::get, "/api/v1/query?query=last_over_time(lpbf_batches_total%7Boutcome%3D%22answered%22%7D%5B1m%5D)");
  const std::string body = body_of(q);
  INFO(body);
  REQUIRE(q.status == 200);
  std::smatch v;
  REQUIRE(std::regex_search(body, v, std::regex(R"x("value":\[[0-9.]+,"([0-9.e+]+)"\])x")));
  CHECK(std::stod(v[1]) == answered);
  fs::remove_all(dir);
}
