#include "io/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "io/html_text.h"

namespace lpbf::svg {
namespace {

constexpr int kLeft = 64, kRight = 16, kTop = 40, kBottom = 40;  // plot margins, px (title and legend above)

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string short_number(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (a >= 1e4) std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// Maps data values to pixels along one axis.
struct Scale {
  double lo = 0, hi = 1;  // data (log10 of it on a log axis)
  double p0 = 0, p1 = 1;  // pixels
  bool log = false;
  bool valid(double v) const { return std::isfinite(v) && (!log || v > 0); }
  double operator()(double v) const {
    const double d = log ? std::log10(v) : v;
    return p0 + (d - lo) / (hi - lo) * (p1 - p0);
  }
};

Scale make_scale(const Axis& axis, double data_lo, double data_hi, double p0, double p1) {
  Scale s;
  s.log = axis.log;
  s.p0 = p0, s.p1 = p1;
  double lo = axis.min != 0 || axis.max != 0 ? axis.min : data_lo;
  double hi = axis.min != 0 || axis.max != 0 ? axis.max : data_hi;
  if (!(lo <= hi)) lo = 0, hi = 1;  // no data
  if (s.log) {
    lo = std::log10(std::max(lo, 1e-12)), hi = std::log10(std::max(hi, 1e-12));
    lo = std::floor(lo), hi = std::ceil(hi);
  }
  if (hi - lo < 1e-12) {  // one value: give it room
    const double pad = s.log ? 1 : std::max(1e-9, std::fabs(lo) * 0.1 + (lo == 0 ? 1 : 0));
    lo -= pad, hi += pad;
  }
  if (!s.log && axis.min == 0 && axis.max == 0 && data_lo >= 0 && lo > 0 && lo < hi * 0.5) lo = 0;
  s.lo = lo, s.hi = hi;
  return s;
}

std::vector<double> ticks_of(const Scale& s, int target) {
  if (!s.log) return nice_ticks(s.lo, s.hi, target);
  std::vector<double> t;
  for (double e = std::ceil(s.lo); e <= s.hi + 1e-9; ++e) t.push_back(std::pow(10.0, e));
  return t;
}

std::string open_svg(const Chart& c, const std::string& kind) {
  std::string out = "<svg class=\"chart\" data-kind=\"" + kind + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(c.width) + "\" height=\"" + std::to_string(c.height) + "\" viewBox=\"0 0 " +
                    std::to_string(c.width) + " " + std::to_string(c.height) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">";
  out += "<text x=\"" + std::to_string(kLeft) + "\" y=\"16\" font-size=\"13\" font-weight=\"bold\">" +
         html_escape(c.title) + "</text>";
  return out;
}

std::string no_data(const Chart& c, const std::string& kind) {
  return open_svg(c, kind) + "<text class=\"no-data\" x=\"" + std::to_string(c.width / 2) + "\" y=\"" +
         std::to_string(c.height / 2) + "\" text-anchor=\"middle\" fill=\"#888\">no data</text></svg>";
}

// Axes, grid lines, tick labels and axis labels of a plot area.
std::string frame(const Chart& c, const Scale& xs, const Scale& ys, bool x_ticks = true) {
  const double x0 = kLeft, x1 = c.width - kRight, y0 = c.height - kBottom, y1 = kTop;
  std::string out;
  auto fmt = [](const Axis& a, double v) { return a.format ? a.format(v) : short_number(v); };
  for (double t : ticks_of(ys, 5)) {
    const double y = ys(t);
    if (y < y1 - 0.5 || y > y0 + 0.5) continue;
    out += "<line x1=\"" + num(x0) + "\" x2=\"" + num(x1) + "\" y1=\"" + num(y) + "\" y2=\"" + num(y) +
           "\" stroke=\"#e4e4e4\"/><text x=\"" + num(x0 - 4) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\">" +
           html_escape(fmt(c.y, t)) + "</text>";
  }
  if (x_ticks)
    for (double t : ticks_of(xs, 8)) {
      const double x = xs(t);
      if (x < x0 - 0.5 || x > x1 + 0.5) continue;
      out += "<line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(y0) + "\" y2=\"" + num(y0 + 4) +
             "\" stroke=\"#555\"/><text x=\"" + num(x) + "\" y=\"" + num(y0 + 16) + "\" text-anchor=\"middle\">" +
             html_escape(fmt(c.x, t)) + "</text>";
    }
  out += "<rect x=\"" + num(x0) + "\" y=\"" + num(y1) + "\" width=\"" + num(x1 - x0) + "\" height=\"" + num(y0 - y1) +
         "\" fill=\"none\" stroke=\"#555\"/>";
  out += "<text x=\"" + num((x0 + x1) / 2) + "\" y=\"" + num(c.height - 6.0) + "\" text-anchor=\"middle\">" +
         html_escape(c.x.label) + "</text>";
  out += "<text transform=\"translate(12," + num((y0 + y1) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         html_escape(c.y.label) + "</text>";
  return out;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || hi <= lo || target < 1) return ticks;
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

std::string line_chart(const Chart& c, const std::vector<Series>& series) {
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  size_t points = 0;
  for (const Series& s : series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (c.x.log && s.x[i] <= 0) || (c.y.log && s.y[i] <= 0))
        continue;
      xlo = std::min(xlo, s.x[i]), xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, s.y[i]), yhi = std::max(yhi, s.y[i]);
      ++points;
    }
  if (points == 0) return no_data(c, "line");
  const Scale xs = make_scale(c.x, xlo, xhi, kLeft, c.width - kRight);
  const Scale ys = make_scale(c.y, ylo, yhi, c.height - kBottom, kTop);
  std::string out = open_svg(c, "line") + frame(c, xs, ys);
  double legend_x = c.width - kRight;
  for (auto s = series.rbegin(); s != series.rend(); ++s) {  // legend, right-aligned
    legend_x -= 12.0 + 6.5 * double(s->name.size());
    out += "<rect x=\"" + num(legend_x) + "\" y=\"23\" width=\"9\" height=\"9\" fill=\"" + s->color + "\"/><text x=\"" +
           num(legend_x + 12) + "\" y=\"31\">" + html_escape(s->name) + "</text>";
  }
  for (const Series& s : series) {
    // Thin to each pixel column's first, lowest, highest and last points.
    std::string path;
    int column = std::numeric_limits<int>::min();
    struct Keep {
      double x, y;
    };
    std::vector<Keep> col;
    bool pen_down = false;
    auto flush = [&] {
      if (col.empty()) return;
      auto [lo, hi] =
          std::minmax_element(col.begin(), col.end(), [](const Keep& a, const Keep& b) { return a.y < b.y; });
      std::vector<Keep> keep{col.front(), *lo, *hi, col.back()};
      if (col.size() < 4) keep = col;
      for (const Keep& k : keep) {
        path += pen_down ? 'L' : 'M';  // appended, not "L" + num(): GCC 12 warns falsely (-Wrestrict)
        path += num(k.x);
        path += ' ';
        path += num(k.y);
        pen_down = true;
      }
      col.clear();
    };
    size_t drawn = 0;
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!xs.valid(s.x[i]) || !ys.valid(s.y[i])) {  // a gap
        flush();
        pen_down = false;
        continue;
      }
      const double px = xs(s.x[i]), py = ys(s.y[i]);
      if (int(px) != column) flush(), column = int(px);
      col.push_back({px, py});
      ++drawn;
    }
    flush();
    if (drawn == 0) continue;
    out += "<path class=\"mark\" d=\"" + path + "\" fill=\"none\" stroke=\"" + s.color +
           "\" stroke-width=\"1.5\"><title>" + html_escape(s.name) + "</title></path>";
    if (drawn == 1)  // a single point draws no line: a dot
      out += "<circle class=\"mark\" cx=\"" + num(xs(s.x[0])) + "\" cy=\"" + num(ys(s.y[0])) + "\" r=\"3\" fill=\"" +
             s.color + "\"/>";
  }
  return out + "</svg>";
}

