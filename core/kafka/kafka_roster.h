#pragma once
// Who is in the workers' consumer group, and whether it is settled. librdkafka 2.0.2 has no
// DescribeConsumerGroups, so each worker announces its assignment on a small topic of its own,
// `<raw-topic>.workers` (one partition): "group TAB worker TAB p,p,p TAB generation", when it
// changes and every 250 ms. The generation is the group's, as the worker saw it at its last
// assignment (it rises by one with every rebalance); `joining` before its first assignment.
//
// The runner reads the announcements made after it started waiting and starts the clock only when
// the group is ready (GroupRoster::ready): every worker this run started holds its assignment of
// the newest generation, every live member has been heard at that generation (a member still
// announcing an older one with partitions is mid-rebalance, or dead; one announcing `joining`
// is about to rebalance the group), the members of that
// generation hold every partition of the raw topic, and all of that has held, generation
// unchanged, for kSettle. An outside worker already in the group therefore no longer satisfies
// the wait before the runner's own workers have joined (issue 23).
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/kafka/kafka_topology.h"
#include "io/kafka.h"
#include "io/result.h"

namespace lpbf {

inline constexpr std::chrono::milliseconds kAnnouncePeriod{250};
inline constexpr std::chrono::milliseconds kAnnouncementLife{2000};
// How long the group must stay ready, generation unchanged, before the clock starts: two
// announcement periods, so that every member has re-announced within it.
inline constexpr std::chrono::milliseconds kSettle{2 * kAnnouncePeriod};

// Announcement::generation: a worker of an older build (no generation field: counted as being at
// every generation), or one not yet assigned anything.
inline constexpr int32_t kGenerationUnknown = -1;
inline constexpr int32_t kGenerationJoining = -2;

struct Announcement {
  std::string group, worker;
  std::vector<int32_t> partitions;
  int32_t generation = kGenerationUnknown;
};
std::string encode_announcement(const Announcement& a);
// nullopt for anything malformed, or naming a partition outside [0, partitions).
std::optional<Announcement> parse_announcement(std::string_view text, int partitions);

// The name prefix ("host/pid/") of the workers this process runs: the runner's own.
std::string this_process_worker_prefix();

// One member of the group when it became ready.
struct RosterMember {
  std::string worker;
  std::vector<int32_t> partitions;
  bool own = false;  // started by this run
  // "host/123/0 [0,1,2,3] (this run)": the summary's and the report's form.
  std::string describe() const;
};

struct WorkersReady {
  double seconds = 0;  // how long the wait took
  int32_t generation = kGenerationUnknown;
  std::vector<RosterMember> members;  // live ones, own first
  int64_t roster_offset = -1;         // the roster's next announcement: where a GenerationWatch goes on
};

// The announcements of one group, and the readiness rule above. Pure: time comes in as arguments.
class GroupRoster {
 public:
  using Clock = std::chrono::steady_clock;
  // `own_prefix`: the name prefix of the workers this run started; `own_workers`: how many.
  GroupRoster(std::string group, int partitions, std::string own_prefix, size_t own_workers);
  // Takes an announcement heard at `now` (another group's is ignored).
  void heard(const Announcement& a, Clock::time_point now);
  // Re-evaluates at `now`; returns the group when it has been ready, generation unchanged, for
  // `settle`.
  std::optional<WorkersReady> ready(Clock::time_point now, std::chrono::milliseconds settle = kSettle);
  // Why it is not ready now, for the timeout's error: the partitions nobody holds, the own workers
  // not assigned, the members still at an older generation.
  std::string why_not(Clock::time_point now) const;
  size_t live_members(Clock::time_point now) const;

 private:
  struct Heard {
    std::vector<int32_t> partitions;
    int32_t generation = kGenerationUnknown;
    Clock::time_point at;
  };
  struct Assessment {
    bool ready = false;
    int32_t generation = kGenerationUnknown;
    std::vector<int32_t> unheld;               // partitions no member of the generation holds
    std::vector<std::string> behind, waiting;  // members at an older generation; own not assigned
    std::vector<std::string> joining;          // other members not assigned yet: a rebalance to come
    size_t own_assigned = 0;
  };
  Assessment assess(Clock::time_point now) const;
  bool own(const std::string& worker) const { return worker.rfind(own_prefix_, 0) == 0; }

  std::string group_;
  int partitions_;
  std::string own_prefix_;
  size_t own_workers_;
  std::map<std::string, Heard> members_;
  std::optional<Clock::time_point> ready_since_;
  int32_t ready_generation_ = kGenerationUnknown;
};

// The newest generation the members of a group announce from the watch's start on: the runner
// watches through its run, and a generation above the one it started the clock at is a rebalance
// during the run (the report's kafka_group.generation_at_end).
class GenerationWatch {
 public:
  // From offset `from` of the roster (WorkersReady::roster_offset: nothing said since the group was
  // ready is missed), or from its end now when negative. Throws std::runtime_error when the roster
  // cannot be read.
  explicit GenerationWatch(const KafkaTopology& topology, int64_t from = -1);
  ~GenerationWatch();
  // Reads the announcements there are, waiting at most `timeout` for one.
  void poll(std::chrono::milliseconds timeout);
  // Reads every announcement made before now (up to the roster's end as of now), within `timeout`.
  void catch_up(std::chrono::milliseconds timeout);
  int32_t newest() const { return newest_; }

 private:
  std::string group_;
  std::unique_ptr<KafkaConsumer> roster_;
  KafkaOptions kafka_;
  std::string topic_;
  int64_t next_offset_ = 0;
  int32_t newest_ = kGenerationUnknown;
};

// Waits until the group of `topology` is ready (GroupRoster::ready) with `own_workers` workers of
// this process in it. An error when that does not happen within `timeout`, naming the group and
// what is missing, or when the raw topic's partitions or the roster cannot be read.
Result<WorkersReady> wait_for_workers(const KafkaTopology& topology, size_t own_workers,
                                      std::chrono::milliseconds timeout);

}  // namespace lpbf
