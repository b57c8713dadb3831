// `llmops ab`'s reports (report/ab_report.hpp) of a report built here: three arms at 80 columns,
// the warning of a sample ratio mismatch, and the HTML page's safety.

#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/report/ab_report.hpp>
#include <llmops/report/escape.hpp>

using namespace llmops;

namespace {

online::ArmResult arm(int64_t version, int64_t weight, int64_t calls, bool control) {
    online::ArmResult a;
    a.version = version;
    a.id = std::string(64, 'a');
    a.weight = weight;
    a.control = control;
    a.calls = calls;
    a.errors = calls / 50;
    a.eval_pass = calls * 8 / 10;
    a.eval_fail = calls - a.eval_pass - a.errors;
    a.pass_rate = 0.8;
    a.pass_interval = stats::Interval{0.7512, 0.8423};
    a.feedback_n = 12;
    a.feedback_mean = 0.75;
    a.cost_per_call = 0.00123;
    a.latency_p50_ms = 1234;
    a.latency_p95_ms = 98765;
    return a;
}

online::AbReport three_arms() {
    online::AbReport r;
    r.prompt = "support/a-rather-long-prompt-name/for-wrapping";
    r.label = "production";
    r.arms = {arm(2, 70, 7000, true), arm(3, 20, 2000, false), arm(4, 10, 1000, false)};
    r.srm = stats::GoodnessOfFit{123.4, 2, 1e-20};
    r.srm_failed = true;
    r.metric = online::AbMetric::online_eval_pass_rate;
    online::ArmComparison c;
    c.control = 2;
    c.treatment = 3;
    c.metric = *r.metric;
    c.difference = 0.0123;
    c.interval = {-0.01, 0.03};
    c.p_value = 0.2;
    c.test = "z-test";
    c.needed_per_arm = 12345;
    r.comparisons = {c, c};
    r.comparisons[1].treatment = 4;
    r.recommendation = online::Recommendation::investigate;
    r.reason = "sample ratio mismatch (p = 1e-20 < 0.001): the traffic did not split as "
               "configured, so no verdict can be trusted";
    return r;
}

} // namespace

TEST_SUITE("report") {
    TEST_CASE("report::ab_text fits the terminal") {
        const auto r = three_arms();
        for (const size_t width : {80, 60, 120}) {
            CAPTURE(width);
            std::istringstream lines(report::ab_text(r, width));
            for (std::string line; std::getline(lines, line);) {
                CAPTURE(line);
                CHECK(report::code_point_count(line) <= width);
                CHECK((line.empty() || line.back() != ' '));
            }
        }
        const std::string text = report::ab_text(r, 80);
        CHECK(text.find("WARNING: sample ratio mismatch") != std::string::npos);
        CHECK(text.find("recommendation: investigate\n") != std::string::npos);
        // Three arms do not fit beside each other at 80 columns: the third starts a new block.
        CHECK(text.find("@2 (control)          @3\n") != std::string::npos);
    }

    TEST_CASE("report::ab_json, ab_markdown and ab_html") {
        const auto r = three_arms();
        const auto j = nlohmann::json::parse(report::ab_json(r));
        CHECK(j["format"] == "llmops-ab/1");
        CHECK(j["arms"].size() == 3);
        CHECK(j["srm"]["mismatch"] == true);
        CHECK(j["recommendation"] == "investigate");
        CHECK(j["comparisons"][1]["treatment"] == 4);
        CHECK(j["comparisons"][0]["needed_per_arm"] == 12345);
        const std::string md = report::ab_markdown(r);
        CHECK(md.find("> **Warning: sample ratio mismatch.**") != std::string::npos);
        CHECK(md.find("| `@3` vs `@2` | online-eval pass rate |") != std::string::npos);
        const std::string html = report::ab_html(r);
        CHECK(html.find("Content-Security-Policy") != std::string::npos);
        CHECK(html.find("<script") == std::string::npos);
        CHECK(html.find("class=\"warning\"") != std::string::npos);
    }
}
