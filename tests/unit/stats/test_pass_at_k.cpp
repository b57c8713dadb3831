#include <llmops/stats/pass_at_k.hpp>

#include <vector>

#include <doctest/doctest.h>

#include "near.hpp"

namespace stats = llmops::stats;
using stats::testing::near;

namespace {

// Reference: exact rationals with Python's math.comb and fractions:
//   /usr/bin/python3 -c "import math; from fractions import Fraction as F
//     for n,c,k in [(10,3,1),(10,3,5),(10,0,3),(10,10,3),(5,2,4),(200,13,50),(1,1,1),(1,0,1)]:
//       print(n, c, k, float(1 - F(math.comb(n-c,k), math.comb(n,k))),
//             float(F(math.comb(c,k), math.comb(n,k))))"
struct Row {
    std::size_t n, c, k;
    double at_k, hat_k;
};
const Row k_rows[] = {
    {10, 3, 1, 0.3, 0.3}, {10, 3, 5, 0.9166666666666666, 0.0},
    {10, 0, 3, 0.0, 0.0}, {10, 10, 3, 1.0, 1.0},
    {5, 2, 4, 1.0, 0.0},  {200, 13, 50, 0.979277922955739, 0.0},
    {1, 1, 1, 1.0, 1.0},  {1, 0, 1, 0.0, 0.0},
};

} // namespace

TEST_SUITE("stats") {

    TEST_CASE("stats::pass_at_k") {
        for (const Row& row : k_rows) {
            CAPTURE(row.n);
            CAPTURE(row.c);
            CAPTURE(row.k);
            CHECK(near(*stats::pass_at_k(row.n, row.c, row.k), row.at_k, 1e-14));
        }
        SUBCASE("undefined: k = 0, k > n, more passes than samples") {
            CHECK_FALSE(stats::pass_at_k(5, 2, 0));
            CHECK_FALSE(stats::pass_at_k(5, 2, 6));
            CHECK_FALSE(stats::pass_at_k(0, 0, 1));
            CHECK_FALSE(stats::pass_at_k(5, 6, 1));
        }
    }

    TEST_CASE("stats::pass_hat_k") {
        for (const Row& row : k_rows) {
            CAPTURE(row.n);
            CAPTURE(row.c);
            CAPTURE(row.k);
            CHECK(near(*stats::pass_hat_k(row.n, row.c, row.k), row.hat_k, 1e-14));
        }
        // F(math.comb(8,3), math.comb(10,3)) -> 7/15
        CHECK(near(*stats::pass_hat_k(10, 8, 3), 7.0 / 15, 1e-15));
        CHECK_FALSE(stats::pass_hat_k(5, 2, 0));
        CHECK_FALSE(stats::pass_hat_k(5, 2, 6));
    }

    TEST_CASE("stats::mean_pass_at_k") {
        std::vector<stats::CaseCounts> cases{{10, 3}, {10, 10}, {10, 0}};
        // (1 - 7/10 · 6/9 · 5/8 + 1 + 0) / 3 with pass@3 of (10, 3) = 17/24
        CHECK(near(*stats::mean_pass_at_k(cases, 3), (17.0 / 24 + 1) / 3, 1e-15));
        // pass^3: (1/120 + 1 + 0) / 3, C(3,3)/C(10,3) = 1/120
        CHECK(near(*stats::mean_pass_hat_k(cases, 3), (1.0 / 120 + 1) / 3, 1e-15));
        SUBCASE("undefined: no cases, or a case with fewer than k samples") {
            CHECK_FALSE(stats::mean_pass_at_k({}, 1));
            cases.push_back({2, 1});
            CHECK_FALSE(stats::mean_pass_at_k(cases, 3));
            CHECK_FALSE(stats::mean_pass_hat_k(cases, 3));
        }
    }

    TEST_CASE("stats::pass_at_k_over_cases") {
        // A case with an errored repeat (2 samples) is left out at k = 3, not estimated at k = 2.
        std::vector<stats::CaseCounts> cases{{3, 1}, {3, 3}, {2, 0}, {0, 0}};
        const auto at_k = stats::pass_at_k_over_cases(cases, 3);
        CHECK(at_k.cases == 2);
        CHECK(at_k.left_out == 2);
        CHECK(near(*at_k.mean, 1.0, 1e-15)); // pass@3 of (3, 1) and of (3, 3) are 1
        const auto hat_k = stats::pass_hat_k_over_cases(cases, 3);
        CHECK(near(*hat_k.mean, 0.5, 1e-15)); // (0 + 1) / 2
        // pass@2 of (3, 1) = 1 - C(2,2)/C(3,2) = 2/3; of (2, 0) = 0: (2/3 + 1 + 0) / 3
        CHECK(near(*stats::pass_at_k_over_cases(cases, 2).mean, (2.0 / 3 + 1) / 3, 1e-15));
        CHECK_FALSE(stats::pass_at_k_over_cases(cases, 4).mean);
        CHECK(stats::pass_at_k_over_cases(cases, 4).left_out == 4);
    }

    TEST_CASE("stats::is_flaky") {
        CHECK(stats::is_flaky({5, 2}));
        CHECK_FALSE(stats::is_flaky({5, 5}));
        CHECK_FALSE(stats::is_flaky({5, 0}));
        CHECK_FALSE(stats::is_flaky({0, 0}));
    }

} // TEST_SUITE
