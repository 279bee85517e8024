#pragma once
// Pages as a person sees them: Debian's headless Chromium (installed by `make deps`) loads a page
// from disk with every host unresolvable, so a chart that needed the network would not draw.
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace lpbf::test {

inline constexpr const char* kChromium = "/usr/bin/chromium";

// Chromium with `args`, its profile in `profile` (a directory of its own per test: two Chromiums
// cannot share one).
inline ProcessResult run_chromium(const std::string& args, const std::filesystem::path& profile) {
  return run_command(std::string(kChromium) +
                     " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                     " --disable-background-networking --disable-component-update --disable-sync"
                     " --host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir=" +
                     profile.string() + " " + args);
}

// The page's DOM once its scripts have run (2 s of virtual time).
inline ProcessResult chromium_dom(const std::filesystem::path& page, const std::filesystem::path& profile) {
  return run_chromium("--virtual-time-budget=2000 --dump-dom file://" + page.string(), profile);
}

// What each chart of a rendered page drew: its data-drawn count, one per chart, in page order.
inline std::vector<int> drawn_marks(const std::string& dom) {
  static const std::regex drawn("data-drawn=\"([0-9]+)\"");
  std::vector<int> marks;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), drawn); it != std::sregex_iterator(); ++it)
    marks.push_back(std::stoi((*it)[1]));
  return marks;
}

}  // namespace lpbf::test
