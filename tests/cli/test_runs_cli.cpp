// `llmops runs` and runs in progress (SPEC §10): one writer per run, a run whose writer died
// reads as interrupted and is taken over by --resume, SIGHUP and a double Ctrl-C, merges that
// leave nothing behind. Every moment a test acts at is an event (results stored, calls held at
// the server, a signal delivered), never a duration.

#include <csignal>
#include <fstream>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/report/escape.hpp>
#include <llmops/util/strings.hpp>

#include "support/openai_server.hpp"
#include "support/process.hpp"
#include "support/store_probe.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace llmops::test {

namespace {

using nlohmann::json;

// A suite of `cases` questions to the server, with the key from LLMOPS_TEST_RUNS_KEY.
void write_suite(const TempDir& dir, const OpenAiServer& server, int cases) {
    std::string jsonl;
    for (int i = 0; i < cases; ++i) {
        jsonl += fmt::format("{{\"vars\": {{\"q\": \"q{}\"}}}}\n", i);
    }
    dir.write("cases.jsonl", jsonl);
    dir.write("suite.yaml",
              fmt::format("prompts: ['Q {{{{q}}}}']\n"
                          "providers:\n  - id: openai:gpt-4o-mini\n"
                          "    config: {{apiBaseUrl: '{}', apiKeyEnvar: LLMOPS_TEST_RUNS_KEY}}\n"
                          "defaultTest:\n  assert: [{{type: contains, value: answer}}]\n"
                          "tests: file://cases.jsonl\n",
                          server.base_url()));
}

std::map<std::string, std::string> key(const std::string& value) {
    return {{"LLMOPS_TEST_RUNS_KEY", value}};
}

json run_json(const TempDir& dir, const std::string& ref) {
    const auto r = llmops(dir.path(), {"runs", "show", ref, "--json"});
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out)["run"];
}

// Whether signal `sig` sent to process `pid` has been delivered (no longer pending).
bool delivered(pid_t pid, int sig) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("ShdPnd:")) {
            const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
            return (mask & (1ULL << (sig - 1))) == 0;
        }
    }
    return true; // gone
}

