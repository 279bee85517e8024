#include "core/pipeline/challenger_client.h"

#include <simdjson.h>

#include <thread>

#include "io/go_duration.h"
#include "io/json_text.h"

namespace lpbf {

namespace http = boost::beast::http;

namespace {

bool contains(const std::string& text, const char* word) { return text.find(word) != std::string::npos; }

// The connection failed after the request went out (or while it did): the challenger may have
// taken it. Before that (resolve, connect) it certainly did not.
bool maybe_delivered(const HttpError& error) { return error.stage == "write" || error.stage == "read"; }

}  // namespace

bool names_bench_unknown(const HttpResponse& response) {
  const std::string text = response.text();
  // The evaluation server: "Invalid benchmark_id" (next_batch, end) and "Invalid bench_id"
  // (result); this project's challenger: "unknown bench '...'".
  return contains(text, "Invalid benchmark_id") || contains(text, "Invalid bench_id") ||
         contains(text, "unknown bench");
}

NextBatchOutcome classify_next_batch(const HttpError& error, const HttpResponse& response) {
  if (error || response.status >= 500) return NextBatchOutcome::retry;
  if (response.status == 200) return NextBatchOutcome::batch;
  if (response.status == 404)
    return names_bench_unknown(response) ? NextBatchOutcome::bench_forgotten : NextBatchOutcome::end_of_stream;
  if (response.status == 412) return NextBatchOutcome::not_started;
  return NextBatchOutcome::refused;
}

ResultOutcome classify_result(const HttpError& error, const HttpResponse& response) {
  if (error) return maybe_delivered(error) ? ResultOutcome::unknown : ResultOutcome::retry;
  if (response.status >= 200 && response.status < 300) return ResultOutcome::accepted;
  if (response.status >= 500) return ResultOutcome::retry;
  if (response.status == 404 && names_bench_unknown(response)) return ResultOutcome::bench_forgotten;
  return ResultOutcome::refused;
}

ChallengerStats parse_end_reply(const std::string& body) {
  ChallengerStats s;
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (body.empty() || parser.parse(body).get(o) != simdjson::SUCCESS) return s;
  auto integer = [](simdjson::dom::object obj, const char* key, int64_t& out) {
    int64_t v;
    if (obj[key].get(v) == simdjson::SUCCESS) out = v;
  };
  auto number = [](simdjson::dom::object obj, const char* key, double& out) {
    double v;
    if (obj[key].get(v) == simdjson::SUCCESS) out = v;
  };
  // The Micro Challenger: {"0": {"count": n, "missing": n, "throughput": x, "latency_p99": "1ms2µs", ...}}
  simdjson::dom::object q0;
  if (o["0"].get(q0) == simdjson::SUCCESS) {
    s.source = "micro";
    integer(q0, "count", s.served);
    integer(q0, "missing", s.missing);
    number(q0, "throughput", s.throughput);
    if (s.served >= 0 && s.missing >= 0) s.results = s.served - s.missing;
    auto duration = [&](const char* key, double& out) {
      std::string_view text;
      if (q0[key].get(text) != simdjson::SUCCESS) return number(q0, key, out);
      const Result<double> ms = parse_go_duration(std::string(text));
      if (ms) out = ms.value();
    };
    duration("latency_mean", s.latency_mean_ms);
    duration("latency_min", s.latency_min_ms);
    duration("latency_max", s.latency_max_ms);
    duration("latency_p99", s.latency_p99_ms);
    return s;
  }
  // This project's verdict: {"bench_id", "served", "results", "missing", "wrong", ..., "latency_ms": {...}}
  if (o["results"].error() == simdjson::SUCCESS && o["bench_id"].error() == simdjson::SUCCESS) {
    s.source = "lpbf-bench";
    integer(o, "served", s.served);
    integer(o, "results", s.results);
    integer(o, "missing", s.missing);
    integer(o, "wrong", s.wrong);
    integer(o, "duplicates", s.duplicates);
    number(o, "throughput", s.throughput);
    simdjson::dom::object lat;
    if (o["latency_ms"].get(lat) == simdjson::SUCCESS) {
      number(lat, "mean", s.latency_mean_ms);
      number(lat, "p50", s.latency_p50_ms);
      number(lat, "p99", s.latency_p99_ms);
      number(lat, "max", s.latency_max_ms);
    }
  }
  return s;
}

ChallengerClient::ChallengerClient(boost::asio::io_context& io, std::string url, std::chrono::milliseconds timeout,
                                   const TlsClientOptions& tls)
    : io_(io), url_(std::move(url)) {
  const HttpUrl parsed = parse_http_url(url_);  // throws std::invalid_argument: a set-up error
  target_ = ChallengerTarget{parsed.host, parsed.port, "", timeout, nullptr};
  if (parsed.tls) {
    try {
      target_.tls = make_tls_client_context(tls);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(e.what());
    }
  }
  connection_ = std::make_shared<HttpConnection>(io_, parsed.host, parsed.port, timeout, target_.tls);
}

ChallengerClient::Reply ChallengerClient::call(http::verb verb, const std::string& path, std::string body,
                                               const std::string& content_type) {
  Reply reply;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    bool done = false;
    connection_->request(verb, path, body, content_type, [&](const HttpError& e, HttpResponse&& r) {
      reply.error = e;
      reply.response = std::move(r);
      done = true;
    });
    io_.restart();
    while (!done && io_.run_one() > 0) {}
    if (!reply.error && reply.response.status < 500) break;
    if (reply.error.tls()) break;  // trying again cannot help
    if (attempt < kMaxAttempts) std::this_thread::sleep_for(retry_delay(attempt));
  }
  return reply;
}

