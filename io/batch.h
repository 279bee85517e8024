#pragma once
// A batch as the challenger hands it out (SPEC §1 batch map).
#include <cstdint>
#include <string>
#include <vector>

namespace lpbf {

struct Batch {
  int64_t batch_id = 0;
  std::string print_id;
  int64_t tile_id = 0;
  int64_t layer = 0;
  std::vector<uint8_t> tif;  // the TIFF file's bytes
};

}  // namespace lpbf
