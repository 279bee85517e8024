#include "io/msgpack_codec.h"

#include <msgpack.hpp>

#include <cstring>
#include <optional>

namespace lpbf {
namespace {

// The bin payload (a whole TIFF) is referenced in place, never copied.
bool reference_bin(msgpack::type::object_type type, std::size_t, void*) { return type == msgpack::type::BIN; }

const msgpack::object* field(const msgpack::object& map, std::string_view name) {
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    const msgpack::object_kv& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR && std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == name)
      return &kv.val;
  }
  return nullptr;
}

std::optional<int64_t> as_int(const msgpack::object* o) {
  if (!o) return std::nullopt;
  if (o->type == msgpack::type::POSITIVE_INTEGER) {
    if (o->via.u64 > uint64_t(INT64_MAX)) return std::nullopt;
    return int64_t(o->via.u64);
  }
  if (o->type == msgpack::type::NEGATIVE_INTEGER) return o->via.i64;
  return std::nullopt;
}

std::optional<double> as_number(const msgpack::object* o) {
  if (!o) return std::nullopt;
  if (o->type == msgpack::type::FLOAT64 || o->type == msgpack::type::FLOAT32) return o->via.f64;
  if (auto i = as_int(o)) return double(*i);
  return std::nullopt;
}

std::optional<std::string> as_string(const msgpack::object* o) {
  if (!o || o->type != msgpack::type::STR) return std::nullopt;
  return std::string(o->via.str.ptr, o->via.str.size);
}

std::string missing(std::string_view name, std::string_view what) {
  return "field '" + std::string(name) + "' is missing or not " + std::string(what);
}

// What a map from the wire may hold. msgpack-cxx allocates a container's elements from its
// header, before they arrive, and recurses nowhere but follows any nesting: without limits a
// 5-byte header asking for 2^32 elements, or 200 000 nested arrays, would size memory. A
// container cannot have more elements than the message has bytes; our maps are three deep at
// most (result -> centroids -> centroid), unknown fields get a little more room.
msgpack::unpack_limit wire_limits(size_t bytes) {
  const size_t elements = std::min<size_t>(bytes, size_t(1) << 24);
  return msgpack::unpack_limit(/*array=*/elements, /*map=*/std::min<size_t>(elements, 1024), /*str=*/size_t(1) << 16,
                               /*bin=*/bytes, /*ext=*/0, /*depth=*/8);
}

// Parses `bytes` as one msgpack map; the error says why not.
std::optional<msgpack::object_handle> parse_map(std::span<const uint8_t> bytes, std::string& error) {
  try {
    std::size_t offset = 0;
    msgpack::object_handle oh = msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size(), offset,
                                                reference_bin, nullptr, wire_limits(bytes.size()));
    if (oh.get().type != msgpack::type::MAP) {
      error = "msgpack is not a map";
      return std::nullopt;
    }
    if (offset != bytes.size()) {
      error = "msgpack has " + std::to_string(bytes.size() - offset) + " trailing bytes";
      return std::nullopt;
    }
    return oh;
  } catch (const msgpack::insufficient_bytes&) {
    error = "msgpack is truncated (" + std::to_string(bytes.size()) + " bytes)";
  } catch (const msgpack::depth_size_overflow&) {
    error = "msgpack is nested deeper than 8 levels";
  } catch (const msgpack::size_overflow& e) {
    // Sizes are limited by the bytes there are: this is what truncation looks like, too.
    error = "msgpack is truncated or corrupt: it declares a string, binary or container larger than its " +
            std::to_string(bytes.size()) + " bytes allow (" + e.what() + ")";
  } catch (const std::exception& e) {
    error = std::string("msgpack is malformed: ") + e.what();
  }
  return std::nullopt;
}

}  // namespace

namespace {

// What msgpack's packer writes into: a std::string, so the packed bytes need no copy to return.
struct StringSink {
  std::string bytes;
  void write(const char* p, size_t n) { bytes.append(p, n); }
};

}  // namespace

