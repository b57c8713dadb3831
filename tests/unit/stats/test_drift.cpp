#include <llmops/stats/drift.hpp>
#include <llmops/stats/proportion.hpp>

#include <cmath>
#include <vector>

#include <doctest/doctest.h>

#include "near.hpp"

namespace stats = llmops::stats;
using stats::testing::near;
using stats::testing::near_relative;

namespace {

// ((i · mul) mod modulus) / divisor + shift for i in 0..n-1: data the Python commands below
// generate the same way (`gen`).
std::vector<double> gen(int n, long mul, long modulus, double divisor, double shift = 0) {
    std::vector<double> out;
    for (long i = 0; i < n; ++i)
        out.push_back(static_cast<double>((i * mul) % modulus) / divisor + shift);
    return out;
}

const std::vector<double> k_a = {0.61, 0.29,  0.06, 0.59,  -1.73, -0.74, 0.51, -0.56, 0.39, 1.64,
                                 0.05, -0.06, 0.64, -0.82, 0.37,  1.77,  1.09, -1.28, 2.36, 1.31};
const std::vector<double> k_b = {1.05, 0.98, 2.01, -0.1, 0.77, 1.52, 0.3, 2.2, 1.4,  0.9,
                                 1.8,  0.0,  1.1,  2.7,  0.45, 1.25, 0.6, 1.9, 1.33, 0.85};
const std::vector<double> k_c = {0.5, 1.5, 2.5, 0.2, 1.0, 3.1, 0.8};

} // namespace

