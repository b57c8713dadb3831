#include <llmops/provider/engine.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <llmops/provider/http.hpp>
#include <llmops/provider/rate_limit.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/json.hpp>
#include <llmops/util/redact.hpp>

namespace llmops::provider {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// How often `run` looks at `should_stop` and the rate limits at the latest.
constexpr int k_poll_ms = 50;

// The version of the cache key's shape: bump it when the key changes meaning.
constexpr int k_cache_key_version = 1;

// One call on its way through the engine.
struct Pending {
    CallJob job;
    CallDone done;
    std::string key;            // cache key (cacheable providers only)
    double tokens_estimate = 0; // charged to the tpm bucket up front
};

// Estimated tokens of a request, for the tokens-per-minute bucket: the prompt plus the most
// it may generate.
double estimate_request_tokens(const CompletionRequest& request) {
    double tokens = 0;
    for (const auto& m : request.messages) {
        tokens += static_cast<double>(detail::estimate_tokens(m.content));
    }
    return tokens + static_cast<double>(request.params.max_tokens.value_or(0));
}

// The error a failed call reports: the provider's id first, secrets removed (and credentials
// in any URL it quotes), retries told.
Error call_error(const Provider& provider, const util::Redactor& redactor, const Error& error,
                 int attempts) {
    const std::string after =
        attempts > 1 ? fmt::format(" (after {} attempts)", attempts) : std::string();
    return Error(error.code(),
                 fmt::format("provider '{}': {}{}", provider.id(),
                             util::sanitize_urls(redactor.redact(error.message())), after));
}

void redact_text(const util::Redactor& redactor, std::string& text) {
    text = redactor.redact(text);
}

void redact_text(const util::Redactor& redactor, std::optional<std::string>& text) {
    if (text) {
        *text = redactor.redact(*text);
    }
}

// Scrubs the secrets from every text of an answer: a model (or a user's program) that echoes a
// key must not put it in the cache, a recording or the store.
void redact_outcome(const util::Redactor& redactor, CallOutcome& outcome) {
    if (redactor.empty()) {
        return;
    }
    CompletionResult& r = outcome.result;
    redact_text(redactor, r.output);
    redact_text(redactor, r.finish_reason);
    redact_text(redactor, r.refusal);
    redact_text(redactor, r.tool_calls_json);
    redact_text(redactor, r.context);
    redact_text(redactor, r.logprobs_json);
}

} // namespace

std::optional<double> price_usage(const Provider& provider, const PriceTable& prices,
                                  const Usage& usage) {
    if (const auto& override_prices = provider.config().cost) {
        PriceEntry entry;
        entry.prices = *override_prices;
        return cost_usd(entry, usage);
    }
    const auto [name, model] = provider.priced_as();
    if (model.empty()) {
        return std::nullopt;
    }
    if (const PriceEntry* entry = prices.find(model, name)) {
        return cost_usd(*entry, usage);
    }
    return std::nullopt;
}

std::string cache_key(const Provider& provider, const CompletionRequest& request, int repeat,
                      std::string_view salt) {
    json messages = json::array();
    for (const auto& m : request.messages) {
        messages.push_back({{"role", m.role}, {"content", m.content}});
    }
    const json key{
        {"v", k_cache_key_version},  {"provider", provider.identity()},
        {"model", request.model},    {"params", params_json(request.params)},
        {"messages", messages},      {"repeat", repeat},
        {"salt", std::string(salt)},
    };
    return util::sha256_hex(util::canonical_json(key));
}

// ---------------------------------------------------------------------------------------------

struct CallEngine::State {
    EngineOptions options;
    EngineCounters& counters;
    HttpEngine http;
    bool stopping = false;

    // Calls answered without a provider (cache hits, echo, replay), in submission order.
    std::deque<std::unique_ptr<Pending>> immediate;
    // Calls waiting for a slot and their provider's rate limit, one queue per provider so a
    // rate-limited provider does not hold up the others; served round-robin.
    std::map<const Provider*, std::deque<std::unique_ptr<Pending>>> waiting;
    std::map<const Provider*, RateLimits> limits;
    // Each provider's secrets: all of them for messages, the long ones for answers.
    struct Redactors {
        util::Redactor messages;
        util::Redactor answers;
    };
    std::map<const Provider*, Redactors> redactors;
    const Provider* last_served = nullptr;
    int64_t in_flight = 0; // HTTP calls and programs running
    int64_t processes = 0; // programs queued for or running on a worker

    // The program pool: jobs handed over, results handed back, under `mutex`.
    std::mutex mutex;
    std::condition_variable work_ready;
    std::deque<std::unique_ptr<Pending>> process_queue;
    std::vector<std::pair<std::unique_ptr<Pending>, Expected<CallOutcome>>> process_done;
    // Background work (run_in_background): served by the same workers, never cancelled.
    struct Task {
        std::function<void()> work;
        std::function<void()> done;
    };
    std::deque<Task> task_queue;
    std::vector<Task> task_done;
    std::vector<std::thread> workers;
    bool shutting_down = false;

