#pragma once
// A decoded tile: 16-bit grey values, row-major. SPEC §2 calls the row index x, the column y.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lpbf {

struct Image16 {
  int rows = 0;
  int cols = 0;
  std::vector<uint16_t> pixels;  // rows * cols, pixel (x, y) at x * cols + y

  Image16() = default;
  Image16(int r, int c) : rows(r), cols(c), pixels(size_t(r) * size_t(c)) {}
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
