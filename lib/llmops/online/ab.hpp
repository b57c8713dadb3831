#pragma once
// `llmops ab` (SPEC §14): an A/B test of the versions a split label serves, read from the calls
// imported from production (store/calls.hpp) and the online-eval results of those calls: per arm
// the calls, errors, online-eval pass rate, feedback, cost and latency; the sample-ratio-mismatch
// check first; then each treatment against the control with an interval and a test, the sample
// still needed, and a recommendation. docs/ab.md explains every number.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/online/window.hpp>
#include <llmops/stats/ab.hpp>
#include <llmops/stats/stats.hpp>
#include <llmops/store/database.hpp>

namespace llmops::online {

// What `llmops ab` analyses.
struct AbOptions {
    std::string prompt;  // the prompt name
    std::string label;   // a split label of it
    TimeWindow window;   // the calls' times
    double alpha = 0.05; // significance level of the verdict (two-sided)
    // Below this p-value the split is taken as broken (sample ratio mismatch): 0.001, as is
    // usual for an SRM check run on every report (a lower rate of false alarms than alpha).
    double srm_alpha = 0.001;
    double power = 0.8; // of the sample size still needed
};

// The metric a verdict is drawn on: the online-eval pass rate when every arm has online-eval
// results, else the mean feedback score when every arm has two or more, else the error rate.
enum class AbMetric { online_eval_pass_rate, feedback, error_rate };

// "online-eval pass rate", "mean feedback", "error rate".
std::string_view to_string(AbMetric metric);
// "online_eval_pass_rate", "feedback", "error_rate" (the JSON's).
std::string_view json_name(AbMetric metric);

enum class Recommendation { promote, roll_back, keep_running, investigate };

// "promote", "roll back", "keep running", "investigate".
std::string_view to_string(Recommendation recommendation);
// "promote", "roll_back", "keep_running", "investigate" (the JSON's).
std::string_view json_name(Recommendation recommendation);

// One arm: a version of the split label and what its calls did.
struct ArmResult {
    int64_t version = 0;
    std::string id;
    int64_t weight = 0;   // percent configured
    bool control = false; // the label's own version
    int64_t calls = 0;    // calls in the window
    int64_t errors = 0;   // calls that failed
    // The latest online-eval result (highest run id, repeat 0) of each call, by its span id:
    int64_t eval_pass = 0;
    int64_t eval_fail = 0;
    int64_t eval_error = 0; // errors: neither a pass nor a fail
    std::optional<double> pass_rate;
    std::optional<stats::Interval> pass_interval; // Wilson, at 1 - alpha
    int64_t feedback_n = 0;
    std::optional<double> feedback_mean;
    double feedback_variance = 0; // with n - 1; 0 below two values
    int64_t priced_calls = 0;
    std::optional<double> cost_per_call; // over priced calls
    std::optional<double> latency_p50_ms;
    std::optional<double> latency_p95_ms;
};

// One treatment against the control, on the verdict's metric.
struct ArmComparison {
    int64_t control = 0; // version numbers
    int64_t treatment = 0;
    AbMetric metric = AbMetric::error_rate;
    double control_value = 0;
    double treatment_value = 0;
    double difference = 0; // treatment - control
    stats::Interval interval;
    double p_value = 1;
    std::string test; // "z-test", "fisher exact", "welch t-test"
    stats::Verdict verdict = stats::Verdict::no_significant_change;
    // The sample per arm an equal-size test at `alpha` needs to detect the observed difference
    // with the options' power; nullopt when the difference is 0 (or the rates are 0 or 1).
    std::optional<int64_t> needed_per_arm;
    // The error rate compared too when the metric is not the error rate: a version better on
    // its metric but significantly worse on errors is not promoted.
    std::optional<stats::Verdict> error_verdict;
};

struct AbReport {
    std::string prompt;
    std::string label;
    TimeWindow window;
    double alpha = 0.05;
    double srm_alpha = 0.001;
    std::vector<ArmResult> arms; // by version number
    int64_t other_calls = 0;     // calls of the prompt in the window on versions that are no arm
    std::optional<stats::GoodnessOfFit> srm; // nullopt without calls
    bool srm_failed = false;                 // srm->p_value < srm_alpha
    std::optional<AbMetric> metric;          // nullopt when there is nothing to compare
    std::vector<ArmComparison> comparisons;  // each treatment against the control
    Recommendation recommendation = Recommendation::keep_running;
    std::optional<int64_t> recommended_version; // what to promote, or roll back to
    std::string reason;                         // one sentence, lowercase
};

// Analyses the A/B test of `options.label` of `options.prompt`. A call belongs to an arm when its
// prompt is the prompt's name and its version (as imported) is the arm's number (`3`, `v3`), its
// version id, or a prefix of 6 or more characters of the id. Fails with `not_found` for an
// unknown prompt or label, `invalid_input` when the label is not split (naming the command that
// splits it) or an option is out of range, `io` on a store failure.
Expected<AbReport> analyze_ab(store::Database& db, const AbOptions& options);

// When `label` of `prompt` took its current weights: the time of its newest history event, the
// default start of `llmops ab`'s window (calls from before compare under other weights, which the
// sample-ratio check would take for a broken split). Nothing when the label has no history.
// Fails with `not_found` for an unknown prompt, `io`.
Expected<std::optional<int64_t>> split_started(store::Database& db, std::string_view prompt,
                                               std::string_view label);

} // namespace llmops::online
