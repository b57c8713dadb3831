// `llmops schema suite`: the suite's JSON Schema, checked with Python's jsonschema (Debian's
// python3-jsonschema, scripts/setup.sh --tests) against every shipped suite, the starters of
// `init --template`, and broken suites it must reject; and against the loader's own key checks.

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/util/files.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/yaml.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace llmops::test {

namespace {

// Validates each JSON file against the schema file (after checking the schema against the
// draft 2020-12 meta-schema); prints "<file>: ok" or "<file>: invalid: <errors, sorted>".
constexpr const char* k_validator = R"(
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(json.load(open(path))))
    messages = sorted(e.message[:200] for e in errors)
    print(path + ": " + ("ok" if not errors else "invalid: " + " | ".join(messages)))
)";

// The schema `llmops schema suite` prints, written to `dir`/schema.json.
fs::path write_schema(const TempDir& dir) {
    const auto r = llmops(dir.path(), {"schema", "suite"});
    REQUIRE(r.exit_code == 0);
    return dir.write("schema.json", r.out);
}

// The verdict of the schema on each of `suites` (YAML texts by name): "ok" or "invalid: ...".
// Each is read as llmops reads it (YAML 1.2) and handed to Python as JSON.
std::map<std::string, std::string> check(const TempDir& dir,
                                         const std::map<std::string, std::string>& suites) {
    std::vector<std::string> argv{"python3", "-c", k_validator, write_schema(dir).string()};
    std::map<std::string, std::string> by_file;
    for (const auto& [name, text] : suites) {
        auto doc = util::parse_yaml(text, name);
        REQUIRE_MESSAGE(doc.has_value(), name);
        const std::string file = fmt::format("json/{}.json", by_file.size());
        argv.push_back(dir.write(file, doc->dump()).string());
        by_file[argv.back()] = name;
    }
    RunOptions options;
    options.cwd = dir.path();
    const auto r = run_program(argv, options);
    REQUIRE_MESSAGE(r.exit_code == 0,
                    "python3 with jsonschema (scripts/setup.sh --tests): ", r.err);
    std::map<std::string, std::string> verdicts;
    for (const auto& line : util::split(r.out, '\n')) {
        const size_t colon = line.find(": ");
        if (colon != std::string::npos) {
            verdicts[by_file.at(line.substr(0, colon))] = line.substr(colon + 2);
        }
    }
    return verdicts;
}

// Every YAML file under the shipped folders that is a suite (a map with `prompts`; datasets,
// prompt files and CI configs are not), by path from the repository.
std::map<std::string, std::string> shipped_suites() {
    const fs::path root = LLMOPS_SOURCE_DIR;
    std::map<std::string, std::string> suites;
    for (const char* folder : {"evals", "examples", "tests/data/promptfoo"}) {
        for (const auto& entry : fs::recursive_directory_iterator(root / folder)) {
            const auto ext = entry.path().extension();
            if (!entry.is_regular_file() || (ext != ".yaml" && ext != ".yml")) {
                continue;
            }
            const std::string text = util::read_file(entry.path()).value_or("");
            const auto doc = util::parse_yaml(text, entry.path().string());
            if (doc && doc->is_object() && doc->contains("prompts")) {
                suites[fs::relative(entry.path(), root).string()] = text;
            }
        }
    }
    return suites;
}

