// Evals on real traffic: a suite whose cases are imported production calls (`tests: {traces:
// ...}`), graded on the answers users got, as a user runs it.

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

using nlohmann::json;

namespace llmops::test {

namespace {

void write(const TempDir& dir, const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
}

// 20 calls of support/triage on 2026-11-20 and 21, one a minute: versions 2 and 3 alternating,
// every fifth answer a refusal, call c13 an error.
std::string week_of_calls() {
    std::string out;
    for (int i = 0; i < 20; ++i) {
        json call{{"span_id", fmt::format("c{:02}", i)},
                  {"time", fmt::format("2026-11-2{}T10:{:02}:00Z", i < 10 ? 0 : 1, i)},
                  {"prompt", fmt::format("support/triage@{}", i % 2 == 0 ? 2 : 3)},
                  {"model", "gpt-4o-mini"},
                  {"vars", {{"ticket", fmt::format("ticket {}", i)}}},
                  {"messages", json::array({{{"role", "user"},
                                             {"content", fmt::format("Triage ticket {}", i)}}})},
                  {"input_tokens", 1000},
                  {"output_tokens", 100},
                  {"latency_ms", 250}};
        if (i == 13) {
            call["error"] = "rate limited";
        } else {
            call["output"] = i % 5 == 0 ? "I cannot help with that." : "billing";
        }
        out += call.dump() + "\n";
    }
    return out;
}

std::string suite(const std::string& traces, const std::string& extra = "") {
    return "tests:\n  traces: " + traces + "\n" + extra +
           "defaultTest:\n  assert:\n    - type: equals\n      value: billing\n";
}

// The results of a run's JSON export.
json results_of(const TempDir& dir, const std::string& file) {
    std::ifstream in(dir / file);
    return json::parse(in)["results"];
}

struct Project {
    TempDir dir;
    Project() {
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        write(dir, "calls.jsonl", week_of_calls());
        REQUIRE(llmops(dir.path(), {"traces", "import", "calls.jsonl"}).exit_code == 0);
    }
};

} // namespace

TEST_SUITE("cli") {
    TEST_CASE("cli::eval grades the answers users got") {
        Project p;
        write(p.dir, "online.yaml", suite("{prompt: support/triage, since: 2026-11-01}"));
        auto run = llmops(p.dir.path(), {"eval", "online.yaml", "-o", "run.json"});
        CHECK(run.exit_code == 1); // four refusals fail
        CHECK(run.out.find("support/triage | traces") != std::string::npos);
        // The failed call (c13) has no answer to grade: it is not a case.
        CHECK(run.out.find("run 1 complete: 15 passed, 4 failed, 0 errors (19 results)") !=
              std::string::npos);
        const json results = results_of(p.dir, "run.json");
        REQUIRE(results.size() == 19);
        std::set<std::string> ids;
        for (const auto& r : results) {
            ids.insert(r["case_id"].get<std::string>());
            // The recorded answer, its tokens and latency, and what was sent.
            const int i = std::stoi(r["case_id"].get<std::string>().substr(1));
            CHECK(r["output"] == (i % 5 == 0 ? "I cannot help with that." : "billing"));
            CHECK(r["usage"]["input"] == 1000);
            CHECK(r["latency_ms"] == 250.0);
            CHECK(r["prompt"][0]["content"] == fmt::format("Triage ticket {}", i));
        }
        CHECK(ids.size() == 19);
        CHECK_FALSE(ids.contains("c13"));
        CHECK(ids.contains("c00"));
        // The run says where its cases came from.
        auto show = llmops(p.dir.path(), {"runs", "export", "1", "-o", "-", "--format", "json"});
        REQUIRE(show.exit_code == 0);
        const json traces = json::parse(show.out)["run"]["provenance"]["traces"];
        CHECK(traces["prompt"] == "support/triage");
        CHECK(traces["since"] == "2026-11-01T00:00:00.000Z");
        CHECK(llmops(p.dir.path(), {"runs", "show", "1"})
                  .out.find("cases:       production calls of support/triage, "
                            "2026-11-01T00:00:00.000Z..") != std::string::npos);
    }

    TEST_CASE("cli::eval samples production calls with a seed, by version when asked") {
        Project p;
        write(p.dir, "a.yaml",
              suite("{prompt: support/triage, since: 2026-11-01, sample: 6, "
                    "seed: 3}"));
        REQUIRE(llmops(p.dir.path(), {"eval", "a.yaml", "-o", "a.json"}).exit_code <= 1);
        REQUIRE(llmops(p.dir.path(), {"eval", "a.yaml", "-o", "b.json"}).exit_code <= 1);
        auto ids = [&](const std::string& file) {
            std::set<std::string> out;
            for (const auto& r : results_of(p.dir, file)) {
                out.insert(r["case_id"].get<std::string>());
            }
            return out;
        };
        CHECK(ids("a.json").size() == 6);
        CHECK(ids("a.json") == ids("b.json"));
        write(p.dir, "s.yaml",
              suite("{prompt: support/triage, since: 2026-11-01, sample: 3, "
                    "stratify: version}"));
        REQUIRE(llmops(p.dir.path(), {"eval", "s.yaml", "-o", "s.json"}).exit_code <= 1);
        int v2 = 0;
        for (const auto& id : ids("s.json")) {
            v2 += std::stoi(id.substr(1)) % 2 == 0 ? 1 : 0;
        }
        CHECK(ids("s.json").size() == 6);
        CHECK(v2 == 3);
        // A window: only the calls of the 21st.
        write(p.dir, "w.yaml",
              suite("{prompt: support/triage, since: 2026-11-21, until: "
                    "2026-11-22, version: 2}"));
        REQUIRE(llmops(p.dir.path(), {"eval", "w.yaml", "-o", "w.json"}).exit_code <= 1);
        CHECK(ids("w.json") == std::set<std::string>{"c10", "c12", "c14", "c16", "c18"});
    }

    TEST_CASE("cli::eval replays production inputs on a named provider") {
        Project p;
        write(p.dir, "replay.yaml",
              suite("{prompt: support/triage, since: 2026-11-21}", "providers: [echo]\n"));
        auto run = llmops(p.dir.path(), {"eval", "replay.yaml", "-o", "r.json"});
        CHECK(run.exit_code == 1);
        const json results = results_of(p.dir, "r.json");
        REQUIRE(results.size() == 9); // c13 failed
        for (const auto& r : results) {
            // echo answers with what it was sent: the recorded messages.
            CHECK(r["output"].get<std::string>().starts_with("Triage ticket 1"));
        }
    }

    TEST_CASE("cli::eval refuses a traces query it cannot answer") {
        Project p;
        write(p.dir, "empty.yaml", suite("{prompt: support/triage, since: 2026-12-01}"));
        auto empty = llmops(p.dir.path(), {"eval", "empty.yaml"});
        CHECK(empty.exit_code == 2);
        CHECK(empty.err == "llmops: error: empty.yaml: tests.traces: no imported call of prompt "
                           "'support/triage' in 2026-12-01T00:00:00.000Z..: import traces first "
                           "(llmops traces import FILE)\n");
        write(p.dir, "typo.yaml", suite("{promt: support/triage}"));
        auto typo = llmops(p.dir.path(), {"eval", "typo.yaml"});
        CHECK(typo.exit_code == 2);
        CHECK(typo.err.find("tests.traces: unknown key 'promt' (did you mean 'prompt'?)") !=
              std::string::npos);
        write(p.dir, "sample.yaml", suite("{prompt: support/triage, sample: 0}"));
        auto sample = llmops(p.dir.path(), {"eval", "sample.yaml"});
        CHECK(sample.exit_code == 2);
        CHECK(sample.err.find("tests.traces.sample: expected a positive whole number, not 0") !=
              std::string::npos);
        write(p.dir, "when.yaml", suite("{prompt: support/triage, since: yesterday}"));
        auto when = llmops(p.dir.path(), {"eval", "when.yaml"});
        CHECK(when.exit_code == 2);
        CHECK(when.err == "llmops: error: when.yaml: tests.traces.since 'yesterday' is neither "
                          "a duration (24h, 7d) nor an ISO 8601 time (2026-11-23, "
                          "2026-11-23T09:00:00Z)\n");
    }
}

TEST_CASE("cli::diff compares two windows of production calls unpaired") {
    Project p;
    // The 20th: 8 of 10 pass; the 21st: 7 of 9 answered pass (c10, c15 refused, c13 failed).
    write(p.dir, "before.yaml",
          suite("{prompt: support/triage, since: 2026-11-20, until: 2026-11-21}"));
    write(p.dir, "after.yaml", suite("{prompt: support/triage, since: 2026-11-21}"));
    REQUIRE(llmops(p.dir.path(), {"eval", "before.yaml"}).exit_code == 1);
    REQUIRE(llmops(p.dir.path(), {"eval", "after.yaml"}).exit_code == 1);
    auto diff = llmops(p.dir.path(), {"diff", "1", "2", "--format", "json"});
    REQUIRE(diff.exit_code == 0);
    const json d = json::parse(diff.out)["comparisons"][0];
    CHECK(d["unpaired"] == true);
    CHECK(d["paired_cases"] == 0);
    const json& rate = d["quality"][0];
    CHECK(rate["name"] == "pass rate");
    CHECK(rate["difference"].get<double>() == doctest::Approx(7.0 / 9 - 0.8));
    // /usr/bin/python3: confint_proportions_2indep(7, 9, 8, 10, method="newcomb",
    //   compare="diff") = (-0.37759212386904656, 0.32602966457208693);
    //   chi2_contingency([[8,2],[7,2]], correction=False)[1] = 0.905565166777331
    CHECK(rate["difference_interval"][0].get<double>() ==
          doctest::Approx(-0.37759212386904656).epsilon(1e-9));
    CHECK(rate["difference_interval"][1].get<double>() ==
          doctest::Approx(0.32602966457208693).epsilon(1e-9));
    CHECK(rate["p_value"].get<double>() == doctest::Approx(0.905565166777331).epsilon(1e-6));
    CHECK(rate["method"].get<std::string>().find("unpaired") != std::string::npos);
    auto text = llmops(p.dir.path(), {"diff", "1", "2"});
    CHECK(text.out.find("note: the sides are different production calls: pass rates "
                        "compared unpaired, as two independent samples") != std::string::npos);
    CHECK(text.out.find("datasets differ") == std::string::npos);
}

} // namespace llmops::test
