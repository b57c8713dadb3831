// `llmops advise RUN`: the cheapest variant whose pass rate surely meets a bar, on the shipped
// support-triage suite (two models on recorded answers, offline).

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace llmops::test {

namespace {

// A project holding run 1 of evals/support-triage: gpt-4o-mini passes 9 of 12 at $0.0000325 a
// call, gpt-4.1-mini 11 of 12 at $0.0000879.
struct TriageRun {
    TempDir dir;
    TriageRun() {
        fs::copy(fs::path(LLMOPS_SOURCE_DIR) / "evals", dir / "evals", fs::copy_options::recursive);
        fs::copy(fs::path(LLMOPS_SOURCE_DIR) / "prompts", dir / "prompts",
                 fs::copy_options::recursive);
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        REQUIRE(llmops(dir.path(), {"eval", "evals/support-triage/suite.yaml"}).exit_code == 1);
    }
};

} // namespace

TEST_SUITE("cli") {
    TEST_CASE("cli::advise names the cheapest variant that surely meets the bar") {
        TriageRun t;
        // 300 production calls of support/triage in November, at $0.00048 each.
        std::string calls;
        for (int i = 0; i < 300; ++i) {
            calls += json{{"span_id", fmt::format("p{}", i)},
                          {"time", fmt::format("2026-11-{:02}T10:00:00Z", 10 + i % 20)},
                          {"prompt", "support/triage@2"},
                          {"model", "gpt-4.1-mini"},
                          {"output", "billing"},
                          {"input_tokens", 1000},
                          {"output_tokens", 50}}
                         .dump() +
                     "\n";
        }
        std::ofstream(t.dir / "prod.jsonl") << calls;
        REQUIRE(llmops(t.dir.path(), {"traces", "import", "prod.jsonl"}).exit_code == 0);
        const std::map<std::string, std::string> env = {{"LLMOPS_NOW", "2026-12-01T00:00:00Z"},
                                                        {"COLUMNS", "80"}};
        auto r = llmops(t.dir.path(), {"advise", "latest", "--min-pass-rate", "0.3"}, env);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("recommendation: 0 support/triage | gpt-4o-mini\n  75.0% [46.8, 91.1] at "
                         "$0.0000325 a call\n") != std::string::npos);
        CHECK(r.out.find("the run cannot tell them apart on its cases") != std::string::npos);
        CHECK(r.out.find("300 calls a month (traces (30 days))") != std::string::npos);
        for (size_t start = 0, end; start < r.out.size(); start = end + 1) {
            end = r.out.find('\n', start);
            const auto line = r.out.substr(start, end - start);
            CAPTURE(line);
            const auto columns = std::count_if(line.begin(), line.end(), [](char c) {
                return (static_cast<unsigned char>(c) & 0xC0) != 0x80; // UTF-8 code points
            });
            CHECK(columns <= 80);
            CHECK((line.empty() || line.back() != ' '));
        }
        auto j = llmops(t.dir.path(), {"advise", "1", "--min-pass-rate", "0.3", "--json",
                                       "--traffic", "1000000"});
        REQUIRE(j.exit_code == 0);
        const json advice = json::parse(j.out);
        CHECK(advice["recommended"] == 0);
        CHECK(advice["best"] == 1);
        // McNemar's exact p of the two variants on the same 12 cases.
        CHECK(advice["p_value"].get<double>() == doctest::Approx(0.625));
        CHECK(advice["traffic_source"] == "--traffic");
        CHECK(advice["monthly_saving"].get<double>() ==
              doctest::Approx(1e6 * (advice["production_cost_per_call"].get<double>() -
                                     advice["variants"][0]["cost_per_call"].get<double>())));
        CHECK(advice["variants"][0]["on_front"] == true);
        CHECK(advice["variants"][1]["qualifies"] == true);
    }

    TEST_CASE("cli::advise says plainly when no variant qualifies") {
        TriageRun t;
        auto r = llmops(t.dir.path(), {"advise", "latest"}, {{"COLUMNS", "80"}});
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("no variant qualifies: no 95% interval's lower bound reaches 90.0%\n") !=
              std::string::npos);
        // 11 of 12 is 91.7%: its Wilson lower bound reaches 90% only with many more cases.
        CHECK(r.out.find("would need about 1245 judged cases at that rate (it has 12)") !=
              std::string::npos);
        auto bad = llmops(t.dir.path(), {"advise", "latest", "--min-pass-rate", "1.5"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err == "llmops: error: --min-pass-rate 1.5 is not in (0, 1)\n");
        CHECK(llmops(t.dir.path(), {"advise", "7"}).exit_code == 2);
    }
}

} // namespace llmops::test
