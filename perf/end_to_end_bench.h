#pragma once
#include <string>

#include "core/challenger/served_dataset.h"
#include "perf/harness.h"

namespace lpbf::perf {

struct EndToEnd {
  double batches_per_s = 0, p50_ms = 0, p99_ms = 0;
  size_t answered = 0, failed = 0;
  // Busy time per answered batch of each stage (fetch and submit on the io thread, decode and
  // analyse on the workers), in microseconds.
  double fetch_us = 0, decode_us = 0, analyse_us = 0, submit_us = 0;
  // CPU of the whole process (runner, embedded challenger, mock brokers, workers) per answered
  // batch while the clock ran, in microseconds: steadier than throughput on a shared VM.
  double cpu_us = 0;
  std::string recording;  // with a record_dir: what the recorder kept
};

// The runner against the embedded challenger on loopback: synthetic 500x500 tiles, 16 a layer.
// `layout` "" rotates through every TIFF layout, "raw" is uncompressed only.
// `kafka_workers` > 0: through librdkafka's mock cluster with that many in-process workers.
// `transport_only`: every batch answered at once with an empty result (RunOptions).
// `record_dir`: --record into it (it must not hold a recording).
EndToEnd measure_end_to_end(int layers, const std::string& layout, int threads, int connections, int kafka_workers = 0,
                            bool transport_only = false, const std::string& record_dir = "");

// The same over https: the embedded challenger serving TLS with a certificate made at start (by
// the `openssl` CLI), the runner verifying it (--cacert).
EndToEnd measure_end_to_end_https(int layers, const std::string& layout, int threads, int connections);

// The synthetic dataset those runs serve (once per process, through the dataset cache).
const ServedDataset& perf_dataset(int layers, const std::string& layout);

void run_end_to_end_benchmarks(Report& report, int layers);

// --record DIR against the same run without it, paired within rounds (the VM's speed switches minute
// to minute): the bar is at most 10 % of throughput on the uncompressed 500x500 stream.
void run_recording_benchmark(Report& report);

// The uncompressed 500x500 stream over https against the same over plain HTTP, paired within
// rounds: throughput ratio (bar: >= 0.7) and TLS's CPU a batch (the difference of the two).
void run_tls_benchmark(Report& report);

}  // namespace lpbf::perf
