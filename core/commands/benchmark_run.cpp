#include "core/commands/benchmark_run.h"

#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <atomic>
#include <thread>

#include "core/pipeline/analysis_stage.h"
#include "core/pipeline/fetch_stage.h"
#include "core/pipeline/memory_budget.h"
#include "core/kafka/kafka_bridge.h"
#include "core/kafka/kafka_options.h"
#include "core/kafka/kafka_roster.h"
#include "core/pipeline/latency_stats.h"
#include "core/report/trace_json.h"
#include "core/pipeline/run_metrics.h"
#include "io/http_server.h"
#include "io/prometheus_text.h"
#include "io/host_info.h"
#include "core/pipeline/submit_stage.h"
#include "io/json_text.h"
#include "core/pipeline/challenger_client.h"
#include "core/pipeline/stream_recorder.h"

namespace lpbf {

namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

// The in-process Kafka workers, stopped and joined on every way out of the run.
struct KafkaWorkerThreads {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  void stop_all() {
    stop = true;
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
  ~KafkaWorkerThreads() { stop_all(); }
};

// One batch on each fetch connection, one in each worker's hands and one waiting for the next free
// worker: more only adds queueing latency. Measured with 2 threads, 4 connections: 6 cost 15% of
// uncompressed throughput; 8 took p99 on the mixed stream to 10 ms for no throughput. Through Kafka a
// batch takes a few milliseconds of hops (produce, replicate, fetch, produce, fetch) on top of its
// analysis: the bound is the throughput wanted times that delay (kKafkaDefaultInFlight; measured in
// perf/RESULTS.md).
size_t max_in_flight_of(const RunOptions& o) {
  if (o.max_in_flight > 0) return size_t(o.max_in_flight);
  return o.kafka ? size_t(kKafkaDefaultInFlight) : size_t(o.effective_threads() + o.connections + 1);
}

// The run's objects, declared in the order they must come to life: the Kafka workers before the
// bench exists (their group joins must not run on the clock), the io_context before everything that
// uses it, the channels before the stages that send on them, the metrics server before the bench is
// created (a port in use fails the run first). They die in reverse order.
class BenchmarkRun {
 public:
  explicit BenchmarkRun(const RunOptions& options)
      : options_(options),
        client_(io_, options.url, options.timeout, options.tls),
        progress_timer_(io_),
        sample_timer_(io_) {}

  RunResult run() {
    if (!options_.record_dir.empty()) start_recording();
    if (options_.kafka) start_kafka_workers();
    if (options_.metrics_port >= 0) serve_metrics();
    Result<std::string> bench = client_.create(options_.apitoken, options_.bench_name, options_.test);
    if (!bench) throw SetupError(bench.error());
    result_.bench_id = bench.value();
    if (Status started = client_.start(); !started) throw SetupError(started.error());
    build_pipeline();
    run_pipeline();
    end_bench();
    if (recorder_) result_.recording = recorder_->finish().summary();
    if (options_.on_run_ended) options_.on_run_ended(result_);
    if (metrics_server_) linger_for_scrapes();
    return std::move(result_);
  }

 private:
  // --record DIR: an unusable DIR fails the run before the bench exists; a failure part-way stops
  // the recording only (its message on stderr at once, and in the summary).
  void start_recording() {
    RecorderLimits limits;
    limits.on_error = [](const std::string& why) { std::fprintf(stderr, "lpbf-bench: %s\n", why.c_str()); };
    try {
      recorder_ = std::make_unique<StreamRecorder>(options_.record_dir, limits);
    } catch (const std::exception& e) {
      throw SetupError(std::string("--record: ") + e.what());
    }
  }

