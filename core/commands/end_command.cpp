// `lpbf-bench end BENCH_ID [--url URL]`: ends a bench that a crashed run left active, so that the
// evaluation server (one active bench per token) lets the next run create one.
#include <boost/asio/io_context.hpp>
#include <cstdio>

#include "core/commands/commands.h"
#include "core/pipeline/challenger_client.h"

namespace lpbf {

int end_command(const EndArgs& args) {
  boost::asio::io_context io;
  ChallengerClient client(io, args.url, std::chrono::milliseconds(args.timeout_ms),
                          args.tls);  // a bad URL throws: exit 2
  const Result<ChallengerClient::EndReply> ended = client.end(args.bench_id);
  if (!ended) {
    std::fprintf(stderr, "lpbf-bench: %s\n", ended.error().c_str());
    return kExitSetupError;
  }
  if (ended->bench_forgotten) {
    std::fprintf(stderr,
                 "lpbf-bench: %s does not know bench %s (HTTP 404: %s): it has ended already, or never existed\n",
                 args.url.c_str(), args.bench_id.c_str(), ended->body.c_str());
    return kExitBatchesFailed;
  }
  std::printf("ended bench %s at %s%s%s\n", args.bench_id.c_str(), args.url.c_str(), ended->body.empty() ? "" : ": ",
              ended->body.c_str());
  return kExitOk;
}

}  // namespace lpbf
