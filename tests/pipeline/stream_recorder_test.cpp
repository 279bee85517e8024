// `--record DIR` (core/pipeline/stream_recorder.h): a recording is a golden directory (SPEC §4)
// that replay and the challenger read back; a slow or failing disk costs the recording, never the run.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/challenger/served_dataset.h"
#include "core/pipeline/stream_recorder.h"
#include "io/golden_dataset.h"
#include "io/json_text.h"
#include "io/msgpack_codec.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("lpbf-record-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

const GoldenDataset& golden_small() {
  static const GoldenDataset ds = load_golden_dataset(test::golden_dir() / "small");
  return ds;
}

// Batch i as the fetch stage has it: decoded from the msgpack body, its `tif` a part of that body.
Batch fetched(size_t i) {
  const DecodedBatch d = decode_batch(SharedBytes(encode_batch(golden_small().load_batch(i))));
  REQUIRE(d.ok());
  return d.batch;
}

// The writer at the tests' priority and without rests: at SCHED_IDLE it would wait for the
// machine's other work.
RecorderLimits test_limits() {
  RecorderLimits limits;
  limits.writer_idle = false;
  limits.writer_share = 0;
  return limits;
}

bool eventually(const std::function<bool()>& done) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Holds the writer before its next batch until released.
struct WriterGate {
  std::mutex mu;
  std::condition_variable cv;
  bool held = false;
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return !held; });
  }
  void set(bool hold) {
    {
      std::lock_guard lock(mu);
      held = hold;
    }
    cv.notify_all();
  }
};

std::vector<int64_t> ids(const std::vector<TileResult>& results) {
  std::vector<int64_t> out;
  for (const auto& r : results) out.push_back(r.batch_id);
  return out;
}

}  // namespace

TEST_CASE("record: the golden stream recorded is the golden directory, and replay --check passes on it") {
  const GoldenDataset& golden = golden_small();
  const fs::path dir = fresh_dir("golden");
  std::vector<std::string> errors;
  RecorderLimits limits = test_limits();
  limits.on_error = [&](const std::string& e) { errors.push_back(e); };
  {
    StreamRecorder recorder(dir, limits);
    for (size_t i = 0; i < golden.manifest.size(); ++i) CHECK(recorder.record_batch(fetched(i)));
    // Answers are accepted out of order: results.json is in manifest order all the same.
    for (size_t i = golden.expected.size(); i-- > 0;) CHECK(recorder.record_result(golden.expected[i]));
    const RecorderStatus s = recorder.finish();
    INFO(s.summary());
    CHECK(s.error.empty());
    CHECK(s.batches_recorded == golden.manifest.size());
    CHECK(s.results_recorded == golden.expected.size());
    CHECK(s.batches_dropped == 0);
    CHECK(s.results_left_out == 0);
    CHECK(!recorder.record_batch(fetched(0)));  // finished
  }
  CHECK(errors.empty());

  const GoldenDataset recorded = load_golden_dataset(dir);
  CHECK(recorded.expected_file == "results.json");
  REQUIRE(recorded.manifest.size() == golden.manifest.size());
  for (size_t i = 0; i < golden.manifest.size(); ++i) {
    const ManifestEntry &a = golden.manifest[i], &b = recorded.manifest[i];
    INFO("entry " << i);
    CHECK(a.batch_id == b.batch_id);
    CHECK(a.print_id == b.print_id);
    CHECK(a.tile_id == b.tile_id);
    CHECK(a.layer == b.layer);
    CHECK(a.file == b.file);
    CHECK(a.encoding == b.encoding);
    CHECK(read_file_bytes(dir / b.file) == read_file_bytes(golden.dir / a.file));
  }
  REQUIRE(recorded.expected.size() == golden.expected.size());
  for (size_t i = 0; i < golden.expected.size(); ++i)
    CHECK(compare_results(golden.expected[i], recorded.expected[i]) == "");
  CHECK(!fs::exists(dir / "manifest.json.tmp"));

  const auto r = test::run_command(test::binary() + " replay " + dir.string() + " --check");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("checking against results.json") != std::string::npos);
  CHECK(r.output.find("0 of 20 expected results (results.json) wrong or missing") != std::string::npos);

  // The challenger serves it, scored against the recorded answers.
  const ServedDataset served = load_served_dataset(dir);
  CHECK(served.expected_file == "results.json");
  CHECK(served.description.find("results.json") != std::string::npos);
  for (size_t i = 0; i < served.batches.size(); ++i) CHECK(served.scores(i));

  // A second recording into the same directory is refused: two streams would mix.
  CHECK_THROWS_WITH_AS(StreamRecorder{dir}, doctest::Contains("holds a recording already"), std::runtime_error);
  fs::remove_all(dir);
}

