// `llmops drift`'s reports (report/drift_report.hpp).

#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/report/drift_report.hpp>
#include <llmops/store/calls.hpp>

using namespace llmops;

namespace {

online::DriftReport sample() {
    online::DriftReport r;
    r.prompt = "support/triage";
    r.model = "gpt-4o-mini";
    r.reference = {store::parse_iso8601_ns("2026-11-01"), store::parse_iso8601_ns("2026-11-08")};
    r.current = {store::parse_iso8601_ns("2026-11-08"), std::nullopt};
    r.reference_calls = 210;
    r.current_calls = 60;
    online::DriftRow psi;
    psi.feature = "input length";
    psi.statistic = "psi";
    psi.summary = "median";
    psi.reference = 34;
    psi.current = 69;
    psi.value = 18.420680743952367;
    psi.threshold = "psi > 0.2";
    psi.status = online::DriftStatus::alarm;
    online::DriftRow rate;
    rate.feature = "refusal rate";
    rate.statistic = "difference";
    rate.summary = "rate";
    rate.reference = 0.02;
    rate.current = 0.03;
    rate.value = 0.01;
    rate.p_value = 0.61;
    rate.interval = stats::Interval{-0.03, 0.06};
    rate.threshold = "+0.05 & p<0.05";
    rate.status = online::DriftStatus::ok;
    online::DriftRow embedding;
    embedding.feature = "output embedding";
    embedding.statistic = "embedding";
    embedding.summary = "n";
    embedding.threshold = "p < 0.01";
    embedding.note = "not configured";
    r.rows = {psi, rate, embedding};
    return r;
}

} // namespace

TEST_SUITE("report") {
    TEST_CASE("report::drift_text") {
        CHECK(report::drift_text(sample()) ==
              "prompt:    support/triage model gpt-4o-mini\n"
              "reference: 2026-11-01T00:00:00.000Z..2026-11-08T00:00:00.000Z  210 calls\n"
              "current:   2026-11-08T00:00:00.000Z..  60 calls\n"
              "\n"
              "feature          stat      ref  current    value        p threshold\n"
              "input length     psi        34       69    18.42        - psi > 0.2      ALARM\n"
              "refusal rate     diff     0.02     0.03     0.01     0.61 +0.05 & p<0.05 ok\n"
              "output embedding emb  not configured                                      n/a\n"
              "\n"
              "1 alarm:\n"
              "  input length (psi)\n");
        SUBCASE("every line fits 80 columns") {
            std::istringstream lines(report::drift_text(sample()));
            for (std::string line; std::getline(lines, line);)
                CHECK(line.size() <= 80);
        }
    }

    TEST_CASE("report::drift_json") {
        const auto j = nlohmann::json::parse(report::drift_json(sample()));
        CHECK(j["prompt"] == "support/triage");
        CHECK(j["version"] == "");
        CHECK(j["current"]["until"].is_null());
        CHECK(j["reference"]["calls"] == 210);
        CHECK(j["thresholds"]["max_psi"] == 0.2);
        CHECK(j["alarm"] == true);
        CHECK(j["alarms"] == nlohmann::json{"input length (psi)"});
        CHECK(j["rows"][0]["p_value"].is_null());
        CHECK(j["rows"][1]["interval"] == nlohmann::json{-0.03, 0.06});
        CHECK(j["rows"][2]["status"] == "unavailable");
        CHECK(j["rows"][2]["note"] == "not configured");
    }

    TEST_CASE("report::drift_markdown") {
        const auto md = report::drift_markdown(sample());
        CHECK(md.starts_with("## Drift of support/triage model gpt-4o-mini\n"));
        CHECK(md.find("| input length | psi | 34 | 69 | 18.42 | - | psi &gt; 0.2 | **ALARM** |") !=
              std::string::npos);
        CHECK(md.find("| output embedding | embedding | - | - | not configured | - | p &lt; 0.01 | "
                      "n/a |") != std::string::npos);
    }
}
