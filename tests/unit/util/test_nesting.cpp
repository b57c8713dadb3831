#include <llmops/util/nesting.hpp>

#include <string>

#include <doctest/doctest.h>

namespace util = llmops::util;

TEST_SUITE("util") {

    TEST_CASE("util::find_deep_json") {
        SUBCASE("the bracket that opens one level too many") {
            CHECK(util::find_deep_json("[[[]]]", 3) == std::nullopt);
            CHECK(util::find_deep_json("[[[[]]]]", 3) == 3u);
            CHECK(util::find_deep_json(R"({"a": [{"b": [1]}]})", 3) == 13u);
            CHECK(util::find_deep_json("[[], [], []]", 1) == 1u);
        }
        SUBCASE("levels close again: siblings are not deeper") {
            CHECK(util::find_deep_json("[[1], [2], [[3]]]", 3) == std::nullopt);
            CHECK(util::find_deep_json("[[1], [2], [[[4]]]]", 3) == 13u);
        }
        SUBCASE("brackets in strings, escaped quotes included, do not count") {
            CHECK(util::find_deep_json(R"(["[[[[", "\"[[[[", {"{{{{": 1}])", 2) == std::nullopt);
            CHECK(util::find_deep_json(R"(["\\", [[1]]])", 2) == 8u);
        }
        SUBCASE("512 by default: 100,000 levels are found at the 513th bracket") {
            const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
            CHECK(util::find_deep_json(deep) == 512u);
            CHECK(util::find_deep_json(deep.substr(0, 512) + deep.substr(deep.size() - 512)) ==
                  std::nullopt);
        }
    }

    TEST_CASE("util::nesting_message") {
        CHECK(util::nesting_message() == "nesting deeper than 512 levels");
        CHECK(util::nesting_message(498) == "nesting deeper than 498 levels");
    }

} // TEST_SUITE
