// Fuzz target: prompt files and templates (SPEC §3). The input is read as a prompt file in both
// formats (YAML, Markdown with front matter), as stored version content
// (definition_from_content), and as a Mustache template rendered with fixed variables and
// partials (a chain, a cycle, one with a syntax error). Failures must come back as
// invalid_input (not_found for a partial the loader does not know). Two promises are checked on
// what parses: a definition written back as a file (display.hpp) parses to the same version id
// and name, and its canonical content reads back to the same id. A third on every input: the
// template checker (`find_template_error`, which refuses templates at commit) agrees with
// kainjow's own parser on whether the input is a valid template.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include <llmops/prompt/definition.hpp>
#include <llmops/prompt/display.hpp>
#include <llmops/prompt/template.hpp>

#include "fuzz_support.hpp"

namespace {

using llmops::ErrorCode;
using llmops::Expected;
namespace prompt = llmops::prompt;
namespace fuzz = llmops::fuzz;

const nlohmann::json& variables() {
    static const nlohmann::json k_vars = nlohmann::json::parse(R"({
        "name": "Ada", "q": "what is {{x}}?", "n": 42, "f": -1.5e300, "t": true, "no": false,
        "nil": null, "empty": [], "list": [1, "two", {"name": "inner"}, [3]],
        "obj": {"a": "A", "b": {"c": "C"}}, "html": "<b>&amp;</b>", "utf8": "h\u00e9 \u2603"
    })");
    return k_vars;
}

Expected<std::string> load_partial(std::string_view ref) {
    static const std::map<std::string, std::string, std::less<>> k_partials = {
        {"greet", "Hello {{name}}"},
        {"shared/tone@production", "{{#list}}[{{.}}]{{/list}}{{> greet}}"},
        {"loop", "{{> loop}}"},
        {"a", "{{> b}}"},
        {"b", "{{> a}}"},
        {"broken", "{{#open}} never closed"},
    };
    if (auto it = k_partials.find(ref); it != k_partials.end()) {
        return it->second;
    }
    return llmops::fail(ErrorCode::not_found, "no prompt '{}'", ref);
}

void render(std::string_view tmpl, prompt::MissingVariables missing, std::string_view what) {
    auto out =
        prompt::render_template(tmpl, variables(), load_partial, {.missing = missing}, "fuzz");
    if (!out) {
        fuzz::check_error(out.error(), {ErrorCode::invalid_input, ErrorCode::not_found}, what);
    }
}

// Writes `def` back as a file and parses it again: the same name and version id, as checkout
// and commit promise.
void check_round_trip(const prompt::PromptDefinition& def, prompt::FileFormat wanted) {
    const prompt::FileFormat format = prompt::format_for_definition(def, wanted);
    const std::string file = prompt::to_file_text(def, format, prompt::IncludeName::yes);
    auto again = prompt::parse_prompt_file(file, format, "other-name", "written.prompt");
    if (!again) {
        fuzz::die("to_file_text wrote a file that does not parse:\n" + file +
                  "\nerror: " + again.error().message());
    }
    if (again->name != def.name || prompt::version_id(*again) != prompt::version_id(def)) {
        fuzz::die("to_file_text changed the prompt:\n" + file + "\nfrom:\n" +
                  prompt::canonical_content(def) + "\nto:\n" + prompt::canonical_content(*again));
    }
    auto stored = prompt::definition_from_content(def.name, prompt::canonical_content(def));
    if (!stored || prompt::version_id(*stored) != prompt::version_id(def)) {
        fuzz::die("canonical content does not read back:\n" + prompt::canonical_content(def));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    for (auto format : {prompt::FileFormat::yaml, prompt::FileFormat::markdown}) {
        auto def = prompt::parse_prompt_file(text, format, "fuzz", "fuzz.prompt");
        if (!def) {
            fuzz::check_error(def.error(), {ErrorCode::invalid_input}, "parse_prompt_file");
            continue;
        }
        check_round_trip(*def, format);
        if (def->template_text) {
            render(*def->template_text, prompt::MissingVariables::allow, "render (file template)");
        }
        for (const auto& message : def->messages) {
            render(message.content, prompt::MissingVariables::allow, "render (file message)");
        }
    }

    if (auto def = prompt::definition_from_content("fuzz", text); !def) {
        fuzz::check_error(def.error(), {ErrorCode::invalid_input}, "definition_from_content");
    }

    const bool refused = prompt::find_template_error(text).has_value();
    if (refused == kainjow::mustache::mustache(std::string(text)).is_valid()) {
        fuzz::die(std::string("find_template_error and kainjow disagree (") +
                  (refused ? "refused" : "accepted") + ") on:\n" + std::string(text));
    }
    render(text, prompt::MissingVariables::error, "render_template");
    (void)prompt::variable_names(text);
    (void)prompt::partial_refs(text);
    return 0;
}
