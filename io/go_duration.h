#pragma once
// Go duration strings, as the organisers' Micro Challenger writes latencies ("1m7s126ms827µs129ns").
#include <cstdint>
#include <string>

#include "io/result.h"

namespace lpbf {

// "1m7s126ms827µs129ns" -> 67126.827129 (milliseconds). Also Go's own form ("1m7.126827129s").
Result<double> parse_go_duration(const std::string& text);

}  // namespace lpbf
