#include <llmops/stats/distribution.hpp>

#include <cmath>
#include <limits>

#include <doctest/doctest.h>

#include "near.hpp"

namespace stats = llmops::stats;
using stats::testing::near;
using stats::testing::near_relative;

TEST_SUITE("stats") {

    TEST_CASE("stats::normal_quantile") {
        // Reference: SciPy 1.10.1 (Debian's python3-scipy):
        //   /usr/bin/python3 -c "from scipy.stats import norm; print([float(norm.ppf(p)) for p in
        //     [0.975,0.5,0.025,1e-10,1e-300,0.999999,0.3,0.02425,0.9,0.8]])"
        struct Row {
            double p, x;
        };
        const Row rows[] = {
            {0.975, 1.959963984540054},   {0.5, 0.0},
            {0.025, -1.9599639845400545}, {1e-10, -6.361340902404056},
            {1e-300, -37.0470962993612},  {0.999999, 4.753424308817087},
            {0.3, -0.5244005127080409},   {0.02425, -1.972961051311885}, // Acklam's break
            {0.9, 1.2815515655446004},    {0.8, 0.8416212335729143},
        };
        for (const Row& row : rows) {
            CAPTURE(row.p);
            CHECK(near(*stats::normal_quantile(row.p), row.x, 1e-14));
        }
        SUBCASE("antisymmetric") {
            CHECK(*stats::normal_quantile(0.25) == -*stats::normal_quantile(0.75));
            CHECK(*stats::normal_quantile(0.7) == -*stats::normal_quantile(1 - 0.7));
        }
        SUBCASE("undefined outside (0, 1)") {
            CHECK_FALSE(stats::normal_quantile(0));
            CHECK_FALSE(stats::normal_quantile(1));
            CHECK_FALSE(stats::normal_quantile(-0.5));
            CHECK_FALSE(stats::normal_quantile(std::nan("")));
        }
        SUBCASE("subnormal p: no NaN") {
            CHECK(std::isfinite(*stats::normal_quantile(5e-324)));
        }
    }

    TEST_CASE("stats::normal_cdf") {
        // /usr/bin/python3 -c "from scipy.stats import norm; print([float(norm.cdf(x)) for x in
        //   [0,1.96,-1.96,-10,5]])"
        //   -> [0.5, 0.9750021048517795, 0.024997895148220435, 7.61985302416047e-24,
        //       0.9999997133484281]
        CHECK(stats::normal_cdf(0) == 0.5);
        CHECK(near(stats::normal_cdf(1.96), 0.9750021048517795, 1e-15));
        CHECK(near(stats::normal_cdf(-1.96), 0.024997895148220435, 1e-15));
        CHECK(near_relative(stats::normal_cdf(-10), 7.61985302416047e-24, 1e-13));
        CHECK(near(stats::normal_cdf(5), 0.9999997133484281, 1e-15));
    }

    TEST_CASE("stats::normal_critical_value") {
        // /usr/bin/python3 -c "from scipy.stats import norm; print(float(norm.isf(0.025)),
        //   float(norm.isf(0.005)))" -> 1.9599639845400545 2.575829303548901
        CHECK(near(*stats::normal_critical_value(0.95), 1.9599639845400545, 1e-15));
        CHECK(near(*stats::normal_critical_value(0.99), 2.575829303548901, 1e-15));
        CHECK_FALSE(stats::normal_critical_value(1));
        CHECK_FALSE(stats::normal_critical_value(0));
    }

    TEST_CASE("stats::normal_two_sided_p") {
        // /usr/bin/python3 -c "from scipy.stats import norm; print([float(2*norm.sf(abs(z))) for z
        //   in [1.96,-2.5]])" -> [0.04999579029644087, 0.012419330651552265]
        CHECK(near(stats::normal_two_sided_p(1.96), 0.04999579029644087, 1e-15));
        CHECK(near(stats::normal_two_sided_p(-2.5), 0.012419330651552265, 1e-15));
        CHECK(stats::normal_two_sided_p(0) == 1.0);
        CHECK(stats::normal_two_sided_p(std::nan("")) == 1.0);
        CHECK(stats::normal_two_sided_p(-std::numeric_limits<double>::infinity()) == 0.0);
    }

} // TEST_SUITE