std::string bar_chart(const Chart& c, const std::vector<Bar>& bars) {
  double hi = 0;
  for (const Bar& b : bars) hi = std::max(hi, std::isfinite(b.value) ? b.value : 0);
  if (bars.empty()) return no_data(c, "bar");
  const int label_w = 150;
  const double x0 = kLeft + label_w - 40, x1 = c.width - kRight - 150;
  const double row = std::min(26.0, double(c.height - kTop - 8) / double(bars.size()));
  std::string out = open_svg(c, "bar");
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = kTop + double(i) * row;
    const double w = hi > 0 && std::isfinite(b.value) ? (x1 - x0) * b.value / hi : 0;
    out += "<text x=\"" + num(x0 - 6) + "\" y=\"" + num(y + row * 0.65) + "\" text-anchor=\"end\">" +
           html_escape(b.label) + "</text>";
    out += "<rect class=\"mark\" x=\"" + num(x0) + "\" y=\"" + num(y + 3) + "\" width=\"" + num(std::max(w, 1.0)) +
           "\" height=\"" + num(row - 6) + "\" fill=\"" + (b.color.empty() ? "#2e86c1" : b.color) + "\"><title>" +
           html_escape(b.label + ": " + short_number(b.value) + " " + b.note) + "</title></rect>";
    out += "<text x=\"" + num(x0 + w + 6) + "\" y=\"" + num(y + row * 0.65) + "\">" +
           html_escape(short_number(b.value) + " " + b.note) + "</text>";
  }
  return out + "</svg>";
}

