// The embedded challenger (SPEC §1): protocol, scoring, bad requests, concurrency.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <boost/asio/io_context.hpp>
#include <set>

#include "core/challenger/challenger.h"
#include "core/challenger/challenger_host.h"
#include "io/golden_dataset.h"
#include "io/msgpack_codec.h"
#include "tests/http_test_client.h"
#include "tests/served_golden.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace http = boost::beast::http;

namespace {

std::shared_ptr<const ServedDataset> golden_small() { return test::served_golden("small"); }

HttpReply call(Challenger& c, const std::string& method, const std::string& target, std::string body = "") {
  return c.handle({method, target, std::move(body)});
}

std::string create_bench(Challenger& c, const std::string& extra = "") {
  const HttpReply r =
      call(c, "POST", "/api/create", R"({"apitoken": "polimi-deib", "name": "t", "test": true)" + extra + "}");
  REQUIRE(r.status == 200);
  simdjson::dom::parser p;
  return std::string(std::string_view(p.parse(r.body).get_string()));
}

int64_t verdict_field(const std::string& json, const char* key) {
  simdjson::dom::parser p;
  return int64_t(p.parse(json)[key]);
}

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

}  // namespace

TEST_CASE("challenger: batches from a golden directory are its bNNNNNN.tif files, byte for byte") {
  Challenger c(golden_small());
  const std::string bench = create_bench(c);
  CHECK(call(c, "POST", "/api/start/" + bench).status == 200);
  const GoldenDataset golden = load_golden_dataset(test::golden_dir() / "small");
  for (size_t i = 0; i < golden.manifest.size(); ++i) {
    const HttpReply r = call(c, "GET", "/api/next_batch/" + bench);
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "application/msgpack");
    const DecodedBatch d = decode_batch(bytes(*r.shared_body));
    REQUIRE(d.ok());
    CHECK(d.batch.batch_id == golden.manifest[i].batch_id);
    CHECK(d.batch.tile_id == golden.manifest[i].tile_id);
    CHECK(d.batch.tif == golden.load_batch(i).tif);
  }
  CHECK(call(c, "GET", "/api/next_batch/" + bench).status == 404);  // no more batches
}

TEST_CASE("challenger: correct results score 0 wrong, 0 missing; wrong ones are counted with the reason") {
  Challenger c(golden_small());
  const std::string bench = create_bench(c);
  const auto& expected = golden_small()->expected;
  for (size_t i = 0; i < 20; ++i) REQUIRE(call(c, "GET", "/api/next_batch/" + bench).status == 200);
  for (size_t i = 0; i < 16; ++i) {
    TileResult r = expected[i];
    if (i == 1) r.saturated += 1;             // wrong saturated count
    if (i == 8) r.centroids.pop_back();       // a centroid missing
    if (i == 9) r.centroids[0].x += 0.0011;   // off by more than 1e-3
    if (i == 12) r.centroids[0].y += 0.0009;  // within tolerance: right
    const HttpReply reply = call(c, "POST", "/api/result/0/" + bench + "/" + std::to_string(i), encode_result(r));
    CHECK(reply.status == 200);
  }
  const HttpReply end = call(c, "POST", "/api/end/" + bench);
  REQUIRE(end.status == 200);
  CHECK(verdict_field(end.body, "results") == 16);
  CHECK(verdict_field(end.body, "missing") == 4);
  CHECK(verdict_field(end.body, "wrong") == 3);
  CHECK(end.body.find("saturated " + std::to_string(expected[1].saturated + 1) + ", expected " +
                      std::to_string(expected[1].saturated)) != std::string::npos);
  CHECK(end.body.find("centroids, expected") != std::string::npos);
  CHECK(end.body.find("is missing") != std::string::npos);

  Challenger clean(golden_small());
  const std::string b2 = create_bench(clean);
  for (size_t i = 0; i < 20; ++i) call(clean, "GET", "/api/next_batch/" + b2);
  for (size_t i = 0; i < 20; ++i)
    call(clean, "POST", "/api/result/0/" + b2 + "/" + std::to_string(i), encode_result(expected[i]));
  const std::string verdict = call(clean, "POST", "/api/end/" + b2).body;
  CHECK(verdict_field(verdict, "wrong") == 0);
  CHECK(verdict_field(verdict, "missing") == 0);
}

TEST_CASE("challenger: bad requests get 4xx with a reason, never a crash") {
  Challenger c(golden_small());
  CHECK(call(c, "GET", "/api/next_batch/nope").status == 404);
  CHECK(call(c, "POST", "/api/create", "{not json").status == 400);
  CHECK(call(c, "POST", "/api/create", R"({"apitoken": "wrong", "name": "x"})").status == 403);
  CHECK(call(c, "GET", "/api/create").status == 405);
  CHECK(call(c, "GET", "/api/unknown/x").status == 404);
  const std::string bench = create_bench(c);
  CHECK(call(c, "POST", "/api/result/0/" + bench + "/0", "garbage").status == 400);  // nothing served yet
  call(c, "GET", "/api/next_batch/" + bench);
  const HttpReply truncated =
      call(c, "POST", "/api/result/0/" + bench + "/0", encode_result(golden_small()->expected[0]).substr(0, 10));
  CHECK(truncated.status == 400);
  CHECK(truncated.body.find("truncated") != std::string::npos);
  CHECK(call(c, "POST", "/api/result/0/" + bench + "/5", encode_result(golden_small()->expected[5])).status ==
        400);  // never served
  CHECK(call(c, "POST", "/api/result/0/" + bench + "/1", encode_result(golden_small()->expected[0])).status ==
        400);  // id mismatch
  CHECK(call(c, "POST", "/api/result/0/" + bench + "/x", "").status == 400);
  CHECK(call(c, "POST", "/api/result/0/" + bench + "/0", encode_result(golden_small()->expected[0])).status == 200);
  CHECK(call(c, "POST", "/api/result/0/" + bench + "/0", encode_result(golden_small()->expected[0]))
            .body.find("duplicate") != std::string::npos);
}

