// Suites (SPEC §7): promptfoo's config shape loads unchanged; everything llmops does not support
// is an error naming the key; malformed suites name the file and the place.

#include <algorithm>
#include <functional>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/eval/suite.hpp>
#include <llmops/util/hash.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using namespace llmops;
using nlohmann::json;

namespace {

// Writes `yaml` as qa.yaml in `dir` and loads it.
Expected<eval::Suite> load(const test::TempDir& dir, std::string_view yaml) {
    return eval::load_suite(dir.write("qa.yaml", yaml));
}

eval::Suite suite_of(const test::TempDir& dir, std::string_view yaml) {
    auto suite = load(dir, yaml);
    if (!suite) {
        FAIL(suite.error().message());
    }
    return std::move(*suite);
}

// The cases of `suite`, walked into memory.
std::vector<eval::TestCase> cases_of(const eval::Suite& suite) {
    auto cases = suite.tests.to_vector();
    if (!cases) {
        FAIL(cases.error().message());
    }
    return std::move(*cases);
}

// The error loading `yaml` gives, with the temporary folder taken out of paths.
std::string error_of(const test::TempDir& dir, std::string_view yaml) {
    auto suite = load(dir, yaml);
    REQUIRE_FALSE(suite.has_value());
    std::string message = suite.error().message();
    const std::string prefix = dir.path().string() + "/";
    for (size_t at; (at = message.find(prefix)) != std::string::npos;) {
        message.erase(at, prefix.size());
    }
    return message;
}

// A suite with one prompt, one provider and `rest`.
std::string with(std::string_view rest) {
    return "prompts: ['Say {{x}}']\nproviders: [echo]\n" + std::string(rest);
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::load_suite a promptfoo getting-started config") {
        const std::filesystem::path path =
            std::filesystem::path(LLMOPS_SOURCE_DIR) /
            "tests/data/eval/suites/getting-started/promptfooconfig.yaml";
        auto suite = eval::load_suite(path);
        REQUIRE_OK(suite);
        CHECK(suite->description == "Translate short English phrases");
        REQUIRE(suite->prompts.size() == 2);
        CHECK(suite->prompts[0].kind == eval::PromptEntry::Kind::text);
        CHECK(suite->prompts[0].value == "Convert this English to {{language}}: {{input}}");
        CHECK(suite->prompts[1].where == path.string() + ": prompts[1]");
        REQUIRE(suite->providers.size() == 2);
        CHECK(suite->providers[0].spec.model == "gpt-4o-mini");
        CHECK(suite->providers[1].label == "local-llama");
        CHECK(*suite->providers[1].base_url == "http://localhost:11434/v1");
        CHECK(*suite->providers[1].api_key_env == "LOCAL_LLM_KEY");
        CHECK(*suite->providers[1].params.temperature == 0.0);
        CHECK(suite->warnings.empty());

        REQUIRE(suite->tests.size() == 5); // two inline, three from the CSV
        const auto cases = cases_of(*suite);
        std::vector<std::string> ids;
        for (const auto& c : cases) {
            ids.push_back(c.id);
        }
        REQUIRE(ids.size() == 5);
        CHECK(ids[0] == "French greeting");
        CHECK(ids[2] == "German morning");
        for (const size_t i : {1, 3, 4}) { // no id or description: a digest of the case's vars
            CHECK(ids[i].size() == 12);
            CHECK(ids[i].find_first_not_of("0123456789abcdef") == std::string::npos);
        }
        const auto& french = cases[0];
        REQUIRE(french.asserts.size() == 2); // defaultTest's, then the case's
        CHECK(french.asserts[0].type == "icontains");
        CHECK(french.asserts[0].negate);
        CHECK(french.asserts[1].value == "bonjour");
        const auto& german = cases[2];
        CHECK(german.vars == json{{"language", "German"}, {"input", "Good morning"}});
        REQUIRE(german.asserts.size() == 3);
        CHECK(german.asserts[1].value == "guten morgen");
        CHECK(german.asserts[2].negate);
        CHECK(german.where.ends_with("getting-started/translations.csv:2"));
        CHECK(cases[3].vars["input"] == "Thank you, very much");
        CHECK(cases[4].asserts[1].type == "regex");

        CHECK(suite->repeat == 1);
        CHECK(suite->base_dir == path.parent_path());
        CHECK(suite->hash.size() == 64);
        CHECK(suite->dataset_hash.size() == 64);
        auto again = eval::load_suite(path);
        REQUIRE(again.has_value());
        CHECK(again->dataset_hash == suite->dataset_hash);
    }

