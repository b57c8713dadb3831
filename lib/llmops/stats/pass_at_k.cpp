#include <llmops/stats/pass_at_k.hpp>

namespace llmops::stats {

namespace {

bool defined(std::size_t samples, std::size_t passes, std::size_t k) {
    return k > 0 && k <= samples && passes <= samples;
}

template <typename PerCase>
std::optional<double> mean_over(std::span<const CaseCounts> cases, std::size_t k, PerCase f) {
    if (cases.empty())
        return std::nullopt;
    double sum = 0;
    for (const CaseCounts& c : cases) {
        auto value = f(c.samples, c.passes, k);
        if (!value)
            return std::nullopt;
        sum += *value;
    }
    return sum / static_cast<double>(cases.size());
}

template <typename PerCase>
CaseMean mean_over_defined(std::span<const CaseCounts> cases, std::size_t k, PerCase f) {
    CaseMean out;
    double sum = 0;
    for (const CaseCounts& c : cases) {
        auto value = f(c.samples, c.passes, k);
        if (!value) {
            ++out.left_out;
            continue;
        }
        sum += *value;
        ++out.cases;
    }
    if (out.cases > 0)
        out.mean = sum / static_cast<double>(out.cases);
    return out;
}

} // namespace

std::optional<double> pass_at_k(std::size_t samples, std::size_t passes, std::size_t k) {
    if (!defined(samples, passes, k))
        return std::nullopt;
    if (samples - passes < k)
        return 1.0;      // every draw of k contains a pass
    double all_fail = 1; // C(n - c, k) / C(n, k)
    for (std::size_t i = samples - passes + 1; i <= samples; ++i)
        all_fail *= 1 - static_cast<double>(k) / static_cast<double>(i);
    return 1 - all_fail;
}

std::optional<double> pass_hat_k(std::size_t samples, std::size_t passes, std::size_t k) {
    if (!defined(samples, passes, k))
        return std::nullopt;
    if (passes < k)
        return 0.0;
    double all_pass = 1;
    for (std::size_t i = 0; i < k; ++i)
        all_pass *= static_cast<double>(passes - i) / static_cast<double>(samples - i);
    return all_pass;
}

std::optional<double> mean_pass_at_k(std::span<const CaseCounts> cases, std::size_t k) {
    return mean_over(cases, k, pass_at_k);
}

std::optional<double> mean_pass_hat_k(std::span<const CaseCounts> cases, std::size_t k) {
    return mean_over(cases, k, pass_hat_k);
}

CaseMean pass_at_k_over_cases(std::span<const CaseCounts> cases, std::size_t k) {
    return mean_over_defined(cases, k, pass_at_k);
}

CaseMean pass_hat_k_over_cases(std::span<const CaseCounts> cases, std::size_t k) {
    return mean_over_defined(cases, k, pass_hat_k);
}

bool is_flaky(const CaseCounts& counts) {
    return counts.passes > 0 && counts.passes < counts.samples;
}

} // namespace llmops::stats
