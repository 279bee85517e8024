#include "io/memory_tiff.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace lpbf {
namespace {

MemoryStream& stream_of(thandle_t h) { return *static_cast<MemoryStream*>(h); }

tmsize_t read_proc(thandle_t h, void* buf, tmsize_t n) {
  MemoryStream& s = stream_of(h);
  if (n < 0 || s.pos >= s.size) return 0;
  const uint64_t take = std::min<uint64_t>(uint64_t(n), s.size - s.pos);
  std::memcpy(buf, s.data + s.pos, take);
  s.pos += take;
  return tmsize_t(take);
}

tmsize_t write_proc(thandle_t h, void* buf, tmsize_t n) {
  MemoryStream& s = stream_of(h);
  if (s.sink == nullptr || n < 0) return -1;
  if (s.pos + uint64_t(n) > s.sink->size()) s.sink->resize(s.pos + uint64_t(n));
  std::memcpy(s.sink->data() + s.pos, buf, size_t(n));
  s.pos += uint64_t(n);
  s.size = s.sink->size();
  s.data = s.sink->data();
  return n;
}

toff_t seek_proc(thandle_t h, toff_t off, int whence) {
  MemoryStream& s = stream_of(h);
  uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s.pos : s.size;
  s.pos = base + off;  // past the end is allowed: a read there returns 0, a write extends
  return s.pos;
}

int close_proc(thandle_t) { return 0; }
toff_t size_proc(thandle_t h) { return stream_of(h).size; }

// Reading: hand libtiff the buffer itself, so uncompressed strips are copied once, not twice.
int map_proc(thandle_t h, void** base, toff_t* size) {
  MemoryStream& s = stream_of(h);
  if (s.sink != nullptr) return 0;
  *base = const_cast<uint8_t*>(s.data);
  *size = s.size;
  return 1;
}
void unmap_proc(thandle_t, void*, toff_t) {}

int on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  MemoryStream& s = *static_cast<MemoryStream*>(user);
  if (s.first_error.empty()) {
    char msg[512];
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    s.first_error = (module && *module) ? std::string(module) + ": " + msg : std::string(msg);
  }
  return 1;  // handled: keep libtiff's global handler quiet
}
int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

}  // namespace

TiffHandle open_memory_tiff(MemoryStream& stream, const char* mode) {
  TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, &stream);
  TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, &stream);
  // A corrupt header must not make libtiff allocate gigabytes.
  TIFFOpenOptionsSetMaxSingleMemAlloc(opts, tmsize_t(1) << 30);
  TIFF* tif = TIFFClientOpenExt("memory", mode, &stream, read_proc, write_proc, seek_proc, close_proc, size_proc,
                                map_proc, unmap_proc, opts);
  TIFFOpenOptionsFree(opts);
  return TiffHandle(tif);
}

}  // namespace lpbf
