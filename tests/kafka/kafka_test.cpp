// The Kafka adapter on librdkafka's mock cluster (loopback only): exact end to end, bytes and
// per-tile order through a topic, unreachable brokers, and a worker killed mid-run.
#include <doctest/doctest.h>
#include <simdjson.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <thread>

#include "core/challenger/challenger_host.h"
#include "core/kafka/kafka_bridge.h"
#include "core/kafka/kafka_lookback.h"
#include "core/kafka/kafka_options.h"
#include "core/kafka/kafka_roster.h"
#include "core/kafka/kafka_worker.h"
#include "core/report/html_report.h"
#include "io/golden_dataset.h"
#include "io/kafka.h"
#include "io/msgpack_codec.h"
#include "tests/test_support.h"

using namespace lpbf;
using test::Background;
namespace fs = std::filesystem;

namespace {

// The next message within `timeout`, or none. A failed poll counts as none: librdkafka keeps
// trying, and each test's deadline reports a lasting failure.
std::optional<KafkaMessage> next_message(KafkaConsumer& consumer, std::chrono::milliseconds timeout) {
  Result<std::optional<KafkaMessage>> polled = consumer.poll(timeout);
  return polled ? std::move(polled).value() : std::nullopt;
}

int64_t verdict(Challenger& c, const char* key) {
  const std::string h = c.handle({"GET", "/api/history", ""}).body;
  simdjson::dom::parser p;
  int64_t v = -1;
  for (simdjson::dom::element e : p.parse(h).get_array()) v = int64_t(e[key]);
  return v;
}

}  // namespace

TEST_CASE("kafka: golden/small exact through --kafka mock --workers 2, workers ready before the bench") {
  ChallengerHost host(std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small")),
                      "127.0.0.1", 0, 1);
  const fs::path report = fs::temp_directory_path() / ("lpbf-kafka-ready-" + std::to_string(::getpid()) + ".json");
  // --rate 10: the 20 batches take 2 s, so the lag, measured every 200 ms on its own thread, is
  // sampled during the run (an unpaced run can end in 20 ms, before the first measurement).
  const auto r = test::run_command(test::binary() + " --url " + host.url() +
                                   " --kafka mock --workers 2 --rate 10 --report " + report.string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("mock Kafka cluster at 127.0.0.1:") != std::string::npos);
  CHECK(r.output.find("workers held every partition of raw-batch after") != std::string::npos);
  simdjson::dom::parser p;
  const std::string text = read_file_bytes(report);
  const double ready = double(p.parse(text)["kafka_ready_seconds"]);
  CHECK(ready > 0);
  CHECK(ready < 30);
  // The group's lag was sampled through the run, and the report draws it.
  const RunReport rr = parse_run_report(text, report.string());
  CHECK(std::any_of(rr.samples.begin(), rr.samples.end(), [](const DepthSample& s) { return s.kafka_lag >= 0; }));
  CHECK(render_html_report(rr).find("Consumer lag of the workers' group") != std::string::npos);
  fs::remove(report);
  CHECK(verdict(host.challenger(), "results") == 20);
  CHECK(verdict(host.challenger(), "wrong") == 0);
  CHECK(verdict(host.challenger(), "duplicates") == 0);
}

