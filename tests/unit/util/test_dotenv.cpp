#include <llmops/util/dotenv.hpp>

#include <doctest/doctest.h>

#include "support/expected.hpp"

namespace util = llmops::util;
using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST_SUITE("util") {

    TEST_CASE("util::parse_dotenv") {
        SUBCASE("assignments, comments, export, quotes and inline comments") {
            auto parsed = util::parse_dotenv("# keys\n\nA=1\nexport B = two words \n"
                                             "C=\"line\\nnext\"\nD='single # kept'\n"
                                             "E=bare # comment\nF=\n",
                                             ".env");
            REQUIRE_OK(parsed);
            CHECK(*parsed == Pairs{{"A", "1"},
                                   {"B", "two words"},
                                   {"C", "line\nnext"},
                                   {"D", "single # kept"},
                                   {"E", "bare"},
                                   {"F", ""}});
        }
        SUBCASE("a line that is not an assignment names its line") {
            auto parsed = util::parse_dotenv("A=1\nnot an assignment\n", "x.env");
            REQUIRE_FALSE(parsed.has_value());
            CHECK(parsed.error().message() == "x.env:2: expected NAME=value");
        }
    }
}