TEST_CASE("record: manifest.json and results.json are rewritten as the run goes: a crash leaves a usable prefix") {
  const fs::path dir = fresh_dir("checkpoint");
  RecorderLimits limits = test_limits();
  limits.checkpoint_every = std::chrono::milliseconds(1);
  StreamRecorder recorder(dir, limits);
  for (size_t i = 0; i < 5; ++i) CHECK(recorder.record_batch(fetched(i)));
  for (size_t i = 0; i < 5; ++i) CHECK(recorder.record_result(golden_small().expected[i]));
  // Not finished: what a run killed now would leave.
  CHECK(eventually([&] {
    try {
      const GoldenDataset d = load_golden_dataset(dir);
      return d.manifest.size() == 5 && d.expected.size() == 5;
    } catch (const std::exception&) {
      return false;  // not written yet
    }
  }));
  const auto r = test::run_command(test::binary() + " replay " + dir.string() + " --check");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(recorder.finish().batches_recorded == 5);
  fs::remove_all(dir);
}

TEST_CASE("record: at its default (idle) priority the writer still writes everything by finish()") {
  const fs::path dir = fresh_dir("idle");
  StreamRecorder recorder(dir);
  for (size_t i = 0; i < golden_small().manifest.size(); ++i) CHECK(recorder.record_batch(fetched(i)));
  const RecorderStatus s = recorder.finish();
  CHECK(s.batches_recorded == golden_small().manifest.size());
  CHECK(s.error.empty());
  fs::remove_all(dir);
}

