#pragma once
// A deterministic, realistic-looking optical-tomography stream for the embedded challenger:
// powder bed noise, printed parts with bright contours and hatch stripes whose angle turns every
// layer, saturated spatter, and hot and cold defects that span a few layers (so that real
// outlier clusters appear). Same spec and seed, same pixels, on any machine (no std:: RNGs).
#include <cstdint>
#include <string>

#include "analysis/image.h"

namespace lpbf {

// Keys the on-disk dataset cache (core/challenger/dataset_cache.h): bump it whenever the pixels, the TIFF
// encoding or the reference kernels that score the stream change. 2: Q1 and Q3 expectations from the
// reference kernels too (1 scored them with the production saturation_count and grid dbscan).
inline constexpr int kSyntheticStreamVersion = 2;

struct SyntheticSpec {
  int layers = 12;
  int grid = 4;    // tiles per side: grid * grid tiles per layer
  int tile = 500;  // tile side in pixels
  int prints = 1;
  uint64_t seed = 1;
  std::string describe() const;
};

// One tile of one layer of one print. tile_id is row-major in the grid.
Image16 synthetic_tile(const SyntheticSpec& spec, int print, int layer, int tile_id);

}  // namespace lpbf
