// A/B tests of a split label (online/ab.hpp), on a store built here: versions, a split label,
// imported calls, and online-eval runs whose results are keyed by the calls' span ids.

#include <doctest/doctest.h>

#include <llmops/online/ab.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/store/schema.hpp>
#include <llmops/util/hash.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using namespace llmops;
using llmops::test::TempDir;

namespace {

// A store with support/triage versions 1-3, production at 2 and 3 given `weight`.
struct Fixture {
    TempDir dir;
    store::Database db = open();
    store::PromptStore prompts{db};
    int64_t next_span = 0;

    explicit Fixture(int64_t weight) {
        for (const char* text : {"one", "two", "three"}) {
            const std::string body = std::string(R"({"template":")") + text + R"("})";
            REQUIRE_OK(
                prompts.commit({{"support/triage", util::sha256_hex(body), body, "m", "Ada"}}));
        }
        REQUIRE_OK(prompts.set_label(prompts.resolve("support/triage@2").value(), "production",
                                     "Ada", ""));
        REQUIRE_OK(prompts.set_label_weight(prompts.resolve("support/triage@3").value(),
                                            "production", weight, "Ada", ""));
    }

    store::Database open() {
        auto opened = store::Database::open(dir / "llmops.db", store::OpenMode::read_write);
        REQUIRE(opened.has_value());
        REQUIRE(store::migrate(*opened).has_value());
        return std::move(*opened);
    }

    // `calls` calls of `version` (as the app logged it), the first `errors` failed, and an
    // online-eval run in which the first `passes` of the others pass.
    void arm(const std::string& version, int calls, int errors, int passes) {
        store::CallWriter writer(db);
        store::RunRecord run;
        run.suite_path = "online.yaml";
        run.variants.push_back({0, "v | x", "v", "id", "echo", "echo", nlohmann::json::object()});
        const int64_t run_id = store::create_run(db, run).value();
        store::ResultWriter results(db, run_id);
        for (int i = 0; i < calls; ++i) {
            store::CallRecord call;
            call.span_id = "span-" + std::to_string(next_span++);
            call.time_unix_ns = *store::parse_iso8601_ns("2026-11-23T09:00:00Z") + i;
            call.prompt = "support/triage";
            call.prompt_version = version;
            call.error = i < errors;
            call.latency_ms = 100 + i % 10;
            call.cost_usd = 0.001;
            call.source = "jsonl";
            store::ResultRecord r;
            r.case_id = call.span_id;
            r.status = i < errors ? "error" : i - errors < passes ? "pass" : "fail";
            REQUIRE_OK(writer.add(std::move(call)));
            REQUIRE_OK(results.add(std::move(r)));
        }
        REQUIRE_OK(writer.flush());
        REQUIRE_OK(results.flush());
    }

    online::AbReport analyze() {
        online::AbOptions options;
        options.prompt = "support/triage";
        options.label = "production";
        auto report = online::analyze_ab(db, options);
        REQUIRE_OK(report);
        return *report;
    }
};

} // namespace

TEST_SUITE("online") {
    TEST_CASE("online::analyze_ab") {
        SUBCASE("a clearly better treatment is promoted") {
            Fixture f(10);
            f.arm("2", 900, 9, 600); // 600 / 891 pass
            f.arm("v3", 100, 1, 95); // 95 / 99 pass
            const auto r = f.analyze();
            REQUIRE(r.arms.size() == 2);
            CHECK(r.arms[0].control);
            CHECK(r.arms[0].calls == 900);
            CHECK(r.arms[1].calls == 100);
            CHECK(r.arms[1].eval_pass == 95);
            CHECK(r.arms[1].eval_error == 1);
            CHECK_FALSE(r.srm_failed);
            CHECK(r.metric == online::AbMetric::online_eval_pass_rate);
            REQUIRE(r.comparisons.size() == 1);
            CHECK(r.comparisons[0].verdict == stats::Verdict::better);
            CHECK(r.recommendation == online::Recommendation::promote);
            CHECK(r.recommended_version == 3);
        }
        SUBCASE("a clearly worse treatment is rolled back") {
            Fixture f(10);
            f.arm("2", 900, 0, 850);
            f.arm("3", 100, 0, 40);
            const auto r = f.analyze();
            CHECK(r.recommendation == online::Recommendation::roll_back);
            CHECK(r.recommended_version == 2);
            CHECK(r.reason == "version 3 is significantly worse on online-eval pass rate");
        }
        SUBCASE("too few to tell: keep running, with the sample needed") {
            Fixture f(50);
            f.arm("2", 10, 0, 8);
            f.arm("3", 10, 0, 9);
            const auto r = f.analyze();
            CHECK(r.recommendation == online::Recommendation::keep_running);
            REQUIRE(r.comparisons.size() == 1);
            CHECK(r.comparisons[0].test == "fisher exact");
            CHECK(r.comparisons[0].needed_per_arm.has_value());
        }
        SUBCASE("a sample ratio mismatch: investigate, no verdict") {
            Fixture f(50);
            f.arm("2", 600, 0, 500); // chi-square 40 on 1 degree of freedom: p = 2.5e-10
            f.arm("3", 400, 0, 300);
            const auto r = f.analyze();
            CHECK(r.srm_failed);
            CHECK(r.recommendation == online::Recommendation::investigate);
            CHECK_FALSE(r.recommended_version);
        }
        SUBCASE("calls match by version id and its prefix; others are counted apart") {
            Fixture f(50);
            const auto v3 = f.prompts.resolve("support/triage@3").value();
            f.arm(v3.id, 3, 0, 3);
            f.arm(v3.id.substr(0, 8), 2, 0, 2);
            f.arm("1", 4, 0, 4);
            const auto r = f.analyze();
            CHECK(r.arms[1].calls == 5);
            CHECK(r.other_calls == 4);
        }
        SUBCASE("the latest online-eval run of a call counts") {
            Fixture f(50);
            f.arm("2", 20, 0, 20);
            f.arm("3", 20, 0, 20);
            f.next_span = 20; // the same spans of version 3, judged again: all fail now
            f.arm("3", 20, 0, 0);
            const auto r = f.analyze();
            CHECK(r.arms[1].calls == 20); // the calls were imported once
            CHECK(r.arms[1].eval_fail == 20);
        }
    }

    TEST_CASE("online::analyze_ab refusals") {
        Fixture f(10);
        online::AbOptions options;
        options.prompt = "support/triage";
        options.label = "staging";
        auto r = online::analyze_ab(f.db, options);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == ErrorCode::not_found);
        CHECK(r.error().message() == "prompt 'support/triage' has no label 'staging'");
        REQUIRE_OK(f.prompts.set_label(f.prompts.resolve("support/triage@1").value(), "staging",
                                       "Ada", ""));
        r = online::analyze_ab(f.db, options);
        CHECK(r.error().code() == ErrorCode::invalid_input);
        CHECK(r.error().message() ==
              "label 'staging' of 'support/triage' is not split: set a weight with `llmops prompt "
              "label set support/triage@N staging --weight W`");
    }
}
