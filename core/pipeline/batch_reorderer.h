#pragma once
// Puts fetched batches back in batch_id order. Several next_batch requests are in flight at once,
// so replies can arrive out of order; but a tile's window needs its layers in batch_id order, and
// the challenger numbers batches 0, 1, 2, ... as it hands them out (SPEC §1).
//
// A batch is released once every smaller id has been released or is known lost. An id is known
// lost without any timeout: when a reply carrying id X arrives, every smaller id was handed to a
// request that was already sent at that moment; once all of those requests have completed, the
// ids below X that never came were lost with a failed request.
//
// Ids are checked before they are taken (check_id): the challenger numbers batches 0, 1, 2, ...
// and hands out one per request, so a valid id is below the number of requests sent. Memory and
// work are thus bounded by the requests sent, never by the values a reply carries.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace lpbf {

template <class Item>
class BatchReorderer {
 public:
  using Release = std::function<void(int64_t id, Item&&)>;
  using Lost = std::function<void(int64_t id)>;

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
    if (id < next_id_ || held_.count(id)) return "batch_id " + std::to_string(id) + " came twice (or after it was given up)";
    if (uint64_t(id) >= next_ticket_)  // more ids than requests: not the challenger's numbering
      return "batch_id " + std::to_string(id) + " is out of sequence: expected about " + std::to_string(expected_id());
    return {};
  }

  // The request brought batch `id` (check_id said yes).
  void request_done(uint64_t ticket, int64_t id, Item item) {
    if (!check_id(id).empty()) return request_failed(ticket);  // the caller did not check: drop it
    held_.emplace(id, std::move(item));
    barriers_.push_back({id, next_ticket_ - 1});
    if (id > highest_) highest_ = id, failed_after_highest_ = 0;
    close(ticket);
  }

  // The request failed, or brought no batch (an unreadable reply). `may_have_taken_id`: false
  // when the challenger answered with an error status, i.e. said it served nothing.
  void request_failed(uint64_t ticket, bool may_have_taken_id = true) {
    failed_after_highest_ += may_have_taken_id;
    close(ticket);
  }

  // The request was answered "no more batches" (404): it consumed no id.
  void request_ended(uint64_t ticket) { close(ticket); }

  // No more requests will be sent: release everything held, in order, declaring gaps lost.
  void finish() {
    while (!held_.empty()) advance_to(held_.begin()->first + 1);
  }

  size_t held() const { return held_.size(); }
  // Requests that failed since the last reply raising the highest id: each may have been handed
  // an id above every id received, which no later reply will reveal as a gap.
  size_t failed_after_highest() const { return failed_after_highest_; }
  int64_t highest_id() const { return highest_; }
  size_t open_requests() const { return open_.size(); }

 private:
  struct Barrier {
    int64_t id;       // a reply carried this id...
    uint64_t ticket;  // ...when requests up to this ticket had been sent
  };

  void close(uint64_t ticket) {
    open_.erase(ticket);
    const uint64_t lowest_open = open_.empty() ? next_ticket_ : *open_.begin();
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

  int64_t expected_id() const { return held_.empty() ? next_id_ : std::max(next_id_, held_.rbegin()->first + 1); }

  Release release_;
  Lost lost_;
  int64_t next_id_ = 0;  // the smallest id not yet released or given up (SPEC §1: ids start at 0)
  uint64_t next_ticket_ = 0;
  std::set<uint64_t> open_;
  std::map<int64_t, Item> held_;
  std::vector<Barrier> barriers_;
  int64_t highest_ = -1;
  size_t failed_after_highest_ = 0;
};

}  // namespace lpbf
