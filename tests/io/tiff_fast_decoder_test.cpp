// The TIFF fast path (io/tiff_fast_decoder.h): it takes every layout a challenger sends, and
// whatever it decodes is exactly what libtiff decodes; anything else it leaves to libtiff.
#include <doctest/doctest.h>
#include <tiffio.h>

#include <cstring>

#include "io/golden_dataset.h"
#include "io/tiff_decoder.h"
#include "io/tiff_encoder.h"
#include "io/tiff_fast_decoder.h"
#include "tests/test_support.h"

using namespace lpbf;

namespace {

// The contract on one input: decode_tiff equals libtiff alone (same pixels, or the same error),
// and the fast path, when it takes the input, gives libtiff's pixels.
void check_same_as_libtiff(const std::vector<uint8_t>& bytes) {
  const DecodedTiff reference = decode_tiff_with_libtiff(bytes);
  const DecodedTiff d = decode_tiff(bytes);
  REQUIRE_MESSAGE(d.ok() == reference.ok(), d.error, " / ", reference.error);
  if (d.ok()) {
    CHECK(d.image.rows == reference.image.rows);
    CHECK(d.image.cols == reference.image.cols);
    CHECK(d.image.pixels == reference.image.pixels);
  } else {
    CHECK(d.error == reference.error);
  }
  Image16 fast;
  if (decode_tiff_fast(bytes, fast)) {
    REQUIRE(reference.ok());
    CHECK(fast.pixels == reference.image.pixels);
  }
}

// Sensor-like pixels: smooth areas and long runs (long LZW strings, PackBits runs), then noise.
Image16 mixed_image(int rows, int cols, std::mt19937& rng) {
  Image16 img = test::random_image(rows, cols, rng);
  for (int x = 0; x < rows; ++x)
    for (int y = 0; y < cols / 2; ++y) img.at(x, y) = uint16_t(x < rows / 3 ? 20000 : 19000 + (y / 7) * 3);
  return img;
}

std::vector<TiffLayout> layouts_with_predictors() {
  std::vector<TiffLayout> all = standard_tiff_layouts();
  all.push_back({"lzw_predictor", COMPRESSION_LZW, false, false, 0, PREDICTOR_HORIZONTAL});
  all.push_back({"deflate_predictor_be", COMPRESSION_ADOBE_DEFLATE, false, true, 5, PREDICTOR_HORIZONTAL});
  all.push_back({"tiled_lzw_predictor_be", COMPRESSION_LZW, true, true, 32, PREDICTOR_HORIZONTAL});
  all.push_back({"tiled_deflate_predictor_be", COMPRESSION_ADOBE_DEFLATE, true, true, 32, PREDICTOR_HORIZONTAL});
  all.push_back({"tiled_packbits", COMPRESSION_PACKBITS, true, false, 16});
  all.push_back({"tiled_raw_be", COMPRESSION_NONE, true, true, 48});
  all.push_back({"old_deflate", COMPRESSION_DEFLATE, false, false, 3});
  return all;
}

}  // namespace

TEST_CASE("TIFF fast path: every standard layout and predictor, any shape, is exact (LZW left to libtiff)") {
  std::mt19937 rng(11);
  const int shapes[][2] = {{1, 1}, {1, 200}, {200, 1}, {7, 13}, {65, 64}, {129, 300}, {500, 500}};
  for (const TiffLayout& layout : layouts_with_predictors()) {
    for (auto [r, c] : shapes) {
      const Image16 img = mixed_image(r, c, rng);
      const std::vector<uint8_t> bytes = encode_tiff(img, layout);
      INFO(layout.name << " " << r << "x" << c);
      Image16 fast;
      REQUIRE(decode_tiff_fast(bytes, fast) == (layout.compression != COMPRESSION_LZW));
      if (layout.compression != COMPRESSION_LZW) {
        CHECK(fast.rows == r);
        CHECK(fast.cols == c);
        CHECK(fast.pixels == img.pixels);
      }
      CHECK(decode_tiff(bytes).image.pixels == img.pixels);
      check_same_as_libtiff(bytes);
    }
  }
}

