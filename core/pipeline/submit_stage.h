#pragma once
// The submit stage: `connections` keep-alive connections posting results (challenger_client.h:
// post_result) as the analyse stage produces them. A result the challenger did not take
// (unreachable, HTTP 5xx) is retried with backoff; one whose connection died after it went out is
// retried too, and counted (RunLedger::uncertain_reposts: the challenger may count it twice). One
// it refuses outright (4xx) or that keeps failing is reported as a failed batch. Nothing is posted
// again after a 2xx. Failed outcomes from analysis are recorded, not posted.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "core/pipeline/challenger_client.h"
#include "core/pipeline/channel.h"
#include "core/pipeline/fetch_stage.h"
#include "core/pipeline/pipeline_messages.h"
#include "core/pipeline/run_ledger.h"
#include "core/pipeline/stage_metrics.h"

namespace lpbf {

class SubmitStage {
 public:
  // `on_accepted` (may be empty) is told each result the challenger accepted (--record keeps them).
  SubmitStage(boost::asio::io_context& io, const ChallengerTarget& target, int connections, Receiver<BatchOutcome>& in,
              RunLedger& ledger, StageMetrics& metrics, std::function<void()> on_change,
              std::function<void(const TileResult&)> on_accepted = {});

  void wake();  // outcomes are waiting: idle connections take them
  bool idle() const;

 private:
  struct Session {
    std::shared_ptr<HttpConnection> connection;
    std::unique_ptr<boost::asio::steady_timer> retry;
    bool busy = false;
    int attempts = 0;
    bool uncertain = false;  // an earlier attempt may have reached the challenger
    BatchOutcome outcome;
    std::string body;  // the encoded result, kept for retries
  };
  void pump(size_t i);
  void post(size_t i);
  void on_reply(size_t i, ResultOutcome outcome, const HttpError& error, HttpResponse&& response);

  const ChallengerTarget target_;
  Receiver<BatchOutcome>& in_;
  RunLedger& ledger_;
  StageMetrics& metrics_;
  std::function<void()> on_change_;
  std::function<void(const TileResult&)> on_accepted_;
  std::vector<Session> sessions_;
};

}  // namespace lpbf
