#include <llmops/prompt/definition.hpp>

#include <string>

#include <doctest/doctest.h>

#include <llmops/util/hash.hpp>

using llmops::ErrorCode;
using llmops::Expected;
using llmops::prompt::FileFormat;
using llmops::prompt::PromptDefinition;
namespace prompt = llmops::prompt;

namespace {

Expected<PromptDefinition> parse_yaml(std::string_view text) {
    return prompt::parse_prompt_file(text, FileFormat::yaml, "greet", "prompts/greet.yaml");
}

Expected<PromptDefinition> parse_md(std::string_view text) {
    return prompt::parse_prompt_file(text, FileFormat::markdown, "greet", "prompts/greet.md");
}

PromptDefinition parsed(const Expected<PromptDefinition>& result) {
    if (!result) {
        FAIL("unexpected parse error: " << result.error().message());
    }
    return *result;
}

std::string error_of(const Expected<PromptDefinition>& result) {
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code() == ErrorCode::invalid_input);
    return result.error().message();
}

// The default of variable `name` as JSON text, "<none>" when it has none.
std::string default_of(const PromptDefinition& def, std::string_view name) {
    for (const auto& v : def.variables) {
        if (v.name == name) {
            return v.default_json.value_or("<none>");
        }
    }
    FAIL("no variable " << name);
    return "";
}

} // namespace

