// promptfoo's transforms (a test's options.transform, an assertion's transform), the failures of
// javascript assertions that throw, and .json chat prompts holding Nunjucks tags, end to end with
// the real binary on the echo provider. Counts were measured with promptfoo 0.121.20 on the
// same configs (the corpus configs tests/data/promptfoo/node-*.yaml hold the rest).

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

using nlohmann::json;

// {pass, fail, errors} of the one variant of an `eval --json` report.
std::tuple<int, int, int> counts(const RunResult& r) {
    const auto doc = json::parse(r.out, nullptr, false);
    if (!doc.is_object() || doc["variants"].size() != 1)
        return {-1, -1, -1};
    const auto& v = doc["variants"][0];
    return {v["pass"].get<int>(), v["fail"].get<int>(), v["errors"].get<int>()};
}

// The results of the latest run, as `runs export` writes them.
json results(const TempDir& dir) {
    return json::parse(
        llmops(dir.path(), {"runs", "export", "latest", "-o", "-", "--format", "json"})
            .out)["results"];
}

// promptfoo's json-output example on echo (promptfoo 0.121.20: 0 passed, 1 failed, 2 errors).
constexpr const char* k_json_output = "prompts: ['Output a JSON object describing {{item}}']\n"
                                      "providers: [echo]\n"
                                      "tests:\n"
                                      "  - vars: {item: Banana}\n"
                                      "    assert:\n"
                                      "      - type: is-json\n"
                                      "      - type: javascript\n"
                                      "        value: JSON.parse(output).color === 'yellow'\n"
                                      "  - vars: {item: Passion fruit}\n"
                                      "    options:\n"
                                      "      transform: JSON.parse(output)\n"
                                      "    assert:\n"
                                      "      - type: javascript\n"
                                      "        value: output.color === 'purple'\n"
                                      "      - type: contains-any\n"
                                      "        transform: output.countries\n"
                                      "        value: [Guatemala, India]\n"
                                      "  - vars: {item: Kiwi}\n"
                                      "    assert:\n"
                                      "      - type: contains\n"
                                      "        transform: 'undefined'\n"
                                      "        value: Kiwi\n";

const std::map<std::string, std::string> k_no_node = {{"PATH", "/nonexistent"},
                                                      {"LLMOPS_NODE", "\x01unset"}};

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::transform a transform that throws or returns nothing is an error") {
        TempDir dir;
        dir.write("promptfooconfig.yaml", k_json_output);
        const auto r = llmops(dir.path(), {"eval", "--json"});
        CHECK(r.exit_code == 3);
        CHECK(counts(r) == std::tuple{0, 1, 2});
        const auto rows = results(dir);
        REQUIRE(rows.size() == 3);
        CHECK(rows[0]["assertions"][1]["reason"].get<std::string>().starts_with(
            "Custom function threw error: Unexpected token 'O'"));
        CHECK(rows[1]["reason"].get<std::string>().starts_with(
            "options.transform: Error: Transform failed ([inline transform]: "
            "JSON.parse(output)): Unexpected token 'O'"));
        CHECK(rows[1]["output"] == "Output a JSON object describing Passion fruit");
        CHECK(rows[2]["reason"] == "contains: transform: Error: Transform function did not "
                                   "return a value ([inline transform]: undefined)");
    }

    TEST_CASE("cli::transform the output stored is what options.transform returned") {
        TempDir dir;
        dir.write("promptfooconfig.yaml",
                  "prompts: ['{\"color\": \"{{color}}\", \"n\": 3}']\nproviders: [echo]\n"
                  "defaultTest:\n  options:\n    transform: JSON.parse(output)\n"
                  "tests:\n  - vars: {color: red}\n"
                  "    assert:\n      - type: javascript\n        value: output.n === 3\n"
                  "      - type: equals\n        value: '{\"color\":\"red\",\"n\":3}'\n"
                  "  - vars: {color: blue}\n    options:\n      transform: output.length\n");
        const auto r = llmops(dir.path(), {"eval", "--json"});
        CHECK(r.exit_code == 0);
        CHECK(counts(r) == std::tuple{2, 0, 0});
        const auto rows = results(dir);
        REQUIRE(rows.size() == 2);
        CHECK(rows[0]["output"] == "{\"color\":\"red\",\"n\":3}");
        CHECK(rows[1]["output"] == "25");
    }

    TEST_CASE("cli::transform bad transforms are refused at load, naming the place") {
        TempDir dir;
        dir.write("qa.yaml", "prompts: ['Hi']\nproviders: [echo]\n"
                             "tests:\n  - options: {transform: file://missing.js}\n"
                             "  - assert: [{type: contains, value: x, transform: ''}]\n");
        const auto r = llmops(dir.path(), {"eval", "qa.yaml", "--validate"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("qa.yaml: tests[0].options.transform: 'transform' file 'missing.js' "
                         "does not exist") != std::string::npos);
        CHECK(r.err.find("qa.yaml: tests[1].assert[0]: 'transform' must be JavaScript code or "
                         "'file://transform.js'") != std::string::npos);
    }

    TEST_CASE("cli::transform without node: a clear error at load, exit 2") {
        TempDir dir;
        dir.write("qa.yaml", "prompts: ['Hi']\nproviders: [echo]\n"
                             "defaultTest: {options: {transform: output.trim()}}\n"
                             "tests:\n  - assert: [{type: contains, value: Hi}]\n");
        const auto r = llmops(dir.path(), {"eval", "qa.yaml", "--validate"}, k_no_node);
        CHECK(r.exit_code == 2);
        CHECK(r.err == "llmops: error: qa.yaml: defaultTest.options.transform: 'transform' needs "
                       "node (apt-get install nodejs)\n");
    }

    TEST_CASE("cli::transform a .json chat with Nunjucks tags is rendered, then read") {
        TempDir dir;
        dir.write("chat.json", "[\n{% if sys %}{\"role\": \"system\", \"content\": \"Be brief\"},"
                               "{% endif %}\n{\"role\": \"user\", \"content\": \"{{ q }}\"}\n]\n");
        dir.write("promptfooconfig.yaml",
                  "prompts: [file://chat.json]\nproviders: [echo]\n"
                  "tests:\n  - vars: {q: 'Who founded Facebook?', sys: true}\n"
                  "    assert: [{type: contains, value: Facebook}]\n");
        CHECK(llmops(dir.path(), {"eval", "--validate"}).exit_code == 0);
        const auto r = llmops(dir.path(), {"eval", "--json"});
        CHECK(r.exit_code == 0);
        CHECK(counts(r) == std::tuple{1, 0, 0});
        const auto prompt = results(dir)[0]["prompt"];
        CHECK(prompt.dump().find("Be brief") != std::string::npos);
        // Broken JSON without Nunjucks tags is refused as before.
        dir.write("chat.json", "[{\"role\": \"user\"");
        const auto bad = llmops(dir.path(), {"eval", "--validate"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.find("'chat.json' must hold a JSON list of {role, content} messages") !=
              std::string::npos);
    }
}

} // namespace llmops::test
