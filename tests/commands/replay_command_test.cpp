// `lpbf-bench replay` end to end: the real binary on the golden directories.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "io/golden_dataset.h"
#include "io/json_text.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("lpbf-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("replay --check passes on golden/small and golden/tile500") {
  for (const char* name : {"small", "tile500"}) {
    const auto r = test::run_command(test::binary() + " replay " + (test::golden_dir() / name).string() + " --check");
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("0 failed") != std::string::npos);
  }
}

TEST_CASE("replay --out writes results equal to expected.json") {
  const fs::path dir = temp_dir("out");
  const fs::path out = dir / "results.json";
  const auto r = test::run_command(test::binary() + " replay " + (test::golden_dir() / "small").string() + " --out " +
                                   out.string());
  REQUIRE(r.exit_code == 0);
  const auto got = parse_results_json(read_file_bytes(out), out.string());
  const auto expected = load_golden_dataset(test::golden_dir() / "small").expected;
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(compare_results(expected[i], got[i]) == "");
  fs::remove_all(dir);
}

TEST_CASE("replay --check names a wrong expected result and a corrupt batch, exit 1") {
  const fs::path dir = temp_dir("bad");
  const fs::path src = test::golden_dir() / "small";
  for (const auto& entry : fs::directory_iterator(src)) fs::copy_file(entry.path(), dir / entry.path().filename());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add);
  for (const auto& entry : fs::directory_iterator(dir))
    fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
  auto expected = load_golden_dataset(dir).expected;
  expected[9].saturated += 1;
  std::ofstream(dir / "expected.json") << results_to_json(expected);
  std::ofstream(dir / "b000004.tif", std::ios::trunc) << "this is not a TIFF";

  const auto r = test::run_command(test::binary() + " replay " + dir.string() + " --check");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("batch 9: saturated") != std::string::npos);
  CHECK(r.output.find("batch 4 failed: TIFF") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("replay: usage errors exit 2 with a message") {
  auto r = test::run_command(test::binary() + " replay");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("DIR is required") != std::string::npos);
  r = test::run_command(test::binary() + " replay /nonexistent-dir");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("no manifest.json") != std::string::npos);
  r = test::run_command(test::binary() + " replay " + (test::golden_dir() / "small").string() + " --bogus");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("not expected: --bogus") != std::string::npos);
  r = test::run_command(test::binary() + " replay --help");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("usage: lpbf-bench replay") != std::string::npos);
}
