#pragma once
// The call engine (SPEC §4, §5): runs many calls to many providers at once, from one thread.
// HTTP calls go through the libcurl multi HttpEngine; `exec:` programs run on a small pool of
// worker threads (one per program running, at most the concurrency); echo and replay answer at
// once. On the way: the response cache (cache hits never reach the provider), per-provider
// token buckets (rpm, tpm), pricing, recording (--record) and secret redaction of every message.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <llmops/provider/outcome.hpp>
#include <llmops/provider/pricing.hpp>
#include <llmops/provider/provider.hpp>
#include <llmops/provider/replay.hpp>
#include <llmops/store/cache.hpp>

namespace llmops::provider {

// One call to make.
struct CallJob {
    const Provider* provider = nullptr;             // must outlive the engine's run
    CompletionRequest request;                      // its params override the provider's
    nlohmann::json vars = nlohmann::json::object(); // the case's variables (http, exec)
    int repeat = 0;         // the repeat index: part of the cache key (SPEC §5)
    std::string cache_salt; // more that changes the answer, e.g. a judge prompt id
    // The answer already known (a production call recorded in traces): delivered as it is,
    // priced only when it has no cost, never cached or recorded; the provider is not asked.
    std::shared_ptr<const Expected<CallOutcome>> answer = {};
};

// The callback receiving a call's outcome, or its error: `provider` (the provider failed or
// answered garbage), `network`, `timeout`, `rate_limited`, `not_found` (a replay miss), or
// `interrupted` (never started because the run was stopped). Messages start with
// "provider '<id>': " and never contain a secret. Neither does an outcome: the provider's
// secrets (Provider::secrets) are redacted from the response body before it is parsed and from
// the outcome's texts (output, refusal, tool calls, context, logprobs) before the cache, the
// recorder or the callback see it, cache hits and replays included.
using CallDone = std::function<void(Expected<CallOutcome>)>;

// How the engine uses the response cache.
enum class CacheMode {
    use,     // answer from the cache when possible, store new answers
    refresh, // never answer from it, store new answers (--no-cache keeps the cache fresh)
    off,     // neither
};

struct EngineOptions {
    int concurrency = 4;                   // calls in flight at once (-j)
    store::ResponseCache* cache = nullptr; // nullptr: no cache
    CacheMode cache_mode = CacheMode::use;
    Recorder* recorder = nullptr;       // --record: every successful answer is appended
    const PriceTable* prices = nullptr; // nullptr: the built-in table
};

// Counts for progress displays and summaries.
struct EngineCounters {
    int64_t submitted = 0;
    int64_t finished = 0;
    int64_t cache_hits = 0;
    int64_t errors = 0;
    int64_t in_flight = 0;
    int64_t record_failures = 0;    // answers --record could not write
    std::string first_record_error; // the first such failure's message
};

// Returns the cache key of `request` (its params already merged) on `provider` at `repeat`:
// hex SHA-256 of the canonical JSON of the provider's identity, the model, every parameter that
// changes the answer, the messages, the repeat index and `salt`. Never includes a secret.
std::string cache_key(const Provider& provider, const CompletionRequest& request, int repeat,
                      std::string_view salt);

// The USD cost of `usage` on `provider`: its `cost:` prices when the config sets them, else the
// price table's entry for the model it is priced as; nullopt when unpriced. (Local providers,
// echo and replay, set their own cost on their outcomes.)
std::optional<double> price_usage(const Provider& provider, const PriceTable& prices,
                                  const Usage& usage);

class CallEngine {
public:
    explicit CallEngine(EngineOptions options);
    ~CallEngine(); // stops the worker threads (waiting for programs still running)
    CallEngine(const CallEngine&) = delete;
    CallEngine& operator=(const CallEngine&) = delete;

    // Queues `job`; `done` is called exactly once, from `run`, on the thread calling `run`.
    // May be called from a `done` callback.
    void submit(CallJob job, CallDone done);

    // Runs `work` on one of the engine's worker threads (at most -j of them, shared with exec:
    // programs), then `done` on the thread calling `run`: for slow work on a finished call that
    // must not hold up the other calls, such as python and exec assertions. Counts as in flight
    // until `done` has run; a stop does not cancel it (it judges a result already computed).
    // May be called from a `done` callback.
    void run_in_background(std::function<void()> work, std::function<void()> done);

    // Runs until every submitted call is done, or `should_stop` returns true (polled at least
    // every 50 ms): then calls not yet started complete with `interrupted`, HTTP calls in
    // flight finish without retries and programs running finish (or hit their timeout) before
    // `run` returns. Exceptions thrown by a callback propagate. `between_rounds`, when given, is
    // called after each round of callbacks, before the engine waits for more: the moment to
    // commit what the callbacks produced (the eval runner stores results there, so a killed run
    // loses only the calls in flight).
    void run(const std::function<bool()>& should_stop = {},
             const std::function<void()>& between_rounds = {});

    const EngineCounters& counters() const { return m_counters; }

private:
    struct State;
    std::unique_ptr<State> m_state;
    EngineCounters m_counters;
};

} // namespace llmops::provider