std::string heat_map(const Chart& c, const Grid& g) {
  if (g.rows <= 0 || g.cols <= 0 || g.values.size() != size_t(g.rows) * size_t(g.cols)) return no_data(c, "heat");
  double hi = 0;
  for (double v : g.values)
    if (std::isfinite(v)) hi = std::max(hi, v);
  const double x0 = kLeft, x1 = c.width - kRight, y0 = c.height - kBottom, y1 = kTop;
  const double cw = (x1 - x0) / g.cols, ch = (y0 - y1) / g.rows;
  Scale xs{0, double(g.cols), x0, x1}, ys{0, double(g.rows), y0, y1};
  std::string out = open_svg(c, "heat") + frame(c, xs, ys);
  unsigned r0 = 0xff, g0 = 0xff, b0 = 0xff, r1 = 0, g1 = 0, b1 = 0;
  std::sscanf(g.color.c_str(), "#%02x%02x%02x", &r1, &g1, &b1);
  for (int r = 0; r < g.rows; ++r)
    for (int col = 0; col < g.cols; ++col) {
      const double v = g.values[size_t(r) * size_t(g.cols) + size_t(col)];
      char fill[16] = "#dddddd";
      if (std::isfinite(v)) {
        const double t = hi > 0 ? std::clamp(v / hi, 0.0, 1.0) : 0;
        std::snprintf(fill, sizeof fill, "#%02x%02x%02x", unsigned(r0 + (double(r1) - r0) * t),
                      unsigned(g0 + (double(g1) - g0) * t), unsigned(b0 + (double(b1) - b0) * t));
      }
      out += "<rect class=\"mark\" x=\"" + num(x0 + col * cw) + "\" y=\"" + num(y0 - (r + 1) * ch) + "\" width=\"" +
             num(cw + 0.3) + "\" height=\"" + num(ch + 0.3) + "\" fill=\"" + fill + "\">";
      if (g.tip) out += "<title>" + html_escape(g.tip(r, col, v)) + "</title>";
      out += "</rect>";
    }
  return out + "</svg>";
}

std::string scatter(const Chart& c, const std::vector<Dot>& dots, double cell) {
  if (c.x.max <= c.x.min || c.y.max <= c.y.min) return no_data(c, "scatter");
  const Scale xs = make_scale(c.x, c.x.min, c.x.max, kLeft, c.width - kRight);
  const Scale ys = make_scale(c.y, c.y.min, c.y.max, kTop, c.height - kBottom);  // y grows downwards, as an image
  std::string out = open_svg(c, "scatter") + frame(c, xs, ys);
  if (cell > 0) {
    for (double v = c.x.min + cell; v < c.x.max; v += cell)
      out += "<line x1=\"" + num(xs(v)) + "\" x2=\"" + num(xs(v)) + "\" y1=\"" + num(kTop) + "\" y2=\"" +
             num(c.height - kBottom) + "\" stroke=\"#bbb\" stroke-dasharray=\"3 3\"/>";
    for (double v = c.y.min + cell; v < c.y.max; v += cell)
      out += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(c.width - kRight) + "\" y1=\"" + num(ys(v)) + "\" y2=\"" +
             num(ys(v)) + "\" stroke=\"#bbb\" stroke-dasharray=\"3 3\"/>";
  }
  if (dots.empty())
    out += "<text class=\"no-data\" x=\"" + std::to_string(c.width / 2) + "\" y=\"" + std::to_string(c.height / 2) +
           "\" text-anchor=\"middle\" fill=\"#888\">no clusters</text>";
  for (const Dot& d : dots) {
    if (!std::isfinite(d.x) || !std::isfinite(d.y)) continue;
    out += "<circle class=\"mark\" cx=\"" + num(xs(d.x)) + "\" cy=\"" + num(ys(d.y)) + "\" r=\"" +
           num(std::clamp(2.0 * std::sqrt(std::max(d.size, 0.0)), 2.0, 18.0)) + "\" fill=\"" + d.color +
           "\" fill-opacity=\"0.7\"><title>" + html_escape(d.tip) + "</title></circle>";
  }
  return out + "</svg>";
}

}  // namespace lpbf::svg
