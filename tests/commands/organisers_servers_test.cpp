// The runner against emulations of the DEBS organisers' two servers (challenger --emulate): a
// complete exact run on each, ids from 1, a second run while a bench is active, a bench forgotten
// mid-stream, ending a stuck bench, and a recorded stream replayed and served again.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <atomic>
#include <filesystem>
#include <unistd.h>

#include "core/challenger/challenger_host.h"
#include "core/commands/benchmark_run.h"
#include "tests/faulty_challenger.h"
#include "tests/http_test_client.h"
#include "tests/served_golden.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

std::shared_ptr<const ServedDataset> golden_small(int64_t first_id = 0) {
  return with_first_batch_id(test::served_golden("small"), first_id);
}

// The challenger's own scoring of a bench, which the evaluation emulation keeps off the wire.
int64_t wrong_of(Challenger& c, const std::string& bench) {
  const std::optional<std::string> verdict = c.verdict(bench);
  REQUIRE(verdict);
  simdjson::dom::parser p;
  return int64_t(p.parse(*verdict)["wrong"]);
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("lpbf-organisers-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

}  // namespace

TEST_CASE("organisers' servers: a complete, exact run on each emulation, ids from 0 and from 1") {
  for (const Emulation mode : {Emulation::evaluation, Emulation::local, Emulation::none})
    for (const int64_t first : {int64_t(0), int64_t(1)}) {
      CAPTURE(emulation_name(mode));
      CAPTURE(first);
      ChallengerHost host(golden_small(first), "127.0.0.1", 0, 1, kDefaultApiToken, {}, {mode, nullptr, {}});
      RunOptions o;
      o.url = host.url();
      o.threads = 2;
      const RunResult r = run_benchmark(o);
      CHECK(r.ledger.released == 20);
      CHECK(r.ledger.answered == 20);
      CHECK(r.ledger.failures.empty());
      CHECK(r.ledger.errors.empty());
      CHECK(r.ledger.incomplete_windows.empty());
      CHECK(r.ledger.uncertain_reposts == 0);
      CHECK_FALSE(r.bench_forgotten);
      CHECK(wrong_of(host.challenger(), r.bench_id) == 0);
      if (mode == Emulation::evaluation) {
        CHECK(r.end_reply.empty());  // results appear on the organisers' web site
        CHECK_FALSE(r.challenger.any());
      } else if (mode == Emulation::local) {
        CHECK(r.challenger.source == "micro");
        CHECK(r.challenger.served == 20);
        CHECK(r.challenger.missing == 0);
        CHECK(r.challenger.latency_p99_ms >= 0);
      } else {
        CHECK(r.challenger.wrong == 0);
      }
    }
}

TEST_CASE("organisers' servers: --max-batches stops the client on a server that has no such setting") {
  ChallengerHost host(golden_small(), "127.0.0.1", 0, 1, kDefaultApiToken, {}, {Emulation::evaluation, nullptr, {}});
  RunOptions o;
  o.url = host.url();
  o.max_batches = 9;
  const RunResult r = run_benchmark(o);
  CHECK(r.ledger.released == 9);
  CHECK(r.ledger.answered == 9);
  CHECK(r.ledger.failures.empty());
  CHECK(r.ledger.errors.empty());
}

TEST_CASE("organisers' servers: a bench left active blocks the next run, which names it; `lpbf-bench end` frees it") {
  ChallengerHost host(golden_small(), "127.0.0.1", 0, 1, kDefaultApiToken, {}, {Emulation::evaluation, nullptr, {}});
  // A run that crashed after start: its bench stays active.
  test::HttpTestClient c(host.url());
  const HttpResponse created =
      c.call(http::verb::post, "/api/create", R"({"apitoken": "polimi-deib", "name": "crashed", "test": true})",
             "application/json");
  simdjson::dom::parser p;
  const std::string stuck(std::string_view(p.parse(created.text()).get_string()));
  REQUIRE(c.call(http::verb::post, "/api/start/" + stuck).status == 200);

  const auto blocked = test::run_command(test::binary() + " --url " + host.url() + " --quiet");
  CHECK(blocked.exit_code == 2);
  CHECK(blocked.output.find("Benchmark " + stuck + " is active") != std::string::npos);
  CHECK(blocked.output.find("lpbf-bench end BENCH_ID --url " + host.url()) != std::string::npos);

  const auto ended = test::run_command(test::binary() + " end " + stuck + " --url " + host.url());
  CHECK(ended.exit_code == 0);
  CHECK(ended.output.find("ended bench " + stuck) != std::string::npos);
  const auto again = test::run_command(test::binary() + " end " + stuck + " --url " + host.url());
  CHECK(again.exit_code == 1);  // the evaluation server forgets an ended bench
  CHECK(again.output.find("does not know bench " + stuck) != std::string::npos);

  const auto run = test::run_command(test::binary() + " --url " + host.url() + " --quiet");
  CHECK(run.exit_code == 0);
}

TEST_CASE("organisers' servers: a bench forgotten mid-stream fails the run, never passes for the end of the stream") {
  std::atomic<int> served{0};
  test::FaultyChallenger c(golden_small(),
                           [&](Challenger& ch, const HttpRequest& r) -> HttpReply {
                             // After 8 batches the bench is ended behind the run's back: from then on the evaluation
                             // server answers 404 `Invalid benchmark_id`.
                             const std::string prefix = "/api/next_batch/";
                             if (r.target.rfind(prefix, 0) == 0 && ++served == 9)
                               static_cast<void>(ch.handle({"POST", "/api/end/" + r.target.substr(prefix.size()), ""}));
                             return ch.handle(r);
                           },
                           {Emulation::evaluation, nullptr, {}});
  RunOptions o;
  o.url = c.url();
  o.connections = 1;
  o.threads = 1;
  o.max_in_flight = 1;
  const RunResult r = run_benchmark(o);
  CHECK(r.bench_forgotten);
  CHECK(r.ledger.released == 8);
  bool said = false;
  for (const std::string& e : r.ledger.errors)
    said |= e.find("no longer knows bench " + r.bench_id) != std::string::npos;
  CHECK(said);
  // Every batch fetched is answered or listed.
  CHECK(r.ledger.answered + r.ledger.failures.size() == r.ledger.released);
  const auto exit = test::run_command(test::binary() + " end " + r.bench_id + " --url " + c.url());
  CHECK(exit.exit_code == 1);
}

TEST_CASE("organisers' servers: a recorded stream replays exactly and, served again, scores a later run") {
  const fs::path dir = temp_dir("record");
  ChallengerHost host(golden_small(1), "127.0.0.1", 0, 1, kDefaultApiToken, {}, {Emulation::local, nullptr, {}});
  const auto recorded =
      test::run_command(test::binary() + " --url " + host.url() + " --record " + dir.string() + " --threads 2");
  INFO(recorded.output);
  CHECK(recorded.exit_code == 0);
  CHECK(recorded.output.find("recording") != std::string::npos);
  CHECK(fs::exists(dir / "manifest.json"));
  CHECK(fs::exists(dir / "results.json"));

  const auto replayed = test::run_command(test::binary() + " replay " + dir.string() + " --check");
  INFO(replayed.output);
  CHECK(replayed.exit_code == 0);

  // Served from the recording, a later run is scored against the recorded answers.
  const auto rerun = test::run_command(test::binary() + " --dataset " + dir.string() + " --threads 2");
  INFO(rerun.output);
  CHECK(rerun.exit_code == 0);
  CHECK(rerun.output.find("20 answered, 0 failed") != std::string::npos);

  // A second recording into the same directory is refused before any bench exists.
  const auto refused = test::run_command(test::binary() + " --url " + host.url() + " --record " + dir.string());
  CHECK(refused.exit_code == 2);
  CHECK(refused.output.find("--record") != std::string::npos);
  fs::remove_all(dir);
}
