#include "tests/fuzz/fuzz_targets.h"

#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/challenger/challenger.h"
#include "io/go_duration.h"
#include "io/http_server.h"
#include "io/json_text.h"
#include "io/msgpack_codec.h"
#include "io/tiff_decoder.h"
#include "io/tiff_fast_decoder.h"

namespace lpbf::fuzz {
namespace {

// Doubles equal as read back: the same value, or both NaN (msgpack carries NaN; NaN != NaN).
bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// Every field of two results equal, centroids in the same order.
bool same_result(const TileResult& a, const TileResult& b) {
  if (a.batch_id != b.batch_id || a.print_id != b.print_id || a.tile_id != b.tile_id || a.saturated != b.saturated ||
      a.centroids.size() != b.centroids.size())
    return false;
  for (size_t i = 0; i < a.centroids.size(); ++i)
    if (!same(a.centroids[i].x, b.centroids[i].x) || !same(a.centroids[i].y, b.centroids[i].y) ||
        a.centroids[i].count != b.centroids[i].count)
      return false;
  return true;
}

std::string_view text(const uint8_t* data, size_t size) { return {reinterpret_cast<const char*>(data), size}; }

// A challenger serving two golden batches, scored; fresh for each input so that runs are independent.
std::shared_ptr<const ServedDataset> tiny_dataset() {
  static const std::shared_ptr<const ServedDataset> ds = [] {
    ServedDataset all = load_served_dataset(std::string(LPBF_GOLDEN_DIR) + "/small");
    all.batches.resize(2), all.batch_ids.resize(2), all.expected.resize(2);
    return std::make_shared<const ServedDataset>(std::move(all));
  }();
  return ds;
}

}  // namespace

void require(bool ok, const char* what) {
  if (!ok) throw InvariantBroken(what);
}

int batch_decoder(const uint8_t* data, size_t size) {
  const auto bytes = std::make_shared<const ByteBuffer>(data, data + size);
  const DecodedBatch d = decode_batch(bytes);
  if (d.ok()) {  // the TIFF is a part of the reply, never beyond it
    require(d.id_known, "a decoded batch knows its id");
    require(d.batch.tif.size() <= size, "a batch's TIFF is no larger than the reply");
    require(d.batch.tif.size() == 0 || (d.batch.tif.data() >= bytes->data() &&
                                        d.batch.tif.data() + d.batch.tif.size() <= bytes->data() + size),
            "a batch's TIFF lies within the reply");
    const std::string again = encode_batch(d.batch);
    const DecodedBatch d2 = decode_batch({reinterpret_cast<const uint8_t*>(again.data()), again.size()});
    require(d2.ok(), "a decoded batch re-encodes to a batch that decodes");
    require(d2.batch.batch_id == d.batch.batch_id && d2.batch.print_id == d.batch.print_id &&
                d2.batch.tile_id == d.batch.tile_id && d2.batch.layer == d.batch.layer && d2.batch.tif == d.batch.tif,
            "a decoded batch re-encodes to the same fields");
  } else {
    require(!d.error.empty(), "a refused batch says why");
  }
  return 0;
}

int result_decoder(const uint8_t* data, size_t size) {
  const DecodedResult d = decode_result({data, size});
  if (d.ok()) {  // what was read encodes and reads back the same
    const std::string again = encode_result(d.result);
    const DecodedResult d2 = decode_result({reinterpret_cast<const uint8_t*>(again.data()), again.size()});
    require(d2.ok(), "a decoded result re-encodes to a result that decodes");
    require(same_result(d2.result, d.result), "a decoded result re-encodes to the same fields");
  }
  // The Kafka outcome wraps the same map: what it reads writes and reads back the same.
  const DecodedOutcome o = decode_outcome({data, size});
  if (o.decode_error.empty()) {
    const std::string again = encode_outcome(o.batch_id, o.result ? &*o.result : nullptr, o.error, o.origin);
    const DecodedOutcome o2 = decode_outcome({reinterpret_cast<const uint8_t*>(again.data()), again.size()});
    require(o2.decode_error.empty(), "a decoded outcome re-encodes to an outcome that decodes");
    require(o2.batch_id == o.batch_id && o2.error == o.error && o2.result.has_value() == o.result.has_value() &&
                (!o.result || same_result(*o2.result, *o.result)) && o2.origin.layer == o.origin.layer &&
                o2.origin.missing_layers == o.origin.missing_layers && o2.origin.worker == o.origin.worker,
            "a decoded outcome re-encodes to the same fields");
  }
  return 0;
}

int tiff_decoder(const uint8_t* data, size_t size) {
  const DecodedTiff t = decode_tiff({data, size});
  if (t.ok())
    require(t.image.pixels.size() == size_t(t.image.rows) * size_t(t.image.cols), "a decoded image is rows x cols");
  else require(!t.error.empty(), "a refused TIFF says why");
  // The fast path's contract: whatever it decodes, libtiff decodes to the same pixels.
  Image16 fast;
  if (decode_tiff_fast({data, size}, fast)) {
    const DecodedTiff reference = decode_tiff_with_libtiff({data, size});
    require(reference.ok() && reference.image.rows == fast.rows && reference.image.cols == fast.cols &&
                reference.image.pixels == fast.pixels,
            "the fast TIFF path decodes what libtiff decodes, to the same pixels");
  }
  return 0;
}

// What parses writes (as `replay --out` and the cache do) and reads back equal, and the text
// written is a fixed point: written again it is the same bytes.
int expected_json(const uint8_t* data, size_t size) {
  std::vector<TileResult> parsed;
  try {
    parsed = parse_results_json(text(data, size), "fuzz");
  } catch (const std::runtime_error& e) {
    require(std::string_view(e.what()).find("fuzz") != std::string_view::npos, "a refused expected.json says where");
    return 0;
  }
  const std::string written = results_to_json(parsed);
  std::vector<TileResult> again;
  try {
    again = parse_results_json(written, "written");
  } catch (const std::runtime_error&) {
    require(false, "a parsed expected.json, written, parses again");
  }
  require(again.size() == parsed.size(), "a parsed expected.json reads back with as many results");
  for (size_t i = 0; i < parsed.size(); ++i)
    require(same_result(again[i], parsed[i]), "a parsed expected.json compares equal to itself after a write/read");
  require(results_to_json(again) == written, "an expected.json written twice is the same text");
  return 0;
}

int create_body(const uint8_t* data, size_t size) {
  for (Emulation mode : {Emulation::none, Emulation::evaluation, Emulation::local}) {
    Challenger c(tiny_dataset(), kDefaultApiToken, {mode, nullptr, {}});
    const HttpReply r = c.handle({"POST", "/api/create", std::string(text(data, size))});
    require(r.status == 200 || r.status == 400 || r.status == 403, "a create answers 200, 400 or 403");
    require(!r.body.empty(), "a create answers a bench id or says why not");
  }
  return 0;
}

// "BENCH" in the request stands for the id of a bench created first, so that the fuzzer reaches
// next_batch, result and end on a real bench.
int challenger_request(const uint8_t* data, size_t size) {
  for (Emulation mode : {Emulation::none, Emulation::evaluation, Emulation::local}) {
    Challenger c(tiny_dataset(), kDefaultApiToken, {mode, nullptr, {}});
    const std::string bench =
        c.handle({"POST", "/api/create", R"({"apitoken": "polimi-deib", "name": "f", "test": true})"}).body;
    const std::string id = bench.size() >= 2 ? bench.substr(1, bench.size() - 2) : bench;
    std::string request(text(data, size));
    for (size_t at = request.find("BENCH"); at != std::string::npos; at = request.find("BENCH", at + id.size()))
      request.replace(at, 5, id);
    const HttpHandler handler = [&c](const HttpRequest& r) { return c.handle(r); };
    const std::string response = answer_raw_request(request, handler);
    require(response.empty() || response.rfind("HTTP/1.1 ", 0) == 0, "an answer to a raw request is HTTP/1.1");
  }
  return 0;
}

// What parses is within Go's range, and a whole number of nanoseconds written back reads the same.
int go_duration(const uint8_t* data, size_t size) {
  const Result<double> ms = parse_go_duration(text(data, size));
  if (!ms.ok()) {
    require(!ms.error().empty(), "a refused duration says why");
    return 0;
  }
  require(std::abs(ms.value()) <= 9223372036854.775808, "a parsed duration is within Go's range");
  const auto ns = int64_t(ms.value() * 1e6);
  if (std::abs(ms.value()) < 1e9) {  // below 2^53 ns a double holds every nanosecond
    const Result<double> again = parse_go_duration(format_go_duration(ns));
    require(again.ok() && again.value() == double(ns) / 1e6,
            "a whole number of nanoseconds written as a Go duration reads back the same");
  }
  return 0;
}

}  // namespace lpbf::fuzz