    TEST_CASE("eval::load_suite hashes") {
        test::TempDir dir;
        SUBCASE("the suite hash is the SHA-256 of the file's bytes") {
            const std::string yaml = with("tests: [{vars: {x: 1}}]\n");
            CHECK(suite_of(dir, yaml).hash == util::sha256_hex(yaml));
        }
        SUBCASE("the dataset hash is the same for the same cases written as CSV or YAML") {
            dir.write("cases.csv", "x,__expected\nhi,contains: hi\n");
            const auto csv = suite_of(dir, with("tests: file://cases.csv\n"));
            const auto yaml = suite_of(
                dir,
                with("tests:\n  - vars: {x: hi}\n    assert: [{type: contains, value: hi}]\n"));
            CHECK(csv.dataset_hash == yaml.dataset_hash);
            CHECK(csv.hash != yaml.hash);
        }
        SUBCASE("the dataset hash changes with a variable loaded from a file") {
            dir.write("doc.txt", "one");
            const std::string yaml = with("tests: [{vars: {x: 'file://doc.txt'}}]\n");
            const auto before = suite_of(dir, yaml);
            dir.write("doc.txt", "two");
            const auto after = suite_of(dir, yaml);
            CHECK(before.hash == after.hash);
            CHECK(before.dataset_hash != after.dataset_hash);
            CHECK(cases_of(after)[0].vars["x"] == "two");
        }
        SUBCASE("the dataset hash is the SHA-256 of the canonical JSON of the cases") {
            // The definition (suite.hpp), built here with JSON values; load_suite writes the same
            // bytes directly, one case at a time.
            std::function<json(const eval::AssertionSpec&)> spec_json =
                [&](const eval::AssertionSpec& a) {
                    json children = json::array();
                    for (const auto& c : a.children) {
                        children.push_back(spec_json(c));
                    }
                    return json{{"type", a.type},
                                {"negate", a.negate},
                                {"value", a.value},
                                {"threshold", a.threshold ? json(*a.threshold) : json()},
                                {"weight", a.weight},
                                {"metric", a.metric},
                                {"config", a.config},
                                {"children", children}};
                };
            const auto s = suite_of(
                dir, with("defaultTest: {assert: [{type: icontains, value: d, metric: m}]}\n"
                          "tests:\n"
                          "  - vars: {x: \"h\\u00e9 \\\"q\\\"\", n: 2.5, list: [1, {a: null}]}\n"
                          "    threshold: 0.75\n"
                          "    assert:\n"
                          "      - type: assert-set\n"
                          "        threshold: 0.5\n"
                          "        weight: 2\n"
                          "        assert: [{type: not-contains, value: x}, {type: levenshtein, "
                          "value: ab, threshold: 3}]\n"
                          "  - {id: second, vars: {x: 1}}\n"));
            json all = json::array();
            for (const auto& c : cases_of(s)) {
                json asserts = json::array();
                for (const auto& a : c.asserts) {
                    asserts.push_back(spec_json(a));
                }
                all.push_back({{"id", c.id},
                               {"vars", c.vars},
                               {"assert", asserts},
                               {"threshold", c.threshold ? json(*c.threshold) : json()}});
            }
            CHECK(all.size() == 2);
            CHECK(s.dataset_hash == util::sha256_hex(all.dump()));
        }
    }