Result<std::string> ChallengerClient::create(const std::string& apitoken, const std::string& name, bool test) {
  JsonObject request;
  request.field("apitoken", apitoken).field("name", name).field("test", test);
  const Reply r = call(http::verb::post, challenger_path::create(), request.str(), "application/json");
  const std::string where = "cannot create a bench at " + url_ + ": ";
  if (r.error || r.response.status != 200) {
    const std::string text = r.response.text();
    if (!r.error && r.response.status == 412 && contains(text, "is active"))
      return Error{where + text +
                   " (the evaluation server allows one active bench per API token; a run that crashed leaves one: "
                   "end it with `lpbf-bench end BENCH_ID --url " +
                   url_ + "`, BENCH_ID being the id named here)"};
    if (!r.error && r.response.status == 403)
      return Error{where + "the API token was refused (HTTP 403: " + text + ")"};
    return Error{where + describe_failure(r.error, r.response)};
  }
  // The reply is a JSON string; a bare id is taken too.
  std::string id = r.response.text();
  simdjson::dom::parser parser;
  std::string_view quoted;
  if (parser.parse(id).get(quoted) == simdjson::SUCCESS) id = std::string(quoted);
  if (id.empty() || id.size() > 256 || id.find_first_of("/?# \t\"\\") != std::string::npos)
    return Error{where + "its reply is not a bench id: '" + r.response.text().substr(0, 80) + "'"};
  target_.bench_id = id;
  return id;
}

Status ChallengerClient::start() {
  const Reply r = call(http::verb::post, challenger_path::start(target_.bench_id), "", "");
  if (!r.error && r.response.status >= 200 && r.response.status < 300) return {};
  return Error{"cannot start bench " + target_.bench_id + ": " + describe_failure(r.error, r.response)};
}

Result<ChallengerClient::EndReply> ChallengerClient::end(const std::string& bench) {
  const std::string id = bench.empty() ? target_.bench_id : bench;
  const Reply r = call(http::verb::post, challenger_path::end(id), "", "");
  if (!r.error && r.response.status == 404) return EndReply{true, r.response.text(), {}};
  if (r.error || r.response.status < 200 || r.response.status >= 300)
    return Error{"cannot end bench " + id + ": " + describe_failure(r.error, r.response)};
  EndReply reply{false, r.response.text(), {}};
  reply.stats = parse_end_reply(reply.body);
  return reply;
}

void request_next_batch(HttpConnection& connection, const ChallengerTarget& target,
                        std::function<void(NextBatchOutcome, const HttpError&, HttpResponse&&)> done) {
  connection.request(http::verb::get, challenger_path::next_batch(target.bench_id), "", "",
                     [done = std::move(done)](const HttpError& e, HttpResponse&& r) {
                       done(classify_next_batch(e, r), e, std::move(r));
                     });
}

void post_result(HttpConnection& connection, const ChallengerTarget& target, int64_t batch_id, std::string body,
                 std::function<void(ResultOutcome, const HttpError&, HttpResponse&&)> done) {
  connection.request(
      http::verb::post, challenger_path::result(target.bench_id, batch_id), std::move(body), "application/msgpack",
      [done = std::move(done)](const HttpError& e, HttpResponse&& r) { done(classify_result(e, r), e, std::move(r)); });
}

}  // namespace lpbf
