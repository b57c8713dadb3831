#include <llmops/report/diff_format.hpp>

// How the diff reports write a case's inputs: one line, escaped, cut with one "…".

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/report/escape.hpp>

using namespace llmops;
using nlohmann::json;

TEST_SUITE("report") {

    TEST_CASE("report::diff_format::inputs_line") {
        using report::diff_format::inputs_line;
        SUBCASE("each variable as JSON, on one line") {
            CHECK(inputs_line({{"q", "What is 2+2?"}, {"lang", "fr"}}, 160) ==
                  R"(lang="fr", q="What is 2+2?")");
            CHECK(inputs_line({{"n", 3}, {"tags", {"a", "b"}}}, 160) == R"(n=3, tags=["a","b"])");
        }
        SUBCASE("control characters escaped, C1 and ESC included") {
            const std::string line = inputs_line({{"q", "a\nb\x1b[2J\xc2\x9b"}}, 160);
            CHECK(line.find('\n') == std::string::npos);
            CHECK(line.find('\x1b') == std::string::npos);
            CHECK(line.find("\xc2\x9b") == std::string::npos);
            CHECK(line.starts_with(R"(q="a\nb\u001b[2J)"));
        }
        SUBCASE("cut to fit with one …") {
            const std::string line = inputs_line({{"q", std::string(500, 'x')}}, 40);
            CHECK(report::code_point_count(line) == 40);
            CHECK(line == "q=\"" + std::string(36, 'x') + "…");
            CHECK(inputs_line({{"q", "xx"}}, 6) == R"(q="xx")"); // fits exactly: not cut
        }
        SUBCASE("invalid UTF-8 does not throw") {
            CHECK(inputs_line({{"q", "\xff"}}, 40) == "q=\"\xef\xbf\xbd\"");
        }
        SUBCASE("nothing for no inputs") {
            CHECK(inputs_line(json::object(), 40) == "");
            CHECK(inputs_line(json(), 40) == "");
        }
    }

} // TEST_SUITE
