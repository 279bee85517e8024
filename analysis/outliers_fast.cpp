#include "analysis/outliers_fast.h"

#include <cstdlib>
#include <cstring>

#include "analysis/constants.h"
#include "analysis/outliers_reference.h"

namespace lpbf {
namespace {

constexpr int kPad = kOuterDistance;     // diamonds reach 4 rows and columns out
constexpr int kRing = 2 * kPad + 1;      // rows of horizontal sums alive at once
constexpr int kWidths = kPad + 1;        // horizontal half-widths 0..4
constexpr int32_t kCloseWeight = kCloseCount + kOuterCount;  // 79: 60 for close plus 19 removed from outer
constexpr int32_t kOuterWeight = kCloseCount;                // 19

// h[k][y] = sum of row values at columns y-k..y+k (zero outside), for k = 0..4.
// `row` null means a row outside the image: all sums zero.
void horizontal_sums(const uint16_t* row, int cols, int32_t* padded, int32_t* h) {
  if (row == nullptr) {
    std::memset(h, 0, sizeof(int32_t) * size_t(kWidths) * size_t(cols));
    return;
  }
  for (int y = 0; y < cols; ++y) padded[kPad + y] = row[y];
  int32_t* __restrict h0 = h;
  for (int y = 0; y < cols; ++y) h0[y] = padded[kPad + y];
  for (int k = 1; k < kWidths; ++k) {
    const int32_t* __restrict prev = h + size_t(k - 1) * cols;
    int32_t* __restrict cur = h + size_t(k) * cols;
    for (int y = 0; y < cols; ++y) cur[y] = prev[y] + padded[kPad + y - k] + padded[kPad + y + k];
  }
}

// The horizontal sums of the nine rows x-4..x+4 around one output row: h[i + 4][k].
struct RowWindow {
  const int32_t* h[kRing][kWidths];
};

// The diamond sums D1..D4 of one output row, element y. Pointers are copied to locals so the
// compiler sees 25 plain streams. The row loops carry `#pragma GCC ivdep`: outputs never overlap
// inputs, and without the promise GCC wants over 10 run-time alias checks and gives up vectorising.
struct DiamondRow {
  const int32_t *c0, *c1, *c2, *c3, *c4;           // row x, half-widths 0..4
  const int32_t *u1_0, *d1_0, *u1_1, *d1_1, *u1_2, *d1_2, *u1_3, *d1_3;  // rows x-1, x+1
  const int32_t *u2_0, *d2_0, *u2_1, *d2_1, *u2_2, *d2_2;                 // rows x-2, x+2
  const int32_t *u3_0, *d3_0, *u3_1, *d3_1;                               // rows x-3, x+3
  const int32_t *u4_0, *d4_0;                                             // rows x-4, x+4
  explicit DiamondRow(const RowWindow& w)
      : c0(w.h[4][0]), c1(w.h[4][1]), c2(w.h[4][2]), c3(w.h[4][3]), c4(w.h[4][4]),
        u1_0(w.h[3][0]), d1_0(w.h[5][0]), u1_1(w.h[3][1]), d1_1(w.h[5][1]), u1_2(w.h[3][2]), d1_2(w.h[5][2]),
        u1_3(w.h[3][3]), d1_3(w.h[5][3]),
        u2_0(w.h[2][0]), d2_0(w.h[6][0]), u2_1(w.h[2][1]), d2_1(w.h[6][1]), u2_2(w.h[2][2]), d2_2(w.h[6][2]),
        u3_0(w.h[1][0]), d3_0(w.h[7][0]), u3_1(w.h[1][1]), d3_1(w.h[7][1]),
        u4_0(w.h[0][0]), d4_0(w.h[8][0]) {}
  int32_t d1(int y) const { return c1[y] + u1_0[y] + d1_0[y]; }
  int32_t d2(int y) const { return c2[y] + u1_1[y] + d1_1[y] + u2_0[y] + d2_0[y]; }
  int32_t d3(int y) const { return c3[y] + u1_2[y] + d1_2[y] + u2_1[y] + d2_1[y] + u3_0[y] + d3_0[y]; }
  int32_t d4(int y) const {
    return c4[y] + u1_3[y] + d1_3[y] + u2_2[y] + d2_2[y] + u3_1[y] + d3_1[y] + u4_0[y] + d4_0[y];
  }
};

// A layer with no full window yet: only its terms for later windows.
void terms_row(const RowWindow& w, int cols, int32_t* __restrict mid, int32_t* __restrict old) {
  const DiamondRow r(w);
#pragma GCC ivdep
  for (int y = 0; y < cols; ++y) {
    mid[y] = kCloseWeight * r.d1(y) - kOuterWeight * r.d3(y);
    old[y] = kCloseWeight * r.c0[y] - kOuterWeight * r.d2(y);
  }
}

// The newest layer of a full window: its terms, the window's T, and which pixels may be outliers.
void window_row(const RowWindow& w, int cols, const uint16_t* __restrict value, const int32_t* __restrict past_mid,
                const int32_t* __restrict past_old, int32_t* __restrict mid, int32_t* __restrict old,
                int32_t* __restrict t_row, uint8_t* __restrict candidate) {
  const DiamondRow r(w);
#pragma GCC ivdep
  for (int y = 0; y < cols; ++y) {
    const int32_t d2 = r.d2(y);
    mid[y] = kCloseWeight * r.d1(y) - kOuterWeight * r.d3(y);
    old[y] = kCloseWeight * r.c0[y] - kOuterWeight * d2;
    const int32_t t = kCloseWeight * d2 - kOuterWeight * r.d4(y) + past_mid[y] + past_old[y];
    t_row[y] = t;
    const int32_t v = value[y];
    candidate[y] = uint8_t((t >= kOutlierThresholdScaled) | (t <= -kOutlierThresholdScaled)) &
                   uint8_t(v > kEmptyThreshold) & uint8_t(v < kSaturationThreshold);
  }
}

}  // namespace

void advance_outlier_window(const Image16& newest, const PastLayers* past, LayerTerms& terms,
                            std::vector<PixelPos>* outliers) {
  const int rows = newest.rows, cols = newest.cols;
  const size_t n = size_t(rows) * size_t(cols);
  terms.rows = rows;
  terms.cols = cols;
  terms.as_middle.resize(n);
  terms.as_oldest.resize(n);
  if (n == 0) return;

  std::vector<int32_t> padded(size_t(cols) + 2 * kPad, 0);
  std::vector<int32_t> ring(size_t(kRing) * kWidths * size_t(cols));
  std::vector<int32_t> window_t(past ? size_t(cols) : 0);
  std::vector<uint8_t> candidate(past ? size_t(cols) + 8 : 0, 0);

  // Padded row q holds image row q - kPad; slot q % kRing.
  auto fill = [&](int q) {
    const int x = q - kPad;
    const uint16_t* row = (x >= 0 && x < rows) ? &newest.pixels[size_t(x) * cols] : nullptr;
    horizontal_sums(row, cols, padded.data(), &ring[size_t(q % kRing) * kWidths * cols]);
  };
  for (int q = 0; q < 2 * kPad; ++q) fill(q);

  RowWindow w;
  for (int x = 0; x < rows; ++x) {
    fill(x + 2 * kPad);
    for (int i = 0; i < kRing; ++i)
      for (int k = 0; k < kWidths; ++k) w.h[i][k] = &ring[(size_t((x + i) % kRing) * kWidths + size_t(k)) * cols];
    const size_t base = size_t(x) * cols;
    if (past == nullptr) {
      terms_row(w, cols, &terms.as_middle[base], &terms.as_oldest[base]);
      continue;
    }
    const uint16_t* value = &newest.pixels[base];
    window_row(w, cols, value, &past->middle_terms.as_middle[base], &past->oldest_terms.as_oldest[base],
               &terms.as_middle[base], &terms.as_oldest[base], window_t.data(), candidate.data());
    // Outliers are rare: skip eight non-candidates at a time.
    for (int y = 0; y < cols; y += 8) {
      uint64_t word;
      std::memcpy(&word, &candidate[size_t(y)], sizeof word);
      if (word == 0) continue;
      for (int k = y; k < y + 8 && k < cols; ++k) {
        if (!candidate[size_t(k)]) continue;
        // |T| == threshold exactly: SPEC §2 decides in doubles, from the exact sums.
        const bool outlier = std::abs(window_t[size_t(k)]) > kOutlierThresholdScaled ||
                             is_outlier(value[k], neighbourhood_sums(past->oldest, past->middle, newest, x, k));
        if (outlier) outliers->push_back({x, k});
      }
    }
  }
}

std::vector<PixelPos> find_outliers_fast(const Image16& oldest, const Image16& middle, const Image16& newest) {
  LayerTerms oldest_terms, middle_terms, newest_terms;
  advance_outlier_window(oldest, nullptr, oldest_terms, nullptr);
  advance_outlier_window(middle, nullptr, middle_terms, nullptr);
  const PastLayers past{middle, middle_terms, oldest, oldest_terms};
  std::vector<PixelPos> outliers;
  advance_outlier_window(newest, &past, newest_terms, &outliers);
  return outliers;
}

}  // namespace lpbf
