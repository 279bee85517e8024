#include "io/file_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lpbf {
namespace {

Error io_error(const char* what, const std::string& path, int err) {
  return Error{std::string(what) + " " + path + ": " + std::strerror(err)};
}

}  // namespace

FileTail::~FileTail() {
  if (fd >= 0) ::close(fd);
}

Result<std::shared_ptr<const FileTail>> open_file_tail(const std::filesystem::path& path, uint64_t expected_bytes) {
  auto tail = std::make_shared<FileTail>();
  tail->path = path.string();
  tail->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (tail->fd < 0) return io_error("cannot open", tail->path, errno);
  struct stat st {};
  if (::fstat(tail->fd, &st) != 0) return io_error("cannot stat", tail->path, errno);
  if (uint64_t(st.st_size) != expected_bytes)
    return Error{tail->path + " has " + std::to_string(st.st_size) + " bytes, not the " +
                 std::to_string(expected_bytes) + " it had when the dataset was loaded"};
  tail->length = expected_bytes;
  return std::shared_ptr<const FileTail>(std::move(tail));
}

Status read_file_tail(const FileTail& tail, std::span<char> out) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(tail.fd, out.data() + done, out.size() - done, off_t(tail.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read", tail.path, errno);
    if (n == 0)
      return Error{tail.path + " ended after " + std::to_string(done) + " of its " + std::to_string(out.size()) +
                   " bytes (truncated while read)"};
    done += size_t(n);
  }
  return {};
}

}  // namespace lpbf
