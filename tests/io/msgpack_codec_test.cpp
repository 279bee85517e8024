// The wire format (SPEC §1): round trips, and every malformed map is an error naming the field.
#include <doctest/doctest.h>

#include <msgpack.hpp>

#include "io/msgpack_codec.h"

using namespace lpbf;

namespace {
std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST_CASE("msgpack: a batch map round-trips with its TIFF bytes intact") {
  ByteBuffer tif;
  for (int i = 0; i < 100000; ++i) tif.push_back(uint8_t(i * 31));
  const Batch b{42, "P7", 3, 11, SharedBytes(std::move(tif))};
  const std::string wire = encode_batch(b);
  const DecodedBatch d = decode_batch(bytes_of(wire));
  REQUIRE(d.ok());
  CHECK(d.batch.batch_id == 42);
  CHECK(d.batch.print_id == "P7");
  CHECK(d.batch.tile_id == 3);
  CHECK(d.batch.layer == 11);
  CHECK(d.batch.tif == b.tif);

  // From a buffer the batch may keep (an HTTP body): the TIFF stays inside it, not copied, and
  // outlives every other owner of the buffer.
  auto body = std::make_shared<const ByteBuffer>(wire.begin(), wire.end());
  const uint8_t* begin = body->data();
  const uint8_t* end = begin + body->size();
  DecodedBatch shared = decode_batch(std::move(body));
  REQUIRE(shared.ok());
  CHECK(shared.batch.tif.data() > begin);
  CHECK(shared.batch.tif.data() + shared.batch.tif.size() <= end);
  const Batch kept = shared.batch;
  shared = DecodedBatch{};
  CHECK(kept.tif == b.tif);
}

TEST_CASE("msgpack: a result map round-trips, centroids as float64") {
  const TileResult r{9, "P1", 2, 17, {{1.5, 2.25, 6}, {100.0 / 3.0, 7, 12}}};
  const DecodedResult d = decode_result(bytes_of(encode_result(r)));
  REQUIRE(d.ok());
  CHECK(compare_results(r, d.result) == "");
  CHECK(d.result.centroids[1].x == 100.0 / 3.0);  // exact: packed as double
  const DecodedResult empty = decode_result(bytes_of(encode_result(TileResult{1, "P", 0, 0, {}})));
  REQUIRE(empty.ok());
  CHECK(empty.result.centroids.empty());
}

TEST_CASE("msgpack: truncated, empty and non-map input are errors") {
  const std::string wire = encode_batch(Batch{1, "P", 0, 0, std::vector<uint8_t>(1000, 7)});
  for (size_t len : {size_t(0), size_t(1), size_t(10), wire.size() / 2, wire.size() - 1}) {
    const DecodedBatch d = decode_batch(bytes_of(wire.substr(0, len)));
    INFO(len);
    CHECK_FALSE(d.ok());
    if (len > 0) CHECK(d.error.find("truncated") != std::string::npos);
  }
  msgpack::sbuffer buf;
  msgpack::pack(buf, std::vector<int>{1, 2, 3});
  CHECK(decode_batch({reinterpret_cast<const uint8_t*>(buf.data()), buf.size()}).error == "msgpack is not a map");
  CHECK(decode_batch(bytes_of(wire + "x")).error.find("trailing") != std::string::npos);
}

TEST_CASE("msgpack: a missing or mistyped field is named") {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(4);
  pk.pack("batch_id"), pk.pack(5);
  pk.pack("print_id"), pk.pack(17);  // not a string
  pk.pack("tile_id"), pk.pack(0);
  pk.pack("layer"), pk.pack(0);
  const DecodedBatch d = decode_batch({reinterpret_cast<const uint8_t*>(buf.data()), buf.size()});
  CHECK(d.error == "batch map: field 'print_id' is missing or not a string");
  CHECK(d.batch.batch_id == 5);  // known, so the failure can name the batch

  msgpack::sbuffer buf2;
  msgpack::packer<msgpack::sbuffer> pk2(buf2);
  pk2.pack_map(5);
  pk2.pack("batch_id"), pk2.pack(5);
  pk2.pack("print_id"), pk2.pack("P");
  pk2.pack("tile_id"), pk2.pack(0);
  pk2.pack("layer"), pk2.pack(0);
  pk2.pack("tif"), pk2.pack("a string, not bin");
  CHECK(decode_batch({reinterpret_cast<const uint8_t*>(buf2.data()), buf2.size()}).error ==
        "batch map: field 'tif' is missing or not binary");
}

TEST_CASE("Kafka outcome: result, failure, and which layers its window lacked and who computed it") {
  auto bytes = [](const std::string& s) { return std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  TileResult r{12, "P1", 3, 7, {{1.5, 2.5, 9}}};
  OutcomeOrigin origin{5, {3, 4}, "worker-a"};
  const DecodedOutcome d = decode_outcome(bytes(encode_outcome(12, &r, "", origin)));
  CHECK(d.decode_error.empty());
  CHECK(d.batch_id == 12);
  REQUIRE(d.result);
  CHECK(compare_results(r, *d.result).empty());
  CHECK(d.origin.layer == 5);
  CHECK(d.origin.missing_layers == std::vector<int64_t>{3, 4});
  CHECK(d.origin.worker == "worker-a");

  const DecodedOutcome failed = decode_outcome(bytes(encode_outcome(13, nullptr, "TIFF is truncated")));
  CHECK(!failed.result);
  CHECK(failed.error == "TIFF is truncated");
  CHECK(failed.origin.missing_layers.empty());

  // An older worker's 3-array is still read.
  msgpack::sbuffer old;
  msgpack::packer<msgpack::sbuffer> pk(old);
  pk.pack_array(3);
  pk.pack(14), pk.pack(std::string("gone")), pk.pack_nil();
  CHECK(decode_outcome({reinterpret_cast<const uint8_t*>(old.data()), old.size()}).error == "gone");

  // More missing layers than a window can lack, or wrong types, are refused, not trusted.
  msgpack::sbuffer bad;
  msgpack::packer<msgpack::sbuffer> pb(bad);
  pb.pack_array(6);
  pb.pack(15), pb.pack(std::string("")), pb.pack_nil(), pb.pack(2), pb.pack(std::vector<int64_t>{1, 2, 3}),
      pb.pack(std::string("w"));
  CHECK(!decode_outcome({reinterpret_cast<const uint8_t*>(bad.data()), bad.size()}).decode_error.empty());
  msgpack::sbuffer bad2;
  msgpack::packer<msgpack::sbuffer> pb2(bad2);
  pb2.pack_array(6);
  pb2.pack(15), pb2.pack(std::string("")), pb2.pack_nil(), pb2.pack(std::string("two")), pb2.pack_array(0), pb2.pack(1);
  CHECK(!decode_outcome({reinterpret_cast<const uint8_t*>(bad2.data()), bad2.size()}).decode_error.empty());
}
