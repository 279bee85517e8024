#include "core/challenger/challenger.h"

#include <simdjson.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <random>

#include "core/pipeline/latency_stats.h"
#include "io/html_text.h"
#include "io/json_text.h"
#include "io/msgpack_codec.h"
#include "io/prometheus_text.h"
#include "io/svg_chart.h"

namespace lpbf {
namespace {

HttpReply text(unsigned status, std::string body) { return {status, "text/plain", std::move(body) + "\n", nullptr}; }
HttpReply json(unsigned status, std::string body) { return {status, "application/json", std::move(body), nullptr}; }

std::vector<std::string> split_path(const std::string& target) {
  std::vector<std::string> parts;
  const std::string path = target.substr(0, target.find('?'));
  size_t i = 0;
  while (i < path.size()) {
    const size_t j = path.find('/', i);
    const std::string part = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (!part.empty()) parts.push_back(part);
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return parts;
}

}  // namespace

Challenger::Challenger(std::shared_ptr<const ServedDataset> dataset, std::string apitoken, EmulationOptions emulation)
    : dataset_(std::move(dataset)), apitoken_(std::move(apitoken)), emulation_(std::move(emulation)) {
  for (size_t i = 0; i < dataset_->batch_ids.size(); ++i) position_of_[dataset_->batch_ids[i]] = i;
  std::random_device random;
  object_id_random_ = ((uint64_t(random()) << 32) | random()) & 0xffffffffffULL;  // 40 bits
  if (emulation_.mode == Emulation::evaluation && !emulation_.state_file.empty()) {
    std::ifstream in(emulation_.state_file);
    for (std::string id; std::getline(in, id);)
      if (!id.empty()) active_.insert(id);
  }
}

HttpReply Challenger::handle(const HttpRequest& req) {
  const auto parts = split_path(req.target);
  const bool get = req.method == "GET", post = req.method == "POST";
  std::lock_guard lock(mutex_);
  if (emulation_.mode == Emulation::evaluation) return handle_evaluation(req, parts);
  if (emulation_.mode == Emulation::local) return handle_local(req, parts);
  if (parts.empty()) return get ? status_page() : text(405, "use GET /");
  if (parts.size() == 1 && parts[0] == "metrics") return get ? metrics() : text(405, "use GET /metrics");
  if (parts[0] != "api") return text(404, "no such page: " + req.target);
  if (parts.size() == 2 && parts[1] == "create") return post ? create(req.body) : text(405, "use POST /api/create");
  if (parts.size() == 2 && parts[1] == "history") return get ? history() : text(405, "use GET /api/history");

  // Every other call names a bench: /api/<call>/<bench> or /api/result/0/<bench>/<batch_id>.
  const bool is_result = parts.size() == 5 && parts[1] == "result";
  const bool is_bench_call =
      parts.size() == 3 && (parts[1] == "start" || parts[1] == "next_batch" || parts[1] == "end" || parts[1] == "plot");
  if (!is_result && !is_bench_call) return text(404, "no such API call: " + req.target);
  if (is_result && parts[2] != "0")
    return text(404, "only query 0 results are taken: /api/result/0/{bench}/{batch_id}");
  const auto it = benches_.find(parts[is_result ? 3 : 2]);
  if (it == benches_.end()) return text(404, "unknown bench '" + parts[is_result ? 3 : 2] + "'");
  Bench& bench = *it->second;
  if (is_result)
    return post ? with_fault(bench, true, [&] { return result(bench, parts[4], req.body); })
                : text(405, "use POST for results");
  if (parts[1] == "next_batch")
    return get ? with_fault(bench, false, [&] { return next_batch(bench); })
               : text(405, "use GET /api/next_batch/{bench}");
  if (parts[1] == "plot") return get ? plot(bench) : text(405, "use GET /api/plot/{bench}");
  if (!post) return text(405, "use POST /api/" + parts[1] + "/{bench}");
  return parts[1] == "start" ? start(bench) : end(bench);
}

void Challenger::inject_faults(FaultPlan plan) {
  std::lock_guard lock(mutex_);
  faults_ = plan;
}

HttpReply Challenger::with_fault(Bench& b, bool is_result, const std::function<HttpReply()>& act) {
  const Fault f = faults_.draw(is_result);
  HttpReply r;
  switch (f) {
    case Fault::none: return act();
    case Fault::refuse_503: r = text(503, "injected fault: try again"); break;
    case Fault::drop_before: r.delivery = ReplyDelivery::drop; break;
    case Fault::slow: r = act(), r.delay = faults_.slow_delay(); break;
    case Fault::drop_after: r = act(), r.delivery = ReplyDelivery::drop; break;
    case Fault::cut_body: {
      const size_t pos = b.next;
      r = act();
      if (r.status != 200) return r;  // nothing served: no fault
      r.delivery = ReplyDelivery::cut_body;
      b.lost.push_back(dataset_->batch_ids[pos]);
      break;
    }
  }
  ++b.faults[size_t(f)];
  return r;
}

HttpReply Challenger::create(const std::string& body) {
  std::string name = "unnamed", token;
  bool test = false;
  int64_t max_batches = -1;
  try {
    simdjson::dom::parser parser;
    simdjson::dom::object o = parser.parse(body).get_object();
    std::string_view sv;
    if (o["apitoken"].get(sv) == simdjson::SUCCESS) token = std::string(sv);
    if (o["name"].get(sv) == simdjson::SUCCESS) name = std::string(sv);
    bool t;
    if (o["test"].get(t) == simdjson::SUCCESS) test = t;
    int64_t m;
    if (o["max_batches"].get(m) == simdjson::SUCCESS) max_batches = m;
  } catch (const simdjson::simdjson_error& e) {
    return text(400, std::string("create: body is not a JSON object: ") + e.what());
  }
  if (token != apitoken_) return text(403, "create: wrong or missing apitoken");
  char id[32];
  std::snprintf(id, sizeof id, "b%04llx%08llx", (unsigned long long)++created_count_,
                (unsigned long long)(Clock::now().time_since_epoch().count() & 0xffffffffULL));
  std::string reply;
  append_json_string(reply, add_bench(id, name, test, max_batches).id);
  return json(200, reply);
}

Challenger::Bench& Challenger::add_bench(std::string id, std::string name, bool test, int64_t max_batches) {
  auto b = std::make_unique<Bench>();
  b->id = std::move(id);
  b->name = std::move(name);
  b->test = test;
  const size_t total = dataset_->size();
  b->limit = max_batches >= 0 ? std::min(total, size_t(max_batches)) : total;
  b->served_at.resize(b->limit);
  b->answered.assign(b->limit, 0);
  b->created = Clock::now();
  order_.push_back(b->id);
  Bench& added = *b;
  benches_[added.id] = std::move(b);
  return added;
}

std::string Challenger::object_id() {
  // As MongoDB makes one: seconds since the epoch, a random value fixed per process, a counter.
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  char id[32];
  std::snprintf(id, sizeof id, "%08llx%010llx%06llx", (unsigned long long)(seconds.count() & 0xffffffffLL),
                (unsigned long long)object_id_random_, (unsigned long long)(++created_count_ & 0xffffffULL));
  return id;
}

int64_t Challenger::monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

std::optional<std::string> Challenger::verdict(const std::string& bench_id) const {
  std::lock_guard lock(mutex_);
  const auto it = benches_.find(bench_id);
  if (it == benches_.end()) return std::nullopt;
  return it->second->ended ? it->second->verdict : verdict_json(*it->second);
}

void Challenger::log_ended(const Bench& b) const {
  if (!emulation_.log) return;
  const LatencySummary lat = summarise_latencies(b.latencies_ms);
  std::fprintf(emulation_.log,
               "bench %s \"%s\" ended: %zu of %zu batches served, %zu results, %zu wrong, %zu served and missing, %zu "
               "duplicates, "
               "latency p50 %.2f ms p99 %.2f ms%s\n",
               b.id.c_str(), b.name.c_str(), b.next, b.limit, b.results, b.wrong, b.next - std::min(b.next, b.results),
               b.duplicates, lat.p50, lat.p99, dataset_->expected.empty() ? " (not scored)" : "");
  std::fflush(emulation_.log);
}

HttpReply Challenger::start(Bench& b) {
  if (b.ended) return text(400, "bench " + b.id + " has ended");
  return text(200, "started");
}

HttpReply Challenger::next_batch(Bench& b) {
  if (b.ended || b.next >= b.limit) return text(404, "no more batches");
  // Served from disk, the map is built here; a file gone or cut short since loading is a 500 that
  // names it, counted, and the position is not passed: nothing was served.
  // Its TIFF is not read here: the reply carries the map's head and the open file, which the server
  // sends with sendfile(2) (or reads in, over TLS).
  HttpReply reply{200, "application/msgpack", {}, nullptr};
  std::string error;
  if (dataset_->from_disk()) {
    auto parts = dataset_->batch_parts(b.next);
    if (parts) reply.body = std::move(parts->head), reply.file_tail = std::move(parts->tiff);
    else error = parts.error();
  } else {
    reply.shared_body = dataset_->batches.at(b.next);
  }
  if (!error.empty()) {
    ++read_errors_total_;
    return text(500, "next_batch: cannot serve batch " + std::to_string(dataset_->batch_ids[b.next]) + ": " + error);
  }
  const size_t pos = b.next++;
  ++served_total_;
  const auto now = Clock::now();
  if (pos == 0) b.first_served = now;
  b.served_at[pos] = now;
  return reply;
}

HttpReply Challenger::result(Bench& b, const std::string& batch_id_text, const std::string& body) {
  const auto now = Clock::now();
  int64_t path_id = 0;
  auto [end_ptr, ec] = std::from_chars(batch_id_text.data(), batch_id_text.data() + batch_id_text.size(), path_id);
  if (ec != std::errc{} || end_ptr != batch_id_text.data() + batch_id_text.size())
    return text(400, "result: batch id '" + batch_id_text + "' is not an integer");
  bool duplicate = false;
  const std::string why = take_result(b, path_id, body, now, duplicate);
  if (!why.empty()) return text(400, why);
  return duplicate ? text(200, "duplicate result ignored") : text(200, "ok");
}

std::string Challenger::take_result(Bench& b, int64_t path_id, const std::string& body, Clock::time_point now,
                                    bool& duplicate) {
  const std::string batch_id_text = std::to_string(path_id);
  const DecodedResult d = decode_result({reinterpret_cast<const uint8_t*>(body.data()), body.size()});
  if (!d.ok()) return "result for batch " + batch_id_text + ": " + d.error;
  if (d.result.batch_id != path_id)
    return "result: the path names batch " + batch_id_text + " but the map batch " + std::to_string(d.result.batch_id);
  const auto pos_it = position_of_.find(path_id);
  if (pos_it == position_of_.end() || pos_it->second >= b.next)
    return "result for batch " + batch_id_text + ", which this bench never served";
  const size_t pos = pos_it->second;
  if (b.answered[pos]) {
    ++b.duplicates;
    ++duplicates_total_;
    duplicate = true;
    return "";
  }
  b.answered[pos] = 1;
  ++b.results;
  ++results_total_;
  b.last_result = now;
  b.latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - b.served_at[pos]).count());
  latency_seconds_.observe(b.latencies_ms.back() / 1e3);
  b.result_at_s.push_back(std::chrono::duration<double>(now - b.first_served).count());
  if (dataset_->scores(pos)) {
    const std::string why = compare_results(dataset_->expected[pos], d.result);
    if (!why.empty()) note_wrong(b, path_id, why);
  }
  return "";
}