    TEST_CASE("eval::load_suite prompts") {
        test::TempDir dir;
        dir.write("prompts/triage.txt", "Triage: {{ticket}}");
        dir.write("chat.json", R"([{"role": "user", "content": "{{q}}"}])");
        SUBCASE("store refs, files, inline text and promptfoo's map forms") {
            auto s = suite_of(dir, "prompts:\n"
                                   "  - support/triage@production\n"
                                   "  - summarize@3\n"
                                   "  - file://prompts/triage.txt\n"
                                   "  - prompts/triage.txt\n"
                                   "  - 'Answer: {{q}}'\n"
                                   "  - {id: 'file://chat.json', label: chat}\n"
                                   "  - {raw: 'Hi {{name}}', label: greeting}\n"
                                   "providers: echo\n");
            const auto& p = s.prompts;
            REQUIRE(p.size() == 7);
            CHECK(p[0].kind == eval::PromptEntry::Kind::store_ref);
            CHECK(p[0].value == "support/triage@production");
            CHECK(p[1].kind == eval::PromptEntry::Kind::store_ref);
            CHECK(p[2].kind == eval::PromptEntry::Kind::file);
            CHECK(p[2].value == (dir.path() / "prompts/triage.txt").string());
            CHECK(p[3].kind ==
                  eval::PromptEntry::Kind::file); // promptfoo reads paths without file://
            CHECK(p[4].kind == eval::PromptEntry::Kind::text);
            CHECK(p[5].label == "chat");
            CHECK(p[5].kind == eval::PromptEntry::Kind::file);
            CHECK(p[6].kind == eval::PromptEntry::Kind::text);
            CHECK(p[6].value == "Hi {{name}}");
            CHECK(p[6].label == "greeting");
            CHECK(p[6].where.ends_with("qa.yaml: prompts[6]"));
        }
        SUBCASE("one string, and promptfoo's legacy map of path to label") {
            CHECK(suite_of(dir, "prompts: 'Hi {{x}}'\nproviders: echo\n").prompts.size() == 1);
            auto s =
                suite_of(dir, "prompts: {'file://prompts/triage.txt': triage}\nproviders: echo\n");
            CHECK(s.prompts[0].label == "triage");
        }
        SUBCASE("errors name the prompt") {
            CHECK(error_of(dir, "prompts: ['file://missing.txt']\nproviders: echo\n") ==
                  "qa.yaml: prompts[0]: 'file://missing.txt' does not exist");
            CHECK(error_of(dir, "prompts: [missing.md]\nproviders: echo\n") ==
                  "qa.yaml: prompts[0]: 'missing.md' does not exist");
            CHECK(error_of(dir, "prompts: ['file://nowhere/*.txt']\nproviders: echo\n") ==
                  "qa.yaml: prompts[0]: 'file://nowhere/*.txt' matches no file");
            CHECK(error_of(dir, "prompts: ['file://make.py:prompt']\nproviders: echo\n") ==
                  "qa.yaml: prompts[0]: 'file://make.py:prompt': promptfoo's prompt functions "
                  "(Python, JavaScript) are not supported; write the prompt in a file");
            CHECK(error_of(dir, "prompts: ['file://p.jinja']\nproviders: echo\n") ==
                  "qa.yaml: prompts[0]: 'file://p.jinja': Jinja templates are not supported "
                  "(name Nunjucks files .njk or .j2)");
            CHECK(error_of(dir,
                           "prompts: [{raw: hi, config: {temperature: 0}}]\nproviders: echo\n") ==
                  "qa.yaml: prompts[0]: promptfoo's 'config' is not supported (put parameters in "
                  "the prompt file's config or the provider's)");
            CHECK(error_of(dir, "prompts: [{lable: x, raw: hi}]\nproviders: echo\n") ==
                  "qa.yaml: prompts[0]: unknown key 'lable' (did you mean 'label'?)");
            CHECK(error_of(dir, "prompts: ['  ']\nproviders: echo\n") ==
                  "qa.yaml: prompts[0]: the prompt is empty");
            CHECK(error_of(dir, "prompts: []\nproviders: echo\n") == "qa.yaml: 'prompts' is empty");
            dir.write("blank.txt", "\n  \n---\n\n");
            CHECK(error_of(dir, "prompts: ['file://blank.txt']\nproviders: echo\n") ==
                  "qa.yaml: prompts[0]: 'file://blank.txt' holds no prompt");
            CHECK(error_of(dir, "prompts: 3\nproviders: echo\n") ==
                  "qa.yaml: 'prompts' must be a list or a string, not a number");
            CHECK(error_of(dir, "providers: echo\n") == "qa.yaml: a suite needs 'prompts'");
        }
    }

    TEST_CASE("eval::split_text_prompts and .txt files of several prompts") {
        using eval::split_text_prompts;
        CHECK(split_text_prompts("First {{x}}\n---\nSecond {{x}}\n") ==
              std::vector<std::string>{"First {{x}}", "Second {{x}}"});
        // A line that is `---` once trimmed, CRLF too; parts trimmed, empty ones left out.
        CHECK(split_text_prompts("\n  A\r\n  ---  \r\n\n---\nB\n\n") ==
              std::vector<std::string>{"A", "B"});
        // `---` inside a line is text; a file without the line is one prompt, trimmed.
        CHECK(split_text_prompts("a --- b\n\n") == std::vector<std::string>{"a --- b"});
        CHECK(split_text_prompts("\n\n").empty());

        test::TempDir dir;
        dir.write("several.txt", "First {{x}}\n---\nSecond {{x}}\nline two\n");
        dir.write("qa.yaml", "prompts: ['file://several.txt', {raw: 'file://several.txt', "
                             "label: mine}]\nproviders: echo\n");
        auto suite = eval::load_suite(dir.path() / "qa.yaml");
        REQUIRE(suite);
        REQUIRE(suite->prompts.size() == 4);
        CHECK(suite->prompts[0].part == 0);
        CHECK(suite->prompts[1].part == 1);
        // promptfoo's labels: "path: text" (after the given label).
        CHECK(suite->prompts[0].label == "several.txt: First {{x}}");
        CHECK(suite->prompts[1].label == "several.txt: Second {{x}}\nline two");
        CHECK(suite->prompts[3].label == "mine: several.txt: Second {{x}}\nline two");
        CHECK(suite->prompts[1].where.ends_with("qa.yaml: prompts[0] (prompt 2 of 2)"));
    }

