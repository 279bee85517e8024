#include "tests/fuzz/fuzz_targets.h"

#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/challenger/challenger.h"
#include "io/go_duration.h"
#include "io/http_server.h"
#include "io/json_text.h"
#include "io/msgpack_codec.h"
#include "io/tiff_decoder.h"
#include "io/tiff_fast_decoder.h"

namespace lpbf::fuzz {
namespace {

// A broken invariant is a finding: abort so that libFuzzer (and the regression test) see it.
void require(bool ok) {
  if (!ok) std::abort();
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

int batch_decoder(const uint8_t* data, size_t size) {
  const auto bytes = std::make_shared<const ByteBuffer>(data, data + size);
  const DecodedBatch d = decode_batch(bytes);
  if (d.ok()) {  // the TIFF is a part of the reply, never beyond it
    require(d.id_known);
    require(d.batch.tif.size() <= size);
    require(d.batch.tif.size() == 0 ||
            (d.batch.tif.data() >= bytes->data() && d.batch.tif.data() + d.batch.tif.size() <= bytes->data() + size));
    const std::string again = encode_batch(d.batch);
    const DecodedBatch d2 = decode_batch({reinterpret_cast<const uint8_t*>(again.data()), again.size()});
    require(d2.ok() && d2.batch.batch_id == d.batch.batch_id && d2.batch.tif == d.batch.tif);
  } else {
    require(!d.error.empty());
  }
  return 0;
}

int result_decoder(const uint8_t* data, size_t size) {
  const DecodedResult d = decode_result({data, size});
  if (d.ok()) {  // what was read encodes and reads back the same
    const std::string again = encode_result(d.result);
    const DecodedResult d2 = decode_result({reinterpret_cast<const uint8_t*>(again.data()), again.size()});
    require(d2.ok() && d2.result.batch_id == d.result.batch_id &&
            d2.result.centroids.size() == d.result.centroids.size());
  }
  (void)decode_outcome({data, size});  // the Kafka outcome wraps the same map
  return 0;
}

int tiff_decoder(const uint8_t* data, size_t size) {
  const DecodedTiff t = decode_tiff({data, size});
  if (t.ok()) require(t.image.pixels.size() == size_t(t.image.rows) * size_t(t.image.cols));
  else require(!t.error.empty());
  // The fast path's contract: whatever it decodes, libtiff decodes to the same pixels.
  Image16 fast;
  if (decode_tiff_fast({data, size}, fast)) {
    const DecodedTiff reference = decode_tiff_with_libtiff({data, size});
    require(reference.ok() && reference.image.rows == fast.rows && reference.image.cols == fast.cols &&
            reference.image.pixels == fast.pixels);
  }
  return 0;
}

int expected_json(const uint8_t* data, size_t size) {
  try {
    (void)parse_results_json(text(data, size), "fuzz");
  } catch (const std::runtime_error&) {
    // the reader's way to refuse: a message saying where
  }
  return 0;
}

int create_body(const uint8_t* data, size_t size) {
  for (Emulation mode : {Emulation::none, Emulation::evaluation, Emulation::local}) {
    Challenger c(tiny_dataset(), kDefaultApiToken, {mode, nullptr, {}});
    const HttpReply r = c.handle({"POST", "/api/create", std::string(text(data, size))});
    require(r.status == 200 || r.status == 400 || r.status == 403);
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
    require(response.empty() || response.rfind("HTTP/1.1 ", 0) == 0);
  }
  return 0;
}

// What parses is within Go's range, and a whole number of nanoseconds written back reads the same.
int go_duration(const uint8_t* data, size_t size) {
  const Result<double> ms = parse_go_duration(text(data, size));
  if (!ms.ok()) {
    require(!ms.error().empty());
    return 0;
  }
  require(std::abs(ms.value()) <= 9223372036854.775808);
  const auto ns = int64_t(ms.value() * 1e6);
  if (std::abs(ms.value()) < 1e9) {  // below 2^53 ns a double holds every nanosecond
    const Result<double> again = parse_go_duration(format_go_duration(ns));
    require(again.ok() && again.value() == double(ns) / 1e6);
  }
  return 0;
}

}  // namespace lpbf::fuzz
