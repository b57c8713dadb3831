// `llmops diff` end to end: runs of a project, variants of one run, exported runs (files), the
// formats and the gates' exit codes (SPEC §11, §12).

#include <algorithm>
#include <sstream>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

using nlohmann::json;

// An llmops export of one variant: `passes[i]` says whether case i passed; every result costs
// `cost` and took `latency_ms`.
std::string export_json(const std::vector<bool>& passes, double cost, double latency_ms,
                        const std::string& label = "triage | model") {
    json results = json::array();
    for (size_t i = 0; i < passes.size(); ++i) {
        results.push_back({{"variant", 0},
                           {"case_id", "case-" + std::to_string(i)},
                           {"case_index", i},
                           {"repeat", 0},
                           {"status", passes[i] ? "pass" : "fail"},
                           {"score", passes[i] ? 1.0 : 0.0},
                           {"output", "answer " + std::to_string(i)},
                           {"usage", {{"input", 10}, {"output", 5}}},
                           {"cost_usd", cost},
                           {"latency_ms", latency_ms},
                           {"cached", false}});
    }
    return json{
        {"llmops_export", 1},
        {"run", {{"id", 1}, {"dataset_hash", "d"}, {"suite_path", "suite.yaml"}}},
        {"variants",
         {{{"index", 0}, {"label", label}, {"prompt_version_id", "p"}, {"provider_id", "echo"}}}},
        {"results", results}}
        .dump();
}

