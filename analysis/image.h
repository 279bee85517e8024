#pragma once
// A decoded tile: 16-bit grey values, row-major. SPEC §2 calls the row index x, the column y.
#include <cstddef>
#include <cstdint>
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

struct Image16 {
  int rows = 0;
  int cols = 0;
  TileBuffer<uint16_t> pixels;  // rows * cols, pixel (x, y) at x * cols + y

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