TEST_CASE("challenger: max_batches limits a bench; benches are independent; history lists verdicts") {
  Challenger c(golden_small());
  const std::string a = create_bench(c, R"(, "max_batches": 3, "queries": [0], "unknown_field": 1)");
  const std::string b = create_bench(c);
  for (int i = 0; i < 3; ++i) CHECK(call(c, "GET", "/api/next_batch/" + a).status == 200);
  CHECK(call(c, "GET", "/api/next_batch/" + a).status == 404);
  const DecodedBatch first_of_b = decode_batch(bytes(*call(c, "GET", "/api/next_batch/" + b).shared_body));
  CHECK(first_of_b.batch.batch_id == 0);  // each bench serves the dataset from its start
  call(c, "POST", "/api/end/" + a);
  const HttpReply h = call(c, "GET", "/api/history");
  CHECK(h.status == 200);
  simdjson::dom::parser p;
  simdjson::dom::array arr = p.parse(h.body).get_array();
  CHECK(arr.size() == 2);
  CHECK(call(c, "GET", "/").body.find("<progress") != std::string::npos);
}

TEST_CASE("challenger over HTTP: 16 concurrent connections on one bench get every batch exactly once") {
  SyntheticSpec spec;
  spec.layers = 20, spec.grid = 4, spec.tile = 40;
  auto ds = std::make_shared<const ServedDataset>(make_synthetic_dataset(spec));
  ChallengerHost host(ds, "127.0.0.1", 0, 2);
  test::HttpTestClient control(host.url());
  simdjson::dom::parser p;
  const std::string created =
      control.call(http::verb::post, "/api/create", R"({"apitoken": "polimi-deib", "name": "c16"})").text();
  const std::string bench = std::string(std::string_view(p.parse(created).get_string()));

  boost::asio::io_context io;
  const HttpUrl u = parse_http_url(host.url());
  std::vector<std::shared_ptr<HttpConnection>> conns;
  std::vector<int64_t> served;
  size_t posted = 0;
  std::function<void(size_t)> next = [&](size_t i) {
    conns[i]->request(
        http::verb::get, "/api/next_batch/" + bench, "", "", [&, i](const HttpError& e, HttpResponse&& r) {
          if (e || r.status != 200) return;
          const DecodedBatch d = decode_batch(std::make_shared<const ByteBuffer>(std::move(r.body)));
          served.push_back(d.batch.batch_id);
          conns[i]->request(http::verb::post, "/api/result/0/" + bench + "/" + std::to_string(d.batch.batch_id),
                            encode_result(ds->expected[size_t(d.batch.batch_id)]), "application/msgpack",
                            [&, i](const HttpError& e2, HttpResponse&& r2) {
                              if (!e2 && r2.status == 200) ++posted;
                              next(i);
                            });
        });
  };
  for (size_t i = 0; i < 16; ++i) {
    conns.push_back(std::make_shared<HttpConnection>(io, u.host, u.port, std::chrono::milliseconds(5000)));
    next(i);
  }
  io.run();
  CHECK(served.size() == ds->batches.size());
  CHECK(std::set<int64_t>(served.begin(), served.end()).size() == ds->batches.size());
  CHECK(posted == ds->batches.size());
  const std::string verdict = control.call(http::verb::post, "/api/end/" + bench).text();
  CHECK(verdict_field(verdict, "results") == int64_t(ds->batches.size()));
  CHECK(verdict_field(verdict, "wrong") == 0);
  CHECK(verdict_field(verdict, "duplicates") == 0);
}

TEST_CASE("challenger over HTTP: a body over the limit gets 413") {
  ChallengerHost host(golden_small(), "127.0.0.1", 0, 1);
  test::HttpTestClient client(host.url());
  const HttpResponse r = client.call(http::verb::post, "/api/create", std::string(kMaxRequestBody + 10, 'x'));
  CHECK(r.status == 413);
  test::HttpTestClient again(host.url());  // the server is still up
  CHECK(again.call(http::verb::get, "/api/history").status == 200);
}

TEST_CASE("synthetic stream: same seed, same bytes; the default stream has outlier clusters") {
  SyntheticSpec spec;
  spec.layers = 4, spec.grid = 2, spec.tile = 120;
  const ServedDataset a = make_synthetic_dataset(spec), b = make_synthetic_dataset(spec);
  REQUIRE(a.batches.size() == 16);
  for (size_t i = 0; i < a.batches.size(); ++i) CHECK(*a.batches[i] == *b.batches[i]);
  spec.seed = 2;
  CHECK(*make_synthetic_dataset(spec).batches[5] != *a.batches[5]);

  const ServedDataset def = make_synthetic_dataset(SyntheticSpec{});  // what `make run` serves
  size_t with_clusters = 0, saturated = 0;
  for (const TileResult& r : def.expected) with_clusters += !r.centroids.empty(), saturated += size_t(r.saturated);
  CHECK(with_clusters > def.expected.size() / 4);
  CHECK(saturated > 0);
}
