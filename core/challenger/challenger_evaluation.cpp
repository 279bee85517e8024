// `challenger --emulate evaluation`: the wire behaviour of the DEBS organisers' evaluation server
// ("Challenger 2.0"), on the Challenger's benches and scoring. What a client sees:
//   POST /api/create {"apitoken", "name", "test"} exactly   -> "24-hex id"; 400, 403, or 412 while
//                                                              a started bench of the token has not ended
//   POST /api/start/{id}                                    -> {"bench_id", "start_time": monotonic ns}
//   GET  /api/next_batch/{id}                               -> msgpack; at the end 404, empty, for good
//   POST /api/result/{query}/{id}/{batch}  (body ignored)   -> {"bench_id", "batch_number", "query", "timestamp"}
//   POST /api/end/{id}                                      -> 200, empty; the bench is then forgotten
// Errors are plain text labelled application/json, as the real server sends them. No verdict,
// history, plot or metrics on the wire: the verdict is logged and kept for Challenger::verdict.
#include <simdjson.h>

#include <charconv>
#include <cstdio>
#include <fstream>

#include "core/challenger/challenger.h"
#include "io/json_text.h"

namespace lpbf {
namespace {

HttpReply plain(unsigned status, std::string body) { return {status, "application/json", std::move(body), nullptr}; }
HttpReply empty(unsigned status) { return {status, "", "", nullptr}; }

constexpr const char* kBadCreate = "JSON should contain apitoken, name, and a test flag";
constexpr const char* kUnknownBench = "Invalid benchmark_id";
constexpr const char* kUnknownBenchOnResult = "Invalid bench_id";
constexpr const char* kNotStarted = "Benchmark is deactivated";

bool whole_number(const std::string& text, int64_t& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

HttpReply Challenger::handle_evaluation(const HttpRequest& req, const std::vector<std::string>& parts) {
  // Anything outside the five calls is unknown to the real server's API: 404 (405 for a known
  // path with another method), with no body.
  if (parts.size() < 2 || parts[0] != "api") return empty(404);
  const std::string& call = parts[1];
  const bool is_create = parts.size() == 2 && call == "create";
  const bool is_result = parts.size() == 5 && call == "result";
  const bool is_bench_call = parts.size() == 3 && (call == "start" || call == "next_batch" || call == "end");
  if (!is_create && !is_result && !is_bench_call) return empty(404);
  if (req.method != (call == "next_batch" ? "GET" : "POST")) return empty(405);
  if (is_create) return evaluation_create(req.body);

  const auto it = benches_.find(parts[is_result ? 3 : 2]);
  Bench* b = it == benches_.end() || it->second->ended ? nullptr : it->second.get();  // ended: forgotten

  if (is_result) {
    int64_t query = 0, batch_id = 0;
    // A path parameter that is not a number does not match the route: 404, as the real server.
    if (!whole_number(parts[2], query) || !whole_number(parts[4], batch_id)) return empty(404);
    if (!b) return plain(404, kUnknownBenchOnResult);
    if (!b->started) return plain(412, kNotStarted);
    return with_fault(*b, true, [&] {
      const auto now = Clock::now();
      const int64_t timestamp = monotonic_ns();
      // The body is not looked at on the wire; here it is scored all the same (query 0 only),
      // and a result that cannot be scored counts as wrong.
      bool duplicate = false;
      if (query == 0) {
        const std::string why = take_result(*b, batch_id, req.body, now, duplicate);
        if (!why.empty()) note_wrong(*b, batch_id, why);
      }
      return plain(200, JsonObject()
                            .field("bench_id", b->id)
                            .field("batch_number", batch_id)
                            .field("query", query)
                            .field("timestamp", timestamp)
                            .str());
    });
  }

  if (!b) return plain(404, kUnknownBench);
  if (call == "start") {
    b->started = true;
    active_.insert(b->id);
    save_active();
    return plain(200, JsonObject().field("bench_id", b->id).field("start_time", monotonic_ns()).str());
  }
  if (!b->started) return plain(412, kNotStarted);
  if (call == "next_batch") {
    if (b->next >= b->limit) return empty(404);  // the stream's end, on every later call too
    return with_fault(*b, false, [&] {
      HttpReply r = next_batch(*b);
      r.content_type = "application/octet-stream";
      return r;
    });
  }
  // end
  b->ended = true;
  b->verdict = verdict_json(*b);
  active_.erase(b->id);
  save_active();
  log_ended(*b);
  return empty(200);
}

HttpReply Challenger::evaluation_create(const std::string& body) {
  // Exactly three keys, each once, of the right type; anything else (even "max_batches": null)
  // is refused with one message.
  std::string token, name;
  bool test = false;
  {
    simdjson::dom::parser parser;
    simdjson::dom::object o;
    if (parser.parse(body).get_object().get(o) != simdjson::SUCCESS) return plain(400, kBadCreate);
    bool has_token = false, has_name = false, has_test = false;
    for (const auto field : o) {
      std::string_view sv;
      if (field.key == "apitoken" && !has_token && field.value.get(sv) == simdjson::SUCCESS)
        token = std::string(sv), has_token = true;
      else if (field.key == "name" && !has_name && field.value.get(sv) == simdjson::SUCCESS)
        name = std::string(sv), has_name = true;
      else if (field.key == "test" && !has_test && field.value.get(test) == simdjson::SUCCESS) has_test = true;
      else return plain(400, kBadCreate);
    }
    if (!has_token || !has_name || !has_test) return plain(400, kBadCreate);
  }
  if (token != apitoken_) return plain(403, "Invalid token.");
  if (!active_.empty()) return plain(412, "Benchmark " + *active_.begin() + " is active. Please end the benchmark.");
  std::string reply;
  append_json_string(reply, add_bench(object_id(), name, test, -1).id);
  return plain(200, reply);
}

void Challenger::save_active() const {
  if (emulation_.state_file.empty()) return;
  std::error_code ec;
  if (active_.empty()) {
    std::filesystem::remove(emulation_.state_file, ec);
  } else {
    std::ofstream out(emulation_.state_file, std::ios::trunc);
    for (const std::string& id : active_) out << id << "\n";
    if (!out.flush()) ec = std::make_error_code(std::errc::io_error);
  }
  if (ec && emulation_.log)
    std::fprintf(emulation_.log, "cannot update the state file %s: %s\n", emulation_.state_file.c_str(),
                 ec.message().c_str());
}

}  // namespace lpbf