    State(EngineOptions o, EngineCounters& c)
        : options(o), counters(c), http(std::max(1, o.concurrency)) {}

    ~State() {
        {
            std::lock_guard lock(mutex);
            shutting_down = true;
            process_queue.clear();
            task_queue.clear();
        }
        work_ready.notify_all();
        for (auto& worker : workers) {
            worker.join();
        }
    }

    const PriceTable& prices() const {
        return options.prices != nullptr ? *options.prices : PriceTable::builtin();
    }

    RateLimits& limits_of(const Provider& provider) {
        auto it = limits.find(&provider);
        if (it == limits.end()) {
            RateLimits l;
            const auto now = Clock::now();
            if (provider.config().rpm) {
                l.requests.emplace(*provider.config().rpm, now);
            }
            if (provider.config().tpm) {
                l.tokens.emplace(*provider.config().tpm, now);
            }
            it = limits.emplace(&provider, std::move(l)).first;
        }
        return it->second;
    }

    const Redactors& redactors_of(const Provider& provider) {
        auto it = redactors.find(&provider);
        if (it == redactors.end()) {
            Redactors r{util::Redactor(provider.secrets()),
                        util::Redactor(provider.secrets(), util::Redactor::Short::kept)};
            it = redactors.emplace(&provider, std::move(r)).first;
        }
        return it->second;
    }

    void price(const Provider& provider, CallOutcome& outcome) const {
        if (outcome.cost_usd) {
            return; // the program reported its own cost, or echo's zero
        }
        outcome.cost_usd = price_usage(provider, prices(), outcome.result.usage);
    }

    // Delivers a finished call: redacts and prices it, caches and records a success, then
    // calls back.
    void finish(std::unique_ptr<Pending> p, Expected<CallOutcome> result, bool from_provider) {
        const Provider& provider = *p->job.provider;
        if (result) {
            redact_outcome(redactors_of(provider).answers, *result);
            price(provider, *result);
            if (from_provider && !p->key.empty() && options.cache != nullptr &&
                options.cache_mode != CacheMode::off) {
                // A cache that cannot be written costs speed, never a result: ignore failures.
                (void)options.cache->put(p->key, provider.id(), p->job.request.model,
                                         outcome_to_json(*result).dump());
            }
            if (options.recorder != nullptr && !result->replayed && !p->job.answer) {
                // A full disk must not lose the result, but the user asked for a recording:
                // count the failures so the command can say so.
                if (auto ok = options.recorder->record(provider.id(), p->job.request, p->job.repeat,
                                                       *result, redactors_of(provider).answers);
                    !ok) {
                    if (counters.record_failures++ == 0) {
                        counters.first_record_error = ok.error().message();
                    }
                }
            }
        } else {
            ++counters.errors;
        }
        ++counters.finished;
        CallDone done = std::move(p->done);
        p.reset();
        done(std::move(result));
    }

    void finish_error(std::unique_ptr<Pending> p, const Error& error, int attempts) {
        const Provider& provider = *p->job.provider;
        finish(
            std::move(p),
            std::unexpected(call_error(provider, redactors_of(provider).messages, error, attempts)),
            false);
    }

    // Parses a response into an outcome or an error. An error quoting the body (the first 200
    // bytes of it) is made from the body with the secrets already redacted, so it never quotes
    // the first half of a key; a good answer is parsed as it came (a short dummy key must not
    // break its JSON) and redacted afterwards, in `finish`.
    Expected<CallOutcome> parse_redacted(const Provider& provider, const CompletionRequest& request,
                                         HttpResponse& response) {
        const util::Redactor& r = redactors_of(provider).messages;
        const bool success = response.status >= 200 && response.status < 300;
        if (!success && !r.empty()) {
            response.body = r.redact(response.body);
        }
        auto parsed = provider.parse_http(request, response);
        if (!parsed && success && !r.empty()) {
            response.body = r.redact(response.body);
            LLMOPS_TRY(provider.parse_http(request, response));
        }
        return parsed;
    }

