// Drift between two windows of imported calls (online/drift.hpp).

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <llmops/online/drift.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/store/runs.hpp>

#include "support/expected.hpp"
#include "support/test_project.hpp"

using namespace llmops;

namespace {

int64_t at(const char* iso) {
    return *store::parse_iso8601_ns(iso);
}

constexpr int64_t k_hour = 3600LL * 1000000000LL;

// A call of support/triage at `time` with ticket `ticket` and answer `output`.
store::CallRecord call(const std::string& span, int64_t time, const std::string& ticket,
                       const std::string& output) {
    store::CallRecord c;
    c.span_id = span;
    c.time_unix_ns = time;
    c.prompt = "support/triage";
    c.prompt_version = "3";
    c.model = "gpt-4o-mini";
    c.vars = nlohmann::json{{"ticket", ticket}}.dump();
    c.output = output;
    c.output_tokens = static_cast<int64_t>(output.size() / 4 + 1);
    c.source = "jsonl";
    return c;
}

// 200 reference calls on Nov 1-7 and 100 current calls on Nov 8; the current ones drifted when
// `drifted`: longer tickets, other words, a third of the answers refusals.
void import_calls(store::Database& db, bool drifted) {
    store::CallWriter writer(db);
    for (int i = 0; i < 200; ++i)
        REQUIRE_OK(writer.add(call("r" + std::to_string(i), at("2026-11-01") + i * k_hour / 2,
                                   "my card was charged twice " + std::to_string(i % 7),
                                   i % 50 == 0 ? "I'm sorry, but I can't help" : "billing")));
    for (int i = 0; i < 100; ++i) {
        std::string ticket = drifted ? "the mobile application crashes whenever I open settings "
                                       "and then the screen freezes " +
                                           std::to_string(i % 5)
                                     : "my card was charged twice " + std::to_string(i % 7);
        bool refuse = drifted ? i % 3 == 0 : i % 50 == 0;
        REQUIRE_OK(writer.add(call("c" + std::to_string(i), at("2026-11-08") + i * k_hour / 10,
                                   ticket, refuse ? "I'm sorry, but I can't help" : "billing")));
    }
    REQUIRE_OK(writer.flush());
}

online::DriftOptions options() {
    online::DriftOptions o;
    o.prompt = "support/triage";
    o.reference = {at("2026-11-01"), at("2026-11-08")};
    o.current = {at("2026-11-08"), at("2026-11-09")};
    o.permutations = 200;
    return o;
}

const online::DriftRow& row(const online::DriftReport& r, const std::string& feature,
                            const std::string& statistic) {
    for (const auto& x : r.rows)
        if (x.feature == feature && x.statistic == statistic)
            return x;
    FAIL("no row " << feature << " " << statistic);
    return r.rows.front();
}

// A stand-in embedding model: a text's length and its count of the letter 'e'.
const online::Embedder k_embedder =
    [](const std::vector<std::string>& texts) -> Expected<std::vector<std::vector<double>>> {
    std::vector<std::vector<double>> out;
    for (const auto& t : texts)
        out.push_back({static_cast<double>(t.size()),
                       static_cast<double>(std::count(t.begin(), t.end(), 'e'))});
    return out;
};

} // namespace

