#include <llmops/stats/proportion.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include <llmops/stats/distribution.hpp>

namespace llmops::stats {

std::optional<Interval> wilson_interval(std::size_t successes, std::size_t trials,
                                        double confidence) {
    auto z = normal_critical_value(confidence);
    if (trials == 0 || successes > trials || !z)
        return std::nullopt;
    double k = static_cast<double>(successes);
    double n = static_cast<double>(trials);
    double z2 = *z * *z;
    double centre = (k + z2 / 2) / (n + z2);
    double half = *z / (n + z2) * std::sqrt(k * (n - k) / n + z2 / 4);
    // At k = 0 (k = n) the bound is 0 (1) mathematically; rounding would leave ±1e-17.
    double lower = successes == 0 ? 0 : std::max(0.0, centre - half);
    double upper = successes == trials ? 1 : std::min(1.0, centre + half);
    return Interval{lower, upper};
}

std::optional<Interval> wilson_interval_of_rate(double rate, double effective_trials,
                                                double confidence) {
    auto z = normal_critical_value(confidence);
    if (!z || !(rate >= 0 && rate <= 1) || !(effective_trials > 0) ||
        !std::isfinite(effective_trials))
        return std::nullopt;
    double n = effective_trials;
    double z2 = *z * *z;
    double scale = 1 + z2 / n;
    double centre = (rate + z2 / (2 * n)) / scale;
    double half = *z / scale * std::sqrt(rate * (1 - rate) / n + z2 / (4 * n * n));
    double lower = rate == 0 ? 0 : std::max(0.0, centre - half);
    double upper = rate == 1 ? 1 : std::min(1.0, centre + half);
    return Interval{lower, upper};
}

void PairedCounts::add(bool baseline_pass, bool candidate_pass) {
    if (baseline_pass)
        ++(candidate_pass ? both_pass : regressions);
    else
        ++(candidate_pass ? fixes : both_fail);
}

namespace {

// log C(n, k) through lgamma. (glibc's lgamma sets the global `signgam`; the arguments here
// are positive, so the value is the same from every thread.)
double log_choose(double n, double k) {
    return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
}

// P(X <= m) for X ~ Binomial(n, 1/2) and 2m < n. The terms t_i = C(n, i) / 2^n grow with i up
// to n / 2, so t_m is the largest: sum the ratios
// t_i / t_m (each <= 1) from i = m down, stopping once they no longer change the sum, and
// scale by t_m computed in log space.
double binomial_half_cdf(std::size_t m, std::size_t n) {
    if (m >= n)
        return 1;
    double nd = static_cast<double>(n);
    double log_top = log_choose(nd, static_cast<double>(m)) - nd * std::numbers::ln2;
    double sum = 1;
    double term = 1;
    for (std::size_t i = m; i > 0; --i) {
        // t_{i-1} / t_i = i / (n - i + 1)
        term *= static_cast<double>(i) / (nd - static_cast<double>(i) + 1);
        double before = sum;
        sum += term;
        if (sum == before)
            break;
    }
    return std::exp(log_top + std::log(sum));
}

} // namespace

double mcnemar_exact_p(std::size_t regressions, std::size_t fixes) {
    std::size_t n = regressions + fixes;
    std::size_t low = std::min(regressions, fixes);
    if (n == 0 || 2 * low >= n)
        return 1; // b = c: the observed split is the most likely one
    return std::min(1.0, 2 * binomial_half_cdf(low, n));
}

namespace {

// Tango's score statistic Z(Δ) for the hypothesis p_B - p_A = Δ (see compare_paired).
double tango_z(double b, double c, double n, double delta) {
    double qa = 2 * n;
    double qb = -(b + c) + delta * (2 * n + b - c);
    double qc = -b * delta * (1 - delta);
    double root = std::sqrt(std::max(0.0, qb * qb - 4 * qa * qc));
    // The larger root of qa·q² + qb·q + qc, in the form that does not cancel for qb > 0.
    double q = qb > 0 ? -2 * qc / (root + qb) : (root - qb) / (2 * qa);
    double variance = n * (2 * q + delta - delta * delta);
    double numerator = c - b - n * delta;
    if (!(variance > 0)) // at Δ = ±1: the constrained table has no variation left
        return numerator > 0   ? std::numeric_limits<double>::infinity()
               : numerator < 0 ? -std::numeric_limits<double>::infinity()
                               : 0;
    return numerator / std::sqrt(variance);
}

// The bound of {Δ : |Z(Δ)| <= z} between `inside` (where |Z| <= z) and `outside`, by
// bisection until the two meet in the last bit. Z decreases in Δ.
double tango_bound(double b, double c, double n, double z, double inside, double outside) {
    for (int i = 0; i < 200; ++i) {
        double mid = inside + (outside - inside) / 2;
        if (mid == inside || mid == outside)
            break;
        (std::abs(tango_z(b, c, n, mid)) <= z ? inside : outside) = mid;
    }
    return inside;
}

} // namespace

std::optional<PairedComparison> compare_paired(const PairedCounts& counts, double confidence) {
    auto z = normal_critical_value(confidence);
    std::size_t total = counts.total();
    if (total == 0 || !z)
        return std::nullopt;
    double n = static_cast<double>(total);
    double b = static_cast<double>(counts.regressions);
    double c = static_cast<double>(counts.fixes);
    PairedComparison out;
    out.baseline_rate = static_cast<double>(counts.both_pass + counts.regressions) / n;
    out.candidate_rate = static_cast<double>(counts.both_pass + counts.fixes) / n;
    out.difference = (c - b) / n;
    out.p_value = mcnemar_exact_p(counts.regressions, counts.fixes);
    double lower =
        std::abs(tango_z(b, c, n, -1)) <= *z ? -1 : tango_bound(b, c, n, *z, out.difference, -1);
    double upper =
        std::abs(tango_z(b, c, n, 1)) <= *z ? 1 : tango_bound(b, c, n, *z, out.difference, 1);
    out.interval = {lower, upper};
    return out;
}

} // namespace llmops::stats

namespace llmops::stats {

std::optional<IndependentComparison> compare_independent(const IndependentCounts& c,
                                                         double confidence) {
    auto a = wilson_interval(c.baseline_passes, c.baseline_trials, confidence);
    auto b = wilson_interval(c.candidate_passes, c.candidate_trials, confidence);
    if (!a || !b) {
        return std::nullopt;
    }
    const double n1 = static_cast<double>(c.baseline_trials);
    const double n2 = static_cast<double>(c.candidate_trials);
    IndependentComparison out;
    out.baseline_rate = static_cast<double>(c.baseline_passes) / n1;
    out.candidate_rate = static_cast<double>(c.candidate_passes) / n2;
    const double p1 = out.baseline_rate;
    const double p2 = out.candidate_rate;
    out.difference = p2 - p1;
    out.interval.lower =
        std::max(-1.0, out.difference - std::sqrt((p2 - b->lower) * (p2 - b->lower) +
                                                  (a->upper - p1) * (a->upper - p1)));
    out.interval.upper =
        std::min(1.0, out.difference + std::sqrt((b->upper - p2) * (b->upper - p2) +
                                                 (p1 - a->lower) * (p1 - a->lower)));
    const double pooled = static_cast<double>(c.baseline_passes + c.candidate_passes) / (n1 + n2);
    const double se = std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
    out.p_value = se > 0 ? normal_two_sided_p(out.difference / se) : 1.0;
    return out;
}

} // namespace llmops::stats