TEST_CASE("TIFF fast path: every golden file but LZW is taken and decodes as libtiff does") {
  for (const char* name : {"small", "tile500"}) {
    const GoldenDataset ds = load_golden_dataset(test::golden_dir() / name);
    for (size_t i = 0; i < ds.manifest.size(); ++i) {
      const SharedBytes tif = ds.load_batch(i).tif;
      const std::vector<uint8_t> bytes(tif.begin(), tif.end());
      INFO(name << " " << ds.manifest[i].file << " " << ds.manifest[i].encoding);
      Image16 fast;
      REQUIRE(decode_tiff_fast(bytes, fast) == (ds.manifest[i].encoding != "tiff_lzw"));
      const DecodedTiff reference = decode_tiff_with_libtiff(bytes);
      REQUIRE(reference.ok());
      if (ds.manifest[i].encoding != "tiff_lzw") CHECK(fast.pixels == reference.image.pixels);
    }
  }
}

TEST_CASE("TIFF fast path: cut, flipped and lying bytes give libtiff's answer, never a crash") {
  std::mt19937 rng(12);
  for (const TiffLayout& layout : layouts_with_predictors()) {
    const Image16 img = mixed_image(40, 70, rng);
    const std::vector<uint8_t> good = encode_tiff(img, layout);
    INFO(layout.name);
    for (size_t len = 0; len < good.size(); len += std::max<size_t>(1, good.size() / 61))
      check_same_as_libtiff(std::vector<uint8_t>(good.begin(), good.begin() + long(len)));
    std::uniform_int_distribution<size_t> pos(0, good.size() - 1);
    for (int k = 0; k < 300; ++k) {
      std::vector<uint8_t> bad = good;
      for (int f = 0; f < 1 + k % 4; ++f) bad[pos(rng)] ^= uint8_t(1 + rng() % 255);
      check_same_as_libtiff(bad);
    }
  }
}

TEST_CASE("TIFF fast path: strip offsets past the end, byte counts that lie, absurd sizes") {
  std::mt19937 rng(13);
  const Image16 img = mixed_image(30, 30, rng);
  for (const TiffLayout& layout : standard_tiff_layouts()) {
    const std::vector<uint8_t> good = encode_tiff(img, layout);
    INFO(layout.name);
    // Every 4-byte word of the file set to a large value, to zero and to one more: this hits the
    // offsets, the byte counts, the dimensions and the directory's own fields.
    for (size_t at = 0; at + 4 <= good.size(); at += (at < 16 || at + 400 > good.size()) ? 2 : 97) {
      for (uint32_t v : {0xfffffff0u, 0u, 1u, 0x10000u}) {
        std::vector<uint8_t> bad = good;
        std::memcpy(bad.data() + at, &v, 4);
        check_same_as_libtiff(bad);
      }
    }
  }
}

TEST_CASE("TIFF fast path: PackBits as libtiff reads it: no-ops skipped, overlong runs cut") {
  std::vector<uint8_t> out(5);
  const uint8_t runs[] = {0x80, 0xfe, 7, 0x01, 1, 2};  // no-op; 3 x 7; literal 1 2
  REQUIRE(packbits_decode_tiff(runs, out));
  CHECK(out == std::vector<uint8_t>{7, 7, 7, 1, 2});
  const uint8_t overlong[] = {0xf9, 9};  // 8 x 9 into 5 bytes: cut to 5
  REQUIRE(packbits_decode_tiff(overlong, out));
  CHECK(out == std::vector<uint8_t>{9, 9, 9, 9, 9});
  const uint8_t short_literal[] = {0x04, 1, 2};  // 5 literal bytes announced, 2 present
  CHECK_FALSE(packbits_decode_tiff(short_literal, out));
}

