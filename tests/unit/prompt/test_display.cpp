#include <llmops/prompt/display.hpp>

#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/expected.hpp"
#include <nlohmann/json.hpp>

#include <llmops/prompt/template.hpp>
#include <llmops/util/json.hpp>

using llmops::prompt::FileFormat;
using llmops::prompt::IncludeName;
using llmops::prompt::Message;
using llmops::prompt::PromptDefinition;
using llmops::prompt::Variable;
using nlohmann::json;
namespace prompt = llmops::prompt;

namespace {

PromptDefinition text_prompt(std::string tmpl) {
    PromptDefinition def;
    def.name = "support/triage";
    def.template_text = std::move(tmpl);
    return def;
}

PromptDefinition chat_prompt(std::vector<Message> messages) {
    PromptDefinition def;
    def.name = "support/triage";
    def.messages = std::move(messages);
    return def;
}

// Writes `def` in `format` and parses it back: the version id and the name must survive, with
// the name in the file (and a different default name) or implied by the path.
void check_round_trip_in(const PromptDefinition& def, FileFormat format) {
    const std::string with_name = prompt::to_file_text(def, format, IncludeName::yes);
    INFO("file text:\n" << with_name);
    const auto back = prompt::parse_prompt_file(with_name, format, "other", "rt");
    REQUIRE_OK(back);
    CHECK(back->name == def.name);
    CHECK(prompt::canonical_content(*back) == prompt::canonical_content(def));
    CHECK(prompt::version_id(*back) == prompt::version_id(def));

    const std::string without_name = prompt::to_file_text(def, format, IncludeName::no);
    const auto implied = prompt::parse_prompt_file(without_name, format, def.name, "rt");
    REQUIRE_OK(implied);
    CHECK(prompt::version_id(*implied) == prompt::version_id(def));
}

// Round trip through YAML, and through Markdown when the definition can be written there.
// Returns whether Markdown was tried.
bool check_round_trip(const PromptDefinition& def) {
    check_round_trip_in(def, FileFormat::yaml);
    if (prompt::format_for_definition(def, FileFormat::markdown) != FileFormat::markdown) {
        return false;
    }
    check_round_trip_in(def, FileFormat::markdown);
    return true;
}

// Templates that stress YAML block scalars, quoting and Markdown front matter.
const std::vector<std::string> k_tricky_texts = {
    "Hello {{name}}",
    "line one\nline two\n  indented\n\tTabbed",
    "trailing newline\n",
    "two trailing newlines\n\n",
    "\nleading newline",
    "\n\n  leading newlines then spaces",
    "\n\tleading newline then a tab",
    "  leading spaces\nsecond",
    "\tleading tab\nsecond",
    "a line of only spaces\n   \nafter",
    "a line of only a tab\n\t\nafter",
    "ends with spaces   ",
    "ends with a line of spaces\n   ",
    "---\nlooks like front matter",
    "---",
    "--- not front matter\nx",
    "a\n---\nb\n...\nc",
    "unicode: caf\xc3\xa9, \xe6\x97\xa5\xe6\x9c\xac, \xf0\x9f\x98\x80",
    "line separator\xe2\x80\xa8next\xc2\x85nel\xef\xbb\xbf bom",
    "\"double\" and 'single' quotes\n'\"",
    "key: value\nanother: {{x}}",
    "# heading\n## sub # not a comment",
    "- item\n- item: with colon\n? question",
    "|\n>\n|-\n>+",
    "{{#items}}\n- {{name}}: {{value}}\n{{/items}}\n{{^items}}none{{/items}}",
    "{{> shared/tone@production}}\n{{{raw}}} {{& also}}",
    "backslash \\ and \\n escapes \\\"",
    "carriage\r\nreturns\rinside",
    "control \x01 and delete \x7f characters",
    "% directive\n@at `tick` &anchor *alias !tag",
    "null",
    "true",
    "123",
    "~",
    std::string(200, 'x') + "\n" + std::string(200, ' ') + "y",
};

} // namespace

