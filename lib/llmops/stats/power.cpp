#include <llmops/stats/power.hpp>

#include <algorithm>
#include <cmath>

#include <llmops/stats/distribution.hpp>

namespace llmops::stats {

namespace {

bool inside(double x, double low, double high) {
    return x > low && x < high;
}

Expected<void> check(const PowerQuestion& q) {
    if (!inside(q.baseline, 0, 1))
        return fail(ErrorCode::invalid_input, "baseline pass rate {} is not between 0 and 1",
                    q.baseline);
    if (!(q.delta > 0 && q.delta <= q.baseline))
        return fail(ErrorCode::invalid_input,
                    "drop {} is not more than 0 and at most the baseline pass rate {}", q.delta,
                    q.baseline);
    if (!inside(q.alpha, 0, 1))
        return fail(ErrorCode::invalid_input, "significance level {} is not between 0 and 1",
                    q.alpha);
    if (!inside(q.power, 0, 1))
        return fail(ErrorCode::invalid_input, "power {} is not between 0 and 1", q.power);
    if (q.repeats == 0)
        return fail(ErrorCode::invalid_input, "repeats must be at least 1");
    if (!(q.icc >= 0 && q.icc <= 1))
        return fail(ErrorCode::invalid_input, "intra-case correlation {} is not between 0 and 1",
                    q.icc);
    return {};
}

// ψ for the paired design: given, checked against what the baseline allows, or derived.
Expected<double> discordance(const PowerQuestion& q) {
    double p1 = q.baseline;
    double p2 = q.baseline - q.delta;
    if (!q.discordance)
        return p1 * (1 - p2) + p2 * (1 - p1);
    double psi = *q.discordance;
    if (!(psi >= q.delta && psi <= 1))
        return fail(ErrorCode::invalid_input, "discordance {} is not between the drop {} and 1",
                    psi, q.delta);
    // Regressions (ψ + δ) / 2 need baseline passes; fixes (ψ - δ) / 2 need baseline failures.
    if ((psi + q.delta) / 2 > p1 || (psi - q.delta) / 2 > 1 - p1)
        return fail(ErrorCode::invalid_input,
                    "discordance {} is impossible with a baseline pass rate of {} and a drop of {}",
                    psi, p1, q.delta);
    return psi;
}

} // namespace

Expected<SampleSize> sample_size(const PowerQuestion& q, Design design) {
    LLMOPS_TRY(check(q));
    double z_alpha = *normal_critical_value(1 - q.alpha);
    double z_power = *normal_quantile(q.power);
    double p1 = q.baseline;
    double p2 = q.baseline - q.delta;
    SampleSize out;
    double root = 0;
    if (design == Design::independent) {
        double pooled = (p1 + p2) / 2;
        root = z_alpha * std::sqrt(2 * pooled * (1 - pooled)) +
               z_power * std::sqrt(p1 * (1 - p1) + p2 * (1 - p2));
    } else {
        auto psi = LLMOPS_TRY(discordance(q));
        out.discordance = psi;
        root = z_alpha * std::sqrt(psi) + z_power * std::sqrt(psi - q.delta * q.delta);
    }
    // root <= 0 only when `power` is so low that no data at all already achieves it.
    root = std::max(root, 0.0);
    double independent_runs = root * root / (q.delta * q.delta);
    double m = static_cast<double>(q.repeats);
    out.repeats = q.repeats;
    out.design_effect = 1 + (m - 1) * q.icc;
    out.cases_exact = independent_runs * out.design_effect / m;
    out.cases = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(out.cases_exact)));
    out.runs = out.cases * out.repeats;
    return out;
}

} // namespace llmops::stats
