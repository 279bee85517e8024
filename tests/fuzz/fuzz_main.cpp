// One libFuzzer harness: LPBF_FUZZ_TARGET names the function of fuzz_targets.h it drives.
#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return lpbf::fuzz::LPBF_FUZZ_TARGET(data, size);
}
