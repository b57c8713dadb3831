// Tables that fit the terminal: labels cut from the prompt side, columns dropped in order.

#include <llmops/report/table.hpp>

#include <doctest/doctest.h>

#include <llmops/report/escape.hpp>

namespace report = llmops::report;

TEST_SUITE("report") {

    TEST_CASE("report::fit_variant_label") {
        const std::string label =
            "What is {{a}} plus {{b}}? Answer with a number | openai:gpt-4o-mini";
        SUBCASE("a label that fits is left whole") {
            CHECK(report::fit_variant_label(label, 200) == label);
        }
        SUBCASE("the prompt side is cut first, with one ellipsis; the provider survives") {
            const auto cut = report::fit_variant_label(label, 40);
            CHECK(cut == "What is {{a}} plus… | openai:gpt-4o-mini");
            CHECK(report::code_point_count(cut) == 40);
        }
        SUBCASE("when even the provider does not fit, the end is kept") {
            const auto cut = report::fit_variant_label(label, 12);
            CHECK(cut == "…gpt-4o-mini");
            CHECK(report::code_point_count(cut) == 12);
        }
        SUBCASE("multi-byte text is cut on code points, control characters escaped") {
            const auto cut =
                report::fit_variant_label("Übersetze «{{t}}» ins Deutsche | échO\x1b", 22);
            CHECK(report::code_point_count(cut) == 22);
            CHECK(cut.ends_with(" | échO\\x1b"));
        }
    }

    TEST_CASE("report::fit_columns") {
        const std::vector<report::TableColumn> columns{
            {"RATE", 9, 0}, {"TOKENS", 13, 1}, {"COST", 10, 0}, {"P95", 7, 2}};
        size_t label = 0;
        SUBCASE("wide: every column, the whole label") {
            CHECK(report::fit_columns(columns, 200, 3, 30, 12, label) ==
                  std::vector<bool>{true, true, true, true});
            CHECK(label == 30);
        }
        SUBCASE("narrow: the lowest drop rank goes first, the label gets the rest") {
            // 3 + (9+2) + (10+2) + (7+2) = 35 without TOKENS; 35 + 20 > 50 drops P95 as well.
            CHECK(report::fit_columns(columns, 50, 3, 30, 12, label) ==
                  std::vector<bool>{true, false, true, false});
            CHECK(label == 24);
        }
        SUBCASE("columns that never drop stay, and the label keeps its minimum") {
            CHECK(report::fit_columns(columns, 20, 3, 30, 12, label) ==
                  std::vector<bool>{true, false, true, false});
            CHECK(label == 12);
        }
    }

} // TEST_SUITE
