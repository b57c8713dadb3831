// `llmops eval` and `llmops runs` end to end: exit codes (SPEC §12), reports, a run killed with
// SIGKILL and resumed (checked against an uninterrupted run, calls identified at the server).

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/report/escape.hpp>
#include <llmops/store/database.hpp>
#include <llmops/util/strings.hpp>

#include "support/loopback.hpp"
#include "support/openai_server.hpp"
#include "support/process.hpp"
#include "support/store_probe.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace llmops::test {

namespace {

// A suite of `cases` echo cases; case i passes when i is in `passing`.
std::string echo_suite(int cases, const std::set<int>& passing) {
    std::string yaml =
        "description: echo suite\nprompts: ['Say {{word}}']\nproviders: [echo]\ntests:\n";
    for (int i = 0; i < cases; ++i) {
        yaml += fmt::format("  - description: case {}\n    vars: {{word: {}}}\n    assert:\n"
                            "      - type: contains\n        value: {}\n",
                            i, passing.contains(i) ? "yes" : "no", "yes");
    }
    return yaml;
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
            CHECK(llmops(dir.path(), {"eval", "suite.yaml", "--min-pass-rate", "0.75"}).exit_code ==
                  0);
            const auto gated = llmops(dir.path(), {"eval", "suite.yaml", "--min-pass-rate", "0.8"});
            CHECK(gated.exit_code == 1);
            CHECK(
                gated.err.find(
                    "gate failed: 'Say {{word}} | echo' passed 75.0%, below the 80.0% required") !=
                std::string::npos);
        }
        SUBCASE("a recording that cannot be written is reported; the results are kept") {
            dir.write("suite.yaml", echo_suite(2, {0, 1}));
            const auto r = llmops(dir.path(), {"eval", "suite.yaml", "--record", "/dev/full"});
            CHECK(r.exit_code == 0);
            CHECK(r.err.find(
                      "llmops: warning: --record: 2 answer(s) could not be recorded: cannot write "
                      "to replay file '/dev/full': No space left on device") != std::string::npos);
            CHECK(stored_results(dir.path()) == 2);
        }
        SUBCASE("errors are never passes: a run where every call errors exits 3") {
            dir.write("suite.yaml",
                      "prompts: ['Say hi']\nproviders: ['exec:false']\ntests:\n  - vars: {}\n");
            const auto r = llmops(dir.path(), {"eval", "suite.yaml", "--json"});
            CHECK(r.exit_code == 3);
            const auto doc = nlohmann::json::parse(r.out);
            CHECK(doc["variants"][0]["errors"] == 1);
            CHECK(doc["variants"][0]["pass"] == 0);
            CHECK(doc["variants"][0]["fail"] == 0);
        }
        SUBCASE(
            "--validate calls nothing and stores nothing; a bad suite exits 2 naming the file") {
            dir.write("suite.yaml", echo_suite(2, {0}));
            const auto ok = llmops(dir.path(), {"eval", "--validate", "suite.yaml"});
            CHECK(ok.exit_code == 0);
            CHECK(ok.out == "suite.yaml: ok: 1 prompt(s) x 1 provider(s) x 2 case(s) x 1 repeat(s) "
                            "= 2 call(s)\n");
            CHECK_FALSE(std::filesystem::exists(dir.path() / ".llmops"));
            dir.write("bad.yaml", "prompts: ['Say hi']\nproviders: [echo]\ntests:\n  - assert:\n   "
                                  "   - type: containz\n        value: x\n");
            const auto bad = llmops(dir.path(), {"eval", "bad.yaml"});
            CHECK(bad.exit_code == 2);
            CHECK(bad.err.starts_with("llmops: error: bad.yaml"));
            CHECK(bad.err.find("did you mean 'contains'?") != std::string::npos);
        }
        SUBCASE("--validate finds what eval would refuse, every problem, and writes nothing") {
            const std::map<std::string, std::string> no_keys{{"OPENAI_API_KEY", "\x01unset"},
                                                             {"LLMOPS_JUDGE", "\x01unset"},
                                                             {"ANTHROPIC_API_KEY", "\x01unset"}};
            dir.write("suite.yaml", "prompts: ['Say {{word}}']\nproviders: [echo]\ntests:\n"
                                    "  - vars: {word: hi}\n  - vars: {other: x}\n"
                                    "  - vars: {word: yo}\n"
                                    "    assert: [{type: llm-rubric, value: polite}]\n");
            const auto r = llmops(dir.path(), {"eval", "--validate", "suite.yaml"}, no_keys);
            CHECK(r.exit_code == 2);
            CHECK(r.out.empty());
            CHECK(r.err == "llmops: error: suite.yaml: model-graded assertions (llm-rubric) need a "
                           "judge model: pass --judge PROVIDER, set 'judge: {provider: ...}' in "
                           "the suite, set LLMOPS_JUDGE, or set an API key promptfoo's default "
                           "grader uses (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY)\n"
                           "llmops: error: suite.yaml: tests[1]: inline: missing variable "
                           "'word'\n");
            dir.write("p.json", "{not json");
            dir.write("json.yaml", "prompts: ['file://p.json']\nproviders: [echo]\n");
            const auto json_prompt = llmops(dir.path(), {"eval", "--validate", "json.yaml"});
            CHECK(json_prompt.exit_code == 2);
            CHECK(json_prompt.err.find("'p.json' must hold a JSON list") != std::string::npos);
            // Twenty-five cases without their variable: twenty lines, then how many more.
            std::string many = "prompts: ['Say {{word}}']\nproviders: [echo]\ntests:\n";
            for (int i = 0; i < 25; ++i) {
                many += "  - vars: {n: " + std::to_string(i) + "}\n";
            }
            dir.write("many.yaml", many);
            const auto capped = llmops(dir.path(), {"eval", "--validate", "many.yaml"});
            CHECK(capped.exit_code == 2);
            CHECK(std::count(capped.err.begin(), capped.err.end(), '\n') == 21);
            CHECK(capped.err.ends_with("llmops: error: and 5 more problem(s)\n"));
            // The run itself refuses the same suite before it creates a project.
            const auto run = llmops(dir.path(), {"eval", "suite.yaml"}, no_keys);
            CHECK(run.exit_code == 2);
            CHECK(run.err.find("need a judge model") != std::string::npos);
            CHECK_FALSE(std::filesystem::exists(dir.path() / ".llmops"));
        }
        SUBCASE("a missing API key fails the eval before .llmops/ is created") {
            dir.write("suite.yaml", "prompts: ['Say hi {{x}}']\nproviders: [openai:gpt-4o-mini]\n"
                                    "tests: [{vars: {x: 1}}]\n");
            const auto r =
                llmops(dir.path(), {"eval", "suite.yaml"}, {{"OPENAI_API_KEY", "\x01unset"}});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: provider 'openai:gpt-4o-mini': OPENAI_API_KEY is not "
                           "set\n");
            CHECK_FALSE(std::filesystem::exists(dir.path() / ".llmops"));
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
            CHECK(llmops(dir.path(), {"runs", "export", "latest", "-o", "again.json"}).exit_code ==
                  0);
            CHECK(nlohmann::json::parse(dir.read("again.json"))["results"] ==
                  nlohmann::json::parse(dir.read("r.json"))["results"]);
            const auto unknown = llmops(dir.path(), {"eval", "suite.yaml", "-o", "r.txt"});
            CHECK(unknown.exit_code == 2);
        }
    }

    TEST_CASE("cli::eval shows each failure's inputs; --grid prints the grid after the run") {
        TempDir dir;
        dir.write("suite.yaml", echo_suite(3, {0, 2}));
        SUBCASE("the failure list names the case's variables") {
            const auto r = llmops(dir.path(), {"eval", "suite.yaml"});
            CHECK(r.exit_code == 1);
            CHECK(r.out.find("      inputs:  word=\"no\"\n") != std::string::npos);
            CHECK(r.out.find("inputs:  word=\"yes\"") == std::string::npos); // passes not listed
        }
        SUBCASE("--grid: a row per case, each at most COLUMNS wide") {
            const auto r =
                llmops(dir.path(), {"eval", "suite.yaml", "--grid"}, {{"COLUMNS", "50"}});
            CHECK(r.exit_code == 1);
            const size_t header = r.out.find("CASE ");
            REQUIRE(header != std::string::npos);
            const std::string grid = r.out.substr(header, r.out.find("\n\n", header) - header);
            INFO(grid);
            CHECK(std::count(grid.begin(), grid.end(), '\n') == 3); // header + 3 cases
            CHECK(grid.find("word=\"no\"") != std::string::npos);
            CHECK(grid.find("FAIL Say no") != std::string::npos);
            for (const auto& line : util::split(grid, '\n')) {
                CHECK(report::code_point_count(line) <= 50);
            }
        }
        SUBCASE("--grid with --json is a usage error") {
            const auto r = llmops(dir.path(), {"eval", "suite.yaml", "--grid", "--json"});
            CHECK(r.exit_code == 2);
            CHECK(r.err ==
                  "llmops: error: --grid prints a table and --json a document; use one of them\n");
        }
    }

    TEST_CASE("cli::eval input nested 100,000 deep: exit 2, one line, no crash") {
        // A 200 KB JSONL line nested 100,000 deep once overflowed the stack, even under --validate.
        TempDir dir;
        const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
        const std::string suite = "prompts: ['Say {{x}}']\nproviders: [echo]\n";
        const auto refused = [&](const std::string& file, const std::string& message) {
            for (const bool validate : {true, false}) {
                std::vector<std::string> args{"eval", file};
                if (validate) {
                    args.insert(args.begin() + 1, "--validate");
                }
                const auto r = llmops(dir.path(), args);
                CHECK(r.exit_code == 2);
                CHECK(r.err == "llmops: error: " + message + "\n");
            }
        };
        SUBCASE("a JSONL dataset line, arrays or objects") {
            dir.write("cases.jsonl", "{\"vars\": {\"x\": 1}}\n" + deep + "\n");
            dir.write("suite.yaml", suite + "tests: file://cases.jsonl\n");
            refused("suite.yaml", "cases.jsonl:2:513: nesting deeper than 512 levels");
            std::string objects;
            for (int i = 0; i < 100'000; ++i) {
                objects += R"({"a":)";
            }
            dir.write("objects.jsonl", objects + "1" + std::string(100'000, '}') + "\n");
            dir.write("objects.yaml", suite + "tests: file://objects.jsonl\n");
            refused("objects.yaml", "objects.jsonl:1:2561: nesting deeper than 512 levels");
        }
        SUBCASE("a YAML dataset and a suite") {
            dir.write("cases.yaml", "- vars: {x: " + deep + "}\n");
            dir.write("suite.yaml", suite + "tests: file://cases.yaml\n");
            refused("suite.yaml", "cases.yaml:1:508: nesting deeper than 498 levels");
            dir.write("inline.yaml", suite + "tests:\n  - vars: {x: " + deep + "}\n");
            refused("inline.yaml", "inline.yaml:4:509: nesting deeper than 498 levels");
        }
        SUBCASE("a replay file") {
            dir.write("rec.jsonl", deep + "\n");
            dir.write("suite.yaml", "prompts: ['Say hi']\nproviders: ['replay:rec.jsonl']\n");
            const auto r = llmops(dir.path(), {"eval", "suite.yaml"});
            CHECK(r.exit_code == 2);
            CHECK(r.err ==
                  "llmops: error: provider 'replay:rec.jsonl': " + (dir / "rec.jsonl").string() +
                      ":1:513: nesting deeper than 512 levels\n");
        }
    }

    TEST_CASE("cli::eval --estimate") {
        LoopbackServer server;
        server.post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
            res.set_content(
                nlohmann::json{{"choices",
                                {{{"index", 0},
                                  {"finish_reason", "stop"},
                                  {"message", {{"role", "assistant"}, {"content", "ok"}}}}}},
                               {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 7}}}}
                    .dump(),
                "application/json");
        });
        server.start();
        TempDir dir;
        // 12 characters of prompt per case: ceil(12 / 4) = 3 input tokens per call.
        dir.write("suite.yaml",
                  fmt::format("prompts: ['Q: {{{{q}}}}']\n"
                              "providers:\n  - echo\n"
                              "  - id: openai:gpt-4o-mini\n"
                              "    config: {{apiBaseUrl: '{}', apiKeyEnvar: EST_TEST_KEY}}\n"
                              "tests:\n  - vars: {{q: 123456789}}\n  - vars: {{q: abcdefghi}}\n",
                              server.url("/v1")));
        SUBCASE("nothing is called, keys are not needed, and the table names the basis") {
            const auto r =
                llmops(dir.path(), {"eval", "suite.yaml", "--estimate", "--repeat", "2", "--json"});
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
            CHECK(text.out.find("estimate for suite.yaml (4 calls; nothing was called)") !=
                  std::string::npos);
            CHECK(text.out.find("assumed 256 per call") != std::string::npos);
        }
        SUBCASE("after a run: cached calls are free, and output tokens come from that run") {
            REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}, {{"EST_TEST_KEY", "k"}}).exit_code ==
                    0);
            const int served = server.request_count();
            CHECK(served == 2);
            const auto cached = nlohmann::json::parse(
                llmops(dir.path(), {"eval", "suite.yaml", "--estimate", "--json"}).out);
            CHECK(cached["variants"][1]["cached"] == 2);
            CHECK(cached["variants"][1]["cost_usd"] == 0.0);
            const auto fresh = nlohmann::json::parse(
                llmops(dir.path(), {"eval", "suite.yaml", "--estimate", "--json", "--no-cache"})
                    .out);
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
            for (size_t at = r.out.find('\n'); at != std::string::npos;
                 at = r.out.find('\n', at + 1)) {
                ++lines;
            }
            CHECK(lines == 2);
            CHECK(nlohmann::json::parse(r.out.substr(0, r.out.find('\n')))["case_id"].is_string());
            CHECK(r.err.find("FAIL") != std::string::npos); // the failures...
            CHECK(r.err.find("complete: 1 passed, 1 failed") !=
                  std::string::npos); // ...and the summary
        }
        SUBCASE("runs export: any format to stdout, the same bytes as the file") {
            REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}).exit_code == 1);
            for (const auto& [format, ext] :
                 std::vector<std::pair<std::string, std::string>>{{"json", "json"},
                                                                  {"csv", "csv"},
                                                                  {"xml", "xml"},
                                                                  {"md", "md"},
                                                                  {"html", "html"}}) {
                const auto r = llmops(dir.path(), {"runs", "export", "latest", "-o", "-",
                                                   "--format", format, "-o", "file." + ext});
                CHECK(r.exit_code == 0);
                CHECK(r.out == dir.read("file." + ext));
            }
        }
        SUBCASE("usage errors") {
            const auto check = [&](const std::vector<std::string>& args,
                                   const std::string& message) {
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
                  "--format: pdf not in {json,jsonl,csv,xml,junit,md,markdown,html,otlp} (see "
                  "'llmops "
                  "runs "
                  "export --help')");
        }
    }

    TEST_CASE("cli::eval refuses an inline prompt with a broken section before any call") {
        TempDir dir;
        dir.write("suite.yaml", "prompts: ['Hello {{#items}}{{.}}']\nproviders: [echo]\n"
                                "tests:\n  - vars: {items: [a]}\n");
        const auto r = llmops(dir.path(), {"eval", "suite.yaml"});
        CHECK(r.exit_code == 2);
        CHECK(
            r.err.find("llmops: error: suite.yaml: prompts[0]: line 1, column 7: unclosed section "
                       "'{{#items}}'\n") != std::string::npos);
        CHECK(r.err.find("unclosed section") != std::string::npos);
        CHECK(stored_results(dir.path()) <= 0);
    }

    TEST_CASE(
        "cli::eval says each thing once: one block for identical errors, one interrupt hint") {
        TempDir dir;
        std::string cases = "tests:\n";
        for (int i = 0; i < 12; ++i) {
            cases += "  - vars: {x: " + std::to_string(i) + "}\n";
        }
        SUBCASE("twelve results with the same error are one block naming the first cases") {
            dir.write("suite.yaml", "prompts: ['Say {{x}}']\nproviders: ['exec:false']\n" + cases);
            const auto r = llmops(dir.path(), {"eval", "suite.yaml"});
            CHECK(r.exit_code == 3);
            CHECK(r.out.starts_with("ERROR 12 results with one error\n"
                                    "      variant: Say {{x}} | exec:false\n"
                                    "      reason:  provider 'exec:false': exec:false: exited "
                                    "with status 1\n"
                                    "      cases:   "));
            CHECK(r.out.find("…\n\n#  VARIANT") != std::string::npos);
            size_t blocks = 0;
            for (size_t at = r.out.find("ERROR"); at != std::string::npos;
                 at = r.out.find("ERROR", at + 1)) {
                ++blocks;
            }
            CHECK(blocks == 2); // the block and the table's column
        }
        SUBCASE("an interrupted run prints its --resume hint once") {
            // The provider interrupts llmops itself, once, as a Ctrl-C would (a second one
            // would quit at once, before any summary: the script's marker file prevents it).
            dir.write("int.sh",
                      "#!/bin/sh\n[ -e fired ] || { touch fired; kill -INT $PPID; }\necho ok\n");
            std::filesystem::permissions(dir.path() / "int.sh", std::filesystem::perms::owner_all);
            dir.write("suite.yaml",
                      "prompts: ['Say {{x}}']\nproviders: ['exec:./int.sh']\n" + cases);
            const auto r = llmops(dir.path(), {"eval", "suite.yaml", "-j", "1"});
            CHECK(r.exit_code == 130);
            const std::string all = r.out + r.err;
            size_t hints = 0;
            for (size_t at = all.find("--resume 1"); at != std::string::npos;
                 at = all.find("--resume 1", at + 1)) {
                ++hints;
            }
            CHECK(hints == 1);
        }
    }

    TEST_CASE("cli::eval an unpriced cost is unknown, never $0: text, JSON and runs list") {
        TempDir dir;
        dir.write("ok.sh", "#!/bin/sh\necho ok\n");
        std::filesystem::permissions(dir.path() / "ok.sh", std::filesystem::perms::owner_all);
        dir.write("suite.yaml", "prompts: ['Say {{x}}']\nproviders: ['exec:./ok.sh']\n"
                                "tests:\n  - vars: {x: 1}\n  - vars: {x: 2}\n");
        const auto text = llmops(dir.path(), {"eval", "suite.yaml"});
        CHECK(text.exit_code == 0);
        CHECK(text.out.find(" unknown ") != std::string::npos);
        CHECK(text.out.find("$0 ") == std::string::npos);
        const auto doc =
            nlohmann::json::parse(llmops(dir.path(), {"eval", "suite.yaml", "--json"}).out);
        CHECK(doc["variants"][0]["cost_usd"].is_null());
        CHECK(doc["variants"][0]["unpriced"] == 2);
        const auto list =
            nlohmann::json::parse(llmops(dir.path(), {"runs", "list", "--json"}).out)["runs"];
        CHECK(list[0]["cost_usd"].is_null());
        CHECK(list[0]["unpriced"] == 2);
        CHECK(llmops(dir.path(), {"runs", "list"}).out.find("unknown") != std::string::npos);
    }

    TEST_CASE("cli::eval tables fit the terminal: COLUMNS, labels cut from the prompt side") {
        TempDir dir;
        dir.write(
            "suite.yaml",
            "prompts: ['What is {{a}} plus {{b}}? Answer with one number and nothing else.']\n"
            "providers: [echo, {id: echo, label: a-model-with-a-long-name}]\n"
            "tests:\n  - vars: {a: 1, b: 2}\n");
        const auto width_of = [](const std::string& line) {
            return static_cast<size_t>(std::count_if(line.begin(), line.end(), [](char c) {
                return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
            }));
        };
        for (const size_t columns : {60, 80, 120}) {
            CAPTURE(columns);
            const auto r =
                llmops(dir.path(), {"eval", "suite.yaml"}, {{"COLUMNS", std::to_string(columns)}});
            REQUIRE(r.exit_code == 0);
            const size_t table = r.out.find("#  VARIANT");
            REQUIRE(table != std::string::npos);
            std::istringstream lines(r.out.substr(table));
            int rows = 0;
            for (std::string line; std::getline(lines, line) && !line.starts_with("run ");) {
                CHECK(width_of(line) <= columns);
                ++rows;
            }
            CHECK(rows == 4); // header, two variants, total
            // The `#` that diff RUN:N takes; the provider side of a label always survives.
            CHECK(r.out.find("\n0  What ") != std::string::npos);
            CHECK(r.out.find("… | echo ") != std::string::npos);
            CHECK(r.out.find("-a-long-name ") != std::string::npos);
            const auto list =
                llmops(dir.path(), {"runs", "list"}, {{"COLUMNS", std::to_string(columns)}});
            std::istringstream list_lines(list.out);
            for (std::string line; std::getline(list_lines, line);) {
                CHECK(width_of(line) <= std::max<size_t>(columns, 95));
            }
        }
    }

    TEST_CASE("cli::eval stops when the provider is down") {
        // Nothing listens on the port: every call fails to connect. After 5 in a row (-j 1) the run
        // stops, keeps what it has, and says why; --resume completes it later.
        TempDir dir;
        std::string yaml = fmt::format("prompts: ['Q {{{{q}}}}']\n"
                                       "providers:\n  - id: openai:gpt-4o-mini\n"
                                       "    config: {{apiBaseUrl: 'http://127.0.0.1:{}/v1', "
                                       "apiKeyEnvar: DOWN_KEY, retries: 0}}\n"
                                       "tests:\n",
                                       LoopbackServer::unused_port());
        for (int i = 0; i < 30; ++i) {
            yaml += fmt::format("  - vars: {{q: q{}}}\n", i);
        }
        dir.write("suite.yaml", yaml);
        const auto r =
            llmops(dir.path(), {"eval", "suite.yaml", "-j", "1", "--max-connection-failures", "5"},
                   {{"DOWN_KEY", "k"}});
        CHECK(r.exit_code == 3);
        CHECK(stored_results(dir.path()) == 5);
        CHECK(r.err.find("llmops: stopped: 5 calls in a row could not reach their provider (is it "
                         "down?); calls not started were skipped, finished results are stored; "
                         "'llmops eval --resume 1' completes the run") != std::string::npos);
        const auto run =
            nlohmann::json::parse(llmops(dir.path(), {"runs", "show", "1", "--json"}).out);
        CHECK(run["run"]["status"] == "interrupted");
    }

    TEST_CASE("cli::eval -j past ulimit -n runs at the concurrency that fits") {
        OpenAiServer server;
        TempDir dir;
        std::string yaml =
            fmt::format("prompts: ['Q {{{{q}}}}']\n"
                        "providers:\n  - id: openai:gpt-4o-mini\n"
                        "    config: {{apiBaseUrl: '{}', apiKeyEnvar: FD_KEY}}\n"
                        "defaultTest:\n  assert: [{{type: contains, value: answer}}]\n"
                        "tests:\n",
                        server.base_url());
        for (int i = 0; i < 200; ++i) {
            yaml += fmt::format("  - vars: {{q: q{}}}\n", i);
        }
        dir.write("suite.yaml", yaml);
        RunOptions options;
        options.cwd = dir.path();
        options.env = {{"NO_COLOR", "1"}, {"LLMOPS_DIR", "\x01unset"}, {"FD_KEY", "k"}};
        // `ulimit -n 128` sets the hard limit too: llmops cannot raise it, only fit under it.
        const auto r =
            run_program({"bash", "-c", "ulimit -n 128 && exec \"$0\" \"$@\"", LLMOPS_BINARY, "eval",
                         "suite.yaml", "-j", "1024", "--no-cache"},
                        options);
        CHECK(r.exit_code == 0);
        CHECK(
            r.err.find("llmops: warning: -j 1024 needs about 2112 open files, but ulimit -n is 128 "
                       "(hard limit 128): running with -j 32 (raise it with 'ulimit -n 2112')") !=
            std::string::npos);
        CHECK(stored_results(dir.path()) == 200);
        CHECK(server.asked("k").size() == 200);
    }

    TEST_CASE("cli::eval -o never overwrites what the run reads") {
        TempDir dir;
        dir.write(
            "suite.yaml",
            "prompts: [file://prompt.md]\nproviders: [echo]\n"
            "defaultTest: file://defaults.yaml\n"
            "tests:\n  - file://tests.csv\n  - vars: {x: '{\"c\": 3}', y: file://doc.json}\n");
        dir.write("prompt.md", "Say {{x}}\n");
        dir.write(
            "defaults.yaml",
            "vars: {x: default}\nassert: [{type: contains-json, value: file://schema.json}]\n");
        dir.write("schema.json", "{\"type\": \"object\"}\n");
        dir.write("tests.csv", "x\n\"{\"\"a\"\": 1}\"\n");
        dir.write("doc.json", "{\"b\": 2}\n");
        const std::map<std::string, std::string> before{
            {"suite.yaml", dir.read("suite.yaml")},       {"prompt.md", dir.read("prompt.md")},
            {"defaults.yaml", dir.read("defaults.yaml")}, {"schema.json", dir.read("schema.json")},
            {"tests.csv", dir.read("tests.csv")},         {"doc.json", dir.read("doc.json")}};
        const auto refused = [&](const std::vector<std::string>& args, const std::string& message) {
            const auto r = llmops(dir.path(), args);
            CHECK(r.exit_code == 2);
            CHECK(r.out == "");
            CHECK(r.err == "llmops: error: " + message + "\n");
        };
        SUBCASE("each input, by any name, is refused before anything runs") {
            refused(
                {"eval", "suite.yaml", "-o", "tests.csv"},
                "-o 'tests.csv' would overwrite a dataset of the suite ('tests.csv'); write the "
                "report elsewhere");
            refused({"eval", "suite.yaml", "-o", "ok.json", "-o", "./sub/../prompt.md"},
                    "-o './sub/../prompt.md' would overwrite a prompt file of the suite "
                    "('prompt.md'); write the report elsewhere");
            refused({"eval", "suite.yaml", "-o", "doc.json"},
                    "-o 'doc.json' would overwrite a file the suite reads ('doc.json'); write the "
                    "report elsewhere");
            refused(
                {"eval", "suite.yaml", "-o", "schema.json"},
                "-o 'schema.json' would overwrite a file the suite reads ('schema.json'); write "
                "the report elsewhere");
            refused({"eval", "suite.yaml", "-o", "a.md", "-o", "a.md"},
                    "-o 'a.md' and -o 'a.md' are the same file");
            // No store was created and no report written: nothing ran.
            CHECK_FALSE(std::filesystem::exists(dir / ".llmops"));
            CHECK_FALSE(std::filesystem::exists(dir / "ok.json"));
            // A link to a dataset is the dataset.
            std::filesystem::create_symlink(dir / "tests.csv", dir / "link.csv");
            refused({"eval", "suite.yaml", "-o", "link.csv"},
                    "-o 'link.csv' would overwrite a dataset of the suite ('tests.csv'); write the "
                    "report elsewhere");
            refused(
                {"eval", "suite.yaml", "--record", "doc.json"},
                "--record 'doc.json' would overwrite a file the suite reads ('doc.json'); write "
                "the report elsewhere");
            refused({"eval", "suite.yaml", "-o", "r.jsonl", "--record", "r.jsonl"},
                    "--record 'r.jsonl' would overwrite a report of the run ('r.jsonl'); write the "
                    "report elsewhere");
        }
        SUBCASE("the store is never a report's place; runs export and diff refuse it too") {
            REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
            refused({"eval", "suite.yaml", "-o", ".llmops/llmops.json"},
                    "-o '.llmops/llmops.json' would overwrite the project's store ('.llmops'); "
                    "write the report elsewhere");
            REQUIRE(llmops(dir.path(), {"eval", "suite.yaml", "-o", "run.json"}).exit_code == 0);
            refused({"runs", "export", "latest", "-o", ".llmops/x.csv"},
                    "-o '.llmops/x.csv' would overwrite the project's store ('.llmops'); write the "
                    "report elsewhere");
            refused({"diff", "run.json", "-o", "run.json"},
                    "-o 'run.json' would overwrite a run being compared ('run.json'); write the "
                    "report elsewhere");
        }
        for (const auto& [name, text] : before) {
            CAPTURE(name);
            CHECK(dir.read(name) == text);
        }
    }

    TEST_CASE(
        "cli::eval: a report that cannot be written stops neither the others nor the summary") {
        TempDir dir;
        dir.write("suite.yaml", echo_suite(2, {0, 1}));
        dir.write("not-a-folder", "a file\n");
        const auto r = llmops(dir.path(), {"eval", "suite.yaml", "-o", "not-a-folder/a.json", "-o",
                                           "b.csv", "-o", "not-a-folder/c.md", "-o", "d.json"});
        CHECK(r.exit_code == 3);
        CHECK(std::filesystem::exists(dir / "b.csv"));
        CHECK(std::filesystem::exists(dir / "d.json"));
        CHECK(r.out.find("Say {{word}} | echo") != std::string::npos); // the summary
        CHECK(r.err.find("not-a-folder/a.json") != std::string::npos);
        CHECK(r.err.find("not-a-folder/c.md") != std::string::npos);
        CHECK(r.err.rfind("llmops: error: ") > r.err.find("llmops: run 1 stored"));
        const auto exported = llmops(
            dir.path(), {"runs", "export", "latest", "-o", "not-a-folder/e.json", "-o", "f.json"});
        CHECK(exported.exit_code == 3);
        CHECK(std::filesystem::exists(dir / "f.json"));
        const auto diffed = llmops(
            dir.path(), {"diff", "d.json", "f.json", "-o", "not-a-folder/g.md", "-o", "h.md"});
        CHECK(diffed.exit_code == 3);
        CHECK(std::filesystem::exists(dir / "h.md"));
        CHECK(diffed.out.find("d.json") != std::string::npos);
    }

    TEST_CASE("cli::eval killed with SIGKILL and resumed") {
        // Every verdict here is by identity, never by timing: the server knows each request's
        // question and which run sent it (by its API key), answers the killed run's first
        // `answered` questions and holds the rest until the run is dead, so the killed run stores
        // exactly those, however fast or slow the machine is.
        constexpr int cases = 40;
        constexpr size_t answered = 8;
        OpenAiServer server;
        server.hold_after(static_cast<int>(answered)); // then held until released after the kill
        ::setenv("LLMOPS_TEST_EVAL_KEY", "sk-killed", 1);
        std::string jsonl;
        std::set<std::string> all_questions;
        for (int i = 0; i < cases; ++i) {
            jsonl += fmt::format("{{\"vars\": {{\"q\": \"q{}\"}}}}\n", i);
            all_questions.insert(fmt::format("Q q{}", i));
        }
        const std::string suite =
            fmt::format("prompts: ['Q {{{{q}}}}']\n"
                        "providers:\n  - id: openai:gpt-4o-mini\n    config: {{apiBaseUrl: '{}', "
                        "apiKeyEnvar: LLMOPS_TEST_EVAL_KEY}}\n"
                        "defaultTest:\n  assert: [{{type: contains, value: answer}}]\n"
                        "tests: file://cases.jsonl\n",
                        server.base_url());
        TempDir killed;
        killed.write("suite.yaml", suite);
        killed.write("cases.jsonl", jsonl);
        REQUIRE(llmops(killed.path(), {"init"}).exit_code == 0);
        const pid_t pid =
            spawn_llmops(killed.path(), {"eval", "suite.yaml", "-j", "4", "--no-cache"});
        // Kill it once the answered results are stored (each round's results are committed before
        // the run waits for more), with the held calls in flight.
        CHECK(wait_until([&] { return stored_results(killed.path()) >= int64_t{answered}; }));
        ::kill(pid, SIGKILL);
        CHECK(wait_for(pid) == 128 + SIGKILL);
        server.release(); // the held answers go nowhere
        CHECK(stored_results(killed.path()) == int64_t{answered});
        const auto killed_asked = server.asked("sk-killed");
        CHECK(killed_asked.size() <= answered + 4); // -j 4: at most 4 held in flight
        const std::set<std::string> stored_questions(killed_asked.begin(),
                                                     killed_asked.begin() + answered);

        const auto resumed =
            llmops(killed.path(), {"eval", "--resume", "latest", "--no-cache", "-o", "killed.json"},
                   {{"LLMOPS_TEST_EVAL_KEY", "sk-resumed"}});
        CHECK(resumed.exit_code == 0);
        CHECK(stored_results(killed.path()) == cases);
        // The resumed run asked each missing question exactly once, and none stored before the
        // kill.
        std::set<std::string> missing;
        std::set_difference(all_questions.begin(), all_questions.end(), stored_questions.begin(),
                            stored_questions.end(), std::inserter(missing, missing.end()));
        const auto resume_asked = server.asked("sk-resumed");
        CHECK(resume_asked.size() == missing.size());
        CHECK(std::set<std::string>(resume_asked.begin(), resume_asked.end()) == missing);

        TempDir whole;
        whole.write("suite.yaml", suite);
        whole.write("cases.jsonl", jsonl);
        REQUIRE(llmops(whole.path(), {"eval", "suite.yaml", "--no-cache", "-o", "whole.json"},
                       {{"LLMOPS_TEST_EVAL_KEY", "sk-resumed"}})
                    .exit_code == 0);
        auto outputs = [](const std::string& text) {
            std::map<std::string, std::string> by_case;
            const auto doc = nlohmann::json::parse(text);
            for (const auto& r : doc.at("results")) {
                by_case[r["case_id"].get<std::string>()] =
                    r["status"].get<std::string>() + ": " + r["output"].get<std::string>();
            }
            return by_case;
        };
        CHECK(outputs(killed.read("killed.json")) == outputs(whole.read("whole.json")));
    }

} // TEST_SUITE

} // namespace llmops::test
