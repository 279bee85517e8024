#pragma once
// Q1, the plain way: SPEC §2 read literally, pixel by pixel in (x, y) order. The oracle that
// scores synthetic streams (core/challenger/served_dataset.cpp); it shares no code with the
// production count (saturation_count.h), only the threshold.
#include <cstdint>

#include "analysis/constants.h"
#include "analysis/image.h"

namespace lpbf {

inline int64_t saturation_count_reference(const Image16& image) {
  int64_t saturated = 0;
  for (int x = 0; x < image.rows; ++x)
    for (int y = 0; y < image.cols; ++y)
      if (image.at(x, y) > kSaturationThreshold) ++saturated;
  return saturated;
}

}  // namespace lpbf
