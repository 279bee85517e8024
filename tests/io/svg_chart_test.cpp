// The SVG chart builders of the HTML report: axes and scales, empty and one-point series, and
// series far longer than the chart is wide.
#include <doctest/doctest.h>

#include <cmath>
#include <regex>

#include "io/svg_chart.h"
#include "tests/test_support.h"

using namespace lpbf;

namespace {

svg::Chart chart(std::string title, int width, int height, std::string x_label = "", std::string y_label = "") {
  svg::Chart c;
  c.title = std::move(title), c.width = width, c.height = height;
  c.x.label = std::move(x_label), c.y.label = std::move(y_label);
  return c;
}

svg::Bar bar(std::string label, double value) {
  svg::Bar b;
  b.label = std::move(label), b.value = value;
  return b;
}

svg::Grid grid(int rows, int cols, std::vector<double> values) {
  svg::Grid g;
  g.rows = rows, g.cols = cols, g.values = std::move(values);
  return g;
}

}  // namespace

TEST_CASE("nice ticks are 1, 2 or 5 times a power of ten and cover the range") {
  CHECK(svg::nice_ticks(0, 10, 5) == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(svg::nice_ticks(0, 1, 4) == std::vector<double>{0, 0.5, 1});
  const auto t = svg::nice_ticks(13, 2871, 6);
  REQUIRE(!t.empty());
  CHECK(t.front() >= 13);
  CHECK(t.back() <= 2871);
  CHECK(t[1] - t[0] == doctest::Approx(500));
  CHECK(svg::nice_ticks(5, 5, 4).empty());
  CHECK(svg::nice_ticks(0, NAN, 4).empty());
  CHECK(svg::nice_ticks(-1, 1, 2) == std::vector<double>{-1, 0, 1});
}

TEST_CASE("a line chart with no points says so; with one point draws a dot") {
  svg::Chart c = chart("latency", 400, 200, "s", "ms");
  const std::string empty = svg::line_chart(c, {{"p99", "#f00", {}, {}}});
  CHECK(empty.find("no data") != std::string::npos);
  CHECK(test::count_occurrences(empty, "class=\"mark\"") == 0);
  CHECK(svg::line_chart(c, {}).find("no data") != std::string::npos);
  const std::string one = svg::line_chart(c, {{"p99", "#f00", {1.0}, {7.5}}});
  CHECK(one.find("<circle class=\"mark\"") != std::string::npos);
  CHECK(one.find("no data") == std::string::npos);
  // NaN and infinite values are left out, not drawn at the origin.
  const std::string gaps = svg::line_chart(c, {{"p99", "#f00", {0, 1, 2, 3}, {1, NAN, INFINITY, 4}}});
  CHECK(gaps.find("nan") == std::string::npos);
  CHECK(gaps.find("inf") == std::string::npos);
}

TEST_CASE("a line chart of 10 000 points keeps at most four a pixel column, and its extremes") {
  svg::Chart c = chart("throughput", 500, 200, "s", "batches/s");
  svg::Series s{"rate", "#00f", {}, {}};
  for (int i = 0; i < 10000; ++i) {
    s.x.push_back(i);
    s.y.push_back(i == 5000 ? 9999 : 100 + (i % 7));
  }
  const std::string svg_text = svg::line_chart(c, {s});
  const std::regex pts("[ML]([0-9.]+) ([0-9.]+)");
  size_t n = 0;
  double top = 1e9;
  for (auto it = std::sregex_iterator(svg_text.begin(), svg_text.end(), pts); it != std::sregex_iterator(); ++it) {
    ++n;
    top = std::min(top, std::stod((*it)[2]));
  }
  CHECK(n > 100);
  CHECK(n <= 4 * 500);
  CHECK(top == doctest::Approx(40).epsilon(0.05));  // the spike reaches the top of the plot
  CHECK(svg_text.size() < 100000);
}

TEST_CASE("a log axis ticks powers of ten and leaves out values <= 0") {
  svg::Chart c = chart("latency percentiles", 400, 200, "percentile", "ms");
  c.y.log = true;
  const std::string s = svg::line_chart(c, {{"all", "#000", {1, 2, 3, 4}, {0, 0.5, 5, 50}}});
  CHECK(s.find(">0.1<") != std::string::npos);
  CHECK(s.find(">1<") != std::string::npos);
  CHECK(s.find(">10<") != std::string::npos);
  CHECK(s.find(">100<") != std::string::npos);
  CHECK(test::count_occurrences(s, "class=\"mark\"") == 1);
}

TEST_CASE("bars, heat maps and scatter plots draw one mark per value, and escape their text") {
  svg::Chart c = chart("stages <us>", 600, 200);
  const std::string bars = svg::bar_chart(c, {bar("fetch & parse", 3), bar("decode", 80), bar("analyse", 270)});
  CHECK(test::count_occurrences(bars, "class=\"mark\"") == 3);
  CHECK(bars.find("stages &lt;us&gt;") != std::string::npos);
  CHECK(bars.find("fetch &amp; parse") != std::string::npos);
  CHECK(svg::bar_chart(c, {}).find("no data") != std::string::npos);

  svg::Grid g = grid(3, 4, std::vector<double>(12, 1.0));
  g.values[5] = NAN;
  const std::string heat = svg::heat_map(c, g);
  CHECK(test::count_occurrences(heat, "class=\"mark\"") == 12);
  CHECK(heat.find("#dddddd") != std::string::npos);  // the missing cell
  CHECK(svg::heat_map(c, grid(3, 4, {1.0})).find("no data") != std::string::npos);

  svg::Chart tile = chart("worst layer", 400, 400, "x", "y");
  tile.x.max = tile.y.max = 2000;
  const std::string dots = svg::scatter(tile, {{10, 20, 5, "#f00", "5 px"}, {1500, 1900, 40, "#f00", "40 px"}}, 500);
  CHECK(test::count_occurrences(dots, "<circle class=\"mark\"") == 2);
  CHECK(svg::scatter(tile, {}, 500).find("no clusters") != std::string::npos);
}
