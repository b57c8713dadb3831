#include <llmops/eval/assertion.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace eval = llmops::eval;
using json = nlohmann::json;
using llmops::ErrorCode;
using llmops::test::TempDir;

namespace {

eval::AssertionSpec parse(const json& entry) {
    auto spec = eval::parse_assertion(entry, "qa.yaml: tests[3].assert[1]", ".");
    if (!spec)
        FAIL(spec.error().message());
    return *spec;
}

std::string parse_error(const json& entry, const std::filesystem::path& base_dir = ".") {
    auto spec = eval::parse_assertion(entry, "qa.yaml: tests[3].assert[1]", base_dir);
    REQUIRE_FALSE(spec.has_value());
    CHECK(spec.error().code() == ErrorCode::invalid_input);
    return spec.error().message();
}

eval::CaseVerdict run_all(const json& entries, std::string_view output,
                          std::optional<double> threshold = std::nullopt) {
    std::vector<eval::AssertionSpec> specs;
    for (const auto& entry : entries)
        specs.push_back(parse(entry));
    eval::AssertionContext context;
    context.output = output;
    return eval::run_assertions(specs, context, threshold);
}

eval::AssertionResult run_one(const json& entry, std::string_view output,
                              const json* vars = nullptr) {
    eval::AssertionContext context;
    context.output = output;
    context.vars = vars;
    return eval::run_assertion(parse(entry), context);
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::parse_assertion") {
        SUBCASE("a map becomes a spec with every field read") {
            const auto spec = parse({{"type", "not-contains"},
                                     {"value", "foo"},
                                     {"weight", 2},
                                     {"metric", "tone"},
                                     {"config", {{"k", 1}}}});
            CHECK(spec.type == "contains");
            CHECK(spec.negate);
            CHECK(spec.value == "foo");
            CHECK(spec.weight == 2);
            CHECK(spec.metric == "tone");
            CHECK(spec.config == json{{"k", 1}});
            CHECK(spec.where == "qa.yaml: tests[3].assert[1]");
        }
        SUBCASE(
            "not-contains-canary is a type of its own, and not-not-contains-canary negates it") {
            CHECK_FALSE(parse({{"type", "not-contains-canary"}, {"value", "X"}}).negate);
            const auto spec = parse({{"type", "not-not-contains-canary"}, {"value", "X"}});
            CHECK(spec.type == "not-contains-canary");
            CHECK(spec.negate);
        }
    }

