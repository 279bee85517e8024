#pragma once
// libtiff over an in-memory buffer (no temp files), with libtiff's messages captured per handle
// instead of printed by its process-wide handlers. Shared by the decoder and the encoder.
#include <tiffio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lpbf {

// The bytes a TIFF handle reads from or writes to.
struct MemoryStream {
  const uint8_t* data = nullptr;         // reading
  std::vector<uint8_t>* sink = nullptr;  // writing
  uint64_t size = 0;
  uint64_t pos = 0;
  std::string first_error;  // libtiff's first error message, if any
};

struct TiffCloser {
  void operator()(TIFF* t) const { TIFFClose(t); }
};
using TiffHandle = std::unique_ptr<TIFF, TiffCloser>;

// mode "r" or "w" (plus libtiff's modifiers, e.g. "wb" for big-endian). `stream` must outlive the handle.
TiffHandle open_memory_tiff(MemoryStream& stream, const char* mode);

}  // namespace lpbf
