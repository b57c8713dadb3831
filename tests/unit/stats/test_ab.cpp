#include <llmops/stats/ab.hpp>

#include <array>
#include <cmath>

#include <doctest/doctest.h>

#include "near.hpp"

namespace stats = llmops::stats;
using stats::testing::near;
using stats::testing::near_relative;

TEST_SUITE("stats") {

    TEST_CASE("stats::regularized_gamma_q") {
        // Reference: SciPy 1.10.1 (Debian's python3-scipy):
        //   /usr/bin/python3 -c "import scipy.special as sp
        //     for a,x in [(0.5,0.1),(0.5,2.0),(1,1),(3,2.5),(3,20),(10,3),(50,60),(0.5,30)]:
        //       print(a, x, repr(sp.gammaincc(a, x)))"
        struct Row {
            double a, x, q;
        };
        const Row rows[] = {
            {0.5, 0.1, 0.6547208460185768},  {0.5, 2.0, 0.04550026389635857},
            {1, 1, 0.36787944117144245},     {3, 2.5, 0.5438131158833297},
            {3, 20, 4.5551495055892125e-07}, {10, 3, 0.9988975118698845},
            {50, 60, 0.08440668109369177},   {0.5, 30, 9.485737571073857e-15},
        };
        for (const Row& row : rows) {
            CAPTURE(row.a);
            CAPTURE(row.x);
            CHECK(near_relative(*stats::regularized_gamma_q(row.a, row.x), row.q, 1e-12));
        }
        CHECK(*stats::regularized_gamma_q(2, 0) == 1.0);
        CHECK_FALSE(stats::regularized_gamma_q(0, 1));
        CHECK_FALSE(stats::regularized_gamma_q(1, -1));
        CHECK_FALSE(stats::regularized_gamma_q(1, NAN));
    }

    TEST_CASE("stats::chi_square_sf") {
        // /usr/bin/python3 -c "import scipy.stats as st
        //   for x,k in [(3.841458820694124,1),(10.0,1),(0.5,2),(7.0,3),(40.0,1),(100.,1)]:
        //     print(x, k, repr(st.chi2.sf(x, k)))"
        CHECK(near(*stats::chi_square_sf(3.841458820694124, 1), 0.04999999999999989, 1e-13));
        CHECK(near_relative(*stats::chi_square_sf(10, 1), 0.001565402258002549, 1e-12));
        CHECK(near(*stats::chi_square_sf(0.5, 2), 0.7788007830714049, 1e-14));
        CHECK(near(*stats::chi_square_sf(7, 3), 0.07189777249646509, 1e-13));
        CHECK(near_relative(*stats::chi_square_sf(40, 1), 2.5396285894708634e-10, 1e-11));
        CHECK(near_relative(*stats::chi_square_sf(100, 1), 1.5239706048320995e-23, 1e-11));
        CHECK_FALSE(stats::chi_square_sf(1, 0));
    }

    TEST_CASE("stats::regularized_beta and student_t_two_sided_p") {
        // /usr/bin/python3 -c "import scipy.special as sp, scipy.stats as st
        //   for a,b,x in [(2,3,0.4),(0.5,0.5,0.2),(10,2,0.9),(15.25,0.5,0.7)]:
        //     print(repr(sp.betainc(a, b, x)))
        //   for t,df in [(2.0,5),(1.0,1),(3.5,30.5),(10,3),(0.3,100)]:
        //   print(repr(2*st.t.sf(t,df)))"
        CHECK(near(*stats::regularized_beta(2, 3, 0.4), 0.5247999999999999, 1e-13));
        CHECK(near(*stats::regularized_beta(0.5, 0.5, 0.2), 0.29516723530086664, 1e-13));
        CHECK(near(*stats::regularized_beta(10, 2, 0.9), 0.6973568802000001, 1e-13));
        CHECK(
            near_relative(*stats::regularized_beta(15.25, 0.5, 0.7), 0.0010672965557190434, 1e-11));
        CHECK(near(*stats::student_t_two_sided_p(2.0, 5), 0.10193947882985828, 1e-13));
        CHECK(near(*stats::student_t_two_sided_p(1.0, 1), 0.49999999999999956, 1e-13));
        CHECK(
            near_relative(*stats::student_t_two_sided_p(3.5, 30.5), 0.0014544697872457425, 1e-11));
        CHECK(near_relative(*stats::student_t_two_sided_p(-10, 3), 0.0021283990584141494, 1e-11));
        CHECK(near(*stats::student_t_two_sided_p(0.3, 100), 0.7647998803003035, 1e-13));
        CHECK_FALSE(stats::regularized_beta(1, 1, 1.5));
        CHECK_FALSE(stats::student_t_two_sided_p(1, 0));
    }

    TEST_CASE("stats::chi_square_goodness_of_fit") {
        // /usr/bin/python3 -c "import scipy.stats as st
        //   print(st.chisquare([5500,4500],[5000,5000]));
        //   print(st.chisquare([9020,980],[9000,1000])) print(st.chisquare([30,40,30],[25,50,25]))"
        const std::array<std::size_t, 2> planted{5500, 4500};
        const std::array<double, 2> even{50, 50};
        auto fit = stats::chi_square_goodness_of_fit(planted, even);
        REQUIRE(fit);
        CHECK(near(fit->statistic, 100.0, 1e-12));
        CHECK(fit->dof == 1);
        CHECK(near_relative(fit->p_value, 1.5239706048320995e-23, 1e-11));
        const std::array<std::size_t, 2> healthy{9020, 980};
        const std::array<double, 2> ninety{90, 10};
        fit = stats::chi_square_goodness_of_fit(healthy, ninety);
        CHECK(near(fit->statistic, 0.4444444444444445, 1e-13));
        CHECK(near(fit->p_value, 0.5049850750938457, 1e-13));
        const std::array<std::size_t, 3> three{30, 40, 30};
        const std::array<double, 3> quarters{25, 50, 25};
        fit = stats::chi_square_goodness_of_fit(three, quarters);
        CHECK(near(fit->statistic, 4.0, 1e-13));
        CHECK(near(fit->p_value, 0.1353352832366127, 1e-13));
        SUBCASE("undefined: one category, no observations, a zero weight") {
            const std::array<std::size_t, 1> one{3};
            const std::array<double, 1> w{1};
            CHECK_FALSE(stats::chi_square_goodness_of_fit(one, w));
            const std::array<std::size_t, 2> none{0, 0};
            CHECK_FALSE(stats::chi_square_goodness_of_fit(none, even));
            const std::array<double, 2> zero{100, 0};
            CHECK_FALSE(stats::chi_square_goodness_of_fit(planted, zero));
        }
    }

    TEST_CASE("stats::fisher_exact_p") {
        // /usr/bin/python3 -c "import scipy.stats as st
        //   for t in [[[8,2],[1,5]],[[3,1],[1,3]],[[10,0],[0,10]],[[0,5],[5,0]],[[2,7],[8,2]],
        //             [[1,9],[11,3]],[[5,5],[5,5]],[[100,3],[90,12]],[[0,0],[3,4]],[[7,12],[0,3]]]:
        //     print(t, repr(st.fisher_exact(t)[1]))"
        struct Row {
            std::size_t a, b, c, d;
            double p;
        };
        const Row rows[] = {
            {8, 2, 1, 5, 0.034965034965034975},
            {3, 1, 1, 3, 0.48571428571428565},
            {10, 0, 0, 10, 1.082508822446903e-05},
            {0, 5, 5, 0, 0.007936507936507938},
            {2, 7, 8, 2, 0.02301413756522116},
            {1, 9, 11, 3, 0.0027594561852200836},
            {5, 5, 5, 5, 1.0},
            {100, 3, 90, 12, 0.01662850969542721},
            {0, 0, 3, 4, 1.0},
            {7, 12, 0, 3, 0.5227272727272728},
        };
        for (const Row& row : rows) {
            CAPTURE(row.a);
            CAPTURE(row.b);
            CAPTURE(row.c);
            CAPTURE(row.d);
            CHECK(near_relative(stats::fisher_exact_p(row.a, row.b, row.c, row.d), row.p, 1e-10));
        }
    }

    TEST_CASE("stats::test_independent") {
        // Newcombe's interval and the z-test are compare_independent's (test_proportion.cpp);
        // the test switches to Fisher's below 5 expected. Treatment first, as statsmodels computes
        // count1/nobs1 - count2/nobs2:
        //   /usr/bin/python3 -c "from statsmodels.stats.proportion import proportions_ztest as zt
        //     print(zt([450,4300],[500,5000])[1], zt([90,80],[100,100])[1])"
        //   /usr/bin/python3 -c "import scipy.stats as st; print(st.fisher_exact([[5,5],[9,1]]))"
        SUBCASE("large expected counts: the pooled z-test") {
            auto c = stats::test_independent({4300, 5000, 450, 500});
            REQUIRE(c);
            CHECK(c->test == stats::ProportionTest::z_test);
            CHECK(near(c->comparison.difference, 0.04, 1e-12));
            CHECK(near(c->comparison.p_value, 0.012953579532081639, 1e-12));
            CHECK(near(c->comparison.interval.lower, 0.009130654556134477, 1e-12));
            CHECK(near(stats::test_independent({80, 100, 90, 100})->comparison.p_value,
                       0.047670380656161464, 1e-12));
        }
        SUBCASE("an expected count below 5: Fisher's exact test") {
            auto c = stats::test_independent({5, 10, 9, 10});
            REQUIRE(c);
            CHECK(c->test == stats::ProportionTest::fisher_exact);
            CHECK(near(c->comparison.p_value, 0.14086687306501547, 1e-10));
            CHECK(near(c->comparison.interval.lower, -0.0023561093922480625, 1e-12));
            CHECK(stats::test_independent({0, 900, 0, 100})->comparison.p_value == 1.0);
        }
        SUBCASE("undefined: an empty side, more passes than trials") {
            CHECK_FALSE(stats::test_independent({0, 0, 1, 2}));
            CHECK_FALSE(stats::test_independent({3, 2, 1, 2}));
        }
    }

    TEST_CASE("stats::welch_t_test") {
        // /usr/bin/python3 -c "import scipy.stats as st, math
        //   print(st.ttest_ind_from_stats(3.2,1.1,12,2.5,0.8,9,equal_var=False))
        //   v1=1.1**2/12; v2=0.8**2/9; se=math.sqrt(v1+v2); df=(v1+v2)**2/(v1**2/11+v2**2/8)
        //   print(df, 0.7-st.t.ppf(0.975,df)*se, 0.7+st.t.ppf(0.975,df)*se)"
        const stats::SampleMoments control{9, 2.5, 0.64};
        const stats::SampleMoments treatment{12, 3.2, 1.21};
        auto w = stats::welch_t_test(control, treatment);
        REQUIRE(w);
        CHECK(near(w->t, 1.688122529222096, 1e-12));
        CHECK(near(w->dof, 18.9956373010758, 1e-12));
        CHECK(near(w->p_value, 0.10773805862010333, 1e-11));
        CHECK(near(w->interval.lower, -0.16791070418047094, 1e-10));
        CHECK(near(w->interval.upper, 1.5679107041804707, 1e-10));
        SUBCASE("undefined: one value on a side, no variance at all") {
            CHECK_FALSE(stats::welch_t_test({1, 2, 0}, treatment));
            CHECK_FALSE(stats::welch_t_test({5, 2, 0}, {5, 3, 0}));
        }
    }
}
