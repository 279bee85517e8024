#pragma once
// Puts fetched batches back in batch_id order. Several next_batch requests are in flight at once,
// so replies can arrive out of order; but a tile's window needs its layers in batch_id order, and
// the challenger numbers batches 0, 1, 2, ... as it hands them out (SPEC §1).
//
// A batch is released once every smaller id has been released or is known lost. An id is known
// lost without any timeout: when a reply carrying id X arrives, every smaller id was handed to a
// request that was already sent at that moment; once all of those requests have completed, the
// ids below X that never came were lost with a failed request.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
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

  // The request brought batch `id`.
  void request_done(uint64_t ticket, int64_t id, Item item) {
    if (id < next_id_ || held_.count(id)) {  // a duplicate or an id already given up: pass it on
      release_(id, std::move(item));
    } else {
      held_.emplace(id, std::move(item));
      barriers_.push_back({id, next_ticket_ - 1});
    }
    close(ticket);
  }

  // The request failed, or brought no batch (404, unreadable reply).
  void request_failed(uint64_t ticket) { close(ticket); }

  // No more requests will be sent: release everything held, in order, declaring gaps lost.
  void finish() {
    if (!started_ && !held_.empty()) next_id_ = held_.begin()->first;
    started_ = true;
    while (!held_.empty()) advance_to(held_.begin()->first + 1);
  }

  size_t held() const { return held_.size(); }
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
    if (!started_ && give_up_below > next_id_) {
      // Nothing released yet: the stream starts at the smallest id seen, not necessarily 0. A
      // request that failed before it is reported by the caller; its id was never known.
      next_id_ = held_.empty() ? give_up_below : std::min(give_up_below, held_.begin()->first);
      started_ = true;
    }
    advance_to(give_up_below);
  }

  void release_ready() {
    for (auto it = held_.begin(); it != held_.end() && it->first == next_id_; it = held_.begin()) {
      Item item = std::move(it->second);
      held_.erase(it);
      started_ = true;
      release_(next_id_++, std::move(item));
    }
  }

  // Releases or gives up every id below `id` (held ones are released, the others lost).
  void advance_to(int64_t id) {
    for (release_ready(); next_id_ < id; release_ready()) lost_(next_id_++);
  }

  Release release_;
  Lost lost_;
  int64_t next_id_ = 0;   // the smallest id not yet released or given up
  bool started_ = false;  // something was released or given up: next_id_ is anchored
  uint64_t next_ticket_ = 0;
  std::set<uint64_t> open_;
  std::map<int64_t, Item> held_;
  std::vector<Barrier> barriers_;
};

}  // namespace lpbf
