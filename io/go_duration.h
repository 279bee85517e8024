#pragma once
// Durations as Go programs write them, for the DEBS organisers' Micro Challenger (written in Go),
// whose end-of-bench JSON gives latencies as text such as "1m7s126ms827µs129ns".
//
// Two forms exist:
//  - the Micro Challenger's own: every non-zero unit from h to ns, whole numbers, largest first,
//    zero parts dropped ("1h5s", "760ms787µs542ns"), "0s" for zero. format_go_duration writes it.
//  - Go's time.Duration.String(): h, m and s with a fraction on the seconds ("1m7.126827129s",
//    "2h0m0s"), or one sub-second unit with a fraction ("760.787542ms", "1.5µs"), "0s" for zero.
// parse_go_duration reads both.
#include <cstdint>
#include <string>
#include <string_view>

#include "io/result.h"

namespace lpbf {

// The Micro Challenger's form; a negative duration gets a leading '-'.
std::string format_go_duration(int64_t nanoseconds);

// Milliseconds. The grammar is Go's time.ParseDuration, stricter in three ways: units must come
// largest first, each at most once, and only the last may have a fraction. Accepts an optional
// sign, the units h m s ms us µs (U+00B5) μs (U+03BC) ns, and a bare "0". An Error for empty text,
// garbage, a missing unit, units out of order or repeated, or a total beyond Go's int64
// nanoseconds (about 292 years).
Result<double> parse_go_duration(std::string_view text);

}  // namespace lpbf
