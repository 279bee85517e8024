#include "perf/runner_alone_bench.h"

#include <fcntl.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/golden_dataset.h"

namespace lpbf::perf {
namespace {

constexpr int kLayers = 100, kRounds = 3;

// A `lpbf-bench challenger` child, its output in a log file, polled until it says where it
// listens; stopped (SIGTERM, then waited for) when the object goes.
class ChallengerProcess {
 public:
  ChallengerProcess()
      : log_(std::filesystem::temp_directory_path() / ("lpbf-perf-challenger-" + std::to_string(::getpid()) + ".log")) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) ::_exit(127);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      const std::string layers = std::to_string(kLayers);
      ::execl(LPBF_BINARY, LPBF_BINARY, "challenger", "--port", "0", "--layers", layers.c_str(), "--layout", "raw",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ < 0) return;
    // Preparing the stream takes a minute or more on a machine whose dataset cache is empty.
    std::string out;
    for (int tick = 0; tick < 6000 && url_.empty(); ++tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      out = read_file_bytes(log_);
      const size_t at = out.find("listening on http://");
      if (at != std::string::npos) {
        const size_t from = at + 13, to = out.find_first_of(", \n", from);
        if (to != std::string::npos) url_ = out.substr(from, to - from);
      } else if (int status = 0; ::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // it ended: reaped
        break;
      }
    }
    if (url_.empty()) std::fprintf(stderr, "runner alone: the challenger did not start:\n%s\n", out.c_str());
  }
  ~ChallengerProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
    std::error_code ec;
    std::filesystem::remove(log_, ec);
  }
  ChallengerProcess(const ChallengerProcess&) = delete;
  ChallengerProcess& operator=(const ChallengerProcess&) = delete;

  const std::string& url() const { return url_; }
  // utime + stime of the challenger process so far, seconds (/proc/PID/stat: clock ticks).
  double cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string f;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i)
      if (i == 14 || i == 15) ticks += std::strtod(f.c_str(), nullptr);  // utime, stime
    return ticks / double(::sysconf(_SC_CLK_TCK));
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::string url_;
};

struct RoundFigures {
  double batches_per_s = 0, runner_cpu_us = 0, challenger_cpu_us = 0;
  int64_t results = 0;
};

}  // namespace

void run_runner_alone_benchmarks(Report& report) {
  ChallengerProcess challenger;
  if (challenger.url().empty()) return;
  std::vector<RoundFigures> rounds;
  const auto path =
      std::filesystem::temp_directory_path() / ("lpbf-perf-alone-" + std::to_string(::getpid()) + ".json");
  for (int round = 0; round < kRounds; ++round) {
    const double before = challenger.cpu_seconds();
    const std::string cmd = std::string(LPBF_BINARY) + " --url " + challenger.url() + " --threads 2 --quiet --report " +
                            path.string() + " > /dev/null";
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "runner alone: '%s' failed\n", cmd.c_str());
      continue;
    }
    const double challenger_cpu = challenger.cpu_seconds() - before;
    simdjson::dom::parser parser;
    const std::string text = read_file_bytes(path);
    const simdjson::dom::element doc = parser.parse(text);
    RoundFigures f;
    f.results = int64_t(doc["results"]);
    f.batches_per_s = double(doc["throughput"]);
    if (f.results > 0) {
      f.runner_cpu_us = 1e6 * double(doc["cpu_seconds"]) / double(f.results);
      // The whole bench's CPU, creation to end: a few ms more than the batches' own.
      f.challenger_cpu_us = 1e6 * challenger_cpu / double(f.results);
    }
    rounds.push_back(f);
  }
  std::filesystem::remove(path);
  if (rounds.empty()) return;
  auto median_of = [&](double RoundFigures::*field) {
    std::vector<double> v;
    for (const RoundFigures& r : rounds) v.push_back(r.*field);
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const std::string label = "uncompressed TIFF, 1600 batches, runner and challenger processes";
  const std::string note = "median of " + std::to_string(rounds.size()) + " fresh runners against one `lpbf-bench " +
                           "challenger --layers 100 --layout raw`; " + std::to_string(rounds.back().results) +
                           " answered in the last";
  report.add("alone", label + " throughput", median_of(&RoundFigures::batches_per_s), "batches/s", note);
  report.add("alone", label + ": runner CPU a batch", median_of(&RoundFigures::runner_cpu_us), "us",
             "the runner process alone; target <= 300");
  report.add("alone", label + ": challenger CPU a batch", median_of(&RoundFigures::challenger_cpu_us), "us",
             "serving and scoring, its process alone (/proc/PID/stat, 10 ms ticks)");
}

}  // namespace lpbf::perf
