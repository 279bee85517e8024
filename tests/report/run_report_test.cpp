// The JSON report written and read in one place: what run_report_json writes, parse_run_report
// reads back, every field; and the summary a run prints, made from the same RunReport.
#include <doctest/doctest.h>

#include "core/challenger/challenger_host.h"
#include "core/commands/benchmark_run.h"
#include "core/report/run_summary.h"
#include "io/golden_dataset.h"
#include "tests/test_support.h"

using namespace lpbf;

namespace {

// Every field the JSON carries set, none to its default.
RunReport every_field_set() {
  RunReport r;
  r.bench_id = "b42", r.bench_name = "name \"quoted\" </script>", r.url = "http://127.0.0.1:8866";
  r.command = "lpbf-bench --url http://127.0.0.1:8866 --report r.json", r.machine = "AMD EPYC, 2 cores, VM";
  r.version = "abc1234", r.config = "threads=2\nbench-name=\"x\"\n";
  r.connections = 4, r.threads = 2, r.batches = 9, r.results = 7;
  r.wall_seconds = 1.234567891, r.throughput = 7 / 1.234567891, r.cpu_seconds = 2.0000000000000004;
  r.embedded_cpu_seconds = 0.5;
  r.p50 = 1.5, r.p90 = 2.25, r.p99 = 3.25, r.max = 4.0625, r.mean = 1.9;
  r.fetch_s = 0.001, r.decode_s = 0.2, r.analyse_s = 0.3, r.submit_s = 0.04;
  r.max_queue_depth = 6, r.kafka_ready_seconds = 0.75, r.uncertain_reposts = 2, r.max_batches = 10;
  r.kafka_generation_at_start = 3, r.kafka_generation_at_end = 4;
  r.kafka_members = {"host/12/0 [0,1] (this run)", "host/\"9\"/0 [2,3]"};
  r.recording = "9 batches, 7 results kept; 0 lost";
  r.failed = {{7, "TIFF has 8 bits per sample, need 16"}, {-1, "before an id"}};
  r.errors = {"challenger down", "refused \"end\""};
  IncompleteWindow w;
  w.batch_id = 5, w.print_id = "P0", w.tile_id = 3, w.layer = 2, w.missing_layers = {0, 1};
  r.incomplete = {w};
  r.challenger.source = "micro", r.challenger.served = 9, r.challenger.results = 7, r.challenger.missing = 2;
  r.challenger.wrong = 1, r.challenger.duplicates = 0, r.challenger.throughput = 6.5;
  r.challenger.latency_mean_ms = 1.1, r.challenger.latency_min_ms = 0.2, r.challenger.latency_p50_ms = 1.0;
  r.challenger.latency_p99_ms = 3.3, r.challenger.latency_max_ms = 4.4;
  r.wrong = 1, r.missing = 2, r.duplicates = 0;
  r.end_reply = "{\"count\": 9}";
  TracedBatch a;
  a.batch_id = 0, a.print_id = "P0", a.tile_id = 1, a.layer = 0, a.outcome = "answered", a.worker = "w-1";
  a.fetched = 0.5, a.decoded = 1.25, a.analysed = 2.001, a.submitted = 2.5, a.acked = 3.75, a.saturated = 12,
  a.clusters = 2;
  TracedBatch b;
  b.batch_id = 1, b.print_id = "P\"1", b.tile_id = 2, b.layer = 1, b.outcome = "failed";
  b.fetched = 0.75, b.decoded = -1, b.analysed = -1, b.submitted = -1, b.acked = -1, b.saturated = -1, b.clusters = -1;
  r.trace = {a, b};
  r.samples = {{0.1, 3, 1, 2, 0, 0, -1}, {10.5, 1, 0, 1, 7, 1, 42}};
  r.clusters = {{0, 10.5, 20.25, 7}, {0, 100.125, 0.5, 3}};
  r.warmup = 2, r.measured = 5;
  r.repetitions = {{"b41", 7, 5, 1.5, 3.25, 1.25, 2.5, 3.5, 4.5, 1.75, 2.5, 0, 2, 6.25, 3.125},
                   {"b42", 7, 5, 1.25, 4.0, 1.5, 2.25, 3.25, 4.0625, 1.9, 2.0, 1, -1, -1, -1}};
  return r;
}

void check_same_challenger(const ChallengerStats& a, const ChallengerStats& b) {
  CHECK(a.source == b.source);
  CHECK(a.served == b.served);
  CHECK(a.results == b.results);
  CHECK(a.missing == b.missing);
  CHECK(a.wrong == b.wrong);
  CHECK(a.duplicates == b.duplicates);
  CHECK(a.throughput == b.throughput);
  CHECK(a.latency_mean_ms == b.latency_mean_ms);
  CHECK(a.latency_min_ms == b.latency_min_ms);
  CHECK(a.latency_p50_ms == b.latency_p50_ms);
  CHECK(a.latency_p99_ms == b.latency_p99_ms);
  CHECK(a.latency_max_ms == b.latency_max_ms);
}

// Every field the JSON carries, exactly (doubles too: they are written in shortest round-trip form).
void check_same_report(const RunReport& a, const RunReport& b) {
  CHECK(a.bench_id == b.bench_id);
  CHECK(a.bench_name == b.bench_name);
  CHECK(a.url == b.url);
  CHECK(a.command == b.command);
  CHECK(a.machine == b.machine);
  CHECK(a.version == b.version);
  CHECK(a.config == b.config);
  CHECK(a.connections == b.connections);
  CHECK(a.threads == b.threads);
  CHECK(a.batches == b.batches);
  CHECK(a.results == b.results);
  CHECK(a.wall_seconds == b.wall_seconds);
  CHECK(a.throughput == b.throughput);
  CHECK(a.cpu_seconds == b.cpu_seconds);
  CHECK(a.embedded_cpu_seconds == b.embedded_cpu_seconds);
  CHECK(a.p50 == b.p50);
  CHECK(a.p90 == b.p90);
  CHECK(a.p99 == b.p99);
  CHECK(a.max == b.max);
  CHECK(a.mean == b.mean);
  CHECK(a.fetch_s == b.fetch_s);
  CHECK(a.decode_s == b.decode_s);
  CHECK(a.analyse_s == b.analyse_s);
  CHECK(a.submit_s == b.submit_s);
  CHECK(a.max_queue_depth == b.max_queue_depth);
  CHECK(a.kafka_ready_seconds == b.kafka_ready_seconds);
  CHECK(a.kafka_generation_at_start == b.kafka_generation_at_start);
  CHECK(a.kafka_generation_at_end == b.kafka_generation_at_end);
  CHECK(a.kafka_members == b.kafka_members);
  CHECK(a.uncertain_reposts == b.uncertain_reposts);
  CHECK(a.max_batches == b.max_batches);
  CHECK(a.recording == b.recording);
  CHECK(a.failed == b.failed);
  CHECK(a.errors == b.errors);
  CHECK(a.incomplete == b.incomplete);
  check_same_challenger(a.challenger, b.challenger);
  CHECK(a.wrong == b.wrong);
  CHECK(a.missing == b.missing);
  CHECK(a.duplicates == b.duplicates);
  CHECK(a.end_reply == b.end_reply);
  CHECK(a.trace == b.trace);
  CHECK(a.samples == b.samples);
  CHECK(a.clusters == b.clusters);
  CHECK(a.warmup == b.warmup);
  CHECK(a.measured == b.measured);
  CHECK(a.repetitions == b.repetitions);
}

}  // namespace

