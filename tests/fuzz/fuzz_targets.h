#pragma once
// The fuzzed entry points: every parser that takes bytes from outside. Each takes any bytes and
// must return without crashing, leaking or hanging; a libFuzzer harness (fuzz_main.cpp) drives
// one of them, and tests/fuzz/fuzz_regression_test.cpp replays the seed corpora and every input that
// once crashed through all of them in the ordinary test run.
#include <cstddef>
#include <cstdint>

namespace lpbf::fuzz {

using Target = int (*)(const uint8_t* data, size_t size);

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