TEST_CASE("record: an unwritable or unsuitable DIR is refused at once, with a reason") {
  const fs::path base = fresh_dir("refused");
  fs::create_directories(base);
  std::ofstream(base / "a-file") << "x";
  CHECK_THROWS_WITH_AS(StreamRecorder{base / "a-file" / "sub"}, doctest::Contains("cannot create the directory"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(StreamRecorder{base / "a-file"}, doctest::Contains("Not a directory"), std::runtime_error);
  fs::create_directories(base / "golden");
  std::ofstream(base / "golden" / "b000000.tif") << "x";
  CHECK_THROWS_WITH_AS(StreamRecorder{base / "golden"}, doctest::Contains("b000000.tif"), std::runtime_error);
  // /proc refuses new files even to root.
  CHECK_THROWS_AS(StreamRecorder{"/proc/lpbf-record-test"}, std::runtime_error);
  // A directory with other files in it is fine; nothing recorded leaves it as it was.
  {
    StreamRecorder recorder(base, test_limits());
    CHECK(recorder.finish().batches_recorded == 0);
  }
  CHECK(!fs::exists(base / "manifest.json"));
  fs::remove_all(base);
}

TEST_CASE("record: a full queue drops and counts, never waits; answers a dropped batch's window held are left out") {
  const GoldenDataset& golden = golden_small();
  const fs::path dir = fresh_dir("overflow");
  WriterGate gate;
  RecorderLimits limits = test_limits();
  limits.max_pending_batches = 2;
  limits.before_write = [&] { gate.wait(); };
  StreamRecorder recorder(dir, limits);
  for (size_t i = 0; i < 4; ++i) {
    REQUIRE(recorder.record_batch(fetched(i)));
    REQUIRE(eventually([&] { return recorder.status().batches_recorded == i + 1; }));
  }

  gate.set(true);  // the disk stalls: two batches fit in the queue, the next two do not
  CHECK(recorder.record_batch(fetched(4)));
  CHECK(recorder.record_batch(fetched(5)));
  // Refused, not waited for: the writer is stalled until this thread opens the gate, so a call that
  // waited for room would never return; and nothing was written meanwhile.
  CHECK(!recorder.record_batch(fetched(6)));
  CHECK(!recorder.record_batch(fetched(7)));
  CHECK(recorder.status().batches_recorded == 4);
  CHECK(recorder.status().batches_dropped == 2);
  gate.set(false);
  for (size_t i = 8; i < golden.manifest.size(); ++i) {
    REQUIRE(eventually([&] { return recorder.status().batches_recorded == i - 2; }));
    CHECK(recorder.record_batch(fetched(i)));
  }
  for (const TileResult& r : golden.expected) CHECK(recorder.record_result(r));
  const RecorderStatus s = recorder.finish();
  INFO(s.summary());
  CHECK(s.error.empty());
  CHECK(s.batches_recorded == 18);
  CHECK(s.batches_dropped == 2);
  // Batches 6 and 7 (tiles 2 and 3 of layer 1) are gone; so are the answers of their tiles' next
  // two layers (10 and 14, 11 and 15), which a replay computes without them.
  CHECK(s.results_left_out == 6);
  CHECK(s.summary().find("dropped 2 batches") != std::string::npos);
  const GoldenDataset recorded = load_golden_dataset(dir);
  CHECK(recorded.manifest.size() == 18);
  CHECK(ids(recorded.expected) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 16, 17, 18, 19});
  const auto r = test::run_command(test::binary() + " replay " + dir.string() + " --check");
  INFO(r.output);
  CHECK(r.exit_code == 0);

  // The challenger serves all 18 and scores the 14 it has answers for.
  const ServedDataset served = load_served_dataset(dir);
  size_t scored = 0;
  for (size_t i = 0; i < served.batches.size(); ++i) scored += served.scores(i);
  CHECK(scored == 14);
  fs::remove_all(dir);
}

TEST_CASE("record: the directory vanishing part-way stops the recording with one message; no throw, no crash") {
  const fs::path dir = fresh_dir("vanish");
  std::vector<std::string> errors;
  RecorderLimits limits = test_limits();
  limits.on_error = [&](const std::string& e) { errors.push_back(e); };
  StreamRecorder recorder(dir, limits);
  for (size_t i = 0; i < 3; ++i) CHECK(recorder.record_batch(fetched(i)));
  REQUIRE(eventually([&] { return recorder.status().batches_recorded == 3; }));
  fs::remove_all(dir);
  for (size_t i = 3; i < golden_small().manifest.size(); ++i) static_cast<void>(recorder.record_batch(fetched(i)));
  for (const TileResult& r : golden_small().expected) static_cast<void>(recorder.record_result(r));
  const RecorderStatus s = recorder.finish();
  INFO(s.summary());
  CHECK(s.batches_recorded == 3);
  CHECK(s.batches_recorded + s.batches_not_recorded == 20);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == s.error);
  CHECK(s.error.find("recording to " + dir.string() + " stopped") != std::string::npos);
  CHECK(s.error.find((dir / "b000003.tif").string()) != std::string::npos);
  CHECK(s.error.find("the 3 batches recorded before it are kept") != std::string::npos);
  CHECK(s.error.find("the run goes on") != std::string::npos);
}

TEST_CASE("record: a full disk part-way keeps a usable prefix (RLIMIT_FSIZE as the full disk)") {
  // golden/small's files are 16-22 KB; with files capped at 20000 bytes, b000002.tif (22090) is
  // the first that does not fit: written in part, then EFBIG, as ENOSPC would.
  const fs::path dir = fresh_dir("full");
  const GoldenDataset& golden = golden_small();
  RecorderStatus s;
  {
    rlimit old{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);  // else the kernel kills the process
    rlimit cap = old;
    cap.rlim_cur = 20000;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &cap) == 0);
    {
      StreamRecorder recorder(dir, test_limits());
      for (size_t i = 0; i < golden.manifest.size(); ++i) static_cast<void>(recorder.record_batch(fetched(i)));
      for (const TileResult& r : golden.expected) static_cast<void>(recorder.record_result(r));
      s = recorder.finish();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::signal(SIGXFSZ, old_handler);
  }
  INFO(s.summary());
  CHECK(s.batches_recorded == 2);
  CHECK(s.error.find("b000002.tif") != std::string::npos);
  CHECK(s.error.find("File too large") != std::string::npos);
  CHECK(!fs::exists(dir / "b000002.tif"));  // no partial file
  const GoldenDataset recorded = load_golden_dataset(dir);
  CHECK(recorded.manifest.size() == 2);
  CHECK(ids(recorded.expected) == std::vector<int64_t>{0, 1});
  const auto r = test::run_command(test::binary() + " replay " + dir.string() + " --check");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  fs::remove_all(dir);
}
