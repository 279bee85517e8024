#pragma once
// Image16 -> TIFF bytes in any layout of SPEC §3. The embedded challenger encodes synthetic tiles
// with it; tests build the inputs the decoder must accept or refuse with it.
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/image.h"

namespace lpbf {

struct TiffLayout {
  std::string name;          // as in a golden manifest's "encoding"
  uint16_t compression = 1;  // COMPRESSION_NONE, _LZW, _ADOBE_DEFLATE, _PACKBITS, ...
  bool tiled = false;
  bool big_endian = false;
  uint32_t block = 0;      // rows per strip, or tile side (a multiple of 16); 0: a default
  uint16_t predictor = 1;  // PREDICTOR_NONE, or PREDICTOR_HORIZONTAL (LZW and Deflate only)
};

// The layouts SPEC §3 lists, named after the golden data's encodings.
const std::vector<TiffLayout>& standard_tiff_layouts();

std::vector<uint8_t> encode_tiff(const Image16& image, const TiffLayout& layout);

// Any sample layout (bits, samples per pixel, SAMPLEFORMAT_*), for inputs the decoder must refuse.
// `data` holds rows * cols * samples values of bits/8 bytes each.
std::vector<uint8_t> encode_tiff_samples(const void* data, uint32_t rows, uint32_t cols, uint16_t bits,
                                         uint16_t samples, uint16_t format, const TiffLayout& layout);

}  // namespace lpbf
