// Result comparison (SPEC §2): counts exact, centroids within 1e-3, order free.
#include <doctest/doctest.h>

#include "analysis/tile_result.h"

using namespace lpbf;

TEST_CASE("results: centroid order is free and coordinates compare within 1e-3") {
  TileResult e{7, "P1", 3, 12, {{1.0, 2.0, 5}, {10.5, 20.25, 9}}};
  TileResult g = e;
  std::swap(g.centroids[0], g.centroids[1]);
  CHECK(compare_results(e, g) == "");
  g.centroids[0].x += 0.0009;
  CHECK(compare_results(e, g) == "");
  g.centroids[0].x += 0.0002;
  CHECK(compare_results(e, g).find("missing") != std::string::npos);
}

TEST_CASE("results: a wrong count, saturated value, id or centroid number is named") {
  const TileResult e{7, "P1", 3, 12, {{1.0, 2.0, 5}}};
  TileResult g = e;
  g.saturated = 13;
  CHECK(compare_results(e, g) == "saturated 13, expected 12");
  g = e;
  g.centroids[0].count = 6;
  CHECK(compare_results(e, g).find("missing") != std::string::npos);
  g = e;
  g.centroids.clear();
  CHECK(compare_results(e, g) == "0 centroids, expected 1");
  g = e;
  g.tile_id = 4;
  CHECK(compare_results(e, g) == "tile_id 4, expected 3");
  g = e;
  g.print_id = "P2";
  CHECK(compare_results(e, g) == "print_id 'P2', expected 'P1'");
}

TEST_CASE("results: two equal centroids must both be matched") {
  const TileResult e{1, "P", 0, 0, {{1, 1, 5}, {1, 1, 5}}};
  TileResult g = e;
  g.centroids[1] = {9, 9, 5};
  CHECK_FALSE(compare_results(e, g).empty());
}
