#include "core/kafka/kafka_lookback.h"

#include <algorithm>
#include <charconv>

namespace lpbf {

void PartitionLookback::record(const std::string& tile, int64_t offset) { offsets_[tile].push_back(offset); }

int64_t PartitionLookback::rebuild_start(int64_t resume) const {
  int64_t start = resume;
  for (const auto& [tile, offsets] : offsets_) {
    // The tile's layers before `resume`: the last two of them matter.
    const auto end = std::lower_bound(offsets.begin(), offsets.end(), resume);
    const auto count = end - offsets.begin();
    if (count == 0) continue;
    if (*(end - 1) < resume - kLookbackHorizon) continue;  // finished, see the header
    start = std::min(start, count >= 2 ? *(end - 2) : *(end - 1));
  }
  return start;
}

void PartitionLookback::forget_before(int64_t resume) {
  for (auto it = offsets_.begin(); it != offsets_.end();) {
    std::deque<int64_t>& offsets = it->second;
    const auto before = std::lower_bound(offsets.begin(), offsets.end(), resume) - offsets.begin();
    if (before > 2) offsets.erase(offsets.begin(), offsets.begin() + (before - 2));
    if (offsets.empty() || offsets.back() < resume - kLookbackHorizon) it = offsets_.erase(it);
    else ++it;
  }
}

std::string lookback_metadata(int64_t rebuild_start) { return "lookback=" + std::to_string(rebuild_start); }

std::optional<int64_t> parse_lookback_metadata(const std::string& metadata) {
  const std::string prefix = "lookback=";
  if (metadata.rfind(prefix, 0) != 0) return std::nullopt;
  int64_t value = -1;
  const char* first = metadata.data() + prefix.size();
  const char* last = metadata.data() + metadata.size();
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || first == last || value < 0) return std::nullopt;
  return value;
}

}  // namespace lpbf