    TEST_CASE("eval::load_suite providers") {
        test::TempDir dir;
        SUBCASE("a string, a list, promptfoo's {id: config} form and 'targets'") {
            CHECK(suite_of(dir, "prompts: hi\nproviders: echo\n").providers.size() == 1);
            auto s = suite_of(dir, "prompts: hi\nproviders:\n  - echo\n"
                                   "  - 'openai:gpt-4o': {config: {temperature: 0.5}}\n");
            REQUIRE(s.providers.size() == 2);
            CHECK(s.providers[1].spec.model == "gpt-4o");
            CHECK(*s.providers[1].params.temperature == 0.5);
            CHECK(suite_of(dir, "prompts: hi\ntargets: [echo]\n").providers.size() == 1);
        }
        SUBCASE("a literal apiKey is accepted with the provider's warning") {
            auto s = suite_of(dir, "prompts: hi\nproviders:\n  - id: openai:gpt-4o\n"
                                   "    config: {apiKey: sk-test-123}\n");
            REQUIRE(s.warnings.size() == 1);
            CHECK(s.warnings[0].find("qa.yaml: providers[0]: 'apiKey'") != std::string::npos);
        }
        SUBCASE("errors name the provider") {
            CHECK(error_of(dir, "prompts: hi\nproviders:\n  - echo\n"
                                "  - {id: openai:gpt-4o, config: {temprature: 1}}\n") ==
                  "qa.yaml: providers[1]: unknown key 'temprature' (did you mean 'temperature'?)");
            CHECK(error_of(dir, "prompts: hi\nproviders: ['file://provider.js']\n") ==
                  "qa.yaml: providers[0]: 'file://provider.js': promptfoo's providers loaded from "
                  "files are not supported (use exec: or http)");
            CHECK(error_of(dir, "prompts: hi\nproviders: [echo]\ntargets: [echo]\n") ==
                  "qa.yaml: 'providers' and 'targets' are both set; keep one");
            CHECK(error_of(dir, "prompts: hi\nproviders: {id: echo}\n") ==
                  "qa.yaml: 'providers' must be a list or a string, not a map");
            CHECK(error_of(dir, "prompts: hi\nproviders: []\n") == "qa.yaml: 'providers' is empty");
            CHECK(error_of(dir, "prompts: hi\n") == "qa.yaml: a suite needs 'providers'");
            CHECK(error_of(dir, "prompts: hi\nproviders: [{config: {temperature: 0}}]\n") ==
                  "qa.yaml: providers[0]: a provider needs an 'id'");
        }
    }

    TEST_CASE("eval::load_suite top-level keys") {
        test::TempDir dir;
        SUBCASE("repeat, threshold and evaluateOptions") {
            auto s = suite_of(
                dir, with("repeat: 3\nthreshold: 0.9\nevaluateOptions: {maxConcurrency: 8}\n"));
            CHECK(s.repeat == 3);
            CHECK(*s.threshold == 0.9);
            CHECK(*s.max_concurrency == 8);
            CHECK(suite_of(dir, with("evaluateOptions: {repeat: 2}\n")).repeat == 2);
        }
        SUBCASE("unknown and unsupported keys are errors naming the key") {
            CHECK(error_of(dir, "promts: [hi]\nproviders: [echo]\n") ==
                  "qa.yaml: unknown key 'promts' (did you mean 'prompts'?)\n"
                  "qa.yaml: a suite needs 'prompts'");
            CHECK(error_of(dir, with("sharing: true\n")) ==
                  "qa.yaml: promptfoo's 'sharing' is not supported by llmops; remove it");
            CHECK(error_of(dir, with("scenarios: []\n")) ==
                  "qa.yaml: promptfoo's 'scenarios' is not supported by llmops; remove it");
            CHECK(error_of(dir, with("evaluateOptions: {cache: false}\n")) ==
                  "qa.yaml: promptfoo's 'evaluateOptions.cache' is not supported (use --no-cache)");
            CHECK(error_of(dir, with("evaluateOptions: {maxConcurency: 2}\n")) ==
                  "qa.yaml: unknown key 'evaluateOptions.maxConcurency' (did you mean "
                  "'evaluateOptions.maxConcurrency'?)");
        }
        SUBCASE("wrong types") {
            CHECK(error_of(dir, with("repeat: '3'\n")) ==
                  "qa.yaml: 'repeat' must be a whole number of at least 1");
            CHECK(error_of(dir, with("repeat: 0\n")) ==
                  "qa.yaml: 'repeat' must be a whole number of at least 1");
            CHECK(error_of(dir, with("threshold: 80\n")) ==
                  "qa.yaml: 'threshold' must be a number from 0 to 1 (the least pass rate)");
            CHECK(error_of(dir, with("repeat: 2\nevaluateOptions: {repeat: 2}\n")) ==
                  "qa.yaml: 'repeat' and 'evaluateOptions.repeat' are both set; keep one");
            CHECK(error_of(dir, with("description: [a]\n")) ==
                  "qa.yaml: 'description' must be a string, not a list");
            CHECK(
                error_of(dir, "- prompts\n") ==
                "qa.yaml: a suite must be a map (description, prompts, providers, tests, ...), not "
                "a list");
            CHECK(error_of(dir, "# nothing\n") == "qa.yaml: the suite is empty");
        }
        SUBCASE("YAML errors keep their line and column") {
            CHECK(error_of(dir, "prompts: [hi\nproviders: echo\n") ==
                  "qa.yaml:2:10: end of sequence flow not found");
            CHECK(error_of(dir, "prompts: hi\nprompts: ho\nproviders: echo\n") ==
                  "qa.yaml:2:1: duplicate key 'prompts'");
        }
        SUBCASE("a missing suite is not_found") {
            auto missing = eval::load_suite(dir / "nope.yaml");
            REQUIRE_FALSE(missing.has_value());
            CHECK(missing.error().code() == ErrorCode::not_found);
        }
    }

