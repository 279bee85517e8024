#include "io/golden_dataset.h"

#include <simdjson.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/json_text.h"

namespace lpbf {

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return std::move(buf).str();
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
