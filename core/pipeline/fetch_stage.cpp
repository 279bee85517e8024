#include "core/pipeline/fetch_stage.h"

#include "io/msgpack_codec.h"
#include "io/tiff_decoder.h"

namespace lpbf {

namespace http = boost::beast::http;

FetchStage::FetchStage(boost::asio::io_context& io, const ChallengerTarget& target, int connections,
                       size_t max_in_flight, int64_t max_batches, Sender<FetchedBatch>& out, Number number,
                       RunLedger& ledger, StageMetrics& metrics, std::function<void()> on_change)
    : target_(target),
      max_in_flight_(std::max<size_t>(1, max_in_flight)),
      max_batches_(max_batches),
      out_(out),
      number_(std::move(number)),
      ledger_(ledger),
      metrics_(metrics),
      on_change_(std::move(on_change)),
      reorderer_(
          [this](int64_t, std::optional<FetchedBatch>&& fb) {
            if (!fb) return;  // unreadable reply, already reported
            number_(*fb);
            ++ledger_.released;
            BatchTrace t;
            t.batch_id = fb->batch.batch_id, t.print_id = fb->batch.print_id;
            t.tile_id = fb->batch.tile_id, t.layer = fb->batch.layer, t.fetched = fb->fetched_at;
            t.scheduled = fb->scheduled_at;
            ledger_.trace.add(std::move(t));
            out_.send(std::move(*fb));
          },
          [this](int64_t id) { ledger_.fail(id, "never received: its next_batch request failed", false); }) {
  for (int i = 0; i < std::max(1, connections); ++i)
    sessions_.push_back({std::make_shared<HttpConnection>(io, target.host, target.port, target.timeout, target.tls),
                         std::make_unique<boost::asio::steady_timer>(io), false, 0});
}

void FetchStage::pace(double rate) {
  schedule_ = std::make_unique<SendSchedule>(rate);
  slot_timer_ = std::make_unique<boost::asio::steady_timer>(sessions_.front().retry->get_executor());
}

void FetchStage::start() {
  if (schedule_) schedule_->start(Clock::now());
  for (size_t i = 0; i < sessions_.size(); ++i) pump(i);
}

void FetchStage::wake() {
  for (size_t i = 0; i < sessions_.size(); ++i) pump(i);
}

void FetchStage::pump(size_t i) {
  Session& s = sessions_[i];
  if (s.busy || exhausted_) return;
  const size_t pending = ledger_.outstanding() + reorderer_.held();
  if (pending + in_flight_ >= max_in_flight_) return;  // backpressure
  if (budget_ && !budget_->may_fetch(in_flight_, pending == 0)) return;
  // --max-batches: the client stops asking (the challenger is not told: the evaluation server has no
  // such setting), counting the requests under way as batches to come.
  if (max_batches_ >= 0 && received_ + int64_t(in_flight_) >= max_batches_) return;
  if (schedule_ && !wait_for_slot()) return;
  s.busy = true;
  s.scheduled = schedule_ ? schedule_->take(Clock::now()) : Clock::time_point{};
  ++in_flight_;
  const uint64_t ticket = reorderer_.request_sent();
  request_next_batch(*s.connection, target_,
                     [this, i, ticket](NextBatchOutcome outcome, const HttpError& e, HttpResponse&& r) {
                       on_reply(i, ticket, outcome, e, std::move(r));
                     });
}

// Paced: true when the next slot is due; else a timer wakes the idle connections when it is.
bool FetchStage::wait_for_slot() {
  const Clock::time_point due = schedule_->due();
  if (due <= Clock::now()) return true;
  if (!slot_timer_armed_) {
    slot_timer_armed_ = true;
    slot_timer_->expires_at(due);
    slot_timer_->async_wait([this](const boost::system::error_code& ec) {
      slot_timer_armed_ = false;
      if (!ec) wake();
    });
  }
  return false;
}

void FetchStage::on_reply(size_t i, uint64_t ticket, NextBatchOutcome outcome, const HttpError& error,
                          HttpResponse&& response) {
  const auto fetched_at = Clock::now();
  Session& s = sessions_[i];
  s.busy = false;
  --in_flight_;
  {
    StageMetrics::Timer t(metrics_.fetch_ns);
    switch (outcome) {
      case NextBatchOutcome::batch:
        s.failures = 0;
        ++received_;
        if (max_batches_ >= 0 && received_ >= max_batches_) exhausted_ = true;
        take_batch(ticket, fetched_at, s.scheduled, std::move(response));
        break;
      case NextBatchOutcome::retry:
        reorderer_.request_failed(ticket, bool(error));
        retry_later(i, describe_failure(error, response));
        break;
      case NextBatchOutcome::end_of_stream:
        exhausted_ = true;
        reorderer_.request_ended(ticket);
        break;
      case NextBatchOutcome::bench_forgotten:
        reorderer_.request_failed(ticket, false);
        if (!bench_forgotten_)
          stop_fetching(
              "the challenger no longer knows bench " + target_.bench_id + " (next_batch answered " +
              describe_failure(error, response) + ") after " + std::to_string(received_) +
              " batch(es) of this run: it was restarted, or the bench was ended elsewhere, so this 404 was not the end "
              "of the stream; every batch fetched and not answered is listed as failed");
        bench_forgotten_ = true;
        break;
      case NextBatchOutcome::not_started:
        reorderer_.request_failed(ticket, false);
        stop_fetching("the challenger says bench " + target_.bench_id + " is deactivated (next_batch answered " +
                      describe_failure(error, response) + "): not started, or already ended");
        break;
      case NextBatchOutcome::refused:
        reorderer_.request_failed(ticket, false);
        stop_fetching("next_batch answered " + describe_failure(error, response));
        break;
    }
  }
  check_finished();
  pump(i);
  on_change_();
}

void FetchStage::take_batch(uint64_t ticket, Clock::time_point fetched_at, Clock::time_point scheduled,
                            HttpResponse&& response) {
  const size_t body_bytes = response.body.size();
  ByteBuffer& raw = response.body;
  // Parsed while the body is still ours to change (no owner yet): the TIFF stays where it is.
  DecodedBatch d = decode_batch(SharedBytes(nullptr, std::span<const uint8_t>(raw.data(), raw.size())));
  // An uncompressed TIFF at an odd address cannot be viewed as 16-bit pixels, and the decoder would
  // copy it into a new (cold) image: the msgpack envelope before it (a batch_id of 128-255 takes one
  // byte more than its neighbours) decides. Moving the body one byte up, within the spare byte the
  // HTTP reader leaves and while it is still in cache, is cheaper.
  const size_t tif_at = d.batch.tif.empty() ? 0 : size_t(d.batch.tif.data() - raw.data());
  size_t skip = 0;
  if (!d.batch.tif.empty() && (reinterpret_cast<uintptr_t>(d.batch.tif.data()) & 1) && raw.capacity() > raw.size()) {
    raw.insert(raw.begin(), uint8_t(0));  // within capacity: the bytes move in place
    skip = 1;
  }
  const auto owned = std::make_shared<const ByteBuffer>(std::move(raw));
  SharedBytes body(owned, std::span<const uint8_t>(owned->data() + skip, body_bytes));
  if (!d.batch.tif.empty()) d.batch.tif = body.part({body.data() + tif_at, d.batch.tif.size()});
  const int64_t id = d.batch.batch_id;
  // An id is checked before anything is keyed by it: its value never sizes memory or work.
  const std::string bad_id = d.id_known ? reorderer_.check_id(id) : std::string();
  if (!bad_id.empty()) {
    ledger_.fail(id, bad_id + (d.ok() ? "" : "; and " + d.error), false);
    reorderer_.request_failed(ticket);
  } else if (const uint64_t image = budget_ ? 2 * tiff_declared_pixels(d.batch.tif) : 0;
             d.ok() && budget_ && !budget_->oversized(image).empty()) {
    ledger_.fail(id, "batch too large for the memory budget: " + budget_->oversized(image), false);
    reorderer_.request_done(ticket, id, std::nullopt);
  } else if (d.ok()) {
    FetchedBatch fb{std::move(d.batch), 0, INT64_MIN, fetched_at, std::move(body), scheduled};
    if (budget_) {
      budget_->charge_batch(body_bytes + image);  // they exist (the body) or will (the image)
      fb.memory = std::make_shared<MemoryCharge>(*budget_, body_bytes + image);
      fb.image_bytes = image;
    }
    reorderer_.request_done(ticket, id, std::move(fb));
  } else if (d.id_known) {
    ledger_.fail(id, "unreadable batch: " + d.error, false);
    reorderer_.request_done(ticket, id, std::nullopt);
  } else {
    ledger_.fail(-1, "unreadable next_batch reply (" + std::to_string(body_bytes) + " bytes): " + d.error, false);
    reorderer_.request_failed(ticket);
  }
}

void FetchStage::retry_later(size_t i, std::string why) {
  Session& s = sessions_[i];
  if (++s.failures >= kMaxAttempts) {
    stop_fetching("next_batch failed " + std::to_string(s.failures) + " times in a row (" + why +
                  "); stopped fetching");
    return;
  }
  s.busy = true;  // waiting counts as busy: no other request from this session meanwhile
  s.retry->expires_after(retry_delay(s.failures));
  s.retry->async_wait([this, i](const boost::system::error_code&) {
    sessions_[i].busy = false;
    pump(i);
    check_finished();
    on_change_();
  });
}

void FetchStage::stop_fetching(std::string why) {
  if (exhausted_) return;
  exhausted_ = true;
  ledger_.errors.push_back(std::move(why));
}

void FetchStage::check_finished() {
  if (finished_ || !exhausted_ || in_flight_ > 0) return;
  for (const Session& s : sessions_)
    if (s.busy) return;  // a retry timer is pending
  reorderer_.finish();
  finished_ = true;
  if (slot_timer_) slot_timer_->cancel();
  if (const size_t n = reorderer_.failed_before_first())
    ledger_.errors.push_back(
        std::to_string(n) + " next_batch request(s) failed before the first batch arrived (batch " +
        std::to_string(reorderer_.first_id()) + "): the challenger may have served earlier batches that never arrived");
  if (const size_t n = reorderer_.failed_after_highest())
    ledger_.errors.push_back(std::to_string(n) + " next_batch request(s) failed after batch " +
                             std::to_string(reorderer_.highest_id()) +
                             ", the last received: the challenger may have served later batches that never arrived");
}

}  // namespace lpbf
