#pragma once
// Puts fetched batches back in batch_id order. Several next_batch requests are in flight at once,
// so replies can arrive out of order; but a tile's window needs its layers in batch_id order, and
// the challenger numbers batches consecutively as it hands them out (SPEC §1), from a first id that
// is not known in advance (0 on this project's challenger and the local Micro Challenger; the
// evaluation server's data may start anywhere).
//
// The first id. Batches are served in order, so every id below the first one received (X) was
// served before X's reply arrived, to a request already sent then: the "first wave". Once every
// request of the first wave has completed, the smallest id it brought is the stream's first id
// as far as this run can know; a first-wave request that failed may have taken an earlier one,
// which is counted (failed_before_first) and reported, since no later reply can reveal it.
//
// A batch is released once every smaller id has been released or is known lost. An id is known
// lost without any timeout: when a reply carrying id X arrives, every smaller id was handed to a
// request that was already sent at that moment; once all of those requests have completed, the
// ids below X that never came were lost with a failed request.
//
// Ids are checked before they are taken (check_id): one id is served per request, so a valid id
// lies within `requests sent` of the first id received. Memory and work are thus bounded by the
// requests sent, never by the values a reply carries.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lpbf {

template <class Item>
class BatchReorderer {
 public:
  using Release = std::function<void(int64_t id, Item&&)>;
  using Lost = std::function<void(int64_t id)>;
  static constexpr int64_t kMaxId = int64_t(1) << 62;  // far above any stream; keeps id arithmetic exact

  BatchReorderer(Release release, Lost lost) : release_(std::move(release)), lost_(std::move(lost)) {}

  // Call when a next_batch request is sent; pass the ticket to the matching completion call.
  uint64_t request_sent() {
    const uint64_t ticket = next_ticket_++;
    open_.insert(ticket);
    return ticket;
  }

  // Why a reply carrying `id` cannot be taken (empty: it can). Call before request_done; a refused
  // reply goes to request_failed, and the id its request consumed is then lost like any other.
  std::string check_id(int64_t id) const {
    if (id < 0) return "batch_id " + std::to_string(id) + " is negative";
    if (id > kMaxId) return "batch_id " + std::to_string(id) + " is beyond any stream (over 2^62)";
    if (!first_) return {};  // the first id received sets the frame for every later one
    // Valid ids: from the first id of the stream, as many as requests were sent. Before the first
    // wave is in, the first id may still be below the first one received, by the other requests
    // that were out when it came.
    const int64_t low = base_known_ ? base_ : first_->id - int64_t(first_->wave_end - 1);
    const uint64_t span = base_known_ ? next_ticket_ : next_ticket_ + first_->wave_end - 1;
    if ((base_known_ && id < next_id_) || held_.count(id))
      return "batch_id " + std::to_string(id) + " came twice (or after it was given up)";
    if (id < low || uint64_t(id - low) >= span)
      return "batch_id " + std::to_string(id) + " is out of sequence: expected about " + std::to_string(expected_id());
    return {};
  }

  // The request brought batch `id` (check_id said yes).
  void request_done(uint64_t ticket, int64_t id, Item item) {
    if (!check_id(id).empty()) return request_failed(ticket);  // the caller did not check: drop it
    if (!first_) first_ = First{id, next_ticket_};
    held_.emplace(id, std::move(item));
    barriers_.push_back({id, next_ticket_ - 1});
    if (id > highest_) highest_ = id, failed_after_highest_ = 0;
    close(ticket);
  }

  // The request failed, or brought no batch (an unreadable reply). `may_have_taken_id`: false
  // when the challenger answered with an error status, i.e. said it served nothing.
  void request_failed(uint64_t ticket, bool may_have_taken_id = true) {
    failed_after_highest_ += may_have_taken_id;
    if (!base_known_ && (!first_ || ticket < first_->wave_end)) failed_before_first_ += may_have_taken_id;
    close(ticket);
  }

  // The request was answered "no more batches" (404): it consumed no id.
  void request_ended(uint64_t ticket) { close(ticket); }

  // No more requests will be sent: release everything held, in order, declaring gaps lost.
  void finish() {
    if (!base_known_ && !held_.empty()) fix_base();
    while (!held_.empty()) advance_to(held_.begin()->first + 1);
  }

  size_t held() const { return held_.size(); }
  // Requests that failed since the last reply raising the highest id: each may have been handed
  // an id above every id received, which no later reply will reveal as a gap.
  size_t failed_after_highest() const { return failed_after_highest_; }
  int64_t highest_id() const { return highest_; }
  // Requests that failed before the stream's first id was known: each may have been handed an id
  // below the first one received, which no later reply will reveal as a gap.
  size_t failed_before_first() const { return failed_before_first_; }
  // The stream's first id as this run saw it; -1 until known.
  int64_t first_id() const { return base_known_ ? base_ : -1; }
  size_t open_requests() const { return open_.size(); }

 private:
  struct Barrier {
    int64_t id;       // a reply carried this id...
    uint64_t ticket;  // ...when requests up to this ticket had been sent
  };

  struct First {
    int64_t id;         // the first id received...
    uint64_t wave_end;  // ...when this many requests had been sent
  };

  void close(uint64_t ticket) {
    open_.erase(ticket);
    const uint64_t lowest_open = open_.empty() ? next_ticket_ : *open_.begin();
    if (!base_known_) {
      if (!first_) return;
      // Known once the first wave is in, or sooner when the smallest id held is the lowest the
      // stream can start at (0, or the first id received less the other requests then out).
      const int64_t lowest_possible = std::max<int64_t>(0, first_->id - int64_t(first_->wave_end - 1));
      if (lowest_open < first_->wave_end && held_.begin()->first != lowest_possible) return;
      fix_base();
    }
    // Barriers whose requests have all completed: ids below them will never come.
    int64_t give_up_below = next_id_;
    std::vector<Barrier> keep;
    for (const Barrier& b : barriers_) {
      if (b.ticket < lowest_open) give_up_below = std::max(give_up_below, b.id);
      else keep.push_back(b);
    }
    barriers_ = std::move(keep);
    release_ready();
    advance_to(give_up_below);
  }

  // Every request of the first wave has completed (or the run is over): the smallest id held is
  // the first id of the stream.
  void fix_base() {
    base_known_ = true;
    base_ = next_id_ = held_.begin()->first;
  }

  void release_ready() {
    for (auto it = held_.begin(); it != held_.end() && it->first == next_id_; it = held_.begin()) {
      Item item = std::move(it->second);
      held_.erase(it);
      release_(next_id_++, std::move(item));
    }
  }

  // Releases or gives up every id below `id` (held ones are released, the others lost).
  void advance_to(int64_t id) {
    for (release_ready(); next_id_ < id; release_ready()) lost_(next_id_++);
  }

  int64_t expected_id() const {
    const int64_t lowest = base_known_ ? next_id_ : first_ ? first_->id : 0;
    return held_.empty() ? lowest : std::max(lowest, held_.rbegin()->first + 1);
  }

  Release release_;
  Lost lost_;
  std::optional<First> first_;
  bool base_known_ = false;
  int64_t base_ = -1;
  int64_t next_id_ = 0;  // once base_known_: the smallest id not yet released or given up
  uint64_t next_ticket_ = 0;
  std::set<uint64_t> open_;
  std::map<int64_t, Item> held_;
  std::vector<Barrier> barriers_;
  int64_t highest_ = -1;
  size_t failed_after_highest_ = 0;
  size_t failed_before_first_ = 0;
};

}  // namespace lpbf
