#pragma once
// The fast path of decode_tiff (io/tiff_decoder.h), for the layouts a challenger actually sends:
// classic TIFF (either byte order), 16-bit unsigned grey, strips or tiles, uncompressed, Deflate
// (through libdeflate, as libtiff does) or PackBits, horizontal predictor or none. It reads the
// directory and the strip/tile offsets itself and decodes each strip straight into the image.
//
// LZW is left to libtiff: its 4.5 decoder is already tuned, and three decoders of our own (table
// entries holding 16- or 4-byte heads of their strings, codes read at their own bit positions,
// literal and string codes on one path) measured no faster on the synthetic stream (1.46-1.47 ms
// vs 1.49 a 500x500 tile) and 15% slower on the golden tile (1.56 vs 1.34 ms): noisy 16-bit
// pixels make ~1.2 bytes a code, so the cost is per code and libtiff's loop is as short as ours.
//
// Its contract is narrow on purpose: it either produces exactly the pixels libtiff would, or it
// declines (returns false) and decode_tiff hands the bytes to libtiff, its reference twin. It
// declines on anything it does not know for certain: a tag outside its list, BigTIFF, a fill order,
// a strip that does not lie wholly inside the bytes, a code stream with any irregularity. So every
// error message still comes from libtiff, and a corrupt stream costs one extra attempt.
#include <cstdint>
#include <memory>
#include <span>

#include "analysis/image.h"

namespace lpbf {

// True: `out` holds the image. False: not decoded here (out is unspecified); use libtiff.
// `keep_alive`, when set, owns `bytes` and keeps them unchanged while it lives: an uncompressed
// little-endian image whose strips lie end to end at an even address is then not copied, `out`
// views its pixels in `bytes` (and shares `keep_alive`). Without it, `out` has pixels of its own.
bool decode_tiff_fast(std::span<const uint8_t> bytes, Image16& out, std::shared_ptr<const void> keep_alive = {});

// PackBits exactly as libtiff 4.5 decodes it (runs past the end are cut). False: input ran out.
bool packbits_decode_tiff(std::span<const uint8_t> in, std::span<uint8_t> out);

}  // namespace lpbf
