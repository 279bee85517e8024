#include "io/json_text.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace lpbf {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_json_number(std::string& out, double v) {
  if (!std::isfinite(v)) {  // JSON has no NaN or infinity
    out += "null";
    return;
  }
  if (v == 0 && std::signbit(v)) {  // "-0" would read back as the integer 0: keep the sign
    out += "-0.0";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void JsonObject::key(std::string_view k) {
  if (out_.size() > 1) out_ += ", ";
  append_json_string(out_, k);
  out_ += ": ";
}
JsonObject& JsonObject::field(std::string_view k, std::string_view value) {
  key(k);
  append_json_string(out_, value);
  return *this;
}
JsonObject& JsonObject::field(std::string_view k, double value) {
  key(k);
  append_json_number(out_, value);
  return *this;
}
JsonObject& JsonObject::field(std::string_view k, int64_t value) {
  key(k);
  out_ += std::to_string(value);
  return *this;
}
JsonObject& JsonObject::field(std::string_view k, bool value) {
  key(k);
  out_ += value ? "true" : "false";
  return *this;
}
JsonObject& JsonObject::raw(std::string_view k, std::string_view json) {
  key(k);
  out_ += json;
  return *this;
}

std::string json_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
  return out + "]";
}

void append_result_json(std::string& out, const TileResult& r) {
  out += "{\"batch_id\": " + std::to_string(r.batch_id) + ", \"print_id\": ";
  append_json_string(out, r.print_id);
  out += ", \"tile_id\": " + std::to_string(r.tile_id) + ", \"saturated\": " + std::to_string(r.saturated) +
         ", \"centroids\": [";
  for (size_t i = 0; i < r.centroids.size(); ++i) {
    if (i) out += ", ";
    out += "{\"x\": ";
    append_json_number(out, r.centroids[i].x);
    out += ", \"y\": ";
    append_json_number(out, r.centroids[i].y);
    out += ", \"count\": " + std::to_string(r.centroids[i].count) + "}";
  }
  out += "]}";
}

std::string results_to_json(const std::vector<TileResult>& results) {
  std::string out = "[";
  for (size_t i = 0; i < results.size(); ++i) {
    out += i ? ",\n " : "\n ";
    append_result_json(out, results[i]);
  }
  out += results.empty() ? "]\n" : "\n]\n";
  return out;
}

std::vector<TileResult> parse_results_json(std::string_view json, const std::string& origin) {
  std::vector<TileResult> results;
  try {
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(json.data(), json.size());
    for (simdjson::dom::object m : doc.get_array()) {
      TileResult r;
      r.batch_id = m["batch_id"].get_int64();
      r.print_id = std::string(std::string_view(m["print_id"].get_string()));
      r.tile_id = m["tile_id"].get_int64();
      r.saturated = m["saturated"].get_int64();
      for (simdjson::dom::object c : m["centroids"].get_array()) {
        Centroid cen;
        cen.x = double(c["x"]);  // accepts integers too
        cen.y = double(c["y"]);
        cen.count = c["count"].get_int64();
        r.centroids.push_back(cen);
      }
      results.push_back(std::move(r));
    }
  } catch (const simdjson::simdjson_error& e) {
    throw std::runtime_error(origin + ": result " + std::to_string(results.size()) +
                             " is not a valid result map: " + e.what());
  }
  return results;
}

}  // namespace lpbf
