#include "io/tiff_fast_decoder.h"

#include <libdeflate.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "io/tiff_decoder.h"

namespace lpbf {
namespace {

// TIFF tag numbers and values used here (tiff.h's names, without pulling libtiff in).
enum : uint16_t {
  kNewSubfileType = 254,
  kSubfileType = 255,
  kImageWidth = 256,
  kImageLength = 257,
  kBitsPerSample = 258,
  kCompression = 259,
  kPhotometric = 262,
  kFillOrder = 266,
  kDocumentName = 269,
  kImageDescription = 270,
  kMake = 271,
  kModel = 272,
  kStripOffsets = 273,
  kOrientation = 274,
  kSamplesPerPixel = 277,
  kRowsPerStrip = 278,
  kStripByteCounts = 279,
  kXResolution = 282,
  kYResolution = 283,
  kPlanarConfig = 284,
  kPageName = 285,
  kResolutionUnit = 296,
  kPageNumber = 297,
  kSoftware = 305,
  kDateTime = 306,
  kArtist = 315,
  kHostComputer = 316,
  kPredictor = 317,
  kTileWidth = 322,
  kTileLength = 323,
  kTileOffsets = 324,
  kTileByteCounts = 325,
  kSampleFormat = 339,
};
enum : uint32_t { kNone = 1, kAdobeDeflate = 8, kDeflate = 32946, kPackBits = 32773 };

size_t type_size(uint16_t type) {
  switch (type) {
    case 1:
    case 2:
    case 6:
    case 7: return 1;  // BYTE ASCII SBYTE UNDEFINED
    case 3:
    case 8: return 2;  // SHORT SSHORT
    case 4:
    case 9:
    case 11:
    case 13: return 4;  // LONG SLONG FLOAT IFD
    case 5:
    case 10:
    case 12: return 8;  // RATIONAL SRATIONAL DOUBLE
    default: return 0;
  }
}

struct Reader {
  const uint8_t* data;
  uint64_t size;
  bool big_endian;
  uint16_t u16(uint64_t at) const {
    return big_endian ? uint16_t(data[at] << 8 | data[at + 1]) : uint16_t(data[at] | data[at + 1] << 8);
  }
  uint32_t u32(uint64_t at) const {
    uint32_t v;
    std::memcpy(&v, data + at, 4);
    return big_endian ? __builtin_bswap32(v) : v;
  }
};

struct Entry {
  uint16_t type = 0;
  uint32_t count = 0;
  uint64_t at = 0;  // where the values are (inline in the entry or at its offset), checked in bounds
  bool present = false;
};

// The values of an integer entry (SHORT or LONG), or nothing if it has another type.
bool integers(const Reader& r, const Entry& e, std::vector<uint64_t>& out) {
  if (e.type != 3 && e.type != 4) return false;
  out.resize(e.count);
  for (uint32_t i = 0; i < e.count; ++i)
    out[i] = e.type == 3 ? r.u16(e.at + 2 * uint64_t(i)) : r.u32(e.at + 4 * uint64_t(i));
  return true;
}

bool scalar(const Reader& r, const Entry& e, uint32_t& out) {
  if (e.count != 1 || (e.type != 3 && e.type != 4)) return false;
  out = e.type == 3 ? r.u16(e.at) : r.u32(e.at);
  return true;
}

struct DeflateDecompressor {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  ~DeflateDecompressor() { libdeflate_free_decompressor(d); }
};

// Undo the horizontal predictor on `rows` rows of `cols` native-order samples.
void undo_predictor(uint16_t* p, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r, p += cols) {
    uint16_t acc = p[0];
    for (size_t c = 1; c < cols; ++c) p[c] = acc = uint16_t(acc + p[c]);
  }
}

void byteswap16(uint16_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = __builtin_bswap16(p[i]);
}

}  // namespace

bool packbits_decode_tiff(std::span<const uint8_t> in, std::span<uint8_t> out) {
  const uint8_t* bp = in.data();
  size_t cc = in.size(), occ = out.size();
  uint8_t* op = out.data();
  while (cc > 0 && occ > 0) {
    long n = int8_t(*bp++);
    --cc;
    if (n < 0) {
      if (n == -128) continue;  // no-op
      n = -n + 1;
      if (occ < size_t(n)) n = long(occ);  // libtiff cuts a run that overruns the strip
      if (cc == 0) break;
      occ -= size_t(n);
      const uint8_t b = *bp++;
      --cc;
      std::memset(op, b, size_t(n));
      op += n;
    } else {
      if (occ < size_t(n + 1)) n = long(occ) - 1;
      if (cc < size_t(n + 1)) break;
      ++n;
      std::memcpy(op, bp, size_t(n));
      op += n, bp += n;
      occ -= size_t(n), cc -= size_t(n);
    }
  }
  return occ == 0;
}

