// Metric assertions: latency (milliseconds) and cost (USD) at most `threshold`. Unlike
// promptfoo, a threshold is required: both are pass/fail, and a bare latency or cost is reported
// with every result anyway.

#include <llmops/eval/assertions/checks.hpp>

#include <fmt/format.h>

#include <llmops/eval/assertions/common.hpp>

namespace llmops::eval::detail {

Verdict check_latency(const AssertionSpec& spec, const nlohmann::json&,
                      const AssertionContext& context) {
    // A cached answer took no time to fetch: its latency says nothing about the provider.
    // promptfoo errors here; failing would punish a warm cache and an error would stop CI runs
    // that replay recordings, so the check is skipped: a pass with score 1, negated or not.
    if (context.cached) {
        Verdict v = verdict(true, "cached answer: latency not measured");
        v.skipped = true;
        return v;
    }
    const double threshold = *spec.threshold;
    return verdict(context.latency_ms <= threshold,
                   fmt::format("latency {} ms (threshold {} ms)", format_number(context.latency_ms),
                               format_number(threshold)));
}

Verdict check_cost(const AssertionSpec& spec, const nlohmann::json&,
                   const AssertionContext& context) {
    // An unknown cost is never taken as zero (SPEC §6): the check cannot run.
    if (!context.cost_usd)
        return error_verdict("cost is unknown (no price for this model; add a 'cost' override)");
    const double threshold = *spec.threshold;
    return verdict(*context.cost_usd <= threshold,
                   fmt::format("cost ${} (threshold ${})", format_number(*context.cost_usd),
                               format_number(threshold)));
}

} // namespace llmops::eval::detail