TEST_CASE("kafka lag: what the group has not committed, measured without joining the group") {
  KafkaTopology t;
  t.partitions = 2;
  const auto cluster = start_mock_kafka(t, 1);
  {
    KafkaProducer producer(t.kafka);
    for (int i = 0; i < 5; ++i)
      REQUIRE(producer.produce(t.raw_topic, "k", "junk " + std::to_string(i), nullptr, {}, i % 2).ok());
    REQUIRE(producer.flush(std::chrono::seconds(5)).ok());
  }
  KafkaGroupLag lag(t.kafka, t.group, t.raw_topic, 2);
  const Result<int64_t> before = lag.measure(std::chrono::seconds(5));
  REQUIRE_MESSAGE(before.ok(), before.error());
  CHECK(before.value() == 5);  // nothing committed: everything is lag
  {
    // A member of the group reads and commits partition 0 up to its end; measuring did not
    // join the group, so this member gets both partitions at once.
    KafkaConsumer member(t.kafka, t.group, t.raw_topic);
    std::map<int32_t, int64_t> end;
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
         end[0] < 3 && std::chrono::steady_clock::now() < deadline;)
      if (auto m = next_message(member, std::chrono::milliseconds(100)); m && m->partition == 0) end[0] = m->offset + 1;
    REQUIRE(end[0] == 3);
    REQUIRE(member.commit(t.raw_topic, 0, 3).ok());
    CHECK(member.close().ok());
  }
  std::optional<int64_t> after;
  for (int i = 0; i < 50 && after != 2; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(100)))
    if (const Result<int64_t> measured = lag.measure(std::chrono::seconds(5))) after = measured.value();
  CHECK(after == 2);  // partition 1's two messages
}

TEST_CASE("kafka: a batch's bytes survive the topic, and each tile's layers stay in order") {
  MockKafkaCluster cluster(3);
  REQUIRE(cluster.create_topic("rt-raw", 8).ok());
  const KafkaOptions options{cluster.bootstraps()};
  const GoldenDataset golden = load_golden_dataset(test::golden_dir() / "small");
  std::map<int64_t, std::string> sent;
  {
    KafkaProducer producer(options);
    for (size_t i = 0; i < golden.manifest.size(); ++i) {
      const Batch b = golden.load_batch(i);
      sent[b.batch_id] = encode_batch(b);
      REQUIRE(
          producer.produce("rt-raw", "bench|" + b.print_id + "/" + std::to_string(b.tile_id), sent[b.batch_id]).ok());
    }
    REQUIRE(producer.flush(std::chrono::seconds(10)).ok());
  }
  KafkaConsumer consumer(options, "rt-group", "rt-raw");
  std::map<std::string, int64_t> last_of_tile;
  std::map<std::string, int32_t> partition_of_tile;
  size_t received = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (received < sent.size() && std::chrono::steady_clock::now() < end) {
    const auto m = next_message(consumer, std::chrono::milliseconds(100));
    if (!m) continue;
    const DecodedBatch d = decode_batch(m->value);
    REQUIRE(d.ok());
    CHECK(std::string(m->value.begin(), m->value.end()) == sent[d.batch.batch_id]);  // byte for byte
    auto [it, fresh] = partition_of_tile.emplace(m->key, m->partition);
    CHECK(it->second == m->partition);                                               // one tile, one partition
    if (last_of_tile.count(m->key)) CHECK(d.batch.batch_id > last_of_tile[m->key]);  // in order
    last_of_tile[m->key] = d.batch.batch_id;
    ++received;
  }
  CHECK(received == sent.size());
  CHECK(partition_of_tile.size() == 4);
}

