#include "analysis/outliers_fast.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "analysis/constants.h"
#include "analysis/outliers_reference.h"

namespace lpbf {
namespace {

constexpr int kPad = kOuterDistance;  // cones reach 4 rows and columns out
constexpr int32_t kCloseWeight = kCloseCount + kOuterCount;  // 79: T = 60*E2 - 19*(E4 - E2)
constexpr int32_t kOuterWeight = kCloseCount;                // 19

// The tile is processed in vertical strips of kStrip columns so that every row the wavefront keeps
// stays in L1 (whole 500-column rows spilled to L2 and cost more than the arithmetic).
constexpr int kStrip = 128;
constexpr int kPadded = kStrip + 2 * kPad;
constexpr int kPrefetchRows = 2;  // measured: 2 to 8 alike, 0.68 -> 0.39 ms a window on cold images

// The rows a strip keeps, as rings indexed by padded row number (image row + 4); a row is read at
// most 4 rows after it was written. Gr = the cone's horizontal sums on one row:
//   Gr = Hr[newest] + H(r-1)[middle] + H(r-2)[oldest], with Hk(y) = sum of columns y-k..y+k.
struct StripRows {
  alignas(64) int32_t newest[8][kPadded];  // the newest layer's rows as int32, 4 zero columns each side: G0
  alignas(64) int32_t middle[kPadded];     // only the arriving row of the older layers is needed
  alignas(64) int32_t oldest[kPadded];
  alignas(64) int32_t g1[4][kStrip];
  alignas(64) int32_t g3[4][kStrip];
  alignas(64) int32_t g2[8][kStrip];
  alignas(64) int32_t g4[8][kStrip];
  alignas(64) int32_t e1[4][kStrip];
  alignas(64) int32_t e2[4][kStrip];
  alignas(64) int32_t e3[4][kStrip];
  alignas(64) int32_t candidate[kStrip + 16];  // the output row's T where |T| >= threshold and
                                               // 5000 < v < 65000, else 0 (never a candidate's T)
};

// One step of the wavefront as padded row q (q % 8 == Phase) arrives: its G sums, then E1 of row
// q-1, E2 of q-2, E3 of q-3 and E4 of q-4, each from the next smaller cones:
//   Er(x) = E(r-1)(x-1) + E(r-1)(x+1) - E(r-2)(x) + Gr(x) - G(r-2)(x)
// (the two smaller cones above and below cover Er but its middle row, and overlap in E(r-2);
// E0 = G0, negative radii are empty). Then T and the candidates of row q-4.
// Phase is a template argument so every ring row is a constant offset from `s`: one base register
// for all of them, where runtime row pointers spilled out of registers.
template <int Phase>
int32_t wavefront_step(StripRows& s, int width) {
  constexpr int q = Phase;
  const int32_t* __restrict n = s.newest[q & 7] + kPad;
  const int32_t* __restrict m = s.middle + kPad;
  const int32_t* __restrict o = s.oldest + kPad;
  const int32_t* __restrict g0_2 = s.newest[(q - 2) & 7] + kPad;
  const int32_t* __restrict g0_4 = s.newest[(q - 4) & 7] + kPad;
  int32_t* __restrict g1 = s.g1[q & 3];
  int32_t* __restrict g2 = s.g2[q & 7];
  int32_t* __restrict g3 = s.g3[q & 3];
  int32_t* __restrict g4 = s.g4[q & 7];
  const int32_t* __restrict g1_1 = s.g1[(q - 1) & 3];
  const int32_t* __restrict g1_3 = s.g1[(q - 3) & 3];
  const int32_t* __restrict g2_2 = s.g2[(q - 2) & 7];
  const int32_t* __restrict g2_4 = s.g2[(q - 4) & 7];
  const int32_t* __restrict g3_3 = s.g3[(q - 3) & 3];
  const int32_t* __restrict g4_4 = s.g4[(q - 4) & 7];
  int32_t* __restrict e1_1 = s.e1[(q - 1) & 3];
  const int32_t* __restrict e1_3 = s.e1[(q - 3) & 3];
  int32_t* __restrict e2_2 = s.e2[(q - 2) & 3];
  const int32_t* __restrict e2_4 = s.e2[(q - 4) & 3];
  int32_t* __restrict e3_3 = s.e3[(q - 3) & 3];
  const int32_t* __restrict e3_5 = s.e3[(q - 5) & 3];
  int32_t* __restrict candidate = s.candidate;
  int32_t any = 0;
#pragma GCC ivdep
  for (int y = 0; y < width; ++y) {
    // Horizontal sums of each layer, out to the radius its cone needs.
    const int32_t n0 = n[y];
    const int32_t n1 = n0 + n[y - 1] + n[y + 1];
    const int32_t n2 = n1 + n[y - 2] + n[y + 2];
    const int32_t n3 = n2 + n[y - 3] + n[y + 3];
    const int32_t n4 = n3 + n[y - 4] + n[y + 4];
    const int32_t m0 = m[y];
    const int32_t m1 = m0 + m[y - 1] + m[y + 1];
    const int32_t m2 = m1 + m[y - 2] + m[y + 2];
    const int32_t m3 = m2 + m[y - 3] + m[y + 3];
    const int32_t o0 = o[y];
    const int32_t o1 = o0 + o[y - 1] + o[y + 1];
    const int32_t o2 = o1 + o[y - 2] + o[y + 2];
    g1[y] = n1 + m0;
    g2[y] = n2 + m1 + o0;
    g3[y] = n3 + m2 + o1;
    g4[y] = n4 + m3 + o2;
    // The cones, one radius further down each row.
    const int32_t v2 = g0_2[y];
    const int32_t a1 = v2 + n0 + g1_1[y];
    e1_1[y] = a1;
    const int32_t a2 = e1_3[y] + a1 - 2 * v2 + g2_2[y];
    e2_2[y] = a2;
    const int32_t a3 = e2_4[y] + a2 - e1_3[y] + g3_3[y] - g1_3[y];
    e3_3[y] = a3;
    const int32_t a4 = e3_5[y] + a3 - e2_4[y] + g4_4[y] - g2_4[y];
    // Row q-4's test.
    const int32_t t = kCloseWeight * e2_4[y] - kOuterWeight * a4;
    const int32_t v = g0_4[y];
    // One int32 lane type throughout: a byte-wide output made GCC process 64 pixels per
    // iteration and spill registers.
    const bool is_candidate = (t >= kOutlierThresholdScaled || t <= -kOutlierThresholdScaled) &&
                              v > kEmptyThreshold && v < kSaturationThreshold;
    candidate[y] = is_candidate ? t : 0;
    any |= candidate[y];
  }
  return any;  // non-zero: the row has a candidate
}

// Row `x` of `image` at the strip's columns, as int32, with zeros outside the image.
void load_row(const Image16& image, int x, int first, int width, int32_t* padded) {
  const int from = first - kPad, to = first + width + kPad;  // image columns wanted: [from, to)
  if (x < 0 || x >= image.rows) {
    std::memset(padded, 0, sizeof(int32_t) * size_t(to - from));
    return;
  }
  const uint16_t* pixels = &image.pixels[size_t(x) * size_t(image.cols)];
  // The older layers were decoded many batches ago and the strip reads only part of each row:
  // ask for the row kPrefetchRows below now, or the hardware prefetcher leaves us waiting on L3.
  if (x + kPrefetchRows < image.rows) {
    const char* ahead = reinterpret_cast<const char*>(pixels + size_t(kPrefetchRows) * size_t(image.cols) +
                                                      std::max(from, 0));
    for (int b = 0; b < int(sizeof(uint16_t)) * (to - from); b += 64) __builtin_prefetch(ahead + b);
  }
  if (from >= 0 && to <= image.cols) {  // inside the image: a plain widening copy
    for (int y = from; y < to; ++y) padded[y - from] = pixels[y];
    return;
  }
  const int lo = std::max(from, 0), hi = std::min(to, image.cols);
  for (int y = from; y < lo; ++y) padded[y - from] = 0;
  for (int y = lo; y < hi; ++y) padded[y - from] = pixels[y];
  for (int y = hi; y < to; ++y) padded[y - from] = 0;
}

struct Window {
  const Image16& oldest;
  const Image16& middle;
  const Image16& newest;
};

// What the strip needs, per padded row q (rows + 8 of them): kStep, run wavefront step q; kOutput,
// image row q may hold an outlier (a newest pixel with 5000 < v < 65000). Image row x comes out of
// step x + 8 and depends on steps x .. x + 8 alone: stale ring rows from before feed only rows
// above it. So an output row needs its 9 steps, and dark powder bed needs none.
constexpr uint8_t kStep = 1, kOutput = 2;
void mark_needed(const Image16& newest, int first, int width, std::vector<uint8_t>& needed) {
  needed.assign(size_t(newest.rows) + 2 * kPad, 0);
  constexpr uint16_t kLow = kEmptyThreshold + 1, kRange = kSaturationThreshold - kLow;  // v - kLow < kRange
  for (int x = 0; x < newest.rows; ++x) {
    const uint16_t* row = &newest.pixels[size_t(x) * size_t(newest.cols) + size_t(first)];
    uint16_t any = 0;
    for (int y = 0; y < width; ++y) any |= uint16_t(uint16_t(row[y] - kLow) < kRange);
    if (!any) continue;
    needed[size_t(x)] |= kOutput;
    for (int q = x; q <= x + 2 * kPad; ++q) needed[size_t(q)] |= kStep;
  }
}

// Padded row q arrives (image row q - 4 of each layer): a wavefront step, then the outliers of
// image row q - 8 in the strip's columns [first, first + width).
template <int Phase>
bool strip_step(StripRows& s, const Window& w, int first, int width, const uint8_t* needed, int q,
                std::vector<PixelPos>& outliers) {
  if (q >= w.newest.rows + 2 * kPad) return false;
  if (!(needed[q] & kStep)) return true;
  load_row(w.newest, q - kPad, first, width, s.newest[Phase]);
  load_row(w.middle, q - kPad, first, width, s.middle);
  load_row(w.oldest, q - kPad, first, width, s.oldest);
  const bool has_candidate = wavefront_step<Phase>(s, width) != 0;
  const int x = q - 2 * kPad;  // the output row: valid only if all its steps ran, as for kOutput rows
  if (x < 0 || !(needed[x] & kOutput) || !has_candidate) return true;
  // Outliers are rare: skip sixteen non-candidates at a time.
  for (int y = 0; y < width; y += 16) {
    int32_t any = 0;
    for (int k = 0; k < 16; ++k) any |= s.candidate[y + k];
    if (any == 0) continue;
    for (int k = y; k < y + 16 && k < width; ++k) {
      if (s.candidate[k] == 0) continue;
      // |T| == threshold exactly: SPEC §2 decides in doubles, from the exact sums.
      const int col = first + k;
      if (std::abs(s.candidate[k]) > kOutlierThresholdScaled ||
          is_outlier(w.newest.at(x, col), neighbourhood_sums(w.oldest, w.middle, w.newest, x, col)))
        outliers.push_back({x, col});
    }
  }
  return true;
}

template <int... Phase>
void run_strip(StripRows& s, const Window& w, int first, int width, std::vector<uint8_t>& needed,
               std::vector<PixelPos>& outliers, std::integer_sequence<int, Phase...>) {
  mark_needed(w.newest, first, width, needed);
  std::memset(&s, 0, sizeof s);  // rows above the image: their sums are zero
  for (int q0 = 0;; q0 += 8)
    if (!(strip_step<Phase>(s, w, first, width, needed.data(), q0 + Phase, outliers) && ...)) return;
}

// Strips append their outliers strip by strip; a stable counting sort by row restores row-major order.
void sort_by_row(std::vector<PixelPos>& outliers, int rows) {
  if (outliers.size() < 2) return;
  std::vector<uint32_t> start(size_t(rows) + 1, 0);
  for (const PixelPos& p : outliers) ++start[size_t(p.x) + 1];
  for (int x = 0; x < rows; ++x) start[size_t(x) + 1] += start[size_t(x)];
  std::vector<PixelPos> sorted(outliers.size());
  for (const PixelPos& p : outliers) sorted[start[size_t(p.x)]++] = p;
  outliers.swap(sorted);
}

}  // namespace

std::vector<PixelPos> find_outliers_fast(const Image16& oldest, const Image16& middle, const Image16& newest) {
  std::vector<PixelPos> outliers;
  const Window w{oldest, middle, newest};
  StripRows strip_rows;  // ~25 KB on the stack: hot in L1, nothing shared between threads
  std::vector<uint8_t> needed;
  for (int first = 0; first < newest.cols; first += kStrip)
    run_strip(strip_rows, w, first, std::min(kStrip, newest.cols - first), needed, outliers,
              std::make_integer_sequence<int, 8>{});
  if (newest.cols > kStrip) sort_by_row(outliers, newest.rows);
  return outliers;
}

}  // namespace lpbf
