#include "core/report/report_file.h"

#include <fstream>
#include <stdexcept>

#include "core/report/html_report.h"
#include "io/golden_dataset.h"

namespace lpbf {
namespace {

constexpr std::string_view kOpen = "<script type=\"application/json\" id=\"lpbf-report\">";
constexpr std::string_view kClose = "</script>";

// "</" cannot appear inside a script element; in JSON "<\/" means the same.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    out += json[i];
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') out += '\\';
  }
  return out;
}

}  // namespace

bool is_html_path(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".html" || ext == ".htm";
}

std::string html_report_page(const RunReport& run, const RunReport* baseline, const BaselineVerdict* verdict) {
  std::string page = render_html_report(run, baseline, verdict);
  const size_t body_end = page.rfind("</body>");
  const std::string embedded = std::string(kOpen) + script_safe(run.json) + std::string(kClose);
  return body_end == std::string::npos ? page + embedded : page.insert(body_end, embedded);
}

void write_report_file(const std::filesystem::path& path, const std::string& report_json) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << (is_html_path(path) ? html_report_page(parse_run_report(report_json, path.string())) : report_json);
  if (!out.flush()) throw std::runtime_error("cannot write the report to " + path.string());
}

RunReport read_report_file(const std::filesystem::path& path) {
  const std::string text = read_file_bytes(path);
  if (!is_html_path(path)) return parse_run_report(text, path.string());
  const size_t open = text.find(kOpen);
  const size_t close = open == std::string::npos ? open : text.find(kClose, open);
  if (close == std::string::npos)
    throw std::runtime_error(path.string() + ": an HTML page without an embedded lpbf-bench report");
  const size_t from = open + kOpen.size();
  return parse_run_report(std::string_view(text).substr(from, close - from), path.string());
}

}  // namespace lpbf