TEST_SUITE("stats") {

    TEST_CASE("stats::population_stability_index") {
        // Reference: NumPy 1.24.2, deciles of the reference as bins (/usr/bin/python3):
        //   def gen(n, mul, mod, div, shift=0.0): return [((i*mul) % mod)/div + shift
        //                                                 for i in range(n)]
        //   def psi(ref, cur, eps=1e-4):
        //     edges=np.unique(np.percentile(ref, np.arange(10,100,10)))
        //     r=np.bincount(np.searchsorted(edges, ref, side='left'),
        //                   minlength=len(edges)+1)/len(ref)
        //     c=np.bincount(np.searchsorted(edges, cur, side='left'),
        //                   minlength=len(edges)+1)/len(cur)
        //     r=np.where(r==0,eps,r); c=np.where(c==0,eps,c)
        //     return np.sum((c-r)*np.log(c/r))
        //   psi(gen(300,37,101,10), gen(250,53,103,10,0.4))   -> 0.04117429929774938
        //   psi(gen(1000,37,101,10), gen(1000,37,101,10,3.0)) -> 2.0595873385153434
        //   psi(gen(500,7,13,1), gen(400,5,17,1))             -> 0.3500313672223206
        //   psi([1,1,1,1,2], [1,2,2,2,9])                     -> 1.663553233343869
        CHECK(near(
            *stats::population_stability_index(gen(300, 37, 101, 10), gen(250, 53, 103, 10, 0.4)),
            0.04117429929774938, 1e-12));
        CHECK(near(
            *stats::population_stability_index(gen(1000, 37, 101, 10), gen(1000, 37, 101, 10, 3.0)),
            2.0595873385153434, 1e-12));
        CHECK(near(*stats::population_stability_index(gen(500, 7, 13, 1), gen(400, 5, 17, 1)),
                   0.3500313672223206, 1e-12));
        const std::vector<double> r = {1, 1, 1, 1, 2};
        const std::vector<double> c = {1, 2, 2, 2, 9};
        CHECK(near(*stats::population_stability_index(r, c), 1.663553233343869, 1e-12));
        SUBCASE("the same sample has no shift") {
            CHECK(*stats::population_stability_index(k_a, k_a) == 0.0);
        }
        SUBCASE("undefined: an empty sample, a value that is not finite, bad bins") {
            CHECK_FALSE(stats::population_stability_index({}, k_a));
            CHECK_FALSE(stats::population_stability_index(k_a, {}));
            CHECK_FALSE(stats::population_stability_index(k_a, std::vector<double>{NAN}));
            CHECK_FALSE(stats::population_stability_index(k_a, k_b, 1));
        }
    }

    TEST_CASE("stats::kolmogorov_sf") {
        // Reference: SciPy 1.10.1, one value per method SciPy picks:
        //   /usr/bin/python3 -c "from scipy import stats
        //     for n,x in [(5,0.1),(5,0.15),(200,0.004),(10,0.95),(10,0.6),(50,0.1),(50,0.25),
        //                 (50,0.4),(1000,0.02),(1000,0.01),(1000,0.05),(1000,0.7),
        //                 (200000,0.002),(5000,0.3),(7,0.5)]:
        //       print(n, x, repr(stats.kstwo.sf(x, n)))"
        struct Row {
            long n;
            double x, sf;
        };
        const Row rows[] = {
            {5, 0.1, 1.0},                        // n x <= 1/2
            {5, 0.15, 0.9988},                    // Ruben-Gambino, n x <= 1
            {200, 0.004, 1.0},                    //
            {10, 0.95, 1.9531250000000172e-13},   // n x >= n - 1
            {10, 0.6, 0.0005681672000000003},     // x >= 1/2: 2 smirnov
            {50, 0.1, 0.6623112704658186},        // Durbin matrix
            {50, 0.25, 0.0030657620198693003},    // Pomeranz in SciPy, Durbin here
            {50, 0.4, 9.86356336441006e-08},      // 2 smirnov
            {1000, 0.02, 0.8108971656895577},     // Pelz-Good
            {1000, 0.01, 0.9999496745370611},     // Durbin matrix
            {1000, 0.05, 0.013012074781090332},   // 2 smirnov
            {1000, 0.7, 0.0},                     // underflow
            {200000, 0.002, 0.39995085369038097}, // Pelz-Good past n = 100000
            {5000, 0.3, 0.0},                     // n x² >= 370
            {7, 0.5, 0.03839174153626465},        //
        };
        for (const Row& row : rows) {
            CAPTURE(row.n);
            CAPTURE(row.x);
            auto sf = stats::kolmogorov_sf(row.n, row.x);
            REQUIRE(sf);
            CHECK(near_relative(*sf, row.sf, 1e-9));
        }
        CHECK_FALSE(stats::kolmogorov_sf(0, 0.5));
        CHECK_FALSE(stats::kolmogorov_sf(10, NAN));
    }

    TEST_CASE("stats::ks_two_sample") {
        // Reference: SciPy 1.10.1, ks_2samp(x, y) with its defaults (method='auto'):
        //   /usr/bin/python3 -c "from scipy import stats; r=stats.ks_2samp(x, y)
        //     print(repr(r.statistic), repr(r.pvalue))"
        // with x, y the samples below, and gen as in population_stability_index's test.
        struct Row {
            std::vector<double> x, y;
            double d, p;
            stats::KsMethod method;
        };
        const Row rows[] = {
            {k_a, k_b, 0.5, 0.012298612583953778, stats::KsMethod::exact}, // n = m
            {k_a, k_c, 0.4642857142857143, 0.15146447755143408, stats::KsMethod::exact},
            {k_c, k_b, 0.2357142857142857, 0.8587311239485151, stats::KsMethod::exact},
            {{1, 2, 2, 3, 3, 3, 4},
             {2, 3, 3, 4, 4, 5, 5, 5, 6}, // ties
             0.5238095238095238,
             0.1687062937062937,
             stats::KsMethod::exact},
            {gen(300, 37, 101, 10), gen(250, 53, 103, 10, 0.4), 0.062, 0.6467717827457447,
             stats::KsMethod::exact},
            {gen(1000, 37, 101, 10), gen(1000, 53, 103, 10, 0.2), 0.043, 0.3136800387320582,
             stats::KsMethod::exact},
            // max(n, m) > 10000: kstwo.sf(D, round(n m / (n + m)))
            {gen(12000, 7919, 10007, 10007), gen(9000, 104729, 10009, 10009, 0.01),
             0.010499999999999954, 0.6182274478953795, stats::KsMethod::asymptotic},
            {gen(10001, 7919, 10007, 10007), gen(50, 37, 101, 101, 0.1), 0.12281771822817722,
             0.40504815776616576, stats::KsMethod::asymptotic},
            {gen(12000, 7919, 10007, 10007), gen(11000, 104729, 10009, 10009),
             0.0004696969696968978, 1.0, stats::KsMethod::asymptotic},
        };
        for (const Row& row : rows) {
            CAPTURE(row.x.size());
            CAPTURE(row.y.size());
            auto ks = stats::ks_two_sample(row.x, row.y);
            REQUIRE(ks);
            CHECK(near(ks->statistic, row.d, 1e-12));
            CHECK(near_relative(ks->p_value, row.p, 1e-7));
            CHECK(ks->method == row.method);
        }
        SUBCASE("undefined: an empty sample, a value that is not finite") {
            CHECK_FALSE(stats::ks_two_sample({}, k_a));
            CHECK_FALSE(stats::ks_two_sample(k_a, std::vector<double>{1, INFINITY}));
        }
    }

    TEST_CASE("stats::jensen_shannon_distance") {
        // Reference: SciPy 1.10.1:
        //   /usr/bin/python3 -c "from scipy.spatial.distance import jensenshannon
        //     print(repr(jensenshannon([10,5,0,3],[2,5,8,3],base=2)),
        //           repr(jensenshannon([0.1,0.2,0.7],[0.3,0.3,0.4],base=2)))"
        //   -> 0.5821352205511225 0.27366687589869926
        const std::vector<double> p = {10, 5, 0, 3}, q = {2, 5, 8, 3};
        CHECK(near(*stats::jensen_shannon_distance(p, q), 0.5821352205511225, 1e-14));
        const std::vector<double> u = {0.1, 0.2, 0.7}, v = {0.3, 0.3, 0.4};
        CHECK(near(*stats::jensen_shannon_distance(u, v), 0.27366687589869926, 1e-14));
        SUBCASE("0 for the same distribution, 1 for disjoint ones") {
            CHECK(*stats::jensen_shannon_distance(u, u) == 0.0);
            const std::vector<double> x = {1, 0}, y = {0, 1};
            CHECK(near(*stats::jensen_shannon_distance(x, y), 1.0, 1e-15));
        }
        SUBCASE("undefined: sizes differ, a side sums to 0, a negative weight") {
            CHECK_FALSE(stats::jensen_shannon_distance(p, u));
            const std::vector<double> zero = {0, 0, 0}, negative = {1, -1, 2};
            CHECK_FALSE(stats::jensen_shannon_distance(zero, u));
            CHECK_FALSE(stats::jensen_shannon_distance(u, negative));
        }
    }

    TEST_CASE("stats::embedding_shift") {
        const std::vector<std::vector<double>> ref = {{1, 0}, {0, 1}};
        const std::vector<std::vector<double>> cur = {{1, 1}, {3, 1}};
        auto shift = stats::embedding_shift(ref, cur, 200);
        REQUIRE(shift);
        // Means (0.5, 0.5) and (2, 1): by hand.
        CHECK(near(shift->distance, std::sqrt(2.5), 1e-15));
        CHECK(near(shift->cosine_distance, 1 - 1.5 / std::sqrt(2.5), 1e-15));
        CHECK(shift->permutations == 200);
        SUBCASE("reproducible: the same seed gives the same p-value, bit for bit") {
            CHECK(stats::embedding_shift(ref, cur, 200)->p_value == shift->p_value);
        }
        SUBCASE("a planted shift is found, and no shift is not") {
            std::vector<std::vector<double>> a, b, c;
            stats::Xoshiro256 rng(7);
            const auto noise = [&] { return static_cast<double>(rng.below(1000)) / 1000.0; };
            for (int i = 0; i < 60; ++i) {
                a.push_back({noise(), noise(), noise()});
                b.push_back({noise(), noise(), noise()});
                c.push_back({noise() + 0.3, noise(), noise()});
            }
            auto same = stats::embedding_shift(a, b);
            auto moved = stats::embedding_shift(a, c);
            CHECK(same->p_value > 0.05);
            CHECK(moved->p_value == doctest::Approx(1.0 / 1001)); // no permutation as far
            CHECK(moved->distance > same->distance);
        }
        SUBCASE("undefined: an empty set, lengths that differ, no permutations") {
            CHECK_FALSE(stats::embedding_shift({}, cur));
            const std::vector<std::vector<double>> odd = {{1, 0, 0}};
            CHECK_FALSE(stats::embedding_shift(ref, odd));
            CHECK_FALSE(stats::embedding_shift(ref, cur, 0));
        }
    }

    TEST_CASE("stats::compare_independent, as drift reads rates") {
        // Reference: statsmodels 0.13.5, current first (its difference is count1/nobs1 - ...):
        //   /usr/bin/python3 -c "from statsmodels.stats.proportion import
        //       confint_proportions_2indep as ci, proportions_ztest as zt
        //     for x1,n1,x2,n2 in [(5,100,15,100),(3,200,30,180),(40,50,30,50),(0,20,5,25)]:
        //       print(ci(x2,n2,x1,n1,method='newcomb',compare='diff'), zt([x2,x1],[n2,n1])[1])"
        struct Row {
            std::size_t x1, n1, x2, n2;
            double lower, upper, p;
        };
        const Row rows[] = {
            {5, 100, 15, 100, 0.016004161952179546, 0.18758708892043757, 0.018422125454099027},
            {3, 200, 30, 180, 0.09656864723529873, 0.2137440695921464, 1.5869507840470228e-07},
            {40, 50, 30, 50, -0.36359235205533585, -0.02013390086920816, 0.029096331741252188},
            {0, 20, 5, 25, 0.004117448685351827, 0.3913095036954034, 0.033894853524689246},
        };
        for (const Row& row : rows) {
            CAPTURE(row.x1);
            auto d = stats::compare_independent({row.x1, row.n1, row.x2, row.n2});
            REQUIRE(d);
            CHECK(near(d->difference,
                       double(row.x2) / double(row.n2) - double(row.x1) / double(row.n1), 1e-15));
            CHECK(near(d->interval.lower, row.lower, 1e-12));
            CHECK(near(d->interval.upper, row.upper, 1e-12));
            CHECK(near_relative(d->p_value, row.p, 1e-9));
        }
        SUBCASE("no events on either side: p is 1 (statsmodels: nan), the interval is Newcombe's") {
            // ci(0,40,0,50,method='newcomb',compare='diff') -> (-0.0713..., 0.0876...)
            auto d = stats::compare_independent({0, 50, 0, 40});
            CHECK(d->p_value == 1.0);
            CHECK(near(d->interval.lower, -0.07134759913335874, 1e-12));
            CHECK(near(d->interval.upper, 0.08762160119728668, 1e-12));
        }
        SUBCASE("undefined: no trials, more successes than trials") {
            CHECK_FALSE(stats::compare_independent({0, 0, 1, 2}));
            CHECK_FALSE(stats::compare_independent({3, 2, 1, 2}));
        }
    }
}
