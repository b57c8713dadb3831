#include <llmops/stats/clustered.hpp>

#include <cmath>
#include <vector>

#include <doctest/doctest.h>

#include "near.hpp"

namespace stats = llmops::stats;
using stats::testing::near;
using Cases = std::vector<std::vector<double>>;

TEST_SUITE("stats") {

    TEST_CASE("stats::clustered_mean") {
        SUBCASE("repeats clustered by case") {
            // Reference: statsmodels 0.13.5, OLS on a constant with cluster-robust errors:
            //   /usr/bin/python3 -c "import numpy as np, statsmodels.api as sm
            //     cases=[[1,1,1],[0,0,1],[1,0],[0,0,0],[1]]
            //     y=np.array([s for c in cases for s in c],float)
            //     g=np.array([i for i,c in enumerate(cases) for s in c])
            //     r=sm.OLS(y,np.ones_like(y)).fit(cov_type='cluster',cov_kwds={'groups':g})
            //     print(r.params[0], r.bse[0])"  -> 0.5000000000000001 0.20833333333333343
            Cases cases{{1, 1, 1}, {0, 0, 1}, {1, 0}, {0, 0, 0}, {1}};
            auto estimate = stats::clustered_mean(cases);
            REQUIRE(estimate);
            CHECK(near(estimate->mean, 0.5, 1e-15));
            CHECK(near(estimate->standard_error, 0.20833333333333343, 1e-14));
            CHECK(estimate->observations == 12);
            CHECK(estimate->clusters == 5);
        }
        SUBCASE("one observation per case: the ordinary standard error of the mean") {
            // /usr/bin/python3 -c "import numpy as np; from scipy.stats import sem
            //   y=np.array([0.2,0.9,0.4,0.7,0.5]); print(y.mean(), sem(y))"
            //   -> 0.54 0.1208304597359457
            Cases cases{{0.2}, {0.9}, {0.4}, {0.7}, {0.5}};
            auto estimate = stats::clustered_mean(cases);
            CHECK(near(estimate->mean, 0.54, 1e-15));
            CHECK(near(estimate->standard_error, 0.1208304597359457, 1e-14));
        }
        SUBCASE("cases without observations are skipped") {
            Cases cases{{0.2}, {}, {0.9}, {0.4}, {0.7}, {0.5}, {}};
            CHECK(near(stats::clustered_mean(cases)->standard_error, 0.1208304597359457, 1e-14));
        }
        SUBCASE("undefined: fewer than two cases, non-finite") {
            CHECK_FALSE(stats::clustered_mean(Cases{}));
            CHECK_FALSE(stats::clustered_mean(Cases{{1, 0, 1}}));
            CHECK_FALSE(stats::clustered_mean(Cases{{1, 0, 1}, {}}));
            CHECK_FALSE(stats::clustered_mean(Cases{{1}, {std::nan("")}}));
        }
    }

    TEST_CASE("stats::clustered_proportion") {
        // Reference by hand (no scipy or statsmodels here): clustered_mean's CR1 standard error
        // (checked against statsmodels above), deff = SE² / (p (1 - p) / N) clamped to >= 1,
        // Wilson at N / deff:
        //   python3 -c "from statistics import NormalDist; import math
        //     z=NormalDist().inv_cdf(0.975);
        //     cases=[[1,1,1],[0,0,0],[1,0,1],[1,1,0],[0,1,0],[1,1,1]] N=sum(map(len,cases));
        //     G=len(cases); p=sum(map(sum,cases))/N se=math.sqrt(G/(G-1)*sum((sum(x-p for x in
        //     c)/N)**2 for c in cases)) deff=max(1,se*se/(p*(1-p)/N)); n=N/deff; z2=z*z; s=1+z2/n
        //     c=(p+z2/(2*n))/s; h=z/s*math.sqrt(p*(1-p)/n+z2/(4*n*n)); print(deff, n, c-h, c+h)"
        //   -> 1.9168831168831173 9.390243902439023 0.31420814548489134 0.8434980024593512
        SUBCASE("correlated repeats: Wilson at N / deff") {
            Cases cases{{1, 1, 1}, {0, 0, 0}, {1, 0, 1}, {1, 1, 0}, {0, 1, 0}, {1, 1, 1}};
            auto p = stats::clustered_proportion(cases);
            REQUIRE(p);
            CHECK(near(p->rate, 11.0 / 18, 1e-15));
            CHECK(near(p->design_effect, 1.9168831168831173, 1e-12));
            CHECK(near(p->effective_n, 9.390243902439023, 1e-12));
            CHECK(near(p->interval.lower, 0.31420814548489134, 1e-12));
            CHECK(near(p->interval.upper, 0.8434980024593512, 1e-12));
        }
        SUBCASE("13 of 15 over 5 cases: once [60.5, 112.8], now inside [0, 1]") {
            // deff = 0.00667 / 0.00770 < 1 is clamped to 1: Wilson(13, 15).
            Cases cases{{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 0}, {1, 0, 1}};
            auto p = stats::clustered_proportion(cases);
            REQUIRE(p);
            CHECK(p->design_effect == 1.0);
            CHECK(near(p->interval.lower, 0.6211801716767764, 1e-12));
            CHECK(near(p->interval.upper, 0.9626387408969346, 1e-12));
        }
        SUBCASE("all pass: each case counts once, the interval is not of zero width") {
            Cases cases{{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}};
            auto p = stats::clustered_proportion(cases);
            REQUIRE(p);
            CHECK(p->effective_n == 5.0);
            CHECK(near(p->interval.lower, 0.5655175352168254, 1e-12)); // Wilson(5, 5)
            CHECK(p->interval.upper == 1.0);
        }
        SUBCASE("undefined: no observations, a value that is not 0 or 1") {
            CHECK_FALSE(stats::clustered_proportion(Cases{}));
            CHECK_FALSE(stats::clustered_proportion(Cases{{}, {}}));
            CHECK_FALSE(stats::clustered_proportion(Cases{{1, 0.5}}));
        }
    }

    TEST_CASE("stats::clustered_difference") {
        SUBCASE("against a regression on a side dummy, clustered by case") {
            // statsmodels' regression adds (N - 1) / (N - K) with K = 2 parameters to the CR1
            // factor, which the single-mean estimator does not have; the reference takes it out:
            //   /usr/bin/python3 -c "import numpy as np, math, statsmodels.api as sm
            //     A=[[1,1,1],[0,0,1],[1,0],[0,0,0],[1]]; B=[[1,1],[1,0,1],[1,1,1],[0,1,0],[1,1]]
            //     ys=[];gs=[];xs=[]
            //     for i,(a,b) in enumerate(zip(A,B)):
            //       for s in a: ys.append(s);gs.append(i);xs.append(0)
            //       for s in b: ys.append(s);gs.append(i);xs.append(1)
            //     N=len(ys); X=sm.add_constant(np.array(xs,float))
            //     r=sm.OLS(np.array(ys,float),X).fit(cov_type='cluster',
            //                                        cov_kwds={'groups':np.array(gs)})
            //     print(r.params[1], r.bse[1]*math.sqrt((N-2)/(N-1)))"
            //   -> 0.2692307692307691 0.121467280574428
            Cases a{{1, 1, 1}, {0, 0, 1}, {1, 0}, {0, 0, 0}, {1}};
            Cases b{{1, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 0}, {1, 1}};
            auto estimate = stats::clustered_difference(a, b);
            REQUIRE(estimate);
            CHECK(near(estimate->mean, 0.2692307692307691, 1e-14));
            CHECK(near(estimate->standard_error, 0.121467280574428, 1e-13));
            CHECK(estimate->observations == 25);
            CHECK(estimate->clusters == 5);
        }
        SUBCASE("equal repeats: the standard error of the per-case differences") {
            // /usr/bin/python3 -c "import numpy as np; from scipy.stats import sem
            //   A=[[1,0,1],[0,0,0],[1,1,1],[0,1,0]]; B=[[1,1,1],[0,1,0],[1,1,0],[1,1,0]]
            //   d=np.array([np.mean(b)-np.mean(a) for a,b in zip(A,B)]); print(d.mean(), sem(d))"
            //   -> 0.16666666666666669 0.16666666666666669
            Cases a{{1, 0, 1}, {0, 0, 0}, {1, 1, 1}, {0, 1, 0}};
            Cases b{{1, 1, 1}, {0, 1, 0}, {1, 1, 0}, {1, 1, 0}};
            auto estimate = stats::clustered_difference(a, b);
            CHECK(near(estimate->mean, 0.16666666666666669, 1e-15));
            CHECK(near(estimate->standard_error, 0.16666666666666669, 1e-14));
        }
        SUBCASE("undefined: sizes differ, a side empty, one case") {
            CHECK_FALSE(stats::clustered_difference(Cases{{1}, {0}}, Cases{{1}}));
            CHECK_FALSE(stats::clustered_difference(Cases{{1}, {0}}, Cases{{}, {}}));
            CHECK_FALSE(stats::clustered_difference(Cases{{1, 0}}, Cases{{1, 1}}));
        }
    }

} // TEST_SUITE
