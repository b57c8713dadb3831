#include <llmops/prompt/template.hpp>

#include <map>
#include <string>

#include <doctest/doctest.h>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

using llmops::ErrorCode;
using llmops::Expected;
using llmops::fail;
using nlohmann::json;
namespace prompt = llmops::prompt;

namespace {

// A partial loader over an in-memory map that counts its calls.
struct FakeStore {
    std::map<std::string, std::string, std::less<>> partials;
    int loads = 0;

    prompt::PartialLoader loader() {
        return [this](std::string_view ref) -> Expected<std::string> {
            ++loads;
            const auto it = partials.find(ref);
            if (it == partials.end()) {
                return fail(ErrorCode::not_found, "prompt '{}' not found", ref);
            }
            return it->second;
        };
    }
};

Expected<std::string> render(std::string_view tmpl, const json& vars, FakeStore& store,
                             prompt::MissingVariables missing = prompt::MissingVariables::error) {
    return prompt::render_template(tmpl, vars, store.loader(), prompt::RenderOptions{missing},
                                   "greet");
}

Expected<std::string> render(std::string_view tmpl, const json& vars) {
    FakeStore store;
    return render(tmpl, vars, store);
}

std::string error_of(const Expected<std::string>& result) {
    REQUIRE_FALSE(result.has_value());
    return result.error().message();
}

} // namespace

