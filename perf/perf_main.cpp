// `make perf`: every benchmark of perf/, one table on stdout, the same rows in perf/results.json.
#include <fstream>

#include "io/json_text.h"
#include "perf/kernels_bench.h"

namespace lpbf::perf {

std::string Report::json() const {
  std::string out = "[\n";
  for (size_t i = 0; i < rows_.size(); ++i) {
    const Row& r = rows_[i];
    out += "  {\"group\": ";
    append_json_string(out, r.group);
    out += ", \"name\": ";
    append_json_string(out, r.name);
    out += ", \"value\": ";
    append_json_number(out, r.value);
    out += ", \"unit\": ";
    append_json_string(out, r.unit);
    out += ", \"note\": ";
    append_json_string(out, r.note);
    out += i + 1 < rows_.size() ? "},\n" : "}\n";
  }
  return out + "]\n";
}

}  // namespace lpbf::perf

int main(int argc, char** argv) {
  const std::string out_path = argc > 1 ? argv[1] : "perf/results.json";
  lpbf::perf::Report report;
  std::printf("%-10s %-46s %12s %-10s %s\n", "group", "benchmark", "median", "unit", "note");
  lpbf::perf::run_kernel_benchmarks(report);
  std::ofstream(out_path) << report.json();
  std::printf("\nwritten to %s\n", out_path.c_str());
  return 0;
}
