// One libFuzzer harness: LPBF_FUZZ_TARGET names the function of fuzz_targets.h it drives. A broken
// invariant aborts, so that libFuzzer records the input as a finding.
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    return lpbf::fuzz::LPBF_FUZZ_TARGET(data, size);
  } catch (const lpbf::fuzz::InvariantBroken& e) {
    std::fprintf(stderr, "invariant broken: %s\n", e.what());
    std::abort();
  }
}
