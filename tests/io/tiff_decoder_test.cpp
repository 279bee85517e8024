// TIFF decoding (SPEC §3): every accepted layout round-trips; everything else is a clear error.
#include <doctest/doctest.h>
#include <tiffio.h>

#include "io/golden_dataset.h"
#include "io/tiff_decoder.h"
#include "io/tiff_encoder.h"
#include "tests/test_support.h"

using namespace lpbf;

TEST_CASE("TIFF: every standard layout round-trips, odd shapes included") {
  std::mt19937 rng(3);
  const int shapes[][2] = {{1, 1}, {1, 200}, {200, 1}, {7, 13}, {65, 64}, {500, 500}, {129, 300}};
  for (const TiffLayout& layout : standard_tiff_layouts()) {
    for (auto [r, c] : shapes) {
      const Image16 img = test::random_image(r, c, rng);
      const DecodedTiff d = decode_tiff(encode_tiff(img, layout));
      INFO(layout.name << " " << r << "x" << c);
      REQUIRE(d.ok());
      CHECK(d.image.rows == r);
      CHECK(d.image.cols == c);
      CHECK(d.image.pixels == img.pixels);
    }
  }
}

TEST_CASE("TIFF: tiled big-endian LZW and one-row strips decode too") {
  std::mt19937 rng(4);
  const Image16 img = test::random_image(37, 91, rng);
  for (TiffLayout layout : {TiffLayout{"tiled_lzw_be", COMPRESSION_LZW, true, true, 16},
                            TiffLayout{"strips_1row_packbits_be", COMPRESSION_PACKBITS, false, true, 1}}) {
    const DecodedTiff d = decode_tiff(encode_tiff(img, layout));
    INFO(layout.name);
    REQUIRE(d.ok());
    CHECK(d.image.pixels == img.pixels);
  }
}

TEST_CASE("TIFF: every golden file decodes to its manifest's tile") {
  for (const char* name : {"small", "tile500"}) {
    const GoldenDataset ds = load_golden_dataset(test::golden_dir() / name);
    for (size_t i = 0; i < ds.manifest.size(); ++i) {
      const DecodedTiff d = decode_tiff(ds.load_batch(i).tif);
      INFO(name << " " << ds.manifest[i].file << " " << ds.manifest[i].encoding);
      CHECK(d.ok());
      CHECK(d.image.rows == (std::string(name) == "small" ? 96 : 500));
    }
  }
}

TEST_CASE("TIFF: wrong sample layouts are refused with the reason") {
  const TiffLayout raw = standard_tiff_layouts()[0];
  std::vector<uint8_t> bytes8(12 * 10, 7);
  DecodedTiff d = decode_tiff(encode_tiff_samples(bytes8.data(), 12, 10, 8, 1, SAMPLEFORMAT_UINT, raw));
  CHECK(d.error.find("8 bits per sample, need 16") != std::string::npos);

  std::vector<uint16_t> rgb(12 * 10 * 3, 1000);
  d = decode_tiff(encode_tiff_samples(rgb.data(), 12, 10, 16, 3, SAMPLEFORMAT_UINT, raw));
  CHECK(d.error.find("3 samples per pixel") != std::string::npos);

  std::vector<float> floats(12 * 10, 1.5f);
  d = decode_tiff(encode_tiff_samples(floats.data(), 12, 10, 32, 1, SAMPLEFORMAT_IEEEFP, raw));
  CHECK(d.error.find("32 bits per sample") != std::string::npos);

  std::vector<uint16_t> half_floats(12 * 10, 1);
  d = decode_tiff(encode_tiff_samples(half_floats.data(), 12, 10, 16, 1, SAMPLEFORMAT_IEEEFP, raw));
  CHECK(d.error.find("floating-point") != std::string::npos);
  std::vector<int16_t> signed16(12 * 10, -1);
  d = decode_tiff(encode_tiff_samples(signed16.data(), 12, 10, 16, 1, SAMPLEFORMAT_INT, raw));
  CHECK(d.error.find("signed") != std::string::npos);
}

