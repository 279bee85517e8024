// The tile sequencer: a tile's layers run in their sequence order whatever order workers finish
// decoding them in; different tiles do not wait for each other.
#include <doctest/doctest.h>

#include <mutex>
#include <numeric>
#include <thread>

#include "analysis/outliers_reference.h"
#include "core/pipeline/tile_sequencer.h"
#include "tests/test_support.h"

using namespace lpbf;

TEST_CASE("sequencer: one tile's layers completed in reverse order run in order, with the right windows") {
  TileSequencer<int> seq;
  const TileKey tile{"P1", 3};
  for (int i = 0; i < 5; ++i) CHECK(seq.assign(tile) == uint64_t(i));
  std::vector<int> ran;
  auto run = [&](TileWindow&, int&& w) { ran.push_back(w); };
  for (int i = 4; i >= 1; --i) {
    seq.complete(tile, uint64_t(i), int(i), run);
    CHECK(ran.empty());  // layer 0 has not arrived: nothing may run
  }
  seq.complete(tile, 0, 0, run);
  CHECK(ran == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("sequencer: windows built from out-of-order completions equal the reference") {
  std::mt19937 rng(77);
  std::vector<Image16> layers;
  for (int i = 0; i < 6; ++i) layers.push_back(test::random_image(20, 17, rng));
  TileSequencer<int> seq;
  const TileKey tile{"P", 0};
  for (int i = 0; i < 6; ++i) seq.assign(tile);
  std::vector<std::vector<PixelPos>> outliers(6);
  auto run = [&](TileWindow& w, int&& i) { w.push(layers[size_t(i)], outliers[size_t(i)]); };
  for (int i : {2, 5, 0, 4, 1, 3}) seq.complete(tile, uint64_t(i), int(i), run);
  for (size_t i = 2; i < 6; ++i) CHECK(outliers[i] == find_outliers_reference(layers[i - 2], layers[i - 1], layers[i]));
}

TEST_CASE("sequencer: two threads completing two tiles' layers keep each tile in order") {
  TileSequencer<int> seq;
  const TileKey a{"P", 0}, b{"P", 1};
  for (int i = 0; i < 200; ++i) seq.assign(a), seq.assign(b);
  std::mutex m;
  std::vector<int> ran_a, ran_b;
  auto run_a = [&](TileWindow&, int&& v) {
    std::lock_guard l(m);
    ran_a.push_back(v);
  };
  auto run_b = [&](TileWindow&, int&& v) {
    std::lock_guard l(m);
    ran_b.push_back(v);
  };
  std::thread t1([&] {
    for (int i = 199; i >= 0; i -= 2)
      seq.complete(a, uint64_t(i), int(i), run_a), seq.complete(b, uint64_t(i), int(i), run_b);
  });
  std::thread t2([&] {
    for (int i = 198; i >= 0; i -= 2)
      seq.complete(a, uint64_t(i), int(i), run_a), seq.complete(b, uint64_t(i), int(i), run_b);
  });
  t1.join(), t2.join();
  std::vector<int> expected(200);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(ran_a == expected);
  CHECK(ran_b == expected);
}
