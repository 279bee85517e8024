#include "core/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/pipeline/latency_stats.h"
#include "io/html_text.h"
#include "io/svg_chart.h"

namespace lpbf {
namespace {

constexpr const char* kRunColor = "#2e86c1";
constexpr const char* kBaseColor = "#e67e22";
constexpr int kMaxBins = 60;       // intervals of the over-time charts
constexpr int kChartWidth = 1050;  // drawn at the page's width (CSS), in these units
constexpr double kSampleMs = 100;  // the run samples its depths this often

// A rate or a count: its axis starts at zero and ends at the largest value (1 for none), so that
// a line's height reads as its size.
void from_zero(svg::Chart& c, const std::vector<svg::Series>& series) {
  double hi = 0;
  for (const svg::Series& s : series)
    for (double y : s.y)
      if (std::isfinite(y)) hi = std::max(hi, y);
  c.y.min = 0, c.y.max = hi > 0 ? hi : 1;
}

// In place of a chart with nothing to draw: a figure saying why.
std::string no_samples(const svg::Chart& c, const std::string& why) {
  return "<figure class=\"no-samples\"><b>" + html_escape(c.title) + "</b><p>" + html_escape(why) + "</p></figure>";
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

double end_ms(const RunReport& r) {
  double end = 0;
  for (const TracedBatch& b : r.trace) end = std::max(end, b.acked);
  return end > 0 ? end : r.wall_seconds * 1e3;
}

// The latency at quantile q of one interval's batches; NaN (a gap in the line) for none.
double quantile_or_gap(std::vector<double>& v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return quantile_of_sorted(v, q);
}

// Answered batches per second, and latency p50 / p99, per interval of acknowledgement time.
struct OverTime {
  std::vector<double> t_s, rate, p50, p99;
};
OverTime over_time(const RunReport& r) {
  OverTime o;
  const double end = end_ms(r);
  if (end <= 0) return o;
  // About 20 batches an interval at least, so a short run's rate is not mostly empty intervals.
  const int bins = std::clamp(int(r.trace.size() / 20), 1, kMaxBins);
  const double bin = end / bins;
  std::vector<std::vector<double>> lat(static_cast<size_t>(bins));
  for (const TracedBatch& b : r.trace)
    if (b.outcome == "answered" && b.acked >= 0)
      lat[size_t(std::min(bins - 1, int(b.acked / bin)))].push_back(b.latency());
  for (int i = 0; i < bins; ++i) {
    o.t_s.push_back((i + 0.5) * bin / 1e3);
    o.rate.push_back(double(lat[size_t(i)].size()) / (bin / 1e3));
    o.p50.push_back(quantile_or_gap(lat[size_t(i)], 0.5));
    o.p99.push_back(quantile_or_gap(lat[size_t(i)], 0.99));
  }
  return o;
}

// HdrHistogram's percentile plot: x is 1 / (1 - percentile) on a log axis.
svg::Series percentile_curve(const RunReport& r, const std::string& name, const char* color) {
  std::vector<double> lat;
  for (const TracedBatch& b : r.trace)
    if (b.outcome == "answered" && b.latency() >= 0) lat.push_back(b.latency());
  std::sort(lat.begin(), lat.end());
  svg::Series s{name, color, {}, {}};
  for (size_t i = 0; i < lat.size(); ++i) {
    const double q = double(i) / double(lat.size());
    s.x.push_back(1.0 / (1.0 - q));
    s.y.push_back(lat[i]);
  }
  return s;
}

std::string percentile_label(double x) {
  const double p = 100.0 * (1.0 - 1.0 / x);
  if (p <= 0) return "0%";
  return fmt("%.3g%%", p);
}

// Mean milliseconds of each step a batch went through, over the batches that went through it.
std::vector<svg::Bar> step_bars(const RunReport& r, const char* color) {
  struct Step {
    const char* name;
    double TracedBatch::*from, TracedBatch::*to;
  };
  const Step steps[] = {{"fetched -> decoded", &TracedBatch::fetched, &TracedBatch::decoded},
                        {"decoded -> analysed", &TracedBatch::decoded, &TracedBatch::analysed},
                        {"analysed -> posted", &TracedBatch::analysed, &TracedBatch::submitted},
                        {"posted -> acknowledged", &TracedBatch::submitted, &TracedBatch::acked}};
  std::vector<svg::Bar> bars;
  for (const Step& s : steps) {
    double sum = 0;
    size_t n = 0;
    for (const TracedBatch& b : r.trace)
      if (b.*s.from >= 0 && b.*s.to >= 0) sum += b.*s.to - b.*s.from, ++n;
    if (n) bars.push_back({s.name, color, sum / double(n), "ms"});
  }
  return bars;
}

// The value of `name` in a --config text; "" when it is not set.
std::string option_value(const std::string& config, const std::string& name) {
  const std::string key = "\n" + name + "=";
  const size_t at = ("\n" + config).find(key);
  if (at == std::string::npos) return "";
  const size_t from = at + key.size() - 1, end = config.find('\n', from);
  std::string v = config.substr(from, end == std::string::npos ? std::string::npos : end - from);
  return v == "\"\"" ? "" : v;
}

// The configuration without the options that did not apply: Kafka's without --kafka, the metrics
// endpoint's without --metrics-port.
std::string applicable_options(const std::string& config) {
  static const std::set<std::string> kafka{
      "group",         "raw-topic",           "results-topic",         "partitions",
      "kafka-timeout", "kafka-ready-timeout", "kafka-partition-bytes", "session-timeout-ms",
      "workers"};
  static const std::set<std::string> metrics{"metrics-bind", "metrics-linger"};
  const bool with_kafka = !option_value(config, "kafka").empty();
  const bool with_metrics = !option_value(config, "metrics-port").empty();
  std::string kept;
  size_t from = 0;
  while (from < config.size()) {
    size_t end = config.find('\n', from);
    if (end == std::string::npos) end = config.size();
    const std::string line = config.substr(from, end - from);
    const std::string name = line.substr(0, line.find('='));
    from = end + 1;
    if ((!with_kafka && kafka.count(name)) || (!with_metrics && metrics.count(name))) continue;
    kept += line + "\n";
  }
  return kept;
}

std::string card(const std::string& label, const std::string& value, const std::string& note,
                 const std::string& cls = "") {
  return "<div class=\"card" + (cls.empty() ? "" : " " + cls) + "\"><div class=\"label\">" + html_escape(label) +
         "</div><div class=\"value\">" + html_escape(value) + "</div><div class=\"note\">" + html_escape(note) +
         "</div></div>";
}

// A figure's median, and its range over the repetitions when there are several.
std::string spread_note(const RunReport& r, double Repetition::*f, const char* format, const std::string& otherwise) {
  if (r.repetitions.empty()) return otherwise;
  const Spread s = spread_of(r, f);
  return "median of " + std::to_string(r.repetitions.size()) + ", " + fmt(format, s.min) + "-" + fmt(format, s.max);
}

// The run at a glance: answered, wrong, throughput, p99, and the verdict against the baseline.
std::string headline_cards(const RunReport& r, const RunReport* base, const BaselineVerdict* verdict) {
  const bool all = r.failed.empty() && r.errors.empty() && r.incomplete.empty();
  std::string h = "<div class=\"cards\">";
  h +=
      card("answered", std::to_string(r.results),
           std::to_string(r.failed.size()) + " failed" +
               (r.warmup > 0 ? ", " + std::to_string(std::max<int64_t>(0, r.measured)) + " counted after warm-up" : ""),
           all ? "good" : "bad");
  h += card("wrong", r.wrong < 0 ? "-" : std::to_string(r.wrong),
            r.wrong < 0 ? "not scored by this challenger" : "scored by the challenger (" + r.challenger.source + ")",
            r.wrong > 0    ? "bad"
            : r.wrong == 0 ? "good"
                           : "");
  h += card("throughput", fmt("%.1f", r.throughput) + " batches/s",
            spread_note(r, &Repetition::throughput, "%.1f", fmt("over %.2f s", r.wall_seconds)));
  h += card("latency p99", fmt("%.2f", r.p99) + " ms",
            spread_note(r, &Repetition::p99, "%.2f", fmt("p50 %.2f ms", r.p50)));
  if (verdict) {
    size_t failed = 0, unsure = 0;
    for (const FigureVerdict& v : verdict->figures) failed += !v.pass, unsure += v.cannot_tell;
    h += card("vs baseline", verdict->word(),
              failed   ? std::to_string(failed) + " figure(s) beyond the limit"
              : unsure ? std::to_string(unsure) + " figure(s) too noisy to tell"
                       : "every figure within its limit",
              verdict->pass() ? "good" : "bad");
  } else if (base && base->throughput > 0) {
    const double d = (r.throughput - base->throughput) / base->throughput * 100;
    h += card("vs baseline", fmt("%+.1f%%", d) + " throughput",
              base->p99 > 0 ? fmt("%+.1f%% p99", (r.p99 - base->p99) / base->p99 * 100) : "");
  }
  return h + "</div>";
}

// --repeat: every bench's figures, and throughput and p99 of each drawn side by side.
std::string repetitions_section(const RunReport& r) {
  if (r.repetitions.empty()) return "";
  std::string h = "<section><h2>Repetitions</h2><p>" + std::to_string(r.repetitions.size()) +
                  " benches back to back against the same challenger; the figures above are their medians. The charts "
                  "over time below show the last one.</p><table class=\"list verdict\"><tr><th>#</th><th>bench</th>"
                  "<th>counted</th><th>time, s</th><th>batches/s</th><th>p50, ms</th><th>p99, ms</th><th>max, "
                  "ms</th></tr>";
  std::vector<svg::Bar> rate, p99;
  for (size_t i = 0; i < r.repetitions.size(); ++i) {
    const Repetition& p = r.repetitions[i];
    const std::string n = "#" + std::to_string(i + 1);
    h += "<tr><td>" + n + "</td><td>" + html_escape(p.bench_id) + "</td><td>" + std::to_string(p.measured) +
         "</td><td>" + fmt("%.3f", p.wall_seconds) + "</td><td>" + fmt("%.1f", p.throughput) + "</td><td>" +
         fmt("%.2f", p.p50) + "</td><td>" + fmt("%.2f", p.p99) + "</td><td>" + fmt("%.2f", p.max) + "</td></tr>";
    rate.push_back({n, kRunColor, p.throughput, "batches/s"});
    p99.push_back({n, "#1b4f72", p.p99, "ms"});
  }
  const Spread t = spread_of(r, &Repetition::throughput), l = spread_of(r, &Repetition::p99);
  h += "<tr><th></th><th>median</th><td></td><td></td><td>" + fmt("%.1f", t.median) + "</td><td></td><td>" +
       fmt("%.2f", l.median) + "</td><td></td></tr></table>";
  h += "<p>Spread (max - min over the median): throughput " + fmt("%.1f%%", 100 * t.relative()) + ", p99 " +
       fmt("%.1f%%", 100 * l.relative()) + ".</p>";
  svg::Chart c;
  c.width = kChartWidth;
  c.height = 40 + 26 * int(r.repetitions.size());
  c.title = "Throughput of each repetition (batches/s)";
  svg::Chart c99 = c;
  c99.title = "Latency p99 of each repetition (ms)";
  return h + svg::bar_chart(c, rate) + svg::bar_chart(c99, p99) + "</section>";
}

std::string verdict_row(const std::string& what, double a, const RunReport* base, double b, const char* f,
                        bool higher_is_better) {
  std::string row = "<tr><th>" + html_escape(what) + "</th><td>" + (a < 0 ? "-" : fmt(f, a)) + "</td>";
  if (base) {
    row += "<td>" + (b < 0 ? "-" : fmt(f, b)) + "</td>";
    if (a >= 0 && b > 0) {
      const double d = (a - b) / b * 100;
      const bool good = higher_is_better ? d >= 0 : d <= 0;
      row += "<td class=\"" +
             std::string(std::fabs(d) < 0.5 ? ""
                         : good             ? "better"
                                            : "worse") +
             "\">" + fmt("%+.1f%%", d) + "</td>";
    } else {
      row += "<td></td>";
    }
  }
  return row + "</tr>";
}

std::string verdict_panel(const RunReport& r, const RunReport* base) {
  std::string h = "<section><h2>Verdict</h2><table class=\"verdict\">";
  if (base) h += "<tr><th></th><th>this run</th><th>baseline</th><th>change</th></tr>";
  const int64_t failed = int64_t(r.failed.size()), bfailed = base ? int64_t(base->failed.size()) : -1;
  h += verdict_row("answered", double(r.results), base, base ? double(base->results) : -1, "%.0f", true);
  h += verdict_row("failed", double(failed), base, double(bfailed), "%.0f", false);
  h += verdict_row("wrong (challenger)", double(r.wrong), base, base ? double(base->wrong) : -1, "%.0f", false);
  h += verdict_row("missing (challenger)", double(r.missing), base, base ? double(base->missing) : -1, "%.0f", false);
  h += verdict_row("duplicates (challenger)", double(r.duplicates), base, base ? double(base->duplicates) : -1, "%.0f",
                   false);
  h += verdict_row("incomplete windows", double(r.incomplete.size()), base, base ? double(base->incomplete.size()) : -1,
                   "%.0f", false);
  h += verdict_row("throughput, batches/s", r.throughput, base, base ? base->throughput : -1, "%.1f", true);
  h += verdict_row("latency p50, ms", r.p50, base, base ? base->p50 : -1, "%.2f", false);
  h += verdict_row("latency p90, ms", r.p90, base, base ? base->p90 : -1, "%.2f", false);
  h += verdict_row("latency p99, ms", r.p99, base, base ? base->p99 : -1, "%.2f", false);
  h += verdict_row("latency max, ms", r.max, base, base ? base->max : -1, "%.2f", false);
  h += verdict_row("wall time, s", r.wall_seconds, base, base ? base->wall_seconds : -1, "%.3f", false);
  if (r.cpu_seconds >= 0)  // older reports have none
    h += verdict_row("CPU, s (the runner's process, all threads)", r.cpu_seconds, base, base ? base->cpu_seconds : -1,
                     "%.3f", false);
  // The challenger's own figures beside ours, when it gave them: its clock runs from serving a
  // batch, ours from the reply's arrival (docs/usage.md, "Against the organisers' servers").
  if (r.challenger.any()) {
    const ChallengerStats& c = r.challenger;
    const ChallengerStats none;
    const ChallengerStats& bc = base ? base->challenger : none;
    const std::string who = " (challenger: " + c.source + ")";
    h += verdict_row("served" + who, double(c.served), base, double(bc.served), "%.0f", true);
    h += verdict_row("answered" + who, double(c.results), base, double(bc.results), "%.0f", true);
    h += verdict_row("throughput, batches/s" + who, c.throughput, base, bc.throughput, "%.1f", true);
    h += verdict_row("latency mean, ms" + who, c.latency_mean_ms, base, bc.latency_mean_ms, "%.2f", false);
    h += verdict_row("latency p99, ms" + who, c.latency_p99_ms, base, bc.latency_p99_ms, "%.2f", false);
  }
  // Where the run came from, folded: the command, the machine, and the configuration as a --config
  // file (copy it into one to run the same benchmark again), only the options that applied.
  h += "</table><details><summary>Configuration: command, machine, version, options</summary><table "
       "class=\"about\">";
  auto about = [&](const char* k, const std::string& a, const std::string& b) {
    h += "<tr><th>" + std::string(k) + "</th><td><code>" + html_escape(a) + "</code></td>";
    if (base) h += "<td><code>" + html_escape(b) + "</code></td>";
    h += "</tr>";
  };
  about("command", r.command, base ? base->command : "");
  about("machine", r.machine, base ? base->machine : "");
  about("version", r.version, base ? base->version : "");
  about("bench", r.bench_id + " \"" + r.bench_name + "\" at " + r.url,
        base ? base->bench_id + " \"" + base->bench_name + "\" at " + base->url : "");
  about("report", r.origin, base ? base->origin : "");
  if (!r.config.empty() || (base && !base->config.empty())) {
    h += "<tr><th>configuration</th><td><pre>" + html_escape(applicable_options(r.config)) + "</pre></td>";
    if (base) h += "<td><pre>" + html_escape(applicable_options(base->config)) + "</pre></td>";
    h += "</tr>";
  }
  h += "</table></details>";
  const bool ok = r.failed.empty() && r.errors.empty() && r.wrong <= 0 && r.incomplete.empty();
  h += "<p class=\"" + std::string(ok ? "ok" : "bad") + "\">" +
       (ok ? "Every batch answered" + std::string(r.wrong == 0 ? ", none wrong." : ".")
           : "Not every batch was answered correctly: see Failures below.") +
       "</p></section>";
  return h;
}

std::string over_time_charts(const RunReport& r, const RunReport* base) {
  const OverTime a = over_time(r);
  svg::Chart c;
  c.width = kChartWidth;
  c.title = "Throughput over time (answered batches per second)";
  c.x.label = "seconds since the first fetch";
  c.y.label = "batches/s";
  std::vector<svg::Series> rate{{"this run", kRunColor, a.t_s, a.rate}};
  svg::Chart l = c;
  l.title = "Latency over time (p50 and p99 of each interval)";
  l.y.label = "ms";
  std::vector<svg::Series> lat{{"p50", kRunColor, a.t_s, a.p50}, {"p99", "#1b4f72", a.t_s, a.p99}};
  if (base) {
    const OverTime b = over_time(*base);
    rate.push_back({"baseline", kBaseColor, b.t_s, b.rate});
    lat.push_back({"baseline p50", kBaseColor, b.t_s, b.p50});
    lat.push_back({"baseline p99", "#a04000", b.t_s, b.p99});
  }
  svg::Chart p = c;
  p.title = "Latency by percentile (next_batch reply to result acknowledged)";
  p.x.label = "percentile";
  p.x.log = true;
  p.x.format = percentile_label;
  p.y.label = "ms";
  p.y.log = true;
  std::vector<svg::Series> pct{percentile_curve(r, "this run", kRunColor)};
  if (base) pct.push_back(percentile_curve(*base, "baseline", kBaseColor));
  from_zero(c, rate);
  // One interval is the whole run below about 40 batches: a rate over time needs two.
  const bool too_short = r.trace.size() < 40 && (!base || base->trace.size() < 40);
  const std::string why = r.trace.empty() ? "no batch was traced (a report from before traces, or no batch answered)"
                                          : "run shorter than two intervals of 20 batches: nothing changes over time";
  return "<section><h2>Throughput and latency</h2>" +
         (too_short ? no_samples(c, why) + no_samples(l, why) : svg::line_chart(c, rate) + svg::line_chart(l, lat)) +
         svg::line_chart(p, pct) + "</section>";
}

std::string pipeline_charts(const RunReport& r, const RunReport* base) {
  svg::Chart steps;
  steps.width = kChartWidth;
  steps.title = "Where a batch's time went (mean ms per step)";
  steps.height = base ? 260 : 150;
  std::vector<svg::Bar> bars = step_bars(r, kRunColor);
  if (base)
    for (svg::Bar b : step_bars(*base, kBaseColor)) {
      b.label = "baseline: " + b.label;
      bars.push_back(b);
    }
  svg::Chart busy = steps;
  busy.title = "Busy time of each stage (seconds, all threads)";
  busy.height = 150;
  const std::vector<svg::Bar> busy_bars{{"fetch", kRunColor, r.fetch_s, "s"},
                                        {"decode", kRunColor, r.decode_s, "s"},
                                        {"analyse", kRunColor, r.analyse_s, "s"},
                                        {"submit", kRunColor, r.submit_s, "s"}};
  svg::Chart depth;
  depth.width = kChartWidth;
  depth.title = "In flight and queue depths over time (sampled every 100 ms)";
  depth.x.label = "seconds since the first fetch";
  depth.y.label = "batches";
  svg::Series in_flight{"in flight", kRunColor, {}, {}}, analyse{"waiting for analysis", "#27ae60", {}, {}},
      submit{"waiting to be posted", "#8e44ad", {}, {}};
  for (const DepthSample& s : r.samples) {
    for (svg::Series* x : {&in_flight, &analyse, &submit}) x->x.push_back(s.t_ms / 1e3);
    in_flight.y.push_back(double(s.in_flight));
    analyse.y.push_back(double(s.to_analyse));
    submit.y.push_back(double(s.to_submit));
  }
  const std::vector<svg::Series> depths{in_flight, analyse, submit};
  from_zero(depth, depths);
  // Sampled at the start, every 100 ms and at the end: fewer than 3 samples draw no shape.
  const std::string depth_chart =
      r.samples.size() >= 3 ? svg::line_chart(depth, depths)
      : r.samples.empty()   ? no_samples(depth, "no samples in this report (a report from before they were taken)")
                            : no_samples(depth, "run shorter than one " + fmt("%.0f", kSampleMs) +
                                                    " ms sample: only its start and end were sampled");
  return "<section><h2>The pipeline</h2>" + svg::bar_chart(steps, bars) + svg::bar_chart(busy, busy_bars) +
         depth_chart + "</section>";
}

std::string print_charts(const RunReport& r) {
  // Columns: (print, tile) in order; rows: layers.
  std::map<std::pair<std::string, int64_t>, int> column;
  std::set<int64_t> layer_set;
  for (const TracedBatch& b : r.trace) column[{b.print_id, b.tile_id}], layer_set.insert(b.layer);
  int k = 0;
  for (auto& [key, c] : column) c = k++;
  const std::vector<int64_t> layers(layer_set.begin(), layer_set.end());
  std::map<int64_t, int> row_of;
  for (size_t i = 0; i < layers.size(); ++i) row_of[layers[i]] = int(i);
  svg::Grid g;
  g.rows = int(layers.size()), g.cols = int(column.size());
  g.values.assign(size_t(g.rows) * size_t(g.cols), NAN);
  std::vector<double> saturated(layers.size(), 0);
  std::map<int64_t, const TracedBatch*> by_id;
  for (const TracedBatch& b : r.trace) {
    by_id[b.batch_id] = &b;
    if (b.outcome != "answered") continue;
    g.values[size_t(row_of[b.layer]) * size_t(g.cols) + size_t(column[{b.print_id, b.tile_id}])] = double(b.clusters);
    saturated[size_t(row_of[b.layer])] += double(std::max<int64_t>(0, b.saturated));
  }
  std::vector<std::pair<std::string, int64_t>> names(column.size());
  for (const auto& [key, c] : column) names[size_t(c)] = key;
  g.tip = [layers, names](int row, int col, double v) {
    return "layer " + std::to_string(layers[size_t(row)]) + ", " + names[size_t(col)].first + " tile " +
           std::to_string(names[size_t(col)].second) + ": " + (std::isnan(v) ? "no answer" : fmt("%.0f cluster(s)", v));
  };
  svg::Chart map;
  map.width = kChartWidth;
  map.title = "Defect map: clusters per tile (columns) and layer (rows); grey: not answered";
  map.x.label = "tile (print, tile id in order)";
  map.y.label = "layer";
  map.height = std::clamp(40 + 6 * g.rows, 200, 520);
  svg::Chart sat;
  sat.width = kChartWidth;
  sat.title = "Saturated pixels per layer (all tiles)";
  sat.x.label = "layer";
  sat.y.label = "pixels";
  std::vector<double> lx(layers.begin(), layers.end());

  // The worst layer: most outlier pixels in clusters. Its centroids on the tile grid, tiles
  // placed row-major in a square grid (the challenge does not say where tiles lie).
  std::map<int64_t, int64_t> points_in_layer;
  for (const ClusterPoint& p : r.clusters)
    if (auto it = by_id.find(p.batch_id); it != by_id.end()) points_in_layer[it->second->layer] += p.count;
  std::string worst;
  if (!points_in_layer.empty()) {
    const auto w = std::max_element(points_in_layer.begin(), points_in_layer.end(),
                                    [](auto& a, auto& b) { return a.second < b.second; });
    double tile = 0;
    int64_t tiles = 0;
    for (const auto& [key, c] : column) tiles = std::max(tiles, key.second + 1);
    for (const ClusterPoint& p : r.clusters) tile = std::max({tile, p.x, p.y});
    tile = std::max(50.0, std::ceil(tile / 50.0) * 50.0);
    const int side = std::max(1, int(std::ceil(std::sqrt(double(tiles)))));
    std::vector<svg::Dot> dots;
    for (const ClusterPoint& p : r.clusters) {
      const auto it = by_id.find(p.batch_id);
      if (it == by_id.end() || it->second->layer != w->first) continue;
      const int64_t t = it->second->tile_id;
      dots.push_back({double(t % side) * tile + p.x, double(t / side) * tile + p.y, double(p.count), "#c0392b",
                      "tile " + std::to_string(t) + ": " + std::to_string(p.count) + " px at (" + fmt("%.1f", p.x) +
                          ", " + fmt("%.1f", p.y) + ")"});
    }
    svg::Chart tc;
    tc.title = "Layer " + std::to_string(w->first) + " (most outliers in clusters): centroids on the tile grid";
    tc.width = tc.height = 520;
    tc.x.label = "x (px; tiles row-major, " + fmt("%.0f", tile) + " px each)";
    tc.y.label = "y (px)";
    tc.x.max = tc.y.max = tile * side;
    worst = svg::scatter(tc, dots, tile);
  }
  const std::vector<svg::Series> sat_series{{"saturated", "#d4ac0d", lx, saturated}};
  from_zero(sat, sat_series);
  return "<section><h2>The print</h2>" + svg::heat_map(map, g) + svg::line_chart(sat, sat_series) + worst +
         "</section>";
}

std::string failures_section(const RunReport& r) {
  std::string h = "<section><h2>Failures</h2>";
  if (r.failed.empty() && r.errors.empty() && r.incomplete.empty()) return h + "<p>None.</p></section>";
  for (const std::string& e : r.errors) h += "<p class=\"bad\">" + html_escape(e) + "</p>";
  if (!r.failed.empty()) {
    h += "<table class=\"list\"><tr><th>batch</th><th>reason</th></tr>";
    for (const FailedBatch& f : r.failed)
      h += "<tr><td>" + (f.batch_id >= 0 ? std::to_string(f.batch_id) : std::string("?")) + "</td><td>" +
           html_escape(f.reason) + "</td></tr>";
    h += "</table>";
  }
  if (!r.incomplete.empty()) {
    h += "<h3>Incomplete windows (answered without every layer)</h3><table "
         "class=\"list\"><tr><th>batch</th><th>print</th>"
         "<th>tile</th><th>layer</th><th>missing layers</th></tr>";
    for (const IncompleteWindow& w : r.incomplete) {
      std::string missing;
      for (int64_t m : w.missing_layers) missing += (missing.empty() ? "" : ", ") + std::to_string(m);
      h += "<tr><td>" + std::to_string(w.batch_id) + "</td><td>" + html_escape(w.print_id) + "</td><td>" +
           std::to_string(w.tile_id) + "</td><td>" + std::to_string(w.layer) + "</td><td>" + missing + "</td></tr>";
    }
    h += "</table>";
  }
  return h + "</section>";
}

std::string workers_section(const RunReport& r) {
  std::map<std::string, double> per_worker;
  for (const TracedBatch& b : r.trace)
    if (!b.worker.empty() && b.outcome == "answered") per_worker[b.worker] += 1;
  if (per_worker.empty()) return "";
  std::vector<svg::Bar> bars;
  for (const auto& [w, n] : per_worker) bars.push_back({w, kRunColor, n, "batches"});
  svg::Chart c;
  c.width = kChartWidth;
  c.title = "Answered per Kafka worker";
  c.height = 40 + 26 * int(bars.size());
  // The group's lag on the raw topic, as the runner sampled it: what the workers have not yet
  // committed as answered. A lag that grows while batches are fetched says the workers fall behind.
  svg::Series lag{"consumer lag", "#c0392b", {}, {}};
  for (const DepthSample& s : r.samples)
    if (s.kafka_lag >= 0) lag.x.push_back(s.t_ms / 1e3), lag.y.push_back(double(s.kafka_lag));
  std::string lag_chart;
  if (!lag.x.empty()) {
    svg::Chart l;
    l.width = kChartWidth;
    l.title = "Consumer lag of the workers' group on the raw topic (sampled every 200 ms)";
    l.x.label = "seconds since the first fetch";
    l.y.label = "messages";
    from_zero(l, {lag});
    lag_chart = svg::line_chart(l, {lag});
  }
  return "<section><h2>Kafka workers</h2>" + svg::bar_chart(c, bars) + lag_chart + "</section>";
}

// --rate (the open model): offered against achieved, the backlog, and latency measured from the
// reply beside latency measured from the scheduled send. Nothing for a closed-model run.
std::string open_model_section(const RunReport& r) {
  const OpenModelReport& m = r.open_model;
  if (!m.open()) return {};
  std::string h = "<section><h2>Open model (--rate)</h2><table class=\"verdict\">";
  auto row = [&](const std::string& what, const std::string& value) {
    h += "<tr><th>" + html_escape(what) + "</th><td>" + value + "</td></tr>";
  };
  row("offered rate, batches/s", fmt("%.1f", m.offered_rate));
  row("achieved rate, batches/s",
      fmt("%.1f", m.achieved_rate) + fmt(" (%.1f%%)", 100 * m.achieved_rate / m.offered_rate));
  row("backlog, max", fmt("%.0f batches, ", double(m.max_backlog)) + fmt("%.2f ms late", m.max_lateness_ms));
  row("backlog, at the end", fmt("%.0f batches, ", double(m.end_backlog)) + fmt("%.2f ms late", m.end_lateness_ms));
  h += "</table><p class=\"" + std::string(m.fell_behind() ? "bad" : "ok") + "\">" +
       (m.fell_behind() ? "The pipeline did not keep up: it sent less than 95% of the offered rate, and the backlog "
                          "is the requests it delayed."
                        : "The pipeline kept up with the offered rate.") +
       "</p>";
  svg::Chart c;
  c.title = "Latency: from the next_batch reply (served) and from the scheduled send (corrected)";
  c.x.label = "ms";
  const std::vector<svg::Bar> bars{{"served p50", kRunColor, r.p50, "ms"}, {"corrected p50", "#c0392b", m.p50, "ms"},
                                   {"served p90", kRunColor, r.p90, "ms"}, {"corrected p90", "#c0392b", m.p90, "ms"},
                                   {"served p99", kRunColor, r.p99, "ms"}, {"corrected p99", "#c0392b", m.p99, "ms"},
                                   {"served max", kRunColor, r.max, "ms"}, {"corrected max", "#c0392b", m.max, "ms"}};
  return h + svg::bar_chart(c, bars) +
         "<p>Served latency runs from the next_batch reply, as the challenger measures it; corrected latency runs "
         "from the moment the request was due on the schedule, so that requests the pipeline delayed count their "
         "wait (coordinated omission corrected, as wrk2 does).</p></section>";
}

}  // namespace

std::string render_html_report(const RunReport& r, const RunReport* base, const BaselineVerdict* verdict) {
  std::string title = "lpbf-bench run " + r.bench_id + (base ? " vs " + base->bench_id : "");
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                  "</title><style>"
                  "body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}"
                  "section{margin:18px 0;border-top:1px solid #ddd}"
                  "svg.chart{display:block;margin:10px 0;width:100%;height:auto}"
                  "svg.chart[data-kind=scatter]{width:auto;max-width:100%}"
                  ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}"
                  ".card{flex:1 1 160px;border:1px solid #ddd;border-radius:6px;padding:10px 14px}"
                  ".card .label{font-size:12px;color:#666}.card .value{font-size:24px;font-weight:bold}"
                  ".card .note{font-size:12px;color:#666}.card.good .value{color:#1e8449}"
                  ".card.bad .value{color:#b03a2e}figure.no-samples{margin:10px 0;padding:12px;border:1px dashed "
                  "#ccc;color:#666}details{margin:8px 0}summary{cursor:pointer}pre.verdict{font-size:12px}"
                  "table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 10px;text-align:left;font-size:13px}"
                  "table.verdict td{text-align:right;font-variant-numeric:tabular-nums}"
                  "table.list td,table.list th{border-bottom:1px solid #eee}"
                  ".ok{color:#1e8449;font-weight:bold}.bad{color:#b03a2e;font-weight:bold}"
                  ".better{color:#1e8449}.worse{color:#b03a2e}code{font-size:12px}"
                  "</style></head><body><h1>" +
                  html_escape(title) + "</h1>";
  h += headline_cards(r, base, verdict);
  if (base) h += "<p>Compared with <b>" + html_escape(base->origin) + "</b> (orange).</p>";
  if (verdict) h += "<pre class=\"verdict\">" + html_escape(verdict_text(*verdict)) + "</pre>";
  h += verdict_panel(r, base) + open_model_section(r) + repetitions_section(r) + over_time_charts(r, base) +
       pipeline_charts(r, base) + print_charts(r) + workers_section(r) + failures_section(r);
  // The one script: after layout, each chart records how many of its marks the browser drew with
  // a size (the browser test reads data-drawn; a viewer never needs it).
  h += "<script>addEventListener('load',function(){var n=0;document.querySelectorAll('svg.chart').forEach("
       "function(s){var d=0;s.querySelectorAll('.mark').forEach(function(m){var "
       "b=m.getBBox();if(b.width+b.height>0)d++;});"
       "s.setAttribute('data-drawn',d);if(d>0)n++;});document.body.setAttribute('data-charts-drawn',n);});</script>";
  return h + "<p><small>Made by lpbf-bench " + html_escape(r.version) + ".</small></p></body></html>\n";
}

}  // namespace lpbf
