// `challenger --emulate evaluation` (core/challenger/challenger_evaluation.cpp): every row of the
// evaluation server's wire behaviour (issue 21), over real HTTP on loopback.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "core/challenger/challenger.h"
#include "core/challenger/challenger_host.h"
#include "io/msgpack_codec.h"
#include "tests/http_test_client.h"
#include "tests/served_golden.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace http = boost::beast::http;

namespace {

std::shared_ptr<const ServedDataset> golden_small() { return test::served_golden("small"); }

// An evaluation server on an ephemeral loopback port, and a client of it.
struct Evaluation {
  explicit Evaluation(std::shared_ptr<const ServedDataset> ds = golden_small(), std::filesystem::path state_file = {})
      : host(std::move(ds), "127.0.0.1", 0, 1, kDefaultApiToken, {},
             {Emulation::evaluation, nullptr, std::move(state_file)}),
        client(host.url()) {}
  HttpResponse post(const std::string& target, std::string body = "") {
    return client.call(http::verb::post, target, std::move(body), "application/json");
  }
  HttpResponse get(const std::string& target) { return client.call(http::verb::get, target); }
  std::string create(const std::string& name = "t") {
    const HttpResponse r =
        post("/api/create", R"({"apitoken": "polimi-deib", "name": ")" + name + R"(", "test": true})");
    REQUIRE(r.status == 200);
    simdjson::dom::parser p;
    return std::string(std::string_view(p.parse(r.text()).get_string()));
  }
  ChallengerHost host;
  test::HttpTestClient client;
};

std::string body(const HttpResponse& r) { return std::string(r.body.begin(), r.body.end()); }
std::span<const uint8_t> bytes(const HttpResponse& r) { return {r.body.data(), r.body.size()}; }

constexpr const char* kBadCreate = "JSON should contain apitoken, name, and a test flag";

}  // namespace

TEST_CASE("evaluation: create takes exactly apitoken, name and test; a wrong token is 403; an id is 24 hex") {
  Evaluation e;
  for (const std::string extra : {R"(, "max_batches": 3)", R"(, "queries": [0])", R"(, "max_batches": null)"}) {
    CAPTURE(extra);
    const HttpResponse r =
        e.post("/api/create", R"({"apitoken": "polimi-deib", "name": "x", "test": true)" + extra + "}");
    CHECK(r.status == 400);
    CHECK(body(r) == kBadCreate);
  }
  CHECK(body(e.post("/api/create", R"({"apitoken": "polimi-deib", "name": "x"})")) == kBadCreate);  // no test flag
  CHECK(body(e.post("/api/create", R"({"apitoken": "polimi-deib", "name": 3, "test": true})")) == kBadCreate);
  CHECK(body(e.post("/api/create", "{not json")) == kBadCreate);
  const HttpResponse forbidden = e.post("/api/create", R"({"apitoken": "wrong", "name": "x", "test": false})");
  CHECK(forbidden.status == 403);
  CHECK(body(forbidden) == "Invalid token.");
  CHECK(std::regex_match(e.create(), std::regex("[0-9a-f]{24}")));
  // Errors are plain text labelled JSON, as the real server's.
  Challenger c(golden_small(), kDefaultApiToken, {Emulation::evaluation, nullptr, {}});
  CHECK(c.handle({"POST", "/api/create", "{}"}).content_type == "application/json");
}

TEST_CASE("evaluation: one started bench per token; another create is 412 naming it, until it ends") {
  Evaluation e;
  const std::string a = e.create("a");
  const std::string b = e.create("b");  // created, not started: does not block
  CHECK(a != b);
  REQUIRE(e.post("/api/start/" + a).status == 200);
  const HttpResponse blocked = e.post("/api/create", R"({"apitoken": "polimi-deib", "name": "c", "test": true})");
  CHECK(blocked.status == 412);
  CHECK(body(blocked) == "Benchmark " + a + " is active. Please end the benchmark.");
  REQUIRE(e.post("/api/end/" + a).status == 200);
  e.create("d");
}

TEST_CASE("evaluation: next_batch, result and end before start are 412 Benchmark is deactivated") {
  Evaluation e;
  const std::string id = e.create();
  for (const HttpResponse& r :
       {e.get("/api/next_batch/" + id), e.post("/api/result/0/" + id + "/0"), e.post("/api/end/" + id)}) {
    CHECK(r.status == 412);
    CHECK(body(r) == "Benchmark is deactivated");
  }
}

TEST_CASE("evaluation: start answers bench_id and a monotonic start_time") {
  Evaluation e;
  const std::string id = e.create();
  const HttpResponse r = e.post("/api/start/" + id);
  REQUIRE(r.status == 200);
  simdjson::dom::parser p;
  const auto o = p.parse(r.text());
  CHECK(std::string_view(o["bench_id"]) == id);
  CHECK(int64_t(o["start_time"]) > 0);
}

