// `lpbf-bench --url ...` end to end: the real binary against a challenger on loopback, healthy or
// failing on purpose. Every batch fetched must end answered or listed.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <atomic>
#include <mutex>
#include <set>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <unistd.h>

#include "core/challenger/challenger.h"
#include "core/challenger/challenger_host.h"
#include "io/golden_dataset.h"
#include "tests/faulty_challenger.h"
#include "tests/served_golden.h"
#include "tests/test_support.h"

using namespace lpbf;
using lpbf::test::FaultyChallenger;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const ServedDataset> served(const char* name) { return test::served_golden(name); }

struct Report {
  int64_t batches = 0, results = 0;
  size_t failed = 0, errors = 0;
  std::string text;
};

Report read_report(const fs::path& path) {
  Report r;
  r.text = read_file_bytes(path);
  simdjson::dom::parser p;
  simdjson::dom::element doc = p.parse(r.text);
  r.batches = int64_t(doc["batches"]);
  r.results = int64_t(doc["results"]);
  r.failed = simdjson::dom::array(doc["failed"]).size();
  r.errors = simdjson::dom::array(doc["errors"]).size();
  return r;
}

int64_t last_verdict(Challenger& c, const char* key) {
  const std::string h = c.handle({"GET", "/api/history", ""}).body;
  simdjson::dom::parser p;
  simdjson::dom::array arr = p.parse(h).get_array();
  int64_t v = -1;
  for (simdjson::dom::element e : arr) v = int64_t(e[key]);
  return v;
}

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("lpbf-" + name + "-" + std::to_string(::getpid()) + ".json");
}

}  // namespace

TEST_CASE("run: golden/small through --connections 4 --threads 2: 20 results, all correct") {
  ChallengerHost host(served("small"), "127.0.0.1", 0, 2);
  const fs::path report = temp_file("run-small");
  const auto r = test::run_command(test::binary() + " --url " + host.url() +
                                   " --bench-name e2e --connections 4 --threads 2 --report " + report.string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(last_verdict(host.challenger(), "results") == 20);
  CHECK(last_verdict(host.challenger(), "wrong") == 0);
  CHECK(last_verdict(host.challenger(), "missing") == 0);
  const Report rep = read_report(report);
  CHECK(rep.batches == 20);
  CHECK(rep.results == 20);
  CHECK(rep.failed == 0);
  CHECK(rep.text.find("\"p99\"") != std::string::npos);
  CHECK(r.output.find("20 answered") != std::string::npos);
  fs::remove(report);
}

TEST_CASE("run: golden/tile500 (500x500, every TIFF layout) with one connection and one thread") {
  ChallengerHost host(served("tile500"), "127.0.0.1", 0, 1);
  const auto r = test::run_command(test::binary() + " --url " + host.url() + " --connections 1 --threads 1 --quiet");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(last_verdict(host.challenger(), "results") == 16);
  CHECK(last_verdict(host.challenger(), "wrong") == 0);
}

TEST_CASE("run: results refused with HTTP 500 are retried until taken") {
  std::atomic<int> refused{0};
  std::mutex m;
  std::set<std::string> seen;
  FaultyChallenger ch(served("small"), [&](Challenger& c, const HttpRequest& req) {
    if (req.target.find("/api/result/") != std::string::npos) {
      std::lock_guard lock(m);
      if (seen.insert(req.target).second) {  // the first attempt of every result fails
        ++refused;
        return HttpReply{500, "text/plain", "try again\n", nullptr};
      }
    }
    return c.handle(req);
  });
  const fs::path report = temp_file("run-500");
  const auto r = test::run_command(test::binary() + " --url " + ch.url() + " --quiet --report " + report.string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(refused.load() == 20);
  CHECK(last_verdict(ch.challenger(), "results") == 20);
  CHECK(last_verdict(ch.challenger(), "wrong") == 0);
  CHECK(read_report(report).results == 20);
  fs::remove(report);
}

TEST_CASE("run: a challenger that dies mid-run: every fetched batch is answered or listed, exit 1") {
  // After its 8th result the challenger answers nothing more (each later request's connection is
  // dropped unanswered), and the first such request wakes a thread that kills it (the server cannot
  // join itself): exactly 8 results are acknowledged, however the run is scheduled.
  int results = 0;  // the handler runs on the challenger's one thread
  bool dying = false;
  std::unique_ptr<FaultyChallenger> ch;
  std::promise<void> kill_now;
  std::once_flag once;
  auto wake_killer = [&] { std::call_once(once, [&] { kill_now.set_value(); }); };
  ch = std::make_unique<FaultyChallenger>(served("small"), [&](Challenger& c, const HttpRequest& req) {
    if (dying) {
      wake_killer();
      HttpReply dropped;
      dropped.delivery = ReplyDelivery::drop;
      return dropped;
    }
    HttpReply reply = c.handle(req);
    if (req.target.find("/api/result/") != std::string::npos && ++results == 8) dying = true;
    return reply;
  });
  std::thread killer([&, killed = kill_now.get_future()] {
    killed.wait();
    ch->kill();
  });
  const fs::path report = temp_file("run-dies");
  const auto r = test::run_command(test::binary() + " --url " + ch->url() + " --threads 1 --connections 2 --report " +
                                   report.string());
  wake_killer();  // in case the run ended before an 8th result (the checks below then fail)
  killer.join();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  const Report rep = read_report(report);
  CHECK(rep.results == 8);
  // Nothing silently lost: every batch handed to analysis was answered or is listed as failed.
  CHECK(size_t(rep.batches - rep.results) <= rep.failed);
  CHECK(rep.errors >= 1);  // fetching stopped, and ending the bench failed: both said
  CHECK(r.output.find("Connection refused") != std::string::npos);
  fs::remove(report);
}

TEST_CASE("run: a corrupt TIFF fails its batch alone, named, and the run goes on") {
  const fs::path dir = test::golden_small_with_garbage_batch_6("corrupt");
  ChallengerHost host(std::make_shared<const ServedDataset>(load_served_dataset(dir)), "127.0.0.1", 0, 1);
  const auto r = test::run_command(test::binary() + " --url " + host.url());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("batch 6: TIFF") != std::string::npos);
  CHECK(last_verdict(host.challenger(), "results") == 19);
  fs::remove_all(dir);
}

TEST_CASE("run: an unreachable challenger is a set-up error (exit 2) that says what failed") {
  const auto r = test::run_command(test::binary() + " --url http://127.0.0.1:1 --quiet");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("cannot create a bench at http://127.0.0.1:1: connect: Connection refused") != std::string::npos);
  const auto bad = test::run_command(test::binary() + " --url ftp://x --quiet");
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("only http://") != std::string::npos);
}

