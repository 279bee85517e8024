// --memory-budget end to end: the real binary, started as a child of its own (so that its peak RSS
// is its alone: wait4 on that child), against a challenger serving 8192x8192 Deflate batches
// (128 MiB decoded each, tens of MB on the wire) with 64 batches allowed in flight.
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/challenger/challenger_host.h"
#include "io/msgpack_codec.h"
#include "io/tiff_encoder.h"
#include "tests/test_support.h"

using namespace lpbf;

namespace {

constexpr int kSide = 8192;

// `layers` layers of `tiles` tiles of one print, all the same mostly-empty 8192x8192 image (Deflate).
std::shared_ptr<const ServedDataset> big_tiles(int layers, int tiles = 1) {
  static const SharedBytes tif = [] {
    // Noise of 10 bits: Deflate keeps most of it, so each body is tens of MB, as a real layer's would be.
    Image16 image(kSide, kSide);
    uint32_t state = 1;
    for (uint16_t& p : image.pixels) p = uint16_t((state = state * 1664525u + 1013904223u) >> 22);
    TiffLayout deflate;
    deflate.name = "tiff_deflate", deflate.compression = 8;  // COMPRESSION_ADOBE_DEFLATE
    return SharedBytes(encode_tiff(image, deflate));
  }();
  auto ds = std::make_shared<ServedDataset>();
  ds->description = "8192x8192 deflate";
  for (int layer = 0; layer < layers; ++layer)
    for (int tile = 0; tile < tiles; ++tile) {
      const int64_t id = int64_t(ds->batches.size());
      ds->batches.push_back(std::make_shared<const std::string>(encode_batch({id, "big", tile, layer, tif})));
      ds->batch_ids.push_back(id);
      ds->encodings.push_back("tiff_deflate");
      ds->tiff_bytes += tif.size();
    }
  return ds;
}

struct Child {
  int exit_code = -1;
  uint64_t max_rss_bytes = 0;
};

// Runs the binary with `args`, its output to /dev/null; its own peak RSS (test::run_command_measured).
Child run_child(const std::vector<std::string>& args) {
  std::string command = test::binary();
  for (const std::string& a : args) command += " " + a;
  const test::MeasuredProcess r = test::run_command_measured(command + " > /dev/null");
  REQUIRE_MESSAGE(r.max_rss_kb > 0, "no peak RSS: GNU time is missing (make test-deps installs package time)");
  return {r.exit_code, uint64_t(r.max_rss_kb) * 1024};
}

}  // namespace

TEST_CASE("run --memory-budget: 8192x8192 batches, 64 in flight, RSS under the budget plus a fixed overhead") {
  ChallengerHost host(big_tiles(8), "127.0.0.1", 0, 1);
  if (std::getenv("LPBF_MEMORY_UNBOUNDED")) {  // by hand: the same run with a budget too large to matter
    const Child u = run_child({"--url", host.url(), "--bench-name", "unbounded", "--connections", "4", "--threads", "2",
                               "--max-in-flight", "64", "--memory-budget", "64G", "--quiet"});
    MESSAGE("peak RSS " << (u.max_rss_bytes >> 20) << " MiB under --memory-budget 64G");
  }
  constexpr uint64_t kBudget = uint64_t(640) << 20;  // a window of 3 images + 2 batches of 128 MiB
  // The binary, Q2's and DBSCAN's buffers, the HTTP buffers: 250 MiB measured. Without the budget
  // (LPBF_MEMORY_UNBOUNDED=1 runs it) the same run peaked at 1389 MiB, above this bound.
  constexpr uint64_t kOverhead = uint64_t(400) << 20;
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan (make check's build) the child also holds ASan's quarantine of freed blocks (256 MiB
  // by default) and its shadow memory (an eighth of what it maps): seen 1140 MiB.
  constexpr uint64_t kSanitizer = (uint64_t(256) << 20) + (kBudget + kOverhead) / 8;
#else
  constexpr uint64_t kSanitizer = 0;
#endif
  const Child c = run_child({"--url", host.url(), "--bench-name", "memory", "--connections", "4", "--threads", "2",
                             "--max-in-flight", "64", "--memory-budget", "640M", "--quiet"});
  CHECK(c.exit_code == 0);
  MESSAGE("peak RSS " << (c.max_rss_bytes >> 20) << " MiB under --memory-budget 640M");
  CHECK(c.max_rss_bytes < kBudget + kOverhead + kSanitizer);
}

TEST_CASE("run --memory-budget: a batch whose image alone exceeds the budget fails, named, before decoding") {
  ChallengerHost host(big_tiles(3), "127.0.0.1", 0, 1);
  const auto r = test::run_command(test::binary() + " --url " + host.url() +
                                   " --bench-name small-budget --threads 1 --memory-budget 64M");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("3 failed") != std::string::npos);
  CHECK(r.output.find("batch too large for the memory budget: its image needs 128 MiB decoded, more than the whole "
                      "--memory-budget of 64 MiB") != std::string::npos);
  CHECK(r.output.find("memory     budget 64 MiB") != std::string::npos);
}