    TEST_CASE("eval::load_suite tests") {
        test::TempDir dir;
        SUBCASE("without tests the prompts run once, as in promptfoo") {
            auto s = suite_of(dir, with("vars: {x: 1}\n"));
            REQUIRE(s.tests.size() == 1);
            const auto cases = cases_of(s);
            CHECK(cases[0].id == "44136fa355b3"); // the digest of "{}": no variables of its own
            CHECK(cases[0].vars == json{{"x", 1}});
        }
        SUBCASE("inline tests and files mix in one list") {
            dir.write("data/more.jsonl", R"({"vars": {"x": "from jsonl"}})");
            auto s = suite_of(
                dir, with("tests:\n  - {id: first, vars: {x: 1}}\n  - file://data/more.jsonl\n"));
            REQUIRE(s.tests.size() == 2);
            const auto cases = cases_of(s);
            CHECK(cases[0].id == "first");
            CHECK(cases[1].vars["x"] == "from jsonl");
            CHECK(cases[1].where == (dir.path() / "data/more.jsonl").string() + ":1");
            CHECK(cases[1].position == 1);
        }
        SUBCASE("a missing, globbed, generated or remote dataset is refused plainly") {
            CHECK(error_of(dir, with("tests: file://missing.csv\n")) ==
                  "qa.yaml: tests: 'file://missing.csv' does not exist");
            CHECK(error_of(dir, with("tests: [{vars: {x: 1}}, 'file://missing.csv']\n")) ==
                  "qa.yaml: tests[1]: 'file://missing.csv' does not exist");
            CHECK(error_of(dir, with("tests: 'file://cases/*.yaml'\n")) ==
                  "qa.yaml: tests: 'file://cases/*.yaml' matches no file");
            CHECK(
                error_of(dir, with("tests: 'file://gen.py:make_tests'\n")) ==
                "qa.yaml: tests: 'file://gen.py:make_tests': promptfoo's test generators (Python, "
                "JavaScript) are not supported; write the cases to a file (CSV, JSONL, JSON or "
                "YAML)");
            CHECK(
                error_of(dir, with("tests: 'huggingface://datasets/x/y'\n")) ==
                "qa.yaml: tests: 'huggingface://datasets/x/y': promptfoo's remote datasets are not "
                "supported; download the file");
            CHECK(error_of(dir, with("tests: []\n")) == "qa.yaml: tests: the list is empty");
            CHECK(error_of(dir, with("tests: {vars: {}}\n")) ==
                  "qa.yaml: 'tests' must be a list or a file:// path, not a map");
        }
        SUBCASE("errors in a dataset name the dataset's file and line") {
            dir.write("evals/cases.csv", "x,y\n1,2\n3\n");
            dir.write("evals/qa.yaml", with("tests: file://cases.csv\n"));
            auto s = eval::load_suite(dir / "evals/qa.yaml");
            REQUIRE_FALSE(s.has_value());
            CHECK(s.error().message() == (dir.path() / "evals/cases.csv").string() +
                                             ":3: row has 1 field, the header has 2");
            dir.write("evals/empty.csv", "x\n");
            dir.write("evals/qa.yaml", with("tests: file://empty.csv\n"));
            auto empty = eval::load_suite(dir / "evals/qa.yaml");
            REQUIRE_FALSE(empty.has_value());
            CHECK(empty.error().message() ==
                  (dir.path() / "evals/empty.csv").string() + ": the dataset is empty");
        }
    }

