#include <llmops/stats/stats.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace llmops::stats {

std::string_view to_string(Verdict verdict) {
    switch (verdict) {
    case Verdict::better: return "better";
    case Verdict::worse: return "worse";
    case Verdict::no_significant_change: return "no significant change";
    case Verdict::too_few_cases: return "too few cases";
    case Verdict::nothing_to_compare: return "nothing to compare";
    }
    return "no significant change";
}

namespace {

Verdict signed_verdict(double difference, Direction direction) {
    bool up = difference > 0;
    return up == (direction == Direction::higher_is_better) ? Verdict::better : Verdict::worse;
}

} // namespace

Verdict verdict_from_test(double difference, double p_value, double alpha, Direction direction) {
    if (!(p_value < alpha) || difference == 0 || std::isnan(difference))
        return Verdict::no_significant_change;
    return signed_verdict(difference, direction);
}

Verdict verdict_from_interval(Interval difference, Direction direction) {
    if (difference.lower > 0)
        return signed_verdict(1, direction);
    if (difference.upper < 0)
        return signed_verdict(-1, direction);
    return Verdict::no_significant_change;
}

std::optional<double> mean(std::span<const double> values) {
    if (values.empty())
        return std::nullopt;
    double sum = 0;
    for (double v : values)
        sum += v;
    return sum / static_cast<double>(values.size());
}

std::optional<double> percentile_of_sorted(std::span<const double> sorted, double p) {
    if (sorted.empty() || !(p >= 0 && p <= 100))
        return std::nullopt;
    double h = static_cast<double>(sorted.size() - 1) * (p / 100);
    auto below = static_cast<std::size_t>(std::floor(h));
    if (below + 1 >= sorted.size())
        return sorted.back();
    double a = sorted[below];
    double b = sorted[below + 1];
    double t = h - static_cast<double>(below);
    // NumPy's lerp: interpolate from the nearer end, so t = 1 gives b exactly and the result
    // stays monotonic in p.
    double span = b - a;
    return t < 0.5 ? a + span * t : b - span * (1 - t);
}

std::optional<double> percentile(std::span<const double> values, double p) {
    if (std::any_of(values.begin(), values.end(), [](double v) { return std::isnan(v); }))
        return std::nullopt;
    std::vector<double> sorted(values.begin(), values.end());
    std::sort(sorted.begin(), sorted.end());
    return percentile_of_sorted(sorted, p);
}

std::optional<double> relative_change(double before, double after) {
    if (before == 0 || !std::isfinite(before) || !std::isfinite(after))
        return std::nullopt;
    return (after - before) / std::abs(before);
}

} // namespace llmops::stats
