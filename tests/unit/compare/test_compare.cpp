#include <llmops/compare/compare.hpp>

// Comparisons of two sides (llmops diff), on sides built in memory; the reports of a comparison
// are compared with golden files in tests/data/diff/ (regenerate with LLMOPS_UPDATE_GOLDEN=1, as
// tests/unit/report/test_run_report.cpp explains).

#include <cstdlib>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/summary.hpp>
#include <llmops/report/diff_html.hpp>
#include <llmops/report/diff_report.hpp>
#include <llmops/report/run_report.hpp>
#include <llmops/stats/stats.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/files.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"
#include "support/test_project.hpp"
#include "unit/compare/sides.hpp"

using namespace llmops;
using compare::CaseChange;
using nlohmann::json;
using namespace llmops::test::sides;

namespace {

void check_golden(const std::string& name, const std::string& actual) {
    const auto path = std::filesystem::path(LLMOPS_SOURCE_DIR) / "tests/data/diff" / name;
    const char* update = std::getenv("LLMOPS_UPDATE_GOLDEN");
    if (update != nullptr && std::string_view(update) == "1") {
        REQUIRE(util::write_file_atomic(path, actual).has_value());
        MESSAGE("rewrote " << path.string());
        return;
    }
    auto expected = util::read_file(path);
    if (!expected) {
        FAIL("missing golden file " << path.string() << " (LLMOPS_UPDATE_GOLDEN=1 writes it)");
    }
    CHECK(actual == *expected);
}

// A stored result of case `id`: `output` null for a failed call.
store::ResultRecord stored(const std::string& id, int index, std::string status,
                           std::optional<std::string> output, std::optional<double> cost,
                           double latency, bool cached = false) {
    store::ResultRecord r;
    r.case_id = id;
    r.case_index = index;
    r.status = std::move(status);
    if (r.status != "error") {
        r.score = r.status == "pass" ? 1.0 : 0.0;
    }
    r.output = std::move(output);
    r.input_tokens = r.output ? 10 : 0;
    r.output_tokens = r.output ? 5 : 0;
    r.cost_usd = cost;
    r.latency_ms = latency;
    r.cached = cached;
    return r;
}

// Results of every kind a side's usage counts: priced, cached, a failed call, an answer whose
// assertion errored (unpriced), an unpriced answer, and two judged answers, one of them with an
// unpriced judge call.
std::vector<store::ResultRecord> mixed_results() {
    std::vector<store::ResultRecord> out{
        stored("priced", 0, "pass", "a", 0.001, 120),
        stored("cached", 1, "pass", "b", 0.001, 0, true),
        stored("failed-call", 2, "error", std::nullopt, std::nullopt, 0),
        stored("assertion-error", 3, "error", "c", std::nullopt, 80),
        stored("unpriced", 4, "fail", "d", std::nullopt, 200),
        stored("judged", 5, "pass", "e", 0.002, 150),
        stored("judged-unpriced", 6, "fail", "f", 0.002, 300)};
    out[2].reason = "timeout";
    for (size_t i : {5, 6}) {
        out[i].judge_calls = static_cast<int64_t>(i) - 3;
        out[i].judge_input_tokens = 120 * out[i].judge_calls;
        out[i].judge_output_tokens = 30 * out[i].judge_calls;
        out[i].judge_spent_usd = 0.0001;
        out[i].assertions = json::array({{{"type", "llm-rubric"},
                                          {"pass", true},
                                          {"score", 1.0},
                                          {"reason", ""},
                                          {"weight", 1.0},
                                          {"error", false},
                                          {"judge", {{"split", false}}}}});
    }
    out[5].judge_cost_usd = 0.0001;
    out[6].judge_cost_usd = std::nullopt;
    return out;
}

// A usage checked against eval's totals of the same results, field by field.
void check_usage(const compare::Usage& u, const eval::VariantSummary& v) {
    CHECK(u.results == v.results);
    CHECK(u.errors == v.errors);
    CHECK(u.cached == v.cached);
    CHECK(u.input_tokens == v.input_tokens);
    CHECK(u.output_tokens == v.output_tokens);
    CHECK(u.cost_usd == v.cost_usd);
    CHECK(u.unpriced == v.unpriced);
    CHECK(u.latency_p50 == stats::percentile(v.latencies_ms, 50));
    CHECK(u.latency_p95 == stats::percentile(v.latencies_ms, 95));
    CHECK(u.latency_p99 == stats::percentile(v.latencies_ms, 99));
    CHECK(u.judge_calls == v.judge_calls);
    CHECK(u.judge_input_tokens == v.judge_input_tokens);
    CHECK(u.judge_output_tokens == v.judge_output_tokens);
    CHECK(u.judge_cost_usd == v.judge_cost_usd);
    CHECK(u.judge_unpriced == v.judge_unpriced);
}

// The usage of the one side `ref` names.
compare::Usage usage_of(store::Database* db, const std::string& ref) {
    auto sides = compare::load_sides(db, {ref, std::nullopt});
    REQUIRE_OK(sides);
    REQUIRE(sides->size() == 1);
    return compare::summarize_side(sides->front(), 0.05).usage;
}

// eval's totals of `results`, added as a run adds them.
eval::VariantSummary totals_of(const std::vector<store::ResultRecord>& results) {
    eval::VariantSummary totals;
    for (const auto& r : results) {
        totals.add(r, eval::Answer::called,
                   r.output ? eval::assertion_results_from_json(r.assertions)
                            : std::vector<eval::AssertionResult>());
    }
    return totals;
}

// A run of one variant holding `results`; returns its number.
int64_t stored_run(store::Database& db, std::vector<store::ResultRecord> results) {
    store::RunRecord run;
    run.suite_path = "suite.yaml";
    run.variants.push_back({0, "p | echo", "p", "v1", "echo", "echo", json::object()});
    const auto id = store::create_run(db, run);
    REQUIRE_OK(id);
    store::ResultWriter writer(db, *id);
    for (auto& r : results) {
        REQUIRE_OK(writer.add(std::move(r)));
    }
    REQUIRE_OK(writer.flush());
    return *id;
}

} // namespace

