#pragma once
// The runner's metrics in Prometheus' text format (`--metrics-port`): what has been answered and
// failed, latency, what is in flight, busy time per stage. Read on the io thread, which owns the
// ledger, so a scrape sees one consistent moment.
#include <string>

#include "core/pipeline/run_ledger.h"
#include "core/pipeline/stage_metrics.h"
#include "io/prometheus_text.h"

namespace lpbf {

struct QueueDepths {
  size_t to_analyse = 0, to_submit = 0;
  int64_t kafka_lag = -1;  // the Kafka workers' group lag, as last sampled; -1: none
};

// The metrics of a run scraped again and again: keeps the latency histogram between scrapes and
// observes only the latencies the ledger gained since the last (they are only ever appended), so
// a scrape costs O(new results), not O(every result of the run).
class RunMetrics {
 public:
  std::string text(const RunLedger& ledger, const StageMetrics& stages, const QueueDepths& queues);

 private:
  HistogramData latency_ = empty_histogram(kLatencyBucketsSeconds);
  size_t seen_ = 0;  // latencies observed
};

// One scrape, from scratch.
std::string run_metrics_text(const RunLedger& ledger, const StageMetrics& stages, const QueueDepths& queues);

}  // namespace lpbf
