// `lpbf-bench challenger` as a process of its own (--dataset, --bind, --max-connections, --faults,
// SIGTERM ends it with exit 0), runs against it through the command line (--max-batches, and exit 1
// when the challenger counts a result wrong and nothing else failed), and the effect of the run's
// --no-test and --timeout-ms on the wire.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/challenger/challenger.h"
#include "core/report/report_file.h"
#include "io/golden_dataset.h"
#include "io/json_text.h"
#include "tests/faulty_challenger.h"
#include "tests/served_golden.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

// `lpbf-bench challenger ARGS --port 0` started as a child of this process (so that its exit
// status can be read), its output in a file; killed if still running when the object goes.
struct ChallengerProcess {
  explicit ChallengerProcess(const std::vector<std::string>& args) {
    out = fs::temp_directory_path() /
          ("lpbf-challenger-process-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".log");
    std::vector<std::string> argv{test::binary(), "challenger", "--port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c;
    for (std::string& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    const std::string path = out.string();
    pid = ::fork();
    if (pid == 0) {
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execv(c[0], c.data());
      ::_exit(127);
    }
  }
  ~ChallengerProcess() {
    if (pid > 0 && !reaped) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    fs::remove(out);
  }
  std::string output() const { return fs::exists(out) ? read_file_bytes(out) : std::string(); }
  // The URL it listens on, once it says so ("" if it exits or says nothing within a minute).
  std::string url() {
    static const std::regex listening(R"(challenger listening on (http://[0-9.]+:[0-9]+))");
    for (int i = 0; i < 1200; ++i) {
      std::smatch m;
      const std::string o = output();
      if (std::regex_search(o, m, listening)) return m[1];
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        reaped = true;
        return "";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
  }
  // Sends `signal` and waits for the exit: its status, -1 if it did not exit normally.
  int stop(int signal) {
    if (!reaped) {
      ::kill(pid, signal);
      ::waitpid(pid, &status, 0);
      reaped = true;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  fs::path out;
  pid_t pid = -1;
  int status = 0;
  bool reaped = false;
  static inline int counter = 0;
};

// A TCP connection to host:port that sends one request and reads the status line of its reply,
// leaving the connection open (kept alive): the status, or 0 when the server closed it unanswered.
struct HeldConnection {
  HeldConnection(const std::string& host, unsigned short port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    connected = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~HeldConnection() {
    if (fd >= 0) ::close(fd);
  }
  int ask(const std::string& target) {
    const std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size())) return 0;
    std::string got;
    char buf[4096];
    while (got.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return 0;
      got.append(buf, size_t(n));
    }
    return got.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(got.substr(9, 3)) : 0;
  }
  int fd = -1;
  bool connected = false;
};

unsigned short port_of(const std::string& url) {
  return static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1)));
}

// golden/small in a temporary directory, with batch `id`'s expected saturated count off by one: a
// correct run is then counted wrong on that batch alone.
fs::path golden_small_expecting_wrong_saturated(int64_t id) {
  const fs::path dir = fs::temp_directory_path() / ("lpbf-wrong-expected-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(test::golden_dir() / "small"))
    fs::copy_file(e.path(), dir / e.path().filename());
  for (const auto& e : fs::directory_iterator(dir))
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  std::vector<TileResult> expected = parse_results_json(read_file_bytes(dir / "expected.json"), "expected.json");
  for (TileResult& r : expected)
    if (r.batch_id == id) ++r.saturated;
  std::ofstream(dir / "expected.json", std::ios::trunc) << results_to_json(expected);
  return dir;
}

// A run whose JSON report is read back: the challenger's raw /api/end reply is kept there (the
// terminal shows one formatted line of it).
struct RunWithReply {
  int exit_code = -1;
  std::string output;  // the terminal's
  std::string reply;   // the challenger's /api/end reply, as it came
};
RunWithReply run_with_reply(const std::string& args) {
  static int n = 0;
  const fs::path report = fs::temp_directory_path() / ("lpbf-challenger-process-" + std::to_string(::getpid()) + "-" +
                                                       std::to_string(n++) + ".json");
  const auto r = test::run_command(test::binary() + " " + args + " --report " + report.string());
  RunWithReply out{r.exit_code, r.output, {}};
  if (fs::exists(report)) out.reply = read_report_file(report).end_reply;
  fs::remove(report);
  return out;
}

}  // namespace

TEST_CASE("challenger process: --dataset served on --bind's address, --max-connections enforced, SIGTERM exits 0") {
  // 127.0.0.2 is loopback too, but not 127.0.0.1: --bind decides where it listens.
  ChallengerProcess ch({"--dataset", (test::golden_dir() / "small").string(), "--bind", "127.0.0.2",
                        "--max-connections", "3", "--threads", "1"});
  const std::string url = ch.url();
  INFO(ch.output());
  REQUIRE(url.rfind("http://127.0.0.2:", 0) == 0);
  const unsigned short port = port_of(url);
  CHECK(ch.output().find("golden") != std::string::npos);
  CHECK_FALSE(HeldConnection("127.0.0.1", port).connected);  // not listening on 127.0.0.1

  // A run served from the dataset: 20 batches, all correct, the verdict printed by the runner.
  const auto run = run_with_reply("--url " + url + " --connections 1 --threads 1");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("20 answered") != std::string::npos);
  CHECK(run.reply.find("\"results\": 20") != std::string::npos);
  CHECK(run.reply.find("\"wrong\": 0") != std::string::npos);

  // Three connections held (answered 200 and kept alive); the run's closed ones may take a moment
  // to be noticed, so a 503 while they drain is retried.
  std::vector<std::unique_ptr<HeldConnection>> held;
  for (int attempt = 0; attempt < 200 && held.size() < 3; ++attempt) {
    auto c = std::make_unique<HeldConnection>("127.0.0.2", port);
    if (c->connected && c->ask("/api/history") == 200) held.push_back(std::move(c));
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(held.size() == 3);
  HeldConnection fourth("127.0.0.2", port);
  CHECK(fourth.ask("/api/history") == 503);
  held.clear();

  CHECK(ch.stop(SIGTERM) == 0);
  CHECK(ch.output().find("challenger stopping") != std::string::npos);
}

TEST_CASE("run against a challenger process: --max-batches 5 fetches and answers 5, the rest unserved") {
  ChallengerProcess ch({"--dataset", (test::golden_dir() / "small").string()});
  const std::string url = ch.url();
  REQUIRE(!url.empty());
  const auto run = run_with_reply("--url " + url + " --max-batches 5 --threads 1");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("5 answered") != std::string::npos);
  CHECK(run.reply.find("\"served\": 5") != std::string::npos);
  CHECK(run.reply.find("\"results\": 5") != std::string::npos);
  CHECK(run.reply.find("\"unserved\": 15") != std::string::npos);
  CHECK(run.reply.find("\"missing\": 0") != std::string::npos);
  CHECK(ch.stop(SIGINT) == 0);
}

TEST_CASE("run: exit 1 when the challenger counts a result wrong, though every batch was answered") {
  const fs::path dir = golden_small_expecting_wrong_saturated(3);
  ChallengerProcess ch({"--dataset", dir.string()});
  const std::string url = ch.url();
  REQUIRE(!url.empty());
  const auto run = run_with_reply("--url " + url + " --threads 1");
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(run.output.find("20 answered") != std::string::npos);
  CHECK(run.reply.find("\"results\": 20") != std::string::npos);
  CHECK(run.reply.find("\"wrong\": 1") != std::string::npos);
  CHECK(run.reply.find("\"missing\": 0") != std::string::npos);
  CHECK(run.reply.find("\"wrong_batches\": [3]") != std::string::npos);
  CHECK(ch.stop(SIGTERM) == 0);
  fs::remove_all(dir);
}

TEST_CASE("challenger process: --faults misbehaves on the share asked, and says so in the verdict") {
  ChallengerProcess ch({"--dataset", (test::golden_dir() / "small").string(), "--faults", "0.3", "--fault-seed", "2"});
  const std::string url = ch.url();
  REQUIRE(!url.empty());
  CHECK(ch.output().find("injecting faults on 30.0% of next_batch and result requests (seed 2)") != std::string::npos);
  const auto run = run_with_reply("--url " + url + " --threads 1");
  INFO(run.output);
  CHECK(run.reply.find("\"faults_injected\": 0") == std::string::npos);
  CHECK(run.reply.find("\"faults_injected\": ") != std::string::npos);
  CHECK((run.exit_code == 0 || run.exit_code == 1));  // 1 when a batch was cut in flight (lost)
  CHECK(ch.stop(SIGTERM) == 0);
  // Without --faults, none.
  ChallengerProcess calm({"--dataset", (test::golden_dir() / "small").string()});
  const std::string calm_url = calm.url();
  REQUIRE(!calm_url.empty());
  const auto quiet = run_with_reply("--url " + calm_url + " --threads 1");
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.reply.find("\"faults_injected\": 0") != std::string::npos);
}

