#pragma once
// The client side of the challenger protocol (SPEC §1), in one place to read beside it: where each
// request goes, what each reply means, and how often a call is tried. It speaks to the three
// challengers lpbf-bench meets:
//   - this project's own (`lpbf-bench challenger`, the embedded one): scores every result and
//     answers /api/end with a JSON verdict;
//   - the organisers' evaluation server ("Challenger 2.0"): a strict create body, one active bench
//     per token (412), calls before start 412, next_batch 404 with an EMPTY body at the end of the
//     stream but 404 `Invalid benchmark_id` for a bench it does not know, /api/end 200 and empty;
//   - the organisers' local "Micro Challenger": /api/end answers per-query statistics with Go
//     durations (`{"0": {"count", "missing", "throughput", "latency_p99": "1ms2µs", ...}}`).
// The control calls (create, start, end) are blocking; next_batch and result are asynchronous, on
// the stages' own connections, and come back as replies already classified.
#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "io/http_connection.h"
#include "io/result.h"

namespace lpbf {

// Where the challenger is, and the bench a run uses.
struct ChallengerTarget {
  std::string host, port, bench_id;
  std::chrono::milliseconds timeout{10000};
  std::shared_ptr<TlsContext> tls;  // an https URL: every connection speaks TLS with this context
};

// The retry policy of every call: at most kMaxAttempts attempts, waiting retry_delay(n) after the
// n-th failure (100, 200, 400, 800, 1000 ms). Only failures that say nothing about the request's
// fate are retried: the challenger unreachable, the connection lost, HTTP 5xx. A TLS failure (the
// certificate, the server refusing this client) is not: it ends the call at once, a set-up error.
inline constexpr int kMaxAttempts = 6;
inline std::chrono::milliseconds retry_delay(int failures) {
  return std::chrono::milliseconds(std::min(1000, 50 << std::clamp(failures, 1, 5)));
}

// The paths of SPEC §1. Results are posted for query 0 (the only one of the challenge).
namespace challenger_path {
inline std::string create() { return "/api/create"; }
inline std::string start(const std::string& bench) { return "/api/start/" + bench; }
inline std::string next_batch(const std::string& bench) { return "/api/next_batch/" + bench; }
inline std::string result(const std::string& bench, int64_t batch_id) {
  return "/api/result/0/" + bench + "/" + std::to_string(batch_id);
}
inline std::string end(const std::string& bench) { return "/api/end/" + bench; }
}  // namespace challenger_path

// What a next_batch reply means.
enum class NextBatchOutcome {
  batch,            // 200: the body is a batch (msgpack)
  end_of_stream,    // 404 without a word about the bench: no more batches
  bench_forgotten,  // 404 naming the bench invalid or unknown: the challenger lost it (restart, ended)
  not_started,      // 412: the bench is deactivated (not started, or ended)
  retry,            // unreachable, connection lost, 5xx: says nothing; try again
  refused,          // any other status: the challenger will not serve this bench
};

// What a result reply means.
enum class ResultOutcome {
  accepted,         // 2xx
  bench_forgotten,  // 404 naming the bench invalid or unknown
  retry,            // 5xx, or the connection failed before the request was sent: try again
  unknown,          // the connection died after the request went out: it may have been counted
  refused,          // any other status: the challenger will not take this result
};

NextBatchOutcome classify_next_batch(const HttpError& error, const HttpResponse& response);
ResultOutcome classify_result(const HttpError& error, const HttpResponse& response);
// A 404 whose body says the challenger does not know the bench (`Invalid benchmark_id`, `Invalid
// bench_id`, this project's `unknown bench '...'`), as opposed to the end of the stream.
bool names_bench_unknown(const HttpResponse& response);

// The challenger's figures for a bench, as its /api/end reply gives them (-1: not given).
struct ChallengerStats {
  std::string source;    // "lpbf-bench" (this project's verdict), "micro" (Micro Challenger), or "" (none)
  int64_t served = -1;   // batches served (the Micro Challenger's "count")
  int64_t results = -1;  // results taken
  int64_t missing = -1;  // served and never answered
  int64_t wrong = -1, duplicates = -1;  // scored by this project's challenger only
  double throughput = -1;               // results per second, as the challenger measured it
  double latency_mean_ms = -1, latency_min_ms = -1, latency_p50_ms = -1, latency_p99_ms = -1, latency_max_ms = -1;
  bool any() const { return !source.empty(); }
};

// Reads an /api/end reply: this project's verdict, the Micro Challenger's per-query JSON (Go
// durations), or an empty body (the evaluation server: results appear on its web site). Anything
// else gives stats with no source; the reply itself is kept by the caller as it came.
ChallengerStats parse_end_reply(const std::string& body);

// The blocking control calls, on a connection of their own.
class ChallengerClient {
 public:
  // An https URL speaks TLS as `tls` says (ignored for http). Throws std::invalid_argument for a bad
  // URL or TLS file: a set-up error.
  ChallengerClient(boost::asio::io_context& io, std::string url, std::chrono::milliseconds timeout,
                   const TlsClientOptions& tls = {});

  const std::string& url() const { return url_; }
  // Where the stages send their requests (bench_id empty until create).
  const ChallengerTarget& target() const { return target_; }

  // POST /api/create with exactly `apitoken`, `name` and `test` (the evaluation server refuses any
  // other key). The bench id, or why not: a 412 names the active bench and how to end it.
  Result<std::string> create(const std::string& apitoken, const std::string& name, bool test);
  // POST /api/start/{bench}: any 2xx reply (text or JSON) starts it.
  Status start();
  // POST /api/end/{bench} (`bench` empty: this client's). The reply's body as it came, or why not;
  // a 404 is `bench_forgotten`.
  struct EndReply {
    bool bench_forgotten = false;  // 404: the challenger does not know the bench (any more)
    std::string body;
    ChallengerStats stats;
  };
  Result<EndReply> end(const std::string& bench = "");

 private:
  // One call, retried while it says nothing about its fate (unreachable, 5xx).
  struct Reply {
    HttpError error;
    HttpResponse response;
  };
  Reply call(boost::beast::http::verb verb, const std::string& path, std::string body, const std::string& content_type);

  boost::asio::io_context& io_;
  std::string url_;
  ChallengerTarget target_;
  std::shared_ptr<HttpConnection> connection_;
};

// Sends GET next_batch on `connection` and hands the classified reply to `done` (on the io thread).
void request_next_batch(HttpConnection& connection, const ChallengerTarget& target,
                        std::function<void(NextBatchOutcome, const HttpError&, HttpResponse&&)> done);
// Posts an encoded result map on `connection`.
void post_result(HttpConnection& connection, const ChallengerTarget& target, int64_t batch_id, std::string body,
                 std::function<void(ResultOutcome, const HttpError&, HttpResponse&&)> done);

}  // namespace lpbf
