#include <llmops/stats/bootstrap.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

namespace llmops::stats {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
}

} // namespace

Xoshiro256::Xoshiro256(std::uint64_t seed) {
    // splitmix64 never yields four zero words, the one state xoshiro must not start in.
    for (std::uint64_t& word : m_state)
        word = splitmix64(seed);
}

std::uint64_t Xoshiro256::next() {
    std::uint64_t* s = m_state;
    std::uint64_t result = std::rotl(s[1] * 5, 7) * 9;
    std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = std::rotl(s[3], 45);
    return result;
}

std::uint64_t Xoshiro256::below(std::uint64_t bound) {
    if (bound == 0)
        return 0;
    // 2^64 mod bound, in 64-bit arithmetic: (2^64 - bound) mod bound.
    std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        std::uint64_t r = next();
        if (r >= threshold) // [threshold, 2^64) holds a whole number of copies of [0, bound)
            return r % bound;
    }
}

std::optional<MeanDifference> paired_bootstrap(std::span<const double> baseline,
                                               std::span<const double> candidate,
                                               const BootstrapOptions& options) {
    std::size_t n = baseline.size();
    if (n == 0 || candidate.size() != n || options.resamples == 0 ||
        !(options.confidence > 0 && options.confidence < 1))
        return std::nullopt;
    std::vector<double> differences(n);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        differences[i] = candidate[i] - baseline[i];
        if (!std::isfinite(differences[i]))
            return std::nullopt;
        sum += differences[i];
    }
    double size = static_cast<double>(n);

    Xoshiro256 rng(options.seed);
    std::vector<double> means(options.resamples);
    for (double& m : means) {
        double resampled = 0;
        for (std::size_t i = 0; i < n; ++i)
            resampled += differences[rng.below(n)];
        m = resampled / size;
    }
    std::sort(means.begin(), means.end());
    double tail = (1 - options.confidence) / 2 * 100;
    return MeanDifference{sum / size, Interval{*percentile_of_sorted(means, tail),
                                               *percentile_of_sorted(means, 100 - tail)}};
}

} // namespace llmops::stats
