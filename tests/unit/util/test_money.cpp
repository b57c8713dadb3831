#include <llmops/util/money.hpp>

#include <doctest/doctest.h>

namespace util = llmops::util;

TEST_SUITE("util") {

    TEST_CASE("util::format_usd") {
        SUBCASE("the run reports' default: 4 decimals below a dollar, 2 above, bare zero") {
            CHECK(util::format_usd(0) == "$0");
            CHECK(util::format_usd(0.0123) == "$0.0123");
            CHECK(util::format_usd(0.0002) == "$0.0002");
            CHECK(util::format_usd(12.3) == "$12.30");
        }
        SUBCASE("more decimals below a tenth of a cent (llmops diff's cost per case)") {
            CHECK(util::format_usd(0.0002, {.below_milli = 6}) == "$0.000200");
            CHECK(util::format_usd(0.0016, {.below_milli = 6}) == "$0.0016");
        }
        SUBCASE("zero with decimals (eval --estimate)") {
            CHECK(util::format_usd(0, {.zero = util::UsdZero::decimals}) == "$0.0000");
        }
        SUBCASE("one precision for every size (axis ticks)") {
            CHECK(util::format_usd(0.25, {1, 1, 1}) == "$0.2");
            CHECK(util::format_usd(2, {1, 1, 1}) == "$2.0");
        }
    }

} // TEST_SUITE