    void start_http(std::unique_ptr<Pending> p) {
        const Provider& provider = *p->job.provider;
        auto request = provider.build_http(p->job.request, p->job.vars);
        if (!request) {
            finish_error(std::move(p), request.error(), 1);
            return;
        }
        ++in_flight;
        RetryPolicy retry;
        retry.max_retries = provider.config().max_retries;
        Pending* raw = p.release();
        http.submit(std::move(*request), retry, [this, raw](HttpResponse response) {
            std::unique_ptr<Pending> owned(raw);
            --in_flight;
            const Provider& prov = *owned->job.provider;
            if (response.attempts == 0) {
                // Cancelled before it was sent (the run is stopping).
                finish(std::move(owned),
                       std::unexpected(Error(
                           ErrorCode::interrupted,
                           fmt::format("provider '{}': not started: interrupted", prov.id()))),
                       false);
                return;
            }
            auto parsed = parse_redacted(prov, owned->job.request, response);
            if (auto& l = limits_of(prov); l.tokens && parsed) {
                const auto& u = parsed->result.usage;
                l.tokens->adjust(owned->tokens_estimate - static_cast<double>(u.input + u.output));
            }
            if (!parsed) {
                finish_error(std::move(owned), parsed.error(), response.attempts);
                return;
            }
            parsed->latency_ms = response.latency_ms;
            parsed->first_byte_ms =
                owned->job.request.params.stream ? response.first_byte_ms : std::nullopt;
            parsed->attempts = response.attempts;
            finish(std::move(owned), std::move(parsed), true);
        });
    }

    void start_process(std::unique_ptr<Pending> p) {
        ++in_flight;
        ++processes;
        std::lock_guard lock(mutex);
        process_queue.push_back(std::move(p));
        // One worker per program running, created as needed (never more than -j).
        if (workers.size() < static_cast<size_t>(processes)) {
            workers.emplace_back([this] { worker_loop(); });
        }
        work_ready.notify_one();
    }

    void start_task(Task task) {
        ++in_flight;
        ++processes;
        std::lock_guard lock(mutex);
        task_queue.push_back(std::move(task));
        if (workers.size() <
            static_cast<size_t>(std::min<int64_t>(processes, std::max(1, options.concurrency)))) {
            workers.emplace_back([this] { worker_loop(); });
        }
        work_ready.notify_one();
    }

    void worker_loop() {
        for (;;) {
            std::unique_ptr<Pending> p;
            std::optional<Task> task;
            {
                std::unique_lock lock(mutex);
                work_ready.wait(lock, [&] {
                    return shutting_down || !process_queue.empty() || !task_queue.empty();
                });
                if (shutting_down) {
                    return;
                }
                if (!task_queue.empty()) {
                    task = std::move(task_queue.front());
                    task_queue.pop_front();
                } else {
                    p = std::move(process_queue.front());
                    process_queue.pop_front();
                }
            }
            if (task) {
                task->work();
                {
                    std::lock_guard lock(mutex);
                    task_done.push_back(std::move(*task));
                }
                http.wakeup();
                continue;
            }
            const auto started = Clock::now();
            auto result = p->job.provider->call_direct(p->job.request, p->job.vars, p->job.repeat);
            if (result) {
                result->latency_ms =
                    std::chrono::duration<double, std::milli>(Clock::now() - started).count();
            }
            {
                std::lock_guard lock(mutex);
                process_done.emplace_back(std::move(p), std::move(result));
            }
            http.wakeup();
        }
    }

    void collect_processes() {
        std::vector<std::pair<std::unique_ptr<Pending>, Expected<CallOutcome>>> done;
        std::vector<Task> tasks;
        {
            std::lock_guard lock(mutex);
            done.swap(process_done);
            tasks.swap(task_done);
        }
        for (auto& t : tasks) {
            --in_flight;
            --processes;
            t.done();
        }
        for (auto& [p, result] : done) {
            --in_flight;
            --processes;
            if (!result) {
                finish_error(std::move(p), result.error(), 1);
            } else {
                finish(std::move(p), std::move(result), true);
            }
        }
    }

    void answer_immediate() {
        while (!immediate.empty()) {
            std::unique_ptr<Pending> p = std::move(immediate.front());
            immediate.pop_front();
            if (!p->key.empty()) {
                // A cache hit: the stored outcome was put there by `finish`.
                auto stored = options.cache->get(p->key);
                auto outcome =
                    stored && *stored
                        ? cached_outcome(**stored)
                        : Expected<CallOutcome>(fail(ErrorCode::io, "cache entry vanished"));
                if (outcome) {
                    ++counters.cache_hits;
                    finish(std::move(p), std::move(outcome), false);
                    continue;
                }
                // An unreadable entry is a miss: ask the provider.
                p->key.clear();
                waiting[p->job.provider].push_back(std::move(p));
                continue;
            }
            const Provider& provider = *p->job.provider;
            auto result = p->job.answer
                              ? *p->job.answer
                              : provider.call_direct(p->job.request, p->job.vars, p->job.repeat);
            if (!result) {
                finish_error(std::move(p), result.error(), 1);
            } else {
                finish(std::move(p), std::move(result), false);
            }
        }
    }

