#include "io/go_duration.h"

#include <cstdlib>

namespace lpbf {

Result<double> parse_go_duration(const std::string& text) {
  static const struct { const char* unit; double ms; } kUnits[] = {
      {"h", 3.6e6}, {"ms", 1.0}, {"m", 6e4}, {"s", 1e3}, {"\xc2\xb5s", 1e-3}, {"us", 1e-3}, {"ns", 1e-6}};
  if (text.empty()) return Error{"empty duration"};
  size_t i = text[0] == '-' ? 1 : 0;
  if (text == "0") return 0.0;
  double total = 0;
  bool any = false;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == start) return Error{"'" + text + "' is not a duration: expected a number at " + std::to_string(start)};
    const double value = std::strtod(text.substr(start, i - start).c_str(), nullptr);
    bool matched = false;
    for (const auto& u : kUnits) {
      const std::string unit = u.unit;
      if (text.compare(i, unit.size(), unit) == 0) {
        total += value * u.ms;
        i += unit.size();
        matched = any = true;
        break;
      }
    }
    if (!matched) return Error{"'" + text + "' is not a duration: unknown unit at " + std::to_string(i)};
  }
  if (!any) return Error{"'" + text + "' is not a duration"};
  return text[0] == '-' ? -total : total;
}

}  // namespace lpbf
