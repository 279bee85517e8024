// `lpbf-bench challenger`: serves the challenger API until interrupted.
#include <boost/asio/signal_set.hpp>
#include <cstdio>

#include "core/challenger_host.h"
#include "core/commands.h"
#include "core/dataset_options.h"

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
  const DatasetOptions dataset_flags = dataset_options(args);
  args.finish();
  std::fprintf(stderr, "preparing the dataset...\n");
  const auto dataset = prepare_dataset(dataset_flags, stderr);

  ChallengerHost host(dataset, bind, port, threads, token);
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
