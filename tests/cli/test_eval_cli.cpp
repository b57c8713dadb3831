// `llmops eval` and `llmops runs` end to end: exit codes (SPEC §12), reports, a run killed with
// SIGKILL and resumed (checked against an uninterrupted run, calls counted at the server).

#include <atomic>
#include <csignal>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/store/database.hpp>

#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

// A suite of `cases` echo cases; case i passes when i is in `passing`.
std::string echo_suite(int cases, const std::set<int>& passing) {
    std::string yaml = "description: echo suite\nprompts: ['Say {{word}}']\nproviders: [echo]\ntests:\n";
    for (int i = 0; i < cases; ++i) {
        yaml += fmt::format("  - description: case {}\n    vars: {{word: {}}}\n    assert:\n"
                            "      - type: contains\n        value: {}\n",
                            i, passing.contains(i) ? "yes" : "no", "yes");
    }
    return yaml;
}

int64_t stored_results(const std::filesystem::path& root) {
    auto db = store::Database::open(root / ".llmops" / "llmops.db", store::OpenMode::read_only);
    if (!db) return -1;
    auto stmt = db->prepare("SELECT count(*) FROM results");
    if (!stmt || !stmt->step().value_or(false)) return -1;
    return stmt->integer(0);
}

} // namespace

TEST_SUITE("cli") {

TEST_CASE("cli::eval exit codes") {
    TempDir dir;
    SUBCASE("every case passing exits 0; a run is stored, the project created on the way") {
        dir.write("suite.yaml", echo_suite(3, {0, 1, 2}));
        const auto r = llmops(dir.path(), {"eval", "suite.yaml"});
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("llmops: created .llmops to store runs") != std::string::npos);
        CHECK(r.out.find("Say {{word}} | echo") != std::string::npos);
        const auto list = llmops(dir.path(), {"runs", "list", "--json"});
        CHECK(nlohmann::json::parse(list.out).size() == 1);
    }
    SUBCASE("a failing case exits 1 unless a pass-rate gate allows it") {
        dir.write("suite.yaml", echo_suite(4, {0, 1, 2}));
        CHECK(llmops(dir.path(), {"eval", "suite.yaml"}).exit_code == 1);
        CHECK(llmops(dir.path(), {"eval", "suite.yaml", "--min-pass-rate", "0.75"}).exit_code == 0);
        const auto gated = llmops(dir.path(), {"eval", "suite.yaml", "--min-pass-rate", "0.8"});
        CHECK(gated.exit_code == 1);
        CHECK(gated.err.find("gate failed: 'Say {{word}} | echo' passed 75.0%, below the 80.0% required") !=
              std::string::npos);
    }
    SUBCASE("a recording that cannot be written is reported; the results are kept") {
        dir.write("suite.yaml", echo_suite(2, {0, 1}));
        const auto r = llmops(dir.path(), {"eval", "suite.yaml", "--record", "/dev/full"});
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("llmops: warning: --record: 2 answer(s) could not be recorded: cannot write "
                         "to replay file '/dev/full': No space left on device") != std::string::npos);
        CHECK(stored_results(dir.path()) == 2);
    }
    SUBCASE("errors are never passes: a run where every call errors exits 3") {
        dir.write("suite.yaml", "prompts: ['Say hi']\nproviders: ['exec:false']\ntests:\n  - vars: {}\n");
        const auto r = llmops(dir.path(), {"eval", "suite.yaml", "--json"});
        CHECK(r.exit_code == 3);
        const auto doc = nlohmann::json::parse(r.out);
        CHECK(doc["variants"][0]["errors"] == 1);
        CHECK(doc["variants"][0]["pass"] == 0);
        CHECK(doc["variants"][0]["fail"] == 0);
    }
    SUBCASE("--validate calls nothing and stores nothing; a bad suite exits 2 naming the file") {
        dir.write("suite.yaml", echo_suite(2, {0}));
        const auto ok = llmops(dir.path(), {"eval", "--validate", "suite.yaml"});
        CHECK(ok.exit_code == 0);
        CHECK(ok.out == "suite.yaml: ok: 1 prompt(s) x 1 provider(s) x 2 case(s) x 1 repeat(s) = 2 call(s)\n");
        CHECK_FALSE(std::filesystem::exists(dir.path() / ".llmops"));
        dir.write("bad.yaml", "prompts: ['Say hi']\nproviders: [echo]\ntests:\n  - assert:\n      - type: containz\n        value: x\n");
        const auto bad = llmops(dir.path(), {"eval", "bad.yaml"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.starts_with("llmops: error: bad.yaml"));
        CHECK(bad.err.find("did you mean 'contains'?") != std::string::npos);
    }
    SUBCASE("-o writes every report format; runs export writes them again") {
        dir.write("suite.yaml", echo_suite(2, {0}));
        const auto r = llmops(dir.path(), {"eval", "suite.yaml", "-o", "r.json", "-o", "r.csv",
                                           "-o", "r.xml", "-o", "r.md", "-o", "r.jsonl"});
        CHECK(r.exit_code == 1);
        CHECK(nlohmann::json::parse(dir.read("r.json"))["results"].size() == 2);
        CHECK(dir.read("r.csv").starts_with("run,"));
        CHECK(dir.read("r.xml").find("<testsuites") != std::string::npos);
        CHECK(dir.read("r.md").find("| ") != std::string::npos);
        CHECK(llmops(dir.path(), {"runs", "export", "latest", "-o", "again.json"}).exit_code == 0);
        CHECK(nlohmann::json::parse(dir.read("again.json"))["results"] ==
              nlohmann::json::parse(dir.read("r.json"))["results"]);
        const auto unknown = llmops(dir.path(), {"eval", "suite.yaml", "-o", "r.txt"});
        CHECK(unknown.exit_code == 2);
    }
}

