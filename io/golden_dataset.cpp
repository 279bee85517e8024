#include "io/golden_dataset.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <span>
#include <stdexcept>

#include "io/json_text.h"

namespace lpbf {

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  // One read of the whole file: served datasets are hundreds of MB of these.
  std::string bytes(size_t(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), std::streamsize(bytes.size()))) throw std::runtime_error("cannot read " + path.string());
  return bytes;
}

namespace {

void write_file_bytes(const std::filesystem::path& path, std::span<const char> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

std::string manifest_entry_json(const ManifestEntry& e) {
  return JsonObject()
      .field("batch_id", e.batch_id)
      .field("print_id", e.print_id)
      .field("tile_id", e.tile_id)
      .field("layer", e.layer)
      .field("file", e.file)
      .field("encoding", e.encoding)
      .str();
}

Error io_error(const char* what, const std::filesystem::path& path, int err) {
  return Error{std::string(what) + " " + path.string() + ": " + std::strerror(err)};
}

}  // namespace

std::string batch_file_name(size_t n) {
  char file[32];
  std::snprintf(file, sizeof file, "b%06zu.tif", n);
  return file;
}

std::string manifest_to_json(const std::vector<ManifestEntry>& entries) {
  std::string out = "[";
  for (size_t i = 0; i < entries.size(); ++i) out += (i ? ",\n " : "\n ") + manifest_entry_json(entries[i]);
  out += entries.empty() ? "]\n" : "\n]\n";
  return out;
}

Status write_file(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", path, errno);
  size_t done = 0;
  int err = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    done += size_t(n);
  }
  if (::close(fd) != 0 && err == 0) err = errno;  // NFS and some full disks report here
  if (err == 0) return {};
  ::unlink(path.c_str());
  return io_error("cannot write", path, err);
}

Status read_file_into(const std::filesystem::path& path, std::span<char> out) {
  // open, fstat, pread, close: no descriptor is kept between batches (a served stream has
  // thousands of files; opening one costs a few microseconds beside reading its 500 KB).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path, errno);
  struct stat st {};
  Status status;
  if (::fstat(fd, &st) != 0) {
    status = io_error("cannot stat", path, errno);
  } else if (uint64_t(st.st_size) != out.size()) {
    status = Error{path.string() + " has " + std::to_string(st.st_size) + " bytes, not the " +
                   std::to_string(out.size()) + " it had when the dataset was loaded"};
  } else {
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, off_t(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = io_error("cannot read", path, errno);
        break;
      }
      if (n == 0) {
        status = Error{path.string() + " ended after " + std::to_string(done) + " of its " +
                       std::to_string(out.size()) + " bytes (truncated while read)"};
        break;
      }
      done += size_t(n);
    }
  }
  ::close(fd);
  return status;
}

Status replace_file(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  if (Status s = write_file(temp, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())); !s) return s;
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return io_error("cannot rename a new", path, err);
  }
  return {};
}

GoldenDatasetWriter::GoldenDatasetWriter(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("cannot create " + dir_.string() + ": " + ec.message());
}

void GoldenDatasetWriter::add(const Batch& b, const std::string& encoding) {
  const std::string file = batch_file_name(count_);
  write_file_bytes(dir_ / file, std::span(reinterpret_cast<const char*>(b.tif.data()), b.tif.size()));
  manifest_ +=
      (count_++ ? ",\n " : "\n ") + manifest_entry_json({b.batch_id, b.print_id, b.tile_id, b.layer, file, encoding});
}

void GoldenDatasetWriter::finish(const std::vector<TileResult>& expected) {
  const std::string manifest = manifest_ + (count_ ? "\n]\n" : "]\n");
  write_file_bytes(dir_ / "manifest.json", manifest);
  if (!expected.empty()) write_file_bytes(dir_ / "expected.json", results_to_json(expected));
}

GoldenDataset load_golden_dataset(const std::filesystem::path& dir) {
  GoldenDataset ds;
  ds.dir = dir;
  const auto manifest_path = dir / "manifest.json";
  if (!std::filesystem::exists(manifest_path))
    throw std::runtime_error(dir.string() + " is not a dataset directory: it has no manifest.json");
  const std::string text = read_file_bytes(manifest_path);
  try {
    simdjson::dom::parser parser;
    for (simdjson::dom::object m : parser.parse(text).get_array()) {
      ManifestEntry e;
      e.batch_id = m["batch_id"].get_int64();
      e.print_id = std::string(std::string_view(m["print_id"].get_string()));
      e.tile_id = m["tile_id"].get_int64();
      e.layer = m["layer"].get_int64();
      e.file = std::string(std::string_view(m["file"].get_string()));
      std::string_view encoding;
      if (m["encoding"].get(encoding) == simdjson::SUCCESS) e.encoding = std::string(encoding);
      ds.manifest.push_back(std::move(e));
    }
  } catch (const simdjson::simdjson_error& e) {
    throw std::runtime_error(manifest_path.string() + ": entry " + std::to_string(ds.manifest.size()) +
                             " is not valid: " + e.what());
  }
  // A recording (--record) has the answers of the run that recorded it instead: a later run or a
  // replay is then checked against those (a regression test against a previous run).
  for (const std::string_view name : {std::string_view("expected.json"), kRecordedResultsFile}) {
    const auto path = dir / name;
    if (!std::filesystem::exists(path)) continue;
    ds.expected = parse_results_json(read_file_bytes(path), path.string());
    ds.expected_file = std::string(name);
    break;
  }
  return ds;
}

Batch GoldenDataset::load_batch(size_t i) const {
  const ManifestEntry& e = manifest.at(i);
  Batch b{e.batch_id, e.print_id, e.tile_id, e.layer, {}};
  const std::string bytes = read_file_bytes(dir / e.file);
  b.tif = SharedBytes(ByteBuffer(bytes.begin(), bytes.end()));
  return b;
}

}  // namespace lpbf
