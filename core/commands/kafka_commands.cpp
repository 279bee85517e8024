// `lpbf-bench worker` (analysis only, from Kafka) and `lpbf-bench kafka-mock` (a mock cluster for
// other processes to share), both running until SIGINT or SIGTERM.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "core/commands/commands.h"
#include "core/kafka/kafka_options.h"
#include "core/kafka/kafka_worker.h"
#include "io/http_server.h"
#include "io/prometheus_text.h"

namespace lpbf {
namespace {

void wait_for_signal() {
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int) {});
  io.run();
}

}  // namespace

int worker_command(const WorkerArgs& args) {
  const int threads = args.threads;
  std::unique_ptr<MockKafkaCluster> mock;
  const auto topology = kafka_topology(args.kafka, mock);
  if (!topology) throw UsageError("worker needs --kafka BROKERS");  // the command line requires it
  if (const Status ready = prepare_kafka_topics(*topology); !ready) throw std::runtime_error(ready.error());
  std::printf("worker: %d consumer(s) in group %s on %s at %s\n", threads, topology->group.c_str(),
              topology->raw_topic.c_str(), topology->kafka.brokers.c_str());
  std::fflush(stdout);
  // Prometheus metrics on their own io thread: counters and lag the workers keep live.
  KafkaWorkerGauges gauges;
  boost::asio::io_context metrics_io;
  std::unique_ptr<HttpServer> metrics_server;
  std::thread metrics_thread;
  if (args.metrics_port >= 0) {
    metrics_server = std::make_unique<HttpServer>(
        metrics_io, args.metrics_bind, static_cast<unsigned short>(args.metrics_port),
        [&gauges](const HttpRequest& req) {
          if (req.target != "/metrics") return HttpReply{404, "text/plain", "only /metrics here\n", nullptr};
          return HttpReply{200, kPrometheusContentType, worker_metrics_text(gauges), nullptr};
        },
        HttpServerLimits{}, kWorkerServerName);
    std::printf("worker: metrics at http://%s:%u/metrics\n", args.metrics_bind.c_str(),
                unsigned(metrics_server->port()));
    std::fflush(stdout);
    metrics_thread = std::thread([&] { metrics_io.run(); });
  }
  std::atomic<bool> stop{false};
  std::atomic<size_t> produced{0}, folded{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i)
    workers.emplace_back([&] {
      const KafkaWorkerStats stats = run_kafka_worker(*topology, stop, &gauges);
      produced += stats.answered;
      folded += stats.folded;
      if (stats.errors > 0) std::fprintf(stderr, "worker: %s\n", stats.last_error.c_str());
    });
  wait_for_signal();
  stop = true;
  for (auto& w : workers) w.join();
  if (metrics_thread.joinable()) {
    metrics_io.stop();
    metrics_thread.join();
  }
  std::printf("worker: stopped after %zu outcome(s); %zu batch(es) read back to rebuild windows\n", produced.load(),
              folded.load());
  return kExitOk;
}

int kafka_mock_command(const KafkaMockArgs& args) {
  KafkaTopology topics;  // the default topic names, as runners and workers use them
  topics.partitions = args.partitions;
  const auto cluster = start_mock_kafka(topics, args.brokers);
  std::printf("mock Kafka cluster: %s\n", topics.kafka.brokers.c_str());
  std::fflush(stdout);
  wait_for_signal();
  return kExitOk;
}

}  // namespace lpbf
