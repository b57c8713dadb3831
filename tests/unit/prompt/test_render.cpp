#include <llmops/prompt/render.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/prompt/operations.hpp>
#include <llmops/store/project.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"
#include "support/test_project.hpp"

using llmops::ErrorCode;
using llmops::Expected;
using llmops::prompt::FileFormat;
using llmops::prompt::MissingVariables;
using llmops::prompt::PromptDefinition;
using llmops::prompt::RenderedPrompt;
using llmops::prompt::RenderOptions;
using nlohmann::json;
namespace prompt = llmops::prompt;
namespace store = llmops::store;

namespace {

PromptDefinition definition(std::string_view yaml) {
    auto def = prompt::parse_prompt_file(yaml, FileFormat::yaml, "greet", "prompts/greet.yaml");
    REQUIRE_OK(def);
    return *def;
}

// A loader for prompts that use no partials.
Expected<std::string> no_partials(std::string_view ref) {
    FAIL("unexpected partial " << ref);
    return "";
}

Expected<RenderedPrompt> render(const PromptDefinition& def, const json& vars,
                                MissingVariables missing = MissingVariables::error) {
    return prompt::render_prompt(def, vars, no_partials, RenderOptions{missing});
}

std::string text_of(const Expected<RenderedPrompt>& result) {
    REQUIRE_OK(result);
    REQUIRE(result->text.has_value());
    CHECK(result->messages.empty());
    return *result->text;
}

std::string error_of(const Expected<RenderedPrompt>& result) {
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code() == ErrorCode::invalid_input);
    return result.error().message();
}

// A project with a store in a temporary folder and prompts committed from YAML texts.
struct StoreFixture : llmops::test::TestProject {
    // Commits `yaml` as prompt `name` (the file prompts/<name>.yaml is written first).
    store::VersionInfo commit(const std::string& name, std::string_view yaml) {
        const auto path = dir.write("prompts/" + name + ".yaml", yaml);
        auto files = prompt::prompt_files_for(path, project);
        REQUIRE_OK(files);
        auto commits = prompt::commit_files(*db, *files, "test", "tester");
        REQUIRE_OK(commits);
        REQUIRE(commits->size() == 1);
        return commits->front().outcome.version;
    }
};

} // namespace

