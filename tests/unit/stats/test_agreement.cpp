#include <llmops/stats/agreement.hpp>

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "near.hpp"

namespace stats = llmops::stats;
using stats::testing::near;
using Table = std::vector<std::vector<std::size_t>>;

TEST_SUITE("stats") {

    TEST_CASE("stats::cohen_kappa") {
        // Reference: statsmodels 0.13.5:
        //   /usr/bin/python3 -c "import numpy as np
        //     from statsmodels.stats.inter_rater import cohens_kappa
        //     for t in [[[20,5],[10,15]], [[10,2,1],[3,12,2],[0,4,16]], [[0,5],[0,0]],
        //               [[3,0],[0,3]], [[5,0],[0,0]]]:
        //       print(cohens_kappa(np.array(t)).kappa)"
        //   -> 0.3999999999999999, 0.635258358662614, 0.0, 1.0, nan (with a division warning)
        SUBCASE("two and three categories") {
            CHECK(near(*stats::cohen_kappa(Table{{20, 5}, {10, 15}}), 0.4, 1e-15));
            CHECK(near(*stats::cohen_kappa(Table{{10, 2, 1}, {3, 12, 2}, {0, 4, 16}}),
                       0.635258358662614, 1e-15));
        }
        SUBCASE("perfect agreement, and disagreement at chance") {
            CHECK(*stats::cohen_kappa(Table{{3, 0}, {0, 3}}) == 1.0);
            CHECK(*stats::cohen_kappa(Table{{0, 5}, {0, 0}}) == 0.0);
        }
        SUBCASE("undefined when chance agreement is 1: one label for everything") {
            CHECK_FALSE(stats::cohen_kappa(Table{{5, 0}, {0, 0}}));
            CHECK_FALSE(stats::cohen_kappa(Table{{5}}));
        }
        SUBCASE("undefined: empty or not square") {
            CHECK_FALSE(stats::cohen_kappa(Table{}));
            CHECK_FALSE(stats::cohen_kappa(Table{{0, 0}, {0, 0}}));
            CHECK_FALSE(stats::cohen_kappa(Table{{1, 2}, {3}}));
        }
        SUBCASE("from two raters' labels") {
            // The 3x3 table above as labels: rows are the first rater, columns the second.
            std::vector<std::string> first, second;
            const Table t{{10, 2, 1}, {3, 12, 2}, {0, 4, 16}};
            const char* names[] = {"bad", "good", "ok"};
            for (std::size_t i = 0; i < 3; ++i)
                for (std::size_t j = 0; j < 3; ++j)
                    for (std::size_t n = 0; n < t[i][j]; ++n) {
                        first.push_back(names[i]);
                        second.push_back(names[j]);
                    }
            CHECK(near(*stats::cohen_kappa(first, second), 0.635258358662614, 1e-15));
            CHECK_FALSE(stats::cohen_kappa(first, std::vector<std::string>{"bad"}));
            CHECK_FALSE(stats::cohen_kappa(std::vector<std::string>{}, std::vector<std::string>{}));
        }
    }

    TEST_CASE("stats::confusion_matrix") {
        std::vector<std::string> human{"pass", "fail", "pass", "pass"};
        std::vector<std::string> judge{"pass", "pass", "pass", "unsure"};
        auto matrix = stats::confusion_matrix(human, judge);
        REQUIRE(matrix);
        CHECK(matrix->labels == std::vector<std::string>{"fail", "pass", "unsure"});
        CHECK(matrix->counts == Table{{0, 1, 0}, {0, 2, 1}, {0, 0, 0}});
        CHECK(matrix->total() == 4);
        CHECK_FALSE(stats::confusion_matrix(human, std::vector<std::string>{"pass"}));
    }

    TEST_CASE("stats::binary_agreement") {
        SUBCASE("rates and kappa of a judge against human labels") {
            // TP 20, FN 5, FP 10, TN 15: the 2x2 table above, kappa 0.4 (statsmodels)
            stats::BinaryCounts counts{20, 5, 10, 15};
            auto agreement = stats::binary_agreement(counts);
            CHECK(*agreement.accuracy == doctest::Approx(0.7));
            CHECK(*agreement.true_positive_rate == doctest::Approx(0.8));
            CHECK(*agreement.true_negative_rate == doctest::Approx(0.6));
            CHECK(near(*agreement.kappa, 0.4, 1e-15));
        }
        SUBCASE("counting") {
            stats::BinaryCounts counts;
            counts.add(true, true);
            counts.add(true, false);
            counts.add(false, true);
            counts.add(false, false);
            counts.add(false, false);
            CHECK(counts.true_positive == 1);
            CHECK(counts.false_negative == 1);
            CHECK(counts.false_positive == 1);
            CHECK(counts.true_negative == 2);
            CHECK(counts.total() == 5);
        }
        SUBCASE("undefined parts: no items, no reference fails, all one label") {
            auto none = stats::binary_agreement({});
            CHECK_FALSE(none.accuracy);
            CHECK_FALSE(none.true_positive_rate);
            CHECK_FALSE(none.kappa);
            auto all_pass = stats::binary_agreement({4, 0, 0, 0});
            CHECK(*all_pass.accuracy == 1.0);
            CHECK(*all_pass.true_positive_rate == 1.0);
            CHECK_FALSE(all_pass.true_negative_rate);
            CHECK_FALSE(all_pass.kappa);
        }
    }

} // TEST_SUITE
