#include "core/report/sweep_report.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "io/html_text.h"
#include "io/json_text.h"
#include "io/svg_chart.h"

namespace lpbf {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string rate_label(double offered) { return offered > 0 ? fmt("%g", offered) : std::string("max"); }

// The open-model points by increasing offered rate (indices into points).
std::vector<size_t> open_points(const std::vector<SweepPoint>& points) {
  std::vector<size_t> order;
  for (size_t i = 0; i < points.size(); ++i)
    if (points[i].offered > 0) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return points[a].offered < points[b].offered; });
  return order;
}

// The number at `key` (integers too); 0 when absent or not a number.
double number(simdjson::dom::element e, const char* key) {
  double d = 0;
  return e[key].get(d) == simdjson::SUCCESS ? d : 0;
}

// What latency_json wrote.
LatencySummary latency_summary(simdjson::dom::element o) {
  return {number(o, "p50"), number(o, "p90"), number(o, "p99"), number(o, "max"), number(o, "mean")};
}

}  // namespace

SweepPoint sweep_point(const RunReport& run) {
  SweepPoint p;
  const OpenModelReport& m = run.open_model;
  p.offered = m.offered_rate;
  p.throughput = run.throughput;
  p.achieved = m.open() ? m.achieved_rate : run.throughput;
  p.batches = run.batches, p.results = run.results, p.failed = int64_t(run.failed.size());
  p.wall_seconds = run.wall_seconds;
  p.served = {run.p50, run.p90, run.p99, run.max, run.mean};
  p.corrected = m.open() ? LatencySummary{m.p50, m.p90, m.p99, m.max, m.mean} : p.served;
  p.max_backlog = m.max_backlog, p.max_lateness_ms = m.max_lateness_ms;
  p.bench_id = run.bench_id;
  return p;
}

int find_knee(const std::vector<SweepPoint>& points) {
  const SweepPoint* before = nullptr;
  for (size_t i : open_points(points)) {
    const SweepPoint& p = points[i];
    if (p.achieved < kKneeShare * p.offered) return int(i);
    if (before && p.corrected.p99 > kKneeJump * before->corrected.p99 &&
        p.corrected.p99 > before->corrected.p99 + kKneeJumpMs)
      return int(i);
    before = &p;
  }
  return -1;
}

std::string knee_definition() {
  return "the knee is the first offered rate (lowest first) at which the pipeline falls behind, sending less than " +
         fmt("%.0f", kKneeShare * 100) + "% of the offered rate, or at which the corrected p99 jumps, to more than " +
         fmt("%g", kKneeJump) + " times the previous rate's and more than " + fmt("%g", kKneeJumpMs) + " ms above it";
}

std::string sweep_json(const SweepReport& r) {
  std::vector<std::string> points;
  for (const SweepPoint& p : r.points) {
    JsonObject o;
    p.offered > 0 ? o.field("offered_rate", p.offered) : o.raw("offered_rate", "null");
    points.push_back(
        o.field("label", rate_label(p.offered))
            .field("achieved_rate", p.achieved)
            .field("throughput", p.throughput)
            .field("batches", p.batches)
            .field("results", p.results)
            .field("failed", p.failed)
            .field("wall_seconds", p.wall_seconds)
            .raw("served_latency_ms", latency_json(p.served))
            .raw("corrected_latency_ms", latency_json(p.corrected))
            .raw("backlog", JsonObject().field("max_batches", p.max_backlog).field("max_ms", p.max_lateness_ms).str())
            .field("bench_id", p.bench_id)
            .str());
  }
  JsonObject o;
  o.field("kind", "lpbf-bench sweep")
      .field("url", r.url)
      .field("command", r.command)
      .field("machine", r.machine)
      .field("version", r.version)
      .field("point_seconds", r.point_seconds);
  r.knee >= 0 ? o.field("knee", int64_t(r.knee)) : o.raw("knee", "null");
  return o.field("knee_definition", knee_definition()).raw("points", json_array(points)).str() + "\n";
}

