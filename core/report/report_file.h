#pragma once
// A run report on disk: JSON (`run.json`), or a self-contained HTML page (`run.html`) that also
// carries the JSON inside it, so `lpbf-bench report run.html` can draw or compare it again.
#include <filesystem>
#include <string>

#include "core/report/baseline_verdict.h"
#include "core/report/run_report.h"

namespace lpbf {

// By the file's extension: .html or .htm is HTML, anything else JSON. Throws std::runtime_error
// when the file cannot be written.
void write_report_file(const std::filesystem::path& path, const std::string& report_json);

// A report written by write_report_file (either format). Throws std::runtime_error naming the
// file and what is wrong.
RunReport read_report_file(const std::filesystem::path& path);

// The HTML page of a report (the baseline's figures overlaid, and the verdict against it, if
// given), with the report's JSON embedded.
std::string html_report_page(const RunReport& run, const RunReport* baseline = nullptr,
                             const BaselineVerdict* verdict = nullptr);

bool is_html_path(const std::filesystem::path& path);

}  // namespace lpbf
