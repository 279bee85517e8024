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

  for (int x = 0; x < rows; ++x) {
    fill(x + 2 * kPad);
    // H(i, k): horizontal half-width-k sums of image row x+i.
    auto H = [&](int i, int k) -> const int32_t* {
      return &ring[(size_t((x + kPad + i) % kRing) * kWidths + size_t(k)) * cols];
    };
    const int32_t *__restrict c0 = H(0, 0), *__restrict c1 = H(0, 1), *__restrict c2 = H(0, 2),
                              *__restrict c3 = H(0, 3), *__restrict c4 = H(0, 4);
    const int32_t *__restrict u1_0 = H(-1, 0), *__restrict d1_0 = H(1, 0), *__restrict u1_1 = H(-1, 1),
                              *__restrict d1_1 = H(1, 1), *__restrict u1_2 = H(-1, 2), *__restrict d1_2 = H(1, 2),
                              *__restrict u1_3 = H(-1, 3), *__restrict d1_3 = H(1, 3);
    const int32_t *__restrict u2_0 = H(-2, 0), *__restrict d2_0 = H(2, 0), *__restrict u2_1 = H(-2, 1),
                              *__restrict d2_1 = H(2, 1), *__restrict u2_2 = H(-2, 2), *__restrict d2_2 = H(2, 2);
    const int32_t *__restrict u3_0 = H(-3, 0), *__restrict d3_0 = H(3, 0), *__restrict u3_1 = H(-3, 1),
                              *__restrict d3_1 = H(3, 1);
    const int32_t *__restrict u4_0 = H(-4, 0), *__restrict d4_0 = H(4, 0);
    const size_t base = size_t(x) * cols;
    int32_t* __restrict mid = &terms.as_middle[base];
    int32_t* __restrict old = &terms.as_oldest[base];

    if (past == nullptr) {
      for (int y = 0; y < cols; ++y) {
        const int32_t d1 = c1[y] + u1_0[y] + d1_0[y];
        const int32_t d2 = c2[y] + u1_1[y] + d1_1[y] + u2_0[y] + d2_0[y];
        const int32_t d3 = c3[y] + u1_2[y] + d1_2[y] + u2_1[y] + d2_1[y] + u3_0[y] + d3_0[y];
        mid[y] = kCloseWeight * d1 - kOuterWeight * d3;
        old[y] = kCloseWeight * c0[y] - kOuterWeight * d2;
      }
      continue;
    }

    const int32_t* __restrict past_mid = &past->middle_terms.as_middle[base];
    const int32_t* __restrict past_old = &past->oldest_terms.as_oldest[base];
    const uint16_t* __restrict value = &newest.pixels[base];
    int32_t* __restrict t_row = window_t.data();
    uint8_t* __restrict cand = candidate.data();
    for (int y = 0; y < cols; ++y) {
      const int32_t d1 = c1[y] + u1_0[y] + d1_0[y];
      const int32_t d2 = c2[y] + u1_1[y] + d1_1[y] + u2_0[y] + d2_0[y];
      const int32_t d3 = c3[y] + u1_2[y] + d1_2[y] + u2_1[y] + d2_1[y] + u3_0[y] + d3_0[y];
      const int32_t d4 = c4[y] + u1_3[y] + d1_3[y] + u2_2[y] + d2_2[y] + u3_1[y] + d3_1[y] + u4_0[y] + d4_0[y];
      mid[y] = kCloseWeight * d1 - kOuterWeight * d3;
      old[y] = kCloseWeight * c0[y] - kOuterWeight * d2;
      const int32_t t = kCloseWeight * d2 - kOuterWeight * d4 + past_mid[y] + past_old[y];
      t_row[y] = t;
      const int32_t v = value[y];
      cand[y] = uint8_t((t >= kOutlierThresholdScaled) | (t <= -kOutlierThresholdScaled)) &
                uint8_t(v > kEmptyThreshold) & uint8_t(v < kSaturationThreshold);
    }
    // Outliers are rare: skip eight candidates at a time.
    for (int y = 0; y < cols; y += 8) {
      uint64_t word;
      std::memcpy(&word, cand + y, sizeof word);
      if (word == 0) continue;
      for (int k = y; k < y + 8 && k < cols; ++k) {
        if (!cand[k]) continue;
        const int32_t t = t_row[k];
        const bool outlier = std::abs(t) > kOutlierThresholdScaled
                                 ? true
                                 : is_outlier(value[k], neighbourhood_sums(past->oldest, past->middle, newest, x, k));
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