TEST_SUITE("prompt") {

    TEST_CASE("prompt::to_file_text") {
        PromptDefinition def = text_prompt("Hello {{name}}\nBye");
        def.description = "Greets";
        def.config_json = R"({"model":"gpt-4o","stop":["\n"],"temperature":0.2})";
        def.variables = {Variable{"n", std::nullopt, ""}, Variable{"name", "\"Ada\"", "who"}};
        const std::string header = "description: \"Greets\"\n"
                                   "config:\n"
                                   "  model: \"gpt-4o\"\n"
                                   "  stop:\n"
                                   "    - \"\\n\"\n"
                                   "  temperature: 0.2\n"
                                   "variables:\n"
                                   "  n: null\n"
                                   "  name:\n"
                                   "    default: \"Ada\"\n"
                                   "    description: \"who\"\n";

        SUBCASE("YAML lists the fields in a fixed order, the template last as a block") {
            CHECK(prompt::to_file_text(def, FileFormat::yaml, IncludeName::no) ==
                  header + "template: |-\n  Hello {{name}}\n  Bye\n");
            CHECK(prompt::to_file_text(def, FileFormat::yaml, IncludeName::yes) ==
                  "name: \"support/triage\"\n" + header +
                      "template: |-\n  Hello {{name}}\n  Bye\n");
        }

        SUBCASE("Markdown puts the fields in front matter and the template in the body") {
            CHECK(prompt::to_file_text(def, FileFormat::markdown, IncludeName::no) ==
                  "---\n" + header + "---\nHello {{name}}\nBye\n");
            CHECK(prompt::to_file_text(text_prompt("Hi"), FileFormat::markdown, IncludeName::no) ==
                  "Hi\n");
        }

        SUBCASE("a chat prompt is written as YAML with role before content") {
            const auto chat = chat_prompt({{"system", "Be brief.\nVery."}, {"user", "{{q}}"}});
            const std::string expected = "messages:\n"
                                         "  - role: system\n"
                                         "    content: |-\n"
                                         "      Be brief.\n"
                                         "      Very.\n"
                                         "  - role: user\n"
                                         "    content: \"{{q}}\"\n";
            CHECK(prompt::to_file_text(chat, FileFormat::yaml, IncludeName::no) == expected);
            CHECK(prompt::to_file_text(chat, FileFormat::markdown, IncludeName::no) == expected);
        }
    }

    TEST_CASE("prompt::format_for_definition") {
        CHECK(prompt::format_for_definition(text_prompt("a\nb"), FileFormat::markdown) ==
              FileFormat::markdown);
        CHECK(prompt::format_for_definition(text_prompt("a"), FileFormat::yaml) ==
              FileFormat::yaml);
        CHECK(prompt::format_for_definition(chat_prompt({{"user", "a"}}), FileFormat::markdown) ==
              FileFormat::yaml);
        // Markdown strips the body's outer newlines, so such templates stay YAML.
        CHECK(prompt::format_for_definition(text_prompt("a\n"), FileFormat::markdown) ==
              FileFormat::yaml);
        CHECK(prompt::format_for_definition(text_prompt("\na"), FileFormat::markdown) ==
              FileFormat::yaml);
        CHECK(prompt::format_for_definition(text_prompt("a\r"), FileFormat::markdown) ==
              FileFormat::yaml);
    }

    TEST_CASE("prompt::to_file_text round trip") {
        SUBCASE("tricky templates survive YAML and, where allowed, Markdown") {
            int markdown = 0;
            for (const auto& text : k_tricky_texts) {
                CAPTURE(text);
                markdown += check_round_trip(text_prompt(text)) ? 1 : 0;
            }
            CHECK(markdown >= 20); // most of them can be Markdown
        }

        SUBCASE("tricky chat messages, descriptions and variable texts survive") {
            for (const auto& text : k_tricky_texts) {
                CAPTURE(text);
                PromptDefinition def = chat_prompt({{"system", text}, {"user", "q: " + text}});
                def.description = text;
                def.variables = {Variable{"v", llmops::util::canonical_json(json(text)), text}};
                check_round_trip(def);
            }
        }

        SUBCASE("texts that are only line breaks survive where they are allowed") {
            PromptDefinition def = chat_prompt({{"user", "\n"}, {"assistant", "\n\n"}});
            def.description = "\n";
            def.variables = {Variable{"v", R"("\n\n")", ""}};
            check_round_trip(def);
        }

        SUBCASE("empty and nested config survives, including lists of mappings") {
            check_round_trip(text_prompt("x"));
            PromptDefinition def = text_prompt("x");
            def.config_json = llmops::util::canonical_json(json::parse(R"({
            "model": "gpt-4o", "temperature": 0, "top_p": 0.95, "seed": -3, "big": 1e300,
            "stop": ["\n", "---", "", " "], "empty_list": [], "empty_map": {}, "none": null,
            "tools": [{"type": "function", "function": {"name": "f", "parameters":
                {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}},
                {"type": "web"}],
            "nested": [[1, [2]], [{"a": [{"b": {}}]}]],
            "odd keys": {"": 1, "null": 2, "true": 3, "123": 4, "-x": 5, ".y": 6, "a: b": 7,
                "#c": 8, "é": 9, "x\ny": 10, "<<": 11, "~": 12, "Null": 13}
        })"));
            check_round_trip(def);
        }

        SUBCASE("variable defaults of every JSON type survive") {
            PromptDefinition def = text_prompt("{{a}}");
            const json defaults = json::parse(R"([null, true, false, 0, -12, 3.25, 1e-7, "", "text",
            "true", "null", "123", "1e3", "~", " padded ", "multi\nline\n", [], {}, [1, "two",
            null, [3]], {"k": {"deep": [{"x": 1}, {}]}, "null": null}])");
            for (size_t i = 0; i < defaults.size(); ++i) {
                def.variables.push_back(Variable{fmt::format("v{:02}", i),
                                                 llmops::util::canonical_json(defaults[i]), ""});
            }
            def.variables.push_back(Variable{"without_default", std::nullopt, "described"});
            def.variables.push_back(Variable{"zz", std::nullopt, ""});
            check_round_trip(def);
        }
    }

    TEST_CASE("prompt::to_file_text random round trip") {
        // A fixed seed keeps the test deterministic; the pieces are what YAML and Markdown care
        // about.
        std::mt19937 rng(20240611);
        const std::vector<std::string> pieces = {"a",
                                                 "b",
                                                 "Z",
                                                 "0",
                                                 " ",
                                                 "  ",
                                                 "\t",
                                                 "\n",
                                                 "\n",
                                                 ":",
                                                 ": ",
                                                 "#",
                                                 " #",
                                                 "\"",
                                                 "'",
                                                 "|",
                                                 ">",
                                                 "-",
                                                 "- ",
                                                 "---",
                                                 "...",
                                                 "{",
                                                 "}",
                                                 "{{x}}",
                                                 "[",
                                                 "]",
                                                 ",",
                                                 "?",
                                                 "&",
                                                 "*",
                                                 "!",
                                                 "%",
                                                 "@",
                                                 "`",
                                                 "\\",
                                                 "\xc3\xa9",
                                                 "\xe6\x97\xa5",
                                                 "\xf0\x9f\x98\x80",
                                                 "\r\n"};
        std::uniform_int_distribution<size_t> piece(0, pieces.size() - 1);
        std::uniform_int_distribution<int> length(1, 24);
        int tried = 0;
        int markdown = 0;
        for (int i = 0; i < 400; ++i) {
            std::string text;
            for (int n = length(rng); n > 0; --n) {
                text += pieces[piece(rng)];
            }
            if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
                continue; // an all-blank template is not a prompt
            }
            CAPTURE(text);
            ++tried;
            // A broken template (say `{{{x}}`) cannot be a version any more: it travels as a
            // description and a default instead, which YAML must still quote right.
            const bool valid = !prompt::find_template_error(text).has_value();
            PromptDefinition def = text_prompt(valid ? text : "x");
            if (i % 3 == 0 || !valid) {
                def.description = text;
                def.variables = {Variable{"v", llmops::util::canonical_json(json(text)), ""}};
            }
            markdown += check_round_trip(def) ? 1 : 0;
            if (i % 4 == 0 && valid) {
                check_round_trip(chat_prompt({{"user", text}, {"assistant", text + "\n"}}));
            }
        }
        CHECK(tried > 350);
        CHECK(markdown > 100);
    }

} // TEST_SUITE
