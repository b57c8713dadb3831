#include <llmops/eval/assertion.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace eval = llmops::eval;
using json = nlohmann::json;

namespace {

eval::AssertionResult check(const json& entry, std::string_view output) {
    auto spec = eval::parse_assertion(entry, "t", ".");
    if (!spec)
        FAIL(spec.error().message());
    eval::AssertionContext context;
    context.output = output;
    return eval::run_assertion(*spec, context);
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::levenshtein") {
        SUBCASE("passes within 5 edits by default") {
            const auto r = check({{"type", "levenshtein"}, {"value", "Paris"}}, "Pari");
            CHECK(r.pass);
            CHECK(r.reason == "edit distance 1 to 'Paris' (at most 5 allowed)");
            const auto f = check({{"type", "levenshtein"}, {"value", "Paris"}}, "London");
            CHECK_FALSE(f.pass);
            CHECK(f.reason == "edit distance 6 to 'Paris' (at most 5 allowed)");
        }
        SUBCASE("the threshold is the largest distance allowed, in characters") {
            CHECK(
                check({{"type", "levenshtein"}, {"value", "cafe"}, {"threshold", 1}}, "caf\xC3\xA9")
                    .pass);
            CHECK_FALSE(
                check({{"type", "levenshtein"}, {"value", "cafe"}, {"threshold", 0}}, "caf\xC3\xA9")
                    .pass);
        }
        SUBCASE("long texts are compared in a band") {
            const std::string a(6000, 'a');
            const auto r = check({{"type", "levenshtein"}, {"value", a}}, a + "bbbbbbbb");
            CHECK_FALSE(r.pass);
            CHECK(r.reason.starts_with("edit distance more than 5 to 'aaa"));
            CHECK(check({{"type", "levenshtein"}, {"value", a}}, a + "bb").pass);
        }
    }

    TEST_CASE("eval::rouge-n") {
        const json entry = {{"type", "rouge-n"}, {"value", "the cat sat on the mat"}};
        SUBCASE("the score is the share of the expected words found, 0.75 to pass") {
            const auto r = check(entry, "the cat sat on the mat today");
            CHECK(r.pass);
            CHECK(r.score == 1);
            const auto f = check(entry, "the cat sat");
            CHECK_FALSE(f.pass);
            CHECK(f.score == 0.5);
            CHECK(f.reason == "ROUGE-1 0.50 against the expected text (threshold 0.75)");
        }
        SUBCASE("config n picks the n-gram size, threshold the score to reach") {
            json bigrams = entry;
            bigrams["config"] = {{"n", 2}};
            bigrams["threshold"] = 0.4;
            const auto r = check(bigrams, "the cat sat");
            CHECK(r.pass);
            CHECK(r.score == doctest::Approx(0.4));
        }
        SUBCASE("an empty expected text is refused") {
            auto spec = eval::parse_assertion({{"type", "rouge-n"}, {"value", " "}}, "t", ".");
            REQUIRE_FALSE(spec.has_value());
            CHECK(spec.error().message() == "t: 'rouge-n' needs a string 'value'");
        }
    }

    TEST_CASE("eval::bleu") {
        SUBCASE("an identical answer scores 1, an unrelated one near 0; 0.5 to pass") {
            const json entry = {{"type", "bleu"}, {"value", "The quick brown fox jumps over"}};
            const auto r = check(entry, "the quick brown fox jumps over");
            CHECK(r.pass);
            CHECK(r.score == doctest::Approx(1.0));
            CHECK(r.reason == "BLEU 1.00 against the expected text (threshold 0.5)");
            const auto f = check(entry, "a slow green turtle");
            CHECK_FALSE(f.pass);
            CHECK(f.score < 0.01);
        }
        SUBCASE("with several references the best match counts") {
            const json entry = {{"type", "bleu"},
                                {"value", {"a b c d e", "the quick brown fox jumps over"}}};
            const auto r = check(entry, "the quick brown fox jumps over");
            CHECK(r.pass);
            CHECK(r.reason == "BLEU 1.00 against 2 references (threshold 0.5)");
        }
        SUBCASE("a short answer is penalised for brevity") {
            const json entry = {{"type", "bleu"},
                                {"value", "one two three four five six seven eight"}};
            const auto r = check(entry, "one two three four");
            CHECK(r.score == doctest::Approx(std::exp(1.0 - 8.0 / 4.0)));
        }
    }
}
