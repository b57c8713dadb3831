// The estimate's dry-run sink on a real store, driven by the run's Scheduler and by hand, over a
// suite built in memory: the calls it prices and the judge's calls it plans (samples, select-best
// once per case and repeat, in both orders). Nothing is called: the providers are `echo` and an
// OpenAI model whose key is a stand-in.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/estimate.hpp>

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

provider::ProviderConfig provider_config(const std::string& id) {
    auto config = provider::parse_provider_config(json(id), "providers", ".");
    REQUIRE_OK(config);
    return *config;
}

eval::TestCase test_case(std::string id, json vars, std::vector<eval::AssertionSpec> asserts) {
    eval::TestCase c;
    c.id = std::move(id);
    c.where = "tests[" + c.id + "]";
    c.vars = std::move(vars);
    c.asserts = std::move(asserts);
    return c;
}

// Two variants (echo, and gpt-4o-mini, priced) judged by echo, 2 samples per verdict: "judged"
// has llm-rubric and select-best, "plain" a check, "broken" a prompt that cannot be rendered.
eval::Suite judged_suite() {
    eval::Suite suite;
    suite.path = "suite.yaml";
    suite.prompts.push_back({eval::PromptEntry::Kind::text, "Q: {{q}}", "plain", "prompts[0]"});
    suite.providers = {provider_config("echo"), provider_config("openai:gpt-4o-mini")};
    suite.judge = provider_config("echo");
    suite.judge_samples = 2;
    std::vector<eval::TestCase> cases;
    cases.push_back(test_case("judged", {{"q", "why?"}},
                              {assertion(R"({"type": "llm-rubric", "value": "polite"})"),
                               assertion(R"({"type": "select-best", "value": "clearest"})")}));
    cases.push_back(test_case("plain", {{"q", "what?"}},
                              {assertion(R"({"type": "contains", "value": "what"})")}));
    cases.push_back(test_case("broken", json::object(),
                              {assertion(R"({"type": "select-best", "value": "clearest"})")}));
    suite.tests = eval::CaseSource(std::move(cases));
    return suite;
}

// The plan of `suite` at 2 repeats, with a stand-in for every API key.
eval::RunPlan plan(test::TestProject& p, const eval::Suite& suite) {
    eval::RunOptions options;
    options.repeat = 2;
    const provider::EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
        return name.ends_with("_KEY") ? std::optional<std::string>("test-key") : std::nullopt;
    };
    auto made = eval::plan_run(*p.db, p.project, suite, options, env);
    REQUIRE_OK(made);
    return std::move(*made);
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::EstimateSink") {
        test::TestProject p;
        const eval::Suite suite = judged_suite();
        eval::RunPlan run = plan(p, suite);
        auto sink = eval::EstimateSink::make(*p.db, suite, run, nullptr, "suite.yaml");
        REQUIRE_OK(sink);

        SUBCASE("walked by the run's scheduler, it prices every call and the judge's") {
            eval::Scheduler scheduler(1, 2, run.repeat, sink->walk());
            scheduler.pump();
            CHECK(scheduler.outstanding() == 0);
            const eval::RunEstimate& e = sink->estimate();
            REQUIRE(e.variants.size() == 2);
            for (const auto& v : e.variants) {
                CHECK(v.calls == 4);        // judged and plain, 2 repeats
                CHECK(v.not_rendered == 2); // broken, 2 repeats
                CHECK(v.output_tokens == 4 * eval::k_assumed_output_tokens);
            }
            CHECK(e.variants[0].local);
            REQUIRE(e.variants[1].cost_usd.has_value());
            CHECK(*e.variants[1].cost_usd > 0);
            // Per repeat of "judged": llm-rubric, 2 samples, on each variant's answer (4), and
            // select-best once for both in 2 orders x 2 samples (4). "broken" has no answer to
            // judge: its select-best groups end without a call.
            REQUIRE(e.judge.has_value());
            CHECK(e.judge->provider == "echo");
            CHECK(e.judge->calls == 2 * 8);
            CHECK(e.judge->output_tokens == 2 * 8 * eval::k_assumed_verdict_tokens);
            CHECK(e.judge->local);
            CHECK(e.calls() == 8 + 16);
        }
        SUBCASE("select-best is planned when the last variant of a case and repeat is in") {
            eval::Scheduler::Walk walk = sink->walk();
            const auto judged = walk.next_case(); // expects both variants' answers
            REQUIRE(judged);
            REQUIRE(judged->id == "judged");
            const auto judge_calls = [&] { return sink->estimate().judge->calls; };
            CHECK_FALSE(sink->send({judged, 0, 0, 0})); // done at once, never outstanding
            CHECK(judge_calls() == 2);                  // llm-rubric's 2 samples
            sink->send({judged, 0, 0, 1});
            CHECK(judge_calls() == 4);
            sink->send({judged, 0, 1, 0}); // repeat 0 complete: select-best, 2 orders x 2
            CHECK(judge_calls() == 4 + 2 + 4);
            sink->send({judged, 0, 1, 1});
            CHECK(judge_calls() == 16);
            CHECK(sink->estimate().variants[1].calls == 2);
        }
    }

} // TEST_SUITE
