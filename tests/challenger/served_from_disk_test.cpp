// A dataset served from disk (core/challenger/served_dataset.h, ServedDataset::from_disk): the same
// batch maps as in memory, a synthetic stream written to its cache entry as it is made, a file gone
// at serve time answered with a 500, an interrupted preparation leaving no entry, and memory bounded
// by configuration rather than by the stream's length.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/challenger/challenger.h"
#include "core/challenger/dataset_cache.h"
#include "io/golden_dataset.h"
#include "io/msgpack_codec.h"
#include "io/tiff_encoder.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) { return test::fresh_temp_dir("disk-test-" + name); }

SyntheticSpec small_spec() {
  SyntheticSpec s;
  s.layers = 4;
  s.grid = 2;
  s.tile = 64;
  return s;
}

std::string map_at(const ServedDataset& ds, size_t pos) {
  auto m = ds.batch(pos);
  REQUIRE_MESSAGE(m.ok(), m.error());
  return *m.value();
}

// Same batch maps, ids, layouts and expected results, one read from disk and one held in memory.
void check_same_maps(const ServedDataset& disk, const ServedDataset& memory) {
  CHECK(disk.from_disk());
  CHECK(!memory.from_disk());
  CHECK(disk.batches.empty());
  REQUIRE(disk.size() == memory.size());
  for (size_t i = 0; i < memory.size(); ++i) {
    CHECK(map_at(disk, i) == *memory.batches[i]);
    CHECK(disk.batch_ids[i] == memory.batch_ids[i]);
    CHECK(disk.encodings[i] == memory.encodings[i]);
  }
  REQUIRE(disk.expected.size() == memory.expected.size());
  for (size_t i = 0; i < memory.expected.size(); ++i)
    CHECK(compare_results(disk.expected[i], memory.expected[i]).empty());
  CHECK(disk.tiff_bytes == memory.tiff_bytes);
}

HttpReply call(Challenger& c, const std::string& method, const std::string& target) {
  return c.handle({method, target, ""});
}

std::string start_bench(Challenger& c) {
  const HttpReply r = c.handle({"POST", "/api/create", R"({"apitoken": "polimi-deib", "name": "t", "test": true})"});
  REQUIRE(r.status == 200);
  const std::string bench = r.body.substr(1, r.body.find('"', 1) - 1);
  REQUIRE(call(c, "POST", "/api/start/" + bench).status == 200);
  return bench;
}

