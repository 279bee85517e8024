// The test runner's main: doctest's, inside a dataset cache of its own. Every test, and every
// lpbf-bench the tests start (they inherit the environment), caches prepared streams in a fresh
// temporary $LPBF_CACHE_DIR, removed at the end: no test reads or fills the user's ~/.cache, so a
// stale entry there can never score a run against old expected results.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const fs::path cache = fs::temp_directory_path() / ("lpbf-tests-cache-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(cache, ec);
  fs::create_directories(cache, ec);
  ::setenv("LPBF_CACHE_DIR", cache.c_str(), 1);
  doctest::Context context(argc, argv);
  const int rc = context.run();
  fs::remove_all(cache, ec);
  return rc;
}
