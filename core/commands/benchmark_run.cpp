#include "core/commands/benchmark_run.h"

#include <simdjson.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <atomic>
#include <thread>

#include "core/pipeline/analysis_stage.h"
#include "core/pipeline/fetch_stage.h"
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

namespace lpbf {

namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

// A control call (create, start, end), retried while the challenger cannot be reached.
struct ControlCall {
  HttpError error;
  HttpResponse response;
  bool ok() const { return !error && response.status == 200; }
  std::string failure() const { return describe_failure(error, response); }
};

ControlCall control_call(net::io_context& io, HttpConnection& conn, http::verb verb, const std::string& target,
                         std::string body, const std::string& content_type) {
  ControlCall call;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(retry_delay(attempt));
    bool done = false;
    conn.request(verb, target, body, content_type, [&](const HttpError& e, HttpResponse&& r) {
      call.error = e;
      call.response = std::move(r);
      done = true;
    });
    io.restart();
    while (!done && io.run_one() > 0) {}
    if (!call.error && call.response.status < 500) break;  // only unreachable or 5xx are retried
  }
  return call;
}

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

}  // namespace

RunResult run_benchmark(const RunOptions& options) {
  RunResult result;
  HttpUrl url;
  try {
    url = parse_http_url(options.url);
  } catch (const std::invalid_argument& e) {
    result.setup_error = e.what();
    return result;
  }
  // With Kafka, the topics exist and every raw partition is held by a worker before the bench is
  // created: the clock must not run through consumer-group joins.
  KafkaWorkerThreads kafka_workers;
  if (options.kafka) {
    if (const Status ready = prepare_kafka_topics(*options.kafka); !ready) {
      result.setup_error = ready.error();
      return result;
    }
    for (int i = 0; i < options.kafka_workers; ++i)
      kafka_workers.threads.emplace_back([&] { run_kafka_worker(*options.kafka, kafka_workers.stop); });
    const Result<WorkersReady> ready = wait_for_workers(*options.kafka, size_t(options.kafka_workers),
                                                std::chrono::duration_cast<std::chrono::milliseconds>(options.kafka->ready_timeout));
    if (!ready) {
      result.setup_error = ready.error();
      return result;
    }
    result.kafka_ready_seconds = ready->seconds;
  }
  net::io_context io;
  ChallengerTarget target{url.host, url.port, "", options.timeout};
  auto control = std::make_shared<HttpConnection>(io, url.host, url.port, options.timeout);
  // The pipeline's arrows and accounts come first, so that the metrics server reads them from the
  // start; it listens before the bench is created, so a port in use fails the run before it.
  StageMetrics metrics;
  RunLedger& ledger = result.ledger;
  std::unique_ptr<SubmitStage> submit;
  QueueChannel<FetchedBatch> to_analyse;
  QueueChannel<BatchOutcome> to_submit([&] { net::post(io, [&] { submit->wake(); }); });
  std::unique_ptr<HttpServer> metrics_server;
  if (options.metrics_port >= 0) {
    try {
      // The handler runs on this io thread, which owns the ledger.
      metrics_server = std::make_unique<HttpServer>(
          io, options.metrics_bind, static_cast<unsigned short>(options.metrics_port), [&](const HttpRequest& req) {
            if (req.target != "/metrics") return HttpReply{404, "text/plain", "only /metrics here\n", nullptr};
            return HttpReply{200, kPrometheusContentType,
                             run_metrics_text(ledger, metrics,
                                              {to_analyse.depth(), to_submit.depth(),
                                               ledger.trace.samples.empty() ? -1 : ledger.trace.samples.back().kafka_lag}), nullptr};
          });
    } catch (const std::exception& e) {
      result.setup_error = "cannot serve metrics on " + options.metrics_bind + ":" +
                           std::to_string(options.metrics_port) + ": " + e.what();
      return result;
    }
    if (options.on_metrics_listening) options.on_metrics_listening(metrics_server->port());
  }

  JsonObject create;
  create.field("apitoken", options.apitoken).field("name", options.bench_name).field("test", options.test);
  if (options.max_batches >= 0) create.field("max_batches", options.max_batches);
  create.raw("queries", "[0]");
  const ControlCall created = control_call(io, *control, http::verb::post, "/api/create", create.str(), "application/json");
  if (!created.ok()) {
    result.setup_error = "cannot create a bench at " + options.url + ": " + created.failure();
    return result;
  }
  // The reply is a JSON string; accept a bare id too.
  result.bench_id = created.response.text();
  simdjson::dom::parser parser;
  std::string_view id;
  if (parser.parse(created.response.text()).get(id) == simdjson::SUCCESS) result.bench_id = std::string(id);
  target.bench_id = result.bench_id;
  const ControlCall started = control_call(io, *control, http::verb::post, "/api/start/" + result.bench_id, "", "");
  if (!started.ok()) {
    result.setup_error = "cannot start bench " + result.bench_id + ": " + started.failure();
    return result;
  }

  // The pipeline (set up above). Workers wake the submit stage through the io_context.
  AnalysisStage analysis(to_analyse, to_submit, metrics, options.transport_only);
  const int threads = options.effective_threads();
  // One batch on each fetch connection, one in each worker's hands and one waiting for the next
  // free worker: more only adds queueing latency. Measured with 2 threads, 4 connections: 6 cost
  // 15% of uncompressed throughput; 8 took p99 on the mixed stream to 10 ms for no throughput.
  // Through Kafka a batch takes a few milliseconds of hops (produce, replicate, fetch, produce,
  // fetch) on top of its analysis: the bound is the throughput wanted times that delay
  // (kKafkaDefaultInFlight, measured in README's Kafka section).
  const size_t max_in_flight = size_t(options.max_in_flight > 0 ? options.max_in_flight
                                      : options.kafka        ? kKafkaDefaultInFlight
                                                             : threads + options.connections + 1);

  bool finished = false;
  std::unique_ptr<FetchStage> fetch;
  net::steady_timer progress_timer(io);
  net::steady_timer sample_timer(io);  // the pipeline's depths every 100 ms, for the report
  auto check_done = [&] {
    if (finished || !fetch || !fetch->done() || ledger.outstanding() > 0 || !submit->idle()) return;
    finished = true;
    progress_timer.cancel();
    sample_timer.cancel();
    io.stop();
  };
  auto on_change = [&] {
    if (fetch) fetch->wake();
    check_done();
  };
  submit = std::make_unique<SubmitStage>(io, target, options.connections, to_submit, ledger, metrics, on_change);
  // The arrow fetch -> analyse: in-process, or Kafka topics with workers that may live elsewhere.
  std::unique_ptr<KafkaBridge> kafka;
  Sender<FetchedBatch>* to_analysis = &to_analyse;
  if (options.kafka) {
    try {
      kafka = std::make_unique<KafkaBridge>(*options.kafka, result.bench_id, to_submit);
    } catch (const std::exception& e) {
      result.setup_error = e.what();
      return result;
    }
    to_analysis = kafka.get();
  }
  fetch = std::make_unique<FetchStage>(
      io, target, options.connections, max_in_flight, *to_analysis,
      [&](FetchedBatch& fb) {
        if (!options.kafka) analysis.assign(fb);
      }, ledger, metrics, on_change);

  const auto start = Clock::now();
  std::function<void()> show_progress = [&] {
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    std::fprintf(stderr, "\r\033[K  %zu answered  %.0f batches/s  %zu failed  %zu in flight", ledger.answered,
                 s > 0 ? double(ledger.answered) / s : 0.0, ledger.failures.size(), ledger.outstanding());
    progress_timer.expires_after(std::chrono::milliseconds(250));
    progress_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) show_progress();
    });
  };
  // The pipeline's depths now, for the report's charts (every 100 ms, and once at the end).
  auto sample_now = [&] {
    ledger.trace.samples.push_back({Clock::now(), ledger.outstanding(), to_analyse.depth(), to_submit.depth(),
                                    ledger.answered, ledger.failures.size(), kafka ? kafka->consumer_lag() : -1});
  };
  std::function<void()> take_sample = [&] {
    sample_now();
    sample_timer.expires_after(std::chrono::milliseconds(100));
    sample_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) take_sample();
    });
  };
  std::thread workers([&] {
    if (!options.kafka) analysis.run(threads);
  });
  io.restart();
  // While workers analyse, the io thread may have nothing pending: keep it running until done.
  auto keep_running = net::make_work_guard(io);
  result.started = start;
  const double cpu_at_start = process_cpu_seconds();
  fetch->start();
  take_sample();
  if (options.progress) show_progress();
  io.run();
  if (options.progress) std::fprintf(stderr, "\r\033[K");
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.cpu_seconds = process_cpu_seconds() - cpu_at_start;
  sample_now();
  analysis.close();
  workers.join();
  if (kafka) {
    kafka->stop();
    kafka_workers.stop_all();
  }

  const ControlCall ended = control_call(io, *control, http::verb::post, "/api/end/" + result.bench_id, "", "");
  result.end_reply = ended.ok() ? ended.response.text() : "(end failed: " + ended.failure() + ")";
  if (!ended.ok()) ledger.errors.push_back("cannot end bench " + result.bench_id + ": " + ended.failure());
  // SPEC §1: next_batch answers 404 when the bench has no more batches, so a 404 alone cannot tell
  // the end of the stream from a challenger that lost the bench (restarted). /api/end can: it
  // answers 200 for any bench the challenger knows, and this run created this one.
  if (!ended.error && ended.response.status == 404) {
    result.bench_forgotten = true;
    ledger.errors.push_back("the challenger no longer knows bench " + result.bench_id +
                            " (HTTP 404 on /api/end for a bench this run created): it was probably restarted, "
                            "so the 404 on next_batch after " + std::to_string(ledger.released) +
                            " batch(es) was not the end of the stream; batches it served were lost with it, and "
                            "every fetched batch not answered is listed as failed");
  }
  result.fetch_ns = metrics.fetch_ns, result.decode_ns = metrics.decode_ns;
  result.analyse_ns = metrics.analyse_ns, result.submit_ns = metrics.submit_ns;
  result.max_queue_depth = std::max(to_analyse.max_depth(), to_submit.max_depth());
  return result;
}

