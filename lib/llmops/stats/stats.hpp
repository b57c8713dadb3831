#pragma once
// The shared vocabulary of the stats module (intervals, verdicts) and descriptive statistics.
//
// The stats module is pure math: no I/O, no store, no LLM concepts beyond "pass" and "score".
// A value that the data leaves undefined (the mean of nothing, a rate out of zero trials) is
// returned as std::nullopt, never as NaN; so is a result asked with arguments outside their
// documented range (a caller's bug). Only the power calculator (power.hpp), whose inputs come
// straight from a user, returns `Expected` with messages.

#include <optional>
#include <span>
#include <string_view>

namespace llmops::stats {

// A closed interval [lower, upper], usually a confidence interval.
struct Interval {
    double lower = 0;
    double upper = 0;

    bool contains(double x) const { return lower <= x && x <= upper; }
    bool operator==(const Interval&) const = default;
};

// Whether a larger value of a metric is an improvement (pass rate, score) or a regression
// (cost, latency).
enum class Direction { higher_is_better, lower_is_better };

// The outcome of comparing a metric between a baseline and a candidate. The last two are not
// test results: `too_few_cases` when fewer cases were paired than a verdict needs (compare's
// k_min_paired_cases), `nothing_to_compare` when no case was paired at all.
enum class Verdict { better, worse, no_significant_change, too_few_cases, nothing_to_compare };

// Returns "better", "worse", "no significant change", "too few cases" or "nothing to compare".
std::string_view to_string(Verdict verdict);

// Verdict from a test: significant when `p_value` < `alpha`; then the sign of `difference`
// (candidate minus baseline) and `direction` say better or worse. A zero difference is never
// significant.
Verdict verdict_from_test(double difference, double p_value, double alpha, Direction direction);

// Verdict from a confidence interval of the difference (candidate minus baseline): significant
// when the interval excludes 0 (an interval at confidence 1 - alpha gives a test at level alpha).
Verdict verdict_from_interval(Interval difference, Direction direction);

// Arithmetic mean; nullopt when `values` is empty.
std::optional<double> mean(std::span<const double> values);

// The `p`-th percentile of `values` (`p` in [0, 100]) with linear interpolation between the
// closest ranks, NumPy's default method ("linear", Hyndman & Fan type 7): with x sorted and
// h = (n - 1) p / 100, the result is x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)]).
// p = 0 is the minimum and p = 100 the maximum; a single value is every percentile. Returns
// nullopt when `values` is empty, `p` is outside [0, 100] (or NaN) or a value is NaN.
// Copies and sorts `values`: O(n log n). Use `percentile_of_sorted` for several percentiles.
std::optional<double> percentile(std::span<const double> values, double p);

// As `percentile` for `sorted` already in ascending order (not checked): O(1).
std::optional<double> percentile_of_sorted(std::span<const double> sorted, double p);

// (after - before) / |before|, e.g. 0.25 for a 25% increase; nullopt when `before` is 0 (an
// increase from nothing has no percentage) or either value is not finite.
std::optional<double> relative_change(double before, double after);

} // namespace llmops::stats
