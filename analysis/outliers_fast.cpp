#include "analysis/outliers_fast.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "analysis/constants.h"

// Vectors are passed between internal (inlined) helpers only: the ABI note of non-AVX builds is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace lpbf {
namespace {

constexpr int kPad = kOuterDistance;  // cones reach 4 rows and columns out

// The sums are taken over p' = v >> kShift (10 bits), in 16-bit lanes, modulo 2^16: the close sum
// C' <= 19 * 1023 and the outer sum O' = E4' - E2' <= 60 * 1023 both fit, so they come out exact
// whatever wrapped on the way. Then d = floor(60 C' / 64) - floor(19 O' / 64) (two mulhi) and,
// with p = 64 p' + r (0 <= r <= 63):
//   T = 4096 d + 64 (the floors' remainders, |..| <= 63) + 60 Rc - 19 Ro (Rc <= 19*63, Ro <= 60*63),
// so |T - 4096 d| <= 64*63 + 60*19*63 = 75852. Hence |d| <= 1651: |T| <= 6838348, never an
// outlier; |d| >= 1689: |T| >= 6842292, always one (given 5000 < v < 65000); in between (a band
// of about +-1% around the threshold, ties included) the pixel's exact sums decide.
constexpr int kShift = 6;
constexpr uint16_t kCloseMulHi = 60 << (16 - kShift);  // mulhi(C', 61440) = floor(60 C' / 64)
constexpr uint16_t kOuterMulHi = 19 << (16 - kShift);  // mulhi(O', 19456) = floor(19 O' / 64)
constexpr int16_t kSurelyNot = 1651;                   // |d| <= this: not an outlier
constexpr int16_t kSurely = 1689;                      // |d| >= this: an outlier
static_assert(kCloseCount * (65535 >> kShift) < 65536 && kOuterCount * (65535 >> kShift) < 65536);
static_assert(int64_t(kSurelyNot) * 4096 + 64 * 63 + 60 * 19 * 63 < kOutlierThresholdScaled);
static_assert(int64_t(kSurely) * 4096 - 64 * 63 - 60 * 19 * 63 > kOutlierThresholdScaled);

// One vector of 16-bit lanes (GCC vector extensions: plain C++ arithmetic, any target). Measured on
// the EPYC (Zen 4): 64-byte vectors were 5-10 % slower than 32-byte ones (an unaligned 64-byte load
// always splits a cache line, and most of the loads here are unaligned).
constexpr int kVectorBytes = 32;
constexpr int kLanes = kVectorBytes / 2;
typedef uint16_t u16v __attribute__((vector_size(kVectorBytes)));
typedef int16_t i16v __attribute__((vector_size(kVectorBytes)));

inline u16v load(const uint16_t* p) {
  u16v v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(uint16_t* p, u16v v) { std::memcpy(p, &v, sizeof v); }
// The high half of each lane's 32-bit product.
inline u16v mulhi(u16v a, uint16_t b) {
#if defined(__AVX2__)
  static_assert(kVectorBytes == 32);
  return u16v(_mm256_mulhi_epu16(__m256i(a), _mm256_set1_epi16(int16_t(b))));
#else
  u16v r;
  for (int i = 0; i < kLanes; ++i) r[i] = uint16_t((uint32_t(a[i]) * b) >> 16);
  return r;
#endif
}

// The tile is processed in vertical strips of kStrip columns so that every row the wavefront keeps
// stays in L1 (whole 500-column rows spilled to L2 and cost more than the arithmetic). Measured
// again with 16-bit sums: 256 columns alike on busy rows, but slower where only part of a row is
// lit (a strip skips a row only if none of its columns can hold an outlier); 512 slower everywhere.
constexpr int kStrip = 128;
static_assert(kStrip % kLanes == 0);
constexpr int kPadded = kStrip + 2 * kPad;
constexpr int kPrefetchRows = 2;  // measured: 2 to 8 alike, 0.68 -> 0.39 ms a window on cold images

// The rows a strip keeps, as rings indexed by padded row number (image row + 4); a row is read at
// most 4 rows after it was written. Gr = the cone's horizontal sums on one row:
//   Gr = Hr[newest] + H(r-1)[middle] + H(r-2)[oldest], with Hk(y) = sum of columns y-k..y+k.
// All of them in p' = v >> kShift, modulo 2^16. Columns at and past the strip's width (up to the
// next whole vector) hold garbage that only ever reaches those columns.
// Padded rows have kSlack more columns: whole-vector loops read past the padded width.
constexpr int kSlack = 2 * kLanes;
struct StripRows {
  alignas(64) uint16_t newest[8][kPadded + kSlack];  // the newest layer's rows, 4 zero columns each side: G0
  alignas(64) uint16_t middle[kPadded + kSlack];     // only the arriving row of the older layers is needed
  alignas(64) uint16_t oldest[kPadded + kSlack];
  alignas(64) uint16_t left[kPadded + kSlack];  // the arriving row's diagonals (see wavefront_step)
  alignas(64) uint16_t right[kPadded + kSlack];
  alignas(64) uint16_t value[8][kStrip];  // the newest layer's rows as they are (v), for 5000 < v < 65000
  alignas(64) uint16_t g1[4][kStrip];
  alignas(64) uint16_t g3[4][kStrip];
  alignas(64) uint16_t g2[8][kStrip];
  alignas(64) uint16_t g4[8][kStrip];
  alignas(64) uint16_t e1[4][kStrip];
  alignas(64) uint16_t e2[4][kStrip];
  alignas(64) uint16_t e3[4][kStrip];
  alignas(64) int16_t candidate[kStrip];  // the output row's d where |d| > kSurelyNot and
                                          // 5000 < v < 65000, else 0 (never a candidate's d)
};

// One step of the wavefront as padded row q (q % 8 == Phase) arrives: its G sums, then E1 of row
// q-1, E2 of q-2, E3 of q-3 and E4 of q-4, each from the next smaller cones:
//   Er(x) = E(r-1)(x-1) + E(r-1)(x+1) - E(r-2)(x) + Gr(x) - G(r-2)(x)
// (the two smaller cones above and below cover Er but its middle row, and overlap in E(r-2);
// E0 = G0, negative radii are empty). Then d and the candidates of row q-4.
// The G sums grow by one column each side and radius, a diagonal of the three layers each:
//   Gk(y) = G(k-1)(y) + L(y-k) + R(y+k), L(y) = n(y) + m(y+1) + o(y+2), R(y) = n(y) + m(y-1) + o(y-2)
// for k = 3, 4, and for k = 2 less the o(y) that L and R both hold (G1 = n(y-1..y+1) + m(y)).
// L and R are made once a row: 11 loads and 10 adds a vector where the sums of each layer took 21
// and 25.
// Phase is a template argument so every ring row is a constant offset from `s`: one base register
// for all of them, where runtime row pointers spilled out of registers.
template <int Phase>
bool wavefront_step(StripRows& s, int width) {
  constexpr int q = Phase;
  const uint16_t* __restrict n = s.newest[q & 7] + kPad;
  const uint16_t* __restrict m = s.middle + kPad;
  const uint16_t* __restrict o = s.oldest + kPad;
  const uint16_t* __restrict g0_2 = s.newest[(q - 2) & 7] + kPad;
  const uint16_t* __restrict value = s.value[(q - 4) & 7];
  uint16_t* __restrict g1 = s.g1[q & 3];
  uint16_t* __restrict g2 = s.g2[q & 7];
  uint16_t* __restrict g3 = s.g3[q & 3];
  uint16_t* __restrict g4 = s.g4[q & 7];
  const uint16_t* __restrict g1_1 = s.g1[(q - 1) & 3];
  const uint16_t* __restrict g1_3 = s.g1[(q - 3) & 3];
  const uint16_t* __restrict g2_2 = s.g2[(q - 2) & 7];
  const uint16_t* __restrict g2_4 = s.g2[(q - 4) & 7];
  const uint16_t* __restrict g3_3 = s.g3[(q - 3) & 3];
  const uint16_t* __restrict g4_4 = s.g4[(q - 4) & 7];
  uint16_t* __restrict e1_1 = s.e1[(q - 1) & 3];
  const uint16_t* __restrict e1_3 = s.e1[(q - 3) & 3];
  uint16_t* __restrict e2_2 = s.e2[(q - 2) & 3];
  const uint16_t* __restrict e2_4 = s.e2[(q - 4) & 3];
  uint16_t* __restrict e3_3 = s.e3[(q - 3) & 3];
  const uint16_t* __restrict e3_5 = s.e3[(q - 5) & 3];
  uint16_t* __restrict candidate = reinterpret_cast<uint16_t*>(s.candidate);
  // The diagonals the strip's columns read: L at -4 .. width - 3, R at 2 .. width + 3 (whole
  // vectors: a little more, never read by a column of the strip).
  uint16_t* __restrict left = s.left + kPad;
  uint16_t* __restrict right = s.right + kPad;
  for (int y = -kPad; y < width - 2; y += kLanes) {
    store(left + y, load(n + y) + load(m + y + 1) + load(o + y + 2));
    const int z = y + 6;  // R from column 2
    store(right + z, load(n + z) + load(m + z - 1) + load(o + z - 2));
  }
  u16v any{};
  for (int y = 0; y < width; y += kLanes) {
    // The cone's horizontal sums, radius by radius.
    const u16v n0 = load(n + y);
    const u16v o0 = load(o + y);
    const u16v h1 = n0 + load(n + y - 1) + load(n + y + 1) + load(m + y);
    const u16v h2 = h1 + load(left + y - 2) + load(right + y + 2) - o0;
    const u16v h3 = h2 + load(left + y - 3) + load(right + y + 3);
    const u16v h4 = h3 + load(left + y - 4) + load(right + y + 4);
    store(g1 + y, h1);
    store(g2 + y, h2);
    store(g3 + y, h3);
    store(g4 + y, h4);
    // The cones, one radius further down each row.
    const u16v v2 = load(g0_2 + y);
    const u16v a1 = v2 + n0 + load(g1_1 + y);
    store(e1_1 + y, a1);
    const u16v e1 = load(e1_3 + y);
    const u16v a2 = e1 + a1 - v2 - v2 + load(g2_2 + y);
    store(e2_2 + y, a2);
    const u16v e2 = load(e2_4 + y);
    const u16v a3 = e2 + a2 - e1 + load(g3_3 + y) - load(g1_3 + y);
    store(e3_3 + y, a3);
    const u16v a4 = load(e3_5 + y) + a3 - e2 + load(g4_4 + y) - load(g2_4 + y);
    // Row q-4's test: d from the close sum E2' and the outer sum E4' - E2'.
    const i16v d = i16v(mulhi(e2, kCloseMulHi) - mulhi(a4 - e2, kOuterMulHi));
    const i16v far = (d > kSurelyNot) | (d < int16_t(-kSurelyNot));
    constexpr uint16_t kLow = kEmptyThreshold + 1, kRange = kSaturationThreshold - kLow;  // v - kLow < kRange
    const i16v in_range = load(value + y) - kLow < kRange;
    const u16v c = u16v(far & in_range & d);
    store(candidate + y, c);
    any |= c;
  }
  uint64_t words[kVectorBytes / 8];
  std::memcpy(words, &any, sizeof words);
  uint64_t all = 0;
  for (uint64_t w : words) all |= w;
  return all != 0;  // the row has a candidate
}

// dst[k] = src[k] >> Shift for k in [0, count): whole vectors, the last one overlapping the one
// before (a scalar loop for fewer than kLanes).
template <int Shift>
void copy_row(const uint16_t* __restrict src, uint16_t* __restrict dst, int count) {
  if (count < kLanes) {
    for (int k = 0; k < count; ++k) dst[k] = uint16_t(src[k] >> Shift);
    return;
  }
  for (int k = 0; k + kLanes < count; k += kLanes) store(dst + k, load(src + k) >> Shift);
  store(dst + count - kLanes, load(src + count - kLanes) >> Shift);
}

// Row `x` of `image` at the strip's columns, as p' = v >> kShift, with zeros outside the image;
// and, if `value` is given, the strip's own columns as they are.
inline void load_row(const Image16& image, int x, int first, int width, uint16_t* padded, uint16_t* value) {
  const int from = first - kPad, to = first + width + kPad;  // image columns wanted: [from, to)
  if (x < 0 || x >= image.rows) {
    std::memset(padded, 0, sizeof(uint16_t) * size_t(to - from));
    return;  // `value` is read only for rows inside the image
  }
  const uint16_t* pixels = &image.pixels[size_t(x) * size_t(image.cols)];
  // The older layers were decoded many batches ago and the strip reads only part of each row:
  // ask for the row kPrefetchRows below now, or the hardware prefetcher leaves us waiting on L3.
  if (x + kPrefetchRows < image.rows) {
    const char* ahead =
        reinterpret_cast<const char*>(pixels + size_t(kPrefetchRows) * size_t(image.cols) + std::max(from, 0));
    for (int b = 0; b < int(sizeof(uint16_t)) * (to - from); b += 64) __builtin_prefetch(ahead + b);
  }
  if (value) copy_row<0>(pixels + first, value, width);
  if (from >= 0 && to <= image.cols) {  // a strip away from the tile's sides: no zeros to add
    copy_row<kShift>(pixels + from, padded, to - from);
    return;
  }
  const int lo = std::max(from, 0), hi = std::min(to, image.cols);  // the part inside the image
  for (int y = from; y < lo; ++y) padded[y - from] = 0;
  copy_row<kShift>(pixels + lo, padded + (lo - from), hi - lo);
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
    bool any = false;
    if (width < kLanes) {
      for (int y = 0; y < width; ++y) any |= uint16_t(row[y] - kLow) < kRange;
    } else {  // whole vectors, the last one overlapping
      i16v in_range{};
      for (int y = 0; y + kLanes < width; y += kLanes) in_range |= load(row + y) - kLow < kRange;
      in_range |= load(row + width - kLanes) - kLow < kRange;
      uint64_t words[kVectorBytes / 8];
      std::memcpy(words, &in_range, sizeof words);
      for (uint64_t w : words) any |= w != 0;
    }
    if (!any) continue;
    needed[size_t(x)] |= kOutput;
    for (int q = x; q <= x + 2 * kPad; ++q) needed[size_t(q)] |= kStep;
  }
}

// A pixel's exact close and outer sums (positions outside count 0). This kernel's own: it shares no
// code with the reference (outliers_reference.h), which is its oracle.
struct ExactSums {
  int64_t close = 0;
  int64_t outer = 0;
};

// Adds layer Dz's part of pixel (x, y)'s close and outer sums, all 25 - 8 Dz positions inside
// the layer: constant offsets from one pointer, unrolled.
template <int Dz>
void add_interior(const Image16& img, int x, int y, ExactSums& sums) {
  constexpr int kReach = kOuterDistance - Dz;
  const uint16_t* centre = &img.pixels[size_t(x) * size_t(img.cols) + size_t(y)];
  const ptrdiff_t stride = img.cols;
  int32_t close = 0, all = 0;
#pragma GCC unroll 16
  for (int i = -kReach; i <= kReach; ++i) {
    const uint16_t* row = centre + i * stride;
    const int reach = kReach - std::abs(i), near = kCloseDistance - Dz - std::abs(i);
#pragma GCC unroll 16
    for (int j = -reach; j <= reach; ++j) {
      all += row[j];
      if (std::abs(j) <= near) close += row[j];
    }
  }
  sums.close += close;
  sums.outer += all - close;
}

// The same near the tile's sides: each row segment clipped to the layer (outside counts 0).
void add_clipped(const Image16& img, int dz, int x, int y, ExactSums& sums) {
  const int reach_x = kOuterDistance - dz;
  for (int i = std::max(-reach_x, -x); i <= reach_x && x + i < img.rows; ++i) {
    const int reach = reach_x - std::abs(i), near = kCloseDistance - dz - std::abs(i);
    for (int j = std::max(-reach, -y); j <= reach && y + j < img.cols; ++j) {
      const int64_t v = img.at(x + i, y + j);
      (std::abs(j) <= near ? sums.close : sums.outer) += v;
    }
  }
}

// Pixel (x, y)'s exact close and outer sums, for the pixels of the band. About 150 instructions
// away from the tile's sides.
ExactSums exact_sums(const Window& w, int x, int y) {
  ExactSums sums;
  if (x >= kOuterDistance && x + kOuterDistance < w.newest.rows && y >= kOuterDistance &&
      y + kOuterDistance < w.newest.cols) {
    add_interior<0>(w.newest, x, y, sums);
    add_interior<1>(w.middle, x, y, sums);
    add_interior<2>(w.oldest, x, y, sums);
    return sums;
  }
  add_clipped(w.newest, 0, x, y, sums);
  add_clipped(w.middle, 1, x, y, sums);
  add_clipped(w.oldest, 2, x, y, sums);
  return sums;
}

// SPEC §2's test on exact sums: T = 60 S_close - 19 S_outer against 6000 * 19 * 60 in integers,
// and a tie (|T| == 6840000) decided by the double expression SPEC §2 names.
bool band_outlier(uint16_t v, const ExactSums& s) {
  if (v <= kEmptyThreshold || v >= kSaturationThreshold) return false;
  const int64_t t = int64_t(kOuterCount) * s.close - int64_t(kCloseCount) * s.outer;
  const int64_t magnitude = t < 0 ? -t : t;
  if (magnitude != kOutlierThresholdScaled) return magnitude > kOutlierThresholdScaled;
  return std::fabs(double(s.close) / kCloseCount - double(s.outer) / kOuterCount) > kOutlierThreshold;
}

// Padded row q arrives (image row q - 4 of each layer): a wavefront step, then the outliers of
// image row q - 8 in the strip's columns [first, first + width).
template <int Phase>
bool strip_step(StripRows& s, const Window& w, int first, int width, const uint8_t* needed, int q,
                std::vector<PixelPos>& outliers) {
  if (q >= w.newest.rows + 2 * kPad) return false;
  if (!(needed[q] & kStep)) return true;
  load_row(w.newest, q - kPad, first, width, s.newest[Phase], s.value[Phase]);
  load_row(w.middle, q - kPad, first, width, s.middle, nullptr);
  load_row(w.oldest, q - kPad, first, width, s.oldest, nullptr);
  const bool has_candidate = wavefront_step<Phase>(s, width);
  const int x = q - 2 * kPad;  // the output row: valid only if all its steps ran, as for kOutput rows
  if (x < 0 || !(needed[x] & kOutput) || !has_candidate) return true;
  // Candidates are rare: skip sixteen non-candidates at a time.
  for (int y = 0; y < width; y += 16) {
    uint64_t words[4];
    std::memcpy(words, s.candidate + y, sizeof words);
    if ((words[0] | words[1] | words[2] | words[3]) == 0) continue;
    for (int k = y; k < y + 16 && k < width; ++k) {
      const int d = s.candidate[k];
      if (d == 0) continue;
      // In the band around the threshold (ties included) the exact sums decide, as SPEC §2 says.
      const int col = first + k;
      if (std::abs(d) >= kSurely || band_outlier(w.newest.at(x, col), exact_sums(w, x, col)))
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
  StripRows strip_rows;  // ~14 KB on the stack: hot in L1, nothing shared between threads
  std::vector<uint8_t> needed;
  for (int first = 0; first < newest.cols; first += kStrip)
    run_strip(strip_rows, w, first, std::min(kStrip, newest.cols - first), needed, outliers,
              std::make_integer_sequence<int, 8>{});
  if (newest.cols > kStrip) sort_by_row(outliers, newest.rows);
  return outliers;
}

}  // namespace lpbf
