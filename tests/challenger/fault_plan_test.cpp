// `challenger --faults`: the runner against a challenger that misbehaves on a share of requests.
// Whatever is injected, nothing is silently lost or silently wrong: the batches the challenger
// lost in flight are exactly the runner's failed ones, and every result it counts wrong was
// flagged as computed on an incomplete window.
#include <doctest/doctest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "core/challenger/challenger_host.h"
#include "core/challenger/fault_plan.h"
#include "io/golden_dataset.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

std::set<int64_t> ids_of(simdjson::dom::array a, const char* key = nullptr) {
  std::set<int64_t> out;
  for (simdjson::dom::element e : a) out.insert(key ? int64_t(e[key]) : int64_t(e));
  return out;
}

// `runner_flags`: more options of the run, e.g. the Kafka path.
void run_against_faults(double rate, uint64_t seed, const std::string& runner_flags = "") {
  SyntheticSpec spec;
  spec.layers = 16;
  spec.grid = 4;
  spec.tile = 64;
  ChallengerHost host(std::make_shared<const ServedDataset>(make_synthetic_dataset(spec, "")), "127.0.0.1", 0, 2);
  host.challenger().inject_faults(FaultPlan(rate, seed));
  const fs::path report = fs::temp_directory_path() / ("lpbf-faults-" + std::to_string(::getpid()) + ".json");
  const auto r = test::run_command(test::binary() + " --url " + host.url() + " --quiet --threads 2 --report " +
                                   report.string() + runner_flags);
  INFO("rate " << rate << " seed " << seed << "\n" << r.output);
  CHECK(r.exit_code == 1);

  simdjson::dom::parser p1, p2;
  const std::string report_text = read_file_bytes(report);
  simdjson::dom::element rep = p1.parse(report_text);
  const std::string history = host.challenger().handle({"GET", "/api/history", ""}).body;
  simdjson::dom::element verdict = p2.parse(history).get_array().at(0);
  INFO(report_text);
  INFO(history);

  CHECK(int64_t(verdict["faults_injected"]) > 0);
  // Lost in flight == the runner's failed list; nothing else failed. A batch cut after the last one
  // received cannot be seen as a gap: the runner then says that later batches may be lost.
  const std::set<int64_t> lost = ids_of(verdict["lost"].get_array());
  const std::set<int64_t> failed = ids_of(rep["failed"].get_array(), "batch_id");
  for (simdjson::dom::element f : rep["failed"].get_array())
    CHECK(std::string(std::string_view(f["reason"])).find("never received") != std::string::npos);
  std::set<int64_t> unseen;
  std::set_difference(lost.begin(), lost.end(), failed.begin(), failed.end(), std::inserter(unseen, unseen.end()));
  CHECK(std::includes(lost.begin(), lost.end(), failed.begin(), failed.end()));
  const size_t errors = simdjson::dom::array(rep["errors"]).size();
  if (!unseen.empty()) {
    CHECK(errors == 1);
    CHECK(report_text.find("may have served later batches") != std::string::npos);
    for (int64_t id : unseen) CHECK((failed.empty() || id > *failed.rbegin()));  // after every gap
  }
  CHECK(errors <= 1);
  // Every wrong result was flagged; results were answered once each, repeats counted as duplicates.
  const std::set<int64_t> flagged = ids_of(rep["incomplete_windows"].get_array(), "batch_id");
  for (int64_t id : ids_of(verdict["wrong_batches"].get_array())) {
    INFO("wrong batch " << id);
    CHECK(flagged.count(id) == 1);
  }
  CHECK(int64_t(verdict["results"]) == int64_t(rep["results"]));
  CHECK(int64_t(verdict["results"]) + int64_t(lost.size()) == int64_t(verdict["batches"]));
  fs::remove(report);
}

}  // namespace

TEST_CASE("faults: a plan is deterministic for a seed and injects about its rate, each kind where it applies") {
  FaultPlan a(0.3, 7), b(0.3, 7);
  int injected = 0, cut_on_results = 0, dropped_after_on_batches = 0;
  int by_kind[kFaultKinds] = {};
  for (int i = 0; i < 10000; ++i) {
    const bool is_result = i % 2;
    const Fault f = a.draw(is_result);
    CHECK(f == b.draw(is_result));
    injected += f != Fault::none;
    ++by_kind[int(f)];
    cut_on_results += is_result && f == Fault::cut_body;
    dropped_after_on_batches += !is_result && f == Fault::drop_after;
  }
  CHECK(injected > 2700);
  CHECK(injected < 3300);
  CHECK(cut_on_results == 0);
  // Each kind a quarter of its calls' faults: 503, drop and slow for both, cut_body and drop_after for one each.
  for (Fault f : {Fault::refuse_503, Fault::drop_before, Fault::slow}) CHECK(by_kind[int(f)] > 600);
  for (Fault f : {Fault::cut_body, Fault::drop_after}) CHECK(by_kind[int(f)] > 300);
  CHECK(dropped_after_on_batches == 0);
  CHECK(FaultPlan().draw(false) == Fault::none);
}

TEST_CASE("faults 0.1, two seeds: the runner's failed list is the challenger's lost list; every wrong answer flagged") {
  run_against_faults(0.1, 1);
  run_against_faults(0.1, 2);
}

TEST_CASE("faults 0.3, two seeds: the runner's failed list is the challenger's lost list; every wrong answer flagged") {
  run_against_faults(0.3, 3);
  run_against_faults(0.3, 4);
}

TEST_CASE("faults through Kafka: lost batches are the failed ones, and every wrong answer is flagged") {
  // Workers report which layers an answer's window lacked in their outcome (io/msgpack_codec.h).
  run_against_faults(0.1, 3, " --kafka mock --workers 2");
}