std::vector<bool> passing(int n, int failing) {
    std::vector<bool> out(static_cast<size_t>(n), true);
    for (int i = 0; i < failing; ++i) {
        out[static_cast<size_t>(i)] = false;
    }
    return out;
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::diff of exported runs: formats and gates") {
        TempDir dir;
        dir.write("base.json", export_json(passing(30, 2), 0.001, 100));
        dir.write("same.json", export_json(passing(30, 3), 0.001, 105));
        dir.write("worse.json", export_json(passing(30, 14), 0.0013, 180));
        SUBCASE("no gate: exit 0 whatever changed; the text names both sides") {
            const auto r = llmops(dir.path(), {"diff", "base.json", "worse.json"});
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("baseline : base.json (30 cases) triage | model") !=
                  std::string::npos);
            CHECK(r.out.find("CASES: 12 regressions, 0 fixes") != std::string::npos);
        }
        SUBCASE("the tables fit the terminal: COLUMNS=80 puts each verdict on its own line") {
            for (const int columns : {80, 140}) {
                CAPTURE(columns);
                const auto r = llmops(dir.path(), {"diff", "base.json", "worse.json"},
                                      {{"COLUMNS", std::to_string(columns)}});
                const size_t from = r.out.find("QUALITY");
                const size_t to = r.out.find("\nCASES:");
                REQUIRE(from != std::string::npos);
                REQUIRE(to != std::string::npos);
                std::istringstream table(r.out.substr(from, to - from));
                for (std::string line; std::getline(table, line);) {
                    CHECK(std::count_if(line.begin(), line.end(), [](char c) {
                              return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
                          }) <= columns);
                }
                CHECK((r.out.find("\n  difference ") != std::string::npos) == (columns == 80));
            }
        }
        SUBCASE("--fail-on-regression fails on a significant drop only") {
            CHECK(llmops(dir.path(), {"diff", "base.json", "same.json", "--fail-on-regression"})
                      .exit_code == 0);
            const auto r =
                llmops(dir.path(), {"diff", "base.json", "worse.json", "--fail-on-regression"});
            CHECK(r.exit_code == 1);
            CHECK(r.out.find("gate failed: pass rate is significantly worse") != std::string::npos);
        }
        SUBCASE("cost, latency and pass-rate gates") {
            CHECK(
                llmops(dir.path(), {"diff", "base.json", "worse.json", "--max-cost-increase", "30"})
                    .exit_code == 0);
            CHECK(
                llmops(dir.path(), {"diff", "base.json", "worse.json", "--max-cost-increase", "29"})
                    .exit_code == 1);
            CHECK(llmops(dir.path(),
                         {"diff", "base.json", "same.json", "--max-latency-increase", "10"})
                      .exit_code == 0);
            CHECK(llmops(dir.path(),
                         {"diff", "base.json", "worse.json", "--max-latency-increase", "10"})
                      .exit_code == 1);
            CHECK(llmops(dir.path(), {"diff", "base.json", "same.json", "--min-pass-rate", "0.9"})
                      .exit_code == 0);
            CHECK(llmops(dir.path(), {"diff", "base.json", "worse.json", "--min-pass-rate", "0.9"})
                      .exit_code == 1);
        }
        SUBCASE("--format json is the documented shape; -o writes the reports") {
            const auto r =
                llmops(dir.path(), {"diff", "base.json", "worse.json", "--format", "json",
                                    "--min-pass-rate", "0.9", "-o", "d.md", "-o", "d.json"});
            CHECK(r.exit_code == 1);
            const auto doc = json::parse(r.out);
            CHECK(doc["llmops_diff"] == 1);
            CHECK(doc["exit_code"] == 1);
            const auto& c = doc["comparisons"][0];
            CHECK(c["counts"]["regression"] == 12);
            CHECK(c["quality"][0]["name"] == "pass rate");
            CHECK(c["quality"][0]["verdict"] == "worse");
            CHECK(c["gate_failures"].size() == 1);
            CHECK(json::parse(dir.read("d.json")) == doc);
            CHECK(dir.read("d.md").starts_with(
                "### ❌ llmops diff: pass rate 93.3% → 53.3% (worse; 12 regressions, 0 fixes)"));
            const auto md = llmops(dir.path(), {"diff", "base.json", "worse.json", "--format", "md",
                                                "--min-pass-rate", "0.9"});
            CHECK(md.out == dir.read("d.md"));
        }
        SUBCASE("bad input: one clear line, exit 2") {
            dir.write("garbage.json", "{\"not\": \"an export\"}");
            const auto bad = llmops(dir.path(), {"diff", "base.json", "garbage.json"});
            CHECK(bad.exit_code == 2);
            CHECK(bad.err ==
                  "llmops: error: garbage.json: not a run exported by llmops (write one with "
                  "'llmops runs export RUN -o garbage.json')\n");
            const auto variant = llmops(dir.path(), {"diff", "base.json:7", "same.json"});
            CHECK(variant.exit_code == 2);
            CHECK(variant.err ==
                  "llmops: error: base.json has no variant '7' (variants: 0 'triage | model')\n");
            CHECK(llmops(dir.path(), {"diff", "missing.json", "same.json"}).exit_code == 2);
            CHECK(llmops(dir.path(), {"diff", "base.json", "same.json", "-o", "x.pdf"}).exit_code ==
                  2);
            const auto no_project = llmops(dir.path(), {"diff", "3", "base.json"});
            CHECK(no_project.exit_code == 2);
            CHECK(no_project.err.find("no llmops project here") != std::string::npos);
        }
    }

    TEST_CASE("cli::diff of hand-edited exports: exit 2 naming the field") {
        TempDir dir;
        dir.write("suite.yaml",
                  "prompts: ['Say {{w}}']\nproviders: [echo]\n"
                  "tests:\n  - {vars: {w: 'yes'}, assert: [{type: contains, value: 'yes'}]}\n"
                  "  - {vars: {w: 'no'}, assert: [{type: contains, value: 'yes'}]}\n");
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml", "-o", "run.json"}).exit_code == 1);
        auto doc = json::parse(dir.read("run.json"));
        REQUIRE(llmops(dir.path(), {"diff", "run.json", "run.json"}).exit_code == 0);
        SUBCASE("a null reason once printed 'internal error: [json.exception.type_error.302]'") {
            doc["results"][1]["reason"] = nullptr;
            dir.write("edited.json", doc.dump());
            const auto r = llmops(dir.path(), {"diff", "run.json", "edited.json"});
            CHECK(r.exit_code == 2);
            CHECK(r.err ==
                  "llmops: error: edited.json: 'results[1].reason' must be a string, not null\n");
        }
        SUBCASE("other fields of the wrong type, and a missing one") {
            doc["results"][0]["usage"]["output"] = "5";
            dir.write("edited.json", doc.dump());
            CHECK(llmops(dir.path(), {"diff", "edited.json", "run.json"}).err ==
                  "llmops: error: edited.json: 'results[0].usage.output' must be an integer, not a "
                  "string\n");
            doc["results"][0]["usage"]["output"] = 5;
            doc["results"][0].erase("status");
            dir.write("edited.json", doc.dump());
            const auto r = llmops(dir.path(), {"diff", "edited.json", "run.json"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: edited.json: 'results[0].status' is missing\n");
        }
        SUBCASE("an output nested 100,000 deep") {
            std::string text = doc.dump();
            const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
            const size_t at = text.find(R"("output":)") + 9;
            text.replace(at, text.find(',', at) - at, deep);
            dir.write("deep.json", text);
            const auto r = llmops(dir.path(), {"diff", "run.json", "deep.json"});
            CHECK(r.exit_code == 2);
            CHECK(r.err.starts_with("llmops: error: deep.json:1:"));
            CHECK(r.err.ends_with(": nesting deeper than 512 levels\n"));
            CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        }
    }

    TEST_CASE("cli::diff of stored runs and variants") {
        TempDir dir;
        // Two prompts on echo: "Say {{w}}" passes when w is "yes"; "Shout {{w}}" never says "Say".
        dir.write(
            "suite.yaml",
            "prompts:\n  - {label: say, raw: 'Say {{w}}'}\n  - {label: shout, raw: 'Shout {{w}}'}\n"
            "providers: [echo]\n"
            "defaultTest: {assert: [{type: contains, value: 'Say yes'}]}\n"
            "tests:\n  - {id: a, vars: {w: 'yes'}}\n  - {id: b, vars: {w: 'yes'}}\n  - {id: c, "
            "vars: {w: 'no'}}\n");
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}).exit_code == 1);
        SUBCASE("diff RUN compares its variants with the first") {
            const auto r = llmops(dir.path(), {"diff", "latest", "--format", "json"});
            REQUIRE(r.exit_code == 0);
            const auto doc = nlohmann::json::parse(r.out);
            REQUIRE(doc["comparisons"].size() == 1);
            CHECK(doc["comparisons"][0]["baseline"]["label"] == "say | echo");
            CHECK(doc["comparisons"][0]["candidate"]["label"] == "shout | echo");
            CHECK(doc["comparisons"][0]["counts"]["regression"] == 2);
            // The run recorded both prompts' contents: the diff shows how the prompt changed.
            const std::string prompt_diff = doc["comparisons"][0]["prompt_diff"].get<std::string>();
            CHECK(prompt_diff.find("-  \"template\": \"Say {{w}}\"") != std::string::npos);
            CHECK(prompt_diff.find("+  \"template\": \"Shout {{w}}\"") != std::string::npos);
            CHECK(llmops(dir.path(), {"diff", "latest"})
                      .out.find("PROMPT DIFF\n--- say\n+++ shout") != std::string::npos);
        }
        SUBCASE("runs by number, tag and latest~N; variants by index or label; an exported run") {
            REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}).exit_code == 1);
            REQUIRE(llmops(dir.path(), {"runs", "tag", "1", "baseline"}).exit_code == 0);
            const auto r = llmops(dir.path(), {"diff", "baseline", "latest", "--format", "json"});
            REQUIRE(r.exit_code == 0);
            const auto doc = nlohmann::json::parse(r.out);
            CHECK(doc["comparisons"].size() == 2); // variants paired by label
            CHECK(doc["comparisons"][1]["counts"]["unchanged_fail"] == 3);
            CHECK(llmops(dir.path(), {"diff", "latest~1:say | echo", "2:1"}).exit_code == 0);
            REQUIRE(llmops(dir.path(), {"runs", "export", "1", "-o", "one.json"}).exit_code == 0);
            const auto file = llmops(dir.path(), {"diff", "one.json:0", "2:0", "--format", "json"});
            REQUIRE(file.exit_code == 0);
            CHECK(nlohmann::json::parse(file.out)["comparisons"][0]["counts"]["unchanged_pass"] ==
                  2);
            const auto unknown = llmops(dir.path(), {"diff", "9", "1"});
            CHECK(unknown.exit_code == 2);
        }
    }

    TEST_CASE("cli::diff of runs with positional ids and different datasets: one warning") {
        // Exports of runs from before content-based ids: `case-N` by row, no "case_ids" in the
        // provenance. The second run's dataset has a row inserted at the top.
        auto positional = [](const std::vector<std::string>& qs, const std::string& hash) {
            json results = json::array();
            for (size_t i = 0; i < qs.size(); ++i) {
                const bool pass = qs[i].starts_with("yes");
                results.push_back({{"variant", 0},
                                   {"case_id", fmt::format("case-{}", i + 1)},
                                   {"case_index", i},
                                   {"status", pass ? "pass" : "fail"},
                                   {"score", pass ? 1.0 : 0.0},
                                   {"output", qs[i]},
                                   {"vars", {{"q", qs[i]}}}});
            }
            return json{{"llmops_export", 1},
                        {"run", {{"id", 1}, {"dataset_hash", hash}}},
                        {"variants", {{{"index", 0}, {"label", "p | echo"}}}},
                        {"results", results}}
                .dump();
        };
        std::vector<std::string> qs;
        for (int i = 0; i < 12; ++i) {
            qs.push_back(fmt::format("{}-{}", i % 2 ? "yes" : "no", i));
        }
        TempDir dir;
        dir.write("old.json", positional(qs, "d1"));
        qs.insert(qs.begin(), "yes-new");
        dir.write("new.json", positional(qs, "d2"));
        const auto r = llmops(dir.path(), {"diff", "old.json", "new.json", "--fail-on-regression"});
        CHECK(r.exit_code == 0);
        CHECK(r.err == "llmops: warning: both runs named cases by their position (before "
                       "content-based case ids) and the datasets differ: cases are paired by "
                       "their inputs where those are unique on both sides, else by id\n");
        CHECK(r.out.find("CASES: 0 regressions, 0 fixes, 6 unchanged (pass), 6 unchanged (fail), "
                         "0 errored, 1 new, 0 missing") != std::string::npos);
        const auto j = llmops(dir.path(), {"diff", "old.json", "new.json", "--format", "json"});
        CHECK(json::parse(j.out)["comparisons"][0]["warnings"].size() == 1);
    }

    TEST_CASE("cli::diff after rows were inserted, deleted and reordered: no false regressions") {
        // Content-based case ids: a dataset that grew a row at the top, lost one and was
        // reordered pairs every other case with itself (with row numbers as ids, every case
        // after the insertion met the previous row's question).
        TempDir dir;
        dir.write("suite.yaml", "prompts: ['Say {{q}}']\nproviders: [echo]\n"
                                "defaultTest: {assert: [{type: contains, value: 'yes'}]}\n"
                                "tests: file://tests.csv\n");
        std::vector<std::string> rows;
        for (int i = 1; i <= 12; ++i) {
            rows.push_back(fmt::format("{}-{}", i <= 8 ? "yes" : "no", i));
        }
        auto write_csv = [&](const std::vector<std::string>& qs) {
            std::string csv = "q\n";
            for (const auto& q : qs) {
                csv += q + "\n";
            }
            dir.write("tests.csv", csv);
        };
        write_csv(rows);
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}).exit_code == 1); // the "no" rows fail
        rows.erase(rows.begin() + 2);                                       // yes-3
        std::reverse(rows.begin(), rows.end());
        rows.insert(rows.begin(), "yes-new");
        write_csv(rows);
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}).exit_code == 1);
        const auto r = llmops(dir.path(), {"diff", "latest~1", "latest", "--fail-on-regression"});
        CHECK(r.exit_code == 0);
        CHECK(r.err == "");
        CHECK(r.out.find("CASES: 0 regressions, 0 fixes, 7 unchanged (pass), 4 unchanged (fail), "
                         "0 errored, 1 new, 1 missing\n") != std::string::npos);
        const auto new_at = r.out.find("\nNEW (1)\n  ");
        const auto missing_at = r.out.find("\nMISSING (1)\n  ");
        REQUIRE(new_at != std::string::npos);
        REQUIRE(missing_at != std::string::npos);
        // Each by its id (12 hex digits) and its inputs.
        CHECK(r.out.find("  q=\"yes-new\"\n", new_at) < missing_at);
        CHECK(r.out.find("  q=\"yes-3\"\n", missing_at) != std::string::npos);
        const auto json_out =
            llmops(dir.path(), {"diff", "latest~1", "latest", "--format", "json"});
        const auto doc = nlohmann::json::parse(json_out.out);
        for (const auto& c : doc["comparisons"][0]["cases"]) {
            if (c["change"] == "new") {
                CHECK(c["id"].get<std::string>().size() == 12);
                CHECK(c["candidate"]["vars"] == nlohmann::json{{"q", "yes-new"}});
            }
        }
    }

} // TEST_SUITE

} // namespace llmops::test

