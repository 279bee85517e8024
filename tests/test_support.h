#pragma once
// Helpers shared by the tests: golden data paths, random images, running the built binary.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <random>
#include <string>

#include "analysis/image.h"
#include "io/golden_dataset.h"

namespace lpbf::test {

inline std::filesystem::path golden_dir() { return LPBF_GOLDEN_DIR; }
inline std::string binary() { return LPBF_BINARY; }

// lpbf-NAME-PID in the temporary directory, emptied (removed, and made again when `create`): a
// test's own scratch directory, one per test process.
inline std::filesystem::path fresh_temp_dir(const std::string& name, bool create = false) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("lpbf-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  if (create) std::filesystem::create_directories(dir);
  return dir;
}

// Values drawn from a mix that produces outliers, empties and saturation alike.
inline Image16 random_image(int rows, int cols, std::mt19937& rng) {
  Image16 img(rows, cols);
  std::uniform_int_distribution<int> kind(0, 9), any(0, 65535), low(0, 6000), high(60000, 65535);
  for (auto& v : img.pixels) {
    const int k = kind(rng);
    v = uint16_t(k < 4 ? low(rng) : k < 7 ? any(rng) : high(rng));
  }
  return img;
}

inline Image16 filled_image(int rows, int cols, uint16_t value) {
  Image16 img(rows, cols);
  std::fill(img.pixels.begin(), img.pixels.end(), value);
  return img;
}

// How many times `what` occurs in `text` (overlaps counted).
inline size_t count_occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line, capturing its output.
inline ProcessResult run_command(const std::string& command) {
  ProcessResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// What one command cost, measured on that command alone (wait4 on its own process: never
// RUSAGE_CHILDREN, which sums every child the test process has reaped so far). CPU time and peak
// memory count work done, which a busy machine does not inflate the way it does wall time.
struct MeasuredProcess : ProcessResult {
  double cpu_seconds = -1;  // user + system, the command and its own children
  long max_rss_kb = -1;     // the largest resident set among them; -1: not measured
};

// GNU time, which measures the peak RSS: `make test-deps` installs it (package time).
inline constexpr const char* kGnuTime = "/usr/bin/time";

// Runs a shell command line like run_command, measuring it. The peak RSS comes from GNU time,
// which forks the command from its own small process: Linux records the old address space's peak
// at exec, so a command forked straight from this (large) test process would report this
// process's RSS as its own (make test saw 133 MiB for a 50 MiB run).
inline MeasuredProcess run_command_measured(const std::string& command) {
  MeasuredProcess r;
  int p[2];
  if (::pipe(p) != 0) return r;
  const std::string line = command + " 2>&1";
  const std::string rss_file = (std::filesystem::temp_directory_path() /
                                ("lpbf-test-rss-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())))
                                   .string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(p[1], 1);
    ::close(p[0]);
    ::close(p[1]);
    ::execl(kGnuTime, "time", "-f", "%M", "-o", rss_file.c_str(), "/bin/sh", "-c", line.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(p[1]);
  if (pid < 0) {
    ::close(p[0]);
    return r;
  }
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) != 0;) {
    if (n > 0) r.output.append(buf, size_t(n));
    else if (errno != EINTR) break;
  }
  ::close(p[0]);
  int status = 0;
  rusage u{};
  while (::wait4(pid, &status, 0, &u) < 0 && errno == EINTR) {}
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.cpu_seconds = double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  // The last line GNU time wrote (a line before it says when the command was killed by a signal).
  std::ifstream in(rss_file);
  for (std::string l; std::getline(in, l);)
    if (!l.empty() && l.find_first_not_of("0123456789") == std::string::npos) r.max_rss_kb = std::stol(l);
  std::error_code ec;
  std::filesystem::remove(rss_file, ec);
  return r;
}

// A copy of golden/small in a fresh temporary directory named after `name`, whose batch 6 is a
// TIFF header followed by garbage: the hostile batch the run and Kafka tests feed.
inline std::filesystem::path golden_small_with_garbage_batch_6(const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("lpbf-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(golden_dir() / "small"))
    fs::copy_file(e.path(), dir / e.path().filename());
  for (const auto& e : fs::directory_iterator(dir))
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(dir / "b000006.tif", std::ios::trunc | std::ios::binary) << "II*\0garbage";
  return dir;
}

// A process started in the background, its output in a file, killed when the object goes. A
// simple command's pid is the process itself; put a compound one in parentheses (its pid is then
// the subshell's).
struct Background {
  explicit Background(const std::string& command) {
    out = std::filesystem::temp_directory_path() /
          ("lpbf-bg-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    const std::filesystem::path pidfile = out.string() + ".pid";
    std::system((command + " > " + out.string() + " 2>&1 & echo $! > " + pidfile.string()).c_str());
    std::ifstream(pidfile) >> pid;
    std::filesystem::remove(pidfile);
  }
  ~Background() {
    if (pid > 0) ::kill(pid, SIGKILL);
    std::filesystem::remove(out);
  }
  std::string output() const { return std::filesystem::exists(out) ? read_file_bytes(out) : std::string(); }
  // Waits until the output contains `text`.
  bool wait_for(const std::string& text, std::chrono::seconds limit = std::chrono::seconds(20)) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  std::filesystem::path out;
  int pid = -1;
  static inline int counter = 0;
};

}  // namespace lpbf::test
