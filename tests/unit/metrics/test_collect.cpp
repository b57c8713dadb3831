// What `llmops metrics` collects from a store (metrics/collect.hpp): the latest run per suite,
// call counters and their cap, online evals, drift checks and split-label arms.

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/metrics/collect.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/store/drift_checks.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/hash.hpp>

#include "support/expected.hpp"
#include "support/test_project.hpp"

using namespace llmops;
using nlohmann::json;

namespace {

void add_call(store::Database& db, const std::string& span, const std::string& prompt,
              const std::string& version, double latency_ms, bool error = false) {
    store::CallWriter writer(db);
    store::CallRecord c;
    c.span_id = span;
    c.time_unix_ns = 1'795'424'400'000'000'000;
    c.prompt = prompt;
    c.prompt_version = version;
    c.model = "gpt-4o-mini";
    c.input_tokens = 100;
    c.output_tokens = 10;
    c.cost_usd = 0.25;
    c.latency_ms = latency_ms;
    c.error = error;
    c.source = "jsonl";
    REQUIRE_OK(writer.add(std::move(c)));
    REQUIRE_OK(writer.flush());
}

// A finished run of `suite` with one variant and `summary`'s totals; `provenance` as given.
int64_t add_run(store::Database& db, const std::string& suite, const json& variant,
                const json& provenance = json::object()) {
    store::RunRecord run;
    run.suite_path = suite;
    run.provenance = provenance;
    run.variants.push_back({0, variant["label"], "p", "id", "echo", "echo", json::object()});
    const int64_t id = store::create_run(db, run).value();
    REQUIRE_OK(store::finish_run(db, id, "complete", {{"variants", json::array({variant})}}));
    return id;
}

// The exposition's line starting with `prefix` ('' when none).
std::string line_of(const std::string& text, const std::string& prefix) {
    const size_t at = text.find("\n" + prefix);
    if (at == std::string::npos) {
        return "";
    }
    return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

} // namespace

TEST_SUITE("metrics") {
    TEST_CASE("metrics::render_metrics of the latest run per suite") {
        test::TestProject p;
        add_run(*p.db, "evals/qa.yaml",
                {{"label", "old | echo"}, {"pass_rate", 0.1}, {"results", 10}});
        const int64_t latest = add_run(*p.db, "evals/qa.yaml",
                                       {{"label", "qa@2 | echo"},
                                        {"pass_rate", 0.75},
                                        {"mean_score", 0.8},
                                        {"cost_usd", nullptr},
                                        {"results", 4},
                                        {"errors", 1}});
        const auto text = metrics::render_metrics(*p.db);
        REQUIRE_OK(text);
        CHECK(line_of(*text, "llmops_eval_pass_ratio{") ==
              "llmops_eval_pass_ratio{suite=\"evals/qa.yaml\",variant=\"qa@2 | echo\"} 0.75");
        CHECK(line_of(*text, "llmops_eval_results{").ends_with("} 4"));
        CHECK(line_of(*text, "llmops_eval_errors{").ends_with("} 1"));
        CHECK(line_of(*text, "llmops_eval_last_run_number{") ==
              fmt::format("llmops_eval_last_run_number{{suite=\"evals/qa.yaml\"}} {}", latest));
        CHECK(line_of(*text, "llmops_eval_last_run_timestamp_seconds{") != "");
        // An unknown cost (every call unpriced) is no sample rather than 0.
        CHECK(line_of(*text, "llmops_eval_cost_usd{") == "");
        CHECK(text->find("old | echo") == std::string::npos);
        SUBCASE("two variants with one label are one series") {
            store::RunRecord run;
            run.suite_path = "evals/twice.yaml";
            const json v = {{"label", "same"}, {"pass_rate", 1}};
            run.variants.push_back({0, "same", "p", "id", "echo", "echo", json::object()});
            run.variants.push_back({1, "same", "p", "id", "echo", "echo", json::object()});
            const int64_t id = store::create_run(*p.db, run).value();
            REQUIRE_OK(store::finish_run(*p.db, id, "complete", {{"variants", {v, v}}}));
            const auto again = metrics::render_metrics(*p.db);
            REQUIRE_OK(again);
            const std::string series = R"(llmops_eval_pass_ratio{suite="evals/twice.yaml")";
            CHECK(again->find(series) != std::string::npos);
            CHECK(again->find(series) == again->rfind(series));
        }
    }

    TEST_CASE("metrics::CallAggregator counts calls and folds series past the cap") {
        test::TestProject p;
        add_call(*p.db, "a1", "triage", "1", 40);
        add_call(*p.db, "a2", "triage", "1", 300, true);
        add_call(*p.db, "b1", "triage", "2", 2000);
        add_call(*p.db, "c1", "reply", "1", 70000);
        metrics::CallAggregator calls(2);
        REQUIRE_OK(calls.update(*p.db));
        std::vector<metrics::Family> families;
        calls.append_families(families);
        const std::string text = metrics::write_exposition(families);
        const std::string t1 = R"(prompt="triage",version="1",model="gpt-4o-mini")";
        CHECK(line_of(text, "llmops_calls_total{" + t1) == "llmops_calls_total{" + t1 + "} 2");
        CHECK(line_of(text, "llmops_call_errors_total{" + t1).ends_with("} 1"));
        CHECK(line_of(text, "llmops_call_input_tokens_total{" + t1).ends_with("} 200"));
        CHECK(line_of(text, "llmops_call_cost_usd_total{" + t1).ends_with("} 0.5"));
        CHECK(line_of(text, "llmops_call_latency_seconds_bucket{" + t1 + ",le=\"0.05\"}")
                  .ends_with("} 1"));
        CHECK(line_of(text, "llmops_call_latency_seconds_bucket{" + t1 + ",le=\"0.5\"}")
                  .ends_with("} 2"));
        const std::string sum = line_of(text, "llmops_call_latency_seconds_sum{" + t1);
        REQUIRE(sum != "");
        CHECK(std::stod(sum.substr(sum.rfind(' ') + 1)) == doctest::Approx(0.34));
        SUBCASE("the third series is folded into (other), and stays there") {
            const std::string other = R"x(prompt="(other)",version="(other)",model="(other)")x";
            CHECK(line_of(text, "llmops_calls_total{" + other).ends_with("} 1"));
            CHECK(line_of(text, "llmops_call_latency_seconds_bucket{" + other + ",le=\"60\"}")
                      .ends_with("} 0"));
            add_call(*p.db, "c2", "reply", "1", 10);
            add_call(*p.db, "a3", "triage", "1", 10);
            REQUIRE_OK(calls.update(*p.db));
            families.clear();
            calls.append_families(families);
            const std::string again = metrics::write_exposition(families);
            CHECK(line_of(again, "llmops_calls_total{" + other).ends_with("} 2"));
            CHECK(line_of(again, "llmops_calls_total{" + t1).ends_with("} 3"));
            CHECK(again.find("prompt=\"reply\"") == std::string::npos);
        }
    }

    TEST_CASE("metrics::render_metrics of online evals, drift checks and split labels") {
        test::TestProject p;
        add_run(*p.db, "online.yaml",
                {{"label", "triage | traces"}, {"pass", 3}, {"fail", 1}, {"results", 5}},
                {{"traces", {{"prompt", "support/triage"}}}});
        store::DriftCheck check;
        check.prompt = "support/triage";
        check.checked_at_unix_ns = 1'795'424'400'000'000'000;
        check.statistics = R"([{"feature":"input length","statistic":"psi","value":0.5},)"
                           R"({"feature":"input length","statistic":"ks","value":0.25},)"
                           R"({"feature":"output words","statistic":"js","value":null}])";
        check.alarm = true;
        REQUIRE_OK(store::record_drift_check(*p.db, check));
        store::PromptStore prompts(*p.db);
        for (const char* body : {R"({"template":"one"})", R"({"template":"two"})"}) {
            REQUIRE_OK(
                prompts.commit({{"support/triage", util::sha256_hex(body), body, "m", "A"}}));
        }
        REQUIRE_OK(prompts.set_label(prompts.resolve("support/triage@1").value(), "prod", "A", ""));
        REQUIRE_OK(prompts.set_label_weight(prompts.resolve("support/triage@2").value(), "prod", 10,
                                            "A", ""));
        add_call(*p.db, "x1", "support/triage", "2", 10);
        const auto text = metrics::render_metrics(*p.db);
        REQUIRE_OK(text);
        CHECK(line_of(*text, "llmops_online_eval_pass_ratio{") ==
              "llmops_online_eval_pass_ratio{prompt=\"support/triage\"} 0.75");
        CHECK(line_of(*text, "llmops_drift_psi{") ==
              "llmops_drift_psi{prompt=\"support/triage\",feature=\"input length\"} 0.5");
        CHECK(line_of(*text, "llmops_drift_ks_statistic{").ends_with("} 0.25"));
        CHECK(line_of(*text, "llmops_drift_js_distance{") == "");
        CHECK(line_of(*text, "llmops_drift_alarm{").ends_with("} 1"));
        CHECK(line_of(*text, "llmops_drift_check_timestamp_seconds{").ends_with("} 1795424400"));
        CHECK(line_of(*text, "llmops_ab_arm_calls_total{prompt=\"support/triage\",label=\"prod\","
                             "version=\"2\"}")
                  .ends_with("} 1"));
        CHECK(line_of(*text, "llmops_ab_arm_weight_ratio{prompt=\"support/triage\",label=\"prod\","
                             "version=\"1\"}")
                  .ends_with("} 0.9"));
        SUBCASE("past the cap, series are dropped and counted") {
            const auto capped = metrics::render_metrics(*p.db, {1});
            REQUIRE_OK(capped);
            CHECK(line_of(*capped, "llmops_metrics_dropped_series{group=\"ab\"}").ends_with("} 1"));
            CHECK(line_of(*capped, "llmops_metrics_dropped_series{group=\"drift\"}")
                      .ends_with("} 0"));
        }
    }
}
