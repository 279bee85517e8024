// Q3 (SPEC §2): DBSCAN against scikit-learn's labels for the 400 golden cases, plus the rules.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "analysis/dbscan.h"
#include "analysis/dbscan_reference.h"
#include "analysis/tile_result.h"
#include "io/golden_dataset.h"
#include "tests/test_support.h"

using namespace lpbf;

TEST_CASE("Q3: neighbours are within distance 20 inclusive, the point itself counts toward 5") {
  // Five points on a line 5 apart: each has all five within 20 -> one cluster of 5.
  std::vector<PixelPos> line = {{0, 0}, {0, 5}, {0, 10}, {0, 15}, {0, 20}};
  Clustering c = dbscan(line);
  REQUIRE(c.clusters.size() == 1);
  CHECK(c.clusters[0].count == 5);
  CHECK(c.clusters[0].y == doctest::Approx(10));
  // Four points: nobody reaches 5 neighbours -> all noise.
  line.pop_back();
  c = dbscan(line);
  CHECK(c.clusters.empty());
  CHECK(c.labels == std::vector<int>{-1, -1, -1, -1});
  // Distance exactly 20 (12, 16) is a neighbour; 20.02 is not.
  c = dbscan({{0, 0}, {0, 1}, {1, 0}, {1, 1}, {12, 16}});
  CHECK(c.clusters.size() == 1);
  CHECK(c.clusters[0].count == 5);
}

TEST_CASE("Q3: a border point next to two clusters joins the one numbered first in scan order") {
  // Cores of A on column y = 0, cores of B on y = 40; (0, 20) is exactly 20 from (0, 0) and from
  // (0, 40) and has only 3 neighbours itself: a border point of both.
  std::vector<PixelPos> pts;
  for (int i = 0; i < 5; ++i) pts.push_back({i, 0});   // A: cores, first in scan order (y = 0)
  for (int i = 0; i < 5; ++i) pts.push_back({i, 40});  // B: cores
  pts.push_back({0, 20});                              // 20 from (0,0) and (0,40): border of both
  const Clustering c = dbscan(pts);
  REQUIRE(c.clusters.size() == 2);
  CHECK(c.labels[10] == c.labels[0]);  // joins A, whose first core comes first in (y, x) order
  CHECK(c.clusters[size_t(c.labels[0])].count == 6);
  CHECK(c.clusters[size_t(c.labels[5])].count == 5);
}

TEST_CASE("Q3: all 400 golden cases give scikit-learn's clusters") {
  const std::string text = read_file_bytes(test::golden_dir() / "dbscan_cases.json");
  simdjson::dom::parser parser;
  int cases = 0, contested_cases = 0, contested_points = 0;
  for (simdjson::dom::object cs : parser.parse(text).get_array()) {
    std::vector<PixelPos> pts;
    for (simdjson::dom::array p : cs["points"].get_array())
      pts.push_back({int32_t(int64_t(p.at(0))), int32_t(int64_t(p.at(1)))});
    std::vector<int> expected_labels;
    for (int64_t l : cs["labels"].get_array()) expected_labels.push_back(int(l));
    TileResult expected, got;
    for (simdjson::dom::object c : cs["centroids"].get_array())
      expected.centroids.push_back({double(c["x"]), double(c["y"]), int64_t(c["count"])});

    const Clustering c = dbscan(pts);
    got.centroids = c.clusters;
    INFO("case " << cases);
    // Labels equal up to renumbering: a bijection between the two numberings, noise fixed.
    std::map<int, int> ours_to_theirs, theirs_to_ours;
    bool same = c.labels.size() == expected_labels.size();
    for (size_t i = 0; same && i < pts.size(); ++i) {
      const int a = c.labels[i], b = expected_labels[i];
      if ((a < 0) != (b < 0)) same = false;
      else if (a >= 0) {
        auto [it1, new1] = ours_to_theirs.emplace(a, b);
        auto [it2, new2] = theirs_to_ours.emplace(b, a);
        same = it1->second == b && it2->second == a;
      }
    }
    CHECK(same);
    CHECK(compare_results(expected, got) == "");

    // A contested border point: a non-core point within eps of cores of two clusters.
    std::vector<int> neighbours(pts.size(), 0);
    for (size_t i = 0; i < pts.size(); ++i)
      for (size_t j = 0; j < pts.size(); ++j) {
        const int64_t dx = pts[i].x - pts[j].x, dy = pts[i].y - pts[j].y;
        neighbours[i] += dx * dx + dy * dy <= 400;
      }
    int contested_here = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
      if (neighbours[i] >= 5 || expected_labels[i] < 0) continue;
      std::set<int> near;
      for (size_t j = 0; j < pts.size(); ++j) {
        const int64_t dx = pts[i].x - pts[j].x, dy = pts[i].y - pts[j].y;
        if (neighbours[j] >= 5 && dx * dx + dy * dy <= 400) near.insert(expected_labels[j]);
      }
      contested_here += near.size() > 1;
    }
    contested_points += contested_here;
    contested_cases += contested_here > 0;
    ++cases;
  }
  CHECK(cases == 400);
  // The tie rule is exercised: 32 contested border points, spread over 20 cases.
  CHECK(contested_points == 32);
  CHECK(contested_cases == 20);
}

TEST_CASE("Q3: grid DBSCAN equals the literal sklearn algorithm on random and clumped point sets") {
  std::mt19937 rng(31);
  for (int round = 0; round < 300; ++round) {
    const int side = 30 + int(rng() % 200), count = 1 + int(rng() % 400);
    std::uniform_int_distribution<int> pos(0, side);
    std::set<std::pair<int, int>> unique;  // outliers are distinct pixels
    while (int(unique.size()) < std::min(count, (side + 1) * (side + 1))) unique.insert({pos(rng), pos(rng)});
    std::vector<PixelPos> pts;
    for (auto [x, y] : unique) pts.push_back({x, y});
    std::sort(pts.begin(), pts.end(), scan_order_less);
    // Input order is free: numbering follows scan order (the reference, literal sklearn, follows
    // input order, so it gets the points in scan order). A third of the rounds give the fast one
    // shuffled input, a third also spread a million pixels apart (scan order by comparison sort).
    if (round % 3 == 2) {
      for (size_t i = 0; i < pts.size(); i += 2) pts[i].x += 1000000;
      std::sort(pts.begin(), pts.end(), scan_order_less);
    }
    std::vector<size_t> shuffled(pts.size());
    std::iota(shuffled.begin(), shuffled.end(), size_t(0));
    if (round % 3 != 0) std::shuffle(shuffled.begin(), shuffled.end(), rng);
    std::vector<PixelPos> input;
    for (size_t i : shuffled) input.push_back(pts[i]);
    const Clustering fast = dbscan(input), ref = dbscan_reference(pts);
    INFO("round " << round);
    std::vector<int> fast_labels(pts.size());
    for (size_t k = 0; k < shuffled.size(); ++k) fast_labels[shuffled[k]] = fast.labels[k];
    REQUIRE(fast_labels == ref.labels);  // same numbering too: both follow scan order
    TileResult a, b;
    a.centroids = fast.clusters, b.centroids = ref.clusters;
    CHECK(compare_results(b, a) == "");
  }
}