// A suite on the echo provider with `rest` added.
std::string suite_with(const std::string& rest) {
    return "prompts: ['Say {{word}}']\nproviders: [echo]\nvars: {word: hi}\n" + rest;
}

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::schema suite") {
        TempDir dir;
        SUBCASE("prints a draft 2020-12 schema on stdout") {
            const auto r = llmops(dir.path(), {"schema", "suite"});
            CHECK(r.exit_code == 0);
            CHECK(r.err == "");
            const json schema = json::parse(r.out);
            CHECK(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema");
            // prompts are required but in a suite over production calls (tests: {traces}).
            CHECK(schema["allOf"][0]["anyOf"][0]["required"] == json::array({"prompts"}));
            CHECK(schema["allOf"][0]["anyOf"][1]["properties"]["tests"]["required"] ==
                  json::array({"traces"}));
            const json& types = schema["$defs"]["assertion"]["properties"]["type"]["enum"];
            for (const char* type : {"contains", "not-contains", "llm-rubric", "context-recall",
                                     "not-contains-canary", "assert-set"}) {
                CAPTURE(type);
                CHECK(std::find(types.begin(), types.end(), type) != types.end());
            }
            CHECK(std::find(types.begin(), types.end(), "not-assert-set") == types.end());
        }
        SUBCASE("an unknown kind is one line naming the kinds") {
            const auto r = llmops(dir.path(), {"schema", "suit"});
            CHECK(r.exit_code == 2);
            CHECK(r.out == "");
            CHECK(r.err == "llmops: error: unknown schema 'suit' (expected suite) (did you mean "
                           "'suite'?)\n");
        }
        SUBCASE("the kind is required") {
            const auto r = llmops(dir.path(), {"schema"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: kind is required; usage: llmops schema [OPTIONS] kind "
                           "(see 'llmops schema --help')\n");
        }
    }

    TEST_CASE("cli::schema accepts every shipped suite") {
        TempDir dir;
        auto suites = shipped_suites();
        CHECK(suites.size() >= 20);
        // The starters of `init --template`.
        for (const char* name : {"eval", "rag"}) {
            TempDir project;
            REQUIRE(llmops(project.path(), {"init", "--template", name}).exit_code == 0);
            for (const auto& entry : fs::recursive_directory_iterator(project / "evals")) {
                if (entry.path().filename() == "suite.yaml") {
                    suites[fmt::format("init --template {}", name)] =
                        util::read_file(entry.path()).value();
                }
            }
        }
        REQUIRE(suites.count("init --template rag") == 1);
        for (const auto& [name, verdict] : check(dir, suites)) {
            CAPTURE(name);
            if (name == "tests/data/promptfoo/parity-errors.yaml") {
                // Its five problems on purpose: among them an unknown key and provider.
                CHECK(verdict.starts_with("invalid: "));
                CHECK(verdict.find("Additional properties are not allowed ('promts' was "
                                   "unexpected)") != std::string::npos);
                CHECK(verdict.find("'nosuch:model'") != std::string::npos);
            } else {
                CHECK(verdict == "ok");
            }
        }
    }

    TEST_CASE("cli::schema rejects broken suites") {
        TempDir dir;
        const std::map<std::string, std::string> broken = {
            {"unknown assertion type",
             suite_with("tests:\n  - vars: {word: hi}\n    assert: [{type: containz, value: "
                        "hi}]\n")},
            {"tests a map", suite_with("tests:\n  vars: {word: hi}\n")},
            {"tests a number", suite_with("tests: 3\n")},
            {"production calls without their prompt", "tests: {traces: {since: 24h}}\n"},
            {"production calls with an unknown key",
             "tests: {traces: {prompt: a, sample: 5, stratify: model}}\n"},
            {"an empty tests list", suite_with("tests: []\n")},
            {"no providers", "prompts: [hi]\n"},
            {"providers and targets", suite_with("targets: [echo]\n")},
            {"an unknown provider", "prompts: [hi]\nproviders: ['nosuch:model']\n"},
            {"promptfoo's scenarios", suite_with("scenarios: []\n")},
            {"latency without its threshold", suite_with("assert: [{type: latency}]\n")},
            {"a value for a type that takes none",
             suite_with("assert: [{type: is-refusal, value: x}]\n")},
            {"a negated assert-set",
             suite_with("assert: [{type: not-assert-set, assert: [{type: is-json}]}]\n")},
            {"a case threshold above 1", suite_with("tests: [{vars: {word: a}, threshold: 7}]\n")},
            {"an assertion inside vars", suite_with("tests: [{vars: {assert: []}}]\n")},
            {"an unknown config key of an API provider",
             "prompts: [hi]\nproviders: [{id: echo, config: {temprature: 0}}]\n"},
            {"an unknown config key in promptfoo's {id: config} form",
             "prompts: [hi]\nproviders: [{echo: {config: {temprature: 0}}}]\n"},
        };
        const auto verdicts = check(dir, broken);
        for (const auto& [name, text] : broken) {
            CAPTURE(name);
            CHECK(verdicts.at(name).starts_with("invalid: "));
            // The loader refuses each too: the schema describes what it reads.
            dir.write("suite.yaml", text);
            CHECK(llmops(dir.path(), {"eval", "--validate", "suite.yaml"}).exit_code == 2);
        }
    }

    TEST_CASE("cli::schema follows the loader on each type's threshold and value") {
        // The rules come from the assertion table: whatever the loader does with a threshold on
        // a pass/fail type, or a value on a type without one, the schema does the same.
        TempDir dir;
        const std::map<std::string, std::string> suites = {
            {"a threshold on contains",
             suite_with("assert: [{type: contains, value: x, threshold: 0.5}]\n")},
            {"a threshold on not-is-json",
             suite_with("assert: [{type: not-is-json, threshold: 1}]\n")},
            {"a value on no-secrets", suite_with("assert: [{type: no-secrets, value: x}]\n")},
            {"latency with its threshold", suite_with("assert: [{type: latency, threshold: 9}]\n")},
            {"a threshold on llm-rubric",
             suite_with("defaultTest: {options: {provider: echo}}\nassert: [{type: llm-rubric, "
                        "value: polite, threshold: 0.5}]\n")},
        };
        for (const auto& [name, verdict] : check(dir, suites)) {
            CAPTURE(name);
            dir.write("suite.yaml", suites.at(name));
            const auto r = llmops(dir.path(), {"eval", "--validate", "suite.yaml"});
            CAPTURE(r.err);
            CHECK((verdict == "ok") == (r.exit_code == 0));
        }
    }

    TEST_CASE("cli::schema accepts promptfoo's other forms") {
        TempDir dir;
        dir.write("app.sh", "#!/bin/sh\necho '{\"output\": \"hi\"}'\n");
        dir.write("cases.yaml", "- vars: {word: a}\n");
        const std::map<std::string, std::string> suites = {
            {"production calls without prompts or providers",
             "tests: {traces: {prompt: support/triage, since: 24h, sample: 5, seed: 1, "
             "stratify: version, version: 3}}\nassert: [{type: is-json}]\n"},
            {"an exec: program's own config keys",
             "prompts: ['Say {{word}}']\nvars: {word: a}\ntargets: [{id: 'exec:sh app.sh', "
             "config: {index: docs/, top_k: 2}}]\n"},
            {"the {id: {config}} form",
             "prompts: ['Say {{word}}']\nproviders: [{echo: {label: e, config: {seed: 1}}}]\n"
             "vars: {word: a}\n"},
            {"prompts as {text: label}",
             "prompts: {'Say {{word}}': say}\nproviders: echo\nvars: {word: a}\n"},
            {"a file of tests and a $ref",
             suite_with("assertionTemplates:\n  t: {type: icontains, value: '{{word}}'}\n"
                        "tests: [file://cases.yaml, {vars: {word: b}, assert: [{$ref: "
                        "'#/assertionTemplates/t', weight: 2}]}]\n")},
            {"defaultTest with a judge and a rubric",
             suite_with("defaultTest:\n  options: {provider: echo, rubricPrompt: 'Grade: "
                        "{{output}}'}\n  assert: [{type: llm-rubric, value: is polite}]\n")},
        };
        for (const auto& [name, verdict] : check(dir, suites)) {
            CAPTURE(name);
            CHECK(verdict == "ok");
            if (name.starts_with("production calls")) {
                continue; // its cases come from a project's calls: test_online_eval_cli runs it
            }
            dir.write("suite.yaml", suites.at(name));
            const auto r = llmops(dir.path(), {"eval", "--validate", "suite.yaml"});
            CAPTURE(r.err);
            CHECK(r.exit_code == 0);
        }
    }

    TEST_CASE("cli::schema provider config keys are the loader's") {
        // Each key the schema describes is read by some kind of provider (http's and replay's
        // own keys by those).
        TempDir dir;
        const json schema = json::parse(llmops(dir.path(), {"schema", "suite"}).out);
        for (const auto& [key, property] :
             schema["$defs"]["closedProviderConfig"]["properties"].items()) {
            CAPTURE(key);
            bool known = false;
            for (const char* id : {"echo", "https://example.com", "replay:x.jsonl"}) {
                dir.write("suite.yaml", fmt::format("prompts: [hi]\nproviders: [{{id: '{}', "
                                                    "config: {{{}: 123456789}}}}]\n",
                                                    id, key));
                const auto r = llmops(dir.path(), {"eval", "--validate", "suite.yaml"});
                known = known || r.err.find("unknown key '" + key + "'") == std::string::npos;
            }
            CHECK(known);
        }
    }

    TEST_CASE("cli::schema keys agree with the loader's") {
        // Every key a map of the schema accepts is one the loader knows, and every key the
        // schema refuses the loader refuses (each key written with a value of the wrong type).
        TempDir dir;
        const json schema = json::parse(llmops(dir.path(), {"schema", "suite"}).out);
        const json& defs = schema["$defs"];
        const auto agree = [&](const json& properties, const std::string& prefix,
                               const std::string& before, const std::string& after) {
            for (const auto& [key, property] : properties.items()) {
                if (key == "prompts" || key == "providers" || key == "type") {
                    continue; // in every suite below
                }
                CAPTURE(prefix + key);
                dir.write("suite.yaml", "prompts: [hi]\nproviders: [echo]\n" + before + key +
                                            ": 123456789" + after + "\n");
                const auto r = llmops(dir.path(), {"eval", "--validate", "suite.yaml"});
                CAPTURE(r.err);
                CHECK(r.err.find("unknown key '" + prefix + key + "'") == std::string::npos);
                if (property.contains("not")) {
                    CHECK(r.exit_code == 2);
                    CHECK(r.err.find("'" + prefix + key + "'") != std::string::npos);
                }
            }
        };
        SUBCASE("a suite's") {
            agree(schema["properties"], "", "", "");
        }
        SUBCASE("a test case's") {
            agree(defs["testCase"]["properties"], "", "tests: [{", "}]");
        }
        SUBCASE("defaultTest's") {
            agree(defs["defaultCase"]["properties"], "", "defaultTest: {", "}");
        }
        SUBCASE("a test case's options") {
            agree(defs["testCase"]["properties"]["options"]["properties"], "options.",
                  "tests: [{options: {", "}}]");
        }
        SUBCASE("evaluateOptions") {
            agree(schema["properties"]["evaluateOptions"]["properties"], "evaluateOptions.",
                  "evaluateOptions: {", "}");
        }
        SUBCASE("an assertion's") {
            agree(defs["assertion"]["properties"], "", "assert: [{type: contains, value: x, ",
                  "}]");
        }
    }

} // TEST_SUITE

} // namespace llmops::test
