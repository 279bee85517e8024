// `challenger --emulate local` (core/challenger/challenger_local.cpp): the Micro Challenger's wire
// behaviour (issue 21), over real HTTP on loopback; and batch ids from any start.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <regex>

#include "core/challenger/challenger.h"
#include "core/challenger/challenger_host.h"
#include "io/go_duration.h"
#include "io/msgpack_codec.h"
#include "tests/http_test_client.h"
#include "tests/served_golden.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace http = boost::beast::http;

namespace {

std::shared_ptr<const ServedDataset> golden_small() { return test::served_golden("small"); }

struct Local {
  explicit Local(std::shared_ptr<const ServedDataset> ds = golden_small(), Emulation mode = Emulation::local)
      : host(std::move(ds), "127.0.0.1", 0, 1, kDefaultApiToken, {}, {mode, nullptr, {}}), client(host.url()) {}
  HttpResponse post(const std::string& target, std::string body = "") {
    return client.call(http::verb::post, target, std::move(body), "application/json");
  }
  HttpResponse get(const std::string& target) { return client.call(http::verb::get, target); }
  std::string create(const std::string& extra = "") {
    const HttpResponse r =
        post("/api/create", R"({"apitoken": "polimi-deib", "name": "t", "test": true)" + extra + "}");
    REQUIRE(r.status == 200);
    simdjson::dom::parser p;
    return std::string(std::string_view(p.parse(r.text()).get_string()));
  }
  ChallengerHost host;
  test::HttpTestClient client;
};

std::string body(const HttpResponse& r) { return std::string(r.body.begin(), r.body.end()); }
std::span<const uint8_t> bytes(const HttpResponse& r) { return {r.body.data(), r.body.size()}; }

double duration_ms(simdjson::dom::element e) {
  const Result<double> ms = parse_go_duration(std::string_view(e));
  REQUIRE_MESSAGE(ms.ok(), ms.error());
  return ms.value();
}

}  // namespace

TEST_CASE("local: create takes extra keys and honours max_batches; a wrong token is 403") {
  Local l;
  CHECK(l.post("/api/create", R"({"apitoken": "wrong", "name": "x", "test": true})").status == 403);
  const std::string id = l.create(R"(, "max_batches": 3, "queries": [0], "unknown": null)");
  CHECK(std::regex_match(id, std::regex("[0-9a-f]{24}")));
  CHECK(l.post("/api/start/" + id).status == 200);
  for (int i = 0; i < 3; ++i) CHECK(l.get("/api/next_batch/" + id).status == 200);
  CHECK(l.get("/api/next_batch/" + id).status == 404);
  CHECK(l.get("/api/next_batch/nope").status == 404);
}

TEST_CASE("local: lenient where the evaluation server is strict; the stream ends in an empty 404") {
  Local l;
  const std::string a = l.create(R"(, "max_batches": 2)");
  REQUIRE(l.post("/api/start/" + a).status == 200);
  const std::string b = l.create();                    // another bench while one runs
  CHECK(l.get("/api/next_batch/" + b).status == 200);  // before its start
  for (int i = 0; i < 2; ++i) REQUIRE(l.get("/api/next_batch/" + a).status == 200);
  for (int again = 0; again < 2; ++again) {
    const HttpResponse end = l.get("/api/next_batch/" + a);
    CHECK(end.status == 404);
    CHECK(end.body.empty());
  }
  const HttpResponse unknown = l.get("/api/next_batch/0123456789abcdef01234567");
  CHECK(unknown.status == 404);
  CHECK(body(unknown) == "Invalid benchmark_id");
  CHECK(l.post("/api/end/0123456789abcdef01234567").status == 404);
}

