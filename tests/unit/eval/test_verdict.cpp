#include <llmops/eval/judge/verdict.hpp>

#include <doctest/doctest.h>

#include "support/expected.hpp"

using namespace llmops;
namespace judge = llmops::eval::judge;

TEST_SUITE("eval") {

    TEST_CASE("eval::judge::parse_verdict finds the verdict however it is wrapped") {
        SUBCASE("clean JSON") {
            auto v = judge::parse_verdict(
                R"({"reason": "Meets the rubric.", "pass": true, "score": 0.9})");
            REQUIRE_OK(v);
            CHECK(*v->pass);
            CHECK(*v->score == doctest::Approx(0.9));
            CHECK(v->reason == "Meets the rubric.");
        }
        SUBCASE("fenced JSON after prose") {
            auto v = judge::parse_verdict("Let me check.\n```json\n{\"pass\": false, \"reason\": "
                                          "\"Misses {x}\"}\n```\nDone.");
            REQUIRE_OK(v);
            CHECK_FALSE(*v->pass);
            CHECK_FALSE(v->score.has_value());
            CHECK(v->reason == "Misses {x}");
        }
        SUBCASE("prose around JSON: the last object with a verdict wins") {
            auto v = judge::parse_verdict(
                "The rubric says {\"must\": \"be polite\"}. My verdict: "
                "{\"pass\": \"yes\", \"score\": \"4\", \"reason\": \"ok\"} - final.");
            REQUIRE_OK(v);
            CHECK(*v->pass);
            CHECK(*v->score == 4);
        }
        SUBCASE("a reasoning block is dropped, even when it holds JSON") {
            auto v =
                judge::parse_verdict("<think>maybe {\"pass\": true}</think>\n{\"pass\": false}");
            REQUIRE_OK(v);
            CHECK_FALSE(*v->pass);
            // An unclosed reasoning block (a reply cut off) leaves no verdict.
            CHECK_FALSE(judge::parse_verdict("<think>{\"pass\": true} and then").has_value());
        }
        SUBCASE("categories and key case") {
            auto v = judge::parse_verdict(R"({"Category": "C", "Reasoning": "same facts"})");
            REQUIRE_OK(v);
            CHECK(v->category == "C");
            CHECK(v->reason == "same facts");
            CHECK_FALSE(v->pass.has_value());
        }
        SUBCASE("garbage is an error, never a pass") {
            auto none = judge::parse_verdict("I think it is fine.");
            REQUIRE_FALSE(none.has_value());
            CHECK(none.error().code() == ErrorCode::provider);
            CHECK(none.error().message() ==
                  "judge reply has no JSON verdict: 'I think it is fine.'");
            auto bad = judge::parse_verdict(R"({"pass": "maybe"})");
            REQUIRE_FALSE(bad.has_value());
            CHECK(bad.error().message() ==
                  "judge verdict: 'pass' is not true or false: '\"maybe\"'");
            auto score = judge::parse_verdict(R"({"score": "high"})");
            REQUIRE_FALSE(score.has_value());
            CHECK(score.error().message() == "judge verdict: 'score' is not a number: '\"high\"'");
            CHECK_FALSE(judge::parse_verdict(R"({"score": "nan"})").has_value());
            CHECK_FALSE(judge::parse_verdict("").has_value());
            CHECK_FALSE(judge::parse_verdict("{\"unrelated\": 1}").has_value());
            CHECK_FALSE(judge::parse_verdict("{{{{{{").has_value());
        }
        SUBCASE("a verdict nested 100,000 deep is no verdict (quoting it overflowed the stack)") {
            const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
            auto v = judge::parse_verdict(R"({"pass": )" + deep + "}");
            REQUIRE_FALSE(v.has_value());
            CHECK(v.error().code() == ErrorCode::provider);
            CHECK(v.error().message().starts_with(
                "judge reply has no JSON verdict: '{\"pass\": [[["));
        }
    }

} // TEST_SUITE
