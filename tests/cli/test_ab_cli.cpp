// `llmops ab`: a week of production calls imported from JSONL, with online-eval runs written
// through the store API (the contract of trace-sourced suites: a result's case id is the call's
// span id), as a scheduled CI job would read them.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/store/runs.hpp>
#include <llmops/store/schema.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace llmops::test {

namespace {

const std::map<std::string, std::string> k_env = {{"LLMOPS_NOW", "2026-11-30T00:00:00Z"},
                                                  {"COLUMNS", "80"}};

// A project with support/triage versions 1-3, production at 2 and `weight` percent to 3.
void setup(const TempDir& dir, int weight) {
    REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
    fs::create_directories(dir / "prompts/support");
    for (const char* text : {"one", "two", "three"}) {
        std::ofstream(dir / "prompts/support/triage.yaml")
            << "template: 'Triage " << text << ": {{ticket}}'\n";
        REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", text}).exit_code == 0);
    }
    REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "support/triage@2", "production"})
                .exit_code == 0);
    const auto split = llmops(dir.path(), {"prompt", "label", "set", "support/triage@3",
                                           "production", "--weight", std::to_string(weight)});
    REQUIRE(split.exit_code == 0);
}

// Imports `calls` calls of `version` spread over the week of 2026-11-23, and stores an online-
// eval run in which the first `passes` of them pass and the rest fail.
void arm(const TempDir& dir, int version, int calls, int passes) {
    const std::string file = "week-v" + std::to_string(version) + ".jsonl";
    {
        std::ofstream out(dir / file);
        for (int i = 0; i < calls; ++i) {
            const int minute = i * (7 * 24 * 60) / calls;
            out << fmt::format(
                       R"({{"time": "2026-11-{:02}T{:02}:{:02}:00Z", "prompt": )"
                       R"("support/triage@{}", "span_id": "v{}-{}", "model": "gpt-4o-mini", )"
                       R"("output": "billing", "latency_ms": {}}})",
                       23 + minute / (24 * 60), minute / 60 % 24, minute % 60, version, version, i,
                       300 + i % 50)
                << "\n";
        }
    }
    REQUIRE(llmops(dir.path(), {"traces", "import", file}).exit_code == 0);
    auto db = store::Database::open(dir / ".llmops/llmops.db", store::OpenMode::read_write);
    REQUIRE(db.has_value());
    store::RunRecord run;
    run.suite_path = "online.yaml";
    run.variants.push_back(
        {0, "triage | traces", "triage", "id", "traces", "traces", json::object()});
    const auto run_id = store::create_run(*db, run);
    REQUIRE(run_id.has_value());
    store::ResultWriter results(*db, *run_id);
    for (int i = 0; i < calls; ++i) {
        store::ResultRecord r;
        r.case_id = fmt::format("v{}-{}", version, i);
        r.status = i < passes ? "pass" : "fail";
        REQUIRE(results.add(std::move(r)).has_value());
    }
    REQUIRE(results.flush().has_value());
}

RunResult ab(const TempDir& dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
        "ab", "support/triage@production", "--since", "2026-11-23", "--until", "2026-11-30"};
    args.insert(args.end(), extra.begin(), extra.end());
    return llmops(dir.path(), args, k_env);
}

bool fits(const std::string& text, size_t width) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        // Code points, not bytes: the report has no wide characters.
        size_t n = 0;
        for (const char c : line) {
            n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
        }
        if (n > width || (!line.empty() && line.back() == ' ')) {
            return false;
        }
    }
    return true;
}

} // namespace

