#pragma once
// Charts as inline SVG text: line charts (linear or log axes), horizontal bars, a heat map and a
// scatter plot. No script and no network at view time: hover text is SVG's own <title>. Every
// drawn mark carries class "mark", so a test (or a browser) can tell a chart that drew from one
// that did not; a chart with nothing to draw says so in words instead.
#include <functional>
#include <string>
#include <vector>

namespace lpbf::svg {

struct Axis {
  std::string label;
  bool log = false;                           // base 10; values <= 0 are left out
  double min = 0, max = 0;                    // both 0: from the data
  std::function<std::string(double)> format;  // tick labels; default: short decimal
};

struct Chart {
  std::string title;
  int width = 720, height = 260;
  Axis x, y;
};

struct Series {
  std::string name, color;
  std::vector<double> x, y;  // same length; NaN y breaks the line
};

// Lines through each series' points, in x order as given. A series of thousands of points is
// thinned to each pixel column's first, lowest, highest and last point, so its shape survives.
std::string line_chart(const Chart& chart, const std::vector<Series>& series);

struct Bar {
  std::string label, color;
  double value = 0;
  std::string note;  // printed after the value
};
std::string bar_chart(const Chart& chart, const std::vector<Bar>& bars);

// rows x cols cells, values row-major (NaN: no value, drawn grey); colour from white to `color`
// over [0, max]. Row 0 at the bottom.
struct Grid {
  int rows = 0, cols = 0;
  std::vector<double> values;
  std::string color = "#c0392b";
  std::function<std::string(int row, int col, double value)> tip;
};
std::string heat_map(const Chart& chart, const Grid& grid);

struct Dot {
  double x = 0, y = 0, size = 1;  // size: area scales with it
  std::string color = "#c0392b", tip;
};
// Dots on fixed axes (chart.x/y min and max), with optional grid lines every `cell` units.
std::string scatter(const Chart& chart, const std::vector<Dot>& dots, double cell = 0);

// Round tick values covering [lo, hi], about `target` of them (1, 2, 5 times a power of ten).
std::vector<double> nice_ticks(double lo, double hi, int target);

}  // namespace lpbf::svg
