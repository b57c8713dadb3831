#pragma once
// `llmops traces stats` and `llmops usage`: imported calls counted by prompt, version, model
// (and, for usage, day).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/store/calls.hpp>

namespace llmops::traces {

// The calls of one (prompt, version, model), or of all of them (`total`).
struct CallGroup {
    std::string prompt;
    std::string version;
    std::string model;
    std::string day; // YYYY-MM-DD (UTC), by `usage --by day` only
    int64_t calls = 0;
    int64_t errors = 0;
    int64_t input_tokens = 0; // over the calls that reported them
    int64_t output_tokens = 0;
    double cost_usd = 0;  // over the priced calls
    int64_t unpriced = 0; // calls without a cost (unpriced model or no token counts)
    std::optional<double> latency_p50_ms; // NumPy's linear percentile; nullopt without latencies
    std::optional<double> latency_p95_ms;
    std::optional<double> feedback_mean; // nullopt without feedback
    int64_t feedback_count = 0;

    double error_rate() const { return calls == 0 ? 0 : static_cast<double>(errors) / calls; }
};

struct CallStats {
    std::vector<CallGroup> groups; // by prompt, version, model
    CallGroup total;
};

// Counts the calls matching `filter` (its limit ignored). Holds one group's latencies at a
// time, plus every latency for the total's percentiles. Fails with `io`.
Expected<CallStats> call_stats(store::Database& db, const store::CallFilter& filter);

// What `llmops usage` groups calls by.
enum class UsageKey { prompt, version, model, day };

// Parses `--by`: a comma-separated list of `prompt`, `version`, `model`, `day`, each once.
// `version` needs `prompt` (a version number means nothing without its prompt). Fails with
// `invalid_input` naming `--by` and the word.
Expected<std::vector<UsageKey>> parse_usage_keys(std::string_view text);

// The name of `key` as `--by` spells it.
std::string_view usage_key_name(UsageKey key);

struct UsageStats {
    std::vector<UsageKey> keys;
    std::vector<CallGroup> groups; // sorted by the keys in their order; other keys empty
    CallGroup total;
};

// Counts the calls matching `filter` (its limit ignored) by `keys`. Holds every latency (8
// bytes a call) until the end. Fails with `io`.
Expected<UsageStats> usage_stats(store::Database& db, const store::CallFilter& filter,
                                 const std::vector<UsageKey>& keys);

} // namespace llmops::traces
