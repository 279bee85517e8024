#pragma once
// The challenge's constants (SPEC.md §2), in one place, with their meaning.
#include <cstdint>

namespace lpbf {

// A pixel at or below this value is empty powder bed: never an outlier.
inline constexpr uint16_t kEmptyThreshold = 5000;
// A pixel above this value is saturated (Q1) and never an outlier.
inline constexpr uint16_t kSaturationThreshold = 65000;
// A window holds this many layers of one tile; Q2 runs only on a full window.
inline constexpr int kWindowDepth = 3;
// Close neighbours: |i|+|j|+dz <= kCloseDistance; outer: up to 2 * kCloseDistance.
inline constexpr int kCloseDistance = 2;
inline constexpr int kOuterDistance = 2 * kCloseDistance;
// Number of close (19) and outer (60) positions, zero-valued positions outside the tile included.
inline constexpr int kCloseCount = 19;
inline constexpr int kOuterCount = 60;
// A pixel is an outlier when |close_mean - outer_mean| exceeds this.
inline constexpr double kOutlierThreshold = 6000.0;
// The same threshold on the integer 60*S_close - 19*S_outer (6000 * 19 * 60).
inline constexpr int32_t kOutlierThresholdScaled = 6000 * kCloseCount * kOuterCount;
// DBSCAN: neighbours within Euclidean distance kEps (inclusive); core at kMinSamples, self included.
inline constexpr int kEps = 20;
inline constexpr int kEpsSquared = kEps * kEps;
inline constexpr int kMinSamples = 5;

}  // namespace lpbf
