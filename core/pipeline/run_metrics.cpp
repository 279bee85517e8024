#include "core/pipeline/run_metrics.h"

#include "io/prometheus_text.h"

namespace lpbf {

std::string run_metrics_text(const RunLedger& ledger, const StageMetrics& stages, const QueueDepths& queues) {
  return RunMetrics().text(ledger, stages, queues);
}

std::string RunMetrics::text(const RunLedger& l, const StageMetrics& s, const QueueDepths& q) {
  if (l.latencies_ms.size() < seen_) latency_ = empty_histogram(kLatencyBucketsSeconds), seen_ = 0;  // another ledger
  for (; seen_ < l.latencies_ms.size(); ++seen_) latency_.observe(l.latencies_ms[seen_] / 1e3);
  auto busy = [](const std::atomic<int64_t>& ns) { return double(ns.load(std::memory_order_relaxed)) / 1e9; };
  PrometheusText t;
  t.counter("lpbf_batches_total",
            "Batches that left the pipeline, by outcome (answered: the challenger took the result).",
            {{{{"outcome", "answered"}}, double(l.answered)}, {{{"outcome", "failed"}}, double(l.failures.size())}});
  t.counter("lpbf_batches_fetched_total", "Batches fetched and handed to analysis.", {{{}, double(l.released)}});
  t.histogram("lpbf_latency_seconds", "From a batch's next_batch reply to its result acknowledged.", latency_);
  t.gauge("lpbf_in_flight", "Batches fetched and not yet answered or failed.", {{{}, double(l.outstanding())}});
  t.gauge("lpbf_queue_depth", "Batches waiting on an arrow of the pipeline.",
          {{{{"queue", "analyse"}}, double(q.to_analyse)}, {{{"queue", "submit"}}, double(q.to_submit)}});
  t.counter("lpbf_stage_seconds_total", "Busy time of each stage, summed over its threads.",
            {{{{"stage", "fetch"}}, busy(s.fetch_ns)},
             {{{"stage", "decode"}}, busy(s.decode_ns)},
             {{{"stage", "analyse"}}, busy(s.analyse_ns)},
             {{{"stage", "submit"}}, busy(s.submit_ns)}});
  if (q.kafka_lag >= 0)  // the whole group's; not a sum of the workers' lpbf_worker_partition_lag (unconsumed only)
    t.gauge("lpbf_kafka_group_lag", "Messages of the raw topic the workers' group has not committed as answered.",
            {{{}, double(q.kafka_lag)}});
  return t.str();
}

}  // namespace lpbf
