#pragma once
// A decoded tile: 16-bit grey values, row-major. SPEC §2 calls the row index x, the column y.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <vector>

namespace lpbf {

// An allocator that leaves new elements uninitialised: tile-sized buffers are always written
// whole (by the decoder or a kernel) before they are read, so zero-filling them is wasted work.
template <class T>
struct UninitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitAllocator<U>;
  };
  UninitAllocator() = default;
  template <class U>
  UninitAllocator(const UninitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// A tile-sized buffer whose new elements are not zero-filled.
template <class T>
using TileBuffer = std::vector<T, UninitAllocator<T>>;

// The pixels of an image: a buffer of its own, or a read-only view of pixels that another owner
// keeps alive (an uncompressed TIFF's strips where the fetched batch's bytes already hold them:
// no 500 KB copy a batch). Reading is the same either way (data(), [], begin/end); writing to a
// view first copies it into a buffer of its own, so a view's owner never sees a write.
class PixelBuffer {
 public:
  PixelBuffer() = default;
  PixelBuffer(size_t n, uint16_t value) : own_(n, value) { point_at_own(); }
  PixelBuffer(std::initializer_list<uint16_t> values) : own_(values) { point_at_own(); }
  // `n` pixels at `p`, which must stay valid (and unchanged) while `owner` lives.
  static PixelBuffer view(std::shared_ptr<const void> owner, const uint16_t* p, size_t n) {
    PixelBuffer b;
    b.owner_ = std::move(owner), b.p_ = p, b.n_ = n;
    return b;
  }
  // A copy of a view is another view of the same pixels; of a buffer, a buffer.
  PixelBuffer(const PixelBuffer& o) : owner_(o.owner_), own_(o.own_) {
    if (owner_) p_ = o.p_, n_ = o.n_;
    else point_at_own();
  }
  PixelBuffer(PixelBuffer&& o) noexcept : owner_(std::move(o.owner_)), own_(std::move(o.own_)), p_(o.p_), n_(o.n_) {
    if (!owner_) point_at_own();
    o.p_ = nullptr, o.n_ = 0;
  }
  PixelBuffer& operator=(const PixelBuffer& o) {
    if (this != &o) *this = PixelBuffer(o);
    return *this;
  }
  PixelBuffer& operator=(PixelBuffer&& o) noexcept {
    if (this == &o) return *this;
    owner_ = std::move(o.owner_), own_ = std::move(o.own_);
    p_ = o.p_, n_ = o.n_;
    if (!owner_) point_at_own();
    o.p_ = nullptr, o.n_ = 0;
    return *this;
  }

  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  // The bytes' worth of pixels this holds alive: its buffer's capacity, or the pixels it views.
  size_t capacity() const { return owner_ ? n_ : own_.capacity(); }
  bool is_view() const { return owner_ != nullptr; }

  const uint16_t* data() const { return p_; }
  const uint16_t& operator[](size_t i) const { return p_[i]; }
  const uint16_t* begin() const { return p_; }
  const uint16_t* end() const { return p_ + n_; }

  uint16_t* data() { return writable(); }
  uint16_t& operator[](size_t i) { return writable()[i]; }
  uint16_t* begin() { return writable(); }
  uint16_t* end() { return writable() + n_; }
  // New pixels are left unset (the writer fills them).
  void resize(size_t n) {
    writable();
    own_.resize(n);
    point_at_own();
  }

  bool operator==(const PixelBuffer& o) const {
    return n_ == o.n_ && (n_ == 0 || std::memcmp(p_, o.p_, n_ * sizeof(uint16_t)) == 0);
  }

 private:
  void point_at_own() { p_ = own_.data(), n_ = own_.size(); }
  uint16_t* writable() {
    if (owner_) {
      own_.assign(p_, p_ + n_);
      owner_.reset();
      point_at_own();
    }
    return own_.data();
  }

  std::shared_ptr<const void> owner_;  // set: p_ views pixels it keeps alive; unset: p_ is own_'s
  TileBuffer<uint16_t> own_;
  const uint16_t* p_ = nullptr;
  size_t n_ = 0;
};

struct Image16 {
  int rows = 0;
  int cols = 0;
  PixelBuffer pixels;  // rows * cols, pixel (x, y) at x * cols + y

  Image16() = default;
  // All pixels zero.
  Image16(int r, int c) : rows(r), cols(c), pixels(size_t(r) * size_t(c), 0) {}
  // Pixels left unset: for a writer that fills every one (the TIFF decoder).
  static Image16 uninitialised(int r, int c) {
    Image16 img;
    img.rows = r, img.cols = c;
    img.pixels.resize(size_t(r) * size_t(c));
    return img;
  }
  uint16_t at(int x, int y) const { return pixels[size_t(x) * size_t(cols) + size_t(y)]; }
  uint16_t& at(int x, int y) { return pixels[size_t(x) * size_t(cols) + size_t(y)]; }
  bool same_shape(const Image16& o) const { return rows == o.rows && cols == o.cols; }
};

// A pixel position; outliers are lists of these.
struct PixelPos {
  int32_t x = 0;
  int32_t y = 0;
  bool operator==(const PixelPos&) const = default;
};

}  // namespace lpbf
