// `llmops drift`: a week of imported calls against the last day, as a user runs it from cron.

#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using nlohmann::json;

namespace llmops::test {

namespace {

// A JSONL call of support/triage at ISO time `time`.
std::string line(const std::string& time, const std::string& ticket, const std::string& output) {
    return json{{"time", time},           {"prompt", "support/triage@3"},
                {"model", "gpt-4o-mini"}, {"vars", {{"ticket", ticket}}},
                {"output", output},       {"output_tokens", output.size() / 4 + 1}}
        .dump();
}

std::string two(int n) {
    return (n < 10 ? "0" : "") + std::to_string(n);
}

// A week of calls (Nov 1-7, 30 a day), then 60 on Nov 8: drifted (longer tickets about another
// subject, a third refused) when `drifted`.
std::string week_of_calls(bool drifted) {
    std::string out;
    for (int day = 1; day <= 7; ++day)
        for (int i = 0; i < 30; ++i)
            out += line("2026-11-" + two(day) + "T" + two(i % 24) + ":" + two(i) + ":00Z",
                        "my card was charged twice, order " + std::to_string(i % 9),
                        i % 15 == 0 ? "I'm sorry, but I can't help with that." : "billing") +
                   "\n";
    for (int i = 0; i < 60; ++i) {
        const std::string time = "2026-11-08T" + two(i % 24) + ":" + two(i) + ":00Z";
        if (drifted)
            out += line(time,
                        "the mobile application crashes whenever I open the settings screen, "
                        "version " +
                            std::to_string(i % 4),
                        i % 3 == 0 ? "I'm sorry, but I can't help with that." : "bug") +
                   "\n";
        else
            out += line(time, "my card was charged twice, order " + std::to_string(i % 9),
                        i % 15 == 0 ? "I'm sorry, but I can't help with that." : "billing") +
                   "\n";
    }
    return out;
}

// A project holding the calls.
void project_with_calls(const TempDir& dir, bool drifted) {
    REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
    std::ofstream(dir / "calls.jsonl", std::ios::binary) << week_of_calls(drifted);
    REQUIRE(llmops(dir.path(), {"traces", "import", "calls.jsonl"}).exit_code == 0);
}

const std::map<std::string, std::string> k_env = {{"LLMOPS_NOW", "2026-11-09T00:00:00Z"},
                                                  {"COLUMNS", "80"}};

RunResult drift(const TempDir& dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "drift", "support/triage", "--reference", "2026-11-01..2026-11-07", "--current", "24h"};
    args.insert(args.end(), extra.begin(), extra.end());
    return llmops(dir.path(), args, k_env);
}

} // namespace

