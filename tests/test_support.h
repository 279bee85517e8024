#pragma once
// Helpers shared by the tests: golden data paths, random images, running the built binary.
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "analysis/image.h"

namespace lpbf::test {

inline std::filesystem::path golden_dir() { return LPBF_GOLDEN_DIR; }
inline std::string binary() { return LPBF_BINARY; }

// Values drawn from a mix that produces outliers, empties and saturation alike.
inline Image16 random_image(int rows, int cols, std::mt19937& rng) {
  Image16 img(rows, cols);
  std::uniform_int_distribution<int> kind(0, 9), any(0, 65535), low(0, 6000), high(60000, 65535);
  for (auto& v : img.pixels) {
    const int k = kind(rng);
    v = uint16_t(k < 4 ? low(rng) : k < 7 ? any(rng) : high(rng));
  }
  return img;
}

inline Image16 filled_image(int rows, int cols, uint16_t value) {
  Image16 img(rows, cols);
  std::fill(img.pixels.begin(), img.pixels.end(), value);
  return img;
}

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line, capturing its output.
inline ProcessResult run_command(const std::string& command) {
  ProcessResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace lpbf::test