  void start_kafka_workers() {
    if (const Status topics = prepare_kafka_topics(*options_.kafka); !topics) throw SetupError(topics.error());
    for (int i = 0; i < options_.kafka_workers; ++i)
      kafka_workers_.threads.emplace_back([this] { run_kafka_worker(*options_.kafka, kafka_workers_.stop); });
    const Result<WorkersReady> ready =
        wait_for_workers(*options_.kafka, size_t(options_.kafka_workers),
                         std::chrono::duration_cast<std::chrono::milliseconds>(options_.kafka->ready_timeout));
    if (!ready) throw SetupError(ready.error());
    result_.kafka_ready_seconds = ready->seconds;
    result_.kafka_generation_at_start = ready->generation;
    kafka_roster_from_ = ready->roster_offset;  // the bridge watches the generation on from there
    for (const RosterMember& m : ready->members) result_.kafka_members.push_back(m.describe());
  }

  void serve_metrics() {
    try {
      // The handler runs on the io thread, which owns the ledger.
      metrics_server_ = std::make_unique<HttpServer>(
          io_, options_.metrics_bind, static_cast<unsigned short>(options_.metrics_port),
          [this](const HttpRequest& req) {
            if (req.target != "/metrics") return HttpReply{404, "text/plain", "only /metrics here\n", nullptr};
            const RunLedger& l = result_.ledger;
            return HttpReply{200, kPrometheusContentType,
                             metrics_text_.text(l, metrics_,
                                                {to_analyse_.depth(), to_submit_.depth(),
                                                 l.trace.samples.empty() ? -1 : l.trace.samples.back().kafka_lag}),
                             nullptr};
          },
          HttpServerLimits{}, kRunnerServerName);
    } catch (const std::exception& e) {
      throw SetupError("cannot serve metrics on " + options_.metrics_bind + ":" +
                       std::to_string(options_.metrics_port) + ": " + e.what());
    }
    if (options_.on_metrics_listening) options_.on_metrics_listening(metrics_server_->port());
  }

