// judge::Planner, which the run and its estimate both plan the judge's calls with: an answer's
// own model-graded assertions, and select-best once per case and repeat when its group is in.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/judge/planner.hpp>
#include <llmops/eval/suite.hpp>
#include <llmops/provider/provider.hpp>

#include "support/expected.hpp"
#include "support/test_project.hpp"

using namespace llmops;
using nlohmann::json;

namespace {

eval::AssertionSpec assertion(std::string_view entry) {
    auto spec = eval::parse_assertion(json::parse(entry), "test", ".");
    REQUIRE_OK(spec);
    return *spec;
}

provider::CallOutcome answer(std::string output) {
    provider::CallOutcome o;
    o.result.output = std::move(output);
    return o;
}

// A judge (echo, never called) whose prompts the planner loads as the run does.
struct Fixture {
    test::TestProject project;
    std::unique_ptr<provider::Provider> echo;
    eval::judge::Setup setup;
    eval::Suite suite;
    eval::TestCase test;

    Fixture() {
        auto config = provider::parse_provider_config(json("echo"), "judge", ".");
        REQUIRE_OK(config);
        auto made = provider::Provider::create(*config, provider::process_env());
        REQUIRE_OK(made);
        echo = std::move(*made);
        setup.provider = echo.get();
        setup.samples = 3;
        test.id = "case";
        test.position = 7;
        test.asserts = {assertion(R"({"type": "llm-rubric", "value": "polite"})"),
                        assertion(R"({"type": "select-best", "value": "clearest"})")};
    }
};

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("judge::Planner") {
        Fixture f;
        eval::judge::Planner planner(*f.project.db, f.setup, f.suite, 3);
        const std::vector<provider::ChatMessage> asked_0 = {{"user", "question zero"}};
        const std::vector<provider::ChatMessage> asked_2 = {{"user", "question two"}};
        std::vector<std::string> warnings;
        CHECK(eval::judge::Planner::grouped(f.test));

        SUBCASE("an answer's own assertions, each with its samples; select-best left out") {
            const auto own = planner.answer(f.test, asked_0, answer("hello"), warnings);
            CHECK(warnings.empty());
            CHECK(own.calls() == 3); // llm-rubric, 3 samples (its prompt loaded on the way)
            CHECK(own.planned.size() == 1);
            CHECK(own.planned.begin()->first == &f.test.asserts[0]);
        }
        SUBCASE("select-best waits for the group, then shows the lowest answered variant's input") {
            planner.expect(f.test.position, 0, 3);
            const auto two = answer("second");
            const auto zero = answer("first");
            planner.answer(f.test, asked_2, two, warnings); // loads the judge prompts, as a run
            CHECK_FALSE(planner.arrive(f.test, 0, 2, &asked_2, &two));
            CHECK_FALSE(planner.arrive(f.test, 0, 1, nullptr, nullptr)); // variant 1 failed
            const auto group = planner.arrive(f.test, 0, 0, &asked_0, &zero);
            REQUIRE(group);
            REQUIRE(group->planned.size() == 1);
            const auto& planned = group->planned.begin()->second;
            CHECK(planned.type == "select-best");
            REQUIRE(planned.calls.size() == 6); // 3 samples x both orders
            CHECK(planned.calls[0].order == std::vector<int>{0, 2});
            CHECK(planned.calls[1].order == std::vector<int>{2, 0});
            const std::string& shown = planned.calls[0].messages.back().content;
            CHECK(shown.find("question zero") != std::string::npos);
            CHECK(shown.find("question two") == std::string::npos);

            eval::judge::Exchange mine;
            eval::judge::Planner::share(*group, 2, mine);
            CHECK(mine.planned.at(&f.test.asserts[1]).self == 2);
            CHECK(mine.provider_id == "echo");
        }
        SUBCASE("a group with no answer ends without calls") {
            planner.expect(f.test.position, 1, 2);
            CHECK_FALSE(planner.arrive(f.test, 1, 0, nullptr, nullptr));
            const auto group = planner.arrive(f.test, 1, 1, nullptr, nullptr);
            REQUIRE(group);
            CHECK(group->calls() == 0);
        }
    }

} // TEST_SUITE
