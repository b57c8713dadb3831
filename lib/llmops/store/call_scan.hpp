#pragma once
// Light reads of imported calls for analyses that walk a whole time window (`llmops drift`):
// the texts of each call a row at a time, and the online-eval outcomes of a window's calls.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <llmops/store/calls.hpp>
#include <llmops/store/database.hpp>

namespace llmops::store {

// What drift reads of a call: its texts and token counts, without the other columns.
struct CallText {
    std::string span_id;
    std::string vars = "{}";     // JSON object
    std::string messages = "[]"; // JSON array
    std::optional<std::string> output;
    std::optional<int64_t> input_tokens;
    std::optional<int64_t> output_tokens;
    bool error = false;
};

// Calls `visit` with every call matching `filter` (its limit ignored), oldest first, a row at a
// time (memory stays flat). Fails with `io`.
Expected<void> scan_call_texts(Database& db, const CallFilter& filter,
                               const std::function<void(const CallText&)>& visit);

// What `llmops metrics` counts of a call: its key, usage and outcome.
struct CallUsage {
    int64_t id = 0; // the rowid: calls are insert-only, so a scan resumes after the last one seen
    std::string prompt;
    std::string version;
    std::string model;
    std::optional<int64_t> input_tokens;
    std::optional<int64_t> output_tokens;
    std::optional<double> cost_usd;
    std::optional<double> latency_ms;
    bool error = false;
};

// Calls `visit` with every call whose id is above `after_id`, in id (import) order, a row at a
// time. Fails with `io`.
Expected<void> scan_call_usage(Database& db, int64_t after_id,
                               const std::function<void(const CallUsage&)>& visit);

// The number of calls of `prompt` whose version is `number` (as text) or `id`. Fails with `io`.
Expected<int64_t> count_version_calls(Database& db, std::string_view prompt, int64_t number,
                                      std::string_view id);

// The outcomes of online evals over a window's calls: for each call matching `filter` that a
// run has a result for (a result whose case id is the call's span id, SPEC §14), the latest
// result (highest run id, repeat 0).
struct OnlineOutcomes {
    std::size_t pass = 0;
    std::size_t fail = 0;
    std::size_t error = 0; // neither a pass nor a fail
};

// Calls `visit` with the span id and the latest result's status (pass, fail or error) of every
// call matching `filter` that has an online-eval result. Fails with `io`.
Expected<void>
scan_online_outcomes(Database& db, const CallFilter& filter,
                     const std::function<void(const std::string&, const std::string&)>& visit);

// Counts the online-eval outcomes of the calls matching `filter`. Fails with `io`.
Expected<OnlineOutcomes> count_online_outcomes(Database& db, const CallFilter& filter);

} // namespace llmops::store
