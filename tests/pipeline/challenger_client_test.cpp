// The challenger client: what each reply means on the three servers it meets (SPEC §1), and the
// requests it makes, checked against challengers that answer as the organisers' servers do.
#include "core/pipeline/challenger_client.h"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <mutex>

#include "core/commands/benchmark_run.h"
#include "io/golden_dataset.h"
#include "tests/faulty_challenger.h"
#include "tests/served_golden.h"
#include "tests/test_support.h"

using namespace lpbf;
using lpbf::test::FaultyChallenger;

namespace {

HttpResponse reply(unsigned status, const std::string& body) {
  HttpResponse r;
  r.status = status;
  r.body.assign(body.begin(), body.end());
  return r;
}

HttpError failed_at(const char* stage) { return HttpError{stage, boost::asio::error::connection_reset, {}}; }

std::shared_ptr<const ServedDataset> golden_small() { return test::served_golden("small"); }

}  // namespace

TEST_CASE("challenger client: a next_batch 404 is the end of the stream unless its body names the bench unknown") {
  CHECK(classify_next_batch({}, reply(200, "\x85")) == NextBatchOutcome::batch);
  CHECK(classify_next_batch({}, reply(404, "")) == NextBatchOutcome::end_of_stream);  // evaluation server
  CHECK(classify_next_batch({}, reply(404, "no more batches\n")) == NextBatchOutcome::end_of_stream);  // ours
  CHECK(classify_next_batch({}, reply(404, "Invalid benchmark_id")) == NextBatchOutcome::bench_forgotten);
  CHECK(classify_next_batch({}, reply(404, "unknown bench 'b1'\n")) == NextBatchOutcome::bench_forgotten);
  CHECK(classify_next_batch({}, reply(412, "Benchmark is deactivated")) == NextBatchOutcome::not_started);
  CHECK(classify_next_batch({}, reply(503, "busy")) == NextBatchOutcome::retry);
  CHECK(classify_next_batch(failed_at("connect"), {}) == NextBatchOutcome::retry);
  CHECK(classify_next_batch({}, reply(400, "bad")) == NextBatchOutcome::refused);
}

TEST_CASE("challenger client: a result whose connection died after it went out has an unknown fate") {
  CHECK(classify_result({}, reply(200, R"({"bench_id":"b","batch_number":3,"query":0,"timestamp":1})")) ==
        ResultOutcome::accepted);
  CHECK(classify_result({}, reply(200, "ok")) == ResultOutcome::accepted);
  CHECK(classify_result(failed_at("read"), {}) == ResultOutcome::unknown);
  CHECK(classify_result(failed_at("write"), {}) == ResultOutcome::unknown);
  CHECK(classify_result(failed_at("connect"), {}) == ResultOutcome::retry);
  CHECK(classify_result({}, reply(502, "")) == ResultOutcome::retry);
  CHECK(classify_result({}, reply(404, "Invalid bench_id")) == ResultOutcome::bench_forgotten);
  CHECK(classify_result({}, reply(400, "bad result")) == ResultOutcome::refused);
}

TEST_CASE("challenger client: the retry policy waits 100, 200, 400, 800, 1000 ms between six attempts") {
  CHECK(kMaxAttempts == 6);
  CHECK(retry_delay(1).count() == 100);
  CHECK(retry_delay(2).count() == 200);
  CHECK(retry_delay(3).count() == 400);
  CHECK(retry_delay(4).count() == 800);
  CHECK(retry_delay(5).count() == 1000);
  CHECK(retry_delay(50).count() == 1000);
}

