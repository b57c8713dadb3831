#include <llmops/stats/power.hpp>

#include <cmath>

#include <doctest/doctest.h>

#include "near.hpp"

namespace stats = llmops::stats;
using stats::Design;
using stats::testing::near;

TEST_SUITE("stats") {

    TEST_CASE("stats::sample_size") {
        SUBCASE("independent samples, against statsmodels") {
            // Reference: statsmodels 0.13.5:
            //   /usr/bin/python3 -c "from statsmodels.stats.proportion import
            //       samplesize_proportions_2indep_onetail as ss
            //     for p1,d,a,pw in [(0.85,0.03,0.05,0.8),(0.85,0.10,0.05,0.8),(0.5,0.05,0.01,0.9),
            //                       (0.95,0.05,0.05,0.8)]:
            //       print(ss(-d, p1, pw, alpha=a))"
            //   -> 2401.8860715204237 249.98196750485766 2965.964988555194 434.43202243946905
            struct Row {
                double baseline, delta, alpha, power, n;
            };
            const Row rows[] = {
                {0.85, 0.03, 0.05, 0.8, 2401.8860715204237},
                {0.85, 0.10, 0.05, 0.8, 249.98196750485766},
                {0.5, 0.05, 0.01, 0.9, 2965.964988555194},
                {0.95, 0.05, 0.05, 0.8, 434.43202243946905},
            };
            for (const Row& row : rows) {
                CAPTURE(row.baseline);
                auto size = stats::sample_size({.baseline = row.baseline,
                                                .delta = row.delta,
                                                .alpha = row.alpha,
                                                .power = row.power},
                                               Design::independent);
                REQUIRE(size);
                CHECK(near(size->cases_exact, row.n, 1e-12));
                CHECK(size->cases == static_cast<std::size_t>(std::ceil(row.n)));
                CHECK(size->runs == size->cases);
            }
        }
        SUBCASE("paired, Connor's formula") {
            // Reference: the formula with SciPy's quantiles:
            //   /usr/bin/python3 -c "import math; from scipy.stats import norm
            //     def connor(psi,d,a,pw): return (norm.isf(a/2)*math.sqrt(psi)
            //                                     + norm.ppf(pw)*math.sqrt(psi-d*d))**2/d**2
            //     print(connor(0.05,0.03,0.05,0.8), connor(0.12,0.10,0.05,0.8),
            //           connor(0.85*0.18+0.82*0.15,0.03,0.05,0.8))"
            //   -> 433.68350999255784 91.79280651793204 2404.6305646565193
            // At n = 434 (ψ = 0.05, δ = 0.03) the exact McNemar test that `llmops diff` runs
            // has power 0.77 rather than 0.8 (exact binomial sums with scipy.stats.binom):
            // the formula is for the asymptotic test, and the exact one is conservative.
            auto size = stats::sample_size({.baseline = 0.85, .delta = 0.03, .discordance = 0.05},
                                           Design::paired);
            REQUIRE(size);
            CHECK(near(size->cases_exact, 433.68350999255784, 1e-12));
            CHECK(size->cases == 434);
            CHECK(size->discordance == 0.05);
            auto big = stats::sample_size({.baseline = 0.85, .delta = 0.10, .discordance = 0.12},
                                          Design::paired);
            CHECK(near(big->cases_exact, 91.79280651793204, 1e-12));
            // Unknown discordance: that of independent sides, p1 q2 + p2 q1 = 0.276.
            auto derived = stats::sample_size({.baseline = 0.85, .delta = 0.03}, Design::paired);
            CHECK(near(derived->discordance, 0.276, 1e-15));
            CHECK(near(derived->cases_exact, 2404.6305646565193, 1e-12));
        }
        SUBCASE("repeats with intra-case correlation: design effect 1 + (m - 1) ICC") {
            stats::PowerQuestion q{.baseline = 0.85, .delta = 0.03, .discordance = 0.05};
            q.repeats = 5;
            q.icc = 0.5;
            auto size = stats::sample_size(q, Design::paired);
            REQUIRE(size);
            CHECK(size->design_effect == 3.0);
            CHECK(near(size->cases_exact, 433.68350999255784 * 3 / 5, 1e-12));
            CHECK(size->cases == 261);
            CHECK(size->runs == 1305);
            q.icc = 1; // a repeat tells nothing new
            CHECK(stats::sample_size(q, Design::paired)->cases == 434);
            q.icc = 0; // repeats count as cases
            CHECK(stats::sample_size(q, Design::paired)->cases == 87);
        }
        SUBCASE("inputs out of range are refused with their value") {
            auto message = [](const stats::PowerQuestion& q) {
                auto size = stats::sample_size(q, Design::paired);
                REQUIRE_FALSE(size);
                CHECK(size.error().code() == llmops::ErrorCode::invalid_input);
                return size.error().message();
            };
            CHECK(message({.baseline = 1.2, .delta = 0.03}) ==
                  "baseline pass rate 1.2 is not between 0 and 1");
            CHECK(message({.baseline = 0.85, .delta = 0}) ==
                  "drop 0 is not more than 0 and at most the baseline pass rate 0.85");
            CHECK(message({.baseline = 0.85, .delta = 0.03, .alpha = 0}) ==
                  "significance level 0 is not between 0 and 1");
            CHECK(message({.baseline = 0.85, .delta = 0.03, .power = 1}) ==
                  "power 1 is not between 0 and 1");
            CHECK(message({.baseline = 0.85, .delta = 0.03, .repeats = 0}) ==
                  "repeats must be at least 1");
            CHECK(message({.baseline = 0.85, .delta = 0.03, .icc = -0.1}) ==
                  "intra-case correlation -0.1 is not between 0 and 1");
            CHECK(message({.baseline = 0.85, .delta = 0.03, .discordance = 0.02}) ==
                  "discordance 0.02 is not between the drop 0.03 and 1");
            // 0.4 discordant with a drop of 0.3: 0.35 regressions, but 0.3 baseline passes.
            CHECK(message({.baseline = 0.3, .delta = 0.3, .discordance = 0.4}) ==
                  "discordance 0.4 is impossible with a baseline pass rate of 0.3 and a drop of "
                  "0.3");
        }
    }

} // TEST_SUITE
