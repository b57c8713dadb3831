#pragma once
// Two-sample statistics of drift between a reference and a current window (SPEC §14, `llmops
// drift`): the population stability index, the two-sample Kolmogorov-Smirnov test, the
// Jensen-Shannon distance of two distributions, the distance of mean embeddings with its
// permutation test, and the difference of two independent proportions. Pure functions; each is
// tested against SciPy 1.10.1 / statsmodels 0.13.5 values (tests/unit/stats/test_drift.cpp).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <llmops/stats/bootstrap.hpp>
#include <llmops/stats/stats.hpp>

namespace llmops::stats {

// The number of quantile bins of the population stability index (deciles).
inline constexpr std::size_t k_psi_bins = 10;
// What an empty bin's proportion becomes before the logarithm (a common choice; without it one
// empty bin makes the index infinite).
inline constexpr double k_psi_epsilon = 1e-4;

// The population stability index of a numeric feature, `current` against `reference`:
//   PSI = Σᵢ (cᵢ - rᵢ) · ln(cᵢ / rᵢ)
// over bins cut at the reference's quantiles: the edges are its percentiles 100·k/`bins`,
// k = 1..bins-1 (NumPy's linear percentile, `stats::percentile`), duplicates dropped (ties in the
// reference merge bins), so the outer bins are open-ended: (-∞, e₁], (e₁, e₂], ..., (eₖ, +∞); a
// value equal to an edge falls in the bin the edge closes (NumPy's searchsorted(side='left')).
// rᵢ and cᵢ are the fractions of each sample in bin i, an empty bin's taken as `epsilon`.
// Common reading: < 0.1 no shift, 0.1-0.2 moderate, > 0.2 significant. Returns nullopt when a
// sample is empty, a value is not finite, `bins` < 2 or `epsilon` is not in (0, 1).
std::optional<double> population_stability_index(std::span<const double> reference,
                                                 std::span<const double> current,
                                                 std::size_t bins = k_psi_bins,
                                                 double epsilon = k_psi_epsilon);

// How the p-value of a Kolmogorov-Smirnov test was computed.
enum class KsMethod { exact, asymptotic };

struct KsTest {
    double statistic = 0; // D = sup |F_a(x) - F_b(x)| of the two empirical distributions
    double p_value = 1;   // two-sided
    KsMethod method = KsMethod::exact;
};

// The two-sample Kolmogorov-Smirnov test, two-sided, as SciPy 1.10's ks_2samp(a, b) with its
// default method='auto': exact when max(n, m) <= 10000 (SciPy's MAX_AUTO_N; n = m by the
// closed-form sum of Hodges' reflections, _compute_prob_outside_square; otherwise the lattice
// path recursion for 1 - p of Viehmann 2021, arXiv:2102.08037, which SciPy runs), and when
// larger, or when the exact sum fails, asymptotic: the distribution of the one-sample statistic
// with n' = round(n m / (n + m)), kolmogorov_sf(n', D), as SciPy's kstwo.sf(D, n'). Ties are
// handled as SciPy does (the empirical distributions are compared at every sample value).
// Returns nullopt when a sample is empty or holds a value that is not finite.
std::optional<KsTest> ks_two_sample(std::span<const double> a, std::span<const double> b);

// P(Dₙ >= `x`), the survival function of the two-sided one-sample Kolmogorov statistic for a
// sample of `n` (SciPy's kstwo.sf(x, n), Simard & L'Ecuyer 2011's choice of method by n and
// n x²): the Ruben-Gambino closed forms at the ends, twice the one-sided exact Smirnov tail
// (Birnbaum-Tingey sum, in log space) where it is exact or accurate, the Durbin matrix (Marsaglia,
// Tsang & Wang 2003) and the Pelz-Good series elsewhere. SciPy uses Pomeranz's recursion for
// n <= 140 and 0.754693 < n x² <= 4, where this uses the Durbin matrix, which is exact there
// too. Returns nullopt when `n` < 1 or `x` is NaN.
std::optional<double> kolmogorov_sf(std::int64_t n, double x);

// The Jensen-Shannon distance between two distributions given as counts (or weights) over the
// same categories, in bits: sqrt(JSD(P ‖ Q)) with JSD = (KL(P ‖ M) + KL(Q ‖ M)) / 2, M = (P + Q)
// / 2, P and Q the weights normalized to sum 1; what SciPy's
// scipy.spatial.distance.jensenshannon(p, q, base=2) returns. It is a metric in [0, 1]: 0 for
// the same distribution, 1 for distributions with no category in common; the divergence is its
// square. Returns nullopt when the sizes differ, a side sums to 0, or a weight is negative or
// not finite.
std::optional<double> jensen_shannon_distance(std::span<const double> p, std::span<const double> q);

// The default number of permutations of embedding_shift, and its seed.
inline constexpr std::size_t k_default_permutations = 1000;
inline constexpr std::uint64_t k_default_permutation_seed = 20261107;

struct EmbeddingShift {
    double distance = 0; // Euclidean distance between the two mean vectors
    double cosine_distance =
        0;              // 1 - cosine similarity of the two mean vectors (0 when either is 0)
    double p_value = 1; // of the permutation test of `distance`
    std::size_t permutations = 0;
};

// The shift between two sets of embeddings: the distance between their mean vectors, and a
// permutation test of "both sets come from one distribution": `permutations` times, the pooled
// vectors are shuffled (Fisher-Yates with Xoshiro256 seeded with `seed`, so reproducible on
// every platform) and split into sets of the original sizes; p = (1 + #{distance >= observed})
// / (1 + permutations) (Phipson & Smyth 2010: never 0), a permuted distance counting as >= when
// it falls short by less than 1e-12 relative (rounding). O(permutations · n · dimension).
// Returns nullopt when a set is empty, the vectors' lengths differ or are 0, a value is not
// finite, or `permutations` is 0.
std::optional<EmbeddingShift> embedding_shift(std::span<const std::vector<double>> reference,
                                              std::span<const std::vector<double>> current,
                                              std::size_t permutations = k_default_permutations,
                                              std::uint64_t seed = k_default_permutation_seed);

} // namespace llmops::stats
