// Every fuzz target over its seed corpus and over every input that once crashed it or broke one of
// its invariants (tests/fuzz/corpus/<target>/, tests/fuzz/regressions/<target>/): in the ordinary
// test run, and under ASan + UBSan in `make sanitize-test`. A target throws fuzz::InvariantBroken
// when what it parsed breaks an invariant (a decoded batch re-encodes to other fields, a parsed
// expected.json reads back different after a write): a failure here, naming the input.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>

#include "io/golden_dataset.h"
#include "tests/fuzz/fuzz_targets.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

// Runs one target over one input: "" when it returns 0 with every invariant kept, else what broke.
std::string replay(const fuzz::NamedTarget& t, const std::string& bytes) {
  try {
    const int rc = t.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    return rc == 0 ? "" : "returned " + std::to_string(rc);
  } catch (const fuzz::InvariantBroken& e) {
    return std::string("invariant broken: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("threw: ") + e.what();
  }
}

}  // namespace

TEST_CASE("fuzz regressions: every target takes its seed corpus and every input that once crashed it") {
  const fs::path root = fs::path(LPBF_FUZZ_DIR);
  std::map<std::string, size_t> corpus, regressions;
  for (const fuzz::NamedTarget& t : fuzz::kTargets) {
    for (const char* kind : {"corpus", "regressions"}) {
      const fs::path dir = root / kind / t.name;
      if (!fs::exists(dir)) continue;
      for (const auto& e : fs::directory_iterator(dir)) {
        INFO(t.name << ": " << e.path());
        CHECK(replay(t, read_file_bytes(e.path())) == "");
        ++(std::string(kind) == "corpus" ? corpus : regressions)[t.name];
      }
    }
  }
  for (const fuzz::NamedTarget& t : fuzz::kTargets) {
    INFO(t.name);
    CHECK(corpus[t.name] >= 1);       // a seed to start from
    CHECK(regressions[t.name] >= 1);  // and an input that once broke it (or the edge case it guards)
  }
}

TEST_CASE("fuzz regressions: a broken invariant is a failure, not a return value nobody reads") {
  CHECK_NOTHROW(fuzz::require(true, "kept"));
  CHECK_THROWS_WITH_AS(fuzz::require(false, "a decoded batch re-encodes to the same fields"),
                       "a decoded batch re-encodes to the same fields", fuzz::InvariantBroken);
  // A target on input it refuses keeps its invariants too (a refusal says why).
  const fuzz::NamedTarget& json = fuzz::kTargets[3];
  REQUIRE(std::string(json.name) == "expected_json");
  CHECK(replay(json, "[{\"batch_id\": ") == "");
  CHECK(replay(json,
               "[{\"batch_id\": 1, \"print_id\": \"P\", \"tile_id\": 2, \"saturated\": 3, \"centroids\": "
               "[{\"x\": 0.1, \"y\": 1e-300, \"count\": 4}]}]") == "");
}
