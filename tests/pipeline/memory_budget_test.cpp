// The memory budget's accounting, without timing: acquire and release, the lone oversized
// acquisition, an acquire that waits until a release and then proceeds, the fetch stage's rule.
#include "core/pipeline/memory_budget.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

using namespace lpbf;

TEST_CASE("memory budget: acquire within it, refused beyond it, room again after a release") {
  MemoryBudget b(1000);
  CHECK(b.try_acquire(600));
  CHECK(b.held() == 600);
  CHECK_FALSE(b.try_acquire(500));  // 1100 > 1000
  CHECK(b.held() == 600);
  CHECK(b.try_acquire(400));  // exactly full
  CHECK_FALSE(b.try_acquire(1));
  b.release(400);
  CHECK(b.try_acquire(300));
  CHECK(b.held() == 900);
  CHECK(b.peak() == 1000);
  b.release(900);
  CHECK(b.held() == 0);
}

TEST_CASE("memory budget: a request larger than what remains goes alone, once everything else is released") {
  MemoryBudget b(1000);
  CHECK(b.try_acquire(100));
  CHECK_FALSE(b.try_acquire(950));  // more than the 900 left: waits for the 100
  b.release(100);
  CHECK(b.try_acquire(950));  // alone, it fits
  b.release(950);
  // Even a request above the whole budget is never refused forever when alone; the caller
  // refuses such a batch first (oversized), before allocating it.
  CHECK_FALSE(b.oversized(1001).empty());
  CHECK(b.oversized(1000).empty());
  CHECK(b.oversized(1001).find("--memory-budget") != std::string::npos);
}

TEST_CASE("memory budget: acquire waits while the budget is spent, then proceeds after the release") {
  MemoryBudget b(1000);
  b.charge(800);
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    b.acquire(500);
    acquired = true;
  });
  while (b.waiting() == 0) std::this_thread::yield();  // it is waiting: no sleep, no timing
  CHECK_FALSE(acquired.load());
  CHECK(b.held() == 800);
  b.release(800);
  waiter.join();
  CHECK(acquired.load());
  CHECK(b.held() == 500);
}

TEST_CASE("memory budget: charges and MemoryCharge release with their owner and follow a resize") {
  MemoryBudget b(1000);
  {
    auto c = std::make_shared<MemoryCharge>(b, 0);
    c->resize(300);
    CHECK(b.held() == 300);
    c->resize(100);
    CHECK(b.held() == 100);
    auto copy = c;
    c.reset();
    CHECK(b.held() == 100);  // a copy still holds it
  }
  CHECK(b.held() == 0);
  b.charge(5000);  // bytes that exist are charged even beyond the budget
  CHECK(b.held() == 5000);
  b.release(5000);
}

TEST_CASE("memory budget: the fetch stage's rule, and the wake-up after a refused fetch") {
  int woken = 0;
  MemoryBudget b(1000, [&] { ++woken; });
  CHECK(b.may_fetch(0, true));         // an empty pipeline always fetches
  CHECK_FALSE(b.may_fetch(1, false));  // no batch seen yet: the first goes alone
  b.charge_batch(300);                 // it arrived: 300 bytes a batch from now on
  CHECK(b.may_fetch(0, false));        // 300 + 300
  CHECK(b.may_fetch(1, false));        // 300 + 2 * 300
  CHECK_FALSE(b.may_fetch(2, false));  // 300 + 3 * 300 > 1000
  CHECK(woken == 0);
  b.release(300);
  CHECK(woken == 1);  // the refused fetch is told
  b.charge(10);
  b.release(10);
  CHECK(woken == 1);  // nothing was refused since
  b.charge(5000);     // windows holding more than the budget: only an empty pipeline fetches
  CHECK_FALSE(b.may_fetch(0, false));
  CHECK(b.may_fetch(0, true));
  b.release(5000);
}

TEST_CASE("memory budget: sizes on the command line") {
  CHECK(parse_byte_size("512M") == uint64_t(512) << 20);
  CHECK(parse_byte_size("4G") == uint64_t(4) << 30);
  CHECK(parse_byte_size("4GiB") == uint64_t(4) << 30);
  CHECK(parse_byte_size("1.5g") == uint64_t(3) << 29);
  CHECK(parse_byte_size("64K") == uint64_t(64) << 10);
  CHECK(parse_byte_size("1000") == 1000u);
  CHECK_FALSE(parse_byte_size("0"));
  CHECK_FALSE(parse_byte_size("-1G"));
  CHECK_FALSE(parse_byte_size("4X"));
  CHECK_FALSE(parse_byte_size(""));
  CHECK_FALSE(parse_byte_size("G"));
  CHECK_FALSE(parse_byte_size("nan"));
  CHECK(default_memory_budget() > 0);
  CHECK(default_memory_budget() <= uint64_t(4) << 30);
  CHECK(MemoryBudget::describe_bytes(uint64_t(4) << 30) == "4 GiB");
  CHECK(MemoryBudget::describe_bytes(1536) == "1.5 KiB");
}
