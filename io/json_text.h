#pragma once
// Writing JSON (reading is simdjson's): strings escaped, doubles in shortest round-trip form.
#include <string>
#include <string_view>
#include <vector>

#include "analysis/tile_result.h"

namespace lpbf {

void append_json_string(std::string& out, std::string_view s);
void append_json_number(std::string& out, double v);

// One result map as JSON, keys as in expected.json.
void append_result_json(std::string& out, const TileResult& r);
// An array of results, one per line: the format of expected.json and of `replay --out`.
std::string results_to_json(const std::vector<TileResult>& results);

// Parses an array of result maps (expected.json's format). Throws std::runtime_error saying where.
std::vector<TileResult> parse_results_json(std::string_view json, const std::string& origin);

}  // namespace lpbf
