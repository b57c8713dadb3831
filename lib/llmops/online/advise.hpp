#pragma once
// Routing advice (SPEC §14, `llmops advise RUN`): among a run's variants (models or prompts),
// the cheapest whose pass rate's lower confidence bound meets a bar, read off the Pareto front
// of cost per call against pass rate, with what it saves at the traffic seen in traces.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llmops/stats/stats.hpp>
#include <llmops/store/database.hpp>
#include <llmops/util/error.hpp>

namespace llmops::online {

struct AdviceOptions {
    double min_pass_rate = 0.9;          // the bar the lower bound must meet, in (0, 1)
    double confidence = 0.95;            // of the Wilson intervals
    std::optional<double> monthly_calls; // --traffic: overrides what the traces say
    int64_t now_unix_ns = 0;             // the traffic is the calls of the 30 days before
};

struct VariantAdvice {
    int index = 0;
    std::string label;
    int64_t judged = 0; // results that passed or failed (errors left out)
    int64_t passes = 0;
    std::optional<double> pass_rate;
    std::optional<stats::Interval> interval;
    std::optional<double> cost_per_call; // mean over answered results; nullopt: some unpriced
    bool on_front = false;               // no other variant is as cheap and passes as often
    bool qualifies = false;              // the interval's lower bound meets the bar
};

struct Advice {
    int64_t run_id = 0;
    double bar = 0.9;
    double confidence = 0.95;
    std::vector<VariantAdvice> variants;
    std::optional<int> chosen; // index into `variants`: the recommendation
    std::optional<int> best;   // the highest pass rate
    // When `best` and `chosen` differ: whether the run tells them apart (paired on its cases).
    std::optional<double> difference; // chosen - best pass rate
    std::optional<double> p_value;    // McNemar's exact test
    bool distinguishable = false;
    // When nothing qualifies but a variant might: the cases its observed rate would need for
    // the lower bound to reach the bar.
    std::optional<int64_t> cases_needed;
    // Traffic and saving.
    std::string prompt;                    // whose calls were counted
    std::optional<double> monthly_calls;   // calls of the last 30 days, or --traffic
    std::string traffic_source;            // "traces (30 days)", "--traffic", ""
    std::optional<double> production_cost; // mean cost per call in traces
    std::optional<double> saving_per_call; // against production, else against `best`
    std::optional<double> monthly_saving;  // saving_per_call x monthly_calls
    std::vector<std::string> notes;
};

// The advice for run `run_id` (resolved). Fails with `invalid_input` for a bar outside (0, 1)
// or a run without variants, `not_found`, `io`.
Expected<Advice> advise(store::Database& db, int64_t run_id, const AdviceOptions& options);

// The least number of cases at which an observed pass rate `rate` has a Wilson lower bound of
// at least `bar`; nullopt when `rate` <= `bar` (no number is enough) or beyond 10,000,000.
std::optional<int64_t> cases_for_lower_bound(double rate, double bar, double confidence);

} // namespace llmops::online
