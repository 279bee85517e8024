// The Kafka adapter on librdkafka's mock cluster (loopback only): exact end to end, bytes and
// per-tile order through a topic, unreachable brokers, and a worker killed mid-run.
#include <doctest/doctest.h>
#include <simdjson.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "core/challenger_host.h"
#include "io/golden_dataset.h"
#include "io/kafka.h"
#include "io/msgpack_codec.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

int64_t verdict(Challenger& c, const char* key) {
  const std::string h = c.handle({"GET", "/api/history", ""}).body;
  simdjson::dom::parser p;
  int64_t v = -1;
  for (simdjson::dom::element e : p.parse(h).get_array()) v = int64_t(e[key]);
  return v;
}

// A process started in the background, its output in a file, killed when the object goes.
struct Background {
  explicit Background(const std::string& command) {
    out = fs::temp_directory_path() / ("lpbf-bg-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    const fs::path pidfile = out.string() + ".pid";
    std::system((command + " > " + out.string() + " 2>&1 & echo $! > " + pidfile.string()).c_str());
    std::ifstream(pidfile) >> pid;
    fs::remove(pidfile);
  }
  ~Background() {
    if (pid > 0) ::kill(pid, SIGKILL);
    fs::remove(out);
  }
  std::string output() const { return fs::exists(out) ? read_file_bytes(out) : std::string(); }
  // Waits until the output contains `text`.
  bool wait_for(const std::string& text, std::chrono::seconds limit = std::chrono::seconds(20)) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  fs::path out;
  int pid = -1;
  static inline int counter = 0;
};

}  // namespace

TEST_CASE("kafka: golden/small exact through --kafka mock --workers 2") {
  ChallengerHost host(std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small")),
                      "127.0.0.1", 0, 1);
  const auto r = test::run_command(test::binary() + " --url " + host.url() + " --kafka mock --workers 2");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("mock Kafka cluster at 127.0.0.1:") != std::string::npos);
  CHECK(verdict(host.challenger(), "results") == 20);
  CHECK(verdict(host.challenger(), "wrong") == 0);
  CHECK(verdict(host.challenger(), "duplicates") == 0);
}

TEST_CASE("kafka: a batch's bytes survive the topic, and each tile's layers stay in order") {
  MockKafkaCluster cluster(3);
  cluster.create_topic("rt-raw", 8);
  const KafkaOptions options{cluster.bootstraps()};
  const GoldenDataset golden = load_golden_dataset(test::golden_dir() / "small");
  std::map<int64_t, std::string> sent;
  {
    KafkaProducer producer(options);
    for (size_t i = 0; i < golden.manifest.size(); ++i) {
      const Batch b = golden.load_batch(i);
      sent[b.batch_id] = encode_batch(b);
      REQUIRE(producer.produce("rt-raw", "bench|" + b.print_id + "/" + std::to_string(b.tile_id), sent[b.batch_id]) == "");
    }
    REQUIRE(producer.flush(std::chrono::seconds(10)) == "");
  }
  KafkaConsumer consumer(options, "rt-group", "rt-raw");
  std::map<std::string, int64_t> last_of_tile;
  std::map<std::string, int32_t> partition_of_tile;
  size_t received = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (received < sent.size() && std::chrono::steady_clock::now() < end) {
    const auto m = consumer.poll(std::chrono::milliseconds(100));
    if (!m) continue;
    const DecodedBatch d = decode_batch(m->value);
    REQUIRE(d.ok());
    CHECK(std::string(m->value.begin(), m->value.end()) == sent[d.batch.batch_id]);  // byte for byte
    auto [it, fresh] = partition_of_tile.emplace(m->key, m->partition);
    CHECK(it->second == m->partition);          // one tile, one partition
    if (last_of_tile.count(m->key)) CHECK(d.batch.batch_id > last_of_tile[m->key]);  // in order
    last_of_tile[m->key] = d.batch.batch_id;
    ++received;
  }
  CHECK(received == sent.size());
  CHECK(partition_of_tile.size() == 4);
}

