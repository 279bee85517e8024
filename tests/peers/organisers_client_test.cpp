// A peer in another language: tests/peers/organisers_client.py, a client in the DEBS organisers'
// style (Python, requests, msgpack), against `lpbf-bench challenger --emulate evaluation` started
// on a free port (issue 21).
#include <doctest/doctest.h>

#include <string>

#include "tests/test_support.h"

namespace {

// A Python 3 with requests and msgpack (Debian's python3-requests and python3-msgpack go to
// /usr/bin/python3, which may not be the first python3 on PATH); "" when there is none.
std::string python_with_requests_and_msgpack() {
  for (const std::string python : {"/usr/bin/python3", "python3"})
    if (lpbf::test::run_command(python + " -c 'import requests, msgpack'").exit_code == 0) return python;
  return "";
}

}  // namespace

TEST_CASE("organisers' client (Python): the evaluation emulation answers every call as Challenger 2.0 does") {
  const std::string python = python_with_requests_and_msgpack();
  REQUIRE_MESSAGE(!python.empty(),
                  "no python3 with requests and msgpack: `make test-deps` installs python3-requests "
                  "and python3-msgpack");
  const std::string script = std::string(LPBF_SOURCE_DIR) + "/tests/peers/organisers_client.py";
  for (const int first : {0, 1}) {
    CAPTURE(first);
    const lpbf::test::ProcessResult r = lpbf::test::run_command(
        python + " " + script + " --binary " + lpbf::test::binary() + " --dataset " +
        (lpbf::test::golden_dir() / "small").string() + " --first-batch-id " + std::to_string(first));
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("every reply as expected, 20 batches") != std::string::npos);
    CHECK(r.output.find("ended: 20 of 20 batches served, 20 results") != std::string::npos);  // the log line
  }
}