void Challenger::note_wrong(Bench& b, int64_t batch_id, const std::string& why) {
  ++b.wrong;
  ++wrong_total_;
  b.wrong_batches.push_back(batch_id);
  if (b.wrong_examples.size() < kWrongExamples) b.wrong_examples.emplace_back(batch_id, why);
}

std::string Challenger::verdict_json(const Bench& b) const {
  const double seconds = b.results > 0 ? std::chrono::duration<double>(b.last_result - b.first_served).count() : 0;
  std::vector<std::string> examples, wrong_ids, lost;
  for (int64_t id : b.wrong_batches) wrong_ids.push_back(std::to_string(id));
  for (int64_t id : b.lost) lost.push_back(std::to_string(id));
  JsonObject faults;
  size_t injected = 0;
  for (int k = 1; k < kFaultKinds; ++k)
    faults.field(fault_name(Fault(k)), b.faults[size_t(k)]), injected += b.faults[size_t(k)];
  for (const auto& [id, reason] : b.wrong_examples)
    examples.push_back(JsonObject().field("batch_id", id).field("reason", reason).str());
  return JsonObject()
      .field("bench_id", b.id)
      .field("name", b.name)
      .field("state", b.ended ? "ended" : "running")
      .field("scored", !dataset_->expected.empty())
      .field("batches", b.limit)
      .field("served", b.next)
      .field("results", b.results)
      // Served and never answered (as the Micro Challenger counts it); a run that stops early
      // (the client's --max-batches) leaves the rest unserved, not missing.
      .field("missing", b.next - std::min(b.next, b.results))
      .field("unserved", b.limit - b.next)
      .field("wrong", b.wrong)
      .field("duplicates", b.duplicates)
      .raw("wrong_examples", json_array(examples))
      .raw("wrong_batches", json_array(wrong_ids))
      .field("faults_injected", injected)
      .raw("faults", faults.str())
      .raw("lost", json_array(lost))
      .field("seconds", seconds)
      .field("throughput", seconds > 0 ? double(b.results) / seconds : 0.0)
      .raw("latency_ms", latency_json(summarise_latencies(b.latencies_ms)))
      .str();
}

