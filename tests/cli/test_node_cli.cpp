// promptfoo's javascript assertions and Nunjucks prompts, run in one node worker per run, end to
// end with the real binary on the echo provider (its output is the rendered prompt). The
// configs are tests/data/promptfoo/node-*.yaml, with the counts promptfoo gives.

#include <set>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

// A temporary folder holding tests/data/promptfoo.
void copy_corpus(const TempDir& dir) {
    std::filesystem::copy(std::filesystem::path(LLMOPS_SOURCE_DIR) / "tests/data/promptfoo",
                          dir.path(), std::filesystem::copy_options::recursive);
}

// The pass and fail counts of the one variant of an `eval --json` report.
std::pair<int, int> counts(const RunResult& r) {
    const auto doc = nlohmann::json::parse(r.out, nullptr, false);
    if (!doc.is_object() || doc["variants"].size() != 1)
        return {-1, -1};
    return {doc["variants"][0]["pass"].get<int>(), doc["variants"][0]["fail"].get<int>()};
}

// Environment without node on PATH.
const std::map<std::string, std::string> k_no_node = {{"PATH", "/nonexistent"},
                                                      {"LLMOPS_NODE", "\x01unset"}};

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::node javascript assertions give promptfoo's counts") {
        TempDir dir;
        copy_corpus(dir);
        const auto r = llmops(dir.path(), {"eval", "node-javascript.yaml", "--json"});
        CHECK(r.exit_code == 1);
        CHECK(counts(r) == std::pair{5, 2});
    }

    TEST_CASE("cli::node Nunjucks prompts give promptfoo's counts") {
        TempDir dir;
        copy_corpus(dir);
        CHECK(llmops(dir.path(), {"eval", "node-nunjucks.yaml", "--validate"}).exit_code == 0);
        const auto r = llmops(dir.path(), {"eval", "node-nunjucks.yaml", "--json"});
        CHECK(r.exit_code == 1);
        CHECK(counts(r) == std::pair{3, 1});
    }

    TEST_CASE("cli::node nunjucksFilters must name existing files") {
        TempDir dir;
        dir.write("qa.yaml", "prompts: ['{{ x | shout }}']\nproviders: [echo]\n"
                             "nunjucksFilters: {shout: file://missing.js}\n"
                             "tests:\n  - vars: {x: a}\n");
        const auto r = llmops(dir.path(), {"eval", "qa.yaml", "--validate"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("qa.yaml: nunjucksFilters.shout: 'file://missing.js' does not exist") !=
              std::string::npos);
    }

    TEST_CASE("cli::node 2,000 javascript assertions cost one node process") {
        TempDir dir;
        std::string csv = "n\n";
        for (int i = 0; i < 2000; ++i)
            csv += std::to_string(i) + "\n";
        dir.write("cases.csv", csv);
        dir.write("promptfooconfig.yaml",
                  "prompts: ['n={{n}}']\nproviders: [echo]\ntests: file://cases.csv\n"
                  "defaultTest:\n  assert:\n    - type: javascript\n"
                  "      value: \"({pass: output === 'n=' + context.vars.n, score: 1, reason: "
                  "'pid ' + process.pid})\"\n");
        const auto r = llmops(dir.path(), {"eval", "--json"});
        CHECK(r.exit_code == 0);
        CHECK(counts(r) == std::pair{2000, 0});
        const auto results = nlohmann::json::parse(
            llmops(dir.path(), {"runs", "export", "latest", "-o", "-", "--format", "json"})
                .out)["results"];
        REQUIRE(results.size() == 2000);
        std::set<std::string> reasons;
        for (const auto& res : results)
            reasons.insert(res["assertions"][0]["reason"].get<std::string>());
        CHECK(reasons.size() == 1);
        CHECK(reasons.begin()->starts_with("pid "));
    }

    TEST_CASE("cli::node without node on PATH: a clear error at load, exit 2") {
        TempDir dir;
        copy_corpus(dir);
        const auto js = llmops(dir.path(), {"eval", "node-javascript.yaml"}, k_no_node);
        CHECK(js.exit_code == 2);
        CHECK(js.err == "llmops: error: node-javascript.yaml: tests[0].assert[0]: javascript "
                        "assertions need node (apt-get install nodejs)\n");
        const auto nj = llmops(dir.path(), {"eval", "node-nunjucks.yaml", "--validate"}, k_no_node);
        CHECK(nj.exit_code == 2);
        CHECK(nj.err.find("node-nunjucks.yaml: this suite uses Nunjucks ({% %}, {# #}, filters "
                          "or nunjucksFilters), which needs node (apt-get install nodejs "
                          "node-nunjucks)") != std::string::npos);
        // A plain {{var}} suite needs no node.
        dir.write("plain.yaml", "prompts: ['Hi {{name}}']\nproviders: [echo]\n"
                                "tests:\n  - vars: {name: Ada}\n"
                                "    assert: [{type: equals, value: Hi Ada}]\n");
        CHECK(llmops(dir.path(), {"eval", "plain.yaml"}, k_no_node).exit_code == 0);
    }
}

} // namespace llmops::test
