#pragma once
// The paired bootstrap, with its own random number generator so that a seed gives the same
// interval on every platform and standard library.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include <llmops/stats/stats.hpp>

namespace llmops::stats {

// xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2021),
// its state seeded from one 64-bit seed by splitmix64 as its authors recommend. std::
// distributions are implementation-defined, so this class draws bounded integers itself.
class Xoshiro256 {
public:
    explicit Xoshiro256(std::uint64_t seed);

    // The next 64 random bits.
    std::uint64_t next();

    // A uniform integer in [0, `bound`), without modulo bias: draws below 2^64 mod `bound` are
    // rejected (as OpenBSD's arc4random_uniform does), which happens with probability
    // < `bound` / 2^64. Returns 0 when `bound` is 0.
    std::uint64_t below(std::uint64_t bound);

private:
    std::uint64_t m_state[4];
};

// Fixed default seed of the bootstrap (any constant would do; this one is documented).
inline constexpr std::uint64_t k_default_bootstrap_seed = 20240611;

struct BootstrapOptions {
    std::size_t resamples = 10000; // B
    double confidence = 0.95;      // of the interval, in (0, 1)
    std::uint64_t seed = k_default_bootstrap_seed;
};

struct MeanDifference {
    double difference = 0; // mean(candidate - baseline) of the observed data
    Interval interval;     // the percentile bootstrap interval of the difference
};

// The paired percentile bootstrap of the difference of means of `candidate` and `baseline`,
// paired by index (the same case on both sides): B times, draw n indices with replacement,
// take the mean of candidate[i] - baseline[i] over the draw; the interval is the
// (1 - confidence)/2 and (1 + confidence)/2 percentiles of the B means (NumPy's linear
// percentile, like SciPy's bootstrap(method="percentile")). Efron & Tibshirani 1993, ch. 13.
// With repeats, pass the per-case means: resampling cases is the cluster bootstrap.
// Deterministic: the same inputs and options give the same interval, bit for bit, wherever
// IEEE doubles are (draws come from Xoshiro256, sums run in draw order). O(B n) time, O(B + n)
// memory. Returns nullopt when the sizes differ, the input is empty, a value is not finite,
// `resamples` is 0 or `confidence` is not in (0, 1).
std::optional<MeanDifference> paired_bootstrap(std::span<const double> baseline,
                                               std::span<const double> candidate,
                                               const BootstrapOptions& options = {});

} // namespace llmops::stats
