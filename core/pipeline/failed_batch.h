#pragma once
// A batch that could not be answered: a value that travels to the summary, never an exception.
#include <cstdint>
#include <string>

namespace lpbf {

struct FailedBatch {
  int64_t batch_id = -1;  // -1: the failure came before a batch id was known
  std::string reason;
  bool operator==(const FailedBatch&) const = default;
};

}  // namespace lpbf