    TEST_CASE("eval::load_suite nesting") {
        // A 200 KB line nested 100,000 deep once overflowed the stack hashing the cases.
        test::TempDir dir;
        const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
        SUBCASE("a JSONL dataset line: its file and line, before any case is hashed") {
            dir.write("cases.jsonl", "{\"vars\": {\"x\": 1}}\n" + deep + "\n");
            CHECK(error_of(dir, with("tests: file://cases.jsonl\n")) ==
                  "cases.jsonl:2:513: nesting deeper than 512 levels");
        }
        SUBCASE("a YAML dataset and the suite itself") {
            dir.write("cases.yaml", "- vars: {x: " + deep + "}\n");
            CHECK(error_of(dir, with("tests: file://cases.yaml\n")) ==
                  "cases.yaml:1:508: nesting deeper than 498 levels");
            CHECK(error_of(dir, with("tests:\n  - vars: {x: " + deep + "}\n")) ==
                  "qa.yaml:4:509: nesting deeper than 498 levels");
        }
        SUBCASE("a YAML variable file") {
            dir.write("deep.yaml", "x: " + deep + "\n");
            CHECK(error_of(dir, with("tests:\n  - vars: {x: file://deep.yaml}\n")) ==
                  "qa.yaml: tests[0].vars.x: deep.yaml:1:501: nesting deeper than 498 levels");
        }
    }

    TEST_CASE("eval::load_suite test cases") {
        test::TempDir dir;
        SUBCASE("wrong types name the test and the key") {
            CHECK(error_of(dir, with("tests: [{vars: [x]}]\n")) ==
                  "qa.yaml: tests[0]: 'vars' must be a map, not a list");
            CHECK(error_of(dir, with("tests: [{assert: {type: equals}}]\n")) ==
                  "qa.yaml: tests[0]: 'assert' must be a list, not a map");
            CHECK(error_of(dir, with("tests: [{threshold: high}]\n")) ==
                  "qa.yaml: tests[0]: 'threshold' must be a number from 0 to 1");
            CHECK(error_of(dir, with("tests: [{description: 5}]\n")) ==
                  "qa.yaml: tests[0]: 'description' must be a string, not a number");
            CHECK(error_of(dir, with("tests: [hello world]\n")) ==
                  "qa.yaml: tests[0]: 'hello world' does not exist");
            CHECK(error_of(dir, with("tests: [[1]]\n")) ==
                  "qa.yaml: tests[0]: a test case must be a map, not a list");
        }
        SUBCASE("an unknown assertion type says what was meant") {
            CHECK(error_of(dir, with("tests:\n  - vars: {x: 1}\n  - assert:\n"
                                     "      - type: contains\n        value: a\n"
                                     "      - type: containz\n        value: b\n")) ==
                  "qa.yaml: tests[1].assert[1]: unknown assertion type 'containz' (did you mean "
                  "'contains'?)");
        }
        SUBCASE("unknown and unsupported keys name the key") {
            CHECK(error_of(dir, with("tests: [{asert: []}]\n")) ==
                  "qa.yaml: tests[0]: unknown key 'asert' (did you mean 'assert'?)");
            CHECK(error_of(dir, with("tests: [{question: hi}]\n")) ==
                  "qa.yaml: tests[0]: unknown key 'question' (variables go under 'vars')");
            CHECK(error_of(dir, with("tests: [{providerOutput: hi}]\n")) ==
                  "qa.yaml: tests[0]: promptfoo's 'providerOutput' is not supported by llmops; "
                  "remove it");
            CHECK(error_of(dir, with("tests: [{transform: 'output.trim()'}]\n")) ==
                  "qa.yaml: tests[0]: promptfoo's 'transform' is not supported (a test's "
                  "transform is written 'options: {transform: ...}')");
            CHECK(error_of(dir, with("tests: [{options: {transformVars: 'vars'}}]\n")) ==
                  "qa.yaml: tests[0]: promptfoo's 'options.transformVars' is not supported by "
                  "llmops; remove it");
            CHECK(error_of(dir, with("tests: [{options: {transform: 3}}]\n")) ==
                  "qa.yaml: tests[0].options.transform: 'transform' must be JavaScript code or "
                  "'file://transform.js'");
            CHECK(error_of(dir, with("tests: [{options: {transform: 'file://t.py'}}]\n")) ==
                  "qa.yaml: tests[0].options.transform: 'transform' file 't.py' is not a .js, "
                  ".cjs or .mjs file");
            CHECK(
                error_of(dir, with("tests: [{options: {provider: echo}}]\n")) ==
                "qa.yaml: tests[0]: 'options.provider' is only supported in defaultTest (one judge "
                "for every case)");
            CHECK(error_of(dir, with("tests: [{options: {disableVarExpansion: yes}}]\n")) ==
                  "qa.yaml: tests[0]: 'options.disableVarExpansion' must be true or false");
            CHECK(
                error_of(dir, with("tests: [{vars: {x: 1, assert: []}}]\n")) ==
                "qa.yaml: tests[0]: 'assert' is inside 'vars'; assertions go beside 'vars', not in "
                "it");
        }
        SUBCASE("duplicate ids name both places, across files") {
            dir.write("cases.csv", "x,__id\n1,greet\n");
            CHECK(error_of(dir,
                           with("tests:\n  - {id: greet, vars: {x: 0}}\n  - file://cases.csv\n")) ==
                  "cases.csv:2: duplicate case id 'greet' (also qa.yaml: tests[0]); give each case "
                  "its own 'id'");
        }
    }

