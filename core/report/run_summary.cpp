#include "core/report/run_summary.h"

#include <cstdio>

#include "core/pipeline/memory_budget.h"

namespace lpbf {
namespace {

// The challenger's own figures beside lpbf-bench's: they differ by where each clock starts (the
// challenger's latency from serving a batch, ours from its reply's arrival) and by what each counts.
std::string challenger_stats_text(const ChallengerStats& c, size_t answered, double seconds) {
  if (!c.any()) return {};
  char buf[512];
  auto ms = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f ms", v);
    return v < 0 ? std::string("-") : std::string(b);
  };
  std::snprintf(buf, sizeof buf,
                "  challenger %s served, %s answered, %s missing, %.1f batches/s, p99 %s, mean %s (ours: %zu answered, "
                "%.1f batches/s)\n",
                c.served >= 0 ? std::to_string(c.served).c_str() : "-",
                c.results >= 0 ? std::to_string(c.results).c_str() : "-",
                c.missing >= 0 ? std::to_string(c.missing).c_str() : "-", c.throughput, ms(c.latency_p99_ms).c_str(),
                ms(c.latency_mean_ms).c_str(), answered, seconds > 0 ? double(answered) / seconds : 0.0);
  return buf;
}

// --rate: what was offered against what was sent, the backlog, and the latency from the schedule.
std::string open_model_text(const OpenModelReport& m) {
  if (!m.open()) return {};
  char buf[640];
  std::string s;
  std::snprintf(buf, sizeof buf, "  rate       offered %.1f batches/s, achieved %.1f (%.1f %%)%s\n", m.offered_rate,
                m.achieved_rate, 100 * m.achieved_rate / m.offered_rate,
                m.fell_behind() ? ": the pipeline did not keep up (achieved < 95 % of offered)" : "");
  s += buf;
  std::snprintf(buf, sizeof buf, "  backlog    max %lld batches, %.2f ms late; at the end %lld batches, %.2f ms late\n",
                (long long)m.max_backlog, m.max_lateness_ms, (long long)m.end_backlog, m.end_lateness_ms);
  s += buf;
  std::snprintf(buf, sizeof buf,
                "  corrected  p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (scheduled send to result "
                "acknowledged: coordinated omission corrected)\n",
                m.p50, m.p90, m.p99, m.max);
  s += buf;
  return s;
}

}  // namespace

std::string summary_text(const RunReport& r) {
  const size_t answered = size_t(r.results);
  char buf[1024];
  std::string s;
  std::snprintf(buf, sizeof buf, "bench %s \"%s\" at %s\n", r.bench_id.c_str(), r.bench_name.c_str(), r.url.c_str());
  s += buf;
  std::snprintf(buf, sizeof buf, "  batches    %zu fetched, %zu answered, %zu failed\n", size_t(r.batches), answered,
                r.failed.size());
  s += buf;
  std::snprintf(buf, sizeof buf, "  time       %.3f s, %.1f batches/s\n", r.wall_seconds, r.throughput);
  s += buf;
  std::snprintf(
      buf, sizeof buf,
      "  latency    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (next_batch reply to result acknowledged)\n",
      r.p50, r.p90, r.p99, r.max);
  s += buf;
  s += open_model_text(r.open_model);
  std::snprintf(buf, sizeof buf,
                "  busy       fetch %.3f s, decode %.3f s, analyse %.3f s, submit %.3f s; max queue depth %zu\n",
                r.fetch_s, r.decode_s, r.analyse_s, r.submit_s, size_t(r.max_queue_depth));
  s += buf;
  // Whether the run was CPU-bound: everything this process ran in the clock (the embedded
  // challenger and a mock Kafka cluster too, when they are in it).
  std::snprintf(buf, sizeof buf, "  cpu        %.3f s user+system in this process, %.2f of %u cores, %.0f us a batch\n",
                r.cpu_seconds, r.wall_seconds > 0 ? r.cpu_seconds / r.wall_seconds : 0.0, r.cores,
                answered > 0 ? 1e6 * r.cpu_seconds / double(answered) : 0.0);
  s += buf;
  if (r.memory_budget > 0) {
    s += "  memory     budget " + MemoryBudget::describe_bytes(uint64_t(r.memory_budget)) + ", at most " +
         MemoryBudget::describe_bytes(uint64_t(r.memory_peak)) +
         " held (batches fetched, decoded images, tile windows)\n";
  }
  if (!r.incomplete.empty()) {
    std::snprintf(buf, sizeof buf,
                  "  incomplete %zu answer(s) computed on windows lacking a layer (Q1 exact; Q2/Q3 may differ):\n",
                  r.incomplete.size());
    s += buf;
    for (const IncompleteWindow& w : r.incomplete) {
      std::string layers;
      for (int64_t m : w.missing_layers) layers += (layers.empty() ? "" : ", ") + std::to_string(m);
      s += "  incomplete batch " + std::to_string(w.batch_id) + " (print " + w.print_id + ", tile " +
           std::to_string(w.tile_id) + ", layer " + std::to_string(w.layer) + "): its window lacks layer(s) " + layers +
           "\n";
    }
  }
  if (r.kafka_ready_seconds >= 0) {
    std::snprintf(buf, sizeof buf,
                  "  kafka      workers held every partition of %s after %.2f s (before the bench was created)\n",
                  r.kafka_raw_topic.c_str(), r.kafka_ready_seconds);
    s += buf;
    std::string members;
    for (const std::string& m : r.kafka_members) members += (members.empty() ? "" : ", ") + m;
    s += "  kafka      group generation " + std::to_string(r.kafka_generation_at_start) + " at the start, " +
         std::to_string(r.kafka_generation_at_end) + " at the end" +
         (r.kafka_generation_at_end > r.kafka_generation_at_start ? " (REBALANCED during the run)" : "") +
         "; members: " + (members.empty() ? std::string("(not known)") : members) + "\n";
  }
  if (r.uncertain_reposts > 0) {
    std::snprintf(buf, sizeof buf,
                  "  reposted   %zu result(s) after a connection died with the first post's fate unknown (a challenger "
                  "may count each twice; the evaluation server does)\n",
                  size_t(r.uncertain_reposts));
    s += buf;
  }
  s += challenger_stats_text(r.challenger, answered, r.wall_seconds);
  if (!r.recording.empty()) s += "  recording  " + r.recording + "\n";
  if (r.tls_insecure)
    s += "  WARNING    --insecure: the challenger's TLS certificate and host name were not verified\n";
  for (const std::string& e : r.errors) s += "  error      " + e + "\n";
  for (const FailedBatch& f : r.failed)
    s += "  failed     " + (f.batch_id >= 0 ? "batch " + std::to_string(f.batch_id) : std::string("a batch")) + ": " +
         f.reason + "\n";
  // The evaluation server answers /api/end with nothing: its results appear on the organisers' site.
  s += "challenger: " +
       (r.end_reply.empty()
            ? std::string("(ended; an empty reply: the evaluation server publishes results on its web site)")
            : r.end_reply) +
       "\n";
  return s;
}

}  // namespace lpbf
