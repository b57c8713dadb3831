#include <llmops/eval/assertion.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace eval = llmops::eval;
using json = nlohmann::json;

namespace {

eval::AssertionResult check(std::string_view type, const eval::AssertionContext& context) {
    auto spec = eval::parse_assertion({{"type", type}}, "t", ".");
    if (!spec)
        FAIL(spec.error().message());
    return eval::run_assertion(*spec, context);
}

eval::AssertionContext answer(std::string_view output) {
    eval::AssertionContext context;
    context.output = output;
    context.finish_reason = "stop";
    return context;
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::is-refusal") {
        SUBCASE("refusal phrases in the opening of the answer, curly apostrophes too") {
            const auto r =
                check("is-refusal", answer("I\xE2\x80\x99m sorry, but I can\xE2\x80\x99t "
                                           "help with that."));
            CHECK(r.pass);
            CHECK(r.reason == "output refuses ('i'm sorry, but')");
            CHECK(check("is-refusal", answer("As an AI language model, I cannot do that")).pass);
        }
        SUBCASE("an ordinary answer is not a refusal") {
            const auto r = check("is-refusal", answer("The capital of France is Paris."));
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "output 'The capital of France is Paris.' is not a refusal");
            const std::string helpful =
                "Here is the plan. " + std::string(400, '.') + " I can't guarantee it works.";
            CHECK_FALSE(check("is-refusal", answer(helpful)).pass);
        }
        SUBCASE("the provider's signals and an empty answer count as refusals") {
            auto refused = answer("");
            refused.refused = true;
            CHECK(check("is-refusal", refused).reason == "the provider reported a refusal");
            auto filtered = answer("partial");
            filtered.finish_reason = "content_filter";
            CHECK(check("is-refusal", filtered).pass);
            CHECK(check("is-refusal", answer("  \n")).reason ==
                  "output is empty (taken as a refusal)");
        }
        SUBCASE("not-is-refusal passes on a real answer") {
            CHECK(check("not-is-refusal", answer("Paris.")).pass);
            CHECK_FALSE(check("not-is-refusal", answer("I cannot help with that.")).pass);
        }
    }
}
