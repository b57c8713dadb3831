#include <llmops/stats/bootstrap.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include <doctest/doctest.h>

namespace stats = llmops::stats;

TEST_SUITE("stats") {

    TEST_CASE("stats::Xoshiro256") {
        // Reference: a Python transcription of splitmix64 seeding and xoshiro256**
        // (prng.di.unimi.it/xoshiro256starstar.c), run with /usr/bin/python3:
        //   M=(1<<64)-1; rotl=lambda x,k: ((x<<k)|(x>>(64-k)))&M
        //   def seeded(x):
        //       s=[]
        //       for _ in range(4):
        //           x=(x+0x9e3779b97f4a7c15)&M; z=x; z=((z^(z>>30))*0xbf58476d1ce4e5b9)&M
        //           z=((z^(z>>27))*0x94d049bb133111eb)&M; s.append(z^(z>>31))
        //       return s
        //   def nxt(s):
        //       r=(rotl((s[1]*5)&M,7)*9)&M; t=(s[1]<<17)&M
        //       s[2]^=s[0]; s[3]^=s[1]; s[1]^=s[2]; s[0]^=s[3]; s[2]^=t; s[3]=rotl(s[3],45)
        //       return r
        //   def below(s,n):
        //       th=((1<<64)-n)%n
        //       while True:
        //           r=nxt(s)
        //           if r>=th: return r%n
        //   s=seeded(0); print([hex(nxt(s)) for _ in range(4)])
        //   s=seeded(7); print([below(s,10) for _ in range(12)])
        //   s=seeded(7); print([below(s,3) for _ in range(5)], below(s,(1<<63)+1))
        SUBCASE("the sequence is pinned, so an interval is the same on every platform") {
            stats::Xoshiro256 rng(0);
            CHECK(rng.next() == 0x99ec5f36cb75f2b4);
            CHECK(rng.next() == 0xbf6e1f784956452a);
            CHECK(rng.next() == 0x1a5f849d4933e6e0);
            CHECK(rng.next() == 0x6aa594f1262d2d2c);
        }
        SUBCASE("bounded draws") {
            stats::Xoshiro256 rng(7);
            std::vector<std::uint64_t> draws;
            for (int i = 0; i < 12; ++i)
                draws.push_back(rng.below(10));
            CHECK(draws == std::vector<std::uint64_t>{4, 4, 8, 4, 4, 1, 6, 6, 8, 9, 3, 6});
            stats::Xoshiro256 again(7);
            std::vector<std::uint64_t> small;
            for (int i = 0; i < 5; ++i)
                small.push_back(again.below(3));
            CHECK(small == std::vector<std::uint64_t>{0, 2, 0, 1, 2});
            // A bound above 2^63 rejects almost half of the draws.
            CHECK(again.below((std::uint64_t{1} << 63) + 1) == 6876465445380131912u);
            CHECK(again.below(1) == 0);
            CHECK(again.below(0) == 0);
        }
    }

    TEST_CASE("stats::paired_bootstrap") {
        // A known difference: candidate = baseline + 0.1 ± 0.05, the noise summing to 0.
        std::vector<double> baseline, candidate;
        for (int i = 0; i < 200; ++i) {
            baseline.push_back(0.3 + 0.6 * std::fmod(i * 0.618034, 1.0));
            candidate.push_back(baseline.back() + 0.1 + (i % 2 == 0 ? 0.05 : -0.05));
        }
        SUBCASE("covers the true difference and excludes 0") {
            auto result = stats::paired_bootstrap(baseline, candidate);
            REQUIRE(result);
            CHECK(result->difference == doctest::Approx(0.1).epsilon(1e-12));
            CHECK(result->interval.contains(0.1));
            CHECK(result->interval.lower > 0.09);
            CHECK(result->interval.upper < 0.11);
        }
        SUBCASE("no difference: covers 0") {
            std::vector<double> shuffled;
            for (std::size_t i = 0; i < baseline.size(); ++i)
                shuffled.push_back(baseline[i] + (i % 2 == 0 ? 0.2 : -0.2));
            auto result = stats::paired_bootstrap(baseline, shuffled);
            CHECK(result->interval.contains(0));
        }
        SUBCASE("reproducible: same seed, same interval; another seed, another") {
            auto first = stats::paired_bootstrap(baseline, candidate, {.seed = 42});
            auto second = stats::paired_bootstrap(baseline, candidate, {.seed = 42});
            auto other = stats::paired_bootstrap(baseline, candidate, {.seed = 43});
            CHECK(first->interval == second->interval);
            CHECK_FALSE(first->interval == other->interval);
        }
        SUBCASE("one case: a point") {
            auto result =
                stats::paired_bootstrap(std::vector<double>{0.2}, std::vector<double>{0.5});
            CHECK(result->interval.lower == doctest::Approx(0.3));
            CHECK(result->interval.upper == doctest::Approx(0.3));
        }
        SUBCASE("undefined: empty, sizes differ, non-finite, no resamples, bad confidence") {
            std::vector<double> one{1.0};
            CHECK_FALSE(stats::paired_bootstrap({}, {}));
            CHECK_FALSE(stats::paired_bootstrap(one, baseline));
            CHECK_FALSE(stats::paired_bootstrap(one, std::vector<double>{std::nan("")}));
            CHECK_FALSE(stats::paired_bootstrap(one, one, {.resamples = 0}));
            CHECK_FALSE(stats::paired_bootstrap(one, one, {.confidence = 1}));
        }
    }

    TEST_CASE("stats::paired_bootstrap agrees with SciPy's percentile bootstrap") {
        // Not bit for bit (the generators differ) but within Monte Carlo error (the standard
        // error of each bound is about 0.0004 here). Data and reference:
        //   /usr/bin/python3 -c "import numpy as np; from scipy.stats import bootstrap
        //     rng=np.random.default_rng(1); base=np.round(rng.uniform(0,1,60),2)
        //     cand=np.round(np.clip(base+0.1+rng.normal(0,0.15,60),0,1),2)
        //     print(list(base), list(cand), np.mean(cand-base))
        //     print(bootstrap(((cand-base),), np.mean, n_resamples=10000, method='percentile',
        //                     random_state=0).confidence_interval)"
        //   -> mean 0.08433333333333334, (low=0.05766666666666668, high=0.11033333333333332)
        const std::vector<double> base{0.51, 0.95, 0.14, 0.95, 0.31, 0.42, 0.83, 0.41, 0.55, 0.03,
                                       0.75, 0.54, 0.33, 0.79, 0.3,  0.45, 0.13, 0.4,  0.2,  0.26,
                                       0.75, 0.28, 0.49, 0.98, 0.96, 0.72, 0.54, 0.28, 0.16, 0.97,
                                       0.52, 0.12, 0.62, 0.78, 0.61, 0.92, 0.04, 0.53, 0.46, 0.06,
                                       0.64, 0.85, 0.59, 0.26, 0.84, 0.51, 0.51, 0.75, 0.15, 0.82,
                                       0.68, 0.79, 0.19, 0.8,  0.19, 0.08, 0.86, 0.86, 0.88, 0.47};
        const std::vector<double> cand{0.56, 1.0,  0.28, 0.9,  0.24, 0.55, 0.86, 0.55, 0.76, 0.0,
                                       0.89, 0.82, 0.39, 0.77, 0.51, 0.59, 0.36, 0.45, 0.08, 0.34,
                                       0.78, 0.5,  0.62, 0.84, 0.88, 0.95, 0.74, 0.28, 0.26, 1.0,
                                       0.69, 0.35, 0.76, 0.87, 0.67, 1.0,  0.0,  0.61, 0.56, 0.0,
                                       0.79, 0.85, 0.82, 0.34, 1.0,  0.79, 0.67, 0.72, 0.02, 1.0,
                                       0.76, 0.79, 0.31, 0.87, 0.42, 0.19, 0.96, 0.85, 1.0,  0.41};
        auto result = stats::paired_bootstrap(base, cand);
        REQUIRE(result);
        CHECK(result->difference == doctest::Approx(0.08433333333333334).epsilon(1e-12));
        CHECK(std::abs(result->interval.lower - 0.05766666666666668) < 0.002);
        CHECK(std::abs(result->interval.upper - 0.11033333333333332) < 0.002);
    }

} // TEST_SUITE
