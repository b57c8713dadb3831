#pragma once
// `llmops traces stats`: imported calls counted by prompt, version and model.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llmops/store/calls.hpp>

namespace llmops::traces {

// The calls of one (prompt, version, model), or of all of them (`total`).
struct CallGroup {
    std::string prompt;
    std::string version;
    std::string model;
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

} // namespace llmops::traces