TEST_CASE("TIFF fast path: what it does not know goes to libtiff") {
  std::mt19937 rng(14);
  const Image16 img = test::random_image(20, 20, rng);
  std::vector<uint8_t> bytes = encode_tiff(img, standard_tiff_layouts()[0]);
  Image16 fast;
  REQUIRE(decode_tiff_fast(bytes, fast));
  const std::vector<uint8_t> eight(400, 1);
  CHECK_FALSE(decode_tiff_fast(
      encode_tiff_samples(eight.data(), 20, 20, 8, 1, SAMPLEFORMAT_UINT, standard_tiff_layouts()[0]), fast));
  bytes[2] = 43;  // BigTIFF's version number
  CHECK_FALSE(decode_tiff_fast(bytes, fast));
  check_same_as_libtiff(bytes);
}

TEST_CASE("TIFF fast path: given the bytes' owner, uncompressed little-endian strips are viewed where they lie") {
  std::mt19937 rng(13);
  for (const TiffLayout& layout : layouts_with_predictors()) {
    const Image16 img = mixed_image(129, 300, rng);
    const std::vector<uint8_t> encoded = encode_tiff(img, layout);
    for (size_t shift : {0, 1}) {  // 1: every strip at an odd address, which a uint16_t view cannot take
      auto buffer = std::make_shared<std::vector<uint8_t>>(shift, uint8_t(0));
      buffer->insert(buffer->end(), encoded.begin(), encoded.end());
      const std::span<const uint8_t> bytes(buffer->data() + shift, encoded.size());
      INFO(layout.name << " shifted by " << shift);
      DecodedTiff d = decode_tiff(bytes, buffer);
      REQUIRE(d.ok());
      CHECK(d.image.rows == 129);
      CHECK(d.image.cols == 300);
      CHECK(d.image.pixels == img.pixels);
      const bool viewable = layout.compression == COMPRESSION_NONE && !layout.tiled && !layout.big_endian;
      CHECK(d.image.pixels.is_view() == (viewable && shift == 0));
      if (!d.image.pixels.is_view()) {
        CHECK(buffer.use_count() == 1);  // a copy does not keep the bytes
        continue;
      }
      const Image16& image = d.image;  // read through const: a non-const data() would copy the view
      const auto* p = reinterpret_cast<const uint8_t*>(image.pixels.data());
      CHECK((p >= bytes.data() && p + 129 * 300 * 2 <= bytes.data() + bytes.size()));
      CHECK(d.image.pixels.capacity() == 129u * 300u);

      // A copy of the image views the same pixels; the image outlives every other owner of the bytes.
      const Image16 copy = d.image;
      CHECK(copy.pixels.is_view());
      CHECK(copy.pixels.data() == image.pixels.data());
      CHECK(image.pixels.is_view());
      const std::vector<uint8_t> before = *buffer;
      const size_t at = size_t(p - buffer->data());
      const auto* bytes_left = buffer.get();
      buffer.reset();
      CHECK(image.pixels == img.pixels);

      // Writing to a view copies it first: the bytes (and the other view) never change.
      d.image.at(3, 7) = uint16_t(img.at(3, 7) ^ 1);
      CHECK_FALSE(d.image.pixels.is_view());
      CHECK(copy.pixels == img.pixels);
      CHECK(std::memcmp(bytes_left->data(), before.data(), before.size()) == 0);
      CHECK(std::memcmp(copy.pixels.data(), before.data() + at, 129 * 300 * 2) == 0);
      CHECK(d.image.at(3, 7) != img.at(3, 7));
      CHECK(d.image.at(3, 8) == img.at(3, 8));
    }
  }
  // Without an owner nothing can keep the bytes alive: the image is always a copy.
  const Image16 img = mixed_image(20, 30, rng);
  CHECK_FALSE(decode_tiff(encode_tiff(img, standard_tiff_layouts()[0])).image.pixels.is_view());
}