TEST_CASE("kafka: the runner places a layer's tiles evenly over the raw partitions, each tile in one") {
  for (const std::string bench : {"b0001", "b0002abc", "another bench"}) {
    std::map<int32_t, int> tiles_in;
    for (int64_t tile = 0; tile < 16; ++tile) {
      Batch b;
      b.print_id = "print-7";
      b.tile_id = tile;
      b.layer = 3;
      const int32_t p = raw_partition_of(bench, b, 8);
      REQUIRE(p >= 0);
      REQUIRE(p < 8);
      ++tiles_in[p];
      b.layer = 4;  // the tile's next layer: same partition
      CHECK(raw_partition_of(bench, b, 8) == p);
    }
    CHECK(tiles_in.size() == 8);
    for (const auto& [p, n] : tiles_in) CHECK_MESSAGE(n == 2, "partition ", p, " holds ", n, " tiles of ", bench);
  }
  Batch absurd;  // hostile ids still land on a partition
  absurd.tile_id = std::numeric_limits<int64_t>::min();
  CHECK(raw_partition_of("b", absurd, 7) >= 0);
  CHECK(raw_partition_of("b", absurd, 7) < 7);
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

TEST_CASE("kafka: two worker processes, one killed mid-run: every batch answered once and correct" *
          doctest::test_suite("timing")) {
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
  const std::string victim_name = "/" + std::to_string(victim.pid) + "/";
  const fs::path report = fs::temp_directory_path() / ("lpbf-kafka-kill-" + std::to_string(::getpid()) + ".json");
  // One batch in flight at a time, so the run lasts long enough to lose a worker in the middle.
  Background runner("(" + test::binary() + " --url " + host.url() + " --kafka " + brokers +
                    " --workers 0 --max-in-flight 1 --quiet --report " + report.string() + "; echo exit=$?)");
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (verdict(host.challenger(), "results") < 20 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Mid-run: the run has answered 20 and not all of its 96 batches, and has not ended, when the
  // victim dies (one batch is always in flight: --max-in-flight 1).
  const int64_t answered_before_kill = verdict(host.challenger(), "results");
  const bool runner_still_running = runner.output().find("exit=") == std::string::npos;
  ::kill(victim.pid, SIGKILL);
  victim.pid = -1;
  REQUIRE(runner.wait_for("exit=", std::chrono::seconds(90)));
  INFO(runner.output());
  CHECK(answered_before_kill >= 20);
  CHECK(answered_before_kill < 96);
  CHECK(runner_still_running);
  CHECK(runner.output().find("exit=0\n") != std::string::npos);  // exactly 0: every batch answered, none failed
  CHECK(verdict(host.challenger(), "results") == 96);
  CHECK(verdict(host.challenger(), "wrong") == 0);
  CHECK(verdict(host.challenger(), "duplicates") == 0);
  // The victim held partitions of the run (it answered some of its batches), and the survivor took
  // them over: the kill cost the run a worker with work, not an idle bystander.
  const RunReport rr = parse_run_report(read_file_bytes(report), report.string());
  fs::remove(report);
  size_t by_victim = 0, by_survivor = 0;
  for (const TracedBatch& b : rr.trace) (b.worker.find(victim_name) != std::string::npos ? by_victim : by_survivor)++;
  MESSAGE("answered before the kill: " << answered_before_kill << "; by the victim " << by_victim
                                       << ", by the survivor " << by_survivor);
  CHECK(by_victim > 0);
  CHECK(by_victim < size_t(answered_before_kill) + 1);  // nothing answered by the victim after its death
  CHECK(by_survivor + by_victim == 96);
}

TEST_CASE("kafka: a group nobody joins is a set-up error within seconds, naming the group" *
          doctest::test_suite("timing")) {
  ChallengerHost host(std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small")),
                      "127.0.0.1", 0, 1);
  const auto start = std::chrono::steady_clock::now();
  const auto r = test::run_command(test::binary() + " --url " + host.url() +
                                   " --kafka mock --workers 0 --group nobody-here --kafka-ready-timeout 3");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("no worker of consumer group nobody-here took any partition of Kafka topic raw-batch") !=
        std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
  CHECK(verdict(host.challenger(), "results") == -1);  // no bench was created: the clock never started
}

TEST_CASE("kafka: a broker lost mid-run: the run ends with every batch answered or listed" *
          doctest::test_suite("timing")) {
  MockKafkaCluster cluster(3);
  // librdkafka 2.0.2's mock cluster does not create topics on request: make all the run uses.
  for (const char* topic : {"raw-batch", "results", "raw-batch.dlq"}) REQUIRE(cluster.create_topic(topic, 8).ok());
  REQUIRE(cluster.create_topic("raw-batch.workers", 1).ok());
  SyntheticSpec spec;
  spec.layers = 6, spec.grid = 4, spec.tile = 120;
  ChallengerHost host(std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, "raw")), "127.0.0.1", 0, 1);
  const fs::path report = fs::temp_directory_path() / ("lpbf-broker-" + std::to_string(::getpid()) + ".json");
  std::atomic<bool> run_ended{false};
  int64_t answered_before_loss = -1;
  bool ended_before_loss = true;
  std::thread breaker([&] {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (verdict(host.challenger(), "results") < 10 && !run_ended && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    answered_before_loss = verdict(host.challenger(), "results");
    ended_before_loss = run_ended;
    CHECK(cluster.set_broker_down(2, true).ok());
  });
  const auto t0 = std::chrono::steady_clock::now();
  const auto r =
      test::run_command(test::binary() + " --url " + host.url() + " --kafka " + cluster.bootstraps() +
                        " --workers 2 --max-in-flight 2 --kafka-timeout 5 --quiet --report " + report.string());
  run_ended = true;
  breaker.join();
  MESSAGE("run took " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
  MESSAGE(r.output.substr(0, 3000));
  INFO(r.output);
  // Mid-run: 10 and not all 96 answered, and the run still going, when broker 2 went down.
  CHECK(!ended_before_loss);
  CHECK(answered_before_loss >= 10);
  CHECK(answered_before_loss < 96);
  simdjson::dom::parser p;
  const std::string text = read_file_bytes(report);
  simdjson::dom::element doc = p.parse(text);
  const int64_t batches = int64_t(doc["batches"]), results = int64_t(doc["results"]);
  const size_t failed = simdjson::dom::array(doc["failed"]).size();
  CHECK(batches == 96);
  CHECK(results + int64_t(failed) >= batches);  // nothing silently lost
  CHECK(verdict(host.challenger(), "wrong") == 0);
  // A batch on a partition broker 2 led when it went gets no outcome within --kafka-timeout and is
  // listed as failed: exit 1. Whether one was there depends on the moment (2 in flight), and
  // librdkafka sends later batches to the partitions that still have a leader, so a run can also
  // end with all 96 answered (CI saw that, in 18 s): then exit 0. Either way the exit code says
  // which (every batch answered or listed: checked above).
  MESSAGE(failed << " of 96 listed as failed");
  CHECK(r.exit_code == (failed > 0 ? 1 : 0));
  fs::remove(report);
}

namespace {

// A raw topic as the runner fills it: key bench|print_id/tile_id, headers batch_id and tile_seq,
// every batch in partition 0. Returns each batch's offset.
std::vector<int64_t> publish_stream(const KafkaTopology& t, const ServedDataset& ds) {
  KafkaProducer producer(t.kafka);
  std::map<std::string, int64_t> layers;
  for (const auto& bytes : ds.batches) {
    const DecodedBatch d =
        decode_batch(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
    REQUIRE(d.ok());
    const std::string key = "bench|" + d.batch.print_id + "/" + std::to_string(d.batch.tile_id);
    REQUIRE(producer
                .produce(t.raw_topic, key, *bytes, nullptr,
                         {{"batch_id", std::to_string(d.batch.batch_id)}, {"tile_seq", std::to_string(layers[key]++)}},
                         0)
                .ok());
  }
  REQUIRE(producer.flush(std::chrono::seconds(10)).ok());
  std::vector<int64_t> offsets(ds.batches.size());
  for (size_t i = 0; i < offsets.size(); ++i) offsets[i] = int64_t(i);  // one producer, one partition: in order
  return offsets;
}

// Commits `next` with `metadata` for `group` on partition 0 of `topic`, as a worker would have.
void commit_as_group(const KafkaTopology& t, const std::string& group, int64_t next, const std::string& metadata) {
  char err[512];
  KafkaConfPtr conf(rd_kafka_conf_new());
  REQUIRE(rd_kafka_conf_set(conf.get(), "bootstrap.servers", t.kafka.brokers.c_str(), err, sizeof err) ==
          RD_KAFKA_CONF_OK);
  REQUIRE(rd_kafka_conf_set(conf.get(), "group.id", group.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK);
  const KafkaClientPtr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err));
  REQUIRE(rk);
  conf.release();  // the client's now
  const KafkaPartitionsPtr list = new_partition_list(1);
  rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_add(list.get(), t.raw_topic.c_str(), 0);
  tp->offset = next;
  tp->metadata = std::malloc(metadata.size() + 1);  // freed with the list
  std::memcpy(tp->metadata, metadata.c_str(), metadata.size());
  tp->metadata_size = metadata.size();
  CHECK(rd_kafka_commit(rk.get(), list.get(), 0) == RD_KAFKA_RESP_ERR_NO_ERROR);
}

// Runs one worker in `group` until `count` outcomes came back (or 40 s); returns them by batch id.
std::map<int64_t, DecodedOutcome> run_worker_until(KafkaTopology t, const std::string& group, size_t count,
                                                   KafkaWorkerStats& stats) {
  t.group = group;
  const Result<std::map<int32_t, int64_t>> ends =
      kafka_end_offsets(t.kafka, t.results_topic, 1, std::chrono::seconds(5));
  REQUIRE_MESSAGE(ends.ok(), ends.error());
  KafkaConsumer results(t.kafka, KafkaConsumer::AssignAll{}, t.results_topic, ends.value(), std::chrono::seconds(5));
  std::atomic<bool> stop{false};
  std::thread worker([&] { stats = run_kafka_worker(t, stop); });
  std::map<int64_t, DecodedOutcome> got;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (got.size() < count && std::chrono::steady_clock::now() < end) {
    const auto m = next_message(results, std::chrono::milliseconds(50));
    if (!m || m->key.rfind("bench|", 0) != 0) continue;
    DecodedOutcome o = decode_outcome(m->value);
    got.emplace(o.batch_id, std::move(o));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // anything answered twice would show
  while (const auto m = next_message(results, std::chrono::milliseconds(50)))
    if (m->key.rfind("bench|", 0) == 0) ++stats.answered;  // counted as extra answers
  stop = true;
  worker.join();
  return got;
}

// The dataset the rebuild tests publish: 4 tiles of 48x48 px, 8 layers, in one partition.
const ServedDataset& rebuild_stream() {
  static const ServedDataset ds = [] {
    SyntheticSpec spec;
    spec.layers = 8, spec.grid = 2, spec.tile = 48;
    return make_synthetic_dataset(spec, "raw");
  }();
  return ds;
}

void check_answers(const std::map<int64_t, DecodedOutcome>& got, size_t from) {
  const ServedDataset& ds = rebuild_stream();
  CHECK(got.size() == ds.batches.size() - from);
  for (size_t i = from; i < ds.batches.size(); ++i) {
    const auto it = got.find(ds.batch_ids[i]);
    REQUIRE_MESSAGE(it != got.end(), "no outcome for batch " << ds.batch_ids[i]);
    REQUIRE_MESSAGE(it->second.result, "batch " << ds.batch_ids[i] << ": " << it->second.error);
    CHECK_MESSAGE(compare_results(ds.expected[i], *it->second.result) == "", "batch " << ds.batch_ids[i]);
  }
}

}  // namespace

TEST_CASE("kafka rebuild: a partition assigned with nothing committed is read from its start and answered whole") {
  KafkaTopology t;
  t.partitions = 1;
  const auto cluster = start_mock_kafka(t, 1);
  publish_stream(t, rebuild_stream());
  KafkaWorkerStats stats;
  const auto got = run_worker_until(t, "fresh", rebuild_stream().batches.size(), stats);
  check_answers(got, 0);
  CHECK(stats.folded == 0);
  CHECK(stats.answered == rebuild_stream().batches.size());
}

TEST_CASE(
    "kafka rebuild: with a commit behind what was consumed, the new owner reads back two layers a tile, no more") {
  KafkaTopology t;
  t.partitions = 1;
  const auto cluster = start_mock_kafka(t, 1);
  publish_stream(t, rebuild_stream());
  // A previous owner answered everything but committed only offset 20 (outcomes of 20.. were not
  // yet acknowledged when it died). Its look-back start: 4 tiles in turn, so their second-last
  // layers before 20 are at 12..15.
  PartitionLookback lookback;
  for (size_t i = 0; i < rebuild_stream().batches.size(); ++i) {
    const DecodedBatch d = decode_batch(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(rebuild_stream().batches[i]->data()), rebuild_stream().batches[i]->size()));
    lookback.record(std::to_string(d.batch.tile_id), int64_t(i));
  }
  REQUIRE(lookback.rebuild_start(20) == 12);
  commit_as_group(t, "behind", 20, lookback_metadata(lookback.rebuild_start(20)));
  KafkaWorkerStats stats;
  const auto got = run_worker_until(t, "behind", rebuild_stream().batches.size() - 20, stats);
  check_answers(got, 20);    // the same answers as a worker that saw the partition from its start
  CHECK(stats.folded == 8);  // offsets 12..19: read back, not answered
  CHECK(stats.answered == rebuild_stream().batches.size() - 20);
}

TEST_CASE("kafka rebuild: commit metadata that cannot be read means reading back from the partition's start") {
  KafkaTopology t;
  t.partitions = 1;
  const auto cluster = start_mock_kafka(t, 1);
  publish_stream(t, rebuild_stream());
  commit_as_group(t, "garbled", 20, "lookback=banana");
  KafkaWorkerStats stats;
  const auto got = run_worker_until(t, "garbled", rebuild_stream().batches.size() - 20, stats);
  check_answers(got, 20);
  CHECK(stats.folded == 20);
}

TEST_CASE("kafka dead letters: a batch a worker cannot read is failed with its reason and kept in <raw-topic>.dlq") {
  const fs::path dir = test::golden_small_with_garbage_batch_6("kafka-dlq");
  ChallengerHost host(std::make_shared<const ServedDataset>(load_served_dataset(dir)), "127.0.0.1", 0, 1);
  KafkaTopology t;
  const auto cluster = start_mock_kafka(t, 1);
  const auto r =
      test::run_command(test::binary() + " --url " + host.url() + " --kafka " + t.kafka.brokers + " --workers 1");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("batch 6: TIFF") != std::string::npos);  // the runner's failure list
  CHECK(verdict(host.challenger(), "results") == 19);  // the run went on (tile 2's window restarts, as in-process)

  std::map<int32_t, int64_t> from;
  for (int32_t p = 0; p < t.partitions; ++p) from[p] = 0;
  KafkaConsumer dlq(t.kafka, KafkaConsumer::AssignAll{}, t.dead_letter_topic(), from, std::chrono::seconds(5));
  std::optional<KafkaMessage> letter;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!letter && std::chrono::steady_clock::now() < end) letter = next_message(dlq, std::chrono::milliseconds(100));
  REQUIRE(letter);
  CHECK(letter->header("batch_id") == "6");
  CHECK(letter->header("reason").value_or("").find("TIFF") != std::string::npos);
  CHECK(!letter->header("worker").value_or("").empty());
  const DecodedBatch d = decode_batch(letter->value);  // the raw bytes, as the runner sent them
  REQUIRE(d.ok());
  CHECK(d.batch.batch_id == 6);
  CHECK(!next_message(dlq, std::chrono::milliseconds(500)));  // one dead letter
  fs::remove_all(dir);
}

