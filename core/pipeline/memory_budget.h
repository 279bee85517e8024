#pragma once
// The run's memory budget (--memory-budget): a byte-accounting semaphore. Bytes are charged when
// they come to exist (a batch body arrives; its decoded image is reserved at the same moment, from
// the size its TIFF header declares) and released when they are freed (the batch answered; a
// tile's window drops a layer). The fetch stage asks may_fetch() before each next_batch request:
// fetching waits while the bytes held plus those of the requests under way would exceed the
// budget. It never deadlocks: with nothing fetched and unanswered (the pipeline empty) a request is
// always allowed, so one batch larger than what remains waits until everything else is released,
// then proceeds alone. A batch whose image alone exceeds the whole budget can never fit: it fails
// (oversized()) before its image is allocated.
//
// Thread-safe: the fetch stage charges on the io thread, the analysis workers release.
#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace lpbf {

class MemoryBudget {
 public:
  // `on_room`: called (on the releasing thread) after a release when a fetch was refused since
  // the last call; the run posts a wake-up of the fetch stage to its io thread.
  explicit MemoryBudget(uint64_t capacity, std::function<void()> on_room = {})
      : capacity_(std::max<uint64_t>(1, capacity)), on_room_(std::move(on_room)) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  uint64_t capacity() const { return capacity_; }
  uint64_t held() const {
    std::lock_guard lock(mutex_);
    return held_;
  }
  uint64_t peak() const {
    std::lock_guard lock(mutex_);
    return peak_;
  }
  size_t waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
  }

  // Empty, or why `image_bytes` can never be held: it alone exceeds the whole budget.
  std::string oversized(uint64_t image_bytes) const {
    if (image_bytes <= capacity_) return {};
    return "its image needs " + describe_bytes(image_bytes) + " decoded, more than the whole --memory-budget of " +
           describe_bytes(capacity_);
  }

  // Takes `n` bytes if they fit beside those held, or if nothing is held at all.
  bool try_acquire(uint64_t n) {
    std::lock_guard lock(mutex_);
    return take_if_room(n);
  }
  // Waits until try_acquire(n) would succeed, then takes them. `n` must not be oversized().
  void acquire(uint64_t n) {
    std::unique_lock lock(mutex_);
    ++waiting_;
    room_.wait(lock, [&] { return take_if_room(n); });
    --waiting_;
  }
  // Takes `n` bytes whatever is held: for bytes that already exist (a body that has arrived).
  void charge(uint64_t n) {
    std::lock_guard lock(mutex_);
    add(n);
  }
  void release(uint64_t n) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      held_ -= std::min(n, held_);
      wake = fetch_refused_;
      fetch_refused_ = false;
    }
    room_.notify_all();
    if (wake && on_room_) on_room_();
  }

  // The fetch stage, before a next_batch request: `under_way` requests are already sent and
  // `pipeline_empty` says nothing is fetched and unanswered. Each request is expected to bring as
  // many bytes as the largest batch charged so far (unknown before the first: it goes alone).
  bool may_fetch(size_t under_way, bool pipeline_empty) {
    std::lock_guard lock(mutex_);
    if (pipeline_empty && under_way == 0) return true;
    if (largest_batch_ > 0 && held_ + (under_way + 1) * largest_batch_ <= capacity_) return true;
    fetch_refused_ = true;
    return false;
  }
  // A batch's bytes have arrived (or are reserved): charged whatever is held (they exist), and
  // remembered as the size to expect of the next ones.
  void charge_batch(uint64_t n) {
    std::lock_guard lock(mutex_);
    add(n);
    largest_batch_ = std::max(largest_batch_, n);
  }

  // "512 MiB", "4 GiB", "1 234 bytes": for messages and the summary.
  static std::string describe_bytes(uint64_t n) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    double v = double(n);
    while (v >= 1024 && u < 4) v /= 1024, ++u;
    char text[48];
    if (u == 0) std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(n));
    else std::snprintf(text, sizeof text, v == double(uint64_t(v)) ? "%.0f %s" : "%.1f %s", v, units[u]);
    return text;
  }

 private:
  bool take_if_room(uint64_t n) {
    if (held_ != 0 && held_ + n > capacity_) return false;
    add(n);
    return true;
  }
  void add(uint64_t n) {
    held_ += n;
    peak_ = std::max(peak_, held_);
  }

  const uint64_t capacity_;
  std::function<void()> on_room_;
  mutable std::mutex mutex_;
  std::condition_variable room_;
  uint64_t held_ = 0, peak_ = 0, largest_batch_ = 0;
  size_t waiting_ = 0;
  bool fetch_refused_ = false;
};

// Bytes charged to a budget, released when the last copy of the owning pointer goes (a batch's
// body and image travel with it as a shared_ptr<MemoryCharge>). resize() follows a holding that
// grows or shrinks (a tile's window).
class MemoryCharge {
 public:
  MemoryCharge(MemoryBudget& budget, uint64_t bytes) : budget_(&budget), bytes_(bytes) {}
  MemoryCharge(const MemoryCharge&) = delete;
  MemoryCharge& operator=(const MemoryCharge&) = delete;
  ~MemoryCharge() {
    if (bytes_) budget_->release(bytes_);
  }
  uint64_t bytes() const { return bytes_; }
  void resize(uint64_t bytes) {
    if (bytes > bytes_) budget_->charge(bytes - bytes_);
    else if (bytes < bytes_) budget_->release(bytes_ - bytes);
    bytes_ = bytes;
  }

 private:
  MemoryBudget* budget_;
  uint64_t bytes_;
};

// "512M", "4G", "1.5G", "1073741824", "64K" (binary units, an optional trailing "B" or "iB"):
// the bytes, or empty for anything else (zero too).
inline std::optional<uint64_t> parse_byte_size(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!(value > 0) || text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.'))
    return std::nullopt;
  std::string unit = text.substr(used);
  for (char& c : unit) c = char(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() >= 2 && unit.substr(unit.size() - 2) == "IB") unit.resize(unit.size() - 2);
  else if (unit.size() >= 2 && unit.back() == 'B') unit.pop_back();
  double scale = 1;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "K") scale = 1024.0;
  else if (unit == "M") scale = 1024.0 * 1024;
  else if (unit == "G") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T") scale = 1024.0 * 1024 * 1024 * 1024;
  else return std::nullopt;
  const double bytes = value * scale;
  if (bytes < 1 || bytes > 1.8e19) return std::nullopt;
  return uint64_t(bytes);
}

// The default budget: a quarter of the machine's physical memory, at most 4 GiB (and 256 MiB
// when the size cannot be read).
uint64_t default_memory_budget();

}  // namespace lpbf
