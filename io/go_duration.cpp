#include "io/go_duration.h"

#include <array>
#include <limits>

namespace lpbf {
namespace {

struct Unit {
  std::string_view name;
  uint64_t ns;
  int rank;  // larger units first; "us" and "µs" share a rank
};

// Longest names first where one is a prefix of another ("ms" before "m").
constexpr std::array<Unit, 8> kUnits{{{"ns", 1, 6},
                                      {"us", 1'000, 5},
                                      {"\u00b5s", 1'000, 5},
                                      {"\u03bcs", 1'000, 5},
                                      {"ms", 1'000'000, 4},
                                      {"s", 1'000'000'000, 3},
                                      {"m", 60'000'000'000, 2},
                                      {"h", 3'600'000'000'000, 1}}};

// The Micro Challenger's units, as it writes them.
constexpr std::array<std::pair<std::string_view, uint64_t>, 6> kWritten{{{"h", 3'600'000'000'000},
                                                                         {"m", 60'000'000'000},
                                                                         {"s", 1'000'000'000},
                                                                         {"ms", 1'000'000},
                                                                         {"\u00b5s", 1'000},
                                                                         {"ns", 1}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string format_go_duration(int64_t nanoseconds) {
  if (nanoseconds == 0) return "0s";
  std::string out = nanoseconds < 0 ? "-" : "";
  // In unsigned arithmetic: the magnitude of INT64_MIN does not fit an int64.
  uint64_t left = nanoseconds < 0 ? 0 - uint64_t(nanoseconds) : uint64_t(nanoseconds);
  for (const auto& [name, ns] : kWritten) {
    if (left < ns) continue;
    out += std::to_string(left / ns);
    out += name;
    left %= ns;
  }
  return out;
}

Result<double> parse_go_duration(std::string_view text) {
  const std::string quoted = "duration \"" + std::string(text) + "\"";
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) negative = s[0] == '-', s.remove_prefix(1);
  if (s == "0") return 0.0;
  if (s.empty()) return Error{quoted + ": empty"};

  // The total in unsigned nanoseconds; a negative duration may reach 2^63, a positive one 2^63 - 1.
  const uint64_t limit = uint64_t(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  uint64_t total = 0;
  int last_rank = 0;
  bool had_fraction = false;
  while (!s.empty()) {
    if (had_fraction) return Error{quoted + ": only the last part may have a fraction"};
    // A number: digits, optionally '.' and digits, at least one digit in all.
    uint64_t whole = 0;
    bool whole_overflow = false;
    size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (whole > (std::numeric_limits<uint64_t>::max() - 9) / 10) whole_overflow = true;
      else whole = whole * 10 + uint64_t(s[i] - '0');
    }
    const size_t whole_digits = i;
    uint64_t fraction = 0, scale = 1;  // fraction / scale, at most 18 digits kept (below 1 ns they are dropped)
    size_t fraction_digits = 0;
    if (i < s.size() && s[i] == '.') {
      for (++i; i < s.size() && is_digit(s[i]); ++i, ++fraction_digits)
        if (scale < 1'000'000'000'000'000'000ULL) fraction = fraction * 10 + uint64_t(s[i] - '0'), scale *= 10;
      had_fraction = true;
    }
    if (whole_digits + fraction_digits == 0) return Error{quoted + ": expected a number at \"" + std::string(s) + "\""};
    s.remove_prefix(i);

    const Unit* unit = nullptr;
    for (const Unit& u : kUnits)
      if (s.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    if (!unit)
      return Error{quoted + (s.empty() ? ": a number without a unit" : ": unknown unit at \"" + std::string(s) + "\"")};
    if (unit->rank <= last_rank)
      return Error{quoted + ": unit \"" + std::string(unit->name) + "\" " +
                   (unit->rank == last_rank ? "repeated" : "after a smaller one")};
    last_rank = unit->rank;
    s.remove_prefix(unit->name.size());

    if (whole_overflow || whole > limit / unit->ns) return Error{quoted + ": beyond Go's range (int64 nanoseconds)"};
    // fraction * ns / scale truncated, as Go does; 128 bits hold the product.
    const uint64_t part = whole * unit->ns + uint64_t((unsigned __int128)fraction * unit->ns / scale);
    if (part > limit - total) return Error{quoted + ": beyond Go's range (int64 nanoseconds)"};
    total += part;
  }
  const double ms = double(total) / 1e6;
  return negative ? -ms : ms;
}

}  // namespace lpbf