TEST_SUITE("prompt") {

    TEST_CASE("prompt::render_prompt") {
        const auto def = definition("template: '{{greeting}}, {{who}}! ({{n}})'\n"
                                    "variables: {greeting: Hello, who: World, n: 3}\n");

        SUBCASE("declared defaults fill what the caller does not set") {
            CHECK(text_of(render(def, json::object())) == "Hello, World! (3)");
            CHECK(text_of(render(def, nullptr)) == "Hello, World! (3)");
        }

        SUBCASE("the caller's variables override the defaults") {
            CHECK(text_of(render(def, {{"who", "Ada"}, {"n", 4.5}})) == "Hello, Ada! (4.5)");
        }

        SUBCASE("a declared variable without a default must be set") {
            const auto bare = definition("template: '{{a}} {{b}}'\nvariables: [b, a, c]\n");
            CHECK(error_of(render(bare, {{"a", 1}, {"c", 2}})) == "greet: missing variable 'b'");
            CHECK(error_of(render(bare, json::object())) ==
                  "greet: missing variables 'a', 'b', 'c'");
            CHECK(text_of(render(bare, {{"a", 1}, {"b", 2}, {"c", 3}})) == "1 2");
        }

        SUBCASE("a variable set to null counts as set") {
            const auto bare = definition("template: '[{{a}}]'\nvariables: [a]\n");
            CHECK(text_of(render(bare, {{"a", nullptr}})) == "[]");
        }

        SUBCASE("an undeclared variable the template uses is missing too") {
            const auto undeclared = definition("template: '{{x}}'\n");
            CHECK(error_of(render(undeclared, json::object())) == "greet: missing variable 'x'");
        }

        SUBCASE("allowing missing variables renders them as empty text") {
            const auto bare = definition("template: '[{{a}}|{{x}}]'\nvariables: [a]\n");
            CHECK(text_of(render(bare, json::object(), MissingVariables::allow)) == "[|]");
        }

        SUBCASE("variables that are not an object are an error") {
            CHECK(error_of(render(def, json::array({1}))) ==
                  "greet: variables must be a JSON object, not array");
        }
    }

    TEST_CASE("prompt::render_prompt chat") {
        const auto def = definition("messages:\n"
                                    "  - {role: system, content: 'You are {{persona}}.'}\n"
                                    "  - {role: user, content: '{{question}}'}\n"
                                    "variables: {persona: helpful}\n");

        SUBCASE("each message is rendered and keeps its role") {
            const auto result = render(def, {{"question", "Why?"}});
            REQUIRE_OK(result);
            CHECK_FALSE(result->text.has_value());
            REQUIRE(result->messages.size() == 2);
            CHECK(result->messages[0].role == "system");
            CHECK(result->messages[0].content == "You are helpful.");
            CHECK(result->messages[1].role == "user");
            CHECK(result->messages[1].content == "Why?");
        }

        SUBCASE("an error names the message") {
            CHECK(error_of(render(def, json::object())) == "greet (message 2): missing variable "
                                                           "'question'");
        }
    }

    TEST_CASE("prompt::check_templates") {
        SUBCASE("a text prompt's template and each chat message are checked") {
            PromptDefinition def;
            def.template_text = "Hi\n{{#items}}";
            const auto text = prompt::check_templates(def, "evals/qa.yaml: prompts[0]");
            REQUIRE_FALSE(text.has_value());
            CHECK(text.error().code() == ErrorCode::invalid_input);
            CHECK(text.error().message() ==
                  "evals/qa.yaml: prompts[0]: line 2, column 1: unclosed section '{{#items}}'");
            PromptDefinition chat;
            chat.messages = {{"system", "fine"}, {"user", "{{/x}}"}};
            CHECK(prompt::check_templates(chat, "inline").error().message() ==
                  "inline (message 2): line 1, column 1: '{{/x}}' closes no open section");
        }
        SUBCASE("valid templates pass") {
            CHECK(prompt::check_templates(definition("template: \"{{#a}}{{/a}}\"\n"), "x")
                      .has_value());
        }
    }

    TEST_CASE("prompt::store_partial_loader") {
        StoreFixture fx;
        store::PromptStore prompts(*fx.db);
        const auto v1 = fx.commit("shared/tone", "template: 'Be {{tone}}.'\n");
        fx.commit("shared/tone", "template: 'Be very {{tone}}.'\n");
        REQUIRE(prompts.set_label(v1, "production", "tester", "first").has_value());
        fx.commit("chatty", "messages: [{role: user, content: hi}]\n");
        const auto loader = prompt::store_partial_loader(prompts);
        const auto render_with_store = [&](std::string_view tmpl) {
            return prompt::render_prompt(definition(fmt::format("template: '{}'\n", tmpl)),
                                         {{"tone", "kind"}}, loader, RenderOptions{});
        };

        SUBCASE("a partial without a version is the latest") {
            CHECK(text_of(render_with_store("{{> shared/tone}} Thanks.")) ==
                  "Be very kind. Thanks.");
        }

        SUBCASE("a partial may name a label or a version number") {
            CHECK(text_of(render_with_store("{{> shared/tone@production}}")) == "Be kind.");
            CHECK(text_of(render_with_store("{{> shared/tone@2}}")) == "Be very kind.");
        }

        SUBCASE("a chat prompt cannot be a partial") {
            CHECK(error_of(render_with_store("{{> chatty}}")) ==
                  "greet: partial 'chatty': 'chatty' is a chat prompt; only text prompts can be "
                  "partials");
        }

        SUBCASE("an unknown partial is the store's error") {
            const auto result = render_with_store("{{> shared/tome}}");
            REQUIRE_FALSE(result.has_value());
            CHECK(result.error().code() == ErrorCode::not_found);
            CHECK(result.error().message().starts_with("greet: partial 'shared/tome': "));
        }
    }

} // TEST_SUITE
