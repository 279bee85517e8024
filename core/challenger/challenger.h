#pragma once
// The challenger API of SPEC §1, as an in-memory service: benches, batches served in order, every
// result scored against the expected one (SPEC §2 rules), a verdict at the end. Transport-free:
// HttpServer calls handle(); so do tests. Thread-safe.
// On the wire it can instead behave like either server of the DEBS organisers (emulation.h):
// those calls are answered in challenger_evaluation.cpp and challenger_local.cpp, on the same
// benches and the same scoring.
#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/challenger/emulation.h"
#include "core/challenger/fault_plan.h"
#include "core/challenger/served_dataset.h"
#include "io/http_server.h"
#include "io/prometheus_text.h"

namespace lpbf {

inline constexpr const char* kDefaultApiToken = "polimi-deib";
inline constexpr size_t kWrongExamples = 5;

class Challenger {
 public:
  explicit Challenger(std::shared_ptr<const ServedDataset> dataset, std::string apitoken = kDefaultApiToken,
                      EmulationOptions emulation = {});

  HttpReply handle(const HttpRequest& request);
  // From now on, misbehave on a share of next_batch and result requests (see FaultPlan).
  void inject_faults(FaultPlan plan);
  const ServedDataset& dataset() const { return *dataset_; }
  Emulation emulation() const { return emulation_.mode; }
  // A bench's verdict (JSON, as the scoring server's end returns it), ended or not, whatever the
  // emulation: an emulated server forgets or never shows it, tests and logs still need it.
  std::optional<std::string> verdict(const std::string& bench_id) const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Bench {
    std::string id, name;
    bool test = false;
    bool started = false;  // emulations: start was called
    size_t limit = 0;      // batches this bench serves
    size_t next = 0;       // next serving position
    bool ended = false;
    std::vector<Clock::time_point> served_at;
    std::vector<uint8_t> answered;
    size_t results = 0, wrong = 0, duplicates = 0;
    std::vector<std::pair<int64_t, std::string>> wrong_examples;
    std::vector<int64_t> wrong_batches;        // every wrong result's batch id
    std::array<size_t, kFaultKinds> faults{};  // injected, by kind
    std::vector<int64_t> lost;                 // batches served with a body cut mid-way
    std::vector<double> latencies_ms;
    std::vector<double> result_at_s;  // when each result came, seconds since the first batch was served
    Clock::time_point created, first_served, last_result;
    std::string verdict;  // JSON, once ended
  };

  HttpReply create(const std::string& body);
  Bench& add_bench(std::string id, std::string name, bool test, int64_t max_batches);
  // Records a result for batch `batch_id` taken `now` and scores it. Empty, or why it cannot be
  // scored (the body unreadable, names another batch, or a batch never served); `duplicate` is
  // set for a batch already answered.
  std::string take_result(Bench& b, int64_t batch_id, const std::string& body, Clock::time_point now, bool& duplicate);
  void note_wrong(Bench& b, int64_t batch_id, const std::string& why);
  void log_ended(const Bench& b) const;
  std::string object_id();  // 24 hex digits, as MongoDB's ObjectId (the organisers' bench ids)
  static int64_t monotonic_ns();
  HttpReply start(Bench& b);
  HttpReply next_batch(Bench& b);
  HttpReply with_fault(Bench& b, bool is_result, const std::function<HttpReply()>& act);
  HttpReply result(Bench& b, const std::string& batch_id_text, const std::string& body);
  HttpReply end(Bench& b);
  HttpReply history() const;
  HttpReply metrics() const;
  HttpReply plot(const Bench& b) const;
  HttpReply status_page() const;
  std::string verdict_json(const Bench& b) const;

  // challenger_evaluation.cpp
  HttpReply handle_evaluation(const HttpRequest& request, const std::vector<std::string>& parts);
  HttpReply evaluation_create(const std::string& body);
  void save_active() const;
  // challenger_local.cpp
  HttpReply handle_local(const HttpRequest& request, const std::vector<std::string>& parts);
  std::string local_result_json(const Bench& b) const;

  std::shared_ptr<const ServedDataset> dataset_;
  std::string apitoken_;
  std::unordered_map<int64_t, size_t> position_of_;  // batch_id -> serving position
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Bench>> benches_;
  std::vector<std::string> order_;  // bench ids, oldest first
  uint64_t created_count_ = 0;
  // What /metrics serves, all benches, added to as batches are served and results arrive, so that a
  // scrape costs the same however many results are held (the bench states alone are counted per
  // scrape, O(benches)).
  size_t served_total_ = 0, results_total_ = 0, wrong_total_ = 0, duplicates_total_ = 0;
  size_t read_errors_total_ = 0;  // next_batch answered 500: a batch file unreadable
  HistogramData latency_seconds_ = empty_histogram(kLatencyBucketsSeconds);
  FaultPlan faults_;
  EmulationOptions emulation_;
  std::set<std::string> active_;   // evaluation: started, not ended (at most one unless a restart left one)
  uint64_t object_id_random_ = 0;  // the middle of object_id(): random, fixed per Challenger
};

}  // namespace lpbf