// Starts `args` with SIGINT and SIGTERM at their default actions (a shell's `cmd &` would ignore
// SIGINT), its output discarded, and `env` set.
pid_t spawn(const std::vector<std::string>& args, const std::string& env_name, const std::string& env_value) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::setenv(env_name.c_str(), env_value.c_str(), 1);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1), ::dup2(null, 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

TEST_CASE("served from disk: golden/small's batch maps are those held in memory, byte for byte") {
  const fs::path dir = test::golden_dir() / "small";
  const ServedDataset disk = load_served_dataset(dir, true);
  const ServedDataset memory = load_served_dataset(dir, false);
  check_same_maps(disk, memory);
  const GoldenDataset golden = load_golden_dataset(dir);
  for (size_t i = 0; i < golden.manifest.size(); ++i) CHECK(map_at(disk, i) == encode_batch(golden.load_batch(i)));

  // Renumbered: the disk form encodes the new ids as it serves, the memory form re-encodes once.
  const auto disk_from_1 = with_first_batch_id(std::make_shared<const ServedDataset>(disk), 1000);
  const auto memory_from_1 = with_first_batch_id(std::make_shared<const ServedDataset>(memory), 1000);
  check_same_maps(*disk_from_1, *memory_from_1);
  CHECK(disk_from_1->batch_ids[0] == 1000);
  const std::string first = map_at(*disk_from_1, 0);
  const DecodedBatch d = decode_batch(std::span(reinterpret_cast<const uint8_t*>(first.data()), first.size()));
  REQUIRE(d.ok());
  CHECK(d.batch.batch_id == 1000);
}

TEST_CASE("served from disk: a synthetic stream written as it is made is the stream made in memory, every layout") {
  std::vector<std::string> layouts{""};
  for (const TiffLayout& l : standard_tiff_layouts()) layouts.push_back(l.name);
  for (const std::string& layout : layouts) {
    CAPTURE(layout);
    const fs::path dir = fresh_dir("synthetic");
    const ServedDataset memory = make_synthetic_dataset(small_spec(), layout);
    const ServedDataset written = make_synthetic_dataset(small_spec(), layout, {}, dir);
    check_same_maps(written, memory);
    check_same_maps(load_served_dataset(dir, true), memory);
    fs::remove_all(dir);
  }
}

TEST_CASE("served from disk: the cache entry written as the stream is made is the one stored from memory") {
  const fs::path root = fresh_dir("entry");
  const DatasetCache in_memory{root / "memory"}, on_disk{root / "disk"};
  std::string note;
  const ServedDataset memory = in_memory.synthetic(small_spec(), "", note);
  CHECK(note.find("stored in the cache") != std::string::npos);
  const ServedDataset disk = on_disk.synthetic(small_spec(), "", note, {}, true);
  CHECK(note.find("stored in the cache") != std::string::npos);
  check_same_maps(disk, memory);
  CHECK(disk.description == memory.description);
  const fs::path a = in_memory.entry(small_spec(), ""), b = on_disk.entry(small_spec(), "");
  size_t files = 0;
  for (const auto& f : fs::directory_iterator(a)) {
    CHECK(read_file_bytes(f.path()) == read_file_bytes(b / f.path().filename()));
    ++files;
  }
  CHECK(files == memory.size() + 2);  // manifest.json, expected.json
  for ([[maybe_unused]] const auto& f : fs::directory_iterator(b)) --files;
  CHECK(files == 0);

  // Loaded again, from either form of the entry.
  const ServedDataset again = on_disk.synthetic(small_spec(), "", note, {}, true);
  CHECK(note.find("loaded from the cache") != std::string::npos);
  check_same_maps(again, memory);
  CHECK(!in_memory.synthetic(small_spec(), "", note).from_disk());
  fs::remove_all(root);
}

TEST_CASE("served from disk: a batch file removed or cut short after loading gets a 500 naming it, counted") {
  const fs::path dir = fresh_dir("gone");
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(test::golden_dir() / "small")) {
    fs::copy_file(e.path(), dir / e.path().filename());
    fs::permissions(dir / e.path().filename(), fs::perms::owner_write, fs::perm_options::add);
  }
  const auto ds = std::make_shared<const ServedDataset>(load_served_dataset(dir, true));
  Challenger c(ds);
  const std::string bench = start_bench(c);
  CHECK(call(c, "GET", "/api/next_batch/" + bench).status == 200);

  const fs::path second = ds->on_disk[1].file, third = ds->on_disk[2].file;
  const std::string second_bytes = read_file_bytes(second);
  fs::resize_file(second, second_bytes.size() / 2);
  fs::remove(third);
  HttpReply r = call(c, "GET", "/api/next_batch/" + bench);
  CHECK(r.status == 500);
  CHECK(r.body.find(second.string()) != std::string::npos);
  CHECK(r.body.find("bytes") != std::string::npos);
  std::ofstream(second, std::ios::binary | std::ios::trunc) << second_bytes;  // whole again: served
  r = call(c, "GET", "/api/next_batch/" + bench);
  REQUIRE(r.status == 200);
  auto payload = reply_payload(r);  // the map's head, and the TIFF as an open file (sent with sendfile)
  REQUIRE(payload.ok());
  CHECK(payload.value() == *load_served_dataset(test::golden_dir() / "small").batches[1]);
  r = call(c, "GET", "/api/next_batch/" + bench);
  CHECK(r.status == 500);
  CHECK(r.body.find(third.string()) != std::string::npos);
  CHECK(r.body.find("No such file") != std::string::npos);
  CHECK(call(c, "GET", "/metrics").body.find("lpbf_challenger_batch_read_errors_total 2") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("served from disk: lpbf-bench runs a stream from its cache entry, and a recorded one, exactly") {
  const fs::path cache = fresh_dir("run");
  const std::string run =
      "LPBF_CACHE_DIR=" + cache.string() + " " + test::binary() + " --threads 2 --layers 4 --grid 2 --tile 100 ";
  for (const char* when : {"stored in the cache", "loaded from the cache"}) {
    const auto r = test::run_command(run + "--serve-from disk");
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find(when) != std::string::npos);
    CHECK(r.output.find("served from disk") != std::string::npos);
    CHECK(r.output.find(" 0 wrong, 0 missing") != std::string::npos);
  }
  // auto: from disk above the limit, in memory below (4 x 4 tiles of 200 x 200: a bound of 1.22 MiB).
  const std::string larger = "LPBF_CACHE_DIR=" + cache.string() + " " + test::binary() +
                             " --threads 2 --layers 4 --grid 2 --tile 200 --serve-memory-limit ";
  auto r = test::run_command(larger + "1");
  CHECK(r.output.find("served from disk") != std::string::npos);
  CHECK(r.output.find(" 0 wrong, 0 missing") != std::string::npos);
  r = test::run_command(larger + "2");
  CHECK(r.output.find("held in memory") != std::string::npos);
  CHECK(r.output.find(" 0 wrong, 0 missing") != std::string::npos);
  r = test::run_command(run + "--serve-from disk --dataset " + (test::golden_dir() / "small").string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("served from disk") != std::string::npos);
  CHECK(r.output.find(" 0 wrong, 0 missing") != std::string::npos);
  fs::remove_all(cache);
}

TEST_CASE("served from disk: a stream too large for memory without the cache is refused, naming the limit") {
  const std::string run = test::binary() + " --layers 600 --layout raw";
  auto r = test::run_command(run + " --no-cache");
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("--serve-memory-limit (1024 MiB)") != std::string::npos);
  CHECK(r.output.find("--no-cache") != std::string::npos);
  r = test::run_command(test::binary() + " --layers 4 --grid 2 --tile 100 --no-cache --serve-from disk");
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("--serve-from disk") != std::string::npos);
}

