#pragma once
// A batch as the challenger hands it out (SPEC §1 batch map).
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "analysis/image.h"

namespace lpbf {

// Bytes as they arrive from a socket or a file: growing one does not zero-fill it first.
using ByteBuffer = std::vector<uint8_t, UninitAllocator<uint8_t>>;

// A read-only part of a shared buffer. A fetched batch's TIFF is the bulk of the HTTP body (or
// the Kafka message) it arrived in; it stays there and is never copied (a 500 KB copy per batch
// cost ~6% of a run).
class SharedBytes {
 public:
  SharedBytes() = default;
  // Owns `bytes`, all of them.
  explicit SharedBytes(ByteBuffer bytes) : SharedBytes(std::make_shared<const ByteBuffer>(std::move(bytes))) {}
  explicit SharedBytes(std::string bytes) {
    auto owned = std::make_shared<const std::string>(std::move(bytes));
    part_ = {reinterpret_cast<const uint8_t*>(owned->data()), owned->size()};
    owner_ = std::move(owned);
  }
  explicit SharedBytes(std::shared_ptr<const ByteBuffer> buffer) : part_(*buffer) { owner_ = std::move(buffer); }
  // Copies `bytes`: for bytes made here (an encoded TIFF, a test's), not for fetched ones.
  SharedBytes(const std::vector<uint8_t>& bytes) : SharedBytes(ByteBuffer(bytes.begin(), bytes.end())) {}
  // `part` must lie inside what `owner` keeps alive (a buffer, a librdkafka message, ...).
  SharedBytes(std::shared_ptr<const void> owner, std::span<const uint8_t> part)
      : owner_(std::move(owner)), part_(part) {}
  // A part of these bytes, sharing their owner.
  SharedBytes part(std::span<const uint8_t> inside) const { return SharedBytes(owner_, inside); }

  // What keeps these bytes alive (null for none): a decoded image may share it to view them.
  const std::shared_ptr<const void>& owner() const { return owner_; }
  const uint8_t* data() const { return part_.data(); }
  size_t size() const { return part_.size(); }
  bool empty() const { return part_.empty(); }
  const uint8_t* begin() const { return part_.data(); }
  const uint8_t* end() const { return part_.data() + part_.size(); }
  operator std::span<const uint8_t>() const { return part_; }
  bool operator==(const SharedBytes& o) const {
    return size() == o.size() && (size() == 0 || std::memcmp(data(), o.data(), size()) == 0);
  }

 private:
  std::shared_ptr<const void> owner_;
  std::span<const uint8_t> part_;
};

struct Batch {
  int64_t batch_id = 0;
  std::string print_id;
  int64_t tile_id = 0;
  int64_t layer = 0;
  SharedBytes tif;  // the TIFF file's bytes
};

}  // namespace lpbf