  // --metrics-linger S: the endpoint stays up S seconds after the run (its handler still reads the
  // final ledger on this thread), so that a scraper sees the last increments; SIGINT ends it sooner.
  void linger_for_scrapes() {
    const int seconds =
        options_.metrics_linger_seconds < 0 ? kDefaultMetricsLingerSeconds : options_.metrics_linger_seconds;
    if (seconds <= 0) return;
    std::fprintf(stderr,
                 "lpbf-bench: metrics at http://%s:%u/metrics stay up %d s for a last scrape (Ctrl-C ends it)\n",
                 options_.metrics_bind.c_str(), unsigned(metrics_server_->port()), seconds);
    net::steady_timer timer(io_);
    net::signal_set interrupt(io_, SIGINT);
    timer.expires_after(std::chrono::seconds(seconds));
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) io_.stop();
    });
    interrupt.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) io_.stop();
    });
    io_.restart();
    io_.run();
  }

  // fetch -> (in-process analysis, or Kafka topics with workers that may live elsewhere) -> submit.
  void build_pipeline() {
    const ChallengerTarget& target = client_.target();
    auto on_change = [this] {
      if (fetch_) fetch_->wake();
      finish_when_done();
    };
    std::function<void(const TileResult&)> on_accepted;
    if (recorder_)
      on_accepted = [this](const TileResult& answer) { static_cast<void>(recorder_->record_result(answer)); };
    submit_ = std::make_unique<SubmitStage>(io_, target, options_.connections, to_submit_, result_.ledger, metrics_,
                                            on_change, std::move(on_accepted));
    Sender<FetchedBatch>* to_analysis = &to_analyse_;
    if (options_.kafka) {
      try {
        kafka_ = std::make_unique<KafkaBridge>(*options_.kafka, result_.bench_id, to_submit_, kafka_roster_from_);
      } catch (const std::exception& e) {
        throw SetupError(e.what());
      }
      to_analysis = kafka_.get();
    }
    fetch_ = std::make_unique<FetchStage>(
        io_, target, options_.connections, max_in_flight_of(options_), options_.max_batches, *to_analysis,
        [this](FetchedBatch& fb) {  // in batch_id order
          // --warmup N: the CPU counted starts with the last warm-up batch's release.
          if (++released_ == options_.warmup) {
            cpu_at_warmup_ = process_cpu_seconds();
            if (options_.embedded_cpu_seconds) embedded_cpu_at_warmup_ = options_.embedded_cpu_seconds();
          }
          // A batch the recorder cannot keep is counted by it (its summary says how many).
          if (recorder_) static_cast<void>(recorder_->record_batch(fb.batch));
          if (!options_.kafka) analysis_.assign(fb);
        },
        result_.ledger, metrics_, on_change);
    // Through Kafka the batches leave this process: their bytes are the workers' to bound.
    if (!options_.kafka) {
      fetch_->set_memory_budget(&budget_);
      analysis_.set_memory_budget(&budget_);
    }
    if (options_.rate > 0) fetch_->pace(options_.rate);
  }

  void run_pipeline() {
    std::thread workers([this] {
      if (!options_.kafka) analysis_.run(options_.effective_threads());
    });
    io_.restart();
    // While workers analyse, the io thread may have nothing pending: keep it running until done.
    auto keep_running = net::make_work_guard(io_);
    start_ = result_.started = Clock::now();
    const double cpu_at_start = process_cpu_seconds();
    const double embedded_at_start = options_.embedded_cpu_seconds ? options_.embedded_cpu_seconds() : 0;
    fetch_->start();
    take_sample();
    if (options_.progress) show_progress();
    io_.run();
    if (options_.progress) std::fprintf(stderr, "\r\033[K");
    result_.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    result_.cpu_seconds = process_cpu_seconds() - (cpu_at_warmup_ >= 0 ? cpu_at_warmup_ : cpu_at_start);
    if (options_.embedded_cpu_seconds)
      result_.embedded_cpu_seconds = options_.embedded_cpu_seconds() -
                                     (embedded_cpu_at_warmup_ >= 0 ? embedded_cpu_at_warmup_ : embedded_at_start);
    sample_now();
    analysis_.close();
    workers.join();
    if (kafka_) {
      kafka_->stop();
      result_.kafka_generation_at_end =
          std::max<int64_t>(result_.kafka_generation_at_start, kafka_->newest_generation());
      kafka_workers_.stop_all();
    }
    result_.fetch_ns = metrics_.fetch_ns, result_.decode_ns = metrics_.decode_ns;
    result_.analyse_ns = metrics_.analyse_ns, result_.submit_ns = metrics_.submit_ns;
    result_.max_queue_depth = std::max(to_analyse_.max_depth(), to_submit_.max_depth());
    if (!options_.kafka) result_.memory_budget = budget_.capacity(), result_.memory_peak = budget_.peak();
    if (const SendSchedule* schedule = fetch_->schedule()) result_.pacing = schedule->stats();
  }

  void finish_when_done() {
    if (finished_ || !fetch_ || !fetch_->done() || result_.ledger.outstanding() > 0 || !submit_->idle()) return;
    finished_ = true;
    progress_timer_.cancel();
    sample_timer_.cancel();
    io_.stop();
  }

  // next_batch's 404 tells the end of the stream from a forgotten bench by its body (the fetch stage
  // saw which); /api/end tells again, for a challenger whose 404 bodies say nothing: it answers 404
  // only for a bench it does not know, and this run created this one.
  void end_bench() {
    RunLedger& ledger = result_.ledger;
    result_.bench_forgotten = fetch_->bench_forgotten();
    Result<ChallengerClient::EndReply> ended = client_.end();
    if (!ended) {
      result_.end_reply = "(end failed: " + ended.error() + ")";
      ledger.errors.push_back(ended.error());
      return;
    }
    result_.end_reply = ended->body;
    result_.challenger = ended->stats;
    if (ended->bench_forgotten && !result_.bench_forgotten) {
      result_.bench_forgotten = true;
      ledger.errors.push_back(
          "the challenger no longer knows bench " + result_.bench_id + " (HTTP 404 on /api/end: " + ended->body +
          "): it was probably restarted, so the 404 on next_batch after " + std::to_string(ledger.released) +
          " batch(es) was not the end of the stream; batches it served were lost with it, and "
          "every fetched batch not answered is listed as failed");
    }
  }

  void show_progress() {
    const RunLedger& l = result_.ledger;
    const double s = std::chrono::duration<double>(Clock::now() - start_).count();
    std::fprintf(stderr, "\r\033[K  %zu answered  %.0f batches/s  %zu failed  %zu in flight", l.answered,
                 s > 0 ? double(l.answered) / s : 0.0, l.failures.size(), l.outstanding());
    progress_timer_.expires_after(std::chrono::milliseconds(250));
    progress_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) show_progress();
    });
  }

  // The pipeline's depths now, for the report's charts (every 100 ms, and once at the end).
  void sample_now() {
    RunLedger& l = result_.ledger;
    l.trace.samples.push_back({Clock::now(), l.outstanding(), to_analyse_.depth(), to_submit_.depth(), l.answered,
                               l.failures.size(), kafka_ ? kafka_->consumer_lag() : -1});
  }
  void take_sample() {
    sample_now();
    sample_timer_.expires_after(std::chrono::milliseconds(100));
    sample_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) take_sample();
    });
  }

  const RunOptions& options_;
  RunResult result_;
  std::unique_ptr<StreamRecorder> recorder_;  // fed by the stages: outlives them
  KafkaWorkerThreads kafka_workers_;
  net::io_context io_;
  ChallengerClient client_;
  StageMetrics metrics_;
  // Before everything that holds a charge on it (the channels' batches, the windows): dies after them.
  // A release after a refused fetch wakes the fetch stage on the io thread.
  MemoryBudget budget_{options_.memory_budget ? options_.memory_budget : default_memory_budget(), [this] {
                         net::post(io_, [this] {
                           if (fetch_) fetch_->wake();
                         });
                       }};
  QueueChannel<FetchedBatch> to_analyse_;
  QueueChannel<BatchOutcome> to_submit_{[this] { net::post(io_, [this] { submit_->wake(); }); }};
  RunMetrics metrics_text_;  // what the metrics server answers, kept between scrapes
  std::unique_ptr<HttpServer> metrics_server_;
  AnalysisStage analysis_{to_analyse_, to_submit_, metrics_, options_.transport_only};
  std::unique_ptr<KafkaBridge> kafka_;
  int64_t kafka_roster_from_ = -1;
  std::unique_ptr<SubmitStage> submit_;
  std::unique_ptr<FetchStage> fetch_;
  net::steady_timer progress_timer_, sample_timer_;
  Clock::time_point start_;
  bool finished_ = false;
  int64_t released_ = 0;                // batches released to analysis so far
  double cpu_at_warmup_ = -1;           // this process's CPU seconds when the warm-up's last batch was released
  double embedded_cpu_at_warmup_ = -1;  // the embedded challenger's, then
};

