#include "core/report/baseline_verdict.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace lpbf {
namespace {

struct Figure {
  const char* name;
  double Repetition::*value;
  bool higher_is_better;
  const char* unit;
  const char* format;
};

constexpr Figure kFigures[] = {
    {"throughput", &Repetition::throughput, true, "batches/s", "%.1f"},
    {"p50", &Repetition::p50, false, "ms", "%.2f"},
    {"p90", &Repetition::p90, false, "ms", "%.2f"},
    {"p99", &Repetition::p99, false, "ms", "%.2f"},
    {"max", &Repetition::max, false, "ms", "%.2f"},
    {"mean", &Repetition::mean, false, "ms", "%.2f"},
};

const Figure* find_figure(std::string_view name) {
  for (const Figure& f : kFigures)
    if (name == f.name) return &f;
  return nullptr;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// "2500.0" for one bench, "2500.0 (2400.0-2600.0)" for several.
std::string value_text(const Spread& s, const char* format, bool spread) {
  std::string t = fmt(format, s.median);
  if (spread) t += " (" + fmt(format, s.min) + "-" + fmt(format, s.max) + ")";
  return t;
}

std::string limit_text(const FigureVerdict& v) {
  return fmt(v.higher_is_better ? "-%.1f%%" : "+%.1f%%", 100 * v.limit);
}

}  // namespace

std::vector<RegressionLimit> parse_regression_limits(std::string_view spec) {
  std::vector<RegressionLimit> limits;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      throw std::invalid_argument("takes FIGURE=LIMIT%,... (e.g. throughput=5%,p99=10%), not '" + std::string(item) +
                                  "'");
    const std::string name(item.substr(0, eq));
    std::string value(item.substr(eq + 1));
    if (!find_figure(name))
      throw std::invalid_argument("knows the figures throughput, p50, p90, p99, max and mean, not '" + name + "'");
    for (const RegressionLimit& l : limits)
      if (l.figure == name) throw std::invalid_argument("gives " + name + " twice");
    if (!value.empty() && value.back() == '%') value.pop_back();
    char* end = nullptr;
    const double percent = value.empty() ? -1 : std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(percent) || percent < 0)
      throw std::invalid_argument("takes a limit in percent >= 0 for " + name + ", not '" + std::string(item) + "'");
    limits.push_back({name, percent / 100});
  }
  if (limits.empty()) throw std::invalid_argument("takes at least one FIGURE=LIMIT%");
  return limits;
}

bool BaselineVerdict::pass() const {
  for (const FigureVerdict& f : figures)
    if (!f.pass) return false;
  return true;
}

BaselineVerdict compare_with_baseline(const RunReport& run, const RunReport& baseline,
                                      const std::vector<RegressionLimit>& limits) {
  BaselineVerdict verdict;
  for (const RegressionLimit& l : limits) {
    const Figure* f = find_figure(l.figure);
    if (!f) continue;  // parse_regression_limits lets none through
    FigureVerdict v;
    v.figure = f->name, v.unit = f->unit, v.higher_is_better = f->higher_is_better, v.limit = l.fraction;
    v.baseline = spread_of(baseline, f->value), v.now = spread_of(run, f->value);
    v.change = v.baseline.median != 0 ? (v.now.median - v.baseline.median) / v.baseline.median : 0;
    const double regression = f->higher_is_better ? -v.change : v.change;
    // A hair of tolerance: a figure printed as exactly the limit passes.
    v.pass = regression <= l.fraction + 1e-9;
    v.spread = std::max(v.baseline.relative(), v.now.relative());
    v.cannot_tell = v.spread > l.fraction;
    verdict.figures.push_back(v);
  }
  return verdict;
}

std::string verdict_text(const BaselineVerdict& verdict) {
  std::string s;
  size_t failed = 0, unsure = 0;
  for (const FigureVerdict& v : verdict.figures) {
    const Figure* f = find_figure(v.figure);
    const bool spread = v.baseline.min != v.baseline.max || v.now.min != v.now.max;
    char line[512];
    std::snprintf(line, sizeof line, "%-10s  baseline %s %s  now %s %s  change %+.1f%%  limit %s  %s", f->name,
                  value_text(v.baseline, f->format, spread).c_str(), f->unit,
                  value_text(v.now, f->format, spread).c_str(), f->unit, 100 * v.change, limit_text(v).c_str(),
                  v.pass ? "PASS" : "FAIL");
    s += line;
    if (v.cannot_tell)
      s += "  (cannot tell: the spread, " + fmt("%.1f%%", 100 * v.spread) + " of the median, is wider than the limit)";
    s += "\n";
    failed += !v.pass, unsure += v.cannot_tell;
  }
  s += "verdict: " + verdict.word();
  if (failed)
    s += " (" + std::to_string(failed) + " of " + std::to_string(verdict.figures.size()) +
         " figures regressed beyond the limit)";
  if (unsure) s += "; " + std::to_string(unsure) + " figure(s) too noisy to tell: run more repetitions (--repeat)";
  return s + "\n";
}

std::string verdict_markdown(const BaselineVerdict& verdict, const RunReport& run, const RunReport& baseline) {
  std::string s = "### lpbf-bench against the baseline: " + verdict.word() + "\n\n";
  s += "| figure | baseline | now | change | limit | verdict |\n|---|---:|---:|---:|---:|---|\n";
  for (const FigureVerdict& v : verdict.figures) {
    const Figure* f = find_figure(v.figure);
    const bool spread = v.baseline.min != v.baseline.max || v.now.min != v.now.max;
    s += "| " + v.figure + " (" + v.unit + ") | " + value_text(v.baseline, f->format, spread) + " | " +
         value_text(v.now, f->format, spread) + " | " + fmt("%+.1f%%", 100 * v.change) + " | " + limit_text(v) + " | " +
         (v.pass ? "PASS" : "**FAIL**") + (v.cannot_tell ? " (cannot tell: noisier than the limit)" : "") + " |\n";
  }
  auto about = [](const RunReport& r) {
    std::string a = "`" + (r.origin.empty() ? r.bench_id : r.origin) + "`";
    if (!r.repetitions.empty()) a += ", median of " + std::to_string(r.repetitions.size()) + " repetitions";
    if (r.warmup > 0) a += ", " + std::to_string(r.warmup) + " warm-up batches left out";
    return a;
  };
  s += "\nNow: " + about(run) + ". Baseline: " + about(baseline) + ".\n";
  return s;
}

}  // namespace lpbf
