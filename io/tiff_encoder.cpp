#include "io/tiff_encoder.h"

#include <tiffio.h>

#include <algorithm>
#include <stdexcept>

#include "io/memory_tiff.h"

namespace lpbf {

const std::vector<TiffLayout>& standard_tiff_layouts() {
  static const std::vector<TiffLayout> layouts = {
      {"raw", COMPRESSION_NONE, false, false, 0},
      {"tiff_deflate", COMPRESSION_ADOBE_DEFLATE, false, false, 0},
      {"tiff_lzw", COMPRESSION_LZW, false, false, 0},
      {"packbits", COMPRESSION_PACKBITS, false, false, 0},
      {"tf_big_endian", COMPRESSION_NONE, false, true, 0},
      {"tf_tiled_zlib", COMPRESSION_ADOBE_DEFLATE, true, false, 64},
      {"tf_strips_raw", COMPRESSION_NONE, false, false, 16},
  };
  return layouts;
}

std::vector<uint8_t> encode_tiff_samples(const void* data, uint32_t rows, uint32_t cols, uint16_t bits,
                                         uint16_t samples, uint16_t format, const TiffLayout& layout) {
  std::vector<uint8_t> out;
  MemoryStream stream;
  stream.sink = &out;
  TiffHandle tif = open_memory_tiff(stream, layout.big_endian ? "wb" : "wl");
  if (!tif) throw std::runtime_error("cannot open a TIFF writer: " + stream.first_error);
  TIFF* t = tif.get();
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, cols);
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, rows);
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bits);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, samples);
  TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, format);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, samples == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_COMPRESSION, layout.compression);
  if (layout.predictor != PREDICTOR_NONE) TIFFSetField(t, TIFFTAG_PREDICTOR, layout.predictor);
  const size_t pixel_bytes = size_t(bits / 8) * samples;
  const auto* bytes = static_cast<const uint8_t*>(data);
  if (layout.tiled) {
    const uint32_t side = layout.block ? layout.block : 64;
    TIFFSetField(t, TIFFTAG_TILEWIDTH, side);
    TIFFSetField(t, TIFFTAG_TILELENGTH, side);
    std::vector<uint8_t> tile(size_t(side) * side * pixel_bytes);
    for (uint32_t r0 = 0; r0 < rows; r0 += side)
      for (uint32_t c0 = 0; c0 < cols; c0 += side) {
        std::fill(tile.begin(), tile.end(), 0);
        for (uint32_t r = 0; r < std::min(side, rows - r0); ++r)
          std::copy_n(bytes + (size_t(r0 + r) * cols + c0) * pixel_bytes, std::min(side, cols - c0) * pixel_bytes,
                      tile.data() + size_t(r) * side * pixel_bytes);
        if (TIFFWriteTile(t, tile.data(), c0, r0, 0, 0) < 0)
          throw std::runtime_error("TIFF tile write failed: " + stream.first_error);
      }
  } else {
    const uint32_t rps =
        layout.block ? layout.block : std::max<uint32_t>(1, uint32_t(8192 / std::max<size_t>(1, cols * pixel_bytes)));
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, std::min(rps, rows));
    // libtiff byte-swaps the buffer it is given in place for big-endian files: hand it a copy.
    std::vector<uint8_t> strip(size_t(rps) * cols * pixel_bytes);
    for (uint32_t r0 = 0, s = 0; r0 < rows; r0 += rps, ++s) {
      const uint32_t n = std::min(rps, rows - r0);
      const size_t strip_bytes = size_t(n) * cols * pixel_bytes;
      std::copy_n(bytes + size_t(r0) * cols * pixel_bytes, strip_bytes, strip.data());
      if (TIFFWriteEncodedStrip(t, s, strip.data(), tmsize_t(strip_bytes)) < 0)
        throw std::runtime_error("TIFF strip write failed: " + stream.first_error);
    }
  }
  tif.reset();  // flushes the directory
  return out;
}

std::vector<uint8_t> encode_tiff(const Image16& image, const TiffLayout& layout) {
  return encode_tiff_samples(image.pixels.data(), uint32_t(image.rows), uint32_t(image.cols), 16, 1, SAMPLEFORMAT_UINT,
                             layout);
}

}  // namespace lpbf