    TEST_CASE("eval::load_suite defaults") {
        test::TempDir dir;
        SUBCASE("defaultTest, then the suite's vars and assert, then the case's") {
            auto s = suite_of(dir, with("defaultTest:\n"
                                        "  vars: {x: default, y: default}\n"
                                        "  assert: [{type: contains, value: d}]\n"
                                        "  threshold: 0.5\n"
                                        "  metadata: {team: support, tier: 1}\n"
                                        "vars: {y: suite, z: suite}\n"
                                        "assert: [{type: contains, value: s}]\n"
                                        "tests:\n"
                                        "  - vars: {z: case}\n"
                                        "    metadata: {tier: 2}\n"
                                        "    assert: [{type: contains, value: c}]\n"
                                        "  - threshold: 1\n"
                                        "    options: {disableDefaultAsserts: true}\n"));
            const auto cases = cases_of(s);
            const auto& a = cases[0];
            CHECK(a.vars == json{{"x", "default"}, {"y", "suite"}, {"z", "case"}});
            REQUIRE(a.asserts.size() == 3);
            CHECK(a.asserts[0].value == "d");
            CHECK(a.asserts[1].value == "s");
            CHECK(a.asserts[1].where.ends_with("qa.yaml: assert[0]"));
            CHECK(a.asserts[2].value == "c");
            CHECK(*a.threshold == 0.5);
            CHECK(a.metadata == json{{"team", "support"}, {"tier", 2}});
            CHECK(cases[1].asserts.empty());
            CHECK(*cases[1].threshold == 1.0);
        }
        SUBCASE("defaultTest.options.provider is the judge") {
            auto s =
                suite_of(dir, with("defaultTest:\n  options:\n    provider: openai:gpt-4o-mini\n"));
            REQUIRE(s.judge.has_value());
            CHECK(s.judge->spec.model == "gpt-4o-mini");
            CHECK(error_of(dir, with("defaultTest: {options: {provider: gpt4}}\n")) ==
                  "qa.yaml: defaultTest.options.provider: unknown provider 'gpt4'");
        }
        SUBCASE("defaultTest from a file") {
            dir.write("defaults.yaml", "vars: {x: from-file}\n");
            auto s = suite_of(dir, with("defaultTest: file://defaults.yaml\ntests: [{}]\n"));
            CHECK(cases_of(s)[0].vars["x"] == "from-file");
            dir.write("defaults.yaml", "asert: []\n");
            CHECK(error_of(dir, with("defaultTest: file://defaults.yaml\n")) ==
                  "defaults.yaml: unknown key 'asert' (did you mean 'assert'?)");
            CHECK(error_of(dir, with("defaultTest: file://nope.yaml\n")) ==
                  "qa.yaml: defaultTest: 'file://nope.yaml' does not exist");
        }
        SUBCASE("errors in defaults name where they are") {
            CHECK(error_of(dir, with("defaultTest: {description: x}\n")) ==
                  "qa.yaml: defaultTest: 'description' belongs in a test, not in defaultTest");
            CHECK(error_of(dir, with("defaultTest: [x]\n")) ==
                  "qa.yaml: 'defaultTest' must be a map, not a list");
            CHECK(error_of(dir, with("defaultTest: {assert: [{type: equal, value: x}]}\n")) ==
                  "qa.yaml: defaultTest.assert[0]: unknown assertion type 'equal' (did you mean "
                  "'equals'?)");
            CHECK(error_of(dir, with("vars: [x]\n")) ==
                  "qa.yaml: 'vars' must be a map, not a list");
            CHECK(error_of(dir, with("options: {rubricPrompt: ''}\n")) ==
                  "qa.yaml: options.rubricPrompt: must be the judge prompt's text, a file:// path "
                  "or a list of messages");
        }
    }

