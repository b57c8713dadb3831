#include <llmops/report/case_inputs.hpp>

// A case's inputs on one line and its prompts as text, shared by every report.

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/report/escape.hpp>

using nlohmann::json;
namespace report = llmops::report;

TEST_SUITE("report") {

    TEST_CASE("report::vars_line") {
        SUBCASE("strings quoted, other values as JSON, in key order") {
            CHECK(report::vars_line(json{{"question", "What is 2+2?"}, {"lang", "fr"}, {"n", 3}},
                                    200) == R"(lang="fr", n=3, question="What is 2+2?")");
        }
        SUBCASE("no variables: nothing") {
            CHECK(report::vars_line(json::object(), 200).empty());
            CHECK(report::vars_line(json(), 200).empty());
        }
        SUBCASE("newlines and control characters as JSON escapes, on one line") {
            CHECK(report::vars_line(json{{"q", "a\nb\x1b[31m"}}, 200) == R"(q="a\nb\u001b[31m")");
        }
        SUBCASE("cut to the width with one ellipsis, even for a huge value") {
            const std::string line =
                report::vars_line(json{{"doc", std::string(1 << 20, 'x')}, {"z", 1}}, 20);
            CHECK(line == "doc=\"xxxxxxxxxxxxxx…");
            CHECK(report::code_point_count(line) == 20);
        }
        SUBCASE("invalid UTF-8 becomes U+FFFD") {
            CHECK(report::vars_line(json{{"q", "\xff"}}, 200) == "q=\"\xEF\xBF\xBD\"");
        }
    }

    TEST_CASE("report::rendered_prompt_text") {
        CHECK(
            report::rendered_prompt_text(
                R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi\nthere"}])") ==
            "[system]\nBe brief.\n\n[user]\nHi\nthere");
        CHECK(report::rendered_prompt_text("plain text") == "plain text");
    }

    TEST_CASE("report::prompt_content_text") {
        const std::string content =
            R"({"config":{"temperature":0},"messages":[{"content":"Answer {{q}}\nbriefly","role":"user"}],"variables":{}})";
        CHECK(report::prompt_content_text(content) ==
              "[user]\nAnswer {{q}}\nbriefly\n\n[config] {\"temperature\":0}\n");
        CHECK(report::prompt_content_text("not json") == "not json");
    }
}
