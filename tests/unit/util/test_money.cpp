#include <llmops/util/money.hpp>

#include <doctest/doctest.h>

namespace util = llmops::util;

TEST_SUITE("util") {

    TEST_CASE("util::format_usd") {
        SUBCASE("4 decimals from a cent to a dollar, 2 above, bare zero") {
            CHECK(util::format_usd(0) == "$0");
            CHECK(util::format_usd(0.0123) == "$0.0123");
            CHECK(util::format_usd(0.5) == "$0.5000");
            CHECK(util::format_usd(12.3) == "$12.30");
        }
        SUBCASE("three significant digits below a cent: a non-zero cost never reads $0.0000") {
            CHECK(util::format_usd(0.0000412) == "$0.0000412");
            CHECK(util::format_usd(0.0002) == "$0.000200");
            CHECK(util::format_usd(0.0016) == "$0.00160");
            CHECK(util::format_usd(0.00412345) == "$0.00412");
            CHECK(util::format_usd(3e-9) == "$0.00000000300");
            CHECK(util::format_usd(-0.0000412) == "$-0.0000412");
        }
        SUBCASE("zero with decimals (eval --estimate)") {
            CHECK(util::format_usd(0, {.zero = util::UsdZero::decimals}) == "$0.0000");
        }
        SUBCASE("one precision for every size (axis ticks)") {
            CHECK(util::format_usd(0.25, {1, 1, 0}) == "$0.2");
            CHECK(util::format_usd(2, {1, 1, 0}) == "$2.0");
            CHECK(util::format_usd(0.0002, {4, 4, 0}) == "$0.0002");
        }
    }

    TEST_CASE("util::format_cost") {
        CHECK(util::format_cost(0.0123, 0) == "$0.0123");
        CHECK(util::format_cost(0.0123, 2) == "≥$0.0123"); // two calls without a price
        CHECK(util::format_cost(0, 3) == "unknown");       // no call had a price
        CHECK(util::format_cost(0, 0) == "$0");
    }

} // TEST_SUITE
