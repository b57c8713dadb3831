#include <llmops/stats/proportion.hpp>

#include <cmath>

#include <doctest/doctest.h>

#include "near.hpp"

namespace stats = llmops::stats;
using stats::testing::near;
using stats::testing::near_relative;

namespace {

stats::PairedCounts table(std::size_t both_pass, std::size_t regressions, std::size_t fixes,
                          std::size_t both_fail) {
    return {both_pass, regressions, fixes, both_fail};
}

} // namespace

TEST_SUITE("stats") {

    TEST_CASE("stats::wilson_interval") {
        // Reference: statsmodels 0.13.5 (Debian's python3-statsmodels):
        //   /usr/bin/python3 -c "from statsmodels.stats.proportion import proportion_confint as ci
        //     for k,n,c in [(0,10,.95),(10,10,.95),(7,10,.95),(85,100,.95),(1,1,.95),
        //                   (850,1000,.95),(85,100,.99),(3,7,.8)]:
        //       print(k, n, c, ci(k, n, alpha=1-c, method='wilson'))"
        struct Row {
            std::size_t k, n;
            double confidence, lower, upper;
        };
        const Row rows[] = {
            {0, 10, .95, 0.0, 0.2775327998628892},
            {10, 10, .95, 0.7224672001371107, 0.9999999999999999},
            {7, 10, .95, 0.39677814746114537, 0.8922087325936989},
            {85, 100, .95, 0.7671644040916763, 0.9069401471634337},
            {1, 1, .95, 0.20654931437723745, 1.0},
            {850, 1000, .95, 0.8265313415731996, 0.8707899274869118},
            {85, 100, .99, 0.736530960885991, 0.919914557712933},
            {3, 7, .8, 0.22598811161452578, 0.6583029463790934},
        };
        for (const Row& row : rows) {
            CAPTURE(row.k);
            CAPTURE(row.n);
            auto ci = stats::wilson_interval(row.k, row.n, row.confidence);
            REQUIRE(ci);
            CHECK(near(ci->lower, row.lower, 1e-14));
            CHECK(near(ci->upper, row.upper, 1e-14));
        }
        SUBCASE("all fail starts at 0 and all pass ends at 1, exactly") {
            CHECK(stats::wilson_interval(0, 10)->lower == 0.0);
            CHECK(stats::wilson_interval(10, 10)->upper == 1.0);
        }
        SUBCASE("undefined: no trials, more successes than trials, bad confidence") {
            CHECK_FALSE(stats::wilson_interval(0, 0));
            CHECK_FALSE(stats::wilson_interval(3, 2));
            CHECK_FALSE(stats::wilson_interval(1, 2, 1.0));
            CHECK_FALSE(stats::wilson_interval(1, 2, 0.0));
        }
    }

    TEST_CASE("stats::wilson_interval_of_rate") {
        // At whole n it is the Wilson interval above (statsmodels' rows for 7/10 and 85/100).
        CHECK(near(stats::wilson_interval_of_rate(0.7, 10)->lower, 0.39677814746114537, 1e-14));
        CHECK(near(stats::wilson_interval_of_rate(0.7, 10)->upper, 0.8922087325936989, 1e-14));
        CHECK(near(stats::wilson_interval_of_rate(0.85, 100)->lower, 0.7671644040916763, 1e-14));
        // At an effective n (scipy and statsmodels are not installed here; by hand, from the
        // formula in proportion.hpp, with z = NormalDist().inv_cdf(0.975)):
        //   python3 -c "from statistics import NormalDist; import math
        //     z=NormalDist().inv_cdf(0.975); p,n=11/18,9.390243902439023; z2=z*z; s=1+z2/n
        //     c=(p+z2/(2*n))/s; h=z/s*math.sqrt(p*(1-p)/n+z2/(4*n*n)); print(c-h, c+h)"
        //   -> 0.31420814548489134 0.8434980024593512; p,n=1,5 -> 0.5655175352168254 1
        auto ci = stats::wilson_interval_of_rate(11.0 / 18, 9.390243902439023);
        REQUIRE(ci);
        CHECK(near(ci->lower, 0.31420814548489134, 1e-12));
        CHECK(near(ci->upper, 0.8434980024593512, 1e-12));
        ci = stats::wilson_interval_of_rate(1.0, 5.0);
        CHECK(near(ci->lower, 0.5655175352168254, 1e-12));
        CHECK(ci->upper == 1.0);
        CHECK(stats::wilson_interval_of_rate(0.0, 2.5)->lower == 0.0);
        SUBCASE("undefined: no effective trials, a rate outside [0, 1], bad confidence") {
            CHECK_FALSE(stats::wilson_interval_of_rate(0.5, 0));
            CHECK_FALSE(stats::wilson_interval_of_rate(0.5, std::nan("")));
            CHECK_FALSE(stats::wilson_interval_of_rate(1.5, 10));
            CHECK_FALSE(stats::wilson_interval_of_rate(0.5, 10, 1.0));
        }
    }

    TEST_CASE("stats::mcnemar_exact_p") {
        // Reference: SciPy 1.10.1 and statsmodels 0.13.5, which agree:
        //   /usr/bin/python3 -c "from scipy.stats import binomtest
        //     from statsmodels.stats.contingency_tables import mcnemar
        //     for b,c in [(3,10),(10,3),(0,5),(5,5),(1,0),(20,40),(480,520),(0,30),(5000,5300)]:
        //       print(b, c, binomtest(b, b+c, 0.5).pvalue, mcnemar([[0,b],[c,0]],
        //       exact=True).pvalue)"
        struct Row {
            std::size_t b, c;
            double p;
        };
        const Row rows[] = {
            {3, 10, 0.09228515625},
            {10, 3, 0.09228515625},
            {0, 5, 0.0625},
            {5, 5, 1.0},
            {1, 0, 1.0},
            {20, 40, 0.01348929373119186},
            {480, 520, 0.2174482932041409},
            {0, 30, 1.862645149230957e-09},
            {5000, 5300, 0.003215819673645256},
        };
        for (const Row& row : rows) {
            CAPTURE(row.b);
            CAPTURE(row.c);
            // lgamma's rounding grows with b + c: 3e-12 relative at 10300
            CHECK(near_relative(stats::mcnemar_exact_p(row.b, row.c), row.p, 1e-11));
        }
        SUBCASE("no discordant pair: no evidence") {
            CHECK(stats::mcnemar_exact_p(0, 0) == 1.0);
        }
        SUBCASE("large counts stay accurate in log space") {
            // /usr/bin/python3 -c "from scipy.stats import binom
            //   print(2*binom.cdf(499000, 1000500, .5), 2*binom.cdf(4950000, 10000000, .5))"
            //   -> 0.012476358035687226 1.7988462425496928e-219
            CHECK(
                near_relative(stats::mcnemar_exact_p(499000, 501500), 0.012476358035687226, 1e-8));
            CHECK(near_relative(stats::mcnemar_exact_p(5050000, 4950000), 1.7988462425496928e-219,
                                1e-8));
        }
    }

    TEST_CASE("stats::PairedCounts") {
        stats::PairedCounts counts;
        counts.add(true, true);
        counts.add(true, false);
        counts.add(true, false);
        counts.add(false, true);
        counts.add(false, false);
        CHECK(counts.both_pass == 1);
        CHECK(counts.regressions == 2);
        CHECK(counts.fixes == 1);
        CHECK(counts.both_fail == 1);
        CHECK(counts.total() == 5);
    }

    TEST_CASE("stats::compare_paired") {
        // Reference: Tango's score interval, transcribed in Python and solved with SciPy's
        // brentq (no packaged implementation exists in SciPy or statsmodels):
        //   from scipy.optimize import brentq; from scipy.stats import norm; import math
        //   def Z(b,c,n,D):
        //       A=2*n; B=-(b+c)+D*(2*n+b-c); C=-b*D*(1-D)
        //       q=(-B+math.sqrt(max(0,B*B-4*A*C)))/(2*A); v=n*(2*q+D-D*D); num=c-b-n*D
        //       if v<=0: return math.copysign(math.inf,num) if num else 0.0
        //       return num/math.sqrt(v)
        //   def tango(a,b,c,d,conf=0.95):
        //       n=a+b+c+d; z=norm.isf((1-conf)/2); th=(c-b)/n
        //       f=lambda D,s: Z(b,c,n,D)-s*z
        //       lo=-1.0 if abs(Z(b,c,n,-1))<=z else
        //       brentq(f,-1,th,args=(1,),xtol=1e-15,rtol=8.9e-16) hi=1.0 if abs(Z(b,c,n,1))<=z else
        //       brentq(f,th,1,args=(-1,),xtol=1e-15,rtol=8.9e-16) return th,lo,hi
        //   (a, b, c, d) = (both pass, regressions, fixes, both fail); Z(Δ) decreases on a grid of
        //   20001 points in [-1, 1] for each table below.
        struct Row {
            stats::PairedCounts counts;
            double confidence, difference, lower, upper;
        };
        const Row rows[] = {
            {table(36, 2, 12, 0), .95, 0.2, 0.061112406186344004, 0.34470874828214876},
            {table(30, 5, 1, 14), .95, -0.08, -0.19801443237326127, 0.021286788148161744},
            {table(1, 1, 7, 12), .95, 0.2857142857142857, 0.026003032480868597, 0.5172322764213773},
            {table(40, 8, 3, 49), .95, -0.05, -0.12533833128225688, 0.01745687772582495},
            {table(40, 8, 3, 49), .99, -0.05, -0.15478396248144158, 0.044647934845964},
            {table(0, 10, 0, 0), .95, -1.0, -1.0, -0.4449344002742212},
            {table(0, 0, 10, 0), .95, 1.0, 0.4449344002742215, 1.0},
        };
        for (const Row& row : rows) {
            CAPTURE(row.lower);
            auto cmp = stats::compare_paired(row.counts, row.confidence);
            REQUIRE(cmp);
            CHECK(near(cmp->difference, row.difference, 1e-15));
            CHECK(near(cmp->interval.lower, row.lower, 1e-12));
            CHECK(near(cmp->interval.upper, row.upper, 1e-12));
        }
        SUBCASE("rates and the exact p-value") {
            auto cmp = stats::compare_paired(table(36, 2, 12, 0));
            CHECK(cmp->baseline_rate == doctest::Approx(0.76));
            CHECK(cmp->candidate_rate == doctest::Approx(0.96));
            CHECK(cmp->p_value == stats::mcnemar_exact_p(2, 12));
        }
        SUBCASE("no discordant case: not an empty interval but ±z²/(n + z²)") {
            // tango(50,0,0,50) and tango(85,0,0,15) -> (0.0, -0.03699349820698568, 0.03699...)
            for (auto counts : {table(50, 0, 0, 50), table(85, 0, 0, 15)}) {
                auto cmp = stats::compare_paired(counts);
                CHECK(cmp->difference == 0.0);
                CHECK(near(cmp->interval.upper, 0.03699349820698568, 1e-12));
                CHECK(near(cmp->interval.lower, -0.03699349820698568, 1e-12));
                CHECK(cmp->p_value == 1.0);
            }
            // All fail on both sides (tango(0,0,0,10)): the Wilson bound of 0 of 10.
            CHECK(near(stats::compare_paired(table(0, 0, 0, 10))->interval.upper,
                       0.27753279986288926, 1e-12));
        }
        SUBCASE("excludes 0 exactly when McNemar's asymptotic test rejects") {
            // statsmodels: mcnemar([[50,b],[c,50]], exact=False, correction=False).pvalue
            //   (5,14) 0.0389  (5,13) 0.0593  (20,34) 0.0568  (20,35) 0.0431
            auto excludes_zero = [](std::size_t b, std::size_t c) {
                auto ci = stats::compare_paired(table(50, b, c, 50))->interval;
                return !ci.contains(0);
            };
            CHECK(excludes_zero(5, 14));
            CHECK_FALSE(excludes_zero(5, 13));
            CHECK_FALSE(excludes_zero(20, 34));
            CHECK(excludes_zero(20, 35));
        }
        SUBCASE("undefined: no cases, bad confidence") {
            CHECK_FALSE(stats::compare_paired(stats::PairedCounts{}));
            CHECK_FALSE(stats::compare_paired(table(1, 0, 0, 1), 1.5));
        }
    }

    TEST_CASE("stats::compare_independent: Newcombe's interval and the pooled z-test") {
        // /usr/bin/python3: statsmodels.stats.proportion.confint_proportions_2indep(
        //   count_candidate, n_candidate, count_baseline, n_baseline, method="newcomb",
        //   compare="diff"); scipy.stats.chi2_contingency(table, correction=False)[1]
        //   56/70 -> 48/80: (-0.33387265403690614, -0.05243147240236498), p 0.008045081368196585
        //   9/10 -> 3/10:   (-0.809017973535488, -0.1705227239345029),   p 0.0061698993205441645
        //   10/10 -> 0/10:  (-1.0, -0.6075093504305241)
        auto cmp = stats::compare_independent({56, 70, 48, 80});
        REQUIRE(cmp);
        CHECK(near(cmp->difference, -0.2, 1e-12));
        CHECK(near(cmp->interval.lower, -0.33387265403690614, 1e-9));
        CHECK(near(cmp->interval.upper, -0.05243147240236498, 1e-9));
        CHECK(near_relative(cmp->p_value, 0.008045081368196585, 1e-6));
        cmp = stats::compare_independent({9, 10, 3, 10});
        CHECK(near(cmp->interval.lower, -0.809017973535488, 1e-9));
        CHECK(near(cmp->interval.upper, -0.1705227239345029, 1e-9));
        CHECK(near_relative(cmp->p_value, 0.0061698993205441645, 1e-6));
        cmp = stats::compare_independent({10, 10, 0, 10});
        CHECK(cmp->interval.lower == -1.0);
        CHECK(near(cmp->interval.upper, -0.6075093504305241, 1e-9));
        // No difference and no variance: p = 1.
        CHECK(stats::compare_independent({5, 5, 7, 7})->p_value == 1.0);
        CHECK_FALSE(stats::compare_independent({0, 0, 1, 2}));
        CHECK_FALSE(stats::compare_independent({3, 2, 1, 2}));
    }

} // TEST_SUITE