namespace llmops::test {

TEST_SUITE("cli") {

    TEST_CASE("cli::stats power") {
        TempDir dir;
        SUBCASE("paired, as diff compares: Connor's formula") {
            // n = (z_a sqrt(psi) + z_b sqrt(psi - d^2))^2 / d^2 with psi = 0.2, d = 0.05:
            // (1.959964 * 0.447214 + 0.841621 * 0.444410)^2 / 0.0025 = 625.55 -> 626 (Python's
            // statistics.NormalDist for the quantiles)
            const auto r = llmops(dir.path(), {"stats", "power", "--baseline", "0.85", "--delta",
                                               "0.05", "--discordance", "0.2", "--json"});
            REQUIRE(r.exit_code == 0);
            const auto doc = nlohmann::json::parse(r.out);
            CHECK(doc["design"] == "paired");
            CHECK(doc["cases"] == 626);
            const auto text = llmops(dir.path(), {"stats", "power", "--baseline", "0.85", "--delta",
                                                  "0.05", "--discordance", "0.2"});
            CHECK(text.out.find("626 cases, each run on both versions") != std::string::npos);
        }
        SUBCASE("repeats with an intra-case correlation divide by m / (1 + (m - 1) icc)") {
            const auto one = nlohmann::json::parse(
                llmops(dir.path(), {"stats", "power", "--baseline", "0.85", "--delta", "0.05",
                                    "--independent", "--json"})
                    .out);
            const auto three = nlohmann::json::parse(
                llmops(dir.path(), {"stats", "power", "--baseline", "0.85", "--delta", "0.05",
                                    "--independent", "--repeats", "3", "--icc", "0.5", "--json"})
                    .out);
            CHECK(three["design_effect"] == doctest::Approx(2.0));
            CHECK(three["cases_exact"].get<double>() ==
                  doctest::Approx(one["cases_exact"].get<double>() * 2.0 / 3.0));
        }
        SUBCASE("inputs out of range: one line, exit 2") {
            const auto r =
                llmops(dir.path(), {"stats", "power", "--baseline", "1.5", "--delta", "0.05"});
            CHECK(r.exit_code == 2);
            CHECK(r.err.starts_with("llmops: error: "));
            CHECK(r.err.find("baseline") != std::string::npos);
        }
    }

} // TEST_SUITE

} // namespace llmops::test