SweepReport parse_sweep_report(std::string_view json, const std::string& origin) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc); err)
    throw std::runtime_error(origin + ": not JSON: " + simdjson::error_message(err));
  std::string_view kind;
  simdjson::dom::array points;
  if (doc["kind"].get(kind) != simdjson::SUCCESS || kind != "lpbf-bench sweep" ||
      doc["points"].get(points) != simdjson::SUCCESS)
    throw std::runtime_error(origin + ": not a sweep report (no \"kind\": \"lpbf-bench sweep\" with \"points\")");
  SweepReport r;
  auto text = [](simdjson::dom::element e, const char* key) {
    std::string_view s;
    return e[key].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
  };
  r.url = text(doc, "url"), r.command = text(doc, "command");
  r.machine = text(doc, "machine"), r.version = text(doc, "version");
  r.point_seconds = number(doc, "point_seconds");
  int64_t knee = -1;
  if (doc["knee"].get(knee) == simdjson::SUCCESS) r.knee = int(knee);
  for (simdjson::dom::element e : points) {
    SweepPoint p;
    double offered = 0;
    if (e["offered_rate"].get(offered) == simdjson::SUCCESS) p.offered = offered;
    p.achieved = number(e, "achieved_rate");
    p.throughput = number(e, "throughput");
    p.batches = int64_t(number(e, "batches"));
    p.results = int64_t(number(e, "results"));
    p.failed = int64_t(number(e, "failed"));
    p.wall_seconds = number(e, "wall_seconds");
    simdjson::dom::element o;
    if (e["served_latency_ms"].get(o) == simdjson::SUCCESS) p.served = latency_summary(o);
    if (e["corrected_latency_ms"].get(o) == simdjson::SUCCESS) p.corrected = latency_summary(o);
    if (e["backlog"].get(o) == simdjson::SUCCESS)
      p.max_backlog = int64_t(number(o, "max_batches")), p.max_lateness_ms = number(o, "max_ms");
    p.bench_id = text(e, "bench_id");
    r.points.push_back(std::move(p));
  }
  if (r.knee >= int(r.points.size())) r.knee = -1;
  return r;
}

std::string sweep_summary_text(const SweepReport& r) {
  std::string s = "  offered   achieved  answered   served p50/p99 ms   corrected p50/p99 ms   backlog max\n";
  char buf[256];
  for (size_t i = 0; i < r.points.size(); ++i) {
    const SweepPoint& p = r.points[i];
    std::snprintf(buf, sizeof buf, "  %7s  %9.1f  %8lld   %8.2f / %-8.2f  %9.2f / %-9.2f   %lld (%.1f ms)%s\n",
                  rate_label(p.offered).c_str(), p.achieved, (long long)p.results, p.served.p50, p.served.p99,
                  p.corrected.p50, p.corrected.p99, (long long)p.max_backlog, p.max_lateness_ms,
                  int(i) == r.knee ? "  <- knee" : "");
    s += buf;
  }
  s += r.knee >= 0 ? "knee at " + rate_label(r.points[size_t(r.knee)].offered) + " batches/s offered (" +
                         knee_definition() + ")\n"
                   : "no knee: every offered rate was followed (" + knee_definition() + ")\n";
  return s;
}

