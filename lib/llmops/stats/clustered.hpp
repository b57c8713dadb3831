#pragma once
// Standard errors of means when each case is run several times: the repeats of one case are
// correlated (the case is hard or easy), so treating them as independent observations would
// understate the error. The remedy is the cluster-robust ("sandwich") standard error with the
// case as the cluster (Miller 2024, "Adding Error Bars to Evals", arXiv:2411.00640, on clustered
// questions).

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include <llmops/stats/stats.hpp>

namespace llmops::stats {

// A mean and its standard error.
struct MeanEstimate {
    double mean = 0;
    double standard_error = 0;
    std::size_t observations = 0; // N, all repeats of all cases
    std::size_t clusters = 0;     // G, cases with at least one observation
};

// The mean of all observations (`cases[g]` holds the scores of case g's repeats, e.g. 0/1 for
// pass/fail) and its cluster-robust standard error with the usual small-sample factor (CR1):
//   SE² = G / (G - 1) · (1 / N²) · Σ_g (Σ_{i in g} (s_i - s̄))²
// the intercept-only case of statsmodels' OLS(...).fit(cov_type="cluster"). With one
// observation per case it is the ordinary s / √N (sample standard deviation, N - 1); Miller's
// formula differs only in applying the small-sample factor to the within-observation part alone.
// Cases without observations are skipped. Returns nullopt when fewer than 2 cases have
// observations (no between-case variation to estimate) or a value is not finite.
std::optional<MeanEstimate> clustered_mean(std::span<const std::vector<double>> cases);

// A pass rate over repeated cases with its interval.
struct ClusteredProportion {
    double rate = 0;              // passes / N
    double design_effect = 1;     // deff, >= 1
    double effective_n = 0;       // N / deff
    Interval interval;            // Wilson at effective_n
    std::size_t observations = 0; // N
    std::size_t clusters = 0;     // G
};

// The proportion of 0/1 outcomes (`cases[g]` holds case g's repeats) with the Wilson interval at
// the effective sample size N / deff (Kish 1965, "Survey Sampling", §8.2), where the design
// effect deff = SE²_clustered / (p (1 - p) / N) is the clustered variance of clustered_mean over
// the variance the same N outcomes would have if independent. deff is clamped to >= 1: repeats
// never count for more than independent cases would. When it cannot be estimated (p is 0 or 1,
// so neither variance has anything to measure, or fewer than 2 cases) each case counts once:
// N / deff = G, the design effect of fully correlated repeats. The interval stays in [0, 1] and
// is never of zero width, unlike the normal interval p ± z·SE. Returns nullopt when there is no
// observation, a value is not 0 or 1, or `confidence` is not in (0, 1).
std::optional<ClusteredProportion> clustered_proportion(std::span<const std::vector<double>> cases,
                                                        double confidence = 0.95);

// The difference of means, candidate minus baseline, of the same cases on two sides
// (`baseline[g]` and `candidate[g]` are case g's repeats on each side), with its
// cluster-robust standard error, which accounts for the pairing through the per-case
// covariance of the two sides:
//   SE² = G / (G - 1) · Σ_g (Σ_{i in g} (b_i - b̄) / N_B - Σ_{i in g} (a_i - ā) / N_A)²
// With equal repeats on both sides for every case this is sd(d_g) / √G of the per-case
// differences of means d_g (Miller 2024, on paired differences). Pass only cases present on
// both sides. Returns nullopt when the sizes differ, a side has no observations, fewer than 2
// cases have observations or a value is not finite.
std::optional<MeanEstimate> clustered_difference(std::span<const std::vector<double>> baseline,
                                                 std::span<const std::vector<double>> candidate);

} // namespace llmops::stats