HttpReply Challenger::end(Bench& b) {
  if (!b.ended) {
    b.ended = true;
    b.verdict = verdict_json(b);
  }
  return json(200, b.verdict);
}

HttpReply Challenger::history() const {
  std::string o = "[";
  for (size_t i = 0; i < order_.size(); ++i) {
    const Bench& b = *benches_.at(order_[i]);
    o += i ? ",\n " : "\n ";
    o += b.ended ? b.verdict : verdict_json(b);
  }
  return json(200, o + (order_.empty() ? "]" : "\n]"));
}

HttpReply Challenger::metrics() const {
  // O(benches), not O(results): the counters and the histogram are kept as results arrive.
  size_t created = benches_.size(), running = 0, ended = 0;
  for (const auto& [id, b] : benches_) {
    if (b->ended) ++ended;
    else if (b->next > 0) ++running;
  }
  const size_t served = served_total_, results = results_total_, wrong = wrong_total_, duplicates = duplicates_total_;
  PrometheusText t;
  t.counter("lpbf_challenger_benches_total", "Benches created.", {{{}, double(created)}});
  t.gauge("lpbf_challenger_benches", "Benches that have served a batch, by state.",
          {{{{"state", "running"}}, double(running)}, {{{"state", "ended"}}, double(ended)}});
  t.counter("lpbf_challenger_batches_served_total", "Batches served by next_batch, all benches.",
            {{{}, double(served)}});
  t.counter("lpbf_challenger_results_total", "Results taken, by how they scored (a repeat counts as duplicate).",
            {{{{"verdict", "correct"}}, double(results - std::min(results, wrong))},
             {{{"verdict", "wrong"}}, double(wrong)},
             {{{"verdict", "duplicate"}}, double(duplicates)}});
  t.counter("lpbf_challenger_batch_read_errors_total",
            "next_batch calls answered 500: the batch's file could not be read (a dataset served from disk).",
            {{{}, double(read_errors_total_)}});
  t.gauge("lpbf_challenger_dataset_batches", "Batches in the served dataset.", {{{}, double(dataset_->size())}});
  t.histogram("lpbf_challenger_latency_seconds", "From serving a batch to taking its result.", latency_seconds_);
  return HttpReply{200, kPrometheusContentType, t.str(), nullptr};
}

