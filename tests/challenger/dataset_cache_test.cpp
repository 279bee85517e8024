// The on-disk cache of prepared synthetic datasets (core/challenger/dataset_cache.h), the golden-format
// writer it stores with (io/golden_dataset.h), and the kernel read-once warm-up of served bytes.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <cstdlib>
#include <fstream>

#include "core/challenger/dataset_cache.h"
#include "io/golden_dataset.h"
#include "io/kernel_read_warmup.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) { return test::fresh_temp_dir("cache-test-" + name); }

SyntheticSpec small_spec() {
  SyntheticSpec s;
  s.layers = 4;
  s.grid = 2;
  s.tile = 64;
  return s;
}

void check_same(const ServedDataset& a, const ServedDataset& b) {
  REQUIRE(a.batches.size() == b.batches.size());
  for (size_t i = 0; i < a.batches.size(); ++i) {
    CHECK(*a.batches[i] == *b.batches[i]);
    CHECK(a.batch_ids[i] == b.batch_ids[i]);
    CHECK(a.encodings[i] == b.encodings[i]);
  }
  REQUIRE(a.expected.size() == b.expected.size());
  for (size_t i = 0; i < a.expected.size(); ++i) CHECK(compare_results(a.expected[i], b.expected[i]).empty());
  CHECK(a.tiff_bytes == b.tiff_bytes);
}

}  // namespace

TEST_CASE("a golden dataset written back is read as the same dataset, and replay --check passes on it") {
  const fs::path out = fresh_dir("golden-copy");
  const GoldenDataset golden = load_golden_dataset(test::golden_dir() / "small");
  GoldenDatasetWriter writer(out);
  for (size_t i = 0; i < golden.manifest.size(); ++i) writer.add(golden.load_batch(i), golden.manifest[i].encoding);
  writer.finish(golden.expected);
  check_same(load_served_dataset(test::golden_dir() / "small"), load_served_dataset(out));
  const auto r = test::run_command(test::binary() + " replay " + out.string() + " --check");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  fs::remove_all(out);
}

TEST_CASE("the dataset cache prepares a stream once, then loads the same bytes and expected results") {
  DatasetCache cache{fresh_dir("cache")};
  const SyntheticSpec spec = small_spec();
  std::string note;
  const ServedDataset first = cache.synthetic(spec, "", note);
  CHECK(note.find("stored in the cache") != std::string::npos);
  CHECK(fs::exists(cache.entry(spec, "") / "expected.json"));
  const ServedDataset second = cache.synthetic(spec, "", note);
  CHECK(note.find("loaded from the cache") != std::string::npos);
  check_same(first, second);
  check_same(first, make_synthetic_dataset(spec, ""));
  CHECK(second.description == first.description);

  SUBCASE("every parameter of the stream keys its own entry") {
    SyntheticSpec other = spec;
    other.seed = 2;
    CHECK(cache.entry(other, "") != cache.entry(spec, ""));
    CHECK(cache.entry(spec, "raw") != cache.entry(spec, ""));
    other = spec;
    other.tile = 65;
    CHECK(cache.entry(other, "") != cache.entry(spec, ""));
  }
  SUBCASE("a damaged entry is prepared again, not served") {
    fs::remove(cache.entry(spec, "") / "b000003.tif");
    const ServedDataset again = cache.synthetic(spec, "", note);
    CHECK(note.find("unreadable") != std::string::npos);
    check_same(first, again);
    cache.synthetic(spec, "", note);
    CHECK(note.find("loaded from the cache") != std::string::npos);
  }
  SUBCASE("an entry with fewer results than batches is prepared again") {
    std::ofstream(cache.entry(spec, "") / "expected.json") << "[]";
    const ServedDataset again = cache.synthetic(spec, "", note);
    CHECK(note.find("incomplete") != std::string::npos);
    check_same(first, again);
  }
  fs::remove_all(cache.dir);
}

TEST_CASE("the dataset cache keeps within its budget, removing the least recently used entry first") {
  DatasetCache cache{fresh_dir("budget")};
  SyntheticSpec a = small_spec(), b = small_spec(), c = small_spec();
  b.seed = 2;
  c.seed = 3;
  std::string note;
  const ServedDataset ds = cache.synthetic(a, "raw", note);
  cache.budget_bytes = ds.tiff_bytes * 2 + ds.tiff_bytes / 2;  // room for two entries
  cache.synthetic(b, "raw", note);
  cache.synthetic(a, "raw", note);  // a is now the most recently used
  CHECK(note.find("loaded") != std::string::npos);
  cache.synthetic(c, "raw", note);
  CHECK(fs::exists(cache.entry(a, "raw")));
  CHECK(!fs::exists(cache.entry(b, "raw")));
  CHECK(fs::exists(cache.entry(c, "raw")));

  cache.budget_bytes = ds.tiff_bytes / 2;  // a stream larger than the budget is served, not stored
  SyntheticSpec d = small_spec();
  d.seed = 4;
  CHECK(cache.synthetic(d, "raw", note).batches.size() == ds.batches.size());
  CHECK(note.find("too large") != std::string::npos);
  CHECK(!fs::exists(cache.entry(d, "raw")));
  fs::remove_all(cache.dir);
}