std::string render_sweep_html(const SweepReport& r) {
  const std::vector<size_t> open = open_points(r.points);
  std::vector<double> x, sp50, sp99, cp50, cp99, achieved;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (size_t i : open) {
    const SweepPoint& p = r.points[i];
    x.push_back(p.offered);
    sp50.push_back(p.served.p50), sp99.push_back(p.served.p99);
    cp50.push_back(p.corrected.p50), cp99.push_back(p.corrected.p99);
    achieved.push_back(p.achieved);
    for (double v : {p.served.p50, p.served.p99, p.corrected.p50, p.corrected.p99})
      if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  const bool knee = r.knee >= 0;
  const double knee_x = knee ? r.points[size_t(r.knee)].offered : 0;

  svg::Chart lat;
  lat.title = "Latency against offered load: p50 and p99, served and corrected";
  lat.x.label = "offered load, batches/s";
  lat.x.log = true;
  lat.y.label = "ms";
  lat.y.log = true;
  std::vector<svg::Series> lat_series{{"served p50", "#85c1e9", x, sp50},
                                      {"served p99", "#2e86c1", x, sp99},
                                      {"corrected p50", "#f1948a", x, cp50},
                                      {"corrected p99", "#c0392b", x, cp99}};
  if (knee && hi > 0) lat_series.push_back({"knee", "#7d3c98", {knee_x, knee_x}, {lo, hi}});

  svg::Chart rate;
  rate.title = "Achieved against offered rate (the ideal follows the diagonal)";
  rate.x.label = "offered load, batches/s";
  rate.x.log = true;
  rate.y.label = "batches/s sent";
  rate.y.log = true;
  std::vector<svg::Series> rate_series{{"achieved", "#2e86c1", x, achieved}, {"offered (ideal)", "#aaaaaa", x, x}};
  std::vector<double> share;
  for (double v : x) share.push_back(kKneeShare * v);
  rate_series.push_back({fmt("%.0f%% of offered", kKneeShare * 100), "#dddddd", x, share});
  for (const SweepPoint& p : r.points)
    if (p.offered <= 0 && !x.empty())
      rate_series.push_back(
          {"closed model (max) throughput", "#1e8449", {x.front(), x.back()}, {p.throughput, p.throughput}});
  if (knee && !x.empty()) {
    double top = 0, bottom = std::numeric_limits<double>::infinity();
    for (const svg::Series& s : rate_series)
      for (double v : s.y)
        if (v > 0) top = std::max(top, v), bottom = std::min(bottom, v);
    if (top > 0) rate_series.push_back({"knee", "#7d3c98", {knee_x, knee_x}, {bottom, top}});
  }

  std::string table =
      "<table class=\"list\"><tr><th>offered, batches/s</th><th>achieved, batches/s</th><th>answered</th>"
      "<th>failed</th><th>served p50 / p99, ms</th><th>corrected p50 / p99, ms</th><th>backlog max</th>"
      "<th>bench</th></tr>";
  for (size_t i = 0; i < r.points.size(); ++i) {
    const SweepPoint& p = r.points[i];
    const bool is_knee = int(i) == r.knee;
    table +=
        std::string("<tr") + (is_knee ? " class=\"knee\"" : "") + "><td>" +
        (p.offered > 0 ? fmt("%g", p.offered) : std::string("max (closed model)")) + (is_knee ? " (knee)" : "") +
        "</td><td>" + fmt("%.1f", p.achieved) + (p.offered > 0 ? fmt(" (%.1f%%)", 100 * p.achieved / p.offered) : "") +
        "</td><td>" + std::to_string(p.results) + "</td><td>" + std::to_string(p.failed) + "</td><td>" +
        fmt("%.2f", p.served.p50) + " / " + fmt("%.2f", p.served.p99) + "</td><td>" + fmt("%.2f", p.corrected.p50) +
        " / " + fmt("%.2f", p.corrected.p99) + "</td><td>" + std::to_string(p.max_backlog) + " (" +
        fmt("%.1f", p.max_lateness_ms) + " ms)</td><td><code>" + html_escape(p.bench_id) + "</code></td></tr>";
  }
  table += "</table>";

  const std::string knee_text = knee ? "<p class=\"bad\">Knee at " + fmt("%g", knee_x) + " batches/s offered.</p>"
                                     : "<p class=\"ok\">No knee: the pipeline followed every offered rate.</p>";
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>lpbf-bench sweep</title><style>"
      "body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}"
      "section{margin:18px 0;border-top:1px solid #ddd}svg.chart{display:block;margin:10px 0;width:100%;height:auto}"
      "table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 10px;text-align:left;font-size:13px}"
      "table.list td,table.list th{border-bottom:1px solid #eee}tr.knee td{background:#f5eef8;font-weight:bold}"
      ".ok{color:#1e8449;font-weight:bold}.bad{color:#b03a2e;font-weight:bold}code{font-size:12px}"
      "</style></head><body><h1>lpbf-bench sweep: latency against load</h1>";
  h += "<section><h2>The curve</h2>" + knee_text;
  h += open.empty() ? "<p>No open-model point (only <code>max</code>): no curve to draw.</p>"
                    : svg::line_chart(lat, lat_series) + svg::line_chart(rate, rate_series);
  h += "<p>How to read it: below the knee, the achieved rate follows the offered one and served and corrected "
       "latency agree. Past it, the pipeline cannot keep up: requests leave late (the backlog), the achieved rate "
       "flattens, and the corrected latency, which counts the time a request waited for its turn, grows with the "
       "backlog while the served latency may barely move. Served latency runs from the next_batch reply, as the "
       "challenger measures it; corrected latency from the request's scheduled send (coordinated omission "
       "corrected). The " +
       html_escape(knee_definition().substr(4)) + ".</p></section>";
  h += "<section><h2>Points</h2>" + table + "<p>Each open-model point offered its rate for " +
       fmt("%g", r.point_seconds) +
       " s (fewer if the stream ended first); <code>max</code> is the closed model, as fast as the pipeline goes.</p>"
       "</section>";
  h += "<section><h2>About</h2><table><tr><th>command</th><td><code>" + html_escape(r.command) +
       "</code></td></tr><tr><th>challenger</th><td><code>" + html_escape(r.url) +
       "</code></td></tr><tr><th>machine</th><td><code>" + html_escape(r.machine) +
       "</code></td></tr></table></section>";
  h += "<script>addEventListener('load',function(){var n=0;document.querySelectorAll('svg.chart').forEach("
       "function(s){var d=0;s.querySelectorAll('.mark').forEach(function(m){var "
       "b=m.getBBox();if(b.width+b.height>0)d++;});"
       "s.setAttribute('data-drawn',d);if(d>0)n++;});document.body.setAttribute('data-charts-drawn',n);});</script>";
  return h + "<p><small>Made by lpbf-bench " + html_escape(r.version) + ".</small></p></body></html>\n";
}

}  // namespace lpbf
