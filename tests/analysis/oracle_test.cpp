// The oracle checked: the reference kernels that score synthetic streams (Q1
// saturation_count_reference.h, Q2 outliers_reference, Q3 dbscan_reference; see
// core/challenger/served_dataset.cpp) against the organisers' independent results: the golden
// expected.json files (NumPy + scikit-learn) and dbscan_cases.json (scikit-learn's labels).
#include <doctest/doctest.h>
#include <simdjson.h>

#include <algorithm>
#include <deque>
#include <map>

#include "analysis/dbscan_reference.h"
#include "analysis/outliers_reference.h"
#include "analysis/saturation_count_reference.h"
#include "analysis/tile_result.h"
#include "io/golden_dataset.h"
#include "io/tiff_decoder.h"
#include "tests/test_support.h"

using namespace lpbf;

namespace {

bool scan_ordered(PixelPos a, PixelPos b) { return a.y < b.y || (a.y == b.y && a.x < b.x); }

// Every batch of a golden directory through the reference kernels alone, windows keyed by
// (print_id, tile_id) as SPEC §2 says.
void check_reference_on_golden(const char* name, size_t expected_batches) {
  const GoldenDataset ds = load_golden_dataset(test::golden_dir() / name);
  REQUIRE(ds.manifest.size() == expected_batches);
  REQUIRE(ds.expected.size() == expected_batches);
  std::map<std::pair<std::string, int64_t>, std::deque<Image16>> windows;
  size_t with_clusters = 0, with_saturated = 0;
  for (size_t i = 0; i < ds.manifest.size(); ++i) {
    const ManifestEntry& e = ds.manifest[i];
    DecodedTiff d = decode_tiff(ds.load_batch(i).tif);
    REQUIRE(d.ok());
    TileResult got{e.batch_id, e.print_id, e.tile_id, saturation_count_reference(d.image), {}};
    auto& window = windows[{e.print_id, e.tile_id}];
    window.push_back(std::move(d.image));
    if (window.size() > 3) window.pop_front();
    if (window.size() == 3) {
      std::vector<PixelPos> outliers = find_outliers_reference(window[0], window[1], window[2]);
      std::stable_sort(outliers.begin(), outliers.end(), scan_ordered);
      if (!outliers.empty()) got.centroids = dbscan_reference(outliers).clusters;
    }
    INFO(name << " batch " << e.batch_id);
    CHECK(compare_results(ds.expected[i], got) == "");
    with_clusters += !got.centroids.empty();
    with_saturated += got.saturated > 0;
  }
  CHECK(with_clusters > 0);
  CHECK(with_saturated > 0);
}

}  // namespace

TEST_CASE("oracle: the reference kernels (Q1, Q2, Q3) give golden/small's expected.json, all 20 batches") {
  check_reference_on_golden("small", 20);
}

TEST_CASE("oracle: the reference kernels (Q1, Q2, Q3) give golden/tile500's expected.json, all 16 batches") {
  check_reference_on_golden("tile500", 16);
}

TEST_CASE("oracle: reference DBSCAN gives scikit-learn's labels and centroids on all 400 golden cases") {
  const std::string text = read_file_bytes(test::golden_dir() / "dbscan_cases.json");
  simdjson::dom::parser parser;
  int cases = 0;
  for (simdjson::dom::object cs : parser.parse(text).get_array()) {
    std::vector<PixelPos> pts;
    for (simdjson::dom::array p : cs["points"].get_array())
      pts.push_back({int32_t(int64_t(p.at(0))), int32_t(int64_t(p.at(1)))});
    REQUIRE(std::is_sorted(pts.begin(), pts.end(), scan_ordered));  // the reference's precondition
    std::vector<int> expected_labels;
    for (int64_t l : cs["labels"].get_array()) expected_labels.push_back(int(l));
    TileResult expected, got;
    for (simdjson::dom::object c : cs["centroids"].get_array())
      expected.centroids.push_back({double(c["x"]), double(c["y"]), int64_t(c["count"])});
    const Clustering c = dbscan_reference(pts);
    got.centroids = c.clusters;
    INFO("case " << cases);
    // Literal sklearn on points in scan order numbers clusters as sklearn did: labels equal.
    CHECK(c.labels == expected_labels);
    CHECK(compare_results(expected, got) == "");
    ++cases;
  }
  CHECK(cases == 400);
}

TEST_CASE("oracle: reference Q1 counts pixels strictly above 65000, on any shape") {
  Image16 img(3, 5);
  CHECK(saturation_count_reference(img) == 0);
  img.at(0, 0) = 65000;
  img.at(2, 4) = 65001;
  img.at(1, 3) = 65535;
  img.at(1, 2) = 64999;
  CHECK(saturation_count_reference(img) == 2);
  CHECK(saturation_count_reference(Image16(0, 0)) == 0);
}
