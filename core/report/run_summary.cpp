#include "core/report/run_summary.h"

#include <algorithm>
#include <cstdio>

#include "core/pipeline/memory_budget.h"

namespace lpbf {
namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string count_text(int64_t v) { return v >= 0 ? std::to_string(v) : std::string("-"); }

// The last line: the challenger's own verdict, formatted. Its figures differ from ours by where each
// clock starts (the challenger's latency from serving a batch, ours from its reply's arrival) and by
// what each counts (it sees the warm-up too). Its reply as it came is in the JSON report only.
std::string challenger_line(const RunReport& r) {
  const ChallengerStats& c = r.challenger;
  if (!c.any())
    return r.end_reply.empty() || r.end_reply.find_first_not_of('\n') == std::string::npos
               ? "challenger: ended with an empty reply (the evaluation server publishes results on its web site)\n"
               : "challenger: ended; its reply gives no figures lpbf-bench reads (kept in the JSON report)\n";
  char buf[512];
  std::snprintf(buf, sizeof buf, "challenger: %s answered, %s wrong, %s missing, %s batches/s, p99 %s (%s%s)\n",
                count_text(c.results).c_str(), count_text(c.wrong).c_str(), count_text(c.missing).c_str(),
                c.throughput >= 0 ? fmt("%.1f", c.throughput).c_str() : "-",
                c.latency_p99_ms >= 0 ? fmt("%.2f ms", c.latency_p99_ms).c_str() : "-", c.source.c_str(),
                r.repetitions.empty()
                    ? ""
                    : fmt(", %.0f benches: counts summed, figures medians", double(r.repetitions.size())).c_str());
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

// --repeat: the median and spread of each figure, then each bench.
std::string repetitions_text(const RunReport& r) {
  if (r.repetitions.empty()) return {};
  auto figure = [&](const char* name, double Repetition::*f, const char* format, const char* unit) {
    const Spread s = spread_of(r, f);
    return std::string(name) + " " + fmt(format, s.median) + " " + unit + " (" + fmt(format, s.min) + "-" +
           fmt(format, s.max) + ", spread " + fmt("%.1f%%", 100 * s.relative()) + ")";
  };
  std::string s = "  repeat     " + std::to_string(r.repetitions.size()) +
                  " benches, medians: " + figure("throughput", &Repetition::throughput, "%.1f", "batches/s") + "; " +
                  figure("p99", &Repetition::p99, "%.2f", "ms") + "\n";
  for (size_t i = 0; i < r.repetitions.size(); ++i) {
    const Repetition& p = r.repetitions[i];
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "  #%-9zu bench %s: %lld counted, %.3f s, %.1f batches/s, p50 %.2f ms, p99 %.2f ms\n", i + 1,
                  p.bench_id.c_str(), (long long)p.measured, p.wall_seconds, p.throughput, p.p50, p.p99);
    s += buf;
  }
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
  if (r.warmup > 0) {
    std::snprintf(buf, sizeof buf,
                  "  warm-up    the first %lld batch(es) of each bench left out of time and latency: %lld answered "
                  "counted\n",
                  (long long)r.warmup, (long long)std::max<int64_t>(0, r.measured));
    s += buf;
  }
  s += repetitions_text(r);
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
  // Over the batches the CPU was counted for (after the warm-up); with --repeat, a bench's median
  // CPU over a bench's batches.
  const int64_t counted = r.warmup > 0 && r.measured >= 0 ? r.measured : r.results;
  const double per_bench = double(counted) / double(std::max<size_t>(1, r.repetitions.size()));
  std::snprintf(buf, sizeof buf, "  cpu        %.3f s user+system in this process, %.2f of %u cores, %.0f us a batch\n",
                r.cpu_seconds, r.wall_seconds > 0 ? r.cpu_seconds / r.wall_seconds : 0.0, r.cores,
                per_bench > 0 ? 1e6 * r.cpu_seconds / per_bench : 0.0);
  s += buf;
  // The embedded challenger's threads (serving batches, scoring results) apart from the runner's own.
  if (r.embedded_cpu_seconds >= 0 && r.cpu_seconds >= 0 && per_bench > 0) {
    std::snprintf(buf, sizeof buf,
                  "  cpu        of which the runner %.0f us a batch, the embedded challenger (serving, scoring) %.0f "
                  "us a batch\n",
                  1e6 * std::max(0.0, r.cpu_seconds - r.embedded_cpu_seconds) / per_bench,
                  1e6 * r.embedded_cpu_seconds / per_bench);
    s += buf;
  }
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
  if (!r.recording.empty()) s += "  recording  " + r.recording + "\n";
  if (r.tls_insecure)
    s += "  WARNING    --insecure: the challenger's TLS certificate and host name were not verified\n";
  for (const std::string& e : r.errors) s += "  error      " + e + "\n";
  for (const FailedBatch& f : r.failed)
    s += "  failed     " + (f.batch_id >= 0 ? "batch " + std::to_string(f.batch_id) : std::string("a batch")) + ": " +
         f.reason + "\n";
  s += challenger_line(r);
  return s;
}

}  // namespace lpbf