TEST_CASE("kafka rebuild: on a long stream the read-back stays two layers a tile (measured)") {
  // 16 tiles x 100 layers in one partition, far more than the mock cluster even keeps (5 MB): a
  // new owner resuming near the end must not need the partition's history.
  SyntheticSpec spec;
  spec.layers = 100, spec.grid = 4, spec.tile = 48;
  const ServedDataset ds = make_synthetic_dataset(spec, "raw");
  KafkaTopology t;
  t.partitions = 1;
  const auto cluster = start_mock_kafka(t, 1);
  publish_stream(t, ds);
  PartitionLookback lookback;
  for (size_t i = 0; i < ds.batches.size(); ++i) {
    const DecodedBatch d = decode_batch(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(ds.batches[i]->data()), ds.batches[i]->size()));
    lookback.record(std::to_string(d.batch.tile_id), int64_t(i));
  }
  const int64_t resume = 1500;
  commit_as_group(t, "long", resume, lookback_metadata(lookback.rebuild_start(resume)));
  KafkaWorkerStats stats;
  const auto got = run_worker_until(t, "long", ds.batches.size() - size_t(resume), stats);
  MESSAGE("rebuild after resuming at offset " << resume << " of " << ds.batches.size() << ": " << stats.folded
                                              << " batches read back in " << stats.rebuild_seconds * 1000 << " ms");
  CHECK(stats.folded == 32);  // 16 tiles, 2 layers each
  REQUIRE(got.size() == ds.batches.size() - size_t(resume));
  for (size_t i = size_t(resume); i < ds.batches.size(); ++i) {
    const auto it = got.find(ds.batch_ids[i]);
    REQUIRE(it != got.end());
    REQUIRE_MESSAGE(it->second.result, it->second.error);
    CHECK(compare_results(ds.expected[i], *it->second.result) == "");
  }
}