TEST_CASE("a run report written and read back is the same report, every field") {
  const RunReport written = every_field_set();
  const std::string json = run_report_json(written);
  const RunReport read = parse_run_report(json, "r.json");
  check_same_report(written, read);
  CHECK(read.origin == "r.json");
  CHECK(read.json == json);
  // Written again, byte for byte the same.
  CHECK(run_report_json(read) == json);
}

TEST_CASE("a report's absent figures are written as null and read back as absent") {
  RunReport written = every_field_set();
  written.kafka_ready_seconds = -1;  // not a Kafka run
  written.kafka_generation_at_start = written.kafka_generation_at_end = -1;
  written.kafka_members.clear();
  written.challenger = ChallengerStats{};  // the evaluation server gives no figures
  written.end_reply = "";
  written.wrong = written.missing = written.duplicates = -1;
  const std::string json = run_report_json(written);
  CHECK(json.find("\"kafka_ready_seconds\": null") != std::string::npos);
  CHECK(json.find("\"kafka_group\": null") != std::string::npos);
  CHECK(json.find("\"challenger_stats\": null") != std::string::npos);
  check_same_report(written, parse_run_report(json, "r.json"));
}

TEST_CASE("a real run's report reads back as the run made it") {
  auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  ChallengerHost host(ds, "127.0.0.1", 0, 1);
  RunOptions o;
  o.url = host.url();
  o.threads = 2;
  o.command_line = "lpbf-bench --url " + host.url();
  const RunReport made = make_run_report(o, run_benchmark(o));
  REQUIRE(made.trace.size() == 20);
  CHECK(made.results == 20);
  CHECK(made.challenger.source == "lpbf-bench");
  const std::string json = run_report_json(made);
  check_same_report(made, parse_run_report(json, "run.json"));
  CHECK(json.back() == '\n');
  // The summary reads the same report.
  const std::string summary = summary_text(made);
  CHECK(summary.rfind("bench " + made.bench_id + " \"lpbf-bench\" at " + o.url + "\n", 0) == 0);
  CHECK(summary.find("  batches    20 fetched, 20 answered, 0 failed\n") != std::string::npos);
}