TEST_CASE("run: --no-test creates the bench with \"test\": false; without it, true") {
  std::mutex m;
  std::vector<std::string> creates;
  test::FaultyChallenger ch(test::served_golden("small"), [&](Challenger& c, const HttpRequest& req) {
    if (req.target == "/api/create") {
      std::lock_guard lock(m);
      creates.push_back(req.body);
    }
    return c.handle(req);
  });
  CHECK(test::run_command(test::binary() + " --url " + ch.url() + " --max-batches 1 --quiet").exit_code == 0);
  CHECK(test::run_command(test::binary() + " --url " + ch.url() + " --max-batches 1 --quiet --no-test").exit_code == 0);
  REQUIRE(creates.size() == 2);
  CHECK(creates[0].find("\"test\": true") != std::string::npos);
  CHECK(creates[1].find("\"test\": false") != std::string::npos);
}

TEST_CASE("run: --timeout-ms bounds each request: a create answered after 1 s fails at 100 ms, passes at 10 s") {
  test::FaultyChallenger ch(test::served_golden("small"), [&](Challenger& c, const HttpRequest& req) {
    HttpReply reply = c.handle(req);
    if (req.target == "/api/create") reply.delay = std::chrono::milliseconds(1000);
    return reply;
  });
  const auto cut = test::run_command(test::binary() + " --url " + ch.url() + " --timeout-ms 100 --quiet");
  INFO(cut.output);
  CHECK(cut.exit_code == 2);  // no bench: a set-up error
  CHECK(cut.output.find("cannot create a bench") != std::string::npos);
  const auto waited =
      test::run_command(test::binary() + " --url " + ch.url() + " --timeout-ms 10000 --max-batches 2 --quiet");
  INFO(waited.output);
  CHECK(waited.exit_code == 0);
}

TEST_CASE("challenger process: set-up errors exit 2 at once: an unreadable --dataset, a port already taken") {
  // `timeout 60`: a challenger that started serving instead would otherwise never return (124).
  const auto missing =
      test::run_command("timeout 60 " + test::binary() + " challenger --port 0 --dataset /nonexistent-lpbf-dataset");
  INFO(missing.output);
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("/nonexistent-lpbf-dataset") != std::string::npos);

  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(held, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(held, 1) == 0);
  REQUIRE(::getsockname(held, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  const auto taken = test::run_command("timeout 60 " + test::binary() + " challenger --port " +
                                       std::to_string(ntohs(a.sin_port)) + " --layers 2 --tile 32 --grid 2");
  ::close(held);
  INFO(taken.output);
  CHECK(taken.exit_code == 2);
}
