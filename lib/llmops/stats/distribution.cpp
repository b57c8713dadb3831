#include <llmops/stats/distribution.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace llmops::stats {

double normal_cdf(double x) {
    return 0.5 * std::erfc(-x / std::numbers::sqrt2);
}

namespace {

// Acklam's approximation of Φ⁻¹ for 0 < p <= 0.5 (Peter J. Acklam, "An algorithm for computing
// the inverse normal cumulative distribution function", 2003): a rational function of p - 1/2
// in the centre and of sqrt(-2 log p) in the tail.
double acklam_lower_half(double p) {
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                   -2.759285104469687e+02, 1.383577518672690e+02,
                                   -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                   -1.556989798598866e+02, 6.680131188771972e+01,
                                   -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                   -2.400758277161838e+00, -2.549732539343734e+00,
                                   4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                   2.445134137142996e+00, 3.754408661907416e+00};
    if (p < 0.02425) {
        double q = std::sqrt(-2 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5;
    double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

} // namespace

std::optional<double> normal_quantile(double p) {
    if (!(p > 0 && p < 1))
        return std::nullopt;
    if (p > 0.5)
        return -*normal_quantile(1 - p); // 1 - p is exact here (Sterbenz)
    double x = acklam_lower_half(p);
    // One Halley step on f(x) = Φ(x) - p, with f'/f'' known in closed form: the error goes from
    // ~1e-9 to the rounding of erfc. u = f / f' = (Φ(x) - p) √(2π) e^{x²/2}.
    double e = normal_cdf(x) - p;
    double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
    if (!std::isfinite(u))
        return x; // p is subnormal: e^{x²/2} overflows; Acklam's value is still within 1e-9
    return x - u / (1 + x * u / 2);
}

std::optional<double> normal_critical_value(double confidence) {
    if (!(confidence > 0 && confidence < 1))
        return std::nullopt;
    // Φ⁻¹((1 + c) / 2) computed as -Φ⁻¹((1 - c) / 2), which keeps the digits of a small tail.
    return -*normal_quantile((1 - confidence) / 2);
}

double normal_two_sided_p(double z) {
    return std::min(1.0, 2 * normal_cdf(-std::abs(z)));
}

} // namespace llmops::stats
