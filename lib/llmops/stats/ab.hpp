#pragma once
// The statistics of an A/B test of prompt versions (`llmops ab`, SPEC §14): the sample-ratio-
// mismatch check (Pearson's chi-square goodness of fit), two independent pass rates compared
// (proportion.hpp's Newcombe interval and z-test, with Fisher's exact test for small counts),
// and Welch's t-test for mean scores. Pure functions; undefined values are nullopt, never NaN.

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include <llmops/stats/proportion.hpp>
#include <llmops/stats/stats.hpp>

namespace llmops::stats {

// Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function, for a > 0 and
// x >= 0: by its series (1 - P) when x < a + 1, else by its continued fraction evaluated with
// Lentz's method (Numerical Recipes, 3rd ed., §6.2), to a relative error of about 1e-15 in P or
// Q. SciPy's gammaincc. Returns nullopt outside that domain (or for NaN).
std::optional<double> regularized_gamma_q(double a, double x);

// I_x(a, b), the regularized incomplete beta function, for a, b > 0 and x in [0, 1], by its
// continued fraction (Numerical Recipes §6.4), using the symmetry I_x(a, b) = 1 - I_{1-x}(b, a)
// where the fraction converges faster. SciPy's betainc. Returns nullopt outside the domain.
std::optional<double> regularized_beta(double a, double b, double x);

// P(X >= x) for X chi-square with `dof` degrees of freedom: Q(dof / 2, x / 2). SciPy's
// chi2.sf. Returns nullopt unless dof > 0 and x >= 0.
std::optional<double> chi_square_sf(double x, double dof);

// P(|T| >= |t|) for T Student's t with `dof` (real, > 0) degrees of freedom:
// I_{dof / (dof + t²)}(dof / 2, 1 / 2). SciPy's 2 · t.sf(|t|, dof). Returns nullopt for dof <= 0.
std::optional<double> student_t_two_sided_p(double t, double dof);

// Pearson's chi-square test of goodness of fit.
struct GoodnessOfFit {
    double statistic = 0; // Σ (observed - expected)² / expected
    double dof = 0;       // categories - 1
    double p_value = 1;   // chi_square_sf(statistic, dof)
};

// Tests `observed` counts against proportions given by `weights` (any positive scale; the
// expected count of category i is n · w_i / Σ w): the sample-ratio-mismatch check of an A/B test,
// where a small p-value says the traffic did not split as configured. SciPy's
// chisquare(observed, f_exp). Returns nullopt with fewer than two categories, sizes that differ,
// a weight that is not positive and finite, or no observations.
std::optional<GoodnessOfFit> chi_square_goodness_of_fit(std::span<const std::size_t> observed,
                                                        std::span<const double> weights);

// Fisher's exact test of the 2x2 table [[a, b], [c, d]], two-sided: the sum of the probabilities
// (hypergeometric, margins fixed) of every table no more likely than the observed one, as
// SciPy's fisher_exact defines it; "no more likely" with a relative tolerance of 1e-7 (R's
// fisher.test), so tables equally likely in exact arithmetic count whatever the rounding. The
// probabilities come from the ratio of neighbouring terms, scaled at the mode, so nothing
// overflows. 1 when a margin is 0.
double fisher_exact_p(std::size_t a, std::size_t b, std::size_t c, std::size_t d);

// Which test gave a RateTest's p-value.
enum class ProportionTest { fisher_exact, z_test };

// "fisher exact" or "z-test".
std::string_view to_string(ProportionTest test);

// Two independent pass rates compared for a verdict.
struct RateTest {
    IndependentComparison comparison; // baseline = the control, candidate = the treatment
    ProportionTest test = ProportionTest::z_test;
};

// `compare_independent` (proportion.hpp: Newcombe's hybrid score interval of the difference and
// the pooled z-test), with the p-value of Fisher's exact test instead when an expected count of
// the 2x2 table (arms by pass and fail) is below 5, where the z-test's normal approximation
// fails. Returns nullopt as compare_independent does.
std::optional<RateTest> test_independent(const IndependentCounts& counts, double confidence = 0.95);

// A sample's size, mean and variance (with n - 1), for Welch's test.
struct SampleMoments {
    std::size_t n = 0;
    double mean = 0;
    double variance = 0;
};

// Welch's t-test of two means, treatment minus control.
struct WelchComparison {
    double difference = 0; // treatment mean - control mean
    double t = 0;
    double dof = 0;     // Welch–Satterthwaite
    double p_value = 1; // two-sided
    Interval interval;  // of the difference, at the confidence asked
};

// Welch's unequal-variances t-test (SciPy's ttest_ind(equal_var=False), or
// ttest_ind_from_stats): t = d / sqrt(v₁/n₁ + v₂/n₂), with the Welch–Satterthwaite degrees of
// freedom; the interval is d ± t* · se with t* the Student quantile, found by bisection. Returns
// nullopt when a side has fewer than two values, both variances are 0, or `confidence` is not in
// (0, 1).
std::optional<WelchComparison> welch_t_test(const SampleMoments& control,
                                            const SampleMoments& treatment,
                                            double confidence = 0.95);

} // namespace llmops::stats
