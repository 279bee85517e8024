#include "io/golden_dataset.h"

#include <simdjson.h>

#include <cstdio>
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

}  // namespace

GoldenDatasetWriter::GoldenDatasetWriter(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("cannot create " + dir_.string() + ": " + ec.message());
}

void GoldenDatasetWriter::add(const Batch& b, const std::string& encoding) {
  char file[32];
  std::snprintf(file, sizeof file, "b%06zu.tif", count_);
  write_file_bytes(dir_ / file, std::span(reinterpret_cast<const char*>(b.tif.data()), b.tif.size()));
  manifest_ += (count_++ ? ",\n " : "\n ") + JsonObject()
                                                 .field("batch_id", b.batch_id)
                                                 .field("print_id", b.print_id)
                                                 .field("tile_id", b.tile_id)
                                                 .field("layer", b.layer)
                                                 .field("file", std::string_view(file))
                                                 .field("encoding", encoding)
                                                 .str();
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
  const auto expected_path = dir / "expected.json";
  if (std::filesystem::exists(expected_path))
    ds.expected = parse_results_json(read_file_bytes(expected_path), expected_path.string());
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