TEST_CASE("run: --help, unknown flags and bad numbers") {
  auto r = test::run_command(test::binary() + " --help");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("--connections N") != std::string::npos);  // the option list is there
  CHECK(r.output.find("--report FILE") != std::string::npos);
  r = test::run_command(test::binary() + " --url http://127.0.0.1:1 --frobnicate");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("lpbf-bench: The following argument was not expected: --frobnicate") != std::string::npos);
  r = test::run_command(test::binary() + " --threads zero");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("lpbf-bench: --threads: takes a whole number, not 'zero'") != std::string::npos);
}

TEST_CASE("run with no --url: the embedded challenger, a synthetic stream, a correct verdict") {
  const auto r = test::run_command(test::binary() + " --layers 4 --grid 2 --tile 200");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("embedded challenger at http://127.0.0.1:") != std::string::npos);
  // The summary ends with the challenger's verdict, formatted (its raw reply is in the JSON report only).
  CHECK(r.output.find("\nchallenger: 16 answered, 0 wrong, 0 missing, ") != std::string::npos);
  CHECK(r.output.find("16 answered") != std::string::npos);
}

TEST_CASE("run: a challenger that forgets the bench mid-run (restarted) is told from the end of the stream, exit 1") {
  // After 8 results the challenger is "restarted": a fresh one that never heard of this bench.
  // SPEC §1's 404 on next_batch then looks like the end; /api/end's 404 tells them apart.
  std::atomic<int> results{0};
  Challenger restarted(served("small"));
  FaultyChallenger ch(served("small"), [&](Challenger& c, const HttpRequest& req) {
    if (results.load() >= 8) return restarted.handle(req);
    HttpReply reply = c.handle(req);
    if (req.target.find("/api/result/") != std::string::npos) ++results;
    return reply;
  });
  const fs::path report = temp_file("run-forgotten");
  const auto r = test::run_command(test::binary() + " --url " + ch.url() + " --threads 1 --connections 2 --report " +
                                   report.string());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("no longer knows bench") != std::string::npos);
  CHECK(r.output.find("was not the end of the stream") != std::string::npos);
  CHECK(r.output.find("forgot bench") != std::string::npos);
  const Report rep = read_report(report);
  CHECK(rep.results >= 8);
  CHECK(size_t(rep.batches - rep.results) == rep.failed);  // every fetched, unanswered batch listed
  fs::remove(report);
}

TEST_CASE("run: a usage error is found before any work (no dataset prepared)") {
  const fs::path cache = fs::temp_directory_path() / ("lpbf-run-usage-cache-" + std::to_string(::getpid()));
  fs::remove_all(cache);
  const auto r =
      test::run_command_measured("LPBF_CACHE_DIR=" + cache.string() + " " + test::binary() + " --bogus --layers 100");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("not expected: --bogus") != std::string::npos);
  CHECK(r.output.find("preparing") == std::string::npos);
  CHECK(!fs::exists(cache));   // nothing prepared, nothing cached
  CHECK(r.cpu_seconds < 0.3);  // work done, not wall time: preparing 100 layers costs seconds of CPU
  const auto c = test::run_command(test::binary() + " challenger --port 0 --bogus");
  CHECK(c.exit_code == 2);
  CHECK(c.output.find("preparing") == std::string::npos);
  CHECK(test::run_command(test::binary() + " challenger --faults 2").output.find("--faults: Value 2 not in range") !=
        std::string::npos);
}
