// `eval --validate` as a library call: every problem a run would meet before its first call,
// all of them (up to the limit), with no call made. The providers are `echo` and OpenAI models
// whose keys come from a lookup the test controls.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/validate.hpp>

#include "support/expected.hpp"
#include "support/test_project.hpp"

using namespace llmops;
using nlohmann::json;

namespace {

provider::ProviderConfig provider_config(const std::string& id) {
    auto config = provider::parse_provider_config(json(id), "providers", ".");
    REQUIRE_OK(config);
    return *config;
}

eval::AssertionSpec assertion(std::string_view entry) {
    auto spec = eval::parse_assertion(json::parse(entry), "test", ".");
    REQUIRE_OK(spec);
    return *spec;
}

// `n` cases "c1".."cn" with variable q; the first prompt uses q, the second also `missing`.
eval::Suite suite_of(int n, std::vector<std::string> providers) {
    eval::Suite suite;
    suite.path = "suite.yaml";
    suite.prompts.push_back({eval::PromptEntry::Kind::text, "Q: {{q}}", "good", "prompts[0]"});
    suite.prompts.push_back(
        {eval::PromptEntry::Kind::text, "Q: {{q}} {{missing}}", "bad", "prompts[1]"});
    for (const auto& p : providers) {
        suite.providers.push_back(provider_config(p));
    }
    std::vector<eval::TestCase> cases;
    for (int i = 1; i <= n; ++i) {
        eval::TestCase c;
        c.id = "c" + std::to_string(i);
        c.where = "tests.csv:" + std::to_string(i + 1);
        c.vars = {{"q", "question " + std::to_string(i)}};
        cases.push_back(std::move(c));
    }
    suite.tests = eval::CaseSource(std::move(cases));
    return suite;
}

provider::EnvLookup keys(bool present) {
    return [present](std::string_view name) -> std::optional<std::string> {
        return present && name.ends_with("_KEY") ? std::optional<std::string>("k") : std::nullopt;
    };
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::validate_suite") {
        test::TestProject p;

        SUBCASE("a good suite: ok, with the counts of the run") {
            eval::Suite suite = suite_of(3, {"echo", "openai:gpt-4o-mini"});
            suite.prompts.pop_back();
            auto v = eval::validate_suite(*p.db, suite, {}, std::nullopt, keys(true));
            REQUIRE_OK(v);
            CHECK(v->ok());
            CHECK(v->calls() == 1 * 2 * 3);
        }
        SUBCASE("every case is rendered: one problem per case and prompt, at most 20") {
            const eval::Suite suite = suite_of(25, {"echo", "openai:gpt-4o-mini"});
            auto v = eval::validate_suite(*p.db, suite, {}, std::nullopt, keys(true));
            REQUIRE_OK(v);
            REQUIRE(v->problems.size() == eval::Validation::k_max_problems);
            CHECK(v->more_problems == 5); // once per case, not once per provider
            CHECK(v->problems[0].message() == "tests.csv:2: inline: missing variable 'missing'");
            CHECK(v->problems[19].message().starts_with("tests.csv:21: "));
            CHECK(v->cases == 25);
        }
        SUBCASE("a missing key and a missing judge are both reported") {
            eval::Suite suite = suite_of(2, {"echo", "openai:gpt-4o-mini"});
            suite.prompts.pop_back();
            eval::TestCase judged;
            judged.id = "judged";
            judged.where = "tests[2]";
            judged.vars = {{"q", "x"}};
            judged.asserts.push_back(assertion(R"({"type": "llm-rubric", "value": "polite"})"));
            suite.tests = eval::CaseSource(std::vector<eval::TestCase>{judged});
            suite.judge_prompts.insert({"llm-rubric", ""});
            auto v = eval::validate_suite(*p.db, suite, {}, std::nullopt, keys(false));
            REQUIRE_OK(v);
            REQUIRE(v->problems.size() == 2);
            CHECK(v->problems[0].message().find("OPENAI_API_KEY") != std::string::npos);
            CHECK(v->problems[1].message().find("need a judge model") != std::string::npos);
        }
    }

} // TEST_SUITE