// --rate: the schedule's figures, and each answered batch's latency from its scheduled send
// (corrected for coordinated omission) beside the one from its next_batch reply.
void add_open_model(RunReport& p, const SendSchedule::Stats& s, const RunTrace& trace) {
  OpenModelReport& o = p.open_model;
  o.offered_rate = s.offered_rate, o.achieved_rate = s.achieved_rate;
  o.max_backlog = s.max_backlog, o.end_backlog = s.end_backlog;
  o.max_lateness_ms = s.max_lateness_ms, o.end_lateness_ms = s.end_lateness_ms;
  std::vector<double> corrected;
  for (const BatchTrace& t : trace.batches())
    if (t.outcome == BatchTrace::Outcome::answered && t.scheduled != Clock::time_point{})
      corrected.push_back(std::chrono::duration<double, std::milli>(t.acked - t.scheduled).count());
  const LatencySummary c = summarise_latencies(std::move(corrected));
  o.p50 = c.p50, o.p90 = c.p90, o.p99 = c.p99, o.max = c.max, o.mean = c.mean;
}

}  // namespace

RunResult run_benchmark(const RunOptions& options) {
  try {
    return BenchmarkRun(options).run();
  } catch (const std::invalid_argument& e) {  // the URL
    throw SetupError(e.what());
  }
}

