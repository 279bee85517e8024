#pragma once
// The fetch stage: `connections` keep-alive connections asking the challenger for batches
// (challenger_client.h: request_next_batch) until it says the stream has ended, the run has
// fetched `max_batches`, or the challenger fails or forgets the bench. Replies go through the
// BatchReorderer (batch_id order), then to the analyse stage. At most `max_in_flight` batches are
// fetched and not yet answered: a full pipeline stops the fetching (backpressure), so memory
// stays bounded. With pace(R) (`--rate`, the open model) requests leave on a fixed schedule
// instead (send_schedule.h), R a second, whenever a connection is free and the bound allows;
// otherwise (the closed model) as soon as both do.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/pipeline/batch_reorderer.h"
#include "core/pipeline/channel.h"
#include "core/pipeline/pipeline_messages.h"
#include "core/pipeline/run_ledger.h"
#include "core/pipeline/send_schedule.h"
#include "core/pipeline/stage_metrics.h"
#include "core/pipeline/challenger_client.h"
#include "io/http_connection.h"

namespace lpbf {

class FetchStage {
 public:
  using Number = std::function<void(FetchedBatch&)>;  // gives the batch its place in its tile

  // `max_batches` < 0: until the stream ends.
  FetchStage(boost::asio::io_context& io, const ChallengerTarget& target, int connections, size_t max_in_flight,
             int64_t max_batches, Sender<FetchedBatch>& out, Number number, RunLedger& ledger, StageMetrics& metrics,
             std::function<void()> on_change);

  // --memory-budget: fetching waits while it is spent; each batch's body and declared image are charged
  // to it on arrival (memory_budget.h). Not owned; outlives the stage.
  void set_memory_budget(MemoryBudget* budget) { budget_ = budget; }

  // Before start(): fetch on a schedule of `rate` requests a second (the open model).
  void pace(double rate);
  // The schedule's figures (backlog, achieved rate); null without pace().
  const SendSchedule* schedule() const { return schedule_.get(); }
  void start();
  void wake();  // room in the pipeline: idle connections fetch again
  // No batch will come any more and every reply is handled.
  bool done() const { return finished_; }
  // The challenger answered next_batch with 404 naming the bench unknown: it lost the bench.
  bool bench_forgotten() const { return bench_forgotten_; }

 private:
  struct Session {
    std::shared_ptr<HttpConnection> connection;
    std::unique_ptr<boost::asio::steady_timer> retry;
    bool busy = false;
    int failures = 0;
    Clock::time_point scheduled{};  // the slot of the request under way (paced only)
  };
  void pump(size_t i);
  void on_reply(size_t i, uint64_t ticket, NextBatchOutcome outcome, const HttpError& error, HttpResponse&& response);
  void take_batch(uint64_t ticket, Clock::time_point fetched_at, Clock::time_point scheduled, HttpResponse&& response);
  bool wait_for_slot();
  void retry_later(size_t i, std::string why);
  void stop_fetching(std::string why);
  void check_finished();

  const ChallengerTarget target_;
  const size_t max_in_flight_;
  const int64_t max_batches_;
  Sender<FetchedBatch>& out_;
  Number number_;
  RunLedger& ledger_;
  StageMetrics& metrics_;
  std::function<void()> on_change_;
  std::vector<Session> sessions_;
  BatchReorderer<std::optional<FetchedBatch>> reorderer_;
  MemoryBudget* budget_ = nullptr;
  size_t in_flight_ = 0;    // next_batch requests under way
  int64_t received_ = 0;    // replies that brought a batch (readable or not)
  bool exhausted_ = false;  // end of stream, max_batches fetched, or fetching given up
  bool bench_forgotten_ = false;
  bool finished_ = false;
  std::unique_ptr<SendSchedule> schedule_;  // paced: the open model
  std::unique_ptr<boost::asio::steady_timer> slot_timer_;
  bool slot_timer_armed_ = false;
};

}  // namespace lpbf
