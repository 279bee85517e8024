// `lpbf-bench challenger`: serves the challenger API until SIGINT or SIGTERM.
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstdio>

#include "core/challenger/challenger_host.h"
#include "core/commands/commands.h"
#include "core/challenger/dataset_options.h"

namespace lpbf {
int challenger_command(const ChallengerArgs& args) {
  std::fprintf(stderr, "preparing the dataset...\n");
  const auto prepared = prepare_dataset(args.dataset, stderr);
  const auto renumbering = std::chrono::steady_clock::now();
  const auto dataset = with_first_batch_id(prepared, args.first_batch_id);
  if (dataset != prepared)
    std::fprintf(stderr, "batch ids renumbered from %lld in %.1f s\n", (long long)args.first_batch_id,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - renumbering).count());

  const EmulationOptions emulation{args.emulate, stderr, args.state_file};
  // A certificate or key that cannot be used throws: exit 2 with its message.
  std::shared_ptr<TlsContext> tls = args.tls.enabled() ? make_tls_server_context(args.tls) : nullptr;
  ChallengerHost host(dataset, args.bind, static_cast<unsigned short>(args.port), args.threads, args.apitoken,
                      args.limits, emulation, std::move(tls));
  if (args.emulate != Emulation::none)
    std::fprintf(stderr, "behaving on the wire like the organisers' %s server\n",
                 args.emulate == Emulation::evaluation ? "evaluation (Challenger 2.0)" : "local (Micro Challenger)");
  if (args.fault_rate > 0) {
    host.challenger().inject_faults(FaultPlan(args.fault_rate, args.fault_seed));
    std::fprintf(stderr, "injecting faults on %.1f%% of next_batch and result requests (seed %llu)\n",
                 100 * args.fault_rate, (unsigned long long)args.fault_seed);
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