TEST_SUITE("compare") {

    TEST_CASE("compare::compare pass rates") {
        // 20 cases: the baseline passes 18, the candidate 10; 8 regressions, no fix.
        auto a = side("run 1", "a");
        auto b = side("run 2", "b");
        for (int i = 0; i < 20; ++i) {
            const std::string id = "case-" + std::to_string(i);
            add_case(a, id, {result(i < 18 ? "pass" : "fail")});
            add_case(b, id, {result(i < 10 ? "pass" : "fail")});
        }
        const auto c = compare::compare(a, b, {});
        CHECK(c.paired == 20);
        CHECK(c.count(CaseChange::regression) == 8);
        CHECK(c.count(CaseChange::fix) == 0);
        CHECK(c.count(CaseChange::unchanged_pass) == 10);
        CHECK(c.count(CaseChange::unchanged_fail) == 2);
        const auto* rate = c.metric("pass rate");
        REQUIRE(rate != nullptr);
        CHECK(*rate->baseline == doctest::Approx(0.9));
        CHECK(*rate->candidate == doctest::Approx(0.5));
        CHECK(*rate->difference == doctest::Approx(-0.4));
        // McNemar's exact test with b = 8, c = 0: 2 * 0.5^8 (scipy.stats.binomtest(0, 8).pvalue).
        CHECK(*rate->p_value == doctest::Approx(0.0078125));
        CHECK(rate->verdict == stats::Verdict::worse);
        CHECK(rate->difference_interval->upper < 0);
        CHECK(c.metric("mean score")->verdict == stats::Verdict::worse);

        SUBCASE("gates") {
            compare::Gates none;
            CHECK(compare::check_gates(c, none).empty());
            compare::Gates g;
            g.fail_on_regression = true;
            const auto failures = compare::check_gates(c, g);
            REQUIRE(failures.size() == 2); // the pass rate and the mean score
            CHECK(failures[0].starts_with("pass rate is significantly worse: -0.4"));
            compare::Gates rate_gate;
            rate_gate.min_pass_rate = 0.5;
            CHECK(compare::check_gates(c, rate_gate).empty());
            rate_gate.min_pass_rate = 0.51;
            CHECK(compare::check_gates(c, rate_gate) ==
                  std::vector<std::string>{"pass rate 50.0% is below the 51.0% required"});
        }
        SUBCASE("a small change is no significant change at alpha 0.05") {
            auto b2 = side("run 3", "b");
            for (int i = 0; i < 20; ++i) {
                add_case(b2, "case-" + std::to_string(i), {result(i < 17 ? "pass" : "fail")});
            }
            const auto c2 = compare::compare(a, b2, {});
            CHECK(c2.metric("pass rate")->verdict == stats::Verdict::no_significant_change);
            CHECK(*c2.metric("pass rate")->p_value == doctest::Approx(1.0)); // b = 1, c = 0
        }
    }

    TEST_CASE("compare::compare cases: new, missing, errors") {
        auto a = side("run 1", "a");
        auto b = side("run 2", "b");
        add_case(a, "kept", {result("pass")});
        add_case(a, "dropped", {result("pass")});
        add_case(a, "broke", {result("pass")});
        add_case(b, "kept", {result("pass")});
        add_case(b, "broke", {result("error")});
        add_case(b, "added", {result("fail")});
        b.dataset_hash = "d2";
        const auto c = compare::compare(a, b, {});
        CHECK(c.paired == 1);
        CHECK(c.count(CaseChange::missing) == 1);
        CHECK(c.count(CaseChange::new_case) == 1);
        CHECK(c.count(CaseChange::errored) == 1);
        CHECK(c.cases.back().id == "added");
        CHECK(c.candidate_usage.errors == 1);
        REQUIRE_FALSE(c.notes.empty());
        CHECK(c.notes[0] == "the datasets differ: 1 case(s) are compared, 1 new, 1 missing");
        // Errors are never passes or failures: the candidate's pass rate is over its judged cases.
        CHECK(*c.metric("pass rate")->candidate == doctest::Approx(0.5));
    }

    TEST_CASE("compare::compare with repeats") {
        auto a = side("run 1", "a");
        auto b = side("run 2", "b");
        for (int i = 0; i < 6; ++i) {
            const std::string id = "c" + std::to_string(i);
            // Baseline: every case passes all 3 repeats. Candidate: c0 and c1 pass 1 of 3 (flaky).
            add_case(a, id,
                     {result("pass", "x", 0.001, 100, 0), result("pass", "x", 0.001, 100, 1),
                      result("pass", "x", 0.001, 100, 2)});
            const bool flaky = i < 2;
            add_case(b, id,
                     {result("pass", "y", 0.001, 100, 0),
                      result(flaky ? "fail" : "pass", "y", 0.001, 100, 1),
                      result(flaky ? "fail" : "pass", "y", 0.001, 100, 2)});
        }
        const auto c = compare::compare(a, b, {});
        CHECK(c.repeats == 3);
        CHECK(c.baseline_flaky == 0);
        CHECK(c.candidate_flaky == 2);
        CHECK(c.count(CaseChange::regression) == 2); // 1 of 3 is not a majority
        // pass@3 is 1 for every case (each passed at least once); pass^3 is 0 for the flaky ones.
        CHECK(*c.candidate_pass_at_k == doctest::Approx(1.0));
        CHECK(*c.candidate_pass_hat_k == doctest::Approx(4.0 / 6.0));
        const auto* rate = c.metric("pass rate");
        CHECK(*rate->candidate == doctest::Approx(14.0 / 18.0));
        CHECK(rate->method.starts_with("Wilson intervals at the effective number of cases (design "
                                       "effect of 3 repeats)"));
        // Per-case differences of means: 0 x4, -2/3 x2: mean -2/9, sd/sqrt(6) by hand:
        // d = [0,0,0,0,-2/3,-2/3] reordered; sd = sqrt(sum((d - mean)^2) / 5).
        CHECK(*rate->difference == doctest::Approx(-2.0 / 9.0));
    }

    TEST_CASE("compare::compare named metrics and cost") {
        auto a = side("run 1", "a");
        auto b = side("run 2", "b");
        for (int i = 0; i < 10; ++i) {
            auto ra = result("pass", "x", 0.001, 100);
            ra.metrics["accuracy"] = 0.5;
            auto rb = result("pass", "y", 0.0015, 150);
            rb.metrics["accuracy"] = 0.9;
            add_case(a, "c" + std::to_string(i), {ra});
            add_case(b, "c" + std::to_string(i), {rb});
        }
        const auto c = compare::compare(a, b, {});
        const auto* m = c.metric("metric: accuracy");
        REQUIRE(m != nullptr);
        CHECK(*m->difference == doctest::Approx(0.4));
        CHECK(m->verdict == stats::Verdict::better);
        CHECK(*c.candidate_usage.cost_per_case == doctest::Approx(0.0015));
        compare::Gates g;
        g.max_cost_increase = 50;
        CHECK(compare::check_gates(c, g).empty()); // exactly +50%
        g.max_cost_increase = 49;
        CHECK(compare::check_gates(c, g) ==
              std::vector<std::string>{"cost per case rose 50.0%, more than the 49.0% allowed"});
        compare::Gates l;
        l.max_latency_increase = 40;
        CHECK(compare::check_gates(c, l) ==
              std::vector<std::string>{"median latency rose 50.0%, more than the 40.0% allowed"});
        // The bootstrap is reproducible: the same seed gives the same interval.
        const auto again = compare::compare(a, b, {});
        CHECK(again.metric("mean score")->difference_interval ==
              c.metric("mean score")->difference_interval);
    }

    TEST_CASE("compare::summarize_side usage is eval::VariantSummary's totals") {
        const auto totals = totals_of(mixed_results());
        // Errors are never passes or failures; latency is over the calls made, not cache hits.
        CHECK(totals.results == 7);
        CHECK(totals.errors == 2);
        CHECK(totals.pass + totals.fail == 5);
        CHECK(totals.cached == 1);
        CHECK(totals.unpriced == 2); // the errored assertion's answer and the unpriced answer
        CHECK(totals.latencies_ms.size() == 5);
        CHECK(totals.judge_calls == 5);
        CHECK(totals.judge_unpriced == 1);
        test::TestProject p;
        const int64_t id = stored_run(*p.db, mixed_results());
        SUBCASE("a stored run, as runs show recomputes it") {
            const auto usage = usage_of(&*p.db, std::to_string(id));
            check_usage(usage, totals);
            CHECK(*usage.cost_per_case == doctest::Approx(0.006 / 4)); // 4 priced cases
            auto summary = eval::summarize_run(*p.db, id);
            REQUIRE_OK(summary);
            check_usage(usage, summary->variants.front());
        }
        SUBCASE("an exported run, with or without the failed call's null output") {
            const auto path = p.dir.path() / "run.json";
            REQUIRE_OK(report::export_run(*p.db, id, report::ExportFormat::json, path));
            check_usage(usage_of(nullptr, path.string()), totals);
            const auto text = util::read_file(path);
            REQUIRE_OK(text);
            auto doc = json::parse(*text);
            REQUIRE(doc["results"][2]["case_id"] == "failed-call");
            doc["results"][2].erase("output"); // an error without an output: a failed call
            check_usage(usage_of(nullptr, p.dir.write("edited.json", doc.dump()).string()), totals);
        }
    }

    TEST_CASE("compare::parse_side_ref") {
        CHECK(compare::parse_side_ref("12").run == "12");
        CHECK_FALSE(compare::parse_side_ref("12").variant.has_value());
        const auto r = compare::parse_side_ref("latest~1:triage | gpt-4o");
        CHECK(r.run == "latest~1");
        CHECK(*r.variant == "triage | gpt-4o");
        CHECK(*compare::parse_side_ref("baseline.json:0").variant == "0");
    }

    namespace {

    // An exported run of one variant with two results, as `llmops runs export` writes it.
    json export_doc() {
        json result = {{"variant", 0},
                       {"case_id", "a"},
                       {"case_index", 0},
                       {"repeat", 0},
                       {"description", ""},
                       {"status", "pass"},
                       {"score", 1.0},
                       {"reason", ""},
                       {"output", "ok"},
                       {"assertions",
                        {{{"type", "contains"},
                          {"pass", true},
                          {"score", 1.0},
                          {"reason", ""},
                          {"weight", 1.0},
                          {"error", false},
                          {"metric", "accuracy"}}}},
                       {"usage", {{"input", 10}, {"output", 5}}},
                       {"cost_usd", 0.001},
                       {"latency_ms", 100.0},
                       {"cached", false},
                       {"judge",
                        {{"calls", 0},
                         {"input_tokens", 0},
                         {"output_tokens", 0},
                         {"cost_usd", 0.0},
                         {"spent_usd", 0.0}}}};
        json second = result;
        second["case_id"] = "b";
        second["case_index"] = 1;
        second["status"] = "error";
        second["score"] = nullptr;
        second["output"] = nullptr;
        second["cost_usd"] = nullptr;
        return {{"llmops_export", 1},
                {"run",
                 {{"id", 4},
                  {"dataset_hash", "d"},
                  {"suite_path", "qa.yaml"},
                  {"provenance", json::object()}}},
                {"variants",
                 {{{"index", 0},
                   {"label", "p | echo"},
                   {"prompt_label", "p"},
                   {"prompt_version_id", "v"},
                   {"provider_id", "echo"},
                   {"provider_config", json::object()}}}},
                {"results", {result, second}}};
    }

    // Loads `text` written as run.json in `dir`.
    Expected<std::vector<compare::Side>> load_export(const test::TempDir& dir,
                                                     std::string_view text) {
        return compare::load_sides(nullptr, {dir.write("run.json", text).string(), std::nullopt});
    }

    // The error loading `text` gives, with the folder taken out.
    std::string export_error(const test::TempDir& dir, std::string_view text) {
        auto sides = load_export(dir, text);
        REQUIRE_FALSE(sides.has_value());
        CHECK(sides.error().code() == ErrorCode::invalid_input);
        std::string message = sides.error().message();
        const std::string prefix = dir.path().string() + "/";
        if (message.starts_with(prefix)) {
            message.erase(0, prefix.size());
        }
        return message;
    }

    } // namespace

    TEST_CASE("compare::load_sides exported runs") {
        test::TempDir dir;
        SUBCASE("an export loads: results, nulls where the format allows them, metrics") {
            auto sides = load_export(dir, export_doc().dump());
            REQUIRE_OK(sides);
            REQUIRE(sides->size() == 1);
            const auto& s = sides->front();
            CHECK(s.run_id == 4);
            CHECK(s.label == "p | echo");
            REQUIRE(s.cases.size() == 2);
            CHECK(s.cases[0].results[0].metrics ==
                  std::map<std::string, double>{{"accuracy", 1.0}});
            CHECK_FALSE(s.cases[1].results[0].score.has_value());
            CHECK_FALSE(s.cases[1].results[0].cost_usd.has_value());
            CHECK(s.cases[1].results[0].output == "");
        }
        SUBCASE("a member of the wrong type is an error naming it (it once threw type_error 302)") {
            auto doc = export_doc();
            doc["results"][1]["reason"] = nullptr;
            CHECK(export_error(dir, doc.dump()) ==
                  "run.json: 'results[1].reason' must be a string, not null");
            doc = export_doc();
            doc["results"][0]["variant"] = "0";
            CHECK(export_error(dir, doc.dump()) ==
                  "run.json: 'results[0].variant' must be an integer, not a string");
            doc = export_doc();
            doc["results"][0]["usage"]["input"] = 1.5;
            CHECK(export_error(dir, doc.dump()) ==
                  "run.json: 'results[0].usage.input' must be an integer, not 1.5");
            doc = export_doc();
            doc["results"][0]["assertions"][0]["metric"] = 5;
            CHECK(export_error(dir, doc.dump()) ==
                  "run.json: 'results[0].assertions[0].metric' must be a string, not 5");
            doc = export_doc();
            doc["results"][0]["judge"] = "none";
            CHECK(export_error(dir, doc.dump()) ==
                  "run.json: 'results[0].judge' must be an object, not a string");
            doc = export_doc();
            doc["variants"][0]["index"] = true;
            CHECK(export_error(dir, doc.dump()) ==
                  "run.json: 'variants[0].index' must be an integer, not true");
            doc = export_doc();
            doc["run"]["id"] = nullptr;
            CHECK(export_error(dir, doc.dump()) ==
                  "run.json: 'run.id' must be an integer, not null");
        }
        SUBCASE("a missing case id or status, a result that is not an object") {
            auto doc = export_doc();
            doc["results"][1].erase("case_id");
            CHECK(export_error(dir, doc.dump()) == "run.json: 'results[1].case_id' is missing");
            doc = export_doc();
            doc["results"][0].erase("status");
            CHECK(export_error(dir, doc.dump()) == "run.json: 'results[0].status' is missing");
            doc = export_doc();
            doc["results"][1] = 5;
            CHECK(export_error(dir, doc.dump()) ==
                  "run.json: 'results[1]' must be an object, not 5");
        }
        SUBCASE("the provenance only feeds notes: what llmops did not write there is left out") {
            auto doc = export_doc();
            doc["run"]["provenance"] = {
                {"judge", {{"id", 5}, {"samples", "x"}, {"prompts", {{"j", {{"ref", 1}}}}}}},
                {"prompts", {{{"version_id", 7}}, 3}}};
            auto sides = load_export(dir, doc.dump());
            REQUIRE_OK(sides);
            CHECK(sides->front().judge == "? (j , samples 1)");
            CHECK(sides->front().prompt_content == "");
            CHECK(sides->front().case_ids == compare::CaseIds::positional);
            doc["run"]["provenance"] = {{"case_ids", "content"}};
            doc["results"][0]["vars"] = {{"q", "What is 2+2?"}};
            sides = load_export(dir, doc.dump());
            REQUIRE_OK(sides);
            CHECK(sides->front().case_ids == compare::CaseIds::content);
            CHECK(sides->front().cases[0].vars == json{{"q", "What is 2+2?"}});
            CHECK(sides->front().cases[1].vars == json::object());
        }
        SUBCASE("nesting deeper than 512 levels is refused when read") {
            auto doc = export_doc();
            std::string text = doc.dump();
            const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
            text.replace(text.find(R"("ok")"), 4, deep);
            const std::string message = export_error(dir, text);
            CHECK(message.starts_with("run.json:1:"));
            CHECK(message.ends_with(": nesting deeper than 512 levels"));
        }
    }

    TEST_CASE("compare reports (golden files)") {
        auto a = side("run 7", "triage@1 | gpt-4o-mini");
        auto b = side("run 8", "triage@2 | gpt-4.1-mini");
        b.prompt_label = "triage@2";
        b.prompt_version_id = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        b.provider_id = "openai:gpt-4.1-mini";
        a.prompt_content = "{\n  \"template\": \"Triage: {{ticket}}\"\n}\n";
        b.prompt_content = "{\n  \"template\": \"Route this ticket: {{ticket}}\"\n}\n";
        const std::string nasty =
            "<script>alert(1)</script> | `tick` @here *bold*\n\x1b[31mred\x1b[0m";
        // 12 cases (a verdict needs 10): case-1 regresses, case-6 and case-7 are fixed.
        for (int i = 0; i < 12; ++i) {
            const std::string id = "case-" + std::to_string(i);
            const json vars = {{"ticket", "ticket " + std::to_string(i)}, {"lang", "fr"}};
            add_case(a, id,
                     {result(i < 6 || i >= 8 ? "pass" : "fail", "answer " + std::to_string(i),
                             0.0002, 400 + 10 * i)},
                     vars);
            add_case(b, id,
                     {result(i == 1 ? "fail" : "pass",
                             i == 1 ? nasty : "answer " + std::to_string(i), 0.0004, 300 + 10 * i)},
                     vars);
        }
        // The inputs shown: on one line, control characters escaped, cut with one "…".
        a.cases[1].vars = {{"q", "What is the capital of France?\n\x1b[2J"},
                           {"text", std::string(300, 'x')}};
        b.cases[1].vars = a.cases[1].vars;
        b.cases[1].results[0].reason = "contains: output does not contain \"Paris\"";
        // A judge graded both sides: one call per case, then two (samples: 2), one unpriced.
        for (auto* side : {&a, &b}) {
            for (auto& sc : side->cases) {
                auto& r = sc.results[0];
                r.judge_calls = side == &a ? 1 : 2;
                r.judge_input_tokens = 120 * r.judge_calls;
                r.judge_output_tokens = 30 * r.judge_calls;
                r.judge_cost_usd = 0.00005 * static_cast<double>(r.judge_calls);
            }
        }
        b.cases[11].results[0].judge_cost_usd = std::nullopt;
        a.cases[1].description = "capital <of> France";
        const compare::Options options;
        const auto c = compare::compare(a, b, options);
        compare::Gates g;
        g.max_cost_increase = 20;
        const auto failures = compare::check_gates(c, g);
        REQUIRE(failures.size() == 1);
        CHECK(c.prompt_diff.find("+  \"template\": \"Route this ticket: {{ticket}}\"") !=
              std::string::npos);
        check_golden("diff.txt", report::diff_text(c, options, failures, {}));
        check_golden("diff.md", report::diff_markdown(c, options, failures));
        check_golden("diff.json", compare::to_json(c, options).dump(2) + "\n");
        check_golden("diff.html", report::diff_html({c}, options, {failures}));
        // Untrusted text reaches the Markdown raw only inside a fenced code block.
        const auto md = report::diff_markdown(c, options, failures);
        CHECK(md.find("<script>") == md.find("```text\n<script>") + 8);
        CHECK(md.find("capital &lt;of&gt; France") != std::string::npos);
        CHECK(report::diff_text(c, options, failures, {}).find('\x1b') == std::string::npos);
    }

} // TEST_SUITE