TEST_CASE("kafka: unreachable brokers are a set-up error within seconds") {
  const auto start = std::chrono::steady_clock::now();
  const auto r = test::run_command(test::binary() + " --url http://127.0.0.1:1 --kafka 127.0.0.1:1 --quiet");
  CHECK(r.exit_code == 2);
  const auto w = test::run_command(test::binary() + " worker --kafka 127.0.0.1:1");
  CHECK(w.exit_code == 2);
  CHECK(w.output.find("cannot reach the Kafka brokers at 127.0.0.1:1") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
}

TEST_CASE("kafka: two worker processes, one killed mid-run: every batch answered once and correct") {
  Background mock(test::binary() + " kafka-mock");
  REQUIRE(mock.wait_for("mock Kafka cluster: "));
  std::string brokers = mock.output().substr(mock.output().find(": ") + 2);
  brokers = brokers.substr(0, brokers.find('\n'));

  SyntheticSpec spec;
  spec.layers = 6, spec.grid = 4, spec.tile = 120;
  ChallengerHost host(std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, "raw")), "127.0.0.1", 0, 1);
  Background survivor(test::binary() + " worker --kafka " + brokers);
  Background victim(test::binary() + " worker --kafka " + brokers);
  REQUIRE(survivor.wait_for("worker: "));
  REQUIRE(victim.wait_for("worker: "));
  // One batch in flight at a time, so the run lasts long enough to lose a worker in the middle.
  Background runner(test::binary() + " --url " + host.url() + " --kafka " + brokers +
                    " --workers 0 --max-in-flight 1 --quiet; echo exit=$?");
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (verdict(host.challenger(), "results") < 20 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(victim.pid, SIGKILL);
  victim.pid = -1;
  REQUIRE(runner.wait_for("exit=", std::chrono::seconds(90)));
  INFO(runner.output());
  CHECK(runner.output().find("exit=0") != std::string::npos);
  CHECK(verdict(host.challenger(), "results") == 96);
  CHECK(verdict(host.challenger(), "wrong") == 0);
  CHECK(verdict(host.challenger(), "duplicates") == 0);
}

TEST_CASE("kafka: with no worker alive, batches fail after --kafka-timeout, listed; the run ends") {
  ChallengerHost host(std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small")),
                      "127.0.0.1", 0, 1);
  const auto r = test::run_command(test::binary() + " --url " + host.url() +
                                   " --kafka mock --workers 0 --kafka-timeout 3 --max-batches 5");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("5 fetched, 0 answered, 5 failed") != std::string::npos);
  CHECK(r.output.find("no outcome from the Kafka workers within 3 s") != std::string::npos);
}

TEST_CASE("kafka: a broker lost mid-run: the run ends with every batch answered or listed") {
  MockKafkaCluster cluster(3);
  cluster.create_topic("raw-batch", 8);
  cluster.create_topic("results", 8);
  SyntheticSpec spec;
  spec.layers = 6, spec.grid = 4, spec.tile = 120;
  ChallengerHost host(std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, "raw")), "127.0.0.1", 0, 1);
  const fs::path report = fs::temp_directory_path() / ("lpbf-broker-" + std::to_string(::getpid()) + ".json");
  std::thread breaker([&] {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (verdict(host.challenger(), "results") < 10 && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    cluster.set_broker_down(2, true);
  });
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = test::run_command(test::binary() + " --url " + host.url() + " --kafka " + cluster.bootstraps() +
                                   " --workers 2 --max-in-flight 2 --kafka-timeout 5 --quiet --report " +
                                   report.string());
  breaker.join();
  MESSAGE("run took " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
  INFO(r.output);
  CHECK((r.exit_code == 0 || r.exit_code == 1));
  simdjson::dom::parser p;
  const std::string text = read_file_bytes(report);
  simdjson::dom::element doc = p.parse(text);
  const int64_t batches = int64_t(doc["batches"]), results = int64_t(doc["results"]);
  const size_t failed = simdjson::dom::array(doc["failed"]).size();
  CHECK(batches == 96);
  CHECK(results + int64_t(failed) >= batches);  // nothing silently lost
  CHECK(verdict(host.challenger(), "wrong") == 0);
  fs::remove(report);
}
