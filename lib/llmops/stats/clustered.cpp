#include <llmops/stats/clustered.hpp>

#include <algorithm>
#include <cmath>

#include <llmops/stats/proportion.hpp>

namespace llmops::stats {

namespace {

// The sum and count of all observations; nullopt when a value is not finite.
struct Totals {
    double sum = 0;
    std::size_t count = 0;
};

std::optional<Totals> totals(std::span<const std::vector<double>> cases) {
    Totals t;
    for (const auto& scores : cases)
        for (double s : scores) {
            if (!std::isfinite(s))
                return std::nullopt;
            t.sum += s;
            ++t.count;
        }
    return t;
}

// Σ_{i in g} (s_i - mean) / N: case g's share of the deviation of the mean.
double score_share(const std::vector<double>& scores, double mean, double count) {
    double sum = 0;
    for (double s : scores)
        sum += s - mean;
    return sum / count;
}

// Applies the CR1 factor G / (G - 1) to Σ_g share_g² and takes the root.
double robust_error(double sum_of_squares, std::size_t clusters) {
    double g = static_cast<double>(clusters);
    return std::sqrt(g / (g - 1) * sum_of_squares);
}

} // namespace

std::optional<MeanEstimate> clustered_mean(std::span<const std::vector<double>> cases) {
    auto t = totals(cases);
    if (!t || t->count == 0)
        return std::nullopt;
    double count = static_cast<double>(t->count);
    MeanEstimate out{.mean = t->sum / count, .observations = t->count};
    double squares = 0;
    for (const auto& scores : cases) {
        if (scores.empty())
            continue;
        ++out.clusters;
        double share = score_share(scores, out.mean, count);
        squares += share * share;
    }
    if (out.clusters < 2)
        return std::nullopt;
    out.standard_error = robust_error(squares, out.clusters);
    return out;
}

std::optional<ClusteredProportion> clustered_proportion(std::span<const std::vector<double>> cases,
                                                        double confidence) {
    ClusteredProportion out;
    double passes = 0;
    for (const auto& outcomes : cases) {
        for (double x : outcomes) {
            if (x != 0 && x != 1)
                return std::nullopt;
            passes += x;
            ++out.observations;
        }
        out.clusters += outcomes.empty() ? 0 : 1;
    }
    if (out.observations == 0)
        return std::nullopt;
    const double n = static_cast<double>(out.observations);
    out.rate = passes / n;
    const double simple_variance = out.rate * (1 - out.rate) / n;
    const auto clustered = clustered_mean(cases);
    if (clustered && simple_variance > 0) {
        double se = clustered->standard_error;
        out.design_effect = std::max(1.0, se * se / simple_variance);
    } else {
        out.design_effect = n / static_cast<double>(out.clusters);
    }
    out.effective_n = n / out.design_effect;
    auto interval = wilson_interval_of_rate(out.rate, out.effective_n, confidence);
    if (!interval)
        return std::nullopt;
    out.interval = *interval;
    return out;
}

std::optional<MeanEstimate> clustered_difference(std::span<const std::vector<double>> baseline,
                                                 std::span<const std::vector<double>> candidate) {
    if (baseline.size() != candidate.size())
        return std::nullopt;
    auto a = totals(baseline);
    auto b = totals(candidate);
    if (!a || !b || a->count == 0 || b->count == 0)
        return std::nullopt;
    double count_a = static_cast<double>(a->count);
    double count_b = static_cast<double>(b->count);
    double mean_a = a->sum / count_a;
    double mean_b = b->sum / count_b;
    MeanEstimate out{.mean = mean_b - mean_a, .observations = a->count + b->count};
    double squares = 0;
    for (std::size_t g = 0; g < baseline.size(); ++g) {
        if (baseline[g].empty() && candidate[g].empty())
            continue;
        ++out.clusters;
        double share =
            score_share(candidate[g], mean_b, count_b) - score_share(baseline[g], mean_a, count_a);
        squares += share * share;
    }
    if (out.clusters < 2)
        return std::nullopt;
    out.standard_error = robust_error(squares, out.clusters);
    return out;
}

} // namespace llmops::stats