TEST_CASE("kafka: three interleaved prints with the same tile ids through --kafka mock, every answer exact") {
  // SPEC §3: prints interleave. Workers key windows by (print_id, tile_id); the challenger scores
  // with the reference kernels.
  SyntheticSpec spec;
  spec.layers = 5, spec.grid = 2, spec.tile = 120, spec.prints = 3;
  ChallengerHost host(std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, "")), "127.0.0.1", 0, 1);
  const auto r = test::run_command(test::binary() + " --url " + host.url() + " --kafka mock --workers 2 --quiet");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(verdict(host.challenger(), "results") == 60);
  CHECK(verdict(host.challenger(), "wrong") == 0);
  CHECK(verdict(host.challenger(), "missing") == 0);
  CHECK(verdict(host.challenger(), "duplicates") == 0);
}

TEST_CASE("kafka readiness: an outside worker already in the group, then 10 runs, none rebalancing after the clock") {
  // Issue 23: with a `worker` process in the group, `--workers 1` once found every partition held
  // (by the outside worker) before its own worker had joined; the join then rebalanced the group
  // with the clock running. Each run's report records the group's generation when the clock
  // started and the newest announced by its end: equal means no rebalance during the run.
  Background mock(test::binary() + " kafka-mock");
  REQUIRE(mock.wait_for("mock Kafka cluster: "));
  std::string brokers = mock.output().substr(mock.output().find(": ") + 2);
  brokers = brokers.substr(0, brokers.find('\n'));
  Background outside(test::binary() + " worker --kafka " + brokers);
  REQUIRE(outside.wait_for("worker: "));
  const std::string outside_name = "/" + std::to_string(outside.pid) + "/";
  {
    // Already in the group: wait for the outside worker's announcement of an assignment.
    KafkaTopology t;
    t.kafka.brokers = brokers;
    KafkaConsumer roster(t.kafka, KafkaConsumer::AssignAll{}, t.roster_topic(), {{0, 0}}, std::chrono::seconds(5));
    bool assigned = false;
    for (const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
         !assigned && std::chrono::steady_clock::now() < end;)
      if (const auto m = next_message(roster, std::chrono::milliseconds(100))) {
        const auto a = parse_announcement(
            std::string_view(reinterpret_cast<const char*>(m->value.data()), m->value.size()), kMaxKafkaPartitions);
        assigned = a && a->worker.find(outside_name) != std::string::npos && !a->partitions.empty();
      }
    REQUIRE(assigned);
  }
  ChallengerHost host(std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small")),
                      "127.0.0.1", 0, 1);
  const fs::path report = fs::temp_directory_path() / ("lpbf-kafka-outside-" + std::to_string(::getpid()) + ".json");
  const auto t0 = std::chrono::steady_clock::now();
  for (int run = 0; run < 10; ++run) {
    CAPTURE(run);
    const auto r = test::run_command(test::binary() + " --url " + host.url() + " --kafka " + brokers +
                                     " --workers 1 --kafka-ready-timeout 20 --report " + report.string());
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const RunReport rr = parse_run_report(read_file_bytes(report), report.string());
    MESSAGE("run " << run << ": ready after " << rr.kafka_ready_seconds << " s, generation "
                   << rr.kafka_generation_at_start << " -> " << rr.kafka_generation_at_end << ", p50 " << rr.p50
                   << " ms, max " << rr.max << " ms, " << rr.wall_seconds << " s");
    CHECK(rr.kafka_generation_at_start >= 0);  // known
    CHECK(rr.kafka_generation_at_end == rr.kafka_generation_at_start);
    // Both workers were in the group when the clock started: the run's own, and the outside one.
    REQUIRE(rr.kafka_members.size() == 2);
    CHECK(rr.kafka_members[0].find("(this run)") != std::string::npos);
    CHECK(rr.kafka_members[1].find(outside_name) != std::string::npos);
    CHECK(r.output.find("group generation " + std::to_string(rr.kafka_generation_at_start) + " at the start, " +
                        std::to_string(rr.kafka_generation_at_start) + " at the end") != std::string::npos);
    CHECK(rr.results == 20);
    CHECK(verdict(host.challenger(), "wrong") == 0);
  }
  fs::remove(report);
  MESSAGE("10 runs in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
}

TEST_CASE("kafka readiness: a worker joining during the run shows as a newer generation at the end") {
  // The other side of the test above: the report's generations do tell a rebalance with the clock
  // running. The joiner is started once the run answers, and the run is long enough (960 batches,
  // one in flight) for the join to complete before its end; the test waits on the joiner's
  // assignment, read from the roster, and requires the run to be still going then.
  Background mock(test::binary() + " kafka-mock");
  REQUIRE(mock.wait_for("mock Kafka cluster: "));
  std::string brokers = mock.output().substr(mock.output().find(": ") + 2);
  brokers = brokers.substr(0, brokers.find('\n'));
  SyntheticSpec spec;
  spec.layers = 60, spec.grid = 4, spec.tile = 48;
  ChallengerHost host(std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, "raw")), "127.0.0.1", 0, 1);
  const fs::path report = fs::temp_directory_path() / ("lpbf-kafka-joiner-" + std::to_string(::getpid()) + ".json");
  Background runner("(" + test::binary() + " --url " + host.url() + " --kafka " + brokers +
                    " --workers 1 --max-in-flight 1 --report " + report.string() + "; echo exit=$?)");
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (verdict(host.challenger(), "results") < 1 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  KafkaTopology t;
  t.kafka.brokers = brokers;
  const Result<std::map<int32_t, int64_t>> roster_end =
      kafka_end_offsets(t.kafka, t.roster_topic(), 1, std::chrono::seconds(5));
  REQUIRE(roster_end.ok());
  Background joiner(test::binary() + " worker --kafka " + brokers);
  const std::string joiner_name = "/" + std::to_string(joiner.pid) + "/";
  KafkaConsumer roster(t.kafka, KafkaConsumer::AssignAll{}, t.roster_topic(), roster_end.value(),
                       std::chrono::seconds(5));
  bool assigned = false;
  while (!assigned && std::chrono::steady_clock::now() < end)
    if (const auto m = next_message(roster, std::chrono::milliseconds(100))) {
      const auto a = parse_announcement(
          std::string_view(reinterpret_cast<const char*>(m->value.data()), m->value.size()), kMaxKafkaPartitions);
      assigned = a && a->worker.find(joiner_name) != std::string::npos && a->generation >= 0;
    }
  REQUIRE(assigned);
  const int64_t answered_when_joined = verdict(host.challenger(), "results");
  REQUIRE_MESSAGE(runner.output().find("exit=") == std::string::npos, "the run ended before the join completed");
  REQUIRE(runner.wait_for("exit=", std::chrono::seconds(90)));
  INFO(runner.output());
  CHECK(runner.output().find("exit=0\n") != std::string::npos);
  const RunReport rr = parse_run_report(read_file_bytes(report), report.string());
  fs::remove(report);
  MESSAGE("joined after " << answered_when_joined << " answers; generation " << rr.kafka_generation_at_start << " -> "
                          << rr.kafka_generation_at_end << "; max latency " << rr.max << " ms");
  CHECK(rr.kafka_generation_at_start >= 0);
  CHECK(rr.kafka_generation_at_end > rr.kafka_generation_at_start);
  CHECK(runner.output().find("(REBALANCED during the run)") != std::string::npos);
  CHECK(verdict(host.challenger(), "results") == 960);
  CHECK(verdict(host.challenger(), "wrong") == 0);
}
