#pragma once
// The standard normal distribution, which the intervals and tests of this module are built on.

#include <optional>

namespace llmops::stats {

// Φ(x), the standard normal cumulative distribution function, as erfc(-x / √2) / 2 (accurate
// in the lower tail too, where 1 - Φ(-x) would cancel). Φ(-∞) = 0, Φ(+∞) = 1; NaN gives NaN.
double normal_cdf(double x);

// Φ⁻¹(p), the standard normal quantile, e.g. 1.959963984540054 for p = 0.975. Acklam's rational
// approximation (relative error 1.15e-9) refined by one Halley step on Φ, which brings it to
// within a few ulps (6e-16 relative to SciPy's ndtri over [1e-300, 1)); p > 0.5 is computed as
// -Φ⁻¹(1 - p) so the function is exactly antisymmetric. Returns nullopt unless 0 < p < 1.
std::optional<double> normal_quantile(double p);

// The two-sided critical value z with P(|Z| <= z) = `confidence`, i.e. Φ⁻¹((1 + confidence) / 2):
// 1.959963984540054 for 0.95. Returns nullopt unless 0 < `confidence` < 1.
std::optional<double> normal_critical_value(double confidence);

// The two-sided p-value of a z statistic, P(|Z| >= |z|) = 2 Φ(-|z|): 1 for z = 0 and for a NaN z
// (0 / 0: a zero difference with a zero standard error), 0 for an infinite z.
double normal_two_sided_p(double z);

} // namespace llmops::stats
