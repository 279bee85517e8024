#include "core/commands/command_line.h"

#include <charconv>
#include <cstdlib>

namespace lpbf {

CommandLine::CommandLine(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) args_.emplace_back(argv[i]);
  used_.assign(args_.size(), false);
  for (int i = 0; i < argc; ++i) {
    if (i) text_ += ' ';
    text_ += argv[i];
  }
}

std::optional<std::string> CommandLine::value(const std::string& name) {
  for (size_t i = 0; i < args_.size(); ++i) {
    if (used_[i]) continue;
    if (args_[i] == name) {
      if (i + 1 >= args_.size()) throw UsageError(name + " needs a value");
      used_[i] = used_[i + 1] = true;
      return args_[i + 1];
    }
    if (args_[i].rfind(name + "=", 0) == 0) {
      used_[i] = true;
      return args_[i].substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

std::string CommandLine::value_or(const std::string& name, const std::string& fallback) {
  return value(name).value_or(fallback);
}

int64_t CommandLine::int_or(const std::string& name, int64_t fallback, int64_t min, int64_t max) {
  const auto text = value(name);
  if (!text) return fallback;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc{} || end != text->data() + text->size())
    throw UsageError(name + " takes a whole number, not '" + *text + "'");
  if (v < min || v > max)
    throw UsageError(name + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " + *text);
  return v;
}

double CommandLine::double_or(const std::string& name, double fallback, double min, double max) {
  const auto text = value(name);
  if (!text) return fallback;
  char* end = nullptr;
  const double v = text->empty() ? 0 : std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || !(v == v))
    throw UsageError(name + " takes a number, not '" + *text + "'");
  if (v < min || v > max)
    throw UsageError(name + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " + *text);
  return v;
}

bool CommandLine::flag(const std::string& name) {
  bool seen = false;
  for (size_t i = 0; i < args_.size(); ++i)
    if (!used_[i] && args_[i] == name) used_[i] = seen = true;
  return seen;
}

std::vector<std::string> CommandLine::positionals() {
  std::vector<std::string> out;
  for (size_t i = 0; i < args_.size(); ++i)
    if (!used_[i] && (args_[i].empty() || args_[i][0] != '-')) {
      used_[i] = true;
      out.push_back(args_[i]);
    }
  return out;
}

void CommandLine::finish() const {
  for (size_t i = 0; i < args_.size(); ++i)
    if (!used_[i]) throw UsageError("unknown argument '" + args_[i] + "'");
}

}  // namespace lpbf
