#pragma once
// The fuzzed entry points: every parser that takes bytes from outside. Each takes any bytes and
// must return without crashing, leaking or hanging, and checks its parser's invariants on what it
// read (what decodes re-encodes to the same fields, what parses writes and reads back equal). A
// broken invariant throws InvariantBroken: a libFuzzer harness (fuzz_main.cpp) drives one target
// and aborts on it (a finding), and tests/fuzz/fuzz_regression_test.cpp replays the seed corpora
// and every input that once crashed through all of them in the ordinary test run, failing on it.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace lpbf::fuzz {

using Target = int (*)(const uint8_t* data, size_t size);

// Thrown by a target when what it parsed breaks an invariant; what() names the invariant.
struct InvariantBroken : std::logic_error {
  using std::logic_error::logic_error;
};
// Throws InvariantBroken(what) unless ok.
void require(bool ok, const char* what);

int batch_decoder(const uint8_t* data, size_t size);       // a next_batch reply's msgpack
int result_decoder(const uint8_t* data, size_t size);      // a result's msgpack, as the challenger reads it
int tiff_decoder(const uint8_t* data, size_t size);        // a batch's TIFF
int expected_json(const uint8_t* data, size_t size);       // expected.json
int create_body(const uint8_t* data, size_t size);         // POST /api/create's JSON body (every --emulate)
int challenger_request(const uint8_t* data, size_t size);  // one raw HTTP request to the challenger (every --emulate)
int go_duration(const uint8_t* data, size_t size);         // a Micro Challenger latency ("760ms787µs542ns")

struct NamedTarget {
  const char* name;  // also the corpus directory under tests/fuzz/corpus/
  Target run;
};
inline constexpr NamedTarget kTargets[] = {
    {"batch_decoder", batch_decoder}, {"result_decoder", result_decoder}, {"tiff_decoder", tiff_decoder},
    {"expected_json", expected_json}, {"create_body", create_body},       {"challenger_request", challenger_request},
    {"go_duration", go_duration},
};

}  // namespace lpbf::fuzz
