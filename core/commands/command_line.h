#pragma once
// Minimal argument reader: `--name value`, `--name=value`, bare `--flag`, positionals. Every
// mistake is a UsageError whose message says which argument and why; main() turns it into exit 2.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lpbf {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class CommandLine {
 public:
  CommandLine(int argc, char** argv, int first);

  std::optional<std::string> value(const std::string& name);
  std::string value_or(const std::string& name, const std::string& fallback);
  int64_t int_or(const std::string& name, int64_t fallback, int64_t min, int64_t max);
  double double_or(const std::string& name, double fallback, double min, double max);
  bool flag(const std::string& name);
  bool help() { return flag("--help") || flag("-h"); }
  // The arguments no option took; call after all options, then finish().
  std::vector<std::string> positionals();
  // Throws for any argument nobody asked for.
  void finish() const;
  // The whole command line, as typed (for reports).
  const std::string& text() const { return text_; }

 private:
  std::vector<std::string> args_;
  std::vector<bool> used_;
  std::string text_;
};

}  // namespace lpbf