TEST_CASE("the summary says what the report holds") {
  RunReport r = every_field_set();
  r.kafka_raw_topic = "raw-batch", r.cores = 2;
  const std::string s = summary_text(r);
  CHECK(s.rfind("bench b42 \"name \"quoted\" </script>\" at http://127.0.0.1:8866\n", 0) == 0);
  CHECK(s.find("  batches    9 fetched, 7 answered, 2 failed\n") != std::string::npos);
  CHECK(s.find("  time       1.235 s, 5.7 batches/s\n") != std::string::npos);
  CHECK(s.find("  latency    p50 1.50 ms, p90 2.25 ms, p99 3.25 ms, max 4.06 ms") != std::string::npos);
  CHECK(s.find("; max queue depth 6\n") != std::string::npos);
  // Two repetitions: a bench's (median) CPU over a bench's batches counted after the warm-up, 5 / 2.
  CHECK(s.find("  cpu        2.000 s user+system in this process, 1.62 of 2 cores, 800000 us a batch\n") !=
        std::string::npos);
  // Of it, the embedded challenger's threads (0.5 s) and the runner's own, likewise a bench's batch.
  CHECK(s.find("  cpu        of which the runner 600000 us a batch, the embedded challenger (serving, scoring) "
               "200000 us a batch\n") != std::string::npos);
  RunReport external = r;
  external.embedded_cpu_seconds = -1;
  CHECK(summary_text(external).find("of which the runner") == std::string::npos);
  CHECK(s.find("  incomplete batch 5 (print P0, tile 3, layer 2): its window lacks layer(s) 0, 1\n") !=
        std::string::npos);
  CHECK(s.find("  kafka      workers held every partition of raw-batch after 0.75 s") != std::string::npos);
  CHECK(s.find("  reposted   2 result(s)") != std::string::npos);
  CHECK(s.find("  warm-up    the first 2 batch(es) of each bench left out of time and latency: 5 answered counted\n") !=
        std::string::npos);
  CHECK(s.find("  repeat     2 benches, medians: throughput 3.6 batches/s (3.2-4.0, spread 20.7%); p99 3.38 ms "
               "(3.25-3.50, spread 7.4%)\n") != std::string::npos);
  CHECK(s.find("  #1         bench b41: 5 counted, 1.500 s, 3.2 batches/s, p50 1.25 ms, p99 3.50 ms\n") !=
        std::string::npos);
  CHECK(s.find("  recording  9 batches, 7 results kept; 0 lost\n") != std::string::npos);
  CHECK(s.find("  error      refused \"end\"\n") != std::string::npos);
  CHECK(s.find("  failed     batch 7: TIFF has 8 bits per sample, need 16\n") != std::string::npos);
  CHECK(s.find("  failed     a batch: before an id\n") != std::string::npos);
  // Ends with one formatted line from the challenger; its raw reply is in the JSON report only.
  const std::string last =
      "\nchallenger: 7 answered, 1 wrong, 2 missing, 6.5 batches/s, p99 3.30 ms (micro, 2 benches: counts summed, "
      "figures medians)\n";
  CHECK(s.substr(s.size() - last.size()) == last);
  CHECK(s.find("{\"count\": 9}") == std::string::npos);
  r.challenger = ChallengerStats{};
  r.end_reply = "";
  CHECK(summary_text(r).find("challenger: ended with an empty reply") != std::string::npos);
  r.end_reply = "whatever it said";
  const std::string other = summary_text(r);
  CHECK(other.find("whatever it said") == std::string::npos);
  CHECK(other.find("challenger: ended; its reply gives no figures") != std::string::npos);
}