TEST_CASE("an unwritable cache directory still serves the stream") {
  DatasetCache cache{"/proc/lpbf-no-such-dir"};
  std::string note;
  CHECK(cache.synthetic(small_spec(), "", note).batches.size() == 16);
  CHECK(note.find("not cached") != std::string::npos);
}

TEST_CASE("lpbf-bench loads a stream it prepared before from the cache, and scores it the same") {
  const fs::path dir = fresh_dir("e2e");
  const std::string cmd =
      "LPBF_CACHE_DIR=" + dir.string() + " " + test::binary() + " --layers 4 --grid 2 --tile 100 --threads 2";
  const auto first = test::run_command(cmd);
  INFO(first.output);
  CHECK(first.exit_code == 0);
  CHECK(first.output.find("stored in the cache") != std::string::npos);
  const auto second = test::run_command(cmd);
  INFO(second.output);
  CHECK(second.exit_code == 0);
  CHECK(second.output.find("loaded from the cache") != std::string::npos);
  CHECK(second.output.find(" 0 wrong, 0 missing") != std::string::npos);  // the challenger's verdict line
  const auto uncached = test::run_command(cmd + " --no-cache");
  CHECK(uncached.exit_code == 0);
  CHECK(uncached.output.find("--no-cache") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("read_once_in_kernel passes any buffer through the kernel, empty or larger than a pipe") {
  auto open_fds = [] {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
    return n;
  };
  std::string big(3 << 20, 'x');
  big[12345] = 'y';
  const std::string copy = big;
  const size_t fds = open_fds();
  CHECK(read_once_in_kernel(std::as_bytes(std::span(big))) == true);
  CHECK(big == copy);        // read, never written
  CHECK(open_fds() == fds);  // its pipe and /dev/null closed again
  CHECK(read_once_in_kernel({}) == true);
  const char one = 1;
  CHECK(read_once_in_kernel(std::as_bytes(std::span(&one, 1))) == true);
  CHECK(open_fds() == fds);
  // No descriptor left for its pipe: false (the warm-up is skipped), and nothing leaked.
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit none = saved;
  none.rlim_cur = 0;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &none) == 0);
  const bool refused = read_once_in_kernel(std::as_bytes(std::span(big)));
  REQUIRE(setrlimit(RLIMIT_NOFILE, &saved) == 0);
  CHECK(refused == false);
  CHECK(open_fds() == fds);
}

TEST_CASE("the tests cache in a temporary directory of their own, never the user's") {
  const char* dir = std::getenv("LPBF_CACHE_DIR");
  REQUIRE(dir != nullptr);
  const fs::path expected = fs::temp_directory_path() / ("lpbf-tests-cache-" + std::to_string(::getpid()));
  CHECK(fs::path(dir) == expected);
  CHECK(DatasetCache::from_environment().dir == expected);
  // A child lpbf-bench inherits it: its stream is stored there.
  const auto r = test::run_command(test::binary() + " --layers 2 --grid 2 --tile 32 --threads 1 --quiet");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  bool stored = false;
  for (const auto& e : fs::directory_iterator(expected)) stored |= e.is_directory();
  CHECK(stored);
}

TEST_CASE("the dataset cache: an interrupted preparation's temporary entry is removed, never served") {
  DatasetCache cache{fresh_dir("abandoned")};
  const SyntheticSpec spec = small_spec();
  // A process that has ended: its pid is no one's now (reaped at once).
  const pid_t gone = fork();
  if (gone == 0) _exit(0);
  REQUIRE(gone > 0);
  int status = 0;
  waitpid(gone, &status, 0);
  const fs::path abandoned = cache.entry(spec, "").string() + ".tmp-" + std::to_string(gone);
  const fs::path live = cache.entry(spec, "raw").string() + ".tmp-" + std::to_string(::getpid());
  fs::create_directories(abandoned);
  fs::create_directories(live);
  std::ofstream(abandoned / "b000000.tif") << "half";
  std::string note;
  cache.synthetic(spec, "", note);
  CHECK(note.find("stored in the cache") != std::string::npos);  // not loaded from the half entry
  CHECK_FALSE(fs::exists(abandoned));
  CHECK(fs::exists(live));  // a running process's: still being written
  fs::remove_all(cache.dir);
}

TEST_CASE("the dataset cache refuses a stream that could exceed its budget, naming $LPBF_CACHE_DIR and the budget") {
  DatasetCache cache{fresh_dir("too-large")};
  SyntheticSpec spec;
  spec.layers = 600, spec.grid = 4, spec.tile = 500;  // 4.8 GB at most: within 8 GiB
  CHECK(cache.too_large(spec).empty());
  spec.layers = 1200;  // 9.6 GB
  const std::string why = cache.too_large(spec);
  CHECK(why.find("$LPBF_CACHE_DIR") != std::string::npos);
  CHECK(why.find("8.00 GiB") != std::string::npos);
  CHECK(why.find(cache.dir.string()) != std::string::npos);
  const auto r = test::run_command(test::binary() + " --layers 1200 --grid 4 --tile 500");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("$LPBF_CACHE_DIR") != std::string::npos);
}
