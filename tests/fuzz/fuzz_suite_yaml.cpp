// Fuzz target: suite YAML (SPEC §7). The input is a suite file: util::parse_yaml reads it as
// text, then eval::load_suite reads it from a scratch folder holding one dataset of each format
// and a few files to reference (`file://cases.csv`, `file://vars.txt`, ...), and every case is
// walked as the runner walks them. load_suite has no parse-from-text entry point (it hashes the
// file's bytes and resolves paths against its folder), so the input is written to a file.
// Failures must come back as errors: invalid_input or not_found, io for a path that names a
// folder. Among the files are datasets and a variable file nested 100,000 deep.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <llmops/eval/suite.hpp>
#include <llmops/util/yaml.hpp>

#include "fuzz_support.hpp"

namespace {

using llmops::ErrorCode;
namespace fuzz = llmops::fuzz;

// The files a suite can reference, written once per process.
void write_fixtures() {
    fuzz::ScratchDir::write("cases.csv",
                            "question,__expected1,__expected2,__id,__metadata:tags[]\n"
                            "What is 2+2?,contains: 4,\"not-icontains: five\",q1,\"a, b\"\n"
                            "\"Say \"\"hi\"\"\",regex:^hi,,q2,\n");
    fuzz::ScratchDir::write(
        "cases.jsonl",
        "{\"vars\": {\"q\": \"a\"}, \"assert\": [{\"type\": \"equals\", \"value\": \"a\"}]}\n"
        "{\"vars\": {\"q\": [\"x\", \"y\"]}}\n");
    fuzz::ScratchDir::write("cases.json", "[{\"description\": \"one\", \"vars\": {\"q\": 1}}]");
    fuzz::ScratchDir::write("cases.yaml", "- vars: {q: yes}\n  assert:\n    - type: is-json\n");
    fuzz::ScratchDir::write("vars.txt", "a variable's text\n");
    fuzz::ScratchDir::write("vars.json", "{\"nested\": [1, 2, {\"x\": null}]}");
    fuzz::ScratchDir::write("defaults.yaml", "assert:\n  - type: contains\n    value: x\n");
    fuzz::ScratchDir::write("prompt.yaml", "name: greet\ntemplate: 'Hello {{name}}'\n");
    fuzz::ScratchDir::write("prompt.txt", "Answer {{q}}\n");
    fuzz::ScratchDir::write("schema.json", "{\"type\": \"object\", \"required\": [\"a\"]}");
    // Nested 100,000 deep (200 KB): a JSONL line like it once overflowed the stack in load_suite.
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    std::string objects;
    for (int i = 0; i < 33'000; ++i) {
        objects += R"({"a":)";
    }
    objects += "1" + std::string(33'000, '}');
    fuzz::ScratchDir::write("deep.jsonl", "{\"vars\": {\"x\": 1}}\n" + deep + "\n");
    fuzz::ScratchDir::write("deep_objects.jsonl", "{\"vars\": {\"x\": " + objects + "}}\n");
    fuzz::ScratchDir::write("deep.json", deep);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    if (auto doc = llmops::util::parse_yaml(text, "fuzz.yaml"); !doc) {
        fuzz::check_error(doc.error(), {ErrorCode::invalid_input}, "util::parse_yaml");
    }

    if (fuzz::may_name_special_file(text)) {
        return 0;
    }
    static const bool fixtures = (write_fixtures(), true);
    (void)fixtures;
    const auto path = fuzz::ScratchDir::write("suite.yaml", text);
    auto suite = llmops::eval::load_suite(path);
    if (!suite) {
        fuzz::check_error(suite.error(),
                          {ErrorCode::invalid_input, ErrorCode::not_found, ErrorCode::io},
                          "eval::load_suite");
        return 0;
    }
    auto walked = suite->tests.for_each([](const llmops::eval::TestCase&) { return true; });
    if (!walked) {
        fuzz::check_error(walked.error(),
                          {ErrorCode::invalid_input, ErrorCode::not_found, ErrorCode::io},
                          "eval::CaseSource::for_each");
    }
    return 0;
}