TEST_SUITE("cli") {
    TEST_CASE("cli::ab a planted 55/45 split against 50/50 is a sample ratio mismatch") {
        TempDir dir;
        setup(dir, 50);
        arm(dir, 2, 1100, 700);
        arm(dir, 3, 900, 850);
        const auto r = ab(dir);
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("WARNING: sample ratio mismatch") != std::string::npos);
        CHECK(r.out.find("sample ratio: MISMATCH (chi-square 20.00, p<0.0001;") !=
              std::string::npos);
        CHECK(r.out.find("recommendation: investigate\n") != std::string::npos);
        CHECK(r.out.find("recommendation: promote") == std::string::npos);
        CHECK(r.out.find("recommendation: roll back") == std::string::npos);
        CHECK(fits(r.out, 80));
        const auto j = json::parse(ab(dir, {"--json"}).out);
        CHECK(j["recommendation"] == "investigate");
        CHECK(j["srm"]["mismatch"] == true);
        CHECK(j["recommended_version"].is_null());
    }

    TEST_CASE("cli::ab a healthy 90/10 split where version 3 is clearly better: promote") {
        TempDir dir;
        setup(dir, 10);
        arm(dir, 2, 1800, 1260); // 70%
        arm(dir, 3, 200, 190);   // 95%
        const auto r = ab(dir, {"-o", "report.md", "-o", "report.html"});
        CHECK(r.exit_code == 0);
        CHECK(r.err == "");
        CHECK(r.out.find("sample ratio: ok") != std::string::npos);
        CHECK(r.out.find("recommendation: promote (to @3)\n") != std::string::npos);
        CHECK(fits(r.out, 80));
        const auto j = json::parse(ab(dir, {"--json"}).out);
        CHECK(j["format"] == "llmops-ab/1");
        CHECK(j["metric"] == "online_eval_pass_rate");
        CHECK(j["arms"][0]["calls"] == 1800);
        CHECK(j["arms"][1]["online_eval"]["pass"] == 190);
        CHECK(j["comparisons"][0]["verdict"] == "better");
        CHECK(j["recommendation"] == "promote");
        std::ifstream md(dir / "report.md");
        const std::string markdown((std::istreambuf_iterator<char>(md)), {});
        CHECK(markdown.starts_with("## A/B test of `support/triage@production`\n"));
        std::ifstream html_file(dir / "report.html");
        const std::string html((std::istreambuf_iterator<char>(html_file)), {});
        CHECK(html.find("Recommendation: promote (to @3)") != std::string::npos);
        CHECK(html.find("<script") == std::string::npos);
    }

    TEST_CASE("cli::ab a clearly worse version 3: roll back, exit 1") {
        TempDir dir;
        setup(dir, 10);
        arm(dir, 2, 1800, 1620); // 90%
        arm(dir, 3, 200, 120);   // 60%
        const auto r = ab(dir);
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("recommendation: roll back (to @2)\n  version 3 is significantly worse "
                         "on online-eval pass rate\n") != std::string::npos);
    }

    TEST_CASE("cli::ab too few calls: keep running, exit 0") {
        TempDir dir;
        setup(dir, 10);
        arm(dir, 2, 18, 14);
        arm(dir, 3, 2, 2);
        const auto r = ab(dir);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("recommendation: keep running\n") != std::string::npos);
    }

    TEST_CASE("cli::ab usage errors exit 2") {
        TempDir dir;
        setup(dir, 10);
        REQUIRE(llmops(dir.path(), {"prompt", "label", "set", "support/triage@1", "staging"})
                    .exit_code == 0);
        auto r = llmops(dir.path(), {"ab", "support/triage@staging"}, k_env);
        CHECK(r.exit_code == 2);
        CHECK(r.err == "llmops: error: label 'staging' of 'support/triage' is not split: set a "
                       "weight with `llmops prompt label set support/triage@N staging --weight "
                       "W`\n");
        r = llmops(dir.path(), {"ab", "support/triage@3"}, k_env);
        CHECK(r.exit_code == 2);
        CHECK(r.err == "llmops: error: 'support/triage@3' names no label: give the split label, "
                       "such as 'support/triage@production'\n");
        r = llmops(dir.path(), {"ab", "support/triage@production", "-o", "x.txt"}, k_env);
        CHECK(r.exit_code == 2);
        r = llmops(dir.path(), {"ab", "support/triage@production", "--since", "soon"}, k_env);
        CHECK(r.exit_code == 2);
        r = llmops(dir.path(), {"ab", "support/triage@production", "--alpha", "2"}, k_env);
        CHECK(r.exit_code == 2);
        CHECK(r.err == "llmops: error: --alpha 2 is not between 0 and 1\n");
    }
}

} // namespace llmops::test