TEST_SUITE("online") {
    TEST_CASE("online::compute_drift finds a planted drift") {
        test::TestProject p;
        import_calls(*p.db, true);
        auto o = options();
        o.embedder = &k_embedder;
        auto report = online::compute_drift(*p.db, o);
        REQUIRE_OK(report);
        CHECK(report->reference_calls == 200);
        CHECK(report->current_calls == 100);
        CHECK(report->alarm());
        CHECK(row(*report, "input length", "psi").status == online::DriftStatus::alarm);
        CHECK(row(*report, "input length", "ks").status == online::DriftStatus::alarm);
        CHECK(row(*report, "input words", "js").status == online::DriftStatus::alarm);
        CHECK(row(*report, "input embedding", "embedding").status == online::DriftStatus::alarm);
        const auto& refusals = row(*report, "refusal rate", "difference");
        CHECK(refusals.status == online::DriftStatus::alarm);
        CHECK(*refusals.reference == doctest::Approx(0.02));
        CHECK(*refusals.current == doctest::Approx(34.0 / 100));
        CHECK(row(*report, "pass rate", "difference").note == "no online evals");
        CHECK(row(*report, "input tokens", "psi").note == "no token counts");
    }

    TEST_CASE("online::compute_drift stays quiet without drift") {
        test::TestProject p;
        import_calls(*p.db, false);
        auto o = options();
        auto report = online::compute_drift(*p.db, o);
        REQUIRE_OK(report);
        CHECK_FALSE(report->alarm());
        CHECK(row(*report, "input embedding", "embedding").note == "not configured");
        CHECK(row(*report, "output length", "ks").status == online::DriftStatus::ok);
    }

    TEST_CASE("online::compute_drift names an empty window") {
        test::TestProject p;
        import_calls(*p.db, false);
        auto o = options();
        o.model = "gpt-5";
        auto report = online::compute_drift(*p.db, o);
        REQUIRE_FALSE(report);
        CHECK(report.error().code() == ErrorCode::invalid_input);
        CHECK(report.error().message() ==
              "no calls of 'support/triage', model 'gpt-5' in the reference window "
              "2026-11-01T00:00:00.000Z..2026-11-08T00:00:00.000Z");
    }

    TEST_CASE("online::compute_drift reads the latest online-eval result of each call") {
        test::TestProject p;
        import_calls(*p.db, false);
        // Run 1 fails every call; run 2, newer, passes the reference and fails 40 current ones.
        for (int run = 1; run <= 2; ++run) {
            store::RunRecord record;
            record.suite_path = "evals/online.yaml";
            record.variants.push_back({0, "triage", "triage", "v", "echo", "echo", {}});
            auto id = store::create_run(*p.db, record);
            REQUIRE_OK(id);
            store::ResultWriter writer(*p.db, *id);
            for (int i = 0; i < 300; ++i) {
                store::ResultRecord r;
                r.case_id = i < 200 ? "r" + std::to_string(i) : "c" + std::to_string(i - 200);
                r.case_index = i;
                r.status = run == 1 || (i >= 200 && i < 240) ? "fail" : "pass";
                REQUIRE_OK(writer.add(std::move(r)));
            }
            REQUIRE_OK(writer.flush());
        }
        auto report = online::compute_drift(*p.db, options());
        REQUIRE_OK(report);
        const auto& pass = row(*report, "pass rate", "difference");
        CHECK(*pass.reference == 1.0);
        CHECK(*pass.current == doctest::Approx(0.6));
        CHECK(pass.status == online::DriftStatus::alarm);
    }

    TEST_CASE("online::input_text and drift_tokens") {
        CHECK(online::input_text(R"({"a": "x y", "n": 3})", "[]") == "x y\n3");
        CHECK(online::input_text("{}", R"([{"role":"system","content":"Be brief."},)"
                                       R"({"role":"user","content":"Hi"}])") == "Be brief.\nHi");
        CHECK(online::drift_tokens("Hello, World! it's 2x") ==
              std::vector<std::string>{"hello", "world", "it", "s", "2x"});
    }

    TEST_CASE("online::parse_drift_thresholds") {
        auto t = online::parse_drift_thresholds("max_psi: 0.3\nks_alpha: 0.001\n", "drift.yaml");
        REQUIRE_OK(t);
        CHECK(t->max_psi == 0.3);
        CHECK(t->ks_alpha == 0.001);
        CHECK(t->max_js == 0.1);
        auto bad = online::parse_drift_thresholds("max_pis: 0.3\n", "drift.yaml");
        REQUIRE_FALSE(bad);
        CHECK(bad.error().message().starts_with("drift.yaml: unknown key 'max_pis'"));
        bad = online::parse_drift_thresholds("ks_alpha: 2\n", "drift.yaml");
        REQUIRE_FALSE(bad);
        CHECK(bad.error().message() == "drift.yaml: 'ks_alpha' must be a number between 0 and 1");
        // A suite keeps them under `drift:`.
        t = online::parse_drift_thresholds("tests: {traces: {prompt: a}}\ndrift: {max_js: 0.2}\n",
                                           "online.yaml");
        REQUIRE_OK(t);
        CHECK(t->max_js == 0.2);
        CHECK(t->max_psi == 0.2);
        bad = online::parse_drift_thresholds("prompts: [x]\ndrift: {max_pis: 1}\n", "online.yaml");
        REQUIRE_FALSE(bad);
        CHECK(bad.error().message().starts_with("online.yaml: drift: unknown key 'max_pis'"));
    }
}