bool decode_tiff_fast(std::span<const uint8_t> bytes, Image16& out, std::shared_ptr<const void> keep_alive) {
  if (bytes.size() < 8) return false;
  const uint8_t* b = bytes.data();
  Reader r{b, bytes.size(), false};
  if (b[0] == 'I' && b[1] == 'I') r.big_endian = false;
  else if (b[0] == 'M' && b[1] == 'M') r.big_endian = true;
  else return false;
  if (r.u16(2) != 42) return false;  // BigTIFF (43) and anything else: libtiff's
  const uint64_t ifd = r.u32(4);
  if (ifd < 8 || ifd + 2 > r.size) return false;
  const uint32_t n_entries = r.u16(ifd);
  if (n_entries == 0 || ifd + 2 + 12 * uint64_t(n_entries) + 4 > r.size) return false;

  // The directory: every tag known, in ascending order, with its values inside the bytes.
  Entry width_e, length_e, bits_e, compression_e, photometric_e, fill_e, offsets_e, spp_e, rps_e, counts_e, planar_e,
      predictor_e, tile_w_e, tile_l_e, tile_off_e, tile_cnt_e, format_e;
  uint32_t last_tag = 0;
  for (uint32_t i = 0; i < n_entries; ++i) {
    const uint64_t at = ifd + 2 + 12 * uint64_t(i);
    const uint16_t tag = r.u16(at);
    Entry e;
    e.type = r.u16(at + 2);
    e.count = r.u32(at + 4);
    e.present = true;
    if (i > 0 && tag <= last_tag) return false;
    last_tag = tag;
    const size_t ts = type_size(e.type);
    if (ts == 0 || e.count == 0) return false;
    const uint64_t value_bytes = uint64_t(ts) * e.count;
    e.at = value_bytes <= 4 ? at + 8 : r.u32(at + 8);
    if (e.at + value_bytes > r.size) return false;
    switch (tag) {
      case kImageWidth: width_e = e; break;
      case kImageLength: length_e = e; break;
      case kBitsPerSample: bits_e = e; break;
      case kCompression: compression_e = e; break;
      case kPhotometric: photometric_e = e; break;
      case kFillOrder: fill_e = e; break;
      case kStripOffsets: offsets_e = e; break;
      case kSamplesPerPixel: spp_e = e; break;
      case kRowsPerStrip: rps_e = e; break;
      case kStripByteCounts: counts_e = e; break;
      case kPlanarConfig: planar_e = e; break;
      case kPredictor: predictor_e = e; break;
      case kTileWidth: tile_w_e = e; break;
      case kTileLength: tile_l_e = e; break;
      case kTileOffsets: tile_off_e = e; break;
      case kTileByteCounts: tile_cnt_e = e; break;
      case kSampleFormat: format_e = e; break;
      // Tags that do not change the pixels, when they have their usual types.
      case kDocumentName:
      case kImageDescription:
      case kMake:
      case kModel:
      case kPageName:
      case kSoftware:
      case kDateTime:
      case kArtist:
      case kHostComputer:
        if (e.type != 2) return false;
        break;
      case kXResolution:
      case kYResolution:
        if (e.type != 5 || e.count != 1) return false;
        break;
      case kNewSubfileType:
      case kSubfileType:
      case kOrientation:
      case kResolutionUnit:
      case kPageNumber:
        if (e.type != 3 && e.type != 4) return false;
        break;
      default: return false;
    }
  }

  uint32_t width = 0, length = 0, bits = 0, compression = kNone, photometric = 0, fill = 1, spp = 1, planar = 1,
           predictor = 1, format = 1;
  if (!width_e.present || !scalar(r, width_e, width) || !length_e.present || !scalar(r, length_e, length)) return false;
  if (!bits_e.present || !scalar(r, bits_e, bits) || bits != 16) return false;
  if (compression_e.present && !scalar(r, compression_e, compression)) return false;
  if (!photometric_e.present || !scalar(r, photometric_e, photometric) || photometric > 1) return false;
  if (fill_e.present && (!scalar(r, fill_e, fill) || fill != 1)) return false;
  if (spp_e.present && (!scalar(r, spp_e, spp) || spp != 1)) return false;
  if (planar_e.present && (!scalar(r, planar_e, planar) || planar != 1)) return false;
  if (format_e.present && (!scalar(r, format_e, format) || format != 1)) return false;
  if (predictor_e.present && !scalar(r, predictor_e, predictor)) return false;
  const bool deflate = compression == kAdobeDeflate || compression == kDeflate;
  // LZW stays with libtiff: its decoder (4.5) is as fast as one of ours measured (see the header).
  if (compression != kNone && !deflate && compression != kPackBits) return false;
  // libtiff applies a predictor only with the codecs that support one; decline the rest.
  if (predictor != 1 && !(predictor == 2 && deflate)) return false;
  if (width == 0 || length == 0 || uint64_t(width) * length > kMaxTiffPixels) return false;

  const bool tiled = tile_w_e.present || tile_l_e.present || tile_off_e.present || tile_cnt_e.present;
  uint32_t block_w = width, block_h = 0;  // a strip or a tile
  uint64_t blocks = 0;
  const Entry* off_e;
  const Entry* cnt_e;
  if (tiled) {
    if (offsets_e.present || counts_e.present || rps_e.present || !tile_w_e.present || !tile_l_e.present ||
        !tile_off_e.present || !tile_cnt_e.present)
      return false;
    if (!scalar(r, tile_w_e, block_w) || !scalar(r, tile_l_e, block_h)) return false;
    if (block_w == 0 || block_h == 0 || block_w % 16 || block_h % 16 || uint64_t(block_w) * block_h > kMaxTiffPixels)
      return false;
    blocks = uint64_t((width + block_w - 1) / block_w) * ((length + block_h - 1) / block_h);
    off_e = &tile_off_e, cnt_e = &tile_cnt_e;
  } else {
    if (!offsets_e.present || !counts_e.present) return false;
    uint32_t rps = 0xffffffffu;
    if (rps_e.present && !scalar(r, rps_e, rps)) return false;
    if (rps == 0) return false;
    block_h = std::min(rps, length);
    blocks = (uint64_t(length) + block_h - 1) / block_h;
    off_e = &offsets_e, cnt_e = &counts_e;
  }
  if (off_e->count != blocks || cnt_e->count != blocks) return false;
  std::vector<uint64_t> offsets, counts;
  if (!integers(r, *off_e, offsets) || !integers(r, *cnt_e, counts)) return false;
  // libtiff replaces the byte counts of an uncompressed striped file whose first two differ by its own
  // estimate (tif_dirread.c, "Wrong StripByteCounts field"), which can then fail: leave those to it.
  if (!tiled && compression == kNone && blocks > 2 && counts[0] != counts[1]) return false;
  for (uint64_t i = 0; i < blocks; ++i)
    if (counts[i] == 0 || offsets[i] > r.size || counts[i] > r.size - offsets[i]) return false;

  thread_local DeflateDecompressor inflater;  // a libdeflate decompressor is 32 KB: one a thread
  if (deflate && inflater.d == nullptr) return false;

  // Uncompressed little-endian strips lying end to end, at an even address, already are the image's
  // pixels in order: with an owner to keep the bytes alive, the image views them instead of copying.
  if (keep_alive && !tiled && compression == kNone && !r.big_endian && predictor == 1 &&
      reinterpret_cast<uintptr_t>(b + offsets[0]) % alignof(uint16_t) == 0) {
    const uint64_t pixels = uint64_t(width) * length, strip_bytes = uint64_t(block_h) * width * 2;
    bool contiguous = offsets[0] + pixels * 2 <= r.size;
    for (uint64_t s = 0; contiguous && s < blocks; ++s) {
      const uint64_t rows = std::min<uint64_t>(block_h, length - s * block_h);
      contiguous = offsets[s] == offsets[0] + s * strip_bytes && counts[s] >= rows * width * 2;
    }
    if (contiguous) {
      out.rows = int(length), out.cols = int(width);
      out.pixels =
          PixelBuffer::view(std::move(keep_alive), reinterpret_cast<const uint16_t*>(b + offsets[0]), size_t(pixels));
      return true;
    }
  }

  out = Image16::uninitialised(int(length), int(width));
  uint16_t* const img = out.pixels.data();
  // One strip or tile: `need` bytes into dst, then into native order, then the predictor undone.
  auto decode_block = [&](uint64_t i, uint16_t* dst, size_t rows, size_t cols) {
    const size_t need = rows * cols * 2;
    const uint8_t* src = b + offsets[i];
    const size_t have = size_t(counts[i]);
    auto* d8 = reinterpret_cast<uint8_t*>(dst);
    bool ok;
    switch (compression) {
      case kNone:
        ok = have >= need;
        if (ok) std::memcpy(d8, src, need);
        break;
      case kPackBits: ok = packbits_decode_tiff({src, have}, {d8, need}); break;
      default: ok = libdeflate_zlib_decompress(inflater.d, src, have, d8, need, nullptr) == LIBDEFLATE_SUCCESS; break;
    }
    if (!ok) return false;
    if (r.big_endian) byteswap16(dst, rows * cols);
    if (predictor == 2) undo_predictor(dst, rows, cols);
    return true;
  };

  if (!tiled) {
    for (uint64_t s = 0; s < blocks; ++s) {
      const size_t r0 = size_t(s) * block_h, rows = std::min<size_t>(block_h, length - r0);
      if (!decode_block(s, img + r0 * width, rows, width)) return false;
    }
    return true;
  }
  const std::unique_ptr<uint16_t[]> tile(new uint16_t[size_t(block_w) * block_h]);  // every tile overwrites it
  const uint32_t across = (width + block_w - 1) / block_w;
  for (uint64_t t = 0; t < blocks; ++t) {
    const size_t r0 = size_t(t / across) * block_h, c0 = size_t(t % across) * block_w;
    if (!decode_block(t, tile.get(), block_h, block_w)) return false;
    const size_t rows = std::min<size_t>(block_h, length - r0), cols = std::min<size_t>(block_w, width - c0);
    for (size_t y = 0; y < rows; ++y) std::memcpy(img + (r0 + y) * width + c0, tile.get() + y * block_w, cols * 2);
  }
  return true;
}

}  // namespace lpbf