RunReport make_run_report(const RunOptions& options, const RunResult& r) {
  const RunLedger& l = r.ledger;
  RunReport p;
  p.bench_id = r.bench_id, p.bench_name = options.bench_name, p.url = options.url;
  p.command = options.command_line, p.config = options.configuration;
  p.machine = describe_machine(), p.version = build_version();
  p.connections = options.connections, p.threads = options.effective_threads();
  p.batches = int64_t(l.released), p.results = int64_t(l.answered);
  p.cpu_seconds = r.cpu_seconds;
  p.embedded_cpu_seconds = r.embedded_cpu_seconds;
  // --warmup N: the statistics start with the (N+1)-th batch fetched (the trace holds the batches in
  // that order): its latency is the first counted, its fetch starts the measured time.
  p.warmup = options.warmup;
  std::vector<double> latencies;
  double window = r.seconds;
  if (options.warmup <= 0) {
    latencies = l.latencies_ms;
  } else {
    const auto& batches = l.trace.batches();
    const size_t first = size_t(std::min<int64_t>(options.warmup, int64_t(batches.size())));
    for (size_t i = first; i < batches.size(); ++i)
      if (batches[i].outcome == BatchTrace::Outcome::answered)
        latencies.push_back(std::chrono::duration<double, std::milli>(batches[i].acked - batches[i].fetched).count());
    window = first < batches.size()
                 ? r.seconds - std::chrono::duration<double>(batches[first].fetched - r.started).count()
                 : 0.0;
  }
  p.measured = int64_t(latencies.size());
  p.wall_seconds = window;
  p.throughput = window > 0 ? double(latencies.size()) / window : 0.0;
  const LatencySummary lat = summarise_latencies(std::move(latencies));
  p.p50 = lat.p50, p.p90 = lat.p90, p.p99 = lat.p99, p.max = lat.max, p.mean = lat.mean;
  p.fetch_s = double(r.fetch_ns) / 1e9, p.decode_s = double(r.decode_ns) / 1e9;
  p.analyse_s = double(r.analyse_ns) / 1e9, p.submit_s = double(r.submit_ns) / 1e9;
  p.max_queue_depth = int64_t(r.max_queue_depth);
  p.kafka_ready_seconds = r.kafka_ready_seconds;
  p.memory_budget = int64_t(r.memory_budget), p.memory_peak = int64_t(r.memory_peak);
  p.kafka_generation_at_start = r.kafka_generation_at_start, p.kafka_generation_at_end = r.kafka_generation_at_end;
  p.kafka_members = r.kafka_members;
  p.uncertain_reposts = int64_t(l.uncertain_reposts);
  p.max_batches = options.max_batches;
  p.recording = r.recording;
  p.tls_insecure = options.tls.insecure && options.url.rfind("https://", 0) == 0;
  p.failed = l.failures, p.errors = l.errors, p.incomplete = l.incomplete_windows;
  p.challenger = r.challenger;
  p.wrong = r.challenger.wrong, p.missing = r.challenger.missing, p.duplicates = r.challenger.duplicates;
  p.end_reply = r.end_reply;
  p.trace = traced_batches(l.trace, r.started);
  p.samples = depth_samples(l.trace, r.started);
  p.clusters = cluster_points(l.trace);
  if (r.pacing) add_open_model(p, *r.pacing, l.trace);
  if (options.kafka) p.kafka_raw_topic = options.kafka->raw_topic;
  p.cores = std::thread::hardware_concurrency();
  return p;
}

}  // namespace lpbf
