// SPEC §3: prints interleave. A synthetic stream of three prints with the same tile ids, end to
// end: the pipeline against the embedded challenger, and `lpbf-bench replay` on its golden-format
// directory. Each must be exact, scored by the reference kernels (core/challenger/served_dataset.cpp).
#include <doctest/doctest.h>

#include <filesystem>
#include <unistd.h>

#include "core/challenger/challenger_host.h"
#include "core/challenger/dataset_cache.h"
#include "core/commands/benchmark_run.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

SyntheticSpec three_prints() {
  SyntheticSpec spec;
  spec.layers = 5, spec.grid = 2, spec.tile = 120, spec.prints = 3;
  return spec;
}

}  // namespace

TEST_CASE("prints interleave: three prints through the pipeline, every answer exact") {
  ChallengerHost host(std::make_shared<const ServedDataset>(make_synthetic_dataset(three_prints(), "")), "127.0.0.1", 0,
                      1);
  RunOptions o;
  o.url = host.url();
  o.threads = 2;
  o.connections = 3;
  const RunResult r = run_benchmark(o);
  CHECK(r.ledger.released == 60);
  CHECK(r.ledger.answered == 60);
  CHECK(r.ledger.failures.empty());
  CHECK(r.ledger.errors.empty());
  CHECK(r.ledger.incomplete_windows.empty());
  REQUIRE(r.challenger.any());
  CHECK(r.challenger.results == 60);
  CHECK(r.challenger.wrong == 0);
  CHECK(r.challenger.missing == 0);
  CHECK(r.challenger.duplicates == 0);
}

TEST_CASE("prints interleave: replay --check of a three-print stream's directory, every answer exact") {
  const fs::path dir = fs::temp_directory_path() / ("lpbf-prints-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const DatasetCache cache{dir};
  std::string note;
  cache.synthetic(three_prints(), "", note);
  INFO(note);
  const fs::path entry = cache.entry(three_prints(), "");
  REQUIRE(fs::exists(entry / "expected.json"));
  const auto r = test::run_command(test::binary() + " replay " + entry.string() + " --check --threads 2");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("60 batches, 60 answered, 0 failed, 0 of 60 expected results") != std::string::npos);
  fs::remove_all(dir);
}
