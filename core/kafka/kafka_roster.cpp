#include "core/kafka/kafka_roster.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <stdexcept>

#include "io/kafka.h"

namespace lpbf {

namespace {

std::string join_partitions(const std::vector<int32_t>& parts, size_t at_most = 16) {
  std::string s;
  for (size_t i = 0; i < parts.size() && i < at_most; ++i) {
    if (i) s += ',';
    s += std::to_string(parts[i]);
  }
  if (parts.size() > at_most) s += ",...";
  return s;
}

std::string join_names(const std::vector<std::string>& names, size_t at_most = 8) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < at_most; ++i) {
    if (i) s += ", ";
    s += names[i];
  }
  if (names.size() > at_most) s += ", ...";
  return s;
}

}  // namespace

std::string encode_announcement(const Announcement& a) {
  std::string s = a.group + "\t" + a.worker + "\t" + join_partitions(a.partitions, a.partitions.size());
  if (a.generation == kGenerationJoining) s += "\tjoining";
  else if (a.generation >= 0) s.append("\t").append(std::to_string(a.generation));
  return s;  // unknown: no field, as older workers announce
}

std::optional<Announcement> parse_announcement(std::string_view text, int partitions) {
  const size_t tab1 = text.find('\t');
  if (tab1 == std::string_view::npos) return std::nullopt;
  const size_t tab2 = text.find('\t', tab1 + 1);
  if (tab2 == std::string_view::npos) return std::nullopt;
  Announcement a{std::string(text.substr(0, tab1)), std::string(text.substr(tab1 + 1, tab2 - tab1 - 1)), {}};
  std::string_view list = text.substr(tab2 + 1);
  if (const size_t tab3 = list.find('\t'); tab3 != std::string_view::npos) {
    const std::string_view generation = list.substr(tab3 + 1);
    list = list.substr(0, tab3);
    if (generation == "joining") {
      a.generation = kGenerationJoining;
    } else {
      int32_t g = -1;
      const auto [end, ec] = std::from_chars(generation.data(), generation.data() + generation.size(), g);
      if (ec != std::errc() || end != generation.data() + generation.size() || g < 0) return std::nullopt;
      a.generation = g;
    }
  }
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    int32_t p = -1;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), p);
    if (ec != std::errc() || end != item.data() + item.size() || p < 0 || p >= partitions) return std::nullopt;
    a.partitions.push_back(p);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return a;
}

std::string this_process_worker_prefix() {
  char host[256] = "host";
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "/" + std::to_string(::getpid()) + "/";
}

std::string RosterMember::describe() const {
  return worker + " [" + join_partitions(partitions) + "]" + (own ? " (this run)" : "");
}

GroupRoster::GroupRoster(std::string group, int partitions, std::string own_prefix, size_t own_workers)
    : group_(std::move(group)),
      partitions_(partitions),
      own_prefix_(std::move(own_prefix)),
      own_workers_(own_workers) {}

void GroupRoster::heard(const Announcement& a, Clock::time_point now) {
  if (a.group != group_) return;
  if (members_.size() >= 4096 && !members_.count(a.worker)) return;  // names come from the topic: bounded
  members_[a.worker] = Heard{a.partitions, a.generation, now};
}

size_t GroupRoster::live_members(Clock::time_point now) const {
  size_t n = 0;
  for (const auto& [worker, heard] : members_) n += now - heard.at <= kAnnouncementLife;
  return n;
}

GroupRoster::Assessment GroupRoster::assess(Clock::time_point now) const {
  Assessment r;
  for (const auto& [worker, heard] : members_)
    if (now - heard.at <= kAnnouncementLife) r.generation = std::max(r.generation, heard.generation);
  // A member of an older build says no generation: it counts as being at every one.
  const auto current = [&](const Heard& h) {
    return h.generation == r.generation || h.generation == kGenerationUnknown;
  };
  std::set<int32_t> held;
  for (const auto& [worker, heard] : members_) {
    if (now - heard.at > kAnnouncementLife) continue;  // gone: its partitions went to others
    if (current(heard)) {
      held.insert(heard.partitions.begin(), heard.partitions.end());
      if (own(worker) && heard.generation != kGenerationJoining) ++r.own_assigned;
    } else if (!heard.partitions.empty()) {
      // Still holding partitions under an older generation: not yet rejoined (a rebalance in
      // progress), or dead and not yet expired. Holding nothing, it has left or is rejoining: the
      // members of the new generation must then hold everything without it.
      r.behind.push_back(worker);
    }
    if (own(worker) && (heard.generation == kGenerationJoining || !current(heard))) r.waiting.push_back(worker);
    // Subscribed and not yet assigned: its join is about to rebalance the group.
    if (!own(worker) && heard.generation == kGenerationJoining) r.joining.push_back(worker);
  }
  for (int32_t p = 0; p < partitions_; ++p)
    if (!held.count(p)) r.unheld.push_back(p);
  r.ready = r.unheld.empty() && r.behind.empty() && r.joining.empty() && r.own_assigned >= own_workers_;
  return r;
}

std::optional<WorkersReady> GroupRoster::ready(Clock::time_point now, std::chrono::milliseconds settle) {
  const Assessment a = assess(now);
  if (!a.ready || (ready_since_ && a.generation != ready_generation_)) {
    ready_since_.reset();
    if (!a.ready) return std::nullopt;
  }
  if (!ready_since_) {
    ready_since_ = now;
    ready_generation_ = a.generation;
  }
  if (now - *ready_since_ < settle) return std::nullopt;
  WorkersReady w;
  w.generation = a.generation;
  for (const auto& [worker, heard] : members_)
    if (now - heard.at <= kAnnouncementLife &&
        (heard.generation == a.generation || heard.generation == kGenerationUnknown))
      w.members.push_back(RosterMember{worker, heard.partitions, own(worker)});
  std::stable_partition(w.members.begin(), w.members.end(), [](const RosterMember& m) { return m.own; });
  return w;
}

