#include <llmops/traces/stats.hpp>

#include <algorithm>

#include <llmops/stats/stats.hpp>

namespace llmops::traces {

namespace {

// A group being counted, with its latencies (arriving sorted) and its feedback sum.
struct Accumulator {
    CallGroup group;
    std::vector<double> latencies;
    double feedback_sum = 0;

    void add(const store::CallFacts& f) {
        ++group.calls;
        group.errors += f.error ? 1 : 0;
        group.input_tokens += f.input_tokens.value_or(0);
        group.output_tokens += f.output_tokens.value_or(0);
        if (f.cost_usd) {
            group.cost_usd += *f.cost_usd;
        } else {
            ++group.unpriced;
        }
        if (f.latency_ms) {
            latencies.push_back(*f.latency_ms);
        }
        if (f.feedback) {
            feedback_sum += *f.feedback;
            ++group.feedback_count;
        }
    }

    // The group with its percentiles, `latencies` being sorted.
    CallGroup finish() {
        group.latency_p50_ms = stats::percentile_of_sorted(latencies, 50);
        group.latency_p95_ms = stats::percentile_of_sorted(latencies, 95);
        if (group.feedback_count > 0) {
            group.feedback_mean = feedback_sum / static_cast<double>(group.feedback_count);
        }
        return group;
    }
};

} // namespace

Expected<CallStats> call_stats(store::Database& db, const store::CallFilter& filter) {
    CallStats out;
    Accumulator current;
    Accumulator total;
    bool open = false;
    LLMOPS_TRY(store::scan_call_facts(db, filter, [&](const store::CallFacts& f) {
        if (open && (f.prompt != current.group.prompt ||
                     f.prompt_version != current.group.version || f.model != current.group.model)) {
            out.groups.push_back(current.finish());
            current = Accumulator();
            open = false;
        }
        if (!open) {
            current.group.prompt = f.prompt;
            current.group.version = f.prompt_version;
            current.group.model = f.model;
            open = true;
        }
        current.add(f);
        total.add(f);
    }));
    if (open) {
        out.groups.push_back(current.finish());
    }
    std::sort(total.latencies.begin(), total.latencies.end());
    out.total = total.finish();
    return out;
}

} // namespace llmops::traces