    TEST_CASE("eval::parse_assertion errors") {
        SUBCASE("an unknown type gets did-you-mean, negated or not") {
            CHECK(parse_error({{"type", "containz"}, {"value", "x"}}) ==
                  "qa.yaml: tests[3].assert[1]: unknown assertion type 'containz' (did you mean "
                  "'contains'?)");
            CHECK(parse_error({{"type", "not-icontans"}, {"value", "x"}}) ==
                  "qa.yaml: tests[3].assert[1]: unknown assertion type 'not-icontans' (did you "
                  "mean 'not-icontains'?)");
            CHECK(parse_error({{"type", "frobnicate"}}) ==
                  "qa.yaml: tests[3].assert[1]: unknown assertion type 'frobnicate'");
        }
        SUBCASE("model-graded types check their value and config") {
            CHECK(parse_error({{"type", "llm-rubric"}, {"value", ""}}) ==
                  "qa.yaml: tests[3].assert[1]: 'llm-rubric' needs a string 'value': the rubric");
            CHECK(parse_error({{"type", "context-faithfulness"}, {"value", "x"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'context-faithfulness' takes no 'value'");
            CHECK(parse_error(
                      {{"type", "g-eval"}, {"value", "coherence"}, {"config", {{"sampels", 3}}}}) ==
                  "qa.yaml: tests[3].assert[1]: unknown key 'config.sampels' for 'g-eval' (did you "
                  "mean 'samples'?)");
            CHECK(parse_error(
                      {{"type", "llm-rubric"}, {"value", "x"}, {"config", {{"samples", 0}}}}) ==
                  "qa.yaml: tests[3].assert[1]: 'config.samples' must be a whole number from 1 to "
                  "25");
            // It passes or fails: a threshold is ignored, as promptfoo ignores it.
            CHECK(!parse({{"type", "model-graded-closedqa"}, {"value", "x"}, {"threshold", 0.5}})
                       .threshold);
            CHECK(parse_error({{"type", "not-similar"}, {"value", 3}}) ==
                  "qa.yaml: tests[3].assert[1]: 'similar' needs a 'value': the expected text, or a "
                  "list of them");
        }
        SUBCASE("promptfoo's shapes: g-eval with a list of criteria, llm-rubric without value") {
            // Each criterion graded on its own; the mean score against the threshold (0.7).
            const auto set = parse({{"type", "g-eval"}, {"value", {"Coherence", "Fluency"}}});
            CHECK(set.type == "assert-set");
            CHECK(set.threshold == 0.7);
            REQUIRE(set.children.size() == 2);
            CHECK(set.children[1].type == "g-eval");
            CHECK(set.children[1].value == "Fluency");
            // The rubric is then in the judge prompt (rubricPrompt).
            CHECK(parse({{"type", "llm-rubric"}, {"threshold", 0}}).value.is_null());
        }
        SUBCASE("transform: not on an assert-set or a model-graded type, a .js file") {
            CHECK(parse_error({{"type", "llm-rubric"}, {"value", "x"}, {"transform", "output"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'transform' is not supported on model-graded "
                  "assertions ('llm-rubric'); use the test's 'options.transform'");
            CHECK(parse_error({{"type", "assert-set"},
                               {"assert", json::array({{{"type", "contains"}, {"value", "x"}}})},
                               {"transform", "output"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'transform' is not supported on an assert-set; "
                  "put it on its assertions");
            CHECK(parse_error(
                      {{"type", "contains"}, {"value", "x"}, {"transform", "file://no.js"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'transform' file 'no.js' does not exist");
        }
        SUBCASE("a missing or misshapen value") {
            CHECK(parse_error({{"type", "contains"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'contains' needs a string 'value'");
            CHECK(parse_error({{"type", "not-starts-with"}, {"value", json::array()}}) ==
                  "qa.yaml: tests[3].assert[1]: 'not-starts-with' needs a string 'value'");
            CHECK(parse_error({{"type", "contains-any"}, {"value", 3}}) ==
                  "qa.yaml: tests[3].assert[1]: 'contains-any' needs a 'value': a list of "
                  "strings or a comma-separated string");
            CHECK(parse_error({{"type", "icontains-all"}, {"value", " , "}}) ==
                  "qa.yaml: tests[3].assert[1]: 'icontains-all' needs a 'value': a list of "
                  "strings or a comma-separated string");
            CHECK(parse_error({{"type", "equals"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'equals' needs a 'value'");
            CHECK(parse_error({{"type", "latency"}, {"threshold", 5}, {"value", 5}}) ==
                  "qa.yaml: tests[3].assert[1]: 'latency' takes no 'value'");
        }
        SUBCASE("a bad regular expression") {
            CHECK(parse_error({{"type", "regex"}, {"value", "(unclosed"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'regex' value '(unclosed' is not a valid regular "
                  "expression: missing ')'");
        }
        SUBCASE("thresholds, weights, metrics and config") {
            CHECK(parse_error({{"type", "latency"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'latency' needs a 'threshold' (milliseconds)");
            CHECK(parse_error({{"type", "cost"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'cost' needs a 'threshold' (USD)");
            CHECK(!parse({{"type", "contains"}, {"value", "x"}, {"threshold", 0.9}}).threshold);
            CHECK(parse_error({{"type", "bleu"}, {"value", "x"}, {"threshold", "high"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'threshold' must be a number of at least 0");
            CHECK(parse_error({{"type", "contains"}, {"value", "x"}, {"weight", -1}}) ==
                  "qa.yaml: tests[3].assert[1]: 'weight' must be a number of at least 0");
            CHECK(parse_error({{"type", "contains"}, {"value", "x"}, {"metric", 3}}) ==
                  "qa.yaml: tests[3].assert[1]: 'metric' must be a string");
            CHECK(parse_error({{"type", "contains"}, {"value", "x"}, {"config", "y"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'config' must be a map");
        }
        SUBCASE("the shape of the entry") {
            CHECK(parse_error("contains: x") ==
                  "qa.yaml: tests[3].assert[1]: an assertion must be a map with a 'type'");
            CHECK(parse_error({{"value", "x"}}) ==
                  "qa.yaml: tests[3].assert[1]: an assertion needs a 'type'");
            CHECK(parse_error({{"type", 3}}) ==
                  "qa.yaml: tests[3].assert[1]: 'type' must be a string");
            CHECK(parse_error({{"type", "contains"}, {"vaule", "x"}}) ==
                  "qa.yaml: tests[3].assert[1]: unknown key 'vaule' in an assertion (did you mean "
                  "'value'?)");
            CHECK(parse_error({{"type", "contains"}, {"value", "x"}, {"assert", json::array()}}) ==
                  "qa.yaml: tests[3].assert[1]: 'assert' belongs to 'assert-set' only");
        }
        SUBCASE("assert-set errors name the child") {
            CHECK(parse_error({{"type", "assert-set"}}) ==
                  "qa.yaml: tests[3].assert[1]: 'assert-set' needs 'assert': a list of assertions");
            CHECK(parse_error({{"type", "not-assert-set"}, {"assert", {{{"type", "is-json"}}}}}) ==
                  "qa.yaml: tests[3].assert[1]: 'assert-set' cannot be negated");
            CHECK(parse_error({{"type", "assert-set"},
                               {"assert", {{{"type", "is-json"}}, {{"type", "containz"}}}}}) ==
                  "qa.yaml: tests[3].assert[1].assert[1]: unknown assertion type 'containz' (did "
                  "you mean 'contains'?)");
        }
    }

    TEST_CASE("eval::run_assertion") {
        SUBCASE("not- flips the verdict and the score, and the reason stays a fact") {
            const auto r = run_one({{"type", "not-contains"}, {"value", "sorry"}}, "I am sorry");
            CHECK(r.type == "not-contains");
            CHECK_FALSE(r.pass);
            CHECK(r.score == 0);
            CHECK(r.reason == "output contains 'sorry'");
            CHECK(run_one({{"type", "not-contains"}, {"value", "sorry"}}, "Sure!").pass);
        }
        SUBCASE("a negated score type scores 1 - score") {
            const auto r = run_one({{"type", "not-rouge-n"}, {"value", "a b c d"}}, "a b x y");
            CHECK(r.pass);
            CHECK(r.score == doctest::Approx(0.5));
        }
        SUBCASE("metric and weight are copied to the result") {
            const auto r = run_one(
                {{"type", "contains"}, {"value", "a"}, {"metric", "m"}, {"weight", 3}}, "a");
            CHECK(r.metric == "m");
            CHECK(r.weight == 3);
        }
        SUBCASE("{{variables}} in values are rendered from the case's vars") {
            const json vars{{"city", "Paris"}};
            CHECK(run_one({{"type", "contains"}, {"value", "{{city}}"}}, "Paris", &vars).pass);
            CHECK_FALSE(run_one({{"type", "contains"}, {"value", "{{city}}"}}, "Rome", &vars).pass);
            CHECK(run_one({{"type", "contains-all"}, {"value", {"{{city}}", "is"}}}, "Paris is",
                          &vars)
                      .pass);
        }
        SUBCASE("a variable missing from the vars is an error, not a failure") {
            const json vars = json::object();
            const auto r = run_one({{"type", "contains"}, {"value", "{{city}}"}}, "Paris", &vars);
            CHECK(r.error);
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "cannot render the value '{{city}}': missing variable 'city'");
        }
        SUBCASE("negation never turns an error into a pass") {
            const auto r = run_one({{"type", "not-cost"}, {"threshold", 1}}, "x");
            CHECK(r.error);
            CHECK_FALSE(r.pass);
        }
    }

    TEST_CASE("eval::run_assertions") {
        const json pass = {{"type", "contains"}, {"value", "a"}};
        const json fail = {{"type", "contains"}, {"value", "z"}};
        SUBCASE("without a threshold every weighted assertion must pass") {
            const auto v = run_all({pass, pass}, "a");
            CHECK(v.pass);
            CHECK(v.score == 1);
            CHECK(v.reason == "all assertions passed");
            const auto w = run_all({pass, fail}, "a");
            CHECK_FALSE(w.pass);
            CHECK(w.score == 0.5);
            CHECK(w.reason == "contains: output does not contain 'z'");
            CHECK(w.results.size() == 2);
        }
        SUBCASE("weights make the mean, and weight 0 is informational") {
            json heavy = pass;
            heavy["weight"] = 3;
            json informational = fail;
            informational["weight"] = 0;
            const auto v = run_all({heavy, fail, informational}, "a");
            CHECK(v.score == doctest::Approx(0.75));
            CHECK_FALSE(v.pass);
            const auto w = run_all({pass, informational}, "a");
            CHECK(w.pass);
            CHECK(w.score == 1);
        }
        SUBCASE("a case threshold overrides single failures") {
            json heavy = pass;
            heavy["weight"] = 3;
            const auto v = run_all({heavy, fail}, "a", 0.7);
            CHECK(v.pass);
            CHECK(v.reason == "weighted score 0.75 reaches the threshold 0.7");
            const auto w = run_all({heavy, fail}, "a", 0.8);
            CHECK_FALSE(w.pass);
            CHECK(w.reason == "weighted score 0.75 is below the threshold 0.8; first failure: "
                              "contains: output does not contain 'z'");
        }
        SUBCASE("an error makes the case an error, whatever the threshold") {
            const auto v = run_all({pass, {{"type", "cost"}, {"threshold", 1}}}, "a", 0.1);
            CHECK(v.error);
            CHECK_FALSE(v.pass);
            CHECK(v.reason == "cost: cost is unknown (no price for this model; add a 'cost' "
                              "override)");
        }
        SUBCASE("no assertions pass with score 1") {
            const auto v = run_all(json::array(), "a");
            CHECK(v.pass);
            CHECK(v.score == 1);
        }
        SUBCASE("named metrics are weighted means, assert-set children included") {
            json a = pass;
            a["metric"] = "accuracy";
            json b = fail;
            b["metric"] = "accuracy";
            b["weight"] = 3;
            json set = {{"type", "assert-set"}, {"assert", {a}}};
            const auto v = run_all({a, b, set}, "a");
            CHECK(v.named_scores.size() == 1);
            CHECK(v.named_scores.at("accuracy") == doctest::Approx(2.0 / 5.0));
        }
    }

    TEST_CASE("eval::assert-set") {
        const json pass = {{"type", "contains"}, {"value", "a"}};
        const json fail = {{"type", "contains"}, {"value", "z"}};
        SUBCASE("a set passes when all its children pass, and scores their mean") {
            const auto v = run_all({{{"type", "assert-set"}, {"assert", {pass, fail}}}}, "a");
            REQUIRE(v.results.size() == 1);
            const auto& set = v.results.front();
            CHECK(set.type == "assert-set");
            CHECK_FALSE(set.pass);
            CHECK(set.score == 0.5);
            CHECK(set.children.size() == 2);
            CHECK(v.reason == "assert-set: contains: output does not contain 'z'");
        }
        SUBCASE("its own threshold decides it, and its weight counts in the case") {
            const json set = {{"type", "assert-set"},
                              {"threshold", 0.5},
                              {"weight", 2},
                              {"metric", "grounding"},
                              {"assert", {pass, fail}}};
            const auto v = run_all({set, fail}, "a");
            CHECK(v.results.front().pass);
            CHECK(v.results.front().metric == "grounding");
            CHECK(v.score == doctest::Approx(1.0 / 3.0));
            CHECK(v.reason == "contains: output does not contain 'z'");
        }
    }

    TEST_CASE("eval::assertion_type_names") {
        const auto names = eval::assertion_type_names();
        CHECK(std::is_sorted(names.begin(), names.end()));
        for (const char* name : {"equals",        "contains",
                                 "icontains",     "contains-any",
                                 "contains-all",  "icontains-any",
                                 "icontains-all", "starts-with",
                                 "regex",         "is-json",
                                 "contains-json", "levenshtein",
                                 "rouge-n",       "bleu",
                                 "latency",       "cost",
                                 "is-refusal",    "python",
                                 "exec",          "no-pii",
                                 "no-secrets",    "not-contains-canary",
                                 "assert-set",    "javascript"})
            CHECK_MESSAGE(std::find(names.begin(), names.end(), name) != names.end(), name);
        CHECK(std::find(names.begin(), names.end(), "llm-rubric") != names.end());
        CHECK(std::find(names.begin(), names.end(), "similar") != names.end());
    }
}