HttpReply Challenger::plot(const Bench& b) const {
  // Latency of every result as it came, and answered batches per second over about 40 intervals.
  svg::Chart lat;
  lat.title = "bench " + b.id + " \"" + b.name + "\": latency of each result";
  lat.x.label = "seconds since the first batch was served";
  lat.y.label = "ms";
  svg::Chart rate = lat;
  rate.title = "answered batches per second";
  rate.y.label = "batches/s";
  svg::Series r{"throughput", "#2e86c1", {}, {}};
  const double end = b.result_at_s.empty() ? 0 : *std::max_element(b.result_at_s.begin(), b.result_at_s.end());
  if (end > 0) {
    const int bins = std::clamp(int(b.result_at_s.size() / 20), 1, 40);
    std::vector<double> count(size_t(bins), 0);
    for (double t : b.result_at_s) ++count[size_t(std::min(bins - 1, int(t / end * bins)))];
    for (int i = 0; i < bins; ++i) {
      r.x.push_back((i + 0.5) * end / bins);
      r.y.push_back(count[size_t(i)] / (end / bins));
    }
  }
  std::string second = svg::line_chart(rate, {r});
  second.insert(4, " y=\"260\"");  // "<svg" + y: the second chart below the first
  const std::string svg_text = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"520\">" +
                               svg::line_chart(lat, {{"latency", "#c0392b", b.result_at_s, b.latencies_ms}}) + second +
                               "</svg>\n";
  return {200, "image/svg+xml", svg_text, nullptr};
}