TEST_CASE("evaluation: a complete stream, each result answered, ends in an empty 404 on every later call") {
  Evaluation e;
  const std::string id = e.create();
  REQUIRE(e.post("/api/start/" + id).status == 200);
  const auto& ds = *golden_small();
  simdjson::dom::parser p;
  for (size_t i = 0; i < ds.batches.size(); ++i) {
    const HttpResponse r = e.get("/api/next_batch/" + id);
    REQUIRE(r.status == 200);
    const DecodedBatch d = decode_batch(bytes(r));
    REQUIRE(d.ok());
    CHECK(d.batch.batch_id == ds.batch_ids[i]);
    const HttpResponse posted =
        e.post("/api/result/0/" + id + "/" + std::to_string(d.batch.batch_id), encode_result(ds.expected[i]));
    REQUIRE(posted.status == 200);
    const auto o = p.parse(posted.text());
    CHECK(std::string_view(o["bench_id"]) == id);
    CHECK(int64_t(o["batch_number"]) == d.batch.batch_id);
    CHECK(int64_t(o["query"]) == 0);
    CHECK(int64_t(o["timestamp"]) > 0);
  }
  for (int again = 0; again < 3; ++again) {
    const HttpResponse r = e.get("/api/next_batch/" + id);
    CHECK(r.status == 404);
    CHECK(r.body.empty());
  }
  const std::string verdict = e.host.challenger().verdict(id).value();
  CHECK(verdict.find("\"results\": " + std::to_string(ds.batches.size())) != std::string::npos);
  CHECK(verdict.find("\"wrong\": 0") != std::string::npos);
  const HttpResponse end = e.post("/api/end/" + id);
  CHECK(end.status == 200);
  CHECK(end.body.empty());
}

TEST_CASE("evaluation: an unknown or ended bench is 404 Invalid benchmark_id (Invalid bench_id on result)") {
  Evaluation e;
  const std::string unknown = "0123456789abcdef01234567";
  CHECK(body(e.post("/api/start/" + unknown)) == "Invalid benchmark_id");
  CHECK(body(e.get("/api/next_batch/" + unknown)) == "Invalid benchmark_id");
  CHECK(body(e.post("/api/end/" + unknown)) == "Invalid benchmark_id");
  CHECK(body(e.post("/api/result/0/" + unknown + "/0")) == "Invalid bench_id");

  const std::string id = e.create();
  REQUIRE(e.post("/api/start/" + id).status == 200);
  REQUIRE(e.get("/api/next_batch/" + id).status == 200);
  const HttpResponse end = e.post("/api/end/" + id);
  CHECK(end.status == 200);
  CHECK(end.body.empty());
  for (const HttpResponse& r : {e.post("/api/start/" + id), e.get("/api/next_batch/" + id), e.post("/api/end/" + id)}) {
    CHECK(r.status == 404);
    CHECK(body(r) == "Invalid benchmark_id");
  }
  const HttpResponse late = e.post("/api/result/0/" + id + "/0");
  CHECK(late.status == 404);
  CHECK(body(late) == "Invalid bench_id");
  // The verdict stays reachable in-process: 1 served, none answered.
  const std::string verdict = e.host.challenger().verdict(id).value();
  CHECK(verdict.find("\"state\": \"ended\"") != std::string::npos);
  CHECK(verdict.find("\"served\": 1") != std::string::npos);
}

TEST_CASE("evaluation: the body of a result is not looked at on the wire; a duplicate is counted again") {
  Evaluation e;
  const std::string id = e.create();
  REQUIRE(e.post("/api/start/" + id).status == 200);
  REQUIRE(e.get("/api/next_batch/" + id).status == 200);
  const std::string result = encode_result(golden_small()->expected[0]);
  const HttpResponse first = e.post("/api/result/0/" + id + "/0", result);
  const HttpResponse again = e.post("/api/result/0/" + id + "/0", result);
  CHECK(first.status == 200);
  CHECK(again.status == 200);
  CHECK(body(again).find("\"batch_number\": 0") != std::string::npos);
  CHECK(e.post("/api/result/0/" + id + "/0", "garbage").status == 200);  // 200 on the wire, wrong in the verdict
  const std::string verdict = e.host.challenger().verdict(id).value();
  CHECK(verdict.find("\"duplicates\": 1") != std::string::npos);  // the garbage is wrong, not a duplicate
  CHECK(verdict.find("\"wrong\": 1") != std::string::npos);
}

TEST_CASE("evaluation: no history, plot, metrics or status page on the wire") {
  Evaluation e;
  const std::string id = e.create();
  for (const std::string& target :
       std::vector<std::string>{"/api/history", "/api/plot/" + id, "/metrics", "/", "/dash"}) {
    CAPTURE(target);
    CHECK(e.get(target).status == 404);
  }
  CHECK(e.get("/api/create").status == 405);
}

TEST_CASE("evaluation: with a state file, a started bench stays active across a restart") {
  const std::filesystem::path state =
      std::filesystem::temp_directory_path() / ("lpbf-evaluation-state-" + std::to_string(::getpid()));
  std::filesystem::remove(state);
  std::string id;
  {
    Evaluation e(golden_small(), state);
    id = e.create();
    REQUIRE(e.post("/api/start/" + id).status == 200);
    CHECK(std::filesystem::exists(state));
  }
  {
    Evaluation restarted(golden_small(), state);
    const HttpResponse r = restarted.post("/api/create", R"({"apitoken": "polimi-deib", "name": "y", "test": true})");
    CHECK(r.status == 412);
    CHECK(body(r) == "Benchmark " + id + " is active. Please end the benchmark.");
    CHECK(body(restarted.post("/api/end/" + id)) == "Invalid benchmark_id");  // as stuck as the real one
  }
  std::filesystem::remove(state);
  {
    Evaluation cleared(golden_small(), state);
    const std::string next = cleared.create();
    REQUIRE(cleared.post("/api/start/" + next).status == 200);
    REQUIRE(cleared.post("/api/end/" + next).status == 200);
    CHECK_FALSE(std::filesystem::exists(state));  // nothing active: no file
  }
}
