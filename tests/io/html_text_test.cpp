#include <doctest/doctest.h>

#include "io/html_text.h"

using namespace lpbf;

TEST_CASE("html_escape: & < > \" as entities, the rest as it is") {
  CHECK(html_escape("a & b <c> \"d\" 'e'") == "a &amp; b &lt;c&gt; &quot;d&quot; 'e'");
  CHECK(html_escape("") == "");
  CHECK(html_escape("&amp;") == "&amp;amp;");
  CHECK(html_escape("ü </script>") == "ü &lt;/script&gt;");
}
