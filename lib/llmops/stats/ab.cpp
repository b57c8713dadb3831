#include <llmops/stats/ab.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <llmops/stats/distribution.hpp>
#include <llmops/stats/proportion.hpp>

namespace llmops::stats {

namespace {

constexpr double k_epsilon = std::numeric_limits<double>::epsilon();
constexpr double k_tiny = 1e-300; // Lentz's stand-in for a zero denominator
constexpr int k_max_iterations = 10000;

// P(a, x) by its series, for x < a + 1: e^{-x} x^a / Γ(a + 1) · Σ x^n / ((a + 1) ... (a + n)).
double gamma_p_series(double a, double x) {
    double term = 1 / a;
    double sum = term;
    for (int n = 1; n < k_max_iterations; ++n) {
        term *= x / (a + n);
        sum += term;
        if (std::abs(term) < std::abs(sum) * k_epsilon)
            break;
    }
    return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Q(a, x) by its continued fraction, for x >= a + 1 (modified Lentz).
double gamma_q_fraction(double a, double x) {
    double b = x + 1 - a;
    double c = 1 / k_tiny;
    double d = 1 / b;
    double h = d;
    for (int i = 1; i < k_max_iterations; ++i) {
        const double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (std::abs(d) < k_tiny)
            d = k_tiny;
        c = b + an / c;
        if (std::abs(c) < k_tiny)
            c = k_tiny;
        d = 1 / d;
        const double delta = d * c;
        h *= delta;
        if (std::abs(delta - 1) < k_epsilon)
            break;
    }
    return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

// The continued fraction of I_x(a, b) (Numerical Recipes' betacf, modified Lentz).
double beta_fraction(double a, double b, double x) {
    const double qab = a + b;
    const double qap = a + 1;
    const double qam = a - 1;
    const auto guard = [](double v) { return std::abs(v) < k_tiny ? k_tiny : v; };
    double c = 1;
    double d = 1 / guard(1 - qab * x / qap);
    double h = d;
    for (int m = 1; m < k_max_iterations; ++m) {
        const double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 / guard(1 + aa * d);
        c = guard(1 + aa / c);
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 / guard(1 + aa * d);
        c = guard(1 + aa / c);
        const double delta = d * c;
        h *= delta;
        if (std::abs(delta - 1) < k_epsilon)
            break;
    }
    return h;
}

} // namespace

std::optional<double> regularized_gamma_q(double a, double x) {
    if (!(a > 0) || !(x >= 0) || !std::isfinite(a))
        return std::nullopt;
    if (x == 0)
        return 1.0;
    if (std::isinf(x))
        return 0.0;
    if (x < a + 1)
        return 1 - gamma_p_series(a, x);
    return gamma_q_fraction(a, x);
}

std::optional<double> regularized_beta(double a, double b, double x) {
    if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1) || !std::isfinite(a) || !std::isfinite(b))
        return std::nullopt;
    if (x == 0 || x == 1)
        return x;
    const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                  a * std::log(x) + b * std::log1p(-x));
    if (x < (a + 1) / (a + b + 2))
        return front * beta_fraction(a, b, x) / a;
    return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

std::optional<double> chi_square_sf(double x, double dof) {
    if (!(dof > 0) || !(x >= 0))
        return std::nullopt;
    return regularized_gamma_q(dof / 2, x / 2);
}

std::optional<double> student_t_two_sided_p(double t, double dof) {
    if (!(dof > 0) || std::isnan(t))
        return std::nullopt;
    if (std::isinf(t))
        return 0.0;
    return regularized_beta(dof / 2, 0.5, dof / (dof + t * t));
}

std::optional<GoodnessOfFit> chi_square_goodness_of_fit(std::span<const std::size_t> observed,
                                                        std::span<const double> weights) {
    if (observed.size() < 2 || observed.size() != weights.size())
        return std::nullopt;
    double total_weight = 0;
    double n = 0;
    for (size_t i = 0; i < observed.size(); ++i) {
        if (!(weights[i] > 0) || !std::isfinite(weights[i]))
            return std::nullopt;
        total_weight += weights[i];
        n += static_cast<double>(observed[i]);
    }
    if (n == 0)
        return std::nullopt;
    GoodnessOfFit out;
    for (size_t i = 0; i < observed.size(); ++i) {
        const double expected = n * weights[i] / total_weight;
        const double gap = static_cast<double>(observed[i]) - expected;
        out.statistic += gap * gap / expected;
    }
    out.dof = static_cast<double>(observed.size() - 1);
    out.p_value = *chi_square_sf(out.statistic, out.dof);
    return out;
}

double fisher_exact_p(std::size_t a, std::size_t b, std::size_t c, std::size_t d) {
    // Margins: row 1 has r1 = a + b, column 1 has k = a + c, of N. X = the top-left cell is
    // hypergeometric on [max(0, k - r2), min(k, r1)].
    const size_t r1 = a + b;
    const size_t r2 = c + d;
    const size_t k = a + c;
    if (r1 == 0 || r2 == 0 || k == 0 || b + d == 0)
        return 1.0;
    const size_t low = k > r2 ? k - r2 : 0;
    const size_t high = std::min(k, r1);
    // Terms relative to the first: w(x + 1) / w(x) = (r1 - x)(k - x) / ((x + 1)(r2 - k + x + 1)),
    // then rescaled by the largest so that none overflows.
    std::vector<double> log_w(high - low + 1);
    for (size_t x = low; x < high; ++x) {
        const double ratio = static_cast<double>(r1 - x) * static_cast<double>(k - x) /
                             (static_cast<double>(x + 1) * static_cast<double>(r2 - k + x + 1));
        log_w[x - low + 1] = log_w[x - low] + std::log(ratio);
    }
    const double top = *std::max_element(log_w.begin(), log_w.end());
    const double observed = std::exp(log_w[a - low] - top);
    double total = 0;
    double tail = 0;
    for (const double lw : log_w) {
        const double w = std::exp(lw - top);
        total += w;
        if (w <= observed * (1 + 1e-7))
            tail += w;
    }
    return std::min(1.0, tail / total);
}

std::string_view to_string(ProportionTest test) {
    return test == ProportionTest::fisher_exact ? "fisher exact" : "z-test";
}

std::optional<RateTest> test_independent(const IndependentCounts& counts, double confidence) {
    auto comparison = compare_independent(counts, confidence);
    if (!comparison)
        return std::nullopt;
    RateTest out{*comparison, ProportionTest::z_test};
    const size_t n1 = counts.baseline_trials;
    const size_t n2 = counts.candidate_trials;
    const double n = static_cast<double>(n1 + n2);
    const double passes = static_cast<double>(counts.baseline_passes + counts.candidate_passes);
    // The smallest expected count is the smaller row's share of the smaller column.
    const double smallest_expected =
        static_cast<double>(std::min(n1, n2)) * std::min(passes, n - passes) / n;
    if (smallest_expected < 5) {
        out.test = ProportionTest::fisher_exact;
        out.comparison.p_value =
            fisher_exact_p(counts.baseline_passes, n1 - counts.baseline_passes,
                           counts.candidate_passes, n2 - counts.candidate_passes);
    }
    return out;
}

std::optional<WelchComparison> welch_t_test(const SampleMoments& control,
                                            const SampleMoments& treatment, double confidence) {
    if (control.n < 2 || treatment.n < 2 || !(confidence > 0 && confidence < 1))
        return std::nullopt;
    const double v1 = control.variance / static_cast<double>(control.n);
    const double v2 = treatment.variance / static_cast<double>(treatment.n);
    if (!(v1 + v2 > 0))
        return std::nullopt;
    WelchComparison out;
    out.difference = treatment.mean - control.mean;
    const double se = std::sqrt(v1 + v2);
    out.t = out.difference / se;
    out.dof = (v1 + v2) * (v1 + v2) /
              (v1 * v1 / static_cast<double>(control.n - 1) +
               v2 * v2 / static_cast<double>(treatment.n - 1));
    out.p_value = *student_t_two_sided_p(out.t, out.dof);
    // t* with P(|T| >= t*) = 1 - confidence, by bisection (the p-value falls as t grows).
    double low = 0;
    double high = 1;
    while (*student_t_two_sided_p(high, out.dof) > 1 - confidence && high < 1e12)
        high *= 2;
    for (int i = 0; i < 200 && high - low > 1e-15 * high; ++i) {
        const double mid = (low + high) / 2;
        (*student_t_two_sided_p(mid, out.dof) > 1 - confidence ? low : high) = mid;
    }
    const double critical = (low + high) / 2;
    out.interval = Interval{out.difference - critical * se, out.difference + critical * se};
    return out;
}

} // namespace llmops::stats
