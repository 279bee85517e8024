#pragma once
// Q1: pixels of one image brighter than the saturation threshold.
#include "analysis/constants.h"
#include "analysis/image.h"

namespace lpbf {

inline int64_t saturation_count(const Image16& image) {
  int64_t count = 0;
  for (uint16_t v : image.pixels) count += v > kSaturationThreshold;  // vectorises
  return count;
}

}  // namespace lpbf