    // Starts calls while there are free slots and rate limits allow; returns how long until a
    // rate-limited call may start (k_poll_ms when none waits on a limit).
    int start_waiting() {
        int wait_ms = k_poll_ms;
        bool progress = true;
        while (progress && in_flight < options.concurrency) {
            progress = false;
            // Round-robin: begin after the provider served last.
            auto it = waiting.upper_bound(last_served);
            for (size_t n = 0; n < waiting.size() && in_flight < options.concurrency; ++n) {
                if (it == waiting.end()) {
                    it = waiting.begin();
                }
                auto& [provider, queue] = *it;
                ++it;
                if (queue.empty()) {
                    continue;
                }
                const auto wait =
                    limits_of(*provider).try_take(queue.front()->tokens_estimate, Clock::now());
                if (wait > Clock::duration::zero()) {
                    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
                    wait_ms = std::min<int>(wait_ms, static_cast<int>(std::max<int64_t>(1, ms)));
                    continue;
                }
                std::unique_ptr<Pending> p = std::move(queue.front());
                queue.pop_front();
                last_served = provider;
                progress = true;
                if (provider->transport() == Provider::Transport::http) {
                    start_http(std::move(p));
                } else {
                    start_process(std::move(p));
                }
            }
        }
        return wait_ms;
    }

    bool waiting_empty() const {
        return std::all_of(waiting.begin(), waiting.end(),
                           [](const auto& entry) { return entry.second.empty(); });
    }

    void cancel_not_started() {
        for (auto& [provider, queue] : waiting) {
            while (!queue.empty()) {
                std::unique_ptr<Pending> p = std::move(queue.front());
                queue.pop_front();
                finish(std::move(p),
                       std::unexpected(Error(
                           ErrorCode::interrupted,
                           fmt::format("provider '{}': not started: interrupted", provider->id()))),
                       false);
            }
        }
        std::deque<std::unique_ptr<Pending>> queued;
        {
            std::lock_guard lock(mutex);
            queued.swap(process_queue);
        }
        for (auto& p : queued) {
            --in_flight;
            --processes;
            const std::string id = p->job.provider->id();
            finish(
                std::move(p),
                std::unexpected(Error(ErrorCode::interrupted,
                                      fmt::format("provider '{}': not started: interrupted", id))),
                false);
        }
    }
};

CallEngine::CallEngine(EngineOptions options)
    : m_state(std::make_unique<State>(options, m_counters)) {}

CallEngine::~CallEngine() = default;

void CallEngine::run_in_background(std::function<void()> work, std::function<void()> done) {
    m_state->start_task({std::move(work), std::move(done)});
}

void CallEngine::submit(CallJob job, CallDone done) {
    State& s = *m_state;
    auto p = std::make_unique<Pending>();
    const Provider& provider = *job.provider;
    job.request.params = merge_params(provider.config().params, job.request.params);
    p->job = std::move(job);
    p->done = std::move(done);
    ++m_counters.submitted;
    const Provider::Transport transport = provider.transport();
    if (p->job.answer) {
        s.immediate.push_back(std::move(p));
        return;
    }
    if (transport == Provider::Transport::http && s.options.cache != nullptr &&
        s.options.cache_mode != CacheMode::off) {
        p->key = cache_key(provider, p->job.request, p->job.repeat, p->job.cache_salt);
        if (s.options.cache_mode == CacheMode::use) {
            auto hit = s.options.cache->get(p->key);
            if (hit && *hit) {
                s.immediate.push_back(std::move(p));
                return;
            }
        }
    }
    if (transport == Provider::Transport::local) {
        p->key.clear();
        s.immediate.push_back(std::move(p));
        return;
    }
    p->tokens_estimate = estimate_request_tokens(p->job.request);
    s.waiting[&provider].push_back(std::move(p));
}

void CallEngine::run(const std::function<bool()>& should_stop,
                     const std::function<void()>& between_rounds) {
    State& s = *m_state;
    s.stopping = false;
    for (;;) {
        if (!s.stopping && should_stop && should_stop()) {
            s.stopping = true;
            s.http.stop();
        }
        s.collect_processes();
        // Answers already at hand (cache hits, echo, replay) are delivered even when stopping:
        // they cost nothing and are finished results.
        s.answer_immediate();
        if (s.stopping) {
            s.cancel_not_started();
        }
        int wait_ms = s.stopping ? k_poll_ms : s.start_waiting();
        m_counters.in_flight = s.in_flight;
        if (s.in_flight == 0 && s.http.idle() && s.immediate.empty() &&
            (s.stopping || s.waiting_empty())) {
            if (between_rounds) {
                between_rounds();
            }
            break;
        }
        if (!s.immediate.empty()) {
            wait_ms = 0; // callbacks queued more local work
        }
        if (between_rounds) {
            between_rounds();
        }
        if (!s.http.idle()) {
            s.http.step(wait_ms);
        } else {
            s.http.sleep(wait_ms);
        }
    }
    s.stopping = false;
}

} // namespace llmops::provider