namespace {

template <class Sink>
void pack_batch_head(msgpack::packer<Sink>& pk, int64_t batch_id, const std::string& print_id, int64_t tile_id,
                     int64_t layer, uint32_t tif_bytes) {
  pk.pack_map(5);
  pk.pack("batch_id"), pk.pack(batch_id);
  pk.pack("print_id"), pk.pack(print_id);
  pk.pack("tile_id"), pk.pack(tile_id);
  pk.pack("layer"), pk.pack(layer);
  pk.pack("tif");
  pk.pack_bin(tif_bytes);
}

}  // namespace

std::string encode_batch(const Batch& b) {
  // Packed straight into the string it returns: a 500 KB batch is copied once, not twice (the
  // Kafka bridge encodes every fetched batch).
  StringSink buf;
  buf.bytes.reserve(b.tif.size() + 128);
  msgpack::packer<StringSink> pk(buf);
  pack_batch_head(pk, b.batch_id, b.print_id, b.tile_id, b.layer, uint32_t(b.tif.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(b.tif.data()), uint32_t(b.tif.size()));
  return std::move(buf.bytes);
}

std::string encode_batch_head(int64_t batch_id, const std::string& print_id, int64_t tile_id, int64_t layer,
                              uint32_t tif_bytes) {
  StringSink buf;
  msgpack::packer<StringSink> pk(buf);
  pack_batch_head(pk, batch_id, print_id, tile_id, layer, tif_bytes);
  return std::move(buf.bytes);
}

std::string encode_result(const TileResult& r) {
  msgpack::sbuffer buf(128 + 48 * r.centroids.size());
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(5);
  pk.pack("batch_id"), pk.pack(r.batch_id);
  pk.pack("print_id"), pk.pack(r.print_id);
  pk.pack("tile_id"), pk.pack(r.tile_id);
  pk.pack("saturated"), pk.pack(r.saturated);
  pk.pack("centroids");
  pk.pack_array(uint32_t(r.centroids.size()));
  for (const Centroid& c : r.centroids) {
    pk.pack_map(3);
    pk.pack("x"), pk.pack_double(c.x);
    pk.pack("y"), pk.pack_double(c.y);
    pk.pack("count"), pk.pack(c.count);
  }
  return std::string(buf.data(), buf.size());
}

DecodedBatch decode_batch(std::span<const uint8_t> bytes) {
  return decode_batch(SharedBytes(ByteBuffer(bytes.begin(), bytes.end())));
}

DecodedBatch decode_batch(std::shared_ptr<const ByteBuffer> bytes) {
  return decode_batch(SharedBytes(std::move(bytes)));
}

DecodedBatch decode_batch(const SharedBytes& bytes) {
  DecodedBatch out;
  out.batch.batch_id = -1;
  const auto oh = parse_map(bytes, out.error);
  if (!oh) return out;
  const msgpack::object& m = oh->get();
  const auto id = as_int(field(m, "batch_id"));
  if (!id) return out.error = "batch map: " + missing("batch_id", "an integer"), out;
  out.batch.batch_id = *id;
  out.id_known = true;
  const auto print = as_string(field(m, "print_id"));
  if (!print) return out.error = "batch map: " + missing("print_id", "a string"), out;
  const auto tile = as_int(field(m, "tile_id"));
  if (!tile) return out.error = "batch map: " + missing("tile_id", "an integer"), out;
  const auto layer = as_int(field(m, "layer"));
  if (!layer) return out.error = "batch map: " + missing("layer", "an integer"), out;
  const msgpack::object* tif = field(m, "tif");
  if (!tif || tif->type != msgpack::type::BIN) return out.error = "batch map: " + missing("tif", "binary"), out;
  out.batch.print_id = *print;
  out.batch.tile_id = *tile;
  out.batch.layer = *layer;
  out.batch.tif = bytes.part({reinterpret_cast<const uint8_t*>(tif->via.bin.ptr), tif->via.bin.size});
  return out;
}

DecodedResult decode_result(std::span<const uint8_t> bytes) {
  DecodedResult out;
  out.result.batch_id = -1;
  const auto oh = parse_map(bytes, out.error);
  if (!oh) return out;
  const msgpack::object& m = oh->get();
  const auto id = as_int(field(m, "batch_id"));
  if (!id) return out.error = "result map: " + missing("batch_id", "an integer"), out;
  out.result.batch_id = *id;
  const auto print = as_string(field(m, "print_id"));
  if (!print) return out.error = "result map: " + missing("print_id", "a string"), out;
  const auto tile = as_int(field(m, "tile_id"));
  if (!tile) return out.error = "result map: " + missing("tile_id", "an integer"), out;
  const auto saturated = as_int(field(m, "saturated"));
  if (!saturated) return out.error = "result map: " + missing("saturated", "an integer"), out;
  const msgpack::object* cs = field(m, "centroids");
  if (!cs || cs->type != msgpack::type::ARRAY)
    return out.error = "result map: " + missing("centroids", "an array"), out;
  out.result.print_id = *print;
  out.result.tile_id = *tile;
  out.result.saturated = *saturated;
  for (uint32_t i = 0; i < cs->via.array.size; ++i) {
    const msgpack::object& c = cs->via.array.ptr[i];
    const std::string where = "result map: centroid " + std::to_string(i) + ": ";
    if (c.type != msgpack::type::MAP) return out.error = where + "not a map", out;
    const auto x = as_number(field(c, "x")), y = as_number(field(c, "y"));
    const auto count = as_int(field(c, "count"));
    if (!x || !y || !count) return out.error = where + "needs numbers x, y and an integer count", out;
    out.result.centroids.push_back({*x, *y, *count});
  }
  return out;
}

std::string encode_outcome(int64_t batch_id, const TileResult* result, const std::string& error,
                           const OutcomeOrigin& origin) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(6);
  pk.pack(batch_id);
  pk.pack(error);
  if (result) {
    const std::string r = encode_result(*result);
    buf.write(r.data(), r.size());  // a result map, as posted to the challenger
  } else {
    pk.pack_nil();
  }
  pk.pack(origin.layer);
  pk.pack(origin.missing_layers);
  pk.pack(origin.worker);
  return std::string(buf.data(), buf.size());
}