TEST_CASE("TIFF: empty, garbage, truncated and corrupted bytes are errors, never crashes") {
  CHECK_FALSE(decode_tiff({}).ok());
  const std::vector<uint8_t> text = {'n', 'o', 't', ' ', 'a', ' ', 't', 'i', 'f', 'f', '!', '!'};
  const DecodedTiff garbage = decode_tiff(text);
  CHECK(garbage.error.rfind("TIFF ", 0) == 0);

  std::mt19937 rng(5);
  const Image16 img = test::random_image(64, 64, rng);
  for (const TiffLayout& layout : standard_tiff_layouts()) {
    const std::vector<uint8_t> good = encode_tiff(img, layout);
    INFO(layout.name);
    // Every truncation length in steps: header cut, directory cut, data cut.
    for (size_t len = 0; len < good.size(); len += std::max<size_t>(1, good.size() / 97)) {
      const std::vector<uint8_t> cut(good.begin(), good.begin() + long(len));
      const DecodedTiff d = decode_tiff(cut);
      if (d.ok()) {  // a cut that removes only padding or unused bytes may still be whole
        CHECK(d.image.pixels == img.pixels);
      } else {
        CHECK_FALSE(d.error.empty());
      }
    }
    // Random byte flips: any outcome but a crash; a success must have the right shape.
    std::uniform_int_distribution<size_t> pos(0, good.size() - 1);
    for (int k = 0; k < 200; ++k) {
      std::vector<uint8_t> bad = good;
      for (int f = 0; f < 4; ++f) bad[pos(rng)] ^= uint8_t(1 + rng() % 255);
      const DecodedTiff d = decode_tiff(bad);
      if (d.ok()) CHECK(uint64_t(d.image.rows) * uint64_t(d.image.cols) == d.image.pixels.size());
    }
  }
}

TEST_CASE("TIFF layout names: every golden file is named as its manifest names it") {
  for (const char* name : {"small", "tile500"}) {
    const GoldenDataset ds = load_golden_dataset(test::golden_dir() / name);
    for (size_t i = 0; i < ds.manifest.size(); ++i) {
      INFO(name << " " << ds.manifest[i].file);
      CHECK(tiff_layout_name(ds.load_batch(i).tif) == ds.manifest[i].encoding);
    }
  }
}

TEST_CASE("TIFF layout names: a layout the golden data lacks is named after what it is") {
  const Image16 img = test::filled_image(40, 40, 7);
  CHECK(tiff_layout_name(encode_tiff(img, {"", COMPRESSION_LZW, true, true, 16})) == "lzw_tiled_big_endian");
  CHECK(tiff_layout_name(encode_tiff(img, {"", COMPRESSION_PACKBITS, false, true, 8})) == "packbits_big_endian");
  CHECK(tiff_layout_name(encode_tiff(img, {"", COMPRESSION_NONE, true, false, 16})) == "raw_tiled");
  const std::vector<uint8_t> not_a_tiff = {'n', 'o', 't', ' ', 'a', ' ', 'T', 'I', 'F', 'F'};
  CHECK(tiff_layout_name(not_a_tiff) == "unreadable");
  CHECK(tiff_layout_name({}) == "unreadable");
}

TEST_CASE("tiff_declared_pixels: width x height from the header of every layout, 0 for what is not a TIFF") {
  const Image16 image(37, 1000);  // rows 37, cols (width) 1000: above 255, so a SHORT's two bytes matter
  for (const TiffLayout& layout : standard_tiff_layouts()) {
    INFO(layout.name);
    CHECK(tiff_declared_pixels(encode_tiff(image, layout)) == 37u * 1000u);
  }
  const std::vector<uint8_t> bytes = encode_tiff(image, standard_tiff_layouts().front());
  CHECK(tiff_declared_pixels(std::span(bytes).first(7)) == 0);
  CHECK(tiff_declared_pixels(std::span(bytes).first(12)) == 0);  // the directory cut off
  std::vector<uint8_t> garbage(64, 'x');
  CHECK(tiff_declared_pixels(garbage) == 0);
  std::vector<uint8_t> far = bytes;
  far[4] = far[5] = far[6] = far[7] = 0xff;  // a directory offset beyond the file
  CHECK(tiff_declared_pixels(far) == 0);
}
