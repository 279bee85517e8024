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

const std::string kWorkerHelp = std::string(R"(usage: lpbf-bench worker --kafka BROKERS [--group G] [--threads N] ...

Analyses batches from Kafka for a runner started with --kafka: consumes the raw-batch topic in a
consumer group, computes Q1-Q3 on each tile's window, produces outcomes to the results topic.
Start as many as you like, on any machine that reaches the brokers; partitions are shared out
among them and move to the others when one stops or dies.

  --threads N       consumers in this process (default 1)
  --metrics-port P  serve Prometheus metrics at http://ADDR:P/metrics (0: a free port, printed):
                    lpbf_worker_batches_total{outcome}, lpbf_worker_batches_folded_total,
                    lpbf_kafka_consumer_lag
  --metrics-bind ADDR  address of the metrics server (default 127.0.0.1)
)") + kKafkaOptionsHelp;

const std::string kMockHelp = R"(usage: lpbf-bench kafka-mock [--brokers N] [--partitions P]

Hosts librdkafka's mock Kafka cluster (N brokers on loopback, default 3) with the raw-batch and
results topics, prints its bootstrap address, and serves until interrupted. For trying the
scale-out without a real cluster: point runners and workers at the printed address.
)";

}  // namespace

int worker_command(CommandLine& args) {
  if (args.help()) {
    std::fputs(kWorkerHelp.c_str(), stdout);
    return kExitOk;
  }
  const KafkaSetup kafka = read_kafka_options(args);
  const int threads = int(args.int_or("--threads", 1, 1, 256));
  const int metrics_port = int(args.int_or("--metrics-port", -1, 0, 65535));
  const std::string metrics_bind = args.value_or("--metrics-bind", "127.0.0.1");
  args.finish();
  if (!kafka.enabled()) throw UsageError("worker needs --kafka BROKERS (see lpbf-bench worker --help)");
  std::unique_ptr<MockKafkaCluster> mock;
  const auto topology = kafka_topology(kafka, mock);
  const std::string unready = prepare_kafka_topics(*topology);
  if (!unready.empty()) throw std::runtime_error(unready);
  std::printf("worker: %d consumer(s) in group %s on %s at %s\n", threads, topology->group.c_str(),
              topology->raw_topic.c_str(), topology->kafka.brokers.c_str());
  std::fflush(stdout);
  // Prometheus metrics on their own io thread: counters and lag the workers keep live.
  KafkaWorkerGauges gauges;
  boost::asio::io_context metrics_io;
  std::unique_ptr<HttpServer> metrics_server;
  std::thread metrics_thread;
  if (metrics_port >= 0) {
    metrics_server = std::make_unique<HttpServer>(metrics_io, metrics_bind, static_cast<unsigned short>(metrics_port),
                                                  [&gauges](const HttpRequest& req) {
                                                    if (req.target != "/metrics")
                                                      return HttpReply{404, "text/plain", "only /metrics here\n", nullptr};
                                                    return HttpReply{200, kPrometheusContentType, worker_metrics_text(gauges), nullptr};
                                                  });
    std::printf("worker: metrics at http://%s:%u/metrics\n", metrics_bind.c_str(), unsigned(metrics_server->port()));
    std::fflush(stdout);
    metrics_thread = std::thread([&] { metrics_io.run(); });
  }
  std::atomic<bool> stop{false};
  std::atomic<size_t> produced{0}, folded{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i)
    workers.emplace_back([&] {
      std::string error;
      const KafkaWorkerStats stats = run_kafka_worker(*topology, stop, &error, &gauges);
      produced += stats.answered;
      folded += stats.folded;
      if (!error.empty()) std::fprintf(stderr, "worker: %s\n", error.c_str());
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

int kafka_mock_command(CommandLine& args) {
  if (args.help()) {
    std::fputs(kMockHelp.c_str(), stdout);
    return kExitOk;
  }
  const int brokers = int(args.int_or("--brokers", 3, 1, 16));
  const int partitions = int(args.int_or("--partitions", 8, 1, 10000));
  args.finish();
  KafkaTopology topics;  // the default topic names, as runners and workers use them
  topics.partitions = partitions;
  const auto cluster = start_mock_kafka(topics, brokers);
  std::printf("mock Kafka cluster: %s\n", topics.kafka.brokers.c_str());
  std::fflush(stdout);
  wait_for_signal();
  return kExitOk;
}

}  // namespace lpbf
