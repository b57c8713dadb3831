#pragma once
// Pass rates: the Wilson interval of one side and the paired comparison of two sides (McNemar's
// exact test and Tango's interval of the difference).

#include <cstddef>
#include <optional>

#include <llmops/stats/stats.hpp>

namespace llmops::stats {

// The Wilson score interval of a proportion, `successes` out of `trials`, at `confidence`:
//   centre = (k + z²/2) / (n + z²),  half-width = z / (n + z²) · sqrt(k (n - k) / n + z²/4)
// with z = Φ⁻¹((1 + confidence) / 2) (Wilson 1927; Agresti & Coull 1998). Unlike the Wald
// interval it stays inside [0, 1] and is not empty at k = 0 or k = n: it starts exactly at 0
// when k = 0 and ends exactly at 1 when k = n. Matches statsmodels'
// proportion_confint(method="wilson"). Returns nullopt when `trials` is 0, `successes` >
// `trials` or `confidence` is not in (0, 1).
std::optional<Interval> wilson_interval(std::size_t successes, std::size_t trials,
                                        double confidence = 0.95);

// The Wilson interval of a proportion `rate` observed over an effective sample size
// `effective_trials`, which need not be whole (n / deff for clustered outcomes: see
// clustered_proportion): the formula above with k = rate · n, in the equivalent form
//   centre = (p + z²/2n) / (1 + z²/n),  half-width = z / (1 + z²/n) · sqrt(p (1 - p) / n + z²/4n²)
// (statsmodels' proportion_confint(count=p·n, nobs=n, method="wilson") accepts such n too). It
// starts exactly at 0 when `rate` is 0 and ends exactly at 1 when it is 1. Returns nullopt when
// `effective_trials` is not a positive finite number, `rate` is outside [0, 1] or `confidence`
// is not in (0, 1).
std::optional<Interval> wilson_interval_of_rate(double rate, double effective_trials,
                                                double confidence = 0.95);

// Pass/fail outcomes of the same cases on a baseline (A) and a candidate (B): the 2x2 table
// of paired outcomes.
struct PairedCounts {
    std::size_t both_pass = 0;   // A pass, B pass
    std::size_t regressions = 0; // A pass, B fail (McNemar's b)
    std::size_t fixes = 0;       // A fail, B pass (McNemar's c)
    std::size_t both_fail = 0;   // A fail, B fail

    // Counts one case.
    void add(bool baseline_pass, bool candidate_pass);
    std::size_t total() const { return both_pass + regressions + fixes + both_fail; }
};

// McNemar's exact test of "A and B pass equally often": the two-sided p-value of the binomial
// test of b regressions among the b + c discordant cases with probability 1/2,
//   p = min(1, 2 · P(X <= min(b, c))),  X ~ Binomial(b + c, 1/2),
// which for p = 1/2 equals SciPy's binomtest(b, b + c, 0.5).pvalue and statsmodels'
// mcnemar(exact=True). 1 when b + c = 0 (no discordant case: no evidence) and when b = c. The
// terms are summed from the largest down, scaled by it computed in log space (lgamma), so large
// counts neither overflow nor lose the tail: the relative error grows with lgamma's rounding,
// about 1e-12 at b + c = 10⁴ and 1e-9 at 10⁶, and the p-value underflows to 0 only below
// ~1e-308.
double mcnemar_exact_p(std::size_t regressions, std::size_t fixes);

// The comparison of paired pass rates.
struct PairedComparison {
    double baseline_rate = 0;  // p_A = (both_pass + regressions) / n
    double candidate_rate = 0; // p_B = (both_pass + fixes) / n
    double difference = 0;     // Δ̂ = p_B - p_A = (c - b) / n
    Interval interval;         // of the difference: Tango's score interval
    double p_value = 1;        // McNemar's exact test
};

// Compares paired pass rates, candidate minus baseline. The interval of the difference is
// Tango's asymptotic score interval (Tango 1998, Stat Med 17:891; one of those recommended by
// Fagerland, Lydersen & Laake, "Recommended tests and confidence intervals for paired binomial
// proportions", Stat Med 2014): the Δ in [-1, 1] with |Z(Δ)| <= z, where
//   Z(Δ) = (c - b - nΔ) / sqrt(n (2 q + Δ - Δ²))
// and q is the maximum-likelihood estimate of P(regression) under p_B - p_A = Δ, the larger
// root of
//   2n q² - (b + c - Δ (2n + b - c)) q - b Δ (1 - Δ) = 0.
// Z(0) is McNemar's asymptotic statistic (c - b) / sqrt(b + c), so the interval excludes 0
// exactly when that test rejects at 1 - `confidence`; near the margin the exact p-value (which
// the verdict of §11 uses) may disagree. The bounds are found by bisection to full precision.
// It stays inside [-1, 1] and is not empty when b + c = 0: then it is ±z² / (n + z²), like a
// Wilson bound of 0 events. Returns nullopt when the table is empty or `confidence` is not in
// (0, 1).
std::optional<PairedComparison> compare_paired(const PairedCounts& counts,
                                               double confidence = 0.95);

} // namespace llmops::stats

namespace llmops::stats {

// Pass/fail outcomes of different cases on two sides (two windows of production calls): two
// independent binomial samples.
struct IndependentCounts {
    std::size_t baseline_passes = 0;
    std::size_t baseline_trials = 0;
    std::size_t candidate_passes = 0;
    std::size_t candidate_trials = 0;
};

// The comparison of independent pass rates.
struct IndependentComparison {
    double baseline_rate = 0;
    double candidate_rate = 0;
    double difference = 0; // candidate - baseline
    Interval interval;     // of the difference: Newcombe's hybrid score interval
    double p_value = 1;    // the pooled two-proportion z-test, two-sided
};

// Compares independent pass rates, candidate minus baseline. The interval is Newcombe's hybrid
// score interval (Newcombe 1998, Stat Med 17:873, method 10) from the two Wilson intervals
// (l₁, u₁) of p₁ (baseline) and (l₂, u₂) of p₂:
//   Δ - sqrt((p₂ - l₂)² + (u₁ - p₁)²),  Δ + sqrt((u₂ - p₂)² + (p₁ - l₁)²),  Δ = p₂ - p₁
// (statsmodels' confint_proportions_2indep(method="newcomb")); it stays in [-1, 1]. The p-value
// is the pooled z-test, z = Δ / sqrt(p̄ (1 - p̄) (1/n₁ + 1/n₂)) (scipy's chi2_contingency
// without correction gives the same p), 1 when p̄ is 0 or 1. Returns nullopt when a side has no
// trials, passes exceed trials or `confidence` is not in (0, 1).
std::optional<IndependentComparison> compare_independent(const IndependentCounts& counts,
                                                         double confidence = 0.95);

} // namespace llmops::stats
