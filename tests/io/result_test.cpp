#include "io/result.h"

#include <doctest/doctest.h>

#include <memory>

namespace lpbf {

TEST_CASE("Result: a value, or an error that says why") {
  Result<int> good = 7;
  CHECK(good.ok());
  CHECK(bool(good));
  CHECK(good.value() == 7);
  Result<int> bad = Error{"connect: Connection refused"};
  CHECK_FALSE(bad.ok());
  CHECK(bad.error() == "connect: Connection refused");
}

TEST_CASE("Result: holds move-only values and gives them up") {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(3);
  std::unique_ptr<int> p = std::move(r).value();
  CHECK(*p == 3);
}

TEST_CASE("Status: success by default, failure with a reason") {
  Status fine;
  CHECK(fine.ok());
  Status failed = Error{"flush: 2 message(s) not delivered"};
  CHECK_FALSE(failed.ok());
  CHECK(failed.error() == "flush: 2 message(s) not delivered");
}

}  // namespace lpbf
