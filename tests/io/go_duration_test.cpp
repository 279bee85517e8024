// Go durations (io/go_duration.h): the Micro Challenger's form written, both it and Go's
// time.Duration.String() form read, anything else refused.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "io/go_duration.h"

using namespace lpbf;

namespace {

constexpr int64_t kNs = 1, kUs = 1'000, kMs = 1'000'000, kS = 1'000'000'000, kMin = 60 * kS, kH = 60 * kMin;

double ms(std::string_view text) {
  const Result<double> r = parse_go_duration(text);
  REQUIRE_MESSAGE(r.ok(), text << ": " << r.error());
  return r.value();
}

std::string refusal(std::string_view text) {
  const Result<double> r = parse_go_duration(text);
  return r.ok() ? "accepted" : r.error();
}

}  // namespace

TEST_CASE("go duration: zero is 0s both ways") {
  CHECK(format_go_duration(0) == "0s");
  CHECK(ms("0s") == 0.0);
  CHECK(ms("0") == 0.0);  // Go's ParseDuration takes a bare 0
  CHECK(ms("-0s") == 0.0);
}

TEST_CASE("go duration: the Micro Challenger's form, units h m s ms µs ns, zero parts dropped") {
  CHECK(format_go_duration(760 * kMs + 787 * kUs + 542 * kNs) == "760ms787\u00b5s542ns");
  CHECK(format_go_duration(1 * kMin + 7 * kS + 126 * kMs + 827 * kUs + 129 * kNs) == "1m7s126ms827\u00b5s129ns");
  CHECK(format_go_duration(2 * kH) == "2h");
  CHECK(format_go_duration(1 * kH + 5 * kS) == "1h5s");
  CHECK(format_go_duration(3 * kUs) == "3\u00b5s");
  CHECK(format_go_duration(999) == "999ns");
  CHECK(format_go_duration(-1500 * kMs) == "-1s500ms");
  CHECK(format_go_duration(std::numeric_limits<int64_t>::min()) == "-2562047h47m16s854ms775\u00b5s808ns");
  CHECK(format_go_duration(std::numeric_limits<int64_t>::max()) == "2562047h47m16s854ms775\u00b5s807ns");

  CHECK(ms("760ms787\u00b5s542ns") == doctest::Approx(760.787542));
  CHECK(ms("1m7s126ms827\u00b5s129ns") == doctest::Approx(67126.827129));
  CHECK(ms("2h") == 7'200'000.0);
  CHECK(ms("1h5s") == 3'605'000.0);
}

TEST_CASE("go duration: Go's time.Duration.String() form reads too") {
  CHECK(ms("1m7.126827129s") == doctest::Approx(67126.827129));
  CHECK(ms("760.787542ms") == doctest::Approx(760.787542));
  CHECK(ms("2h0m0s") == 7'200'000.0);
  CHECK(ms("1h0m0.5s") == 3'600'500.0);
  CHECK(ms("1.5s") == 1500.0);
  CHECK(ms("-1.5s") == -1500.0);
  CHECK(ms("1.5\u00b5s") == doctest::Approx(0.0015));
  CHECK(ms("1.5\u03bcs") == doctest::Approx(0.0015));  // Greek mu, as Go also accepts
  CHECK(ms("1.5us") == doctest::Approx(0.0015));
  CHECK(ms("999ns") == doctest::Approx(0.000999));
  CHECK(ms(".5s") == 500.0);
  CHECK(ms("1.s") == 1000.0);
  CHECK(ms("+3ms") == 3.0);
}

TEST_CASE("go duration: every round trip of the written form reads back exactly") {
  for (int64_t ns : {int64_t(1), int64_t(999), kUs, 123 * kMs + 4, 59 * kMin + 59 * kS, 100 * kH + 1, -7 * kS}) {
    CAPTURE(ns);
    CHECK(ms(format_go_duration(ns)) == doctest::Approx(double(ns) / 1e6).epsilon(1e-12));
  }
}

TEST_CASE("go duration: garbage, empty text, a missing unit, units out of order or repeated are refused") {
  CHECK(refusal("").find("empty") != std::string::npos);
  CHECK(refusal("-").find("empty") != std::string::npos);
  CHECK(refusal("garbage").find("expected a number") != std::string::npos);
  CHECK(refusal("12").find("without a unit") != std::string::npos);
  CHECK(refusal("12x").find("unknown unit") != std::string::npos);
  CHECK(refusal("1s ").find("expected a number") != std::string::npos);
  CHECK(refusal(" 1s").find("expected a number") != std::string::npos);
  CHECK(refusal("1s2m").find("after a smaller one") != std::string::npos);
  CHECK(refusal("1s1s").find("repeated") != std::string::npos);
  CHECK(refusal("1us1\u00b5s").find("repeated") != std::string::npos);
  CHECK(refusal("1.5s3ms").find("only the last part") != std::string::npos);
  CHECK(refusal(".s").find("expected a number") != std::string::npos);
  CHECK(refusal("--1s").find("expected a number") != std::string::npos);
  CHECK(refusal("1\xc2s") != "accepted");  // half a µ
}

TEST_CASE("go duration: beyond int64 nanoseconds is an overflow, the limits themselves are not") {
  CHECK(ms("2562047h47m16s854ms775\u00b5s807ns") == doctest::Approx(9223372036854.775807));
  CHECK(ms("-2562047h47m16s854ms775\u00b5s808ns") == doctest::Approx(-9223372036854.775808));
  CHECK(refusal("2562047h47m16s854ms775\u00b5s808ns").find("beyond") != std::string::npos);
  CHECK(refusal("2562048h").find("beyond") != std::string::npos);
  CHECK(refusal("9223372036854775808ns").find("beyond") != std::string::npos);
  CHECK(refusal("99999999999999999999999999s").find("beyond") != std::string::npos);
}