TEST_CASE("local: end answers {\"0\": {count, missing, throughput, latency_*}} with Go durations") {
  Local l;
  const std::string id = l.create(R"(, "max_batches": 12)");
  REQUIRE(l.post("/api/start/" + id).status == 200);
  const auto& ds = *golden_small();
  for (size_t i = 0; i < 12; ++i) {
    const HttpResponse r = l.get("/api/next_batch/" + id);
    REQUIRE(r.status == 200);
    const DecodedBatch d = decode_batch(bytes(r));
    REQUIRE(d.ok());
    if (i == 5) continue;  // one batch never answered
    CHECK(
        l.post("/api/result/0/" + id + "/" + std::to_string(d.batch.batch_id), encode_result(ds.expected[i])).status ==
        200);
  }
  CHECK(l.post("/api/result/0/" + id + "/0", encode_result(ds.expected[0])).status == 200);  // a repeat is taken too
  CHECK(l.get("/api/next_batch/" + id).status == 404);

  const HttpResponse end = l.post("/api/end/" + id);
  REQUIRE(end.status == 200);
  simdjson::dom::parser p;
  const auto q0 = p.parse(end.text())["0"];
  CHECK(int64_t(q0["count"]) == 12);
  CHECK(int64_t(q0["missing"]) == 1);
  CHECK(double(q0["throughput"]) > 0);
  const double min = duration_ms(q0["latency_min"]), mean = duration_ms(q0["latency_mean"]),
               p99 = duration_ms(q0["latency_p99"]), max = duration_ms(q0["latency_max"]);
  CHECK(min > 0);
  CHECK(min <= mean);
  CHECK(mean <= max);
  CHECK(p99 <= max);
  CHECK(max < 10000);
  // Written in the Micro Challenger's form: no fraction, µ (U+00B5) for microseconds.
  CHECK(std::regex_match(std::string(std::string_view(q0["latency_max"])),
                         std::regex("([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?([0-9]+\xc2\xb5s)?([0-9]+ns)?")));
  const std::string verdict = l.host.challenger().verdict(id).value();  // scored in-process
  CHECK(verdict.find("\"wrong\": 0") != std::string::npos);
  CHECK(verdict.find("\"duplicates\": 1") != std::string::npos);
  CHECK(body(l.post("/api/end/" + id)) == body(end));  // the same summary again
  CHECK(body(l.get("/api/get_result/" + id)) == body(end));
}

TEST_CASE("local: get_result, plot, history and dash answer something plausible") {
  Local l;
  const std::string id = l.create();
  CHECK(l.get("/api/get_result/" + id).text().find("\"count\": 0") != std::string::npos);
  CHECK(l.get("/api/get_result").status == 200);  // the newest bench
  const HttpResponse plot = l.get("/api/plot/" + id);
  CHECK(plot.status == 200);
  CHECK(body(plot).rfind("<svg", 0) == 0);
  CHECK(l.get("/api/plot").status == 200);
  const HttpResponse history = l.get("/api/history");
  CHECK(history.status == 200);
  CHECK(body(history).find("\"bench_id\": \"" + id + "\"") != std::string::npos);
  const HttpResponse dash = l.get("/dash");
  CHECK(dash.status == 200);
  CHECK(body(dash).find("<html>") != std::string::npos);
  CHECK(l.get("/metrics").status == 404);
}

TEST_CASE("batch ids from any start: --first-batch-id renumbers the served maps and the expected results") {
  const auto& original = *golden_small();
  const auto from1 = with_first_batch_id(golden_small(), 1);
  CHECK(with_first_batch_id(golden_small(), 0) == golden_small());  // already 0, 1, ...: the same dataset
  REQUIRE(from1->batches.size() == original.batches.size());
  for (Emulation mode : {Emulation::local, Emulation::evaluation, Emulation::none}) {
    CAPTURE(emulation_name(mode));
    Local l(from1, mode);
    HttpResponse created = l.post("/api/create", R"({"apitoken": "polimi-deib", "name": "t", "test": true})");
    simdjson::dom::parser p;
    const std::string id(std::string_view(p.parse(created.text()).get_string()));
    REQUIRE(l.post("/api/start/" + id).status == 200);
    for (size_t i = 0; i < original.batches.size(); ++i) {
      const HttpResponse r = l.get("/api/next_batch/" + id);
      REQUIRE(r.status == 200);
      const DecodedBatch d = decode_batch(bytes(r));
      REQUIRE(d.ok());
      CHECK(d.batch.batch_id == int64_t(i) + 1);
      const DecodedBatch was = decode_batch(
          std::span(reinterpret_cast<const uint8_t*>(original.batches[i]->data()), original.batches[i]->size()));
      CHECK(d.batch.tile_id == was.batch.tile_id);
      CHECK(d.batch.layer == was.batch.layer);
      CHECK(d.batch.print_id == was.batch.print_id);
      CHECK(std::equal(d.batch.tif.data(), d.batch.tif.data() + d.batch.tif.size(), was.batch.tif.data(),
                       was.batch.tif.data() + was.batch.tif.size()));
      TileResult result = original.expected[i];
      result.batch_id = d.batch.batch_id;
      REQUIRE(l.post("/api/result/0/" + id + "/" + std::to_string(result.batch_id), encode_result(result)).status ==
              200);
    }
    const std::string verdict = l.host.challenger().verdict(id).value();
    CHECK(verdict.find("\"wrong\": 0") != std::string::npos);
    CHECK(verdict.find("\"results\": " + std::to_string(original.batches.size())) != std::string::npos);
  }
}