TEST_CASE("cli::eval --estimate") {
    LoopbackServer server;
    server.post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(nlohmann::json{{"choices", {{{"index", 0}, {"finish_reason", "stop"},
                                                     {"message", {{"role", "assistant"}, {"content", "ok"}}}}}},
                                       {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 7}}}}
                            .dump(),
                        "application/json");
    });
    server.start();
    TempDir dir;
    // 12 characters of prompt per case: ceil(12 / 4) = 3 input tokens per call.
    dir.write("suite.yaml", fmt::format("prompts: ['Q: {{{{q}}}}']\n"
                                        "providers:\n  - echo\n"
                                        "  - id: openai:gpt-4o-mini\n"
                                        "    config: {{apiBaseUrl: '{}', apiKeyEnvar: EST_TEST_KEY}}\n"
                                        "tests:\n  - vars: {{q: 123456789}}\n  - vars: {{q: abcdefghi}}\n",
                                        server.url("/v1")));
    SUBCASE("nothing is called, keys are not needed, and the table names the basis") {
        const auto r = llmops(dir.path(), {"eval", "suite.yaml", "--estimate", "--repeat", "2", "--json"});
        REQUIRE(r.exit_code == 0);
        CHECK(server.request_count() == 0);
        const auto doc = nlohmann::json::parse(r.out);
        CHECK(doc["calls"] == 8);
        CHECK(doc["variants"][0]["local"] == true);
        CHECK(doc["variants"][0]["cost_usd"] == 0.0);
        const auto& api = doc["variants"][1];
        CHECK(api["calls"] == 4);
        CHECK(api["input_tokens"] == 12);
        CHECK(api["output_tokens"] == 4 * 256);
        CHECK(api["output_basis"] == "assumed 256 per call");
        CHECK(api["cost_usd"].get<double>() > 0);
        CHECK(doc["cost_usd"] == api["cost_usd"]);
        const auto text = llmops(dir.path(), {"eval", "suite.yaml", "--estimate"});
        CHECK(text.exit_code == 0);
        CHECK(text.out.find("estimate for suite.yaml (4 calls; nothing was called)") != std::string::npos);
        CHECK(text.out.find("assumed 256 per call") != std::string::npos);
    }
    SUBCASE("after a run: cached calls are free, and output tokens come from that run") {
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}, {{"EST_TEST_KEY", "k"}}).exit_code == 0);
        const int served = server.request_count();
        CHECK(served == 2);
        const auto cached = nlohmann::json::parse(
            llmops(dir.path(), {"eval", "suite.yaml", "--estimate", "--json"}).out);
        CHECK(cached["variants"][1]["cached"] == 2);
        CHECK(cached["variants"][1]["cost_usd"] == 0.0);
        const auto fresh = nlohmann::json::parse(
            llmops(dir.path(), {"eval", "suite.yaml", "--estimate", "--json", "--no-cache"}).out);
        CHECK(fresh["variants"][1]["cached"] == 0);
        CHECK(fresh["variants"][1]["output_basis"] == "mean of run 1");
        CHECK(fresh["variants"][1]["output_tokens"] == 2 * 7);
        CHECK(server.request_count() == served);
    }
}

