#pragma once
// The HTTP engine (SPEC §4 "The engine"): libcurl's multi interface driving up to N transfers at
// once from one thread, with retries (exponential backoff, full jitter, Retry-After), a
// per-request timeout and a response size cap. Providers build HttpRequests; the engine moves the
// bytes and hands back HttpResponses. Only http.cpp includes curl.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include <llmops/provider/types.hpp>

namespace llmops::provider {

// When and how often a failed request is tried again. A request is retried on transport errors
// (connect failures, timeouts, resets, truncated bodies) and on HTTP 408, 409, 429 and 5xx.
// `max_retries` = 0 means exactly one attempt. The delay before retry k (1-based) is drawn
// uniformly from [0, min(max_delay_ms, base_delay_ms * 2^(k-1))] ("full jitter"), unless the
// server sent Retry-After, which is honoured up to `max_delay_ms`.
struct RetryPolicy {
    int max_retries = 3;
    int64_t base_delay_ms = 500;
    int64_t max_delay_ms = 30000;
};

namespace detail {
struct HttpJob; // one request's state across its attempts (http.cpp)
} // namespace detail

// The callback receiving a request's final response.
using HttpCallback = std::function<void(HttpResponse)>;

// Returns true when a response with HTTP `status` is worth retrying (408, 409, 429, 5xx).
bool is_retryable_status(long status);

// Parses a Retry-After header `value` (delta seconds, or an HTTP date compared with `now`) into
// milliseconds to wait; a date in the past gives 0. Returns nullopt when `value` is neither.
std::optional<int64_t> parse_retry_after_ms(std::string_view value,
                                            std::chrono::system_clock::time_point now);

// Runs HTTP requests concurrently on the calling thread. Not thread-safe: call `submit` before
// `run` or from a `done` callback (which runs inside `run`), never from another thread.
class HttpEngine {
public:
    // Creates an engine running at most `max_concurrency` transfers at once (at least 1).
    explicit HttpEngine(int max_concurrency);
    // Aborts transfers still in flight and drops queued requests, without calling callbacks.
    ~HttpEngine();
    HttpEngine(const HttpEngine&) = delete;
    HttpEngine& operator=(const HttpEngine&) = delete;

    // Queues `request`; nothing is sent before `run`. `done` is called exactly once, on the
    // thread running `run`, with the final response (after retries, `attempts` filled in). A
    // transport failure comes back as status 0 with `transport_error` set to a message that
    // never contains request headers, e.g. "connection refused" or "timed out after 5000 ms".
    void submit(HttpRequest request, RetryPolicy retry, HttpCallback done);

    // Runs until every submitted request is done (including requests submitted by callbacks),
    // or until `should_stop` returns true (it is polled at least every 50 ms). On stop, requests
    // not yet started are completed with transport_error "cancelled" and `attempts` 0, requests
    // waiting to be retried are completed with their last response, and transfers in flight are
    // allowed to finish (without retries) before `run` returns. Exceptions thrown by a callback
    // propagate out of `run`; the engine stays usable.
    void run(const std::function<bool()>& should_stop = {});

    // Does one round of work and returns: starts what may start, moves bytes, calls the `done`
    // callbacks of finished requests, then waits for socket activity, a retry's time or
    // `max_wait_ms`, whichever comes first (or until `wakeup`). When a request finished, it
    // returns without waiting, so a caller whose callbacks queued work elsewhere can start it
    // at once. For callers with their own loop (provider/engine.hpp); `run` is this in a loop.
    void step(int max_wait_ms);

    // Enters the stopping state `run` enters when `should_stop` says so (see `run`): requests
    // not started are cancelled, waiting retries completed, transfers in flight finish.
    void stop();

    // Waits up to `max_wait_ms` or until `wakeup`, moving no bytes: for a caller with nothing
    // for the engine to do but something else to wait for (a rate limit, a program).
    void sleep(int max_wait_ms);

    // Wakes a `step` or `sleep` that is waiting. The one call that is safe from another thread.
    void wakeup();

    // True when no request is queued, waiting for a retry or in flight.
    bool idle() const { return m_active.empty() && m_queued.empty() && m_waiting.empty(); }

    // Returns how many transfers are in flight right now (for progress displays and tests).
    int in_flight() const { return static_cast<int>(m_active.size()); }

    // Returns how many requests are queued, waiting for a retry or in flight.
    int pending() const {
        return static_cast<int>(m_active.size() + m_queued.size() + m_waiting.size());
    }

private:
    using Job = detail::HttpJob;
    using Clock = std::chrono::steady_clock;

    void start_ready_jobs(Clock::time_point now);
    void start(std::unique_ptr<Job> job);
    int collect_finished(); // returns how many transfers finished
    void finish_attempt(std::unique_ptr<Job> job, int curl_code);
    void cancel_waiting();
    int64_t backoff_ms(const Job& job, const HttpResponse& response);
    int poll_timeout_ms(Clock::time_point now) const;

    int m_max_concurrency;
    void* m_multi = nullptr; // CURLM*, kept opaque so the header does not include curl
    bool m_stopping = false;
    std::deque<std::unique_ptr<Job>> m_queued;   // never started, in submission order
    std::vector<std::unique_ptr<Job>> m_waiting; // failed, waiting for their retry time
    std::vector<std::unique_ptr<Job>> m_active;  // in flight
    std::mt19937_64 m_random;
    // Easy handles (CURL*) of finished attempts, reset, for the next ones: making and freeing
    // one per attempt was 3% of an eval's CPU (at most one per slot is kept).
    std::vector<void*> m_spare_handles;
    // The host of the last URL submitted: an eval sends every call to one URL, and parsing it
    // for each call was 2% of the eval's CPU.
    std::string m_last_url;
    std::string m_last_host;
};

} // namespace llmops::provider