HttpReply Challenger::status_page() const {
  bool running = false;  // the page refreshes itself while a bench runs
  for (const auto& [id, b] : benches_) running |= !b->ended && b->next > 0;
  std::string h = "<!doctype html><html><head><meta charset=\"utf-8\">" +
                  std::string(running ? "<meta http-equiv=\"refresh\" content=\"2\">" : "") +
                  "<title>lpbf-bench challenger</title><style>body{font-family:sans-serif;margin:2em}"
                  "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}"
                  "progress{width:12em}</style></head><body><h1>lpbf-bench challenger</h1><p>Serving " +
                  html_escape(dataset_->description) +
                  ".</p><table><tr><th>bench</th><th>name</th><th>state</th><th>progress</th><th>served</th>"
                  "<th>results</th><th>wrong</th><th>p99 ms</th></tr>";
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    const Bench& b = *benches_.at(*it);
    const LatencySummary lat = summarise_latencies(b.latencies_ms);
    char p99[32];
    std::snprintf(p99, sizeof p99, "%.2f", lat.p99);
    h += "<tr><td>" + html_escape(b.id) + "</td><td>" + html_escape(b.name) + "</td><td>" +
         (b.ended ? "ended" : "running") + "</td><td><progress max=\"" + std::to_string(std::max<size_t>(1, b.limit)) +
         "\" value=\"" + std::to_string(b.results) + "\"></progress></td><td>" + std::to_string(b.next) + "</td><td>" +
         std::to_string(b.results) + "</td><td>" + std::to_string(b.wrong) + "</td><td>" + p99 + "</td></tr>";
  }
  h += "</table><p><a href=\"/api/history\">/api/history</a> (every verdict, JSON) &middot; "
       "<a href=\"/metrics\">/metrics</a> (Prometheus)</p>";
  // The newest benches' plots (at most 10: the page stays light however many benches ran).
  size_t shown = 0;
  for (auto it = order_.rbegin(); it != order_.rend() && shown < 10; ++it, ++shown)
    h += "<h3>" + html_escape(*it) + "</h3><img src=\"/api/plot/" + html_escape(*it) +
         "\" width=\"720\" height=\"520\" alt=\"plot of " + html_escape(*it) + "\">";
  h += "<p>API: POST /api/create, POST /api/start/{bench}, GET /api/next_batch/{bench}, "
       "POST /api/result/0/{bench}/{batch_id}, POST /api/end/{bench}, GET /api/plot/{bench}, GET /api/history, "
       "GET /metrics</p></body></html>";
  return {200, "text/html; charset=utf-8", h, nullptr};
}

}  // namespace lpbf