// Starts an eval of `dir`'s suite at -j 2 whose first `answered` calls are answered and the
// next two held at the server; returns once those results are stored and the two are held.
pid_t start_held_eval(const TempDir& dir, OpenAiServer& server, int answered,
                      const std::vector<std::string>& extra = {}) {
    server.hold_after(answered);
    std::vector<std::string> args{"eval", "suite.yaml", "-j", "2", "--no-cache"};
    args.insert(args.end(), extra.begin(), extra.end());
    const pid_t pid = spawn_llmops(dir.path(), args, key("sk-first"));
    REQUIRE(
        wait_until([&] { return stored_results(dir.path()) >= answered && server.held() == 2; }));
    return pid;
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::runs show: inputs of the failures, and the grid") {
        TempDir dir;
        // Two variants (two prompts); the second case fails under the first prompt only.
        dir.write("suite.yaml",
                  "prompts: ['Say {{word}}', 'Say yes, {{word}}']\n"
                  "providers: [echo]\n"
                  "tests:\n"
                  "  - vars: {word: yes}\n    assert: [{type: contains, value: yes}]\n"
                  "  - vars: {word: \"no | <b>\\u001b[31m\"}\n"
                  "    assert: [{type: contains, value: yes}]\n");
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}).exit_code == 1);
        SUBCASE("runs show lists the failures on a line each, with their inputs") {
            const auto r = llmops(dir.path(), {"runs", "show", "1"}, {{"COLUMNS", "200"}});
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("\nfailures: 1 failed, 0 errors (--failures shows outputs and "
                             "reasons)\n  FAIL  ") != std::string::npos);
            CHECK(r.out.find("  [0]  inputs: word=\"no | <b>\\u001b[31m\"\n") != std::string::npos);
        }
        SUBCASE("--failures shows each one's inputs, control characters escaped") {
            const auto r = llmops(dir.path(), {"runs", "show", "1", "--failures"});
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("      inputs:  word=\"no | <b>\\u001b[31m\"\n") != std::string::npos);
            CHECK(r.out.find('\x1b') == std::string::npos);
        }
        SUBCASE("--grid fits COLUMNS; --format md and csv give the same grid for files") {
            const auto text =
                llmops(dir.path(), {"runs", "show", "1", "--grid"}, {{"COLUMNS", "60"}});
            CHECK(text.exit_code == 0);
            const auto lines = util::split(text.out, '\n');
            REQUIRE(lines.size() == 4); // header, two cases, the final newline
            CHECK(lines[0].starts_with("CASE"));
            for (const auto& line : lines) {
                CHECK(report::code_point_count(line) <= 60);
            }
            CHECK(lines[2].find("FAIL Say no") != std::string::npos);
            const auto md = llmops(dir.path(), {"runs", "show", "1", "--grid", "--format", "md"});
            CHECK(md.out.find("| **FAIL** Say no &#124; &lt;b&gt;") != std::string::npos);
            const auto csv = llmops(dir.path(), {"runs", "show", "1", "--grid", "--format", "csv"});
            CHECK(csv.out.find(",fail,Say no | <b>\x1b[31m,") != std::string::npos);
        }
        SUBCASE("--format without --grid is a usage error") {
            const auto r = llmops(dir.path(), {"runs", "show", "1", "--format", "csv"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: --format is the format of --grid; add --grid\n");
        }
    }

    TEST_CASE("cli::runs: one writer per run") {
        OpenAiServer server;
        TempDir dir;
        write_suite(dir, server, 10);
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        const pid_t first = start_held_eval(dir, server, 2);
        CHECK(run_json(dir, "1")["status"] == "running");
        CHECK(run_json(dir, "1")["writer"]["pid"] == first);

        const std::string holder =
            fmt::format("run 1 is being written by process {} on host '", first);
        const auto second =
            llmops(dir.path(), {"eval", "--resume", "1", "--no-cache"}, key("sk-second"));
        CHECK(second.exit_code == 2);
        CHECK(second.err.starts_with("llmops: error: " + holder));
        CHECK(server.asked("sk-second").empty()); // refused before any call
        const auto removed = llmops(dir.path(), {"runs", "rm", "1"});
        CHECK(removed.exit_code == 2);
        CHECK(removed.err.starts_with("llmops: error: " + holder));
        CHECK(removed.err.find("; stop it first, or wait for it to end\n") != std::string::npos);

        // Killed, its writer is gone: the run reads as interrupted, and --resume takes it over.
        ::kill(first, SIGKILL);
        CHECK(wait_for(first) == 128 + SIGKILL);
        CHECK(run_json(dir, "1")["status"] == "interrupted");
        const auto list = llmops(dir.path(), {"runs", "list"});
        CHECK(list.out.find("interrupted") != std::string::npos);
        server.release();
        const auto resumed =
            llmops(dir.path(), {"eval", "--resume", "1", "--no-cache"}, key("sk-third"));
        CHECK(resumed.exit_code == 0);
        CHECK(resumed.err.find(
                  fmt::format("llmops: warning: run 1 was left by process {} on host '", first)) !=
              std::string::npos);
        CHECK(resumed.err.find("which is gone; this process took it over") != std::string::npos);
        CHECK(server.asked("sk-third").size() == 8);
        CHECK(run_json(dir, "1")["status"] == "complete");
        CHECK(stored_results(dir.path()) == 10);
        CHECK(llmops(dir.path(), {"runs", "rm", "1"}).exit_code == 0);
    }

    TEST_CASE("cli::eval: SIGHUP and Ctrl-C") {
        OpenAiServer server;
        TempDir dir;
        write_suite(dir, server, 10);
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);

        SUBCASE("SIGHUP (a closed terminal) finishes the calls in flight and keeps them") {
            const pid_t pid = start_held_eval(dir, server, 2);
            ::kill(pid, SIGHUP);
            REQUIRE(wait_until([&] { return delivered(pid, SIGHUP); }));
            server.release();
            CHECK(wait_for(pid) == 130);
            // The two calls in flight finished and were stored; nothing else was started.
            CHECK(stored_results(dir.path()) == 4);
            CHECK(server.asked("sk-first").size() == 4);
            const json run = run_json(dir, "1");
            CHECK(run["status"] == "interrupted");
        }
        SUBCASE("a second Ctrl-C quits at once; the run still reads as interrupted") {
            const pid_t pid = start_held_eval(dir, server, 2);
            ::kill(pid, SIGINT);
            REQUIRE(wait_until([&] { return delivered(pid, SIGINT); }));
            ::kill(pid, SIGINT);
            CHECK(wait_for(pid) == 130); // with two calls still held at the server
            CHECK(server.held() == 2);
            CHECK(run_json(dir, "1")["status"] == "interrupted");
            server.release();
            const auto resumed =
                llmops(dir.path(), {"eval", "--resume", "latest", "--no-cache"}, key("sk-again"));
            CHECK(resumed.exit_code == 0);
            CHECK(stored_results(dir.path()) == 10);
        }
    }

    TEST_CASE("cli::runs merge") {
        TempDir dir;
        std::string yaml = "prompts: ['Say {{x}}']\nproviders: [echo]\ntests:\n";
        for (int i = 0; i < 6; ++i) {
            yaml += fmt::format("  - vars: {{x: w{}}}\n", i);
        }
        dir.write("suite.yaml", yaml);
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml", "--shard", "1/2"}).exit_code == 0);
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml", "--shard", "2/2"}).exit_code == 0);
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml", "--shard", "2/2"}).exit_code == 0);
        SUBCASE("overlapping shards are refused and leave no run behind") {
            const auto r = llmops(dir.path(), {"runs", "merge", "2", "3"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: run 3 holds results that another merged run also holds "
                           "(overlapping shards?)\n");
            CHECK(json::parse(llmops(dir.path(), {"runs", "list", "--json"}).out)["runs"].size() ==
                  3);
        }
        SUBCASE("the merged run counts every shard's cases and keeps each shard's filters") {
            const auto r = llmops(dir.path(), {"runs", "merge", "1", "2"});
            CHECK(r.exit_code == 0);
            const json run = run_json(dir, "4");
            CHECK(run["status"] == "complete");
            CHECK(run["provenance"]["cases"] == 6);
            CHECK(run["provenance"]["merged_from"] == json::array({1, 2}));
            CHECK(run["provenance"]["filters"]["merged"][0]["filters"]["shard"] == "1/2");
            CHECK(run["provenance"]["filters"]["merged"][1]["filters"]["shard"] == "2/2");
        }
    }

} // TEST_SUITE

} // namespace llmops::test