TEST_SUITE("cli") {
    TEST_CASE("cli::drift alarms on a planted drift and names the alarms") {
        TempDir dir;
        project_with_calls(dir, true);
        auto r = drift(dir, {"--embedding-provider", "echo", "--permutations", "200"});
        CHECK(r.exit_code == 1);
        CHECK(r.err == "");
        CHECK(r.out.find("reference: 2026-11-01T00:00:00.000Z..2026-11-08T00:00:00.000Z  210 "
                         "calls") != std::string::npos);
        CHECK(r.out.find("input length     psi") != std::string::npos);
        CHECK(r.out.find("alarms:\n  input length (psi)\n  input length (ks)\n") !=
              std::string::npos);
        CHECK(r.out.find("refusal rate (difference)") != std::string::npos);
        CHECK(r.out.find("input embedding (embedding)") != std::string::npos);
        std::istringstream lines(r.out);
        for (std::string l; std::getline(lines, l);) {
            CAPTURE(l);
            CHECK(l.size() <= 80);
            CHECK((l.empty() || l.back() != ' '));
        }
        SUBCASE("as JSON, and as Markdown with -o") {
            auto j = drift(dir, {"--json", "-o", "drift.md"});
            CHECK(j.exit_code == 1);
            auto report = json::parse(j.out);
            CHECK(report["alarm"] == true);
            CHECK(report["reference"]["calls"] == 210);
            CHECK(report["current"]["since"] == "2026-11-08T00:00:00.000Z");
            CHECK(report["rows"][0]["feature"] == "input length");
            CHECK(report["rows"][0]["status"] == "alarm");
            std::ifstream md(dir / "drift.md");
            std::string text((std::istreambuf_iterator<char>(md)), {});
            CHECK(text.starts_with("## Drift of support/triage\n"));
            CHECK(text.find("**ALARM**") != std::string::npos);
        }
    }

    TEST_CASE("cli::drift reads the pass rate of an online eval of the same calls") {
        TempDir dir;
        project_with_calls(dir, true);
        // An online eval (a suite whose cases are the imported calls): refusals fail.
        std::ofstream(dir / "online.yaml")
            << "tests:\n  traces: {prompt: support/triage, since: 2026-11-01}\n"
               "defaultTest:\n  assert:\n    - type: not-icontains\n      value: sorry\n";
        REQUIRE(llmops(dir.path(), {"eval", "online.yaml"}, k_env).exit_code == 1);
        auto r = drift(dir, {"--json"});
        CHECK(r.exit_code == 1);
        const json report = json::parse(r.out); // held: the loop reads into it
        bool seen = false;
        for (const auto& row : report["rows"])
            if (row["feature"] == "pass rate") {
                seen = true;
                CHECK(row["reference"].get<double>() == doctest::Approx(196.0 / 210));
                CHECK(row["current"].get<double>() == doctest::Approx(40.0 / 60));
                CHECK(row["status"] == "alarm");
            }
        CHECK(seen);
    }

    TEST_CASE("cli::drift exits 0 without drift") {
        TempDir dir;
        project_with_calls(dir, false);
        auto r = drift(dir, {"--embedding-provider", "echo", "--permutations", "200"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("no drift past the thresholds") != std::string::npos);
        SUBCASE("thresholds from a file, flags over it") {
            std::ofstream(dir / "drift.yaml") << "max_psi: 0\nmax_js: 0\n";
            CHECK(drift(dir, {"--thresholds", "drift.yaml"}).exit_code == 1);
            std::ofstream(dir / "bad.yaml") << "max_pis: 0\n";
            auto bad = drift(dir, {"--thresholds", "bad.yaml"});
            CHECK(bad.exit_code == 2);
            CHECK(bad.err.starts_with("llmops: error: bad.yaml: unknown key 'max_pis'"));
            auto missing = drift(dir, {"--thresholds", "none.yaml"});
            CHECK(missing.exit_code == 2);
            CHECK(missing.err ==
                  "llmops: error: cannot read 'none.yaml': No such file or directory\n");
        }
    }

    TEST_CASE("cli::drift embeds with an OpenAI-compatible model, and fails with it") {
        TempDir dir;
        project_with_calls(dir, true);
        // Texts about the app point one way, anything else another.
        LoopbackServer server;
        std::atomic<int> texts{0};
        std::atomic<bool> broken{false};
        server.post("/v1/embeddings", [&](const httplib::Request& req, httplib::Response& res) {
            if (broken) {
                res.status = 400;
                res.set_content(R"({"error": {"message": "bad input"}})", "application/json");
                return;
            }
            const json body = json::parse(req.body);
            json data = json::array();
            for (const auto& input : body["input"]) {
                const bool app = input.get<std::string>().find("app") != std::string::npos;
                data.push_back(
                    {{"index", data.size()}, {"embedding", app ? json{0.0, 1.0} : json{1.0, 0.0}}});
                ++texts;
            }
            res.set_content(json{{"data", data}, {"usage", {{"prompt_tokens", 5}}}}.dump(),
                            "application/json");
        });
        server.start();
        auto env = k_env;
        env["OPENAI_API_KEY"] = "sk-test";
        env["OPENAI_BASE_URL"] = server.url("/v1");
        const std::vector<std::string> args = {"drift",
                                               "support/triage",
                                               "--reference",
                                               "2026-11-01..2026-11-07",
                                               "--embed-sample",
                                               "50",
                                               "--embedding-provider",
                                               "openai:text-embedding-3-small",
                                               "--json"};
        auto r = llmops(dir.path(), args, env);
        CHECK(r.exit_code == 1);
        CHECK(texts == 4 * 50); // two windows, inputs and outputs, 50 sampled texts each
        const auto report = json::parse(r.out);
        for (const auto& row : report["rows"])
            if (row["feature"] == "input embedding") {
                CHECK(row["status"] == "alarm");
                CHECK(row["reference"] == 50);
                CHECK(row["value"].get<double>() == doctest::Approx(std::sqrt(2.0)));
            }
        broken = true;
        auto failed = llmops(dir.path(), args, env);
        CHECK(failed.exit_code == 3);
        CHECK(failed.err.find("llmops: error: provider 'openai:text-embedding-3-small'") == 0);
    }

    TEST_CASE("cli::drift refuses bad windows, empty windows and unknown formats") {
        TempDir dir;
        project_with_calls(dir, false);
        auto bad =
            llmops(dir.path(), {"drift", "support/triage", "--reference", "last week"}, k_env);
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.find("--reference 'last week'") != std::string::npos);
        auto empty = llmops(
            dir.path(), {"drift", "support/reply", "--reference", "2026-11-01..2026-11-07"}, k_env);
        CHECK(empty.exit_code == 2);
        CHECK(empty.err == "llmops: error: no calls of 'support/reply' in the reference window "
                           "2026-11-01T00:00:00.000Z..2026-11-08T00:00:00.000Z\n");
        CHECK(drift(dir, {"-o", "drift.txt"}).exit_code == 2);
        CHECK(drift(dir, {"--embedding-provider", "nope:x"}).exit_code == 2);
    }
}

} // namespace llmops::test
