#include "io/tiff_decoder.h"

#include <algorithm>
#include <cstring>

#include "io/memory_tiff.h"
#include "io/tiff_fast_decoder.h"

namespace lpbf {
namespace {

DecodedTiff failure(std::string why, const MemoryStream& s) {
  if (!s.first_error.empty()) why += " (libtiff: " + s.first_error + ")";
  return {Image16{}, "TIFF " + why};
}

template <class T>
T field_or(TIFF* tif, ttag_t tag, T fallback) {
  T value = fallback;
  if (TIFFGetFieldDefaulted(tif, tag, &value) != 1) return fallback;
  return value;
}

}  // namespace

DecodedTiff decode_tiff(std::span<const uint8_t> bytes, std::shared_ptr<const void> keep_alive) {
  DecodedTiff fast;
  if (decode_tiff_fast(bytes, fast.image, std::move(keep_alive))) return fast;
  return decode_tiff_with_libtiff(bytes);
}

DecodedTiff decode_tiff_with_libtiff(std::span<const uint8_t> bytes) {
  MemoryStream stream;
  stream.data = bytes.data();
  stream.size = bytes.size();
  if (bytes.size() < 8)
    return failure("is " + std::to_string(bytes.size()) + " bytes long, too short for a header", stream);
  TiffHandle tif = open_memory_tiff(stream, "r");
  if (!tif) return failure("header is not readable", stream);
  TIFF* t = tif.get();

  uint32_t width = 0, length = 0;
  if (TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &width) != 1 || TIFFGetField(t, TIFFTAG_IMAGELENGTH, &length) != 1)
    return failure("has no image width or length", stream);
  const uint16_t bits = field_or<uint16_t>(t, TIFFTAG_BITSPERSAMPLE, 1);
  const uint16_t samples = field_or<uint16_t>(t, TIFFTAG_SAMPLESPERPIXEL, 1);
  const uint16_t format = field_or<uint16_t>(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
  if (bits != 16) return failure("has " + std::to_string(bits) + " bits per sample, need 16", stream);
  if (samples != 1) return failure("has " + std::to_string(samples) + " samples per pixel, need 1 (grey)", stream);
  if (format != SAMPLEFORMAT_UINT)
    return failure(std::string("has ") +
                       (format == SAMPLEFORMAT_IEEEFP ? "floating-point"
                        : format == SAMPLEFORMAT_INT  ? "signed"
                                                      : "unknown-format") +
                       " samples, need unsigned integers",
                   stream);
  if (width == 0 || length == 0)
    return failure("is empty (" + std::to_string(length) + "x" + std::to_string(width) + ")", stream);
  if (uint64_t(width) * length > kMaxTiffPixels)
    return failure("is " + std::to_string(length) + "x" + std::to_string(width) + " pixels, over the limit of " +
                       std::to_string(kMaxTiffPixels),
                   stream);
  const uint16_t compression = field_or<uint16_t>(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
  if (!TIFFIsCODECConfigured(compression)) return failure("uses a compression this libtiff cannot decode", stream);

  DecodedTiff out;
  // Zeroed for Deflate: libtiff accepts a Deflate strip that holds more than its rows and may then
  // leave the last bytes unwritten; those must not be whatever the allocator had. Every other
  // codec either fills its strip or fails it.
  const bool deflate = compression == COMPRESSION_ADOBE_DEFLATE || compression == COMPRESSION_DEFLATE;
  out.image = deflate ? Image16(int(length), int(width)) : Image16::uninitialised(int(length), int(width));
  uint16_t* dst = out.image.pixels.data();
  const size_t row_bytes = size_t(width) * 2;

  if (TIFFIsTiled(t)) {
    uint32_t tw = 0, tl = 0;
    if (TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw) != 1 || TIFFGetField(t, TIFFTAG_TILELENGTH, &tl) != 1 || tw == 0 ||
        tl == 0)
      return failure("is tiled but has no tile size", stream);
    // The tile's size comes from the input: bounded like the image's, before anything is allocated
    // for it (fuzzing found a 65536x... tile asking for 256 GB).
    if (uint64_t(tw) * tl > kMaxTiffPixels)
      return failure("has " + std::to_string(tl) + "x" + std::to_string(tw) + " pixel tiles, over the limit of " +
                         std::to_string(kMaxTiffPixels),
                     stream);
    const tmsize_t tile_bytes = TIFFTileSize(t);
    if (tile_bytes <= 0 || uint64_t(tile_bytes) < uint64_t(tw) * tl * 2)
      return failure("has an invalid tile size", stream);
    std::vector<uint16_t> tile(size_t(tile_bytes) / 2 + 1);
    for (uint32_t r0 = 0; r0 < length; r0 += tl) {
      for (uint32_t c0 = 0; c0 < width; c0 += tw) {
        const uint32_t index = TIFFComputeTile(t, c0, r0, 0, 0);
        if (TIFFReadEncodedTile(t, index, tile.data(), tile_bytes) != tile_bytes)
          return failure("tile " + std::to_string(index) + " is truncated or corrupt", stream);
        const uint32_t rows = std::min(tl, length - r0), cols = std::min(tw, width - c0);
        for (uint32_t r = 0; r < rows; ++r)
          std::memcpy(dst + size_t(r0 + r) * width + c0, tile.data() + size_t(r) * tw, size_t(cols) * 2);
      }
    }
  } else {
    uint32_t rows_per_strip = field_or<uint32_t>(t, TIFFTAG_ROWSPERSTRIP, length);
    rows_per_strip = std::clamp<uint32_t>(rows_per_strip, 1, length);
    const uint32_t strips = TIFFNumberOfStrips(t);
    if (uint64_t(strips) * rows_per_strip < length) return failure("has too few strips for its length", stream);
    for (uint32_t s = 0; s < strips; ++s) {
      const uint32_t r0 = s * rows_per_strip;
      if (r0 >= length) break;
      const uint32_t rows = std::min(rows_per_strip, length - r0);
      const tmsize_t want = tmsize_t(rows) * tmsize_t(row_bytes);
      if (TIFFReadEncodedStrip(t, s, dst + size_t(r0) * width, want) != want)
        return failure("strip " + std::to_string(s) + " is truncated or corrupt", stream);
    }
  }
  return out;
}

std::string tiff_layout_name(std::span<const uint8_t> bytes) {
  MemoryStream stream;
  stream.data = bytes.data();
  stream.size = bytes.size();
  if (bytes.size() < 8) return "unreadable";
  TiffHandle tif = open_memory_tiff(stream, "rc");  // c: the file's own strips, not libtiff's chopped ones
  if (!tif) return "unreadable";
  TIFF* t = tif.get();
  const bool big_endian = bytes[0] == 'M';
  const bool tiled = TIFFIsTiled(t) != 0;
  const uint16_t compression = field_or<uint16_t>(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
  const bool deflate = compression == COMPRESSION_ADOBE_DEFLATE || compression == COMPRESSION_DEFLATE;
  if (!tiled && !big_endian) {
    if (compression == COMPRESSION_NONE) return TIFFNumberOfStrips(t) <= 1 ? "raw" : "tf_strips_raw";
    if (deflate) return "tiff_deflate";
    if (compression == COMPRESSION_LZW) return "tiff_lzw";
    if (compression == COMPRESSION_PACKBITS) return "packbits";
  }
  if (!tiled && big_endian && compression == COMPRESSION_NONE) return "tf_big_endian";
  if (tiled && !big_endian && deflate) return "tf_tiled_zlib";
  std::string name = compression == COMPRESSION_NONE       ? "raw"
                     : deflate                             ? "deflate"
                     : compression == COMPRESSION_LZW      ? "lzw"
                     : compression == COMPRESSION_PACKBITS ? "packbits"
                                                           : "compression" + std::to_string(compression);
  if (tiled) name += "_tiled";
  if (big_endian) name += "_big_endian";
  return name;
}

uint64_t tiff_declared_pixels(std::span<const uint8_t> b) {
  if (b.size() < 8) return 0;
  const bool little = b[0] == 'I' && b[1] == 'I';
  if (!little && !(b[0] == 'M' && b[1] == 'M')) return 0;
  auto u16 = [&](size_t at) -> uint32_t { return little ? b[at] | b[at + 1] << 8 : b[at] << 8 | b[at + 1]; };
  auto u32 = [&](size_t at) -> uint64_t {
    return little ? uint64_t(u16(at)) | uint64_t(u16(at + 2)) << 16 : uint64_t(u16(at)) << 16 | u16(at + 2);
  };
  if (u16(2) != 42) return 0;
  const uint64_t ifd = u32(4);
  if (ifd > b.size() - 2) return 0;
  const uint64_t entries = u16(size_t(ifd));
  if (ifd + 2 + entries * 12 > b.size()) return 0;
  uint64_t width = 0, length = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    const size_t e = size_t(ifd + 2 + i * 12);
    const uint32_t tag = u16(e), type = u16(e + 2);
    if (tag != TIFFTAG_IMAGEWIDTH && tag != TIFFTAG_IMAGELENGTH) continue;
    const uint64_t value = type == TIFF_SHORT ? u16(e + 8) : type == TIFF_LONG ? u32(e + 8) : 0;
    (tag == TIFFTAG_IMAGEWIDTH ? width : length) = value;
  }
  return width * length;
}

}  // namespace lpbf
