// promptfoo's configs give promptfoo's counts (issue 16, items 5 to 7): the corpus in
// tests/data/promptfoo/ (each file says what promptfoo gives), the flags promptfoo users type,
// and a config's problems reported together. End to end with the real binary and the echo
// provider, which answers with the rendered prompt.

#include <algorithm>
#include <filesystem>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Copies tests/data/promptfoo/ into `dir` (a run writes .llmops/ beside the suite).
void copy_corpus(const TempDir& dir) {
    fs::copy(fs::path(LLMOPS_SOURCE_DIR) / "tests/data/promptfoo", dir.path(),
             fs::copy_options::recursive);
}

// The summary of `llmops eval ARGS --json` in `dir`: {label: [pass, fail, errors]}.
std::map<std::string, std::vector<int64_t>> counts(const TempDir& dir,
                                                   std::vector<std::string> args) {
    args.insert(args.begin(), "eval");
    args.push_back("--json");
    const auto r = llmops(dir.path(), args);
    INFO(r.err);
    REQUIRE(!r.out.empty());
    std::map<std::string, std::vector<int64_t>> out;
    const json doc = json::parse(r.out);
    for (const auto& v : doc["variants"]) {
        out[v["label"].get<std::string>()] = {v["pass"].get<int64_t>(), v["fail"].get<int64_t>(),
                                              v["errors"].get<int64_t>()};
    }
    return out;
}

// The outputs of the latest run, sorted.
std::vector<std::string> outputs(const TempDir& dir) {
    const auto doc = json::parse(
        llmops(dir.path(), {"runs", "export", "latest", "-o", "-", "--format", "json"}).out);
    std::vector<std::string> out;
    for (const auto& r : doc["results"]) {
        out.push_back(r["output"].get<std::string>());
    }
    std::sort(out.begin(), out.end());
    return out;
}

