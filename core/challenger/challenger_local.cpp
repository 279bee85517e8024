// `challenger --emulate local`: the wire behaviour of the "Micro Challenger", the Docker image the
// DEBS organisers hand to participants, on the Challenger's benches and scoring. What a client sees:
//   POST /api/create {"apitoken", "name", "test", ...}  -> "24-hex id" (other keys accepted;
//                                                          max_batches honoured)
//   POST /api/start/{id}                                -> 200
//   GET  /api/next_batch/{id}                           -> msgpack; 404 at the end
//   POST /api/result/{query}/{id}/{batch}               -> 200 (a repeat is taken again)
//   POST /api/end/{id}                                  -> {"0": {count, missing, throughput,
//                                                           latency_mean/min/max/p99}}, latencies as
//                                                           Go durations ("760ms787µs542ns")
//   GET  /api/get_result/{id}, /api/plot/{id}, /api/history, /dash
// count is the batches served, missing those with no result, a latency runs from a batch's
// serving to its first result's arrival, throughput is results per second over the same span.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/challenger/challenger.h"
#include "core/pipeline/latency_stats.h"
#include "io/go_duration.h"
#include "io/json_text.h"

namespace lpbf {
namespace {

HttpReply json(unsigned status, std::string body) { return {status, "application/json", std::move(body), nullptr}; }
HttpReply plain(unsigned status, std::string body) { return {status, "text/plain", std::move(body), nullptr}; }

std::string duration_of_ms(double ms) { return format_go_duration(int64_t(std::llround(ms * 1e6))); }

}  // namespace

std::string Challenger::local_result_json(const Bench& b) const {
  const double seconds = b.results > 0 ? std::chrono::duration<double>(b.last_result - b.first_served).count() : 0;
  const LatencySummary lat = summarise_latencies(b.latencies_ms);
  const double min = b.latencies_ms.empty() ? 0 : *std::min_element(b.latencies_ms.begin(), b.latencies_ms.end());
  const std::string q0 = JsonObject()
                             .field("count", b.next)
                             .field("missing", b.next - b.results)
                             .field("throughput", seconds > 0 ? double(b.results) / seconds : 0.0)
                             .field("latency_mean", duration_of_ms(lat.mean))
                             .field("latency_min", duration_of_ms(min))
                             .field("latency_max", duration_of_ms(lat.max))
                             .field("latency_p99", duration_of_ms(lat.p99))
                             .str();
  return JsonObject().raw("0", q0).str();
}

HttpReply Challenger::handle_local(const HttpRequest& req, const std::vector<std::string>& parts) {
  const bool get = req.method == "GET", post = req.method == "POST";
  if (parts.size() == 1 && parts[0] == "dash") return get ? status_page() : plain(405, "use GET /dash");
  if (parts.size() < 2 || parts[0] != "api") return plain(404, "404 page not found");
  const std::string& call = parts[1];

  if (parts.size() == 2 && call == "create") {
    if (!post) return plain(405, "use POST /api/create");
    std::string token, name = "unnamed";
    bool test = false;
    int64_t max_batches = -1;
    simdjson::dom::parser parser;
    simdjson::dom::object o;
    if (parser.parse(req.body).get_object().get(o) != simdjson::SUCCESS) return plain(400, "invalid JSON body");
    std::string_view sv;
    if (o["apitoken"].get(sv) == simdjson::SUCCESS) token = std::string(sv);
    if (o["name"].get(sv) == simdjson::SUCCESS) name = std::string(sv);
    if (o["test"].get(test) != simdjson::SUCCESS) test = false;  // absent or not a boolean
    if (int64_t m; o["max_batches"].get(m) == simdjson::SUCCESS && m >= 0) max_batches = m;
    if (token != apitoken_) return plain(403, "Invalid token.");
    std::string reply;
    append_json_string(reply, add_bench(object_id(), name, test, max_batches).id);
    return json(200, reply);
  }
  if (parts.size() == 2 && call == "history") {
    if (!get) return plain(405, "use GET /api/history");
    std::vector<std::string> rows;
    for (const std::string& id : order_) {
      const Bench& b = *benches_.at(id);
      rows.push_back(JsonObject()
                         .field("bench_id", b.id)
                         .field("name", b.name)
                         .field("test", b.test)
                         .field("state", b.ended                   ? "ended"
                                         : b.started || b.next > 0 ? "running"
                                                                   : "created")
                         .raw("result", local_result_json(b))
                         .str());
    }
    return json(200, json_array(rows));
  }
  // /api/get_result and /api/plot without a bench: the newest one.
  if (parts.size() == 2 && (call == "get_result" || call == "plot")) {
    if (order_.empty()) return plain(404, "no benchmark yet");
    return handle_local({req.method, "/api/" + call + "/" + order_.back(), req.body}, {"api", call, order_.back()});
  }

  const bool is_result = parts.size() == 5 && call == "result";
  const bool is_bench_call = parts.size() == 3 && (call == "start" || call == "next_batch" || call == "end" ||
                                                   call == "get_result" || call == "plot");
  if (!is_result && !is_bench_call) return plain(404, "404 page not found");
  const auto it = benches_.find(parts[is_result ? 3 : 2]);
  if (it == benches_.end()) return plain(404, "Invalid benchmark_id");
  Bench& b = *it->second;

  if (is_result) {
    if (!post) return plain(405, "use POST /api/result/{query}/{bench}/{batch}");
    int64_t query = 0, batch_id = 0;
    const auto number = [](const std::string& t, int64_t& v) {
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      return !t.empty() && ec == std::errc{} && end == t.data() + t.size();
    };
    if (!number(parts[2], query) || !number(parts[4], batch_id)) return plain(400, "query and batch must be integers");
    return with_fault(b, true, [&] {
      bool duplicate = false;
      if (query == 0) {
        const std::string why = take_result(b, batch_id, req.body, Clock::now(), duplicate);
        if (!why.empty()) note_wrong(b, batch_id, why);
      }
      return plain(200, "");
    });
  }
  if (call == "next_batch") {
    if (!get) return plain(405, "use GET /api/next_batch/{bench}");
    if (b.ended || b.next >= b.limit) return plain(404, "");
    return with_fault(b, false, [&] { return next_batch(b); });
  }
  if (call == "get_result")
    return get ? json(200, local_result_json(b)) : plain(405, "use GET /api/get_result/{bench}");
  if (call == "plot") return get ? plot(b) : plain(405, "use GET /api/plot/{bench}");
  if (!post) return plain(405, "use POST /api/" + call + "/{bench}");
  if (call == "start") {
    b.started = true;
    return plain(200, "");
  }
  // end: the same summary however often it is asked for
  if (!b.ended) {
    b.ended = true;
    b.verdict = verdict_json(b);
    log_ended(b);
  }
  return json(200, local_result_json(b));
}

}  // namespace lpbf