DecodedOutcome decode_outcome(std::span<const uint8_t> bytes) {
  DecodedOutcome out;
  try {
    std::size_t offset = 0;
    msgpack::object_handle oh = msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size(), offset,
                                                nullptr, nullptr, wire_limits(bytes.size()));
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::ARRAY || (o.via.array.size != 3 && o.via.array.size != 6))
      return out.decode_error = "outcome is not an array of 3 or 6", out;
    const auto id = as_int(&o.via.array.ptr[0]);
    const auto error = as_string(&o.via.array.ptr[1]);
    if (!id || !error) return out.decode_error = "outcome has no batch id or error field", out;
    out.batch_id = *id;
    out.error = *error;
    if (o.via.array.size == 6) {
      const auto layer = as_int(&o.via.array.ptr[3]);
      const auto worker = as_string(&o.via.array.ptr[5]);
      const msgpack::object& missing = o.via.array.ptr[4];
      if (!layer || !worker || missing.type != msgpack::type::ARRAY || missing.via.array.size > kMaxMissingLayers)
        return out.decode_error = "outcome's layer, missing layers (at most 2) or worker is malformed", out;
      out.origin.layer = *layer;
      out.origin.worker = *worker;
      for (uint32_t i = 0; i < missing.via.array.size; ++i) {
        const auto m = as_int(&missing.via.array.ptr[i]);
        if (!m) return out.decode_error = "outcome's missing layers are not integers", out;
        out.origin.missing_layers.push_back(*m);
      }
    }
    const msgpack::object& r = o.via.array.ptr[2];
    if (r.type == msgpack::type::NIL) {
      if (out.error.empty()) out.error = "the worker sent neither a result nor an error";
      return out;
    }
    msgpack::sbuffer again;  // re-read the embedded result map with the one result decoder
    msgpack::pack(again, r);
    DecodedResult d = decode_result({reinterpret_cast<const uint8_t*>(again.data()), again.size()});
    if (!d.ok()) return out.decode_error = d.error, out;
    out.result = std::move(d.result);
  } catch (const std::exception& e) {
    out.decode_error = std::string("outcome is malformed: ") + e.what();
  }
  return out;
}

}  // namespace lpbf
