#pragma once
// pass@k and pass^k for cases run several times (repeats).

#include <cstddef>
#include <optional>
#include <span>

namespace llmops::stats {

// How one case fared over its repeats.
struct CaseCounts {
    std::size_t samples = 0; // repeats that produced a result (errors excluded)
    std::size_t passes = 0;  // of which passed
};

// pass@k: the probability that at least one of k samples drawn without replacement from the
// case's n samples passes, the unbiased estimator of Chen et al. 2021 ("Evaluating Large
// Language Models Trained on Code", eq. 1): 1 - C(n - c, k) / C(n, k), computed as
// 1 - ∏_{i=n-c+1}^{n} (1 - k / i) (no factorials, no overflow). 1 when n - c < k. Returns
// nullopt when k = 0, k > n or c > n.
std::optional<double> pass_at_k(std::size_t samples, std::size_t passes, std::size_t k);

// pass^k: the probability that all k samples drawn without replacement pass (Yao et al. 2024,
// τ-bench), C(c, k) / C(n, k) = ∏_{i=0}^{k-1} (c - i) / (n - i); 0 when c < k. Returns nullopt
// when k = 0, k > n or c > n.
std::optional<double> pass_hat_k(std::size_t samples, std::size_t passes, std::size_t k);

// The mean of pass_at_k (pass_hat_k) over `cases`, each case weighing the same. Returns nullopt
// when `cases` is empty or the value is undefined for any case (in particular a case with
// fewer than k samples: choose k <= the smallest number of samples).
std::optional<double> mean_pass_at_k(std::span<const CaseCounts> cases, std::size_t k);
std::optional<double> mean_pass_hat_k(std::span<const CaseCounts> cases, std::size_t k);

// A mean over cases of a per-case estimate that is defined only for some of them.
struct CaseMean {
    std::optional<double> mean; // nullopt when no case is counted
    std::size_t cases = 0;      // the cases averaged
    std::size_t left_out = 0;   // the cases with fewer than k samples (0 included), left out
};

// pass@k (pass^k) as Chen et al. average it, each case with its own n: the mean of
// pass_at_k(n_i, c_i, k) over the cases with n_i >= k; the others are left out and counted, not
// estimated with a smaller k (a case with an errored repeat would otherwise pull the whole side
// down to pass@(k-1)). Returns no mean when k = 0 or no case has k samples.
CaseMean pass_at_k_over_cases(std::span<const CaseCounts> cases, std::size_t k);
CaseMean pass_hat_k_over_cases(std::span<const CaseCounts> cases, std::size_t k);

// A case is flaky when it both passed and failed over its repeats (0 < passes < samples).
bool is_flaky(const CaseCounts& counts);

} // namespace llmops::stats
