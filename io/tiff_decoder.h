#pragma once
// TIFF bytes -> Image16. Accepts what SPEC §3 lists: 16-bit unsigned, one sample per pixel, strips
// or tiles, either byte order, any compression libtiff decodes (none, LZW, Deflate, PackBits, ...).
// Anything else is an error naming what was wrong; never a crash.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "analysis/image.h"

namespace lpbf {

// A decoded image is at most this many pixels (SPEC asks for at least 8192 x 8192).
inline constexpr uint64_t kMaxTiffPixels = uint64_t(1) << 28;

struct DecodedTiff {
  Image16 image;
  std::string error;  // empty on success
  bool ok() const { return error.empty(); }
};

// The common layouts go through io/tiff_fast_decoder.h; anything it declines goes to libtiff.
// `keep_alive`: the bytes' owner, to let an uncompressed image view its pixels where they lie
// instead of copying them (see decode_tiff_fast); the image then keeps the bytes alive.
DecodedTiff decode_tiff(std::span<const uint8_t> bytes, std::shared_ptr<const void> keep_alive = {});

// The name a golden manifest gives a TIFF's layout (its "encoding"), read from the header alone:
// little-endian strips "raw" (uncompressed, one strip), "tf_strips_raw" (uncompressed, several),
// "tiff_deflate", "tiff_lzw", "packbits"; "tf_big_endian" (uncompressed big-endian strips);
// "tf_tiled_zlib" (Deflate tiles, little-endian). A layout the golden data does not use is named
// after what it is: compression ("raw", "deflate", "lzw", "packbits", "compression<N>"), then
// "_tiled", "_big_endian" (e.g. "lzw_tiled_big_endian"). "unreadable" when there is no TIFF header.
std::string tiff_layout_name(std::span<const uint8_t> bytes);

// Width x height as the first image directory of a classic TIFF declares them, read without
// decoding or allocating anything (the memory budget checks a batch with it before its image
// exists); 0 when the header or those tags cannot be read (BigTIFF included: decode_tiff decides).
uint64_t tiff_declared_pixels(std::span<const uint8_t> bytes);

// libtiff alone: the reference the fast path is tested against, and where its errors come from.
DecodedTiff decode_tiff_with_libtiff(std::span<const uint8_t> bytes);

}  // namespace lpbf
