// A hostile challenger: next_batch replies crafted to break a client (ids that would size memory,
// bytes that are not msgpack, msgpack that lies about its sizes, HTTP that lies about its body),
// interleaved with a real stream. The run's work stays bounded (requests, and the CPU time and memory
// of its own process), every real batch is answered exactly, and no hostile batch is answered.
#include <doctest/doctest.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <msgpack.hpp>
#include <mutex>
#include <random>

#include "io/golden_dataset.h"
#include "tests/faulty_challenger.h"
#include "tests/test_support.h"

using namespace lpbf;
namespace fs = std::filesystem;

namespace {

HttpReply msgpack_reply(std::string body) { return {200, "application/msgpack", std::move(body), nullptr}; }

// A batch map whose batch_id is `id` (any msgpack value, already packed) and whose other fields are fine.
std::string batch_with_id(const std::string& packed_id, bool with_tif = true) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(with_tif ? 5 : 4);
  pk.pack("batch_id");
  buf.write(packed_id.data(), packed_id.size());
  pk.pack("print_id"), pk.pack("P");
  pk.pack("tile_id"), pk.pack(0);
  pk.pack("layer"), pk.pack(0);
  if (with_tif) {
    pk.pack("tif");
    pk.pack_bin(4);
    pk.pack_bin_body("II*\0", 4);
  }
  return std::string(buf.data(), buf.size());
}

template <class T>
std::string packed(const T& v) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, v);
  return std::string(buf.data(), buf.size());
}

std::vector<HttpReply> hostile_replies() {
  std::vector<HttpReply> h;
  std::mt19937 rng(5);
  std::string random(1000, '\0');
  for (char& c : random) c = char(rng());
  h.push_back(msgpack_reply(random));                                        // random bytes
  h.push_back(msgpack_reply(""));                                            // empty body
  h.push_back(msgpack_reply(packed(std::vector<int>{1, 2, 3})));             // an array, not a map
  h.push_back(msgpack_reply(batch_with_id(packed(std::string("7")))));       // batch_id a string
  h.push_back(msgpack_reply(batch_with_id(packed(3.5))));                    // batch_id not an integer
  h.push_back(msgpack_reply(batch_with_id(packed(int64_t(1) << 62))));       // far out of sequence
  h.push_back(msgpack_reply(batch_with_id(packed(int64_t(10001)), false)));  // out of sequence, no tif
  h.push_back(msgpack_reply(batch_with_id(packed(int64_t(-5)))));            // negative
  h.push_back(msgpack_reply(batch_with_id(packed(uint64_t(UINT64_MAX)))));   // beyond int64
  // A string that says it is 4 GB long, followed by 3 bytes.
  h.push_back(
      msgpack_reply(std::string("\x81\xa8"
                                "print_id"
                                "\xdb\xff\xff\xff\xff"
                                "abc",
                                15)));
  // A binary and an array that say they hold 2^32 - 1 bytes / elements.
  h.push_back(
      msgpack_reply(std::string("\x81\xa3"
                                "tif"
                                "\xc6\xff\xff\xff\xff"
                                "xy",
                                11)));
  h.push_back(
      msgpack_reply(std::string("\x81\xa1"
                                "a"
                                "\xdd\xff\xff\xff\xff"
                                "\x01",
                                9)));
  // 200 000 nested arrays, at the top and inside a field.
  h.push_back(msgpack_reply(std::string(200000, '\x91') + "\xc0"));
  h.push_back(msgpack_reply(std::string("\x81\xa8"
                                        "batch_id",
                                        10) +
                            std::string(200000, '\x91') + "\xc0"));
  // HTTP that promises 10^10 bytes and sends one. (It fails as a request, like a dead connection,
  // and is retried; it carried no batch.)
  h.push_back({200, "", "HTTP/1.1 200 OK\r\nContent-Type: application/msgpack\r\nContent-Length: 10000000000\r\n\r\nx",
               nullptr, ReplyDelivery::raw});
  // A body cut mid-way, and a connection closed without an answer.
  h.push_back({200, "application/msgpack", batch_with_id(packed(int64_t(-7))), nullptr, ReplyDelivery::cut_body});
  return h;
}

}  // namespace

TEST_CASE("hostile challenger: crafted replies fail alone and fast; the real stream is answered exactly" *
          doctest::test_suite("timing")) {
  const auto ds = std::make_shared<const ServedDataset>(load_served_dataset(test::golden_dir() / "small"));
  const std::vector<HttpReply> hostile = hostile_replies();
  std::mutex m;
  size_t requests = 0, served_hostile = 0;
  test::FaultyChallenger ch(ds, [&](Challenger& c, const HttpRequest& req) {
    if (req.target.find("/api/next_batch/") != std::string::npos) {
      std::lock_guard lock(m);
      // Every other request, until the real stream is nearly through: never after its last batch.
      if (++requests % 2 == 0 && served_hostile < hostile.size()) return hostile[served_hostile++];
    }
    return c.handle(req);
  });
  const fs::path report = fs::temp_directory_path() / ("lpbf-hostile-" + std::to_string(::getpid()) + ".json");
  const auto r = test::run_command_measured(test::binary() + " --url " + ch.url() +
                                            " --connections 1 --threads 1 --report " + report.string());
  INFO(r.output);
  CHECK(served_hostile == hostile.size());
  // Bounded work, on this run's own process: few requests beyond the stream's (each hostile reply fails
  // once, or is retried a bounded number of times), little CPU, and memory that no crafted size grew.
  INFO("requests " << requests << ", cpu " << r.cpu_seconds << " s, max rss " << r.max_rss_kb << " kB");
  CHECK(requests <= 2 * (20 + hostile.size()) + 10);
  CHECK(r.cpu_seconds < 5);
  CHECK(r.max_rss_kb > 0);
  CHECK(r.max_rss_kb < 1500 * 1024);  // 2^62 once grew to 16 GB
  CHECK(r.exit_code == 1);

  // Every real batch answered, and right; nothing else reached the challenger.
  const std::string history = ch.challenger().handle({"GET", "/api/history", ""}).body;
  simdjson::dom::parser p1, p2;
  simdjson::dom::element verdict = p1.parse(history).get_array().at(0);
  CHECK(int64_t(verdict["results"]) == 20);
  CHECK(int64_t(verdict["wrong"]) == 0);
  const std::string report_text = read_file_bytes(report);
  simdjson::dom::element rep = p2.parse(report_text);
  CHECK(int64_t(rep["results"]) == 20);
  CHECK(simdjson::dom::array(rep["incomplete_windows"]).size() == 0);
  CHECK(report_text.find("result not accepted") == std::string::npos);  // no hostile batch was posted
  // Each hostile reply is named for what it is.
  for (const char* why :
       {"batch_id 4611686018427387904 is out of sequence: expected about", "batch_id 10001 is out of sequence",
        "batch_id -5 is negative", "field 'batch_id' is missing or not an integer", "msgpack is not a map",
        "msgpack is truncated (0 bytes)", "larger than its", "nested deeper than 8 levels"}) {
    INFO(why);
    CHECK(r.output.find(why) != std::string::npos);
  }
  fs::remove(report);
}
