// The judge's planning and grading (eval/judge/judge.hpp, judge/grade.cpp) without a network:
// exchanges are planned, their replies written here, then graded through run_assertions.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/judge/judge.hpp>
#include <llmops/provider/provider.hpp>
#include <llmops/store/prompts.hpp>

#include "support/expected.hpp"
#include "support/test_project.hpp"

namespace llmops::eval {

namespace {

using nlohmann::json;

AssertionSpec spec_of(const json& entry) {
    auto spec = parse_assertion(entry, "t.yaml: tests[0].assert[0]", ".");
    REQUIRE_OK(spec);
    return std::move(*spec);
}

// A judge set up over a real store (the shipped prompts get committed) with an echo provider
// (never called here: the replies are written by the test).
struct Fixture {
    test::TestProject project;
    std::unique_ptr<provider::Provider> provider;
    judge::Setup setup;

    Fixture() {
        auto config = provider::parse_provider_config(json("echo"), "judge", ".");
        REQUIRE_OK(config);
        auto made = provider::Provider::create(*config, provider::process_env());
        REQUIRE_OK(made);
        provider = std::move(*made);
        setup.provider = provider.get();
    }

    void load(const std::string& type, const std::string& ref = "") {
        auto loaded = judge::load_judge_prompt(*project.db, type, ref);
        REQUIRE_OK(loaded);
        setup.prompts.insert_or_assign(judge::prompt_key(type, ref), std::move(*loaded));
    }
};

AssertionContext context_for(const json& vars, std::string_view output) {
    static json held;
    held = vars;
    AssertionContext c;
    c.output = output;
    c.vars = &held;
    c.prompt = "What is the capital of France?";
    return c;
}

// Grades `spec` with the replies given, one per planned call, in order.
AssertionResult grade(const AssertionSpec& spec, judge::Exchange& exchange,
                      const std::vector<std::string>& replies, const AssertionContext& context) {
    auto& planned = exchange.planned.at(&spec);
    REQUIRE(planned.calls.size() == replies.size());
    for (size_t i = 0; i < replies.size(); ++i) {
        planned.calls[i].reply = replies[i];
    }
    AssertionContext with = context;
    with.judge = &exchange;
    return run_assertion(spec, with);
}

} // namespace

TEST_CASE("judge::load_judge_prompt") {
    test::TestProject project;
    store::PromptStore prompts(*project.db);
    SUBCASE("the shipped prompt is committed once, as judge/<type>, by llmops") {
        auto first = judge::load_judge_prompt(*project.db, "llm-rubric", "");
        REQUIRE_OK(first);
        CHECK(first->ref == "judge/llm-rubric@1");
        CHECK(first->params.temperature == 0.0);
        CHECK(first->params.response_format_json == R"({"type":"json_object"})");
        auto again = judge::load_judge_prompt(*project.db, "llm-rubric", "");
        REQUIRE_OK(again);
        CHECK(again->version_id == first->version_id);
        auto log = prompts.log(std::string("judge/llm-rubric"), std::nullopt);
        REQUIRE_OK(log);
        REQUIRE(log->size() == 1);
        CHECK(log->front().author == "llmops");
        // model-graded-factuality is promptfoo's other name for factuality.
        auto fact = judge::load_judge_prompt(*project.db, "model-graded-factuality", "");
        REQUIRE_OK(fact);
        CHECK(fact->ref == "judge/factuality@1");
    }
    SUBCASE("every shipped prompt parses and names its type") {
        for (const auto& file : judge::shipped_prompts()) {
            auto loaded = judge::load_judge_prompt(*project.db, file.name, "");
            REQUIRE_OK(loaded);
            CHECK(loaded->ref == "judge/" + std::string(file.name) + "@1");
        }
        CHECK(judge::shipped_prompts().size() == 9);
    }
    SUBCASE("an unknown ref is an error naming the type") {
        auto missing = judge::load_judge_prompt(*project.db, "llm-rubric", "my-judge");
        REQUIRE_FALSE(missing.has_value());
        CHECK(missing.error().message().starts_with(
            "judge prompt for 'llm-rubric': unknown prompt 'my-judge'"));
    }
}

TEST_CASE("judge::plan and grading") {
    Fixture f;
    SUBCASE("llm-rubric: a clean verdict passes; the rubric and output reach the judge prompt") {
        f.load("llm-rubric");
        const std::vector<AssertionSpec> spec_list{
            spec_of({{"type", "llm-rubric"}, {"value", "names {{city}}"}})};
        const auto& spec = spec_list[0];
        const auto ctx = context_for({{"city", "Paris"}}, "Paris.");
        auto exchange = judge::plan(spec_list, ctx, f.setup);
        const auto& calls = exchange.planned.at(&spec).calls;
        REQUIRE(calls.size() == 1);
        CHECK(calls[0].messages[1].content.find("names Paris") != std::string::npos);
        CHECK(calls[0].messages[1].content.find("<output>\nParis.\n</output>") !=
              std::string::npos);
        const auto r = grade(spec, exchange, {R"({"reason":"ok","pass":true,"score":0.8})"}, ctx);
        CHECK(r.pass);
        CHECK(r.score == doctest::Approx(0.8));
        CHECK(r.reason == "judge: pass: ok");
        CHECK(r.judge["samples"][0]["reply"] == R"({"reason":"ok","pass":true,"score":0.8})");
    }
    SUBCASE("llm-rubric with a threshold needs the score too; negation flips a verdict, never an "
            "error") {
        f.load("llm-rubric");
        const std::vector<AssertionSpec> spec_list{
            spec_of({{"type", "llm-rubric"}, {"value", "x"}, {"threshold", 0.9}})};
        const auto& spec = spec_list[0];
        const auto ctx = context_for(json::object(), "out");
        auto exchange = judge::plan(spec_list, ctx, f.setup);
        CHECK_FALSE(grade(spec, exchange, {R"({"pass":true,"score":0.8})"}, ctx).pass);
        const std::vector<AssertionSpec> negated_list{
            spec_of({{"type", "not-llm-rubric"}, {"value", "x"}})};
        const auto& negated = negated_list[0];
        auto exchange2 = judge::plan(negated_list, ctx, f.setup);
        CHECK(grade(negated, exchange2, {R"({"pass":false})"}, ctx).pass);
        auto exchange3 = judge::plan(negated_list, ctx, f.setup);
        const auto error = grade(negated, exchange3, {"no idea"}, ctx);
        CHECK(error.error);
        CHECK_FALSE(error.pass);
    }
    SUBCASE("samples: majority for pass/fail (a tie fails), split reported") {
        f.load("model-graded-closedqa");
        f.setup.samples = 4;
        const std::vector<AssertionSpec> spec_list{
            spec_of({{"type", "model-graded-closedqa"}, {"value", "says yes"}})};
        const auto& spec = spec_list[0];
        const auto ctx = context_for(json::object(), "yes");
        auto exchange = judge::plan(spec_list, ctx, f.setup);
        REQUIRE(exchange.planned.at(&spec).calls.size() == 4);
        CHECK(exchange.planned.at(&spec).calls[3].sample == 3);
        const auto r = grade(
            spec, exchange,
            {R"({"pass":true})", R"({"pass":false})", R"({"pass":true})", R"({"pass":false})"},
            ctx);
        CHECK_FALSE(r.pass);
        CHECK(r.judge["split"] == true);
        CHECK(r.judge["agreement"] == 0.5);
        CHECK(r.reason.find("(2 of 4 samples passed)") != std::string::npos);
        // config.samples overrides the suite's.
        const std::vector<AssertionSpec> one_list{spec_of(
            {{"type", "model-graded-closedqa"}, {"value", "x"}, {"config", {{"samples", 1}}}})};
        const auto& one = one_list[0];
        CHECK(judge::plan(one_list, ctx, f.setup).planned.at(&one).calls.size() == 1);
    }
    SUBCASE("one unusable sample makes the assertion an error, not a quieter majority") {
        f.load("model-graded-closedqa");
        f.setup.samples = 3;
        const std::vector<AssertionSpec> spec_list{
            spec_of({{"type", "model-graded-closedqa"}, {"value", "x"}})};
        const auto& spec = spec_list[0];
        const auto ctx = context_for(json::object(), "yes");
        auto exchange = judge::plan(spec_list, ctx, f.setup);
        const auto r = grade(spec, exchange,
                             {R"({"pass":true})", R"({"pass":true})", "```json\n{oops}\n```"}, ctx);
        CHECK(r.error);
    }
    SUBCASE("g-eval: 1-5 normalised to 0-1, the mean of samples against the threshold") {
        f.load("g-eval");
        f.setup.samples = 2;
        const std::vector<AssertionSpec> spec_list{
            spec_of({{"type", "g-eval"},
                     {"value", "coherence"},
                     {"config", {{"steps", {"read it", "rate it"}}}}})};
        const auto& spec = spec_list[0];
        const auto ctx = context_for(json::object(), "text");
        auto exchange = judge::plan(spec_list, ctx, f.setup);
        CHECK(exchange.planned.at(&spec).calls[0].messages[0].content.find(
                  "1. read it\n2. rate it") != std::string::npos);
        const auto r = grade(spec, exchange, {R"({"score":5})", R"({"score":3})"}, ctx);
        CHECK(r.score == doctest::Approx(0.75)); // (1 + 0.5) / 2
        CHECK(r.pass);                           // default threshold 0.7
        auto exchange2 = judge::plan(spec_list, ctx, f.setup);
        const auto bad = grade(spec, exchange2, {R"({"score":7})", R"({"score":3})"}, ctx);
        CHECK(bad.error);
        CHECK(bad.reason == "judge score 7 is outside 1-5");
    }
    SUBCASE("factuality: the five categories, scored by config") {
        f.load("factuality");
        const auto ctx = context_for(json::object(), "Paris, in France");
        const std::vector<AssertionSpec> spec_list{
            spec_of({{"type", "factuality"}, {"value", "Paris"}, {"config", {{"superset", 0}}}})};
        const auto& spec = spec_list[0];
        for (const auto& [reply, pass] : std::vector<std::pair<std::string, bool>>{
                 {R"({"category":"A"})", true},
                 {R"({"category":"b"})", false}, // superset scored 0 by config
                 {R"x({"category":"(C)"})x", true},
                 {R"({"category":"disagree"})", false},
                 {R"({"category":"E"})", true}}) {
            auto exchange = judge::plan(spec_list, ctx, f.setup);
            const auto r = grade(spec, exchange, {reply}, ctx);
            CHECK_MESSAGE(r.pass == pass, reply);
            CHECK_FALSE(r.error);
        }
        auto exchange = judge::plan(spec_list, ctx, f.setup);
        const auto r = grade(spec, exchange, {R"({"category":"F"})"}, ctx);
        CHECK(r.error);
        CHECK(r.reason == "judge category 'F' is not one of A-E");
    }
    SUBCASE("RAG: context from the vars or the provider's answer; scores outside 0-1 are errors") {
        f.load("context-faithfulness");
        const std::vector<AssertionSpec> spec_list{spec_of({{"type", "context-faithfulness"}})};
        const auto& spec = spec_list[0];
        auto ctx =
            context_for({{"question", "q?"}, {"context", {"chunk one", "chunk two"}}}, "answer");
        auto exchange = judge::plan(spec_list, ctx, f.setup);
        const std::string user = exchange.planned.at(&spec).calls[0].messages[1].content;
        CHECK(user.find("<context>\nchunk one\n\nchunk two\n</context>") != std::string::npos);
        CHECK(user.find("<question>\nq?\n</question>") != std::string::npos);
        ctx.response_context = "from the app";
        auto from_app = judge::plan(spec_list, ctx, f.setup);
        CHECK(from_app.planned.at(&spec).calls[0].messages[1].content.find("from the app") !=
              std::string::npos);
        CHECK(grade(spec, exchange, {R"({"score":0.7})"}, ctx).pass);
        auto exchange2 = judge::plan(spec_list, ctx, f.setup);
        CHECK(grade(spec, exchange2, {R"({"score":1.5})"}, ctx).reason ==
              "judge score 1.5 is outside 0-1");
    }
    SUBCASE("select-best: both orders; the winner passes, a flip is a tie for the two picked") {
        f.load("select-best");
        const std::vector<AssertionSpec> spec_list{
            spec_of({{"type", "select-best"}, {"value", "the clearest"}})};
        const auto& spec = spec_list[0];
        const auto ctx = context_for(json::object(), "");
        judge::Peers peers{{"first answer", "second answer", "third answer"}, {true, true, true}};
        CHECK(
            judge::plan(spec_list, ctx, f.setup).planned.empty()); // only with the group's answers
        auto group = judge::plan(spec_list, ctx, f.setup, &peers);
        auto& calls = group.planned.at(&spec).calls;
        REQUIRE(calls.size() == 2);
        CHECK(calls[0].order == std::vector<int>{0, 1, 2});
        CHECK(calls[1].order == std::vector<int>{2, 1, 0});
        CHECK(calls[1].messages[1].content.find("<output index=\"0\">\nthird answer\n</output>") !=
              std::string::npos);
        // Both orders pick variant 1 (position 1 in each order).
        auto steady = group;
        steady.planned.at(&spec).self = 1;
        const auto win = grade(spec, steady, {R"({"choice":1})", R"({"choice":1})"}, ctx);
        CHECK(win.pass);
        CHECK(win.judge["position_flips"] == 0);
        // Position 0 both times: variant 0, then variant 2 — a flip.
        auto biased = group;
        biased.planned.at(&spec).self = 0;
        const auto tie = grade(spec, biased, {R"({"choice":0})", R"({"choice":"0"})"}, ctx);
        CHECK_FALSE(tie.pass);
        CHECK(tie.score == 0.5);
        CHECK(tie.judge["position_flips"] == 1);
        auto out_of_range = group;
        out_of_range.planned.at(&spec).self = 0;
        CHECK(grade(spec, out_of_range, {R"({"choice":3})", R"({"choice":0})"}, ctx).error);
        judge::Peers lonely{{"only", ""}, {true, false}};
        CHECK(judge::plan(spec_list, ctx, f.setup, &lonely)
                  .planned.at(&spec)
                  .error.find("at least two") != std::string::npos);
    }
    SUBCASE("without a judge, or with a missing variable, the assertion is an error") {
        const std::vector<AssertionSpec> spec_list{
            spec_of({{"type", "llm-rubric"}, {"value", "mentions {{missing}}"}})};
        const auto& spec = spec_list[0];
        const auto ctx = context_for(json::object(), "x");
        const auto r = run_assertion(spec, ctx);
        CHECK(r.error);
        CHECK(r.reason == "'llm-rubric' needs a judge model (none was set up)");
        f.load("llm-rubric");
        auto exchange = judge::plan(spec_list, ctx, f.setup);
        CHECK(exchange.calls() == 0);
        AssertionContext with = ctx;
        with.judge = &exchange;
        const auto missing = run_assertion(spec, with);
        CHECK(missing.error);
        CHECK(missing.reason.find("missing") != std::string::npos);
    }
    SUBCASE("assert-set children are planned; totals add up and an unpriced call shows") {
        f.load("llm-rubric");
        const std::vector<AssertionSpec> set_list{
            spec_of({{"type", "assert-set"},
                     {"assert",
                      {{{"type", "llm-rubric"}, {"value", "a"}},
                       {{"type", "contains"}, {"value", "x"}}}}})};
        const auto& set = set_list[0];
        const auto ctx = context_for(json::object(), "x");
        auto exchange = judge::plan(set_list, ctx, f.setup);
        REQUIRE(exchange.calls() == 1);
        auto& call = exchange.planned.at(&set.children[0]).calls[0];
        call.reply = R"({"pass":true})";
        call.usage.input = 30;
        call.usage.output = 5;
        call.cost_usd = 0.002;
        CHECK(exchange.input_tokens() == 30);
        CHECK(exchange.cost_usd() == doctest::Approx(0.002));
        CHECK(exchange.spent_usd() == doctest::Approx(0.002));
        call.cost_usd.reset();
        CHECK_FALSE(exchange.cost_usd().has_value());
        AssertionContext with = ctx;
        with.judge = &exchange;
        CHECK(run_assertion(set, with).pass);
    }
}

} // namespace llmops::eval