TEST_CASE("challenger client: the end reply of each server is read once") {
  SUBCASE("the Micro Challenger: per query, latencies as Go durations") {
    const ChallengerStats s = parse_end_reply(
        R"({"0": {"count": 3600, "missing": 2, "throughput": 118.5, "latency_mean": "760ms787µs542ns",
                  "latency_min": "1ms", "latency_max": "1m7s126ms827µs129ns", "latency_p99": "2s"}})");
    CHECK(s.source == "micro");
    CHECK(s.served == 3600);
    CHECK(s.missing == 2);
    CHECK(s.results == 3598);
    CHECK(s.throughput == doctest::Approx(118.5));
    CHECK(s.latency_mean_ms == doctest::Approx(760.787542));
    CHECK(s.latency_min_ms == doctest::Approx(1.0));
    CHECK(s.latency_max_ms == doctest::Approx(67126.827129));
    CHECK(s.latency_p99_ms == doctest::Approx(2000.0));
  }
  SUBCASE("this project's verdict") {
    const ChallengerStats s = parse_end_reply(
        R"({"bench_id": "b1", "served": 20, "results": 19, "missing": 1, "wrong": 2, "duplicates": 0,
            "throughput": 900.5, "latency_ms": {"mean": 3.5, "p50": 3.0, "p99": 9.25, "max": 11.0}})");
    CHECK(s.source == "lpbf-bench");
    CHECK(s.results == 19);
    CHECK(s.wrong == 2);
    CHECK(s.latency_p99_ms == doctest::Approx(9.25));
  }
  SUBCASE("the evaluation server's empty body, and garbage, give no figures") {
    CHECK_FALSE(parse_end_reply("").any());
    CHECK_FALSE(parse_end_reply("ok").any());
    CHECK_FALSE(parse_end_reply("{\"0\": 7}").any());
    CHECK_FALSE(parse_end_reply("[1,2").any());
    const ChallengerStats odd = parse_end_reply(R"({"0": {"count": "many", "latency_p99": "soon"}})");
    CHECK(odd.source == "micro");
    CHECK(odd.served == -1);  // not a number: not taken
    CHECK(odd.latency_p99_ms == -1);
  }
}

TEST_CASE("challenger client: the create body is exactly apitoken, name and test, whatever the run asks for") {
  std::mutex m;
  std::string create_body;
  // As the evaluation server reads it: any other key is refused.
  FaultyChallenger c(golden_small(), [&](Challenger& ch, const HttpRequest& r) -> HttpReply {
    if (r.target == "/api/create") {
      std::lock_guard lock(m);
      create_body = r.body;
      simdjson::dom::parser p;
      simdjson::dom::object o = p.parse(r.body).get_object();
      size_t keys = 0;
      for (auto field : o) {
        (void)field;
        ++keys;
      }
      if (keys != 3 || o["apitoken"].error() || o["name"].error() || o["test"].error())
        return {400, "application/json", "JSON should contain apitoken, name, and a test flag", nullptr};
    }
    return ch.handle(r);
  });
  RunOptions o;
  o.url = c.url();
  o.threads = 1;
  o.max_batches = 7;  // kept by the client, not sent
  const RunResult r = run_benchmark(o);
  CHECK(create_body == R"({"apitoken": "polimi-deib", "name": "lpbf-bench", "test": true})");
  CHECK(r.ledger.released == 7);
  CHECK(r.ledger.answered == 7);
  CHECK(r.ledger.failures.empty());
  CHECK(r.challenger.source == "lpbf-bench");
  CHECK(r.challenger.wrong == 0);
}

TEST_CASE("challenger client: a bench still active for the token fails the run with the bench and how to end it") {
  FaultyChallenger c(golden_small(), [&](Challenger& ch, const HttpRequest& r) -> HttpReply {
    if (r.target == "/api/create")
      return {412, "application/json", "Benchmark 65a1b2c3d4e5f60718293a4b is active. Please end the benchmark.",
              nullptr};
    return ch.handle(r);
  });
  RunOptions o;
  o.url = c.url();
  std::string message;
  try {
    static_cast<void>(run_benchmark(o));
  } catch (const SetupError& e) {
    message = e.what();
  }
  CHECK(message.find("65a1b2c3d4e5f60718293a4b is active") != std::string::npos);
  CHECK(message.find("lpbf-bench end BENCH_ID --url " + c.url()) != std::string::npos);
}

TEST_CASE("challenger client: a bench id that is no id is refused before any path is built from it") {
  for (const std::string reply_body : {std::string(R"("")"), std::string(R"("../../etc")"), std::string(R"("a b")"),
                                       "\"" + std::string(300, 'x') + "\""}) {
    FaultyChallenger c(golden_small(), [&](Challenger& ch, const HttpRequest& r) -> HttpReply {
      if (r.target == "/api/create") return {200, "application/json", reply_body, nullptr};
      return ch.handle(r);
    });
    RunOptions o;
    o.url = c.url();
    CHECK_THROWS_WITH_AS(run_benchmark(o), doctest::Contains("is not a bench id"), SetupError);
  }
}
