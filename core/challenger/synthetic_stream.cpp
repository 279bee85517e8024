#include "core/challenger/synthetic_stream.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lpbf {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A reproducible stream of uniform numbers.
struct Random {
  uint64_t state;
  uint64_t next() { return state = splitmix64(state); }
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  double range(double lo, double hi) { return lo + (hi - lo) * uniform(); }
};

struct Part {
  bool circle;
  double cx, cy, a, b;  // centre; half sizes (rectangle) or radius a (circle)
  // Distance inside the outline (negative: outside).
  double depth(double x, double y) const {
    if (circle) return a - std::hypot(x - cx, y - cy);
    return std::min(a - std::fabs(x - cx), b - std::fabs(y - cy));
  }
};

struct Defect {
  double cx, cy, radius;
  int first_layer, layers;
  uint16_t value;  // hot: bright, cold: dim but above the empty threshold
};

// The parts and defects of one print: fixed for all its layers.
struct PrintPlan {
  std::vector<Part> parts;
  std::vector<Defect> defects;
};

PrintPlan plan_print(const SyntheticSpec& spec, int print) {
  Random rng{splitmix64(spec.seed * 1000003ULL + uint64_t(print))};
  const double side = double(spec.grid) * spec.tile;
  PrintPlan plan;
  const int parts = 3 + spec.grid * spec.grid / 2;
  for (int i = 0; i < parts; ++i) {
    const bool circle = rng.uniform() < 0.4;
    const double size = rng.range(0.05, 0.16) * side;
    plan.parts.push_back({circle, rng.range(size, side - size), rng.range(size, side - size), size,
                          circle ? size : rng.range(0.4, 1.0) * size});
  }
  const int defects = 2 * spec.grid * spec.grid + spec.layers;
  for (int i = 0; i < defects; ++i) {
    const Part& p = plan.parts[size_t(rng.next() % plan.parts.size())];
    const double r = rng.range(3, 9);
    const bool hot = rng.uniform() < 0.7;
    plan.defects.push_back({p.cx + rng.range(-0.7, 0.7) * p.a, p.cy + rng.range(-0.7, 0.7) * p.b, r,
                            int(rng.next() % uint64_t(std::max(1, spec.layers))), 2 + int(rng.next() % 3),
                            uint16_t(hot ? 60000 : 5600)});
  }
  return plan;
}

}  // namespace

std::string SyntheticSpec::describe() const {
  return "synthetic stream: " + std::to_string(prints) + " print(s) x " + std::to_string(layers) + " layers x " +
         std::to_string(grid * grid) + " tiles of " + std::to_string(tile) + "x" + std::to_string(tile) + " px, seed " +
         std::to_string(seed);
}

Image16 synthetic_tile(const SyntheticSpec& spec, int print, int layer, int tile_id) {
  const PrintPlan plan = plan_print(spec, print);
  const int gx0 = (tile_id / spec.grid) * spec.tile, gy0 = (tile_id % spec.grid) * spec.tile;
  // Parts and defects touching this tile, so each pixel tests only a few.
  std::vector<const Part*> parts;
  for (const Part& p : plan.parts)
    if (p.cx + p.a >= gx0 && p.cx - p.a < gx0 + spec.tile && p.cy + p.b >= gy0 && p.cy - p.b < gy0 + spec.tile)
      parts.push_back(&p);
  std::vector<const Defect*> defects;
  for (const Defect& d : plan.defects)
    if (layer >= d.first_layer && layer < d.first_layer + d.layers && d.cx + d.radius >= gx0 &&
        d.cx - d.radius < gx0 + spec.tile && d.cy + d.radius >= gy0 && d.cy - d.radius < gy0 + spec.tile)
      defects.push_back(&d);

  const double angle = double(layer) * 67.0 * M_PI / 180.0;  // the hatch turns 67 degrees a layer
  const double hx = std::cos(angle), hy = std::sin(angle);
  const uint64_t layer_key =
      splitmix64(spec.seed ^ (uint64_t(print) << 40) ^ (uint64_t(layer) << 20) ^ uint64_t(tile_id));
  Image16 img(spec.tile, spec.tile);
  for (int x = 0; x < spec.tile; ++x) {
    for (int y = 0; y < spec.tile; ++y) {
      const double gx = gx0 + x, gy = gy0 + y;
      const uint64_t h = splitmix64(layer_key ^ (uint64_t(x) << 32) ^ uint64_t(y));
      const double noise = double(h & 0xffff) / 65535.0 - 0.5;  // uniform in [-0.5, 0.5)
      double depth = -1;
      for (const Part* p : parts) depth = std::max(depth, p->depth(gx, gy));
      double v;
      if (depth < 0) {
        v = 2600 + 2400 * noise;  // powder: never above 5000
      } else if (depth < 2.5) {
        v = 43000 + 6000 * noise;  // contour scan
      } else {
        v = 19000 + 2500 * std::sin((gx * hx + gy * hy) * 0.9) + 3000 * noise;  // hatch
        for (const Defect* d : defects)
          if (std::hypot(gx - d->cx, gy - d->cy) <= d->radius) v = d->value + 800 * noise;
      }
      if (((h >> 16) & 0xffff) < 3) v = 65535;  // spatter: about 1 px in 20000
      img.at(x, y) = uint16_t(std::clamp(v, 0.0, 65535.0));
    }
  }
  return img;
}

}  // namespace lpbf