std::string GroupRoster::why_not(Clock::time_point now) const {
  const Assessment a = assess(now);
  std::vector<std::string> reasons;
  if (!a.unheld.empty())
    reasons.push_back("no worker of consumer group " + group_ + " took " +
                      (int(a.unheld.size()) == partitions_ ? std::string("any partition")
                                                           : "partition(s) " + join_partitions(a.unheld)));
  if (a.own_assigned < own_workers_)
    reasons.push_back(std::to_string(own_workers_ - a.own_assigned) + " of the " + std::to_string(own_workers_) +
                      " worker(s) this run started not assigned at the group's generation " +
                      std::to_string(a.generation) + (a.waiting.empty() ? "" : " (" + join_names(a.waiting) + ")"));
  if (!a.behind.empty())
    reasons.push_back("member(s) " + join_names(a.behind) + " still holding partitions of an older generation than " +
                      std::to_string(a.generation) + " (a rebalance in progress)");
  if (!a.joining.empty()) reasons.push_back("member(s) " + join_names(a.joining) + " still joining the group");
  if (reasons.empty()) reasons.push_back("consumer group " + group_ + " kept rebalancing");
  std::string s;
  for (const std::string& r : reasons) {
    if (!s.empty()) s += "; ";
    s += r;
  }
  return s;
}

Result<WorkersReady> wait_for_workers(const KafkaTopology& t, size_t own_workers, std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  const Result<int> counted = kafka_partition_count(t.kafka, t.raw_topic, std::chrono::seconds(5));
  if (!counted) return Error{counted.error()};
  const int partitions = counted.value();
  // Only announcements made from now on: older ones may come from workers long gone.
  const Result<std::map<int32_t, int64_t>> from =
      kafka_end_offsets(t.kafka, t.roster_topic(), 1, std::chrono::seconds(5));
  if (!from) return Error{from.error()};
  KafkaConsumer roster(t.kafka, KafkaConsumer::AssignAll{}, t.roster_topic(), from.value(), std::chrono::seconds(5));
  GroupRoster group(t.group, partitions, this_process_worker_prefix(), own_workers);
  int64_t next_offset = from.value().count(0) ? from.value().at(0) : 0;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (std::optional<WorkersReady> ready = group.ready(now)) {
      ready->seconds = std::chrono::duration<double>(now - start).count();
      ready->roster_offset = next_offset;
      return std::move(*ready);
    }
    if (now - start > timeout)
      return Error{group.why_not(now) + " of Kafka topic " + t.raw_topic + " at " + t.kafka.brokers + " within " +
                   std::to_string(timeout.count() / 1000) + " s (" + std::to_string(group.live_members(now)) +
                   " worker(s) heard from; start `lpbf-bench worker --kafka " + t.kafka.brokers + " --group " +
                   t.group + "`)"};
    // A failed poll is waited out like silence: librdkafka keeps trying, and the timeout above
    // reports a lasting failure as what the group lacks.
    const Result<std::optional<KafkaMessage>> polled = roster.poll(std::chrono::milliseconds(50));
    if (!polled || !polled.value()) continue;
    next_offset = std::max(next_offset, polled.value()->offset + 1);
    const SharedBytes& text = polled.value()->value;
    if (const auto a =
            parse_announcement(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), partitions))
      group.heard(*a, std::chrono::steady_clock::now());
  }
}

GenerationWatch::GenerationWatch(const KafkaTopology& t, int64_t from)
    : group_(t.group), kafka_(t.kafka), topic_(t.roster_topic()) {
  std::map<int32_t, int64_t> start{{0, from}};
  if (from < 0) {
    const Result<std::map<int32_t, int64_t>> end = kafka_end_offsets(kafka_, topic_, 1, std::chrono::seconds(5));
    if (!end) throw std::runtime_error(end.error());
    start = end.value();
  }
  next_offset_ = start.count(0) ? start.at(0) : 0;
  roster_ = std::make_unique<KafkaConsumer>(kafka_, KafkaConsumer::AssignAll{}, topic_, start, std::chrono::seconds(5));
}

GenerationWatch::~GenerationWatch() = default;

void GenerationWatch::poll(std::chrono::milliseconds timeout) {
  for (auto wait = timeout;; wait = std::chrono::milliseconds(0)) {
    const Result<std::optional<KafkaMessage>> polled = roster_->poll(wait);
    if (!polled || !polled.value()) return;
    next_offset_ = std::max(next_offset_, polled.value()->offset + 1);
    const SharedBytes& text = polled.value()->value;
    // Partition numbers are not checked here: only the generation is read.
    const auto a = parse_announcement(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()),
                                      kMaxKafkaPartitions);
    if (a && a->group == group_) newest_ = std::max(newest_, a->generation);
  }
}

void GenerationWatch::catch_up(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const Result<std::map<int32_t, int64_t>> end = kafka_end_offsets(kafka_, topic_, 1, timeout);
  if (!end || !end.value().count(0)) return;
  while (next_offset_ < end.value().at(0) && std::chrono::steady_clock::now() < deadline)
    poll(std::chrono::milliseconds(20));
}

}  // namespace lpbf
