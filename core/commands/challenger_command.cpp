// `lpbf-bench challenger`: serves the challenger API until interrupted.
#include <boost/asio/signal_set.hpp>
#include <cstdio>

#include "core/challenger/challenger_host.h"
#include "core/commands/commands.h"
#include "core/challenger/dataset_options.h"

namespace lpbf {
namespace {

const std::string kChallengerHelp = std::string(R"(usage: lpbf-bench challenger [--dataset DIR | --synthetic ...] [--port P] [--bind ADDR]

Serves the challenger REST API of SPEC.md section 1 over HTTP/1.1 (keep-alive, many connections,
several benches at once, each serving the dataset from its start) and scores every result.
  POST /api/create            {"apitoken", "name", "test", "max_batches"?} -> "bench id"
  POST /api/start/{bench}
  GET  /api/next_batch/{bench}                  msgpack batch, 404 when no more
  POST /api/result/0/{bench}/{batch_id}         msgpack result
  POST /api/end/{bench}                         JSON verdict: missing, wrong, latency, throughput
  GET  /api/history                             verdicts of all benches
  GET  /                                        status page with live progress

  --port P          TCP port (default 8866; 0 picks a free one)
  --bind ADDR       address to listen on (default 127.0.0.1)
  --threads N       server threads (default 2)
  --apitoken TOKEN  the token create must present (default polimi-deib)

Limits (a client cannot hold the server hostage):
  --header-timeout-ms MS  a request's header must arrive within MS of the connection opening or
                          of its first byte (default 10000)
  --idle-timeout-ms MS    a kept-alive connection with no request is closed after MS; also
                          bounds reading a body and writing a reply (default 30000)
  --max-connections N     open connections at most; more are answered 503 and closed (default 1024)

Fault injection (test a client against a misbehaving challenger):
  --faults RATE           on this share (0-1) of next_batch and result requests, one of: 503
                          before acting, the connection dropped before acting, a reply slowed
                          by 50-250 ms, a result taken and then its connection dropped (a repeat
                          counts once, as a duplicate), a next_batch body cut mid-way (that batch
                          is lost in flight). The verdict lists faults, lost batch ids, duplicates.
  --fault-seed S          the faults' random seed (default 1)

Dataset:
)") + kDatasetOptionsHelp;

}  // namespace

int challenger_command(CommandLine& args) {
  if (args.help()) {
    std::fputs(kChallengerHelp.c_str(), stdout);
    return kExitOk;
  }
  const auto port = static_cast<unsigned short>(args.int_or("--port", 8866, 0, 65535));
  const std::string bind = args.value_or("--bind", "127.0.0.1");
  const int threads = int(args.int_or("--threads", 2, 1, 256));
  const std::string token = args.value_or("--apitoken", kDefaultApiToken);
  HttpServerLimits limits;
  limits.header_timeout = std::chrono::milliseconds(args.int_or("--header-timeout-ms", limits.header_timeout.count(), 1, 3600000));
  limits.idle_timeout = std::chrono::milliseconds(args.int_or("--idle-timeout-ms", limits.idle_timeout.count(), 1, 86400000));
  limits.max_connections = size_t(args.int_or("--max-connections", int64_t(limits.max_connections), 1, 1000000));
  const double fault_rate = args.double_or("--faults", 0, 0, 1);
  const auto fault_seed = uint64_t(args.int_or("--fault-seed", 1, 0, INT64_MAX));
  const DatasetOptions dataset_flags = read_dataset_options(args);
  args.finish();  // every argument checked before the dataset is prepared
  std::fprintf(stderr, "preparing the dataset...\n");
  const auto dataset = prepare_dataset(dataset_flags, stderr);

  ChallengerHost host(dataset, bind, port, threads, token, limits);
  if (fault_rate > 0) {
    host.challenger().inject_faults(FaultPlan(fault_rate, fault_seed));
    std::fprintf(stderr, "injecting faults on %.1f%% of next_batch and result requests (seed %llu)\n",
                 100 * fault_rate, (unsigned long long)fault_seed);
  }
  std::printf("challenger listening on %s, serving %s\n", host.url().c_str(), dataset->description.c_str());
  std::fflush(stdout);

  boost::asio::io_context signals_io;
  boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int) {});
  signals_io.run();  // until a signal
  std::fprintf(stderr, "challenger stopping\n");
  host.stop();
  return kExitOk;
}

}  // namespace lpbf
