// The whole per-batch analysis through the library API, against the golden expected results.
#include <doctest/doctest.h>

#include <map>

#include "analysis/analyse_layer.h"
#include "analysis/outliers_reference.h"
#include "io/golden_dataset.h"
#include "io/tiff_decoder.h"
#include "tests/test_support.h"

using namespace lpbf;

namespace {

void check_golden(const char* name, size_t expected_batches) {
  const GoldenDataset ds = load_golden_dataset(test::golden_dir() / name);
  REQUIRE(ds.manifest.size() == expected_batches);
  REQUIRE(ds.expected.size() == expected_batches);
  std::map<std::pair<std::string, int64_t>, TileWindow> windows;
  size_t with_clusters = 0;
  for (size_t i = 0; i < ds.manifest.size(); ++i) {
    const ManifestEntry& e = ds.manifest[i];
    DecodedTiff d = decode_tiff(ds.load_batch(i).tif);
    REQUIRE(d.ok());
    LayerAnalysis a = analyse_layer(windows[{e.print_id, e.tile_id}], std::move(d.image));
    REQUIRE(a.error.empty());
    const TileResult got{e.batch_id, e.print_id, e.tile_id, a.saturated, a.centroids};
    INFO(name << " batch " << e.batch_id);
    CHECK(compare_results(ds.expected[i], got) == "");
    with_clusters += !got.centroids.empty();
  }
  CHECK(with_clusters > 0);
}

}  // namespace

TEST_CASE("golden/small: all 20 batches exact through the library API") { check_golden("small", 20); }
TEST_CASE("golden/tile500: all 16 batches exact through the library API") { check_golden("tile500", 16); }

TEST_CASE("window: Q2 only on a full window of three layers") {
  std::mt19937 rng(11);
  TileWindow w;
  for (int layer = 0; layer < 5; ++layer) {
    std::vector<PixelPos> outliers;
    CHECK(w.push(test::random_image(30, 30, rng), outliers) == "");
    CHECK(w.depth() == std::min(layer + 1, 3));
    CHECK(outliers.empty() == (layer < 2));  // random layers have outliers once the window is full
  }
}

TEST_CASE("window: a layer of another shape restarts the window and says why") {
  std::mt19937 rng(12);
  TileWindow w;
  std::vector<PixelPos> outliers;
  w.push(test::random_image(30, 30, rng), outliers);
  w.push(test::random_image(30, 30, rng), outliers);
  const std::string why = w.push(test::random_image(31, 30, rng), outliers);
  CHECK(why.find("31x30") != std::string::npos);
  CHECK(w.depth() == 1);
  CHECK(outliers.empty());
}

TEST_CASE("SPEC §3: a window lacking a layer names it, for as long as the gap is in its range") {
  std::mt19937 rng(14);
  TileWindow w;
  std::vector<PixelPos> outliers;
  using V = std::vector<int64_t>;
  w.push(test::random_image(8, 8, rng), outliers, 0);
  CHECK(w.missing_layers(0) == V{});
  w.push(test::random_image(8, 8, rng), outliers, 1);
  CHECK(w.missing_layers(0) == V{});
  // layer 2 lost in flight
  w.push(test::random_image(8, 8, rng), outliers, 3);
  CHECK(w.missing_layers(0) == V{2});
  w.push(test::random_image(8, 8, rng), outliers, 4);
  CHECK(w.missing_layers(0) == V{2});
  w.push(test::random_image(8, 8, rng), outliers, 5);
  CHECK(w.missing_layers(0) == V{});
  // A tile whose first layer was lost: its print's first layer says so.
  TileWindow late;
  late.push(test::random_image(8, 8, rng), outliers, 1);
  CHECK(late.missing_layers(0) == V{0});
  CHECK(late.missing_layers(late.first_layer()) == V{});
  // Layer numbers from the wire at the edge of int64 do not overflow.
  TileWindow edge;
  edge.push(test::random_image(8, 8, rng), outliers, INT64_MIN + 1);
  CHECK(edge.missing_layers(INT64_MIN) == V{INT64_MIN});
  TileWindow unknown;  // no layer numbers (older callers): nothing to say
  unknown.push(test::random_image(8, 8, rng), outliers);
  CHECK(unknown.missing_layers(0) == V{});
}

TEST_CASE("window: the streaming kernel equals the reference over a long sequence") {
  std::mt19937 rng(13);
  std::vector<Image16> layers;
  TileWindow w;
  for (int i = 0; i < 8; ++i) {
    layers.push_back(test::random_image(41, 23, rng));
    std::vector<PixelPos> outliers;
    w.push(layers.back(), outliers);
    if (i >= 2)
      CHECK(outliers == find_outliers_reference(layers[size_t(i) - 2], layers[size_t(i) - 1], layers[size_t(i)]));
  }
}

TEST_CASE("Q1: saturated counts pixels strictly above 65000") {
  Image16 img(1, 4);
  img.pixels = {65000, 65001, 65535, 0};
  TileWindow w;
  CHECK(analyse_layer(w, img).saturated == 2);
}
