#include <llmops/stats/stats.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include <doctest/doctest.h>

namespace stats = llmops::stats;

TEST_SUITE("stats") {

    TEST_CASE("stats::percentile") {
        // Reference: NumPy 1.24.2 (Debian's python3-numpy), its default method "linear":
        //   /usr/bin/python3 -c "import numpy as np; v=[120,45,300,80,95,1000,60];
        //     print([float(np.percentile(v,p)) for p in [0,25,50,95,99,100,33.3]])"
        //   -> [45.0, 70.0, 95.0, 789.9999999999995, 957.9999999999997, 1000.0, 79.96]
        std::vector<double> v{120, 45, 300, 80, 95, 1000, 60};
        SUBCASE("interpolates between the closest ranks like NumPy") {
            CHECK(*stats::percentile(v, 0) == 45.0);
            CHECK(*stats::percentile(v, 25) == 70.0);
            CHECK(*stats::percentile(v, 50) == 95.0);
            CHECK(*stats::percentile(v, 95) == doctest::Approx(789.9999999999995).epsilon(1e-15));
            CHECK(*stats::percentile(v, 99) == doctest::Approx(957.9999999999997).epsilon(1e-15));
            CHECK(*stats::percentile(v, 100) == 1000.0);
            CHECK(*stats::percentile(v, 33.3) == doctest::Approx(79.96).epsilon(1e-14));
        }
        SUBCASE("two values and one value") {
            // np.percentile([1.0, 2.0], [0, 50, 100, 10]) -> [1.0, 1.5, 2.0, 1.1]
            std::vector<double> two{2.0, 1.0};
            CHECK(*stats::percentile(two, 0) == 1.0);
            CHECK(*stats::percentile(two, 50) == 1.5);
            CHECK(*stats::percentile(two, 100) == 2.0);
            CHECK(*stats::percentile(two, 10) == doctest::Approx(1.1).epsilon(1e-15));
            CHECK(*stats::percentile(std::vector<double>{7}, 99) == 7.0);
        }
        SUBCASE("undefined: no values, p out of range, NaN") {
            CHECK_FALSE(stats::percentile({}, 50));
            CHECK_FALSE(stats::percentile(v, -1));
            CHECK_FALSE(stats::percentile(v, 100.5));
            CHECK_FALSE(stats::percentile(v, std::nan("")));
            CHECK_FALSE(stats::percentile(std::vector<double>{1, std::nan("")}, 50));
        }
    }

    TEST_CASE("stats::mean") {
        CHECK(*stats::mean(std::vector<double>{1, 2, 4}) == doctest::Approx(7.0 / 3));
        CHECK_FALSE(stats::mean({}));
    }

    TEST_CASE("stats::relative_change") {
        CHECK(*stats::relative_change(0.02, 0.025) == doctest::Approx(0.25));
        CHECK(*stats::relative_change(200, 150) == doctest::Approx(-0.25));
        CHECK(*stats::relative_change(-2, -1) == doctest::Approx(0.5));
        CHECK_FALSE(stats::relative_change(0, 1));
        CHECK_FALSE(stats::relative_change(1, std::numeric_limits<double>::infinity()));
    }

    TEST_CASE("stats::verdict_from_test") {
        using stats::Direction;
        using stats::Verdict;
        SUBCASE("significant: the sign and the direction decide") {
            CHECK(stats::verdict_from_test(0.1, 0.01, 0.05, Direction::higher_is_better) ==
                  Verdict::better);
            CHECK(stats::verdict_from_test(-0.1, 0.01, 0.05, Direction::higher_is_better) ==
                  Verdict::worse);
            CHECK(stats::verdict_from_test(0.1, 0.01, 0.05, Direction::lower_is_better) ==
                  Verdict::worse);
        }
        SUBCASE("not significant at alpha, or no difference") {
            CHECK(stats::verdict_from_test(-0.1, 0.05, 0.05, Direction::higher_is_better) ==
                  Verdict::no_significant_change);
            CHECK(stats::verdict_from_test(-0.1, 0.2, 0.05, Direction::higher_is_better) ==
                  Verdict::no_significant_change);
            CHECK(stats::verdict_from_test(0, 0.0, 0.05, Direction::higher_is_better) ==
                  Verdict::no_significant_change);
        }
        CHECK(stats::to_string(Verdict::no_significant_change) == "no significant change");
        CHECK(stats::to_string(Verdict::too_few_cases) == "too few cases");
        CHECK(stats::to_string(Verdict::nothing_to_compare) == "nothing to compare");
    }

    TEST_CASE("stats::verdict_from_interval") {
        using stats::Direction;
        using stats::Verdict;
        CHECK(stats::verdict_from_interval({0.01, 0.2}, Direction::higher_is_better) ==
              Verdict::better);
        CHECK(stats::verdict_from_interval({-0.2, -0.01}, Direction::higher_is_better) ==
              Verdict::worse);
        CHECK(stats::verdict_from_interval({-0.2, -0.01}, Direction::lower_is_better) ==
              Verdict::better);
        CHECK(stats::verdict_from_interval({-0.2, 0.0}, Direction::higher_is_better) ==
              Verdict::no_significant_change);
    }

} // TEST_SUITE
