// Routing advice's arithmetic (online/advise.hpp).

#include <doctest/doctest.h>

#include <llmops/online/advise.hpp>
#include <llmops/stats/proportion.hpp>

using namespace llmops;

TEST_SUITE("online") {
    TEST_CASE("online::cases_for_lower_bound") {
        // The least n whose Wilson lower bound at the rate reaches the bar, and n - 1 does not.
        for (const auto& [rate, bar] :
             {std::pair{0.95, 0.9}, {0.9166666666666666, 0.9}, {0.8, 0.5}, {0.999, 0.99}}) {
            CAPTURE(rate);
            auto n = online::cases_for_lower_bound(rate, bar, 0.95);
            REQUIRE(n);
            CHECK(stats::wilson_interval_of_rate(rate, static_cast<double>(*n), 0.95)->lower >=
                  bar);
            CHECK(stats::wilson_interval_of_rate(rate, static_cast<double>(*n - 1), 0.95)->lower <
                  bar);
        }
        CHECK_FALSE(online::cases_for_lower_bound(0.9, 0.9, 0.95));
        CHECK_FALSE(online::cases_for_lower_bound(0.5, 0.9, 0.95));
    }
}