    TEST_CASE("eval::load_suite promptfoo parity") {
        test::TempDir dir;
        SUBCASE("every problem is reported, up to 20, then counted") {
            CHECK(error_of(dir, "prompts: [hi there]\nproviders: [echo, 'bogus:x']\nsharing: "
                                "true\ntests:\n  - {vars: {x: 1}, threshold: 2}\n") ==
                  "qa.yaml: promptfoo's 'sharing' is not supported by llmops; remove it\n"
                  "qa.yaml: providers[1]: unknown provider 'bogus:x'\n"
                  "qa.yaml: tests[0]: 'threshold' must be a number from 0 to 1");
            std::string many = with("tests:\n");
            for (int i = 0; i < 23; ++i) {
                many += "  - {threshold: 2}\n";
            }
            const std::string message = error_of(dir, many);
            CHECK(std::count(message.begin(), message.end(), '\n') == 20);
            CHECK(message.ends_with("\nand 3 more problem(s)"));
        }
        SUBCASE("assertionTemplates through $ref, keys beside it kept") {
            auto s = suite_of(dir, with("assertionTemplates:\n  short: {type: contains, value: a}\n"
                                        "tests:\n  - assert:\n      - $ref: "
                                        "'#/assertionTemplates/short'\n        value: b\n"));
            const auto c = cases_of(s);
            REQUIRE(c[0].asserts.size() == 1);
            CHECK(c[0].asserts[0].type == "contains");
            CHECK(c[0].asserts[0].value == "b");
            CHECK(error_of(dir, with("tests: [{assert: [{$ref: '#/assertionTemplates/no'}]}]\n")) ==
                  "qa.yaml: tests[0].assert[0]: '$ref' '#/assertionTemplates/no' points at "
                  "nothing");
            CHECK(error_of(dir, with("tests: [{assert: [{$ref: 'other.yaml#/x'}]}]\n")) ==
                  "qa.yaml: tests[0].assert[0]: '$ref' must point into the suite "
                  "(\"#/assertionTemplates/name\"); references to other files are not supported");
        }
        SUBCASE("tests: a glob of files, read in sorted order") {
            dir.write("cases/b.yaml", "- vars: {x: b}\n");
            dir.write("cases/a.jsonl", "{\"vars\": {\"x\": \"a\"}}\n");
            dir.write("cases/c.yaml", "- vars: {x: c}\n");
            const auto c = cases_of(suite_of(dir, with("tests: ['file://cases/[ab]*', "
                                                       "'file://cases/c.*']\n")));
            REQUIRE(c.size() == 3);
            CHECK(c[0].vars["x"] == "a");
            CHECK(c[1].vars["x"] == "b");
            CHECK(c[2].vars["x"] == "c");
        }
        SUBCASE("outputPath, a path or a list") {
            CHECK(suite_of(dir, with("outputPath: out.json\n")).output_paths ==
                  std::vector<std::string>{"out.json"});
            CHECK(suite_of(dir, with("outputPath: [a.csv, b.html]\n")).output_paths ==
                  std::vector<std::string>{"a.csv", "b.html"});
        }
        SUBCASE("--var is over defaultTest.vars, under a case's own") {
            eval::LoadOptions options;
            options.vars["x"] = "cli";
            auto s = eval::load_suite(dir.write("qa.yaml", with("defaultTest: {vars: {x: d}}\n"
                                                                "tests: [{}, {vars: {x: own}}]\n")),
                                      options);
            REQUIRE(s.has_value());
            const auto c = cases_of(*s);
            CHECK(c[0].vars["x"] == "cli");
            CHECK(c[1].vars["x"] == "own");
        }
        SUBCASE("rubricPrompt: the judge prompt of the model-graded assertions that name none") {
            dir.write("rubric.txt", "Grade {{output}} by {{rubric}}\n");
            auto s = suite_of(
                dir, with("defaultTest:\n  options: {rubricPrompt: file://rubric.txt}\n"
                          "tests:\n  - assert:\n      - {type: llm-rubric, value: ok}\n"
                          "      - {type: llm-rubric, value: ok, config: {prompt: judge/mine}}\n"
                          "      - {type: contains, value: ok}\n"));
            const auto c = cases_of(s);
            CHECK(c[0].asserts[0].config["prompt"] ==
                  "rubricPrompt:Grade {{output}} by {{rubric}}");
            CHECK(c[0].asserts[1].config["prompt"] == "judge/mine");
            CHECK_FALSE(c[0].asserts[2].config.contains("prompt"));
        }
    }

} // TEST_SUITE