TEST_CASE("cli::eval -o - and runs export -o -: a report on standard output") {
    TempDir dir;
    dir.write("suite.yaml", "prompts: ['Say {{x}}']\nproviders: [echo]\ntests:\n"
                            "  - {vars: {x: hi}}\n"
                            "  - {vars: {x: no}, assert: [{type: contains, value: absent}]}\n");
    SUBCASE("eval: the report is the data on stdout, the summary moves to stderr") {
        const auto r = llmops(dir.path(), {"eval", "suite.yaml", "-o", "-", "--format", "jsonl",
                                           "-o", "copy.jsonl"});
        CHECK(r.exit_code == 1);
        CHECK(r.out == dir.read("copy.jsonl"));
        size_t lines = 0;
        for (size_t at = r.out.find('\n'); at != std::string::npos; at = r.out.find('\n', at + 1)) {
            ++lines;
        }
        CHECK(lines == 2);
        CHECK(nlohmann::json::parse(r.out.substr(0, r.out.find('\n')))["case_id"].is_string());
        CHECK(r.err.find("FAIL") != std::string::npos);       // the failures...
        CHECK(r.err.find("complete: 1 passed, 1 failed") != std::string::npos); // ...and the summary
    }
    SUBCASE("runs export: any format to stdout, the same bytes as the file") {
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}).exit_code == 1);
        for (const auto& [format, ext] : std::vector<std::pair<std::string, std::string>>{
                 {"json", "json"}, {"csv", "csv"}, {"xml", "xml"}, {"md", "md"}, {"html", "html"}}) {
            const auto r = llmops(dir.path(), {"runs", "export", "latest", "-o", "-", "--format",
                                               format, "-o", "file." + ext});
            CHECK(r.exit_code == 0);
            CHECK(r.out == dir.read("file." + ext));
        }
    }
    SUBCASE("usage errors") {
        const auto check = [&](const std::vector<std::string>& args, const std::string& message) {
            const auto r = llmops(dir.path(), args);
            CHECK(r.exit_code == 2);
            CHECK(r.out == "");
            CHECK(r.err == "llmops: error: " + message + "\n");
        };
        check({"eval", "suite.yaml", "-o", "-"},
              "-o '-' (standard output) needs --format json, jsonl, csv, xml, md or html");
        check({"eval", "suite.yaml", "-o", "-", "--format", "csv", "--json"},
              "-o - and --json both write to standard output; use one of them");
        check({"runs", "export", "latest", "-o", "-", "-o", "-", "--format", "md"},
              "-o - appears twice: standard output takes one report");
        check({"runs", "export", "latest", "-o", "-", "--format", "pdf"},
              "--format: pdf not in {json,jsonl,csv,xml,junit,md,markdown,html} (see 'llmops runs "
              "export --help')");
    }
}

TEST_CASE("cli::eval killed with SIGKILL and resumed") {
    LoopbackServer server;
    std::atomic<int> calls{0};
    server.post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
        ++calls;
        server.sleep_unless_stopping(std::chrono::milliseconds(60));
        const auto body = nlohmann::json::parse(req.body);
        const std::string text = "answer to " + body["messages"][0]["content"].get<std::string>();
        res.set_content(nlohmann::json{{"choices", {{{"index", 0}, {"finish_reason", "stop"},
                                                     {"message", {{"role", "assistant"}, {"content", text}}}}}}}
                            .dump(),
                        "application/json");
    });
    server.start();
    ::setenv("LLMOPS_TEST_EVAL_KEY", "sk-test-eval", 1);
    const int cases = 40;
    std::string jsonl;
    for (int i = 0; i < cases; ++i) {
        jsonl += fmt::format("{{\"vars\": {{\"q\": \"q{}\"}}}}\n", i);
    }
    const std::string suite = fmt::format(
        "prompts: ['Q {{{{q}}}}']\n"
        "providers:\n  - id: openai:gpt-4o-mini\n    config: {{apiBaseUrl: '{}', apiKeyEnvar: LLMOPS_TEST_EVAL_KEY}}\n"
        "defaultTest:\n  assert: [{{type: contains, value: answer}}]\n"
        "tests: file://cases.jsonl\n",
        server.url("/v1"));
    TempDir killed;
    killed.write("suite.yaml", suite);
    killed.write("cases.jsonl", jsonl);
    REQUIRE(llmops(killed.path(), {"init"}).exit_code == 0);
    const pid_t pid = spawn_llmops(killed.path(), {"eval", "suite.yaml", "-j", "4", "--no-cache"});
    // Kill it in the middle: after some results are stored, long before the end.
    for (int i = 0; i < 400 && stored_results(killed.path()) < 8; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGKILL);
    CHECK(wait_for(pid) == 128 + SIGKILL);
    const int64_t kept = stored_results(killed.path());
    CHECK(kept >= 8);
    CHECK(kept < cases);
    // Requests the killed run had sent may reach the server's handlers after the kill: wait
    // until the count has been still for 250 ms, so none of them is counted as the resume's.
    int before = calls.load();
    for (int still = 0, i = 0; still < 5 && i < 100; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const int now = calls.load();
        still = now == before ? still + 1 : 0;
        before = now;
    }
    const auto resumed = llmops(killed.path(), {"eval", "--resume", "latest", "--no-cache", "-o", "killed.json"});
    CHECK(resumed.exit_code == 0);
    CHECK(stored_results(killed.path()) == cases);
    // No result computed before the kill was asked for again: the resumed run made exactly the
    // calls that were missing, and at most the 4 in flight at the kill were lost.
    CHECK(calls.load() - before == cases - kept);
    CHECK(calls.load() <= cases + 4);

    TempDir whole;
    whole.write("suite.yaml", suite);
    whole.write("cases.jsonl", jsonl);
    REQUIRE(llmops(whole.path(), {"eval", "suite.yaml", "--no-cache", "-o", "whole.json"}).exit_code == 0);
    auto outputs = [](const std::string& text) {
        std::map<std::string, std::string> by_case;
        const auto doc = nlohmann::json::parse(text);
        for (const auto& r : doc.at("results")) {
            by_case[r["case_id"].get<std::string>()] = r["status"].get<std::string>() + ": " + r["output"].get<std::string>();
        }
        return by_case;
    };
    CHECK(outputs(killed.read("killed.json")) == outputs(whole.read("whole.json")));
}

} // TEST_SUITE

} // namespace llmops::test
