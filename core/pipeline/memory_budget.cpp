#include "core/pipeline/memory_budget.h"

#include <unistd.h>

namespace lpbf {

uint64_t default_memory_budget() {
  constexpr uint64_t kCeiling = uint64_t(4) << 30;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return uint64_t(256) << 20;
  return std::min(kCeiling, uint64_t(pages) * uint64_t(page) / 4);
}

}  // namespace lpbf
