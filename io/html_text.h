#pragma once
// Text in HTML and SVG (XML): the one escaper for element text and quoted attribute values.
#include <string>
#include <string_view>

namespace lpbf {

// & < > " as entities; everything else as it is.
std::string html_escape(std::string_view text);

}  // namespace lpbf