TEST_CASE(
    "served from disk: a preparation interrupted by SIGINT or SIGTERM leaves no entry, and the next run "
    "removes what it left") {
  for (const int sig : {SIGINT, SIGTERM}) {
    CAPTURE(sig);
    const fs::path cache = fresh_dir("interrupted");
    const std::string env = "LPBF_CACHE_DIR=" + cache.string() + " ";
    // 1 600 batches of 300x300: tens of seconds to prepare, interrupted after a few files.
    const pid_t prep = spawn(
        {test::binary(), "--layers", "100", "--grid", "4", "--tile", "300", "--layout", "raw", "--serve-from", "disk"},
        "LPBF_CACHE_DIR", cache.string());
    REQUIRE(prep > 0);
    fs::path tmp;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      std::error_code ec;
      for (const auto& d : fs::directory_iterator(cache, ec))
        if (d.path().filename().string().find(".tmp-") != std::string::npos) tmp = d.path();
      size_t files = 0;
      if (!tmp.empty())
        for ([[maybe_unused]] const auto& f : fs::directory_iterator(tmp, ec)) ++files;
      if (files >= 20) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(prep, sig);
    int status = 0;
    REQUIRE(::waitpid(prep, &status, 0) == prep);
    REQUIRE(!tmp.empty());
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == sig);
    for (const auto& d : fs::directory_iterator(cache))  // nothing but the temporary directory
      CHECK(d.path().filename().string().find(".tmp-") != std::string::npos);
    const std::string name = tmp.filename().string();
    CHECK(!fs::exists(cache / name.substr(0, name.find(".tmp-"))));

    const auto next = test::run_command(env + test::binary() + " --layers 3 --grid 2 --tile 64 --serve-from disk");
    INFO(next.output);
    CHECK(next.exit_code == 0);
    CHECK(!fs::exists(tmp));
    fs::remove_all(cache);
  }
}

TEST_CASE("served from disk: a stream far larger than the memory limit is prepared and served in bounded memory") {
  // 800 raw 500x500 batches: 382 MiB of TIFF, served from disk above a 32 MiB limit. In memory the
  // maps alone would be 382 MiB; from disk the process stays near its size without a dataset.
  // Measured: 40-63 MiB (for 400 and 800 batches, idle or busy machine): the bound leaves room for a
  // slower host and stays half the stream.
  constexpr long kBoundKb = 192 * 1024;
  const fs::path cache = fresh_dir("rss");
  const std::string cmd = "LPBF_CACHE_DIR=" + cache.string() + " " + test::binary() +
                          " --layers 50 --grid 4 --tile 500 --layout raw --threads 2 --serve-memory-limit 32";
  for (const char* when : {"stored in the cache", "loaded from the cache"}) {
    const auto r = test::run_command_measured(cmd);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find(when) != std::string::npos);
    CHECK(r.output.find("served from disk") != std::string::npos);
    CHECK(r.output.find(" 0 wrong, 0 missing") != std::string::npos);
    MESSAGE("peak RSS " << r.max_rss_kb / 1024 << " MiB (" << when << ")");
    CHECK(r.max_rss_kb > 0);
#if !defined(__SANITIZE_ADDRESS__)
    // Not under ASan (make check's sanitizer build): its allocator keeps freed blocks in quarantine
    // and its caches, so RSS there measures ASan (692 MiB seen), not this process's memory.
    CHECK(r.max_rss_kb < kBoundKb);
#endif
  }
  fs::remove_all(cache);
}