std::string summary_text(const RunOptions& options, const RunResult& r) {
  const RunLedger& l = r.ledger;
  const LatencySummary lat = summarise_latencies(l.latencies_ms);
  char buf[1024];
  std::string s;
  std::snprintf(buf, sizeof buf, "bench %s \"%s\" at %s\n", r.bench_id.c_str(), options.bench_name.c_str(),
                options.url.c_str());
  s += buf;
  std::snprintf(buf, sizeof buf, "  batches    %zu fetched, %zu answered, %zu failed\n", l.released, l.answered,
                l.failures.size());
  s += buf;
  std::snprintf(buf, sizeof buf, "  time       %.3f s, %.1f batches/s\n", r.seconds,
                r.seconds > 0 ? double(l.answered) / r.seconds : 0.0);
  s += buf;
  std::snprintf(buf, sizeof buf, "  latency    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (next_batch reply to result acknowledged)\n",
                lat.p50, lat.p90, lat.p99, lat.max);
  s += buf;
  std::snprintf(buf, sizeof buf, "  busy       fetch %.3f s, decode %.3f s, analyse %.3f s, submit %.3f s; max queue depth %zu\n",
                double(r.fetch_ns) / 1e9, double(r.decode_ns) / 1e9, double(r.analyse_ns) / 1e9,
                double(r.submit_ns) / 1e9, r.max_queue_depth);
  s += buf;
  // Whether the run was CPU-bound: everything this process ran in the clock (the embedded
  // challenger and a mock Kafka cluster too, when they are in it).
  std::snprintf(buf, sizeof buf, "  cpu        %.3f s user+system in this process, %.2f of %u cores, %.0f us a batch\n",
                r.cpu_seconds, r.seconds > 0 ? r.cpu_seconds / r.seconds : 0.0, std::thread::hardware_concurrency(),
                l.answered > 0 ? 1e6 * r.cpu_seconds / double(l.answered) : 0.0);
  s += buf;
  if (!l.incomplete_windows.empty()) {
    std::snprintf(buf, sizeof buf,
                  "  incomplete %zu answer(s) computed on windows lacking a layer (Q1 exact; Q2/Q3 may differ):\n",
                  l.incomplete_windows.size());
    s += buf;
    for (const IncompleteWindow& w : l.incomplete_windows) {
      std::string layers;
      for (int64_t m : w.missing_layers) layers += (layers.empty() ? "" : ", ") + std::to_string(m);
      s += "  incomplete batch " + std::to_string(w.batch_id) + " (print " + w.print_id + ", tile " +
           std::to_string(w.tile_id) + ", layer " + std::to_string(w.layer) + "): its window lacks layer(s) " + layers +
           "\n";
    }
  }
  if (r.kafka_ready_seconds >= 0) {
    std::snprintf(buf, sizeof buf, "  kafka      workers held every partition of %s after %.2f s (before the bench was created)\n",
                  options.kafka ? options.kafka->raw_topic.c_str() : "", r.kafka_ready_seconds);
    s += buf;
  }
  for (const std::string& e : l.errors) s += "  error      " + e + "\n";
  for (const FailedBatch& f : l.failures)
    s += "  failed     " + (f.batch_id >= 0 ? "batch " + std::to_string(f.batch_id) : std::string("a batch")) + ": " +
         f.reason + "\n";
  s += "challenger: " + r.end_reply + "\n";
  return s;
}