TEST_SUITE("prompt") {

    TEST_CASE("prompt::format_for_path") {
        CHECK(prompt::format_for_path("prompts/a.yaml") == FileFormat::yaml);
        CHECK(prompt::format_for_path("a.yml") == FileFormat::yaml);
        CHECK(prompt::format_for_path("a.md") == FileFormat::markdown);
        CHECK(prompt::format_for_path("a.txt") == FileFormat::markdown);
        CHECK(prompt::format_for_path("a.prompt") == FileFormat::markdown);
        CHECK_FALSE(prompt::format_for_path("a.json").has_value());
        CHECK_FALSE(prompt::format_for_path("yaml").has_value());
        CHECK_FALSE(prompt::format_for_path(".yaml").has_value());
    }

    TEST_CASE("prompt::parse_prompt_file YAML") {
        SUBCASE("a text template with description, config and the name from the path") {
            const auto def = parsed(parse_yaml("description: Greets\n"
                                               "config:\n  temperature: 0.2\n  model: gpt-4o\n"
                                               "template: Hello {{name}}\n"));
            CHECK(def.name == "greet");
            CHECK(def.description == "Greets");
            CHECK(def.template_text == "Hello {{name}}");
            CHECK_FALSE(def.is_chat());
            CHECK(def.config_json == R"({"model":"gpt-4o","temperature":0.2})");
            CHECK(def.variables.empty());
        }

        SUBCASE("a block template keeps its trailing newline") {
            const auto def = parsed(parse_yaml("template: |\n  line one\n    two\n"));
            CHECK(def.template_text == "line one\n  two\n");
        }

        SUBCASE("the name key overrides the path") {
            CHECK(parsed(parse_yaml("name: support/triage\ntemplate: x\n")).name ==
                  "support/triage");
        }

        SUBCASE("chat messages keep their roles in order") {
            const auto def = parsed(parse_yaml("messages:\n"
                                               "  - role: system\n    content: Be brief.\n"
                                               "  - role: developer\n    content: d\n"
                                               "  - role: user\n    content: '{{q}}'\n"
                                               "  - role: assistant\n    content: ok\n"));
            REQUIRE(def.messages.size() == 4);
            CHECK(def.is_chat());
            CHECK(def.messages[0].role == "system");
            CHECK(def.messages[0].content == "Be brief.");
            CHECK(def.messages[1].role == "developer");
            CHECK(def.messages[2].role == "user");
            CHECK(def.messages[2].content == "{{q}}");
            CHECK(def.messages[3].role == "assistant");
        }
    }

    TEST_CASE("prompt::parse_prompt_file variables") {
        SUBCASE("a list of names declares variables without defaults, sorted") {
            const auto def = parsed(parse_yaml("template: x\nvariables: [b, a]\n"));
            REQUIRE(def.variables.size() == 2);
            CHECK(def.variables[0].name == "a");
            CHECK(def.variables[1].name == "b");
            CHECK(default_of(def, "a") == "<none>");
        }

        SUBCASE("a list of mappings gives defaults and descriptions") {
            const auto def = parsed(parse_yaml("template: x\nvariables:\n"
                                               "  - name: tone\n    default: kind\n"
                                               "    description: how to sound\n"
                                               "  - name: who\n"));
            CHECK(default_of(def, "tone") == R"("kind")");
            CHECK(def.variables[0].description == "how to sound");
            CHECK(default_of(def, "who") == "<none>");
        }

        SUBCASE("a mapping takes null, a scalar default or {default, description}") {
            const auto def = parsed(parse_yaml("template: x\nvariables:\n"
                                               "  a:\n  b: 3\n  c: kind\n  d: true\n"
                                               "  e: {default: [1, 2], description: list}\n"
                                               "  f: {description: only text}\n"
                                               "  g: {default: null}\n"));
            CHECK(default_of(def, "a") == "<none>");
            CHECK(default_of(def, "b") == "3");
            CHECK(default_of(def, "c") == R"("kind")");
            CHECK(default_of(def, "d") == "true");
            CHECK(default_of(def, "e") == "[1,2]");
            CHECK(def.variables[4].description == "list");
            CHECK(default_of(def, "f") == "<none>");
            CHECK(def.variables[5].description == "only text");
            CHECK(default_of(def, "g") == "null");
        }

        SUBCASE("bad declarations are errors") {
            CHECK(error_of(parse_yaml("template: x\nvariables: {a: {defualt: 1}}\n")) ==
                  "prompts/greet.yaml: unknown key 'defualt' in variable 'a' (did you mean "
                  "'default'?)");
            CHECK(error_of(parse_yaml("template: x\nvariables: {a: {description: 3}}\n")) ==
                  "prompts/greet.yaml: the description of variable 'a' must be a string");
            CHECK(error_of(parse_yaml("template: x\nvariables: [a, {name: a}]\n")) ==
                  "prompts/greet.yaml: variable 'a' is declared twice");
            CHECK(error_of(parse_yaml("template: x\nvariables: [[a]]\n")) ==
                  "prompts/greet.yaml: each entry of 'variables' must be a name or a mapping with "
                  "'name'");
            CHECK(error_of(parse_yaml("template: x\nvariables: a\n")) ==
                  "prompts/greet.yaml:2:1: 'variables' must be a list of names or a mapping");
        }
    }

    TEST_CASE("prompt::parse_prompt_file Markdown") {
        SUBCASE("without front matter the whole file is the template, outer newlines stripped") {
            const auto def = parsed(parse_md("\n\n  Hello {{name}}\n\nBye  \n\n"));
            CHECK(def.name == "greet");
            CHECK(def.template_text == "  Hello {{name}}\n\nBye  ");
            CHECK(def.config_json == "{}");
        }

        SUBCASE("front matter sets the other fields and the body is the template") {
            const auto def = parsed(parse_md("---\nname: support/triage\ndescription: d\n"
                                             "config: {temperature: 0}\nvariables: [who]\n---\n\n"
                                             "Hi {{who}}\n"));
            CHECK(def.name == "support/triage");
            CHECK(def.description == "d");
            CHECK(def.config_json == R"({"temperature":0})");
            REQUIRE(def.variables.size() == 1);
            CHECK(def.template_text == "Hi {{who}}");
        }

        SUBCASE("empty front matter is allowed") {
            CHECK(parsed(parse_md("---\n---\nbody\n")).template_text == "body");
        }

        SUBCASE("template and messages are not allowed in front matter") {
            CHECK(
                error_of(parse_md("---\ntemplate: x\n---\nbody\n")) ==
                "prompts/greet.md:2:1: 'template' is not allowed in front matter: the body of the "
                "file is the template");
            CHECK(
                error_of(parse_md("---\nmessages: []\n---\nbody\n")) ==
                "prompts/greet.md:2:1: 'messages' is not allowed in front matter: the body of the "
                "file is the template");
        }

        SUBCASE("an empty body is an error") {
            CHECK(error_of(parse_md("---\ndescription: d\n---\n\n \n\n")) ==
                  "prompts/greet.md: prompt file has no template (the body is empty)");
            CHECK(error_of(parse_md("")) ==
                  "prompts/greet.md: prompt file has no template (the body is empty)");
        }

        SUBCASE("unclosed or non-mapping front matter is an error") {
            CHECK(error_of(parse_md("---\nname: x\nbody\n")) ==
                  "prompts/greet.md:1:1: front matter starts with '---' but is never closed");
            CHECK(error_of(parse_md("---\n- a\n---\nbody\n")) ==
                  "prompts/greet.md:2:1: front matter must be a mapping");
        }
    }

    TEST_CASE("prompt::parse_prompt_file errors") {
        SUBCASE("an unknown key suggests the closest one") {
            CHECK(error_of(parse_yaml("name: greet\ntemplte: x\n")) ==
                  "prompts/greet.yaml:2:1: unknown key 'templte' in prompt file (did you mean "
                  "'template'?)");
            CHECK(error_of(parse_md("---\ndescripton: x\n---\nbody\n")) ==
                  "prompts/greet.md:2:1: unknown key 'descripton' in front matter (did you mean "
                  "'description'?)");
            CHECK(error_of(parse_yaml("template: x\nzzzzzz: 1\n")) ==
                  "prompts/greet.yaml:2:1: unknown key 'zzzzzz' in prompt file");
            CHECK(error_of(parse_yaml("template: x\n\"cnofig\" : 1\n")) ==
                  "prompts/greet.yaml:2:1: unknown key 'cnofig' in prompt file (did you mean "
                  "'config'?)");
            // A flow mapping has no key at the start of a line: the file alone is named.
            CHECK(
                error_of(parse_yaml("{template: x, confg: 1}\n")) ==
                "prompts/greet.yaml: unknown key 'confg' in prompt file (did you mean 'config'?)");
        }

        SUBCASE("a duplicate key names its line and column") {
            CHECK(error_of(parse_yaml("name: a\ntemplate: x\nname: b\n")) ==
                  "prompts/greet.yaml:3:1: duplicate key 'name'");
            CHECK(error_of(parse_yaml("template: x\nconfig:\n  t: 1\n  t: 2\n")) ==
                  "prompts/greet.yaml:4:3: duplicate key 't'");
            // Front matter starts on the second line of the file.
            CHECK(error_of(parse_md("---\ndescription: a\ndescription: b\n---\nbody\n")) ==
                  "prompts/greet.md:3:1: duplicate key 'description'");
        }

        SUBCASE("malformed YAML names its line and column") {
            const std::string yaml = error_of(parse_yaml("template: x\nconfig: [1, 2\n"));
            CHECK(yaml.starts_with("prompts/greet.yaml:3:1: "));
            const std::string md = error_of(parse_md("---\ndescription: x\n  bad: [\n---\nbody\n"));
            CHECK(md.starts_with("prompts/greet.md:3:"));
            CHECK(error_of(parse_yaml("- a\n- b\n")) ==
                  "prompts/greet.yaml:1:1: a prompt file must be a mapping with 'template' or "
                  "'messages'");
        }

        SUBCASE("a prompt needs exactly one of template and messages") {
            CHECK(error_of(parse_yaml("description: x\n")) ==
                  "prompts/greet.yaml: prompt file has no template (add 'template' or 'messages')");
            CHECK(error_of(parse_yaml("template: x\nmessages:\n  - {role: user, content: y}\n")) ==
                  "prompts/greet.yaml: prompt file has both 'template' and 'messages'");
            CHECK(error_of(parse_yaml("template: '  '\n")) ==
                  "prompts/greet.yaml:1:1: 'template' must be a non-empty string");
            CHECK(error_of(parse_yaml("messages: []\n")) ==
                  "prompts/greet.yaml:1:1: 'messages' must be a non-empty list of {role, content}");
        }

        SUBCASE("an invalid name is an error, from the file or from the path") {
            CHECK(error_of(parse_yaml("name: Support/Triage\ntemplate: x\n")) ==
                  "prompts/greet.yaml:1:1: invalid prompt name 'Support/Triage' (use lowercase "
                  "letters, digits, '.', '_', '-' and '/')");
            CHECK(error_of(prompt::parse_prompt_file("template: x\n", FileFormat::yaml, "My Prompt",
                                                     "prompts/My Prompt.yaml")) ==
                  "prompts/My Prompt.yaml: invalid prompt name 'My Prompt' (use lowercase letters, "
                  "digits, '.', '_', '-' and '/')");
            CHECK(error_of(parse_md("---\ndescription: d\nname: A\n---\nbody\n")) ==
                  "prompts/greet.md:3:1: invalid prompt name 'A' (use lowercase letters, digits, "
                  "'.', '_', '-' and '/')");
            CHECK(error_of(parse_yaml("name: [a]\ntemplate: x\n")) ==
                  "prompts/greet.yaml:1:1: 'name' must be a string");
        }

        SUBCASE("a bad message suggests a role or says what a message needs") {
            CHECK(error_of(parse_yaml("messages:\n  - role: system\n    content: a\n"
                                      "  - role: usr\n    content: b\n")) ==
                  "prompts/greet.yaml: message 2 has unknown role 'usr' (did you mean 'user'?)");
            CHECK(error_of(parse_yaml("messages:\n  - role: user\n    text: b\n")) ==
                  "prompts/greet.yaml: message 1 must have exactly a string 'role' and 'content'");
        }

        SUBCASE("invalid UTF-8 names the line and column of the first bad byte") {
            CHECK(error_of(parse_yaml("name: greet\ntemplate: caf\xe9\n")) ==
                  "prompts/greet.yaml:2:14: file is not valid UTF-8");
            CHECK(error_of(parse_md("\xff")) == "prompts/greet.md:1:1: file is not valid UTF-8");
        }
    }

    TEST_CASE("prompt::parse_prompt_file refuses broken templates") {
        SUBCASE("Markdown: the position in the file, below the front matter") {
            CHECK(error_of(parse_md("---\ndescription: x\n---\n\nItems:\n{{#items}}- {{.}}\n")) ==
                  "prompts/greet.md:6:1: unclosed section '{{#items}}'");
            CHECK(error_of(parse_md("{{#a}}{{^b}}x{{/a}}{{/b}}")) ==
                  "prompts/greet.md:1:14: mismatched section: '{{/a}}' closes '{{^b}}'");
            CHECK(error_of(parse_md("text\n  {{/x}}")) ==
                  "prompts/greet.md:2:3: '{{/x}}' closes no open section");
            CHECK(error_of(parse_md("Hi {{name")) ==
                  "prompts/greet.md:1:4: unclosed tag: '{{' has no '}}'");
        }

        SUBCASE("YAML: the position in the file when the template's line is found there") {
            CHECK(error_of(parse_yaml("description: x\ntemplate: |\n  Items:\n  {{#items}}- "
                                      "{{.}}\n")) ==
                  "prompts/greet.yaml:4:3: unclosed section '{{#items}}'");
            CHECK(error_of(parse_yaml("template: \"{{^a}}x{{/b}}\"\n")) ==
                  "prompts/greet.yaml:1:19: mismatched section: '{{/b}}' closes '{{^a}}'");
            CHECK(error_of(parse_yaml("messages:\n  - role: system\n    content: fine\n"
                                      "  - role: user\n    content: \"{{#q}}{{q}}\"\n")) ==
                  "prompts/greet.yaml:5:15: unclosed section '{{#q}}'");
        }

        SUBCASE("YAML: the position in the template when its line is not in the file as such") {
            // A quoted scalar with an escape: the template's text is not the file's.
            CHECK(error_of(parse_yaml("template: \"say \\\"{{#q}}\\\"\"\n")) ==
                  "prompts/greet.yaml: in 'template', line 1, column 6: unclosed section '{{#q}}'");
            // The same line in two messages: which one is meant cannot be told from the file.
            CHECK(error_of(parse_yaml("messages:\n  - role: system\n    content: \"{{/x}}\"\n"
                                      "  - role: user\n    content: \"{{/x}}\"\n")) ==
                  "prompts/greet.yaml: in message 1, line 1, column 1: '{{/x}}' closes no open "
                  "section");
        }

        SUBCASE("valid templates still parse: set delimiters, triple mustaches, comments") {
            for (const std::string_view body : {"{{=<% %>=}}<%#items%><%.%><%/items%>",
                                                "{{{raw}}} {{&raw}}", "{{! {{#not-a-section}} }}ok",
                                                "{{#a}}{{^b}}x{{/b}}{{/a}}", "{{> shared/tone}}"}) {
                CAPTURE(body);
                CHECK(parsed(parse_md(body)).template_text == std::string(body));
            }
        }
    }

    TEST_CASE("prompt::canonical_content") {
        SUBCASE("the canonical form is fixed: keys sorted, no white space") {
            const auto def = parsed(parse_md("Hello {{name}}\n"));
            CHECK(prompt::canonical_content(def) ==
                  R"({"config":{},"description":"","template":"Hello {{name}}","variables":{}})");
            CHECK(prompt::version_id(def) ==
                  "141d650abaae186383fee4696fa1dcfa647f85a0b6da0ab8247a9b57d814efad");
        }

        SUBCASE("the same prompt in YAML and in Markdown has one version id") {
            const auto yaml = parsed(parse_yaml(
                "description: Greets\nconfig: {model: gpt-4o, temperature: 0.2}\n"
                "variables: {name: {default: Ada, description: who}}\ntemplate: Hello {{name}}\n"));
            const auto md =
                parsed(parse_md("---\nvariables:\n  - name: name\n    description: who\n"
                                "    default: Ada\nconfig:\n  temperature: 0.2\n"
                                "  model: gpt-4o\ndescription: Greets\n---\n"
                                "Hello {{name}}\n"));
            CHECK(prompt::canonical_content(yaml) == prompt::canonical_content(md));
            CHECK(prompt::version_id(yaml) ==
                  "4e69a1680008360bb2f32135b1ddebfeb7cd973296a23be54a1845d0a6a5d63f");
            CHECK(prompt::version_id(md) == prompt::version_id(yaml));
        }

        SUBCASE("the name is not part of the content") {
            const auto a = parsed(parse_yaml("name: a\ntemplate: Hi\n"));
            const auto b = parsed(parse_yaml("name: b/c\ntemplate: Hi\n"));
            CHECK(a.name != b.name);
            CHECK(prompt::version_id(a) == prompt::version_id(b));
        }

        SUBCASE("any change of content changes the id") {
            const auto base = prompt::version_id(parsed(parse_yaml("template: Hi\n")));
            CHECK(prompt::version_id(parsed(parse_yaml("template: 'Hi '\n"))) != base);
            CHECK(prompt::version_id(parsed(parse_yaml("template: Hi\ndescription: d\n"))) != base);
            CHECK(prompt::version_id(parsed(parse_yaml("template: Hi\nconfig: {t: 1}\n"))) != base);
            CHECK(prompt::version_id(parsed(parse_yaml("template: Hi\nvariables: [x]\n"))) != base);
            CHECK(prompt::version_id(
                      parsed(parse_yaml("messages: [{role: user, content: Hi}]\n"))) != base);
        }

        SUBCASE("the version id is the SHA-256 of the canonical content") {
            const auto def = parsed(parse_yaml("messages: [{role: user, content: Hi}]\n"));
            CHECK(prompt::version_id(def) ==
                  llmops::util::sha256_hex(prompt::canonical_content(def)));
        }
    }

    TEST_CASE("prompt::definition_from_content") {
        SUBCASE("a text prompt survives the round trip through its content") {
            const auto def = parsed(parse_yaml(
                "description: d\nconfig: {t: [1, {a: b}]}\n"
                "variables: {x: 1, y: null, z: {description: zed}}\ntemplate: |\n  a\n  b\n"));
            const auto back =
                prompt::definition_from_content("other", prompt::canonical_content(def));
            REQUIRE(back.has_value());
            CHECK(back->name == "other");
            CHECK(back->template_text == "a\nb\n");
            CHECK(back->description == "d");
            CHECK(back->config_json == def.config_json);
            REQUIRE(back->variables.size() == 3);
            CHECK(back->variables[0].default_json == "1");
            CHECK_FALSE(back->variables[1].default_json.has_value());
            CHECK(back->variables[2].description == "zed");
            CHECK(prompt::canonical_content(*back) == prompt::canonical_content(def));
        }

        SUBCASE("a chat prompt survives the round trip through its content") {
            const auto def = parsed(parse_yaml("messages:\n  - {role: system, content: s}\n"
                                               "  - {role: user, content: u}\n"));
            const auto back =
                prompt::definition_from_content("greet", prompt::canonical_content(def));
            REQUIRE(back.has_value());
            REQUIRE(back->messages.size() == 2);
            CHECK(back->messages[1].role == "user");
            CHECK(back->messages[1].content == "u");
            CHECK(prompt::version_id(*back) == prompt::version_id(def));
        }

        SUBCASE("content that is not a prompt version is an error") {
            const auto not_json = prompt::definition_from_content("greet", "nope");
            REQUIRE_FALSE(not_json.has_value());
            CHECK(not_json.error().message() == "stored content of 'greet' is not a JSON object");
            const auto bad = prompt::definition_from_content("greet", R"({"template":3})");
            REQUIRE_FALSE(bad.has_value());
            CHECK(bad.error().code() == ErrorCode::invalid_input);
            CHECK(bad.error().message().starts_with("stored content of 'greet' is malformed: "));
            CHECK_FALSE(prompt::definition_from_content("greet", "{}").has_value());
        }
    }

} // TEST_SUITE