using Counts = std::map<std::string, std::vector<int64_t>>;

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::promptfoo parity: the corpus gives promptfoo's counts") {
        TempDir dir;
        copy_corpus(dir);
        SUBCASE("variable files: text trimmed, YAML as JSON text") {
            CHECK(counts(dir, {"parity-var-files.yaml"}) ==
                  Counts{{"Policy: {{policy}} | User: {{user}} | P… | echo", {1, 0, 0}}});
        }
        SUBCASE("a .txt prompt holding a JSON chat is sent as messages") {
            CHECK(counts(dir, {"parity-chat.yaml"}) == Counts{{"chat.txt | echo", {1, 0, 0}}});
        }
        SUBCASE("tests: a glob, read sorted; outputPath written like -o") {
            CHECK(counts(dir, {"parity-globs.yaml"}) == Counts{{"Say {{word}} | echo", {3, 1, 0}}});
            CHECK(outputs(dir) ==
                  std::vector<std::string>{"Say apple", "Say apricot", "Say banana", "Say cherry"});
            const auto report = json::parse(dir.read("results.json"));
            REQUIRE(report["results"].size() == 4);
            CHECK(report["results"][0]["vars"]["word"] == "apple");
            CHECK(report["results"][3]["vars"]["word"] == "cherry");
        }
        SUBCASE("`**` matches any number of folders") {
            CHECK(counts(dir, {"parity-globstar.yaml"}) == Counts{{"say {{w}} | echo", {2, 2, 0}}});
        }
        SUBCASE("prompt globs; variables naming variables; thresholds on pass/fail") {
            CHECK(counts(dir, {"parity-prompt-glob.yaml"}).size() == 3);
            CHECK(counts(dir, {"parity-vars.yaml"}) ==
                  Counts{{"Write a {{sentence}} | echo", {3, 1, 0}}});
        }
        SUBCASE("a test's prompts and providers: where it runs") {
            CHECK(counts(dir, {"parity-test-scope.yaml"}) ==
                  Counts{{"Style:factual | fast", {1, 0, 0}},
                         {"Style:factual | slow", {1, 0, 0}},
                         {"Style:creative | fast", {1, 0, 0}},
                         {"Style:creative | slow", {1, 1, 0}}});
            dir.write("typo.yaml", "prompts: ['Hi {{q}}']\nproviders: [echo]\n"
                                   "tests: [{vars: {q: a}, providers: [ehco]}]\n");
            const auto r = llmops(dir.path(), {"eval", "typo.yaml", "--validate"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: typo.yaml: tests[0]: its 'prompts'/'providers' name no "
                           "prompt or provider of the suite, so it would never run\n");
        }
        SUBCASE("promptfoo's multi-turn _conversation is refused, not rendered empty") {
            dir.write("conv.yaml", "prompts: ['{{ _conversation | length }} {{q}}']\n"
                                   "providers: [echo]\ntests: [{vars: {q: hi}}]\n");
            const auto r = llmops(dir.path(), {"eval", "conv.yaml", "--validate"});
            CHECK(r.exit_code == 2);
            CHECK(r.err.find("promptfoo's multi-turn '_conversation' variable is not supported") !=
                  std::string::npos);
        }
        SUBCASE("one trailing newline dropped from string variables; YAML var files in order") {
            CHECK(counts(dir, {"parity-newlines.yaml"}) == Counts{{"[{{q}}] | echo", {4, 0, 0}}});
        }
        SUBCASE("assertionTemplates through $ref") {
            CHECK(counts(dir, {"parity-templates.yaml"}) ==
                  Counts{{"Say {{word}} | echo", {2, 1, 0}}});
        }
        SUBCASE("rubricPrompt is the judge prompt (defaultTest.options and an assertion's own)") {
            CHECK(counts(dir, {"parity-rubric.yaml"}) ==
                  Counts{{"Answer: {{answer}} | echo", {2, 0, 0}}});
            const auto doc = json::parse(
                llmops(dir.path(), {"runs", "export", "latest", "-o", "-", "--format", "json"})
                    .out);
            std::vector<std::string> reasons;
            for (const auto& r : doc["results"]) {
                reasons.push_back(r["assertions"][0]["reason"].get<std::string>());
            }
            std::sort(reasons.begin(), reasons.end());
            CHECK(reasons == std::vector<std::string>{"judge: pass: 42 judged against: mentions a "
                                                      "number",
                                                      "judge: pass: own prompt"});
        }
    }

    TEST_CASE("cli::promptfoo parity: promptfooconfig.yml is found like .yaml") {
        TempDir dir;
        dir.write("promptfooconfig.yml", "prompts: [Say hi]\nproviders: [echo]\n");
        const auto r = llmops(dir.path(), {"eval", "--validate"});
        CHECK(r.exit_code == 0);
        CHECK(r.out == "promptfooconfig.yml: ok: 1 prompt(s) x 1 provider(s) x 1 case(s) x 1 "
                       "repeat(s) = 1 call(s)\n");
    }

    TEST_CASE("cli::promptfoo flags: filters, --var, --grader, aliases") {
        TempDir dir;
        copy_corpus(dir);
        SUBCASE("--filter-prompts, --filter-providers and --filter-first-n select") {
            CHECK(counts(dir, {"flags-filters.yaml", "--filter-prompts", "^sh",
                               "--filter-providers", "second", "--filter-first-n", "2",
                               "--no-progress-bar"}) == Counts{{"short | second", {2, 0, 0}}});
        }
        SUBCASE("--var overrides defaultTest.vars, not a case's own") {
            counts(dir, {"flags-filters.yaml", "--var", "tone=curt", "--filter-targets", "first",
                         "--filter-prompts", "short"});
            CHECK(outputs(dir) == std::vector<std::string>{"Short: one (curt)",
                                                           "Short: three (warm)",
                                                           "Short: two (curt)"});
        }
        SUBCASE("--filter-sample and --max-concurrency are accepted") {
            CHECK(counts(dir, {"flags-filters.yaml", "--filter-sample", "1", "--max-concurrency",
                               "1", "--filter-prompts", "long", "--filter-providers", "first"}) ==
                  Counts{{"long | first", {1, 0, 0}}});
        }
        SUBCASE("a filter that matches nothing names what there is") {
            const auto r =
                llmops(dir.path(), {"eval", "flags-filters.yaml", "--filter-providers", "zzz"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: --filter-providers 'zzz' matches no provider (the "
                           "suite's: first, second)\n");
        }
        SUBCASE("--var needs NAME=VALUE") {
            const auto r = llmops(dir.path(), {"eval", "flags-filters.yaml", "--var", "tone"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: --var 'tone': expected NAME=VALUE\n");
        }
        SUBCASE("--grader is --judge") {
            CHECK(counts(dir, {"parity-rubric.yaml", "--grader", "echo"}) ==
                  Counts{{"Answer: {{answer}} | echo", {2, 0, 0}}});
        }
    }

    TEST_CASE("cli::promptfoo flags: an unknown option gets a did-you-mean") {
        TempDir dir;
        const auto r = llmops(dir.path(), {"eval", "--filter-prmpts", "x"});
        CHECK(r.exit_code == 2);
        CHECK(r.err == "llmops: error: unknown option '--filter-prmpts' for 'llmops eval' (did you "
                       "mean '--filter-prompts'?) (see 'llmops eval --help')\n");
        const auto with_value = llmops(dir.path(), {"eval", "--max-concurency=2"});
        CHECK(with_value.err.find("(did you mean '--max-concurrency'?)") != std::string::npos);
    }

    TEST_CASE("cli::promptfoo flags: --env-file and the suite folder's .env") {
        TempDir dir;
        dir.write("evals/greet.sh", "printf '%s' \"$GREETING\"\n");
        dir.write("evals/suite.yaml", "prompts: ['{{q}}']\nproviders: ['exec:sh evals/greet.sh']\n"
                                      "tests:\n  - vars: {q: x}\n");
        dir.write("evals/.env", "# the suite's\nGREETING=from-dotenv\n");
        dir.write("other.env", "export GREETING=\"from env-file\"\n");
        const auto run = [&](std::vector<std::string> args,
                             std::map<std::string, std::string> env) {
            args.insert(args.begin(), {"eval", "evals/suite.yaml", "--no-cache"});
            const auto r = llmops(dir.path(), args, std::move(env));
            INFO(r.err);
            return outputs(dir);
        };
        SUBCASE("the suite folder's .env is read") {
            CHECK(run({}, {{"GREETING", "\x01unset"}}) == std::vector<std::string>{"from-dotenv"});
        }
        SUBCASE("a variable already set wins") {
            CHECK(run({}, {{"GREETING", "from-shell"}}) == std::vector<std::string>{"from-shell"});
        }
        SUBCASE("--env-file replaces the .env") {
            CHECK(run({"--env-file", "other.env"}, {{"GREETING", "\x01unset"}}) ==
                  std::vector<std::string>{"from env-file"});
        }
    }

    TEST_CASE("cli::promptfoo --delay waits between calls") {
        TempDir dir;
        copy_corpus(dir);
        const auto start = std::chrono::steady_clock::now();
        CHECK(counts(dir, {"flags-filters.yaml", "--delay", "100", "--filter-first-n", "1",
                           "--filter-prompts", "short", "--no-cache"})
                  .size() == 2);
        CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(200));
    }

    TEST_CASE("cli::promptfoo --filter-failing takes a results file, promptfoo's or llmops'") {
        TempDir dir;
        copy_corpus(dir);
        // files/globstar-results.json is promptfoo 0.121.20's `-o` of parity-globstar.yaml
        // (trimmed to the fields it reads): "two" and "three" failed there.
        const Counts failing{{"say {{w}} | echo", {0, 2, 0}}};
        CHECK(counts(dir, {"parity-globstar.yaml", "--filter-failing",
                           "files/globstar-results.json"}) == failing);
        CHECK(outputs(dir) == std::vector<std::string>{"say three", "say two"});
        // An llmops export: by case id.
        REQUIRE(llmops(dir.path(), {"runs", "export", "1", "-o", "first.json"}).exit_code == 0);
        CHECK(counts(dir, {"parity-globstar.yaml", "--filter-failing", "first.json"}) == failing);
        // A stored run, as before; a file that is not results says so.
        CHECK(counts(dir, {"parity-globstar.yaml", "--filter-failing", "1"}) == failing);
        const auto bad = llmops(
            dir.path(), {"eval", "parity-globstar.yaml", "--filter-failing", "files/order.yaml"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.find("files/order.yaml") != std::string::npos);
    }

    TEST_CASE("cli::promptfoo a dataset file's problems are reported together") {
        TempDir dir;
        dir.write("s.yaml", "prompts: ['say {{w}}']\nproviders: [echo]\nassertionTemplates:\n"
                            "  one: {type: contains, value: one}\ntests: file://cases.yaml\n");
        dir.write("cases.yaml", "- vars: {w: one}\n  assert: [{$ref: '#/assertionTemplates/one'}]\n"
                                "- vars: {w: two}\n  assert: [{type: containz, value: x}]\n"
                                "- vars: {w: three}\n  treshold: 1\n");
        const auto r = llmops(dir.path(), {"eval", "s.yaml", "--validate"});
        CHECK(r.exit_code == 2);
        CAPTURE(r.err);
        CHECK(r.err.find("cases.yaml: [0].assert[0]: '$ref' in a dataset file points into that "
                         "file") != std::string::npos);
        CHECK(r.err.find("cases.yaml: [1].assert[0]: unknown assertion type 'containz'") !=
              std::string::npos);
        CHECK(r.err.find("cases.yaml: [2]: unknown key 'treshold'") != std::string::npos);
    }

    TEST_CASE("cli::promptfoo a config's problems are reported together") {
        TempDir dir;
        copy_corpus(dir);
        const auto r = llmops(dir.path(), {"eval", "parity-errors.yaml"});
        CHECK(r.exit_code == 2);
        CHECK(r.err ==
              "llmops: error: parity-errors.yaml: unknown key 'promts' (did you mean 'prompts'?)\n"
              "llmops: error: parity-errors.yaml: promptfoo's 'sharing' is not supported by "
              "llmops; remove it\n"
              "llmops: error: parity-errors.yaml: providers[1]: unknown provider 'nosuch:model'\n"
              "llmops: error: parity-errors.yaml: tests[0].assert[0]: unknown assertion type "
              "'containz' (did you mean 'contains'?)\n"
              "llmops: error: parity-errors.yaml: tests[1]: 'threshold' must be a number from 0 "
              "to 1\n");
    }
}

} // namespace llmops::test