std::string report_json(const RunOptions& options, const RunResult& r) {
  const RunLedger& l = r.ledger;
  std::vector<std::string> failed, errors;
  for (const FailedBatch& f : l.failures) failed.push_back(JsonObject().field("batch_id", f.batch_id).field("reason", f.reason).str());
  for (const std::string& e : l.errors) errors.push_back(JsonObject().field("message", e).str());
  std::vector<std::string> incomplete;
  for (const IncompleteWindow& w : l.incomplete_windows) {
    std::vector<std::string> layers;
    for (int64_t m : w.missing_layers) layers.push_back(std::to_string(m));
    incomplete.push_back(JsonObject()
                             .field("batch_id", w.batch_id)
                             .field("print_id", w.print_id)
                             .field("tile_id", w.tile_id)
                             .field("layer", w.layer)
                             .raw("missing_layers", json_array(layers))
                             .str());
  }
  const std::string stages = JsonObject()
                                 .field("fetch", double(r.fetch_ns) / 1e9)
                                 .field("decode", double(r.decode_ns) / 1e9)
                                 .field("analyse", double(r.analyse_ns) / 1e9)
                                 .field("submit", double(r.submit_ns) / 1e9)
                                 .str();
  std::string kafka_ready = "null";  // null: not a Kafka run
  if (r.kafka_ready_seconds >= 0) {
    kafka_ready.clear();
    append_json_number(kafka_ready, r.kafka_ready_seconds);
  }
  return JsonObject()
             .field("bench_id", r.bench_id)
             .field("bench_name", options.bench_name)
             .field("url", options.url)
             .field("connections", options.connections)
             .field("threads", options.effective_threads())
             .field("batches", l.released)
             .field("results", l.answered)
             .raw("failed", json_array(failed))
             .raw("errors", json_array(errors))
             .raw("incomplete_windows", json_array(incomplete))
             .field("wall_seconds", r.seconds)
             .field("cpu_seconds", r.cpu_seconds)
             .field("throughput", r.seconds > 0 ? double(l.answered) / r.seconds : 0.0)
             .raw("latency_ms", latency_json(summarise_latencies(l.latencies_ms)))
             .raw("stage_busy_seconds", stages)
             .field("max_queue_depth", r.max_queue_depth)
             .raw("kafka_ready_seconds", kafka_ready)
             .field("challenger_end_reply", r.end_reply)
             .field("command", options.command_line)
             .field("config", options.configuration)
             .field("machine", describe_machine())
             .field("version", build_version())
             .raw("trace", trace_json(l.trace, r.started))
             .raw("samples", samples_json(l.trace, r.started))
             .raw("clusters", clusters_json(l.trace))
             .str() +
         "\n";
}

}  // namespace lpbf
