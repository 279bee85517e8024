#include "analysis/outliers_fast.h"

#include <cstdlib>
#include <cstring>

#include "analysis/constants.h"
#include "analysis/outliers_reference.h"

namespace lpbf {
namespace {

constexpr int kPad = kOuterDistance;  // diamonds reach 4 rows and columns out
constexpr int kRing = 8;              // rows kept per quantity (a power of two >= 5)
constexpr int kWidths = kPad + 1;     // horizontal half-widths 0..4
constexpr int32_t kCloseWeight = kCloseCount + kOuterCount;  // 79: 60 for close plus 19 removed from outer
constexpr int32_t kOuterWeight = kCloseCount;                // 19

// Rows of a quantity, indexed by padded row number (image row + 4), kept in a ring.
class RowRing {
 public:
  RowRing(int cols, int quantities) : cols_(size_t(cols)), rows_(size_t(kRing) * size_t(quantities) * size_t(cols)) {}
  int32_t* row(int quantity, int padded_row) {
    return &rows_[(size_t(quantity) * kRing + size_t(padded_row & (kRing - 1))) * cols_];
  }

 private:
  size_t cols_;
  TileBuffer<int32_t> rows_;
};

// h[k][y] = sum of the row's values at columns y-k..y+k (zero outside), k = 0..4.
void horizontal_sums(const uint16_t* row, int cols, int32_t* padded, int32_t* const* h) {
  if (row == nullptr) {  // a row outside the image
    for (int k = 0; k < kWidths; ++k) std::memset(h[k], 0, sizeof(int32_t) * size_t(cols));
    return;
  }
  for (int y = 0; y < cols; ++y) padded[kPad + y] = row[y];
  int32_t* __restrict h0 = h[0];
  for (int y = 0; y < cols; ++y) h0[y] = padded[kPad + y];
  for (int k = 1; k < kWidths; ++k) {
    const int32_t* __restrict prev = h[k - 1];
    int32_t* __restrict cur = h[k];
    for (int y = 0; y < cols; ++y) cur[y] = prev[y] + padded[kPad + y - k] + padded[kPad + y + k];
  }
}

// D1(x) = H0(x-1) + H0(x+1) + H1(x)
void diamond1(int cols, const int32_t* __restrict up, const int32_t* __restrict down, const int32_t* __restrict h1,
              int32_t* __restrict out) {
#pragma GCC ivdep
  for (int y = 0; y < cols; ++y) out[y] = up[y] + down[y] + h1[y];
}

// Dr(x) = D(r-1)(x-1) + D(r-1)(x+1) - D(r-2)(x) + Hr(x) - H(r-2)(x): the two smaller diamonds above
// and below cover Dr but for its middle row, and overlap in D(r-2).
void diamond(int cols, const int32_t* __restrict up, const int32_t* __restrict down, const int32_t* __restrict inner,
             const int32_t* __restrict h_r, const int32_t* __restrict h_r2, int32_t* __restrict out) {
#pragma GCC ivdep
  for (int y = 0; y < cols; ++y) out[y] = up[y] + down[y] - inner[y] + h_r[y] - h_r2[y];
}

// A layer with fewer than two before it: fold in its terms only.
void fold_row(int cols, bool has_previous, const int32_t* __restrict v, const int32_t* __restrict d1,
              const int32_t* __restrict d2, const int32_t* __restrict d3, int32_t* __restrict next_window,
              int32_t* __restrict after_next) {
#pragma GCC ivdep
  for (int y = 0; y < cols; ++y) {
    const int32_t as_middle = kCloseWeight * d1[y] - kOuterWeight * d3[y];
    next_window[y] = has_previous ? as_middle + after_next[y] : as_middle;
    after_next[y] = kCloseWeight * v[y] - kOuterWeight * d2[y];
  }
}

// The newest layer of a full window: T, which pixels may be outliers, and the folded terms.
void window_row(int cols, const uint16_t* __restrict value, const int32_t* __restrict v, const int32_t* __restrict d1,
                const int32_t* __restrict d2, const int32_t* __restrict d3, const int32_t* __restrict d4,
                int32_t* __restrict next_window, int32_t* __restrict after_next, int32_t* __restrict t_row,
                uint8_t* __restrict candidate) {
#pragma GCC ivdep
  for (int y = 0; y < cols; ++y) {
    const int32_t t = kCloseWeight * d2[y] - kOuterWeight * d4[y] + next_window[y];
    t_row[y] = t;
    const int32_t pixel = value[y];
    candidate[y] = uint8_t((t >= kOutlierThresholdScaled) | (t <= -kOutlierThresholdScaled)) &
                   uint8_t(pixel > kEmptyThreshold) & uint8_t(pixel < kSaturationThreshold);
    next_window[y] = kCloseWeight * d1[y] - kOuterWeight * d3[y] + after_next[y];
    after_next[y] = kCloseWeight * v[y] - kOuterWeight * d2[y];
  }
}

}  // namespace

void advance_outliers(const Image16& newest, const Image16* middle, const Image16* oldest, OutlierState& state,
                      std::vector<PixelPos>* outliers) {
  const int rows = newest.rows, cols = newest.cols;
  if (state.rows != rows || state.cols != cols) state.layers = 0;
  const bool full = state.layers >= 2 && middle && oldest && outliers;
  const bool has_previous = state.layers >= 1;
  state.rows = rows, state.cols = cols;
  const size_t n = size_t(rows) * size_t(cols);
  state.next_window.resize(n);
  state.after_next.resize(n);
  state.layers = std::min(state.layers + 1, 2);
  if (n == 0) return;

  enum Quantity { kH0, kH1, kH2, kH3, kH4, kD1, kD2, kD3, kD4, kQuantities };
  RowRing ring(cols, kQuantities);
  std::vector<int32_t> padded(size_t(cols) + 2 * kPad, 0);
  std::vector<int32_t> t_row(static_cast<size_t>(cols));
  std::vector<uint8_t> candidate(size_t(cols) + 8, 0);

  // Padded row p holds image row p - 4; rows 0..3 and rows+4..rows+7 are zero. As padded row q
  // arrives, the wavefront completes D1 of row q-1, D2 of q-2, D3 of q-3, D4 of q-4 and, from
  // those, the output for padded row q-4 (image row q-8).
  for (int q = 0; q < rows + 2 * kPad; ++q) {
    const int x_in = q - kPad;
    int32_t* h[kWidths];
    for (int k = 0; k < kWidths; ++k) h[k] = ring.row(kH0 + k, q);
    horizontal_sums(x_in >= 0 && x_in < rows ? &newest.pixels[size_t(x_in) * size_t(cols)] : nullptr, cols,
                    padded.data(), h);
    if (q >= 2) diamond1(cols, ring.row(kH0, q - 2), ring.row(kH0, q), ring.row(kH1, q - 1), ring.row(kD1, q - 1));
    if (q >= 4)
      diamond(cols, ring.row(kD1, q - 3), ring.row(kD1, q - 1), ring.row(kH0, q - 2), ring.row(kH2, q - 2),
              ring.row(kH0, q - 2), ring.row(kD2, q - 2));
    if (q >= 6)
      diamond(cols, ring.row(kD2, q - 4), ring.row(kD2, q - 2), ring.row(kD1, q - 3), ring.row(kH3, q - 3),
              ring.row(kH1, q - 3), ring.row(kD3, q - 3));
    if (q < 2 * kPad) continue;
    const int p = q - kPad, x = p - kPad;  // the output row, padded and in the image
    diamond(cols, ring.row(kD3, p - 1), ring.row(kD3, p + 1), ring.row(kD2, p), ring.row(kH4, p), ring.row(kH2, p),
            ring.row(kD4, p));

    const size_t base = size_t(x) * size_t(cols);
    int32_t* next_window = &state.next_window[base];
    int32_t* after_next = &state.after_next[base];
    if (!full) {
      fold_row(cols, has_previous, ring.row(kH0, p), ring.row(kD1, p), ring.row(kD2, p), ring.row(kD3, p), next_window,
               after_next);
      continue;
    }
    const uint16_t* value = &newest.pixels[base];
    window_row(cols, value, ring.row(kH0, p), ring.row(kD1, p), ring.row(kD2, p), ring.row(kD3, p), ring.row(kD4, p),
               next_window, after_next, t_row.data(), candidate.data());
    // Outliers are rare: skip eight non-candidates at a time.
    for (int y = 0; y < cols; y += 8) {
      uint64_t word;
      std::memcpy(&word, &candidate[size_t(y)], sizeof word);
      if (word == 0) continue;
      for (int k = y; k < y + 8 && k < cols; ++k) {
        if (!candidate[size_t(k)]) continue;
        // |T| == threshold exactly: SPEC §2 decides in doubles, from the exact sums.
        const bool outlier = std::abs(t_row[size_t(k)]) > kOutlierThresholdScaled ||
                             is_outlier(value[k], neighbourhood_sums(*oldest, *middle, newest, x, k));
        if (outlier) outliers->push_back({x, k});
      }
    }
  }
}

std::vector<PixelPos> find_outliers_fast(const Image16& oldest, const Image16& middle, const Image16& newest) {
  OutlierState state;
  std::vector<PixelPos> outliers;
  advance_outliers(oldest, nullptr, nullptr, state, nullptr);
  advance_outliers(middle, nullptr, nullptr, state, nullptr);
  advance_outliers(newest, &middle, &oldest, state, &outliers);
  return outliers;
}

}  // namespace lpbf
