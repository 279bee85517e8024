#include "core/pipeline/submit_stage.h"

#include "io/msgpack_codec.h"

namespace lpbf {

namespace http = boost::beast::http;

SubmitStage::SubmitStage(boost::asio::io_context& io, const ChallengerTarget& target, int connections,
                         Receiver<BatchOutcome>& in, RunLedger& ledger, StageMetrics& metrics,
                         std::function<void()> on_change, std::function<void(const TileResult&)> on_accepted)
    : target_(target),
      in_(in),
      ledger_(ledger),
      metrics_(metrics),
      on_change_(std::move(on_change)),
      on_accepted_(std::move(on_accepted)) {
  for (int i = 0; i < std::max(1, connections); ++i)
    sessions_.push_back({std::make_shared<HttpConnection>(io, target.host, target.port, target.timeout, target.tls),
                         std::make_unique<boost::asio::steady_timer>(io),
                         false,
                         0,
                         false,
                         {},
                         {}});
}

void SubmitStage::wake() {
  for (size_t i = 0; i < sessions_.size(); ++i) pump(i);
}

bool SubmitStage::idle() const {
  for (const Session& s : sessions_)
    if (s.busy) return false;
  return true;
}

void SubmitStage::pump(size_t i) {
  Session& s = sessions_[i];
  while (!s.busy) {
    std::optional<BatchOutcome> next = in_.receive(std::chrono::milliseconds(0));
    if (!next) return;
    BatchTrace* trace = ledger_.trace.find(next->batch_id);
    if (trace) trace->decoded = next->decoded_at, trace->analysed = next->analysed_at, trace->worker = next->worker;
    if (!next->result) {  // failed in analysis: nothing to post, but it is accounted for
      if (trace) trace->outcome = BatchTrace::Outcome::failed;
      ledger_.fail(next->batch_id, next->error, true);
      on_change_();
      continue;
    }
    StageMetrics::Timer t(metrics_.submit_ns);
    s.outcome = std::move(*next);
    s.body = encode_result(*s.outcome.result);
    s.attempts = 0;
    s.uncertain = false;
    s.busy = true;
    if (trace) trace->submitted = Clock::now();
    post(i);
  }
}

void SubmitStage::post(size_t i) {
  Session& s = sessions_[i];
  ++s.attempts;
  post_result(*s.connection, target_, s.outcome.batch_id, s.body,
              [this, i](ResultOutcome outcome, const HttpError& e, HttpResponse&& r) {
                on_reply(i, outcome, e, std::move(r));
              });
}

void SubmitStage::on_reply(size_t i, ResultOutcome outcome, const HttpError& error, HttpResponse&& response) {
  Session& s = sessions_[i];
  const bool accepted = outcome == ResultOutcome::accepted;
  if ((outcome == ResultOutcome::retry || outcome == ResultOutcome::unknown) && s.attempts < kMaxAttempts) {
    if (outcome == ResultOutcome::unknown && !s.uncertain) {
      s.uncertain = true;
      ++ledger_.uncertain_reposts;
    }
    s.retry->expires_after(retry_delay(s.attempts));
    s.retry->async_wait([this, i](const boost::system::error_code&) { post(i); });
    return;
  }
  BatchTrace* trace = ledger_.trace.find(s.outcome.batch_id);
  if (accepted) {
    if (response.resent && !s.uncertain) ++ledger_.uncertain_reposts;  // re-sent on a fresh connection
    const auto now = Clock::now();
    ++ledger_.answered;
    if (!s.outcome.missing_layers.empty())
      ledger_.incomplete_windows.push_back({s.outcome.batch_id, s.outcome.result->print_id, s.outcome.result->tile_id,
                                            s.outcome.layer, s.outcome.missing_layers});
    ledger_.latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - s.outcome.fetched_at).count());
    if (on_accepted_) on_accepted_(*s.outcome.result);
    if (trace) {
      trace->acked = now;
      trace->outcome = BatchTrace::Outcome::answered;
      trace->saturated = s.outcome.result->saturated;
      trace->centroids = s.outcome.result->centroids;
    }
  } else {
    if (trace) trace->outcome = BatchTrace::Outcome::failed;
    ledger_.fail(s.outcome.batch_id,
                 "result not accepted after " + std::to_string(s.attempts) + " attempt(s): " +
                     (outcome == ResultOutcome::bench_forgotten ? "the challenger no longer knows the bench: " : "") +
                     describe_failure(error, response),
                 true);
  }
  s.busy = false;
  s.body.clear();
  pump(i);
  on_change_();
}

}  // namespace lpbf