TEST_SUITE("prompt") {

    TEST_CASE("prompt::render_template") {
        SUBCASE("plain variables and dotted names render their values") {
            const json vars = {{"name", "Ada"}, {"user", {{"city", "London"}}}};
            CHECK(render("Hi {{name}} from {{user.city}}!", vars) == "Hi Ada from London!");
            CHECK(render("{{{name}}} {{& name}} {{ name }}", vars) == "Ada Ada Ada");
        }

        SUBCASE("a section repeats over a list of objects") {
            const json vars = {{"items", {{{"n", "a"}}, {{"n", "b"}}}}, {"tags", {"x", "y"}}};
            CHECK(render("{{#items}}[{{n}}]{{/items}}", vars) == "[a][b]");
            CHECK(render("{{#tags}}{{.}},{{/tags}}", vars) == "x,y,");
        }

        SUBCASE("inverted sections render for false, empty lists, null and missing names") {
            const json vars = {{"f", false}, {"e", json::array()}, {"z", nullptr}, {"t", true}};
            CHECK(render("{{^f}}1{{/f}}{{^e}}2{{/e}}{{^z}}3{{/z}}{{^no}}4{{/no}}{{^t}}5{{/t}}",
                         vars) == "1234");
        }

        SUBCASE("nothing is HTML-escaped") {
            CHECK(render("{{x}}|{{{x}}}", {{"x", "<b>&\"'"}}) == "<b>&\"'|<b>&\"'");
        }

        SUBCASE("a missing variable is an error naming it") {
            CHECK(error_of(render("{{a}}", json::object())) == "greet: missing variable 'a'");
            auto result = render("{{b}} {{a.x}} {{b}} {{#s}}{{c}}{{/s}}", json::object());
            CHECK(error_of(result) == "greet: missing variables 'b', 'a.x'");
            CHECK(result.error().code() == ErrorCode::invalid_input);
        }

        SUBCASE("inside a section a variable may come from the outer context") {
            const json vars = {{"greeting", "hi"}, {"people", {{{"name", "Ada"}}}}};
            CHECK(render("{{#people}}{{greeting}} {{name}}{{/people}}", vars) == "hi Ada");
            CHECK(error_of(render("{{#people}}{{age}}{{/people}}", vars)) ==
                  "greet: missing variable 'age'");
        }

        SUBCASE("a missing section is falsy, even when its name is also a variable inside it") {
            CHECK(render("a{{#title}}# {{title}}{{/title}}b", json::object()) == "ab");
        }

        SUBCASE("allow mode renders missing variables as empty text") {
            FakeStore store;
            CHECK(render("[{{a}}]", json::object(), store, prompt::MissingVariables::allow) ==
                  "[]");
        }

        SUBCASE("null renders as empty text and is not missing") {
            CHECK(render("[{{x}}]", {{"x", nullptr}}) == "[]");
            CHECK(render("no variables", nullptr) == "no variables");
            CHECK(error_of(render("{{x}}", json::array())) ==
                  "greet: variables must be a JSON object, not array");
        }

        SUBCASE("numbers and booleans render as their JSON text") {
            const json vars = {{"i", 42}, {"n", -7}, {"f", 0.5}, {"t", true}, {"no", false}};
            CHECK(render("{{i}} {{n}} {{f}} {{t}} {{no}}", vars) == "42 -7 0.5 true false");
        }

        SUBCASE("partials nest and see the same variables, each loaded once") {
            FakeStore store;
            store.partials = {{"shared/tone@production", "Be {{tone}}. {{> sig}}"},
                              {"sig", "-- {{name}}"}};
            auto result = render("{{> shared/tone@production}}|{{> sig}}",
                                 {{"tone", "kind"}, {"name", "Ada"}}, store);
            CHECK(result == "Be kind. -- Ada|-- Ada");
            CHECK(store.loads == 2);
        }

        SUBCASE("a missing variable in a partial is reported") {
            FakeStore store;
            store.partials = {{"p", "{{who}}"}};
            CHECK(error_of(render("{{> p}}", json::object(), store)) ==
                  "greet: missing variable 'who'");
        }

        SUBCASE("a partial cycle is an error showing the chain") {
            FakeStore store;
            store.partials = {{"a@1", "A {{> b}}"}, {"b", "B {{> a@1}}"}};
            CHECK(error_of(render("{{> a@1}}", json::object(), store)) ==
                  "greet: partial cycle: a@1 -> b -> a@1");
        }

        SUBCASE("a loader error is passed on with the partial's ref") {
            FakeStore store;
            auto result = render("{{> nope@2}}", json::object(), store);
            CHECK(error_of(result) == "greet: partial 'nope@2': prompt 'nope@2' not found");
            CHECK(result.error().code() == ErrorCode::not_found);
        }

        SUBCASE("a syntax error names the template, the line and the column") {
            CHECK(error_of(render("x {{#a}}y", json::object())) ==
                  "greet: line 1, column 3: unclosed section '{{#a}}'");
            CHECK(error_of(render("{{#a}}\n  {{/b}}", json::object())) ==
                  "greet: line 2, column 3: mismatched section: '{{/b}}' closes '{{#a}}'");
            FakeStore store;
            store.partials = {{"p", "{{oops"}};
            CHECK(error_of(render("{{> p}}", json::object(), store)) ==
                  "greet: partial 'p': line 1, column 1: unclosed tag: '{{' has no '}}'");
        }
    }

    TEST_CASE("prompt::find_template_error") {
        const auto error = [](std::string_view tmpl) {
            const auto found = prompt::find_template_error(tmpl);
            REQUIRE(found.has_value());
            return std::pair{found->offset, found->message};
        };
        using At = std::pair<size_t, std::string>;

        SUBCASE("valid templates: sections, set delimiters, triple mustaches, comments, partials") {
            for (const std::string_view tmpl : {
                     "plain text, no tags",
                     "{{#items}}{{name}}{{/items}}{{^items}}none{{/items}}",
                     "{{#a}}{{#b}}{{/b}}{{/a}}",
                     "{{# a }}x{{/a}}",                    // names are trimmed
                     "{{{x}}} {{&x}} {{& y }}",            // unescaped variables
                     "{{! a comment with {{#x}} in it }}", // a comment ends at the first }}
                     "{{!\n multi-line {{/stray}} }}",
                     "{{> shared/tone@production}}",
                     "{{=<% %>=}}<%#a%><% x %><%/a%>",
                     "{{=<% %>=}}{{#not-a-section}}<%={{ }}=%>{{#b}}{{/b}}",
                     "{{#}}{{/}}", // kainjow accepts an empty name
                     "{{ }}",
                 }) {
                CAPTURE(tmpl);
                CHECK_FALSE(prompt::find_template_error(tmpl).has_value());
            }
        }

        SUBCASE("an unclosed section is reported at its opening tag, inverted ones too") {
            CHECK(error("a {{#items}} b") == At{2, "unclosed section '{{#items}}'"});
            CHECK(error("{{^x}}") == At{0, "unclosed section '{{^x}}'"});
            CHECK(error("{{#a}}{{#b}}{{/b}}") == At{0, "unclosed section '{{#a}}'"});
            CHECK(error("{{=<% %>=}}<%#a%>") == At{11, "unclosed section '<%#a%>'"});
        }

        SUBCASE("a closing tag must close the innermost open section") {
            CHECK(error("{{#a}}{{#b}}{{/a}}{{/b}}") ==
                  At{12, "mismatched section: '{{/a}}' closes '{{#b}}'"});
            CHECK(error("{{^a}}{{/b}}") == At{6, "mismatched section: '{{/b}}' closes '{{^a}}'"});
        }

        SUBCASE("a stray closing tag is reported where it is") {
            CHECK(error("x {{/x}}") == At{2, "'{{/x}}' closes no open section"});
            CHECK(error("{{#a}}{{/a}}{{/a}}") == At{12, "'{{/a}}' closes no open section"});
        }

        SUBCASE("unclosed tags and bad set-delimiter tags") {
            CHECK(error("hi {{name") == At{3, "unclosed tag: '{{' has no '}}'"});
            CHECK(error("{{{name}}") == At{0, "unclosed tag: '{{{' has no '}}}'"});
            CHECK(error("{{=<% %>=}}<% x") == At{11, "unclosed tag: '<%' has no '%>'"});
            CHECK(error("{{=<%%>=}}") ==
                  At{0, "invalid set-delimiter tag '{{=<%%>=}}' (expected two delimiters without "
                        "'=' or spaces, as in '{{=<% %>=}}')"});
        }

        SUBCASE("where_in_template gives the line and column") {
            const std::string tmpl = "one\ntwo {{#x}}";
            const auto found = prompt::find_template_error(tmpl);
            REQUIRE(found.has_value());
            CHECK(prompt::where_in_template(tmpl, *found) ==
                  "line 2, column 5: unclosed section '{{#x}}'");
        }

        SUBCASE("it agrees with kainjow's parser on what is valid") {
            for (const std::string_view tmpl :
                 {"{{#a}}", "{{/a}}", "{{#a}}{{/b}}", "{{#a}}{{/a}}", "{{#a}}{{#b}}{{/a}}{{/b}}",
                  "{{{x}}", "{{{x}}}", "{{x", "{{=<% %>=}}<%#a%>{{/a}}", "{{=<% %>=}}<%#a%><%/a%>",
                  "{{= | | =}}|#a| |/a|", "{{=a=}}", "{{! {{#a}} }}", "{{#a}}{{! {{/a}} }}",
                  "{{#a}}{{^a}}{{/a}}{{/a}}", "{{#}}{{/}}", "{{", "}}{{/a"}) {
                CAPTURE(tmpl);
                const kainjow::mustache::mustache parsed{std::string(tmpl)};
                CHECK(prompt::find_template_error(tmpl).has_value() == !parsed.is_valid());
            }
        }
    }

    TEST_CASE("prompt::variable_names") {
        SUBCASE("lists variable tags once in order, not sections, partials, comments or {{.}}") {
            const auto names = prompt::variable_names("{{b}} {{#s}}{{.}}{{a.x}}{{/s}} {{{c}}} {{& "
                                                      "d}} {{b}} {{> p}} {{! e}} {{^f}}{{/f}}");
            CHECK(names == std::vector<std::string>{"b", "a.x", "c", "d"});
        }

        SUBCASE("follows delimiter changes") {
            CHECK(prompt::variable_names("{{=<% %>=}}<% x %> {{y}}") ==
                  std::vector<std::string>{"x"});
        }
    }

    TEST_CASE("prompt::partial_refs") {
        SUBCASE("lists partial refs once in order") {
            const auto refs = prompt::partial_refs("{{> shared/tone@production}} {{>b.c_d-e}} "
                                                   "{{#s}}{{> shared/tone@production}}{{/s}}");
            CHECK(refs == std::vector<std::string>{"shared/tone@production", "b.c_d-e"});
        }
    }

} // TEST_SUITE
