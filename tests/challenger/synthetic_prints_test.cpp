// SPEC §3: prints interleave. A synthetic stream of three prints that share tile ids, served in
// interleaved order, and what a window keyed by tile_id alone would get wrong on it.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "analysis/analyse_layer.h"
#include "core/challenger/served_dataset.h"
#include "io/msgpack_codec.h"
#include "io/tiff_decoder.h"

using namespace lpbf;

namespace {

// Small enough for 2 cores, large enough for outlier clusters: 3 prints x 5 layers x 4 tiles.
SyntheticSpec three_prints() {
  SyntheticSpec spec;
  spec.layers = 5, spec.grid = 2, spec.tile = 120, spec.prints = 3;
  return spec;
}

struct Served {
  Batch batch;
  Image16 image;
};

std::vector<Served> decode_all(const ServedDataset& ds) {
  std::vector<Served> out;
  for (const auto& bytes : ds.batches) {
    DecodedBatch d = decode_batch(std::span(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
    REQUIRE(d.ok());
    DecodedTiff t = decode_tiff(d.batch.tif);
    REQUIRE(t.ok());
    out.push_back({d.batch, std::move(t.image)});
  }
  return out;
}

}  // namespace

TEST_CASE("synthetic prints: --prints 3 interleaves the prints within each layer, with the same tile ids") {
  const ServedDataset ds = make_synthetic_dataset(three_prints(), "raw");
  REQUIRE(ds.batches.size() == 60);
  const std::vector<Served> batches = decode_all(ds);
  std::map<std::string, std::set<int64_t>> tiles_of;
  std::map<std::string, int64_t> last_layer;
  size_t switches = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    const Batch& b = batches[i].batch;
    tiles_of[b.print_id].insert(b.tile_id);
    // A print's layers never go back; another print comes between two of one print's layers.
    if (last_layer.count(b.print_id)) CHECK(b.layer >= last_layer[b.print_id]);
    last_layer[b.print_id] = b.layer;
    switches += i > 0 && b.print_id != batches[i - 1].batch.print_id;
    if (i > 0) CHECK(b.batch_id > batches[i - 1].batch.batch_id);
  }
  REQUIRE(tiles_of.size() == 3);
  for (const auto& [print, tiles] : tiles_of) CHECK(tiles == tiles_of.begin()->second);
  CHECK(switches >= 3 * 5 - 1);  // at least one switch per (layer, print) block
  // The prints' images differ: their windows are not interchangeable.
  size_t different = 0;
  for (size_t i = 0; i + 4 < batches.size(); ++i)
    if (batches[i].batch.print_id != batches[i + 4].batch.print_id &&
        batches[i].batch.tile_id == batches[i + 4].batch.tile_id)
      different += batches[i].image.pixels != batches[i + 4].image.pixels;
  CHECK(different > 0);
}

TEST_CASE("synthetic prints: windows keyed by (print_id, tile_id) are exact; keyed by tile_id alone they are not") {
  const ServedDataset ds = make_synthetic_dataset(three_prints(), "raw");
  const std::vector<Served> batches = decode_all(ds);
  std::map<std::pair<std::string, int64_t>, TileWindow> by_print_and_tile;
  std::map<int64_t, TileWindow> by_tile_only;
  size_t with_clusters = 0, wrong_by_print_and_tile = 0, wrong_by_tile_only = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    const Batch& b = batches[i].batch;
    const TileResult& expected = ds.expected[i];  // from the reference kernels
    with_clusters += !expected.centroids.empty();
    LayerAnalysis right = analyse_layer(by_print_and_tile[{b.print_id, b.tile_id}], batches[i].image);
    LayerAnalysis keyed_wrong = analyse_layer(by_tile_only[b.tile_id], batches[i].image);
    REQUIRE(right.error.empty());
    REQUIRE(keyed_wrong.error.empty());
    const std::string why =
        compare_results(expected, {b.batch_id, b.print_id, b.tile_id, right.saturated, right.centroids});
    INFO("batch " << b.batch_id << ": " << why);
    CHECK(why.empty());
    wrong_by_print_and_tile += !why.empty();
    wrong_by_tile_only +=
        !compare_results(expected, {b.batch_id, b.print_id, b.tile_id, keyed_wrong.saturated, keyed_wrong.centroids})
             .empty();
  }
  CHECK(with_clusters > 0);
  CHECK(wrong_by_print_and_tile == 0);
  // From the third layer on, a tile_id-only window mixes prints: most of those answers differ.
  MESSAGE("a tile_id-only window gets " << wrong_by_tile_only << " of " << batches.size() << " answers wrong");
  CHECK(wrong_by_tile_only >= 10);
}
