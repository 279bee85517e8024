#pragma once
// A reply's payload tail that lives in a file: opened (and its size checked) when the reply is made,
// sent by the HTTP server with sendfile(2) straight from the page cache, or read into memory where
// that cannot be used (TLS, fault injection). The descriptor is closed when the last owner lets go.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "io/result.h"

namespace lpbf {

struct FileTail {
  int fd = -1;
  std::string path;     // for error messages
  uint64_t offset = 0;  // where the tail starts in the file
  uint64_t length = 0;  // its bytes, sent whole

  FileTail() = default;
  FileTail(const FileTail&) = delete;
  FileTail& operator=(const FileTail&) = delete;
  ~FileTail();
};

// Opens `path` and checks that it has `expected_bytes` bytes: the tail is the whole file. An Error
// names the file when it cannot be opened or is another size (the same words as read_file_into).
Result<std::shared_ptr<const FileTail>> open_file_tail(const std::filesystem::path& path, uint64_t expected_bytes);

// The tail's bytes read into `out` (exactly tail.length bytes): an Error names the file when it
// cannot be read or ends early (truncated after it was opened).
Status read_file_tail(const FileTail& tail, std::span<char> out);

}  // namespace lpbf
