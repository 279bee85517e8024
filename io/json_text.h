#pragma once
// Writing JSON (reading is simdjson's): strings escaped, doubles in shortest round-trip form.
#include <string>
#include <string_view>
#include <vector>

#include "analysis/tile_result.h"

namespace lpbf {

void append_json_string(std::string& out, std::string_view s);
void append_json_number(std::string& out, double v);

// Builds one JSON object, fields in the order added: JsonObject().field("a", 1).str().
class JsonObject {
 public:
  JsonObject& field(std::string_view key, std::string_view value);
  JsonObject& field(std::string_view key, const char* value) { return field(key, std::string_view(value)); }
  JsonObject& field(std::string_view key, double value);
  JsonObject& field(std::string_view key, int64_t value);
  JsonObject& field(std::string_view key, size_t value) { return field(key, int64_t(value)); }
  JsonObject& field(std::string_view key, int value) { return field(key, int64_t(value)); }
  JsonObject& field(std::string_view key, bool value);
  JsonObject& raw(std::string_view key, std::string_view json);  // a value already in JSON
  std::string str() const { return out_ + "}"; }

 private:
  void key(std::string_view k);
  std::string out_ = "{";
};

// A JSON array of already-encoded JSON values.
std::string json_array(const std::vector<std::string>& values);

// One result map as JSON, keys as in expected.json.
void append_result_json(std::string& out, const TileResult& r);
// An array of results, one per line: the format of expected.json and of `replay --out`.
std::string results_to_json(const std::vector<TileResult>& results);

// Parses an array of result maps (expected.json's format). Throws std::runtime_error saying where.
std::vector<TileResult> parse_results_json(std::string_view json, const std::string& origin);

}  // namespace lpbf
