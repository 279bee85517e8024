// Every fuzz target over its seed corpus and over every input that once crashed it
// (tests/fuzz/corpus/<target>/, tests/fuzz/regressions/<target>/): in the ordinary test run,
// and under ASan + UBSan in `make sanitize-test`.
#include <doctest/doctest.h>

#include <filesystem>

#include "io/golden_dataset.h"
#include "tests/fuzz/fuzz_targets.h"

using namespace lpbf;
namespace fs = std::filesystem;

TEST_CASE("fuzz regressions: every target takes its seed corpus and every input that once crashed it") {
  const fs::path root = fs::path(LPBF_FUZZ_DIR);
  size_t inputs = 0;
  for (const fuzz::NamedTarget& t : fuzz::kTargets) {
    for (const char* kind : {"corpus", "regressions"}) {
      const fs::path dir = root / kind / t.name;
      if (!fs::exists(dir)) continue;
      for (const auto& e : fs::directory_iterator(dir)) {
        INFO(t.name << ": " << e.path());
        const std::string bytes = read_file_bytes(e.path());
        CHECK(t.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()) == 0);
        ++inputs;
      }
    }
  }
  CHECK(inputs >= 6);
}
