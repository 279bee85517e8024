// How far back a new owner of a partition reads: the last two layers before the resume point of
// every live tile, no more; and commit metadata that cannot be read means "from the beginning".
#include <doctest/doctest.h>

#include "core/kafka/kafka_lookback.h"

using namespace lpbf;

TEST_CASE("kafka lookback: a new owner reads back to the second-last layer before the resume point of every tile") {
  PartitionLookback l;
  // Two tiles interleaved: a at 0, 2, 4, 6; b at 1, 3, 5, 7.
  for (int64_t o = 0; o < 8; ++o) l.record(o % 2 ? "b" : "a", o);
  CHECK(l.rebuild_start(0) == 0);  // nothing before: nothing to read back
  CHECK(l.rebuild_start(1) == 0);  // a's only layer
  CHECK(l.rebuild_start(3) == 0);  // a: 0, 2; b: 1
  CHECK(l.rebuild_start(5) == 1);  // a: 2, 4; b: 1, 3
  CHECK(l.rebuild_start(8) == 4);  // a: 4, 6; b: 5, 7
}

TEST_CASE("kafka lookback: forgetting what is committed keeps what later resume points need") {
  PartitionLookback l;
  for (int64_t o = 0; o < 100; ++o) l.record("t" + std::to_string(o % 4), o);
  const int64_t before = l.rebuild_start(60);
  l.forget_before(60);
  CHECK(l.rebuild_start(60) == before);
  CHECK(l.rebuild_start(60) == 52);  // 4 tiles: their second-last layers are 52..55
  CHECK(l.rebuild_start(100) == 92);
}

TEST_CASE("kafka lookback: a tile silent for longer than the horizon no longer holds the look-back start") {
  PartitionLookback l;
  l.record("old", 0);
  l.record("old", 1);
  for (int64_t o = 2; o < kLookbackHorizon + 10; ++o) l.record("live", o);
  const int64_t end = kLookbackHorizon + 10;
  CHECK(l.rebuild_start(end) == end - 2);
  l.forget_before(end);
  CHECK(l.tiles() == 1);
}

TEST_CASE("kafka lookback: commit metadata carries the start; anything else reads as unknown") {
  CHECK(parse_lookback_metadata(lookback_metadata(1234)) == 1234);
  CHECK(parse_lookback_metadata(lookback_metadata(0)) == 0);
  for (const char* bad :
       {"", "lookback=", "lookback=-1", "lookback=12x", "lookback=99999999999999999999999", "other=5", "lookback= 5"})
    CHECK_MESSAGE(!parse_lookback_metadata(bad), bad);
}
