#include "perf/end_to_end_bench.h"

#include <algorithm>
#include <map>
#include <vector>

#include "core/commands/benchmark_run.h"
#include "core/challenger/challenger_host.h"
#include "core/kafka/kafka_options.h"
#include "core/pipeline/latency_stats.h"

namespace lpbf::perf {
namespace {

std::shared_ptr<const ServedDataset> dataset(int layers, const std::string& layout) {
  static std::map<std::pair<int, std::string>, std::shared_ptr<const ServedDataset>> cache;
  auto& ds = cache[{layers, layout}];
  if (!ds) {
    SyntheticSpec spec;
    spec.layers = layers;
    spec.grid = 4;
    spec.tile = 500;
    ds = std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, layout));
  }
  return ds;
}

}  // namespace

const ServedDataset& perf_dataset(int layers, const std::string& layout) { return *dataset(layers, layout); }

EndToEnd measure_end_to_end(int layers, const std::string& layout, int threads, int connections, int kafka_workers,
                            bool transport_only) {
  ChallengerHost host(dataset(layers, layout), "127.0.0.1", 0, 1);
  std::unique_ptr<MockKafkaCluster> mock;
  RunOptions o;
  if (kafka_workers > 0) {
    KafkaTopology t;
    mock = start_mock_kafka(t, 3);
    o.kafka = t;
    o.kafka_workers = kafka_workers;
  }
  o.url = host.url();
  o.bench_name = "perf";
  o.threads = threads;
  o.connections = connections;
  o.transport_only = transport_only;
  const RunResult r = run_benchmark(o);
  const LatencySummary lat = summarise_latencies(r.ledger.latencies_ms);
  const double per_batch_us = r.ledger.answered > 0 ? 1e-3 / double(r.ledger.answered) : 0;
  return {r.seconds > 0 ? double(r.ledger.answered) / r.seconds : 0,
          lat.p50,
          lat.p99,
          r.ledger.answered,
          r.ledger.failures.size(),
          double(r.fetch_ns) * per_batch_us,
          double(r.decode_ns) * per_batch_us,
          double(r.analyse_ns) * per_batch_us,
          double(r.submit_ns) * per_batch_us};
}

void run_end_to_end_benchmarks(Report& report, int layers) {
  for (const std::string layout : {"raw", ""}) {
    const std::string name = layout.empty() ? "mixed TIFF layouts" : "uncompressed TIFF";
    for (int threads : {1, 2}) {
      std::vector<EndToEnd> runs;  // the median of three runs, by throughput
      for (int rep = 0; rep < 3; ++rep) runs.push_back(measure_end_to_end(layers, layout, threads, 4));
      std::sort(runs.begin(), runs.end(), [](auto& a, auto& b) { return a.batches_per_s < b.batches_per_s; });
      const EndToEnd best = runs[1];
      const std::string label = name + ", " + std::to_string(threads) + " thread(s)";
      report.add("e2e", label + " throughput", best.batches_per_s, "batches/s",
                 std::to_string(best.answered) + " answered, " + std::to_string(best.failed) + " failed");
      report.add("e2e", label + " latency p50", best.p50_ms, "ms");
      report.add("e2e", label + " latency p99", best.p99_ms, "ms");
      // Where a batch's time goes: each stage's busy time, and its share of all stages' time.
      // The rest of a batch's CPU is outside the stages: the kernel's socket copies, Beast's
      // parsing, and the embedded challenger serving it.
      const std::pair<const char*, double> stages[] = {
          {"fetch", best.fetch_us}, {"decode", best.decode_us}, {"analyse", best.analyse_us}, {"submit", best.submit_us}};
      double total = 0;
      for (const auto& [stage, us] : stages) total += us;
      for (const auto& [stage, us] : stages)
        report.add("e2e", label + " stage " + stage, us, "us/batch",
                   std::to_string(int(total > 0 ? 100 * us / total + 0.5 : 0)) + "% of stage time");
    }
  }
  // Through Kafka topics (mock cluster, 3 brokers, 8 partitions), on issue 12's stream: 1600
  // uncompressed batches, 2 analysis threads in-process against 1 or 2 in-process workers. The
  // workers' group joins happen before the bench is created, so they are not in the figures.
  // The median of three runs each, and the in-process run of the same stream measured here too,
  // for the ratio the issue sets (>= 0.5).
  auto median_of_three = [](auto measure) {
    std::vector<EndToEnd> runs;
    for (int rep = 0; rep < 3; ++rep) runs.push_back(measure());
    std::sort(runs.begin(), runs.end(), [](auto& a, auto& b) { return a.batches_per_s < b.batches_per_s; });
    return runs[1];
  };
  const int kafka_layers = 100;
  const EndToEnd in_process = median_of_three([&] { return measure_end_to_end(kafka_layers, "raw", 2, 4); });
  report.add("kafka", "uncompressed TIFF, 1600 batches, in-process, 2 threads throughput", in_process.batches_per_s,
             "batches/s", "the reference for the ratios below");
  for (int workers : {1, 2}) {
    const EndToEnd k = median_of_three([&] { return measure_end_to_end(kafka_layers, "raw", 1, 4, workers); });
    const std::string label = "uncompressed TIFF, 1600 batches, --kafka mock, " + std::to_string(workers) + " worker(s)";
    report.add("kafka", label + " throughput", k.batches_per_s, "batches/s",
               std::to_string(k.answered) + " answered, " + std::to_string(k.failed) + " failed");
    report.add("kafka", label + " / in-process", in_process.batches_per_s > 0 ? k.batches_per_s / in_process.batches_per_s : 0,
               "ratio", "issue 12: >= 0.5");
    report.add("kafka", label + " latency p50", k.p50_ms, "ms");
    report.add("kafka", label + " latency p99", k.p99_ms, "ms");
  }
}

}  // namespace lpbf::perf
