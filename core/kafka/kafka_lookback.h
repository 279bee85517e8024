#pragma once
// How far back a new owner of a raw-topic partition must read to rebuild its windows.
//
// A window needs its tile's last two layers before the point where answering resumes (the
// committed offset C). This records, per tile of one partition, the offsets of its recent layers,
// and answers "the lowest offset holding one of the last two layers before C of any tile": the
// worker commits that look-back start S as the commit's metadata, and whoever is assigned the
// partition next reads [S, C) into its windows without answering, then answers from C on.
//
// A tile with no layer in the last kLookbackHorizon messages of its partition is taken as
// finished (another bench's, or a print that ended) and no longer holds S back; should it come
// back, the worker sees the gap in its layer numbers and fails that batch, saying why, rather
// than answer on a window it cannot complete.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace lpbf {

inline constexpr int64_t kLookbackHorizon = 4096;

class PartitionLookback {
 public:
  // A layer of `tile` at `offset`; offsets of one partition come in increasing order.
  void record(const std::string& tile, int64_t offset);
  // The look-back start for resuming at `resume`: <= resume, and <= the second-last layer before
  // `resume` of every tile still live (the last one, for a tile with a single layer).
  int64_t rebuild_start(int64_t resume) const;
  // Forgets what no rebuild_start(r), r >= resume, can need.
  void forget_before(int64_t resume);
  size_t tiles() const { return offsets_.size(); }

 private:
  std::map<std::string, std::deque<int64_t>> offsets_;
};

// The commit metadata that carries S: "lookback=S". Anything else (another writer, a corrupt or
// hostile value) parses as nullopt, and the reader falls back to the partition's beginning.
std::string lookback_metadata(int64_t rebuild_start);
std::optional<int64_t> parse_lookback_metadata(const std::string& metadata);

}  // namespace lpbf
