// The Kafka path under rebalances it does not choose: worker processes stopped (SIGTERM), killed
// (SIGKILL) and paused past their session timeout (SIGSTOP, then SIGCONT) at seeded random
// moments, while the runner keeps 128-256 batches in flight over 16 partitions. Every batch must
// be answered exactly once, and right: the embedded challenger scores each answer against the
// reference kernels, as for an in-process run.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <algorithm>
#include <random>

#include "core/challenger/challenger_host.h"
#include "tests/test_support.h"

using namespace lpbf;
using test::Background;

namespace {

struct Verdict {
  int64_t served = -1, results = -1, wrong = -1, duplicates = -1, missing = -1;
};

Verdict last_verdict(Challenger& c) {
  const std::string h = c.handle({"GET", "/api/history", ""}).body;
  simdjson::dom::parser p;
  Verdict v;
  for (simdjson::dom::element e : p.parse(h).get_array())
    v = {int64_t(e["served"]), int64_t(e["results"]), int64_t(e["wrong"]), int64_t(e["duplicates"]),
         int64_t(e["missing"])};
  return v;
}

constexpr int kSessionMs = 4000;

struct Chaos {
  std::string brokers;
  std::mt19937 rng;
  std::vector<std::unique_ptr<Background>> workers;
  std::vector<std::string> log;

  void start_worker() {
    workers.push_back(std::make_unique<Background>(test::binary() + " worker --kafka " + brokers + " --partitions 16" +
                                                   " --session-timeout-ms " + std::to_string(kSessionMs)));
  }
  std::vector<std::pair<int, std::chrono::steady_clock::time_point>> paused;  // pid, when to SIGCONT

  // One random blow to a random worker; a worker stopped or killed is replaced, a paused one
  // resumes once the group has given it up (resume_due).
  void strike() {
    const size_t i = std::uniform_int_distribution<size_t>(0, workers.size() - 1)(rng);
    const int pid = workers[i]->pid;
    switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
      case 0:
        log.push_back("SIGTERM " + std::to_string(pid));
        resume(pid);
        ::kill(pid, SIGTERM);
        workers.erase(workers.begin() + long(i));
        start_worker();
        break;
      case 1:
        log.push_back("SIGKILL " + std::to_string(pid));
        ::kill(pid, SIGKILL);
        std::erase_if(paused, [&](const auto& p) { return p.first == pid; });
        workers.erase(workers.begin() + long(i));
        start_worker();
        break;
      default:
        if (std::any_of(paused.begin(), paused.end(), [&](const auto& p) { return p.first == pid; })) break;
        log.push_back("SIGSTOP " + std::to_string(pid));
        ::kill(pid, SIGSTOP);
        paused.emplace_back(pid, std::chrono::steady_clock::now() + std::chrono::milliseconds(kSessionMs + 1000));
        break;
    }
  }
  void resume(int pid) {
    for (auto it = paused.begin(); it != paused.end();)
      if (it->first == pid) {
        ::kill(pid, SIGCONT);
        log.push_back("SIGCONT " + std::to_string(pid));
        it = paused.erase(it);
      } else {
        ++it;
      }
  }
  void resume_due(bool all) {
    const auto now = std::chrono::steady_clock::now();
    std::vector<int> due;
    for (const auto& [pid, at] : paused)
      if (all || at <= now) due.push_back(pid);
    for (int pid : due) resume(pid);
  }
};

void chaos_run(unsigned seed) {
  Background mock(test::binary() + " kafka-mock --partitions 16");
  REQUIRE(mock.wait_for("mock Kafka cluster: "));
  std::string brokers = mock.output().substr(mock.output().find(": ") + 2);
  brokers = brokers.substr(0, brokers.find('\n'));

  SyntheticSpec spec;  // 1536 batches of 100x100 px: the mock keeps 5 MB a partition, hundreds of these
  spec.layers = 96, spec.grid = 4, spec.tile = 100, spec.seed = seed;
  ChallengerHost host(std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, "raw")), "127.0.0.1", 0, 1);

  Chaos chaos{brokers, std::mt19937(seed), {}, {}, {}};
  for (int i = 0; i < 3; ++i) chaos.start_worker();
  const int in_flight = std::uniform_int_distribution<int>(128, 256)(chaos.rng);
  Background runner("(" + test::binary() + " --url " + host.url() + " --kafka " + brokers +
                    " --workers 0 --partitions 16" + " --max-in-flight " + std::to_string(in_flight) +
                    " --kafka-partition-bytes 2000000 --kafka-timeout 90 --quiet; echo exit=$?)");
  // The blows start once the bench does (the runner waits for the workers first), at random moments.
  const auto start = std::chrono::steady_clock::now();
  while (last_verdict(host.challenger()).served <= 0 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(40))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto next_blow = std::chrono::steady_clock::now();
  int blows = 0;
  while (runner.output().find("exit=") == std::string::npos &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(150)) {
    chaos.resume_due(false);
    if (blows < 6 && std::chrono::steady_clock::now() >= next_blow) {
      chaos.strike();
      ++blows;
      next_blow = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 500)(chaos.rng));
    }
    if (blows >= 6)
      chaos.resume_due(std::chrono::steady_clock::now() > next_blow + std::chrono::seconds(kSessionMs / 1000 + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  chaos.resume_due(true);
  REQUIRE(runner.wait_for("exit=", std::chrono::seconds(150)));
  const Verdict v = last_verdict(host.challenger());
  std::string blow_log;
  for (const std::string& b : chaos.log) blow_log += b + "; ";
  INFO("seed " << seed << ", in flight " << in_flight << ", blows: " << blow_log);
  INFO(runner.output());
  std::string worker_output;
  for (const auto& w : chaos.workers) worker_output += "worker " + std::to_string(w->pid) + ": " + w->output() + "\n";
  INFO(worker_output);
  MESSAGE("seed " << seed << ": " << chaos.log.size() << " blows, in flight " << in_flight << ", "
                  << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s");
  CHECK(runner.output().find("exit=0") != std::string::npos);
  CHECK(v.results == 1536);
  CHECK(v.wrong == 0);
  CHECK(v.missing == 0);
  CHECK(v.duplicates == 0);
}

}  // namespace

// make check runs these (ctest -L check) and again on one core; make test leaves them out.
TEST_SUITE_BEGIN("chaos");

TEST_CASE("kafka chaos: workers stopped, killed and paused at random, seed 1: every batch answered once, right") {
  chaos_run(1);
}
TEST_CASE("kafka chaos: workers stopped, killed and paused at random, seed 2: every batch answered once, right") {
  chaos_run(2);
}
TEST_CASE("kafka chaos: workers stopped, killed and paused at random, seed 3: every batch answered once, right") {
  chaos_run(3);
}

TEST_SUITE_END();
