// javascript assertions (lib/llmops/eval/assertions/javascript.cpp), run by node.

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/node_worker.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace eval = llmops::eval;
using json = nlohmann::json;

namespace {

const std::filesystem::path k_data = std::filesystem::path(LLMOPS_SOURCE_DIR) / "tests/data/eval";

eval::AssertionResult check(const json& entry, std::string_view output,
                            eval::NodeWorker* node = nullptr, int64_t timeout_ms = 10000) {
    auto spec = eval::parse_assertion(entry, "t", k_data);
    if (!spec)
        FAIL(spec.error().message());
    static const json vars = {{"city", "Paris"}};
    eval::AssertionContext context;
    context.output = output;
    context.vars = &vars;
    context.base_dir = k_data;
    context.node = node;
    context.script_timeout_ms = timeout_ms;
    return eval::run_assertion(*spec, context);
}

json js(std::string_view value) {
    return {{"type", "javascript"}, {"value", value}};
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::javascript inline") {
        eval::NodeWorker node(k_data);
        SUBCASE("an expression: true passes, false fails") {
            const auto r = check(js("output.length < 10"), "Paris", &node);
            CHECK(r.pass);
            CHECK(r.reason == "javascript returned true");
            CHECK_FALSE(check(js("output.includes('Rome')"), "Paris", &node).pass);
        }
        SUBCASE("declarations, then the expression returned") {
            CHECK(check(js("const n = output.length; n === 5;"), "Paris", &node).pass);
        }
        SUBCASE("a multi-line body with return, and context.vars") {
            const auto r = check(js("const c = context.vars.city;\n"
                                    "return {pass: output === c, score: 0.5, reason: 'saw ' + c};"),
                                 "Paris", &node);
            CHECK(r.pass);
            CHECK(r.score == 0.5);
            CHECK(r.reason == "saw Paris");
        }
        SUBCASE("a number is a score: above 0 passes, or it must reach the threshold") {
            const auto r = check(js("output.length / 10"), "Paris", &node);
            CHECK(r.pass);
            CHECK(r.reason == "javascript returned score 0.5 (passes above 0)");
            json strict = js("output.length / 10");
            strict["threshold"] = 0.8;
            CHECK_FALSE(check(strict, "Paris", &node).pass);
        }
        SUBCASE("not-javascript negates") {
            CHECK(
                check({{"type", "not-javascript"}, {"value", "output === 'Rome'"}}, "Paris", &node)
                    .pass);
        }
        SUBCASE("a throw, a syntax error or no verdict fails, negated or not, as in promptfoo") {
            const auto r = check(js("output.nope()"), "Paris", &node);
            CHECK_FALSE(r.error);
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "Custom function threw error: output.nope is not a function");
            const auto negated =
                check({{"type", "not-javascript"}, {"value", "output.nope()"}}, "Paris", &node);
            CHECK_FALSE(negated.pass);
            CHECK_FALSE(negated.error);
            const auto none = check(js("const a = 1;\nconst b = 2;"), "Paris", &node);
            CHECK_FALSE(none.pass);
            CHECK(none.reason == "Custom function threw error: Custom function must return a "
                                 "boolean, number, or GradingResult object. Got type undefined: "
                                 "undefined");
            CHECK(check(js("output ==== )"), "Paris", &node).reason ==
                  "Custom function threw error: Unexpected token '='");
            CHECK(check(js("({pass: true})"), "Paris", &node).reason ==
                  "Custom function threw error: Custom function must return a boolean, number, "
                  "or GradingResult object. Got type object: {\"pass\":true}");
        }
        SUBCASE("a script that hangs is an error; the next assertion gets a new worker") {
            const auto r = check(js("while (true) {}\nreturn true;"), "x", &node, 300);
            CHECK(r.error);
            CHECK(r.reason == "javascript node timed out after 300 ms");
            CHECK(check(js("true"), "x", &node).pass);
        }
        SUBCASE("one node process answers every assertion") {
            check(js("true"), "x", &node);
            const int pid = node.pid();
            CHECK(pid > 0);
            for (int i = 0; i < 50; ++i)
                CHECK(check(js("process.pid === " + std::to_string(pid)), "x", &node).pass);
            CHECK(node.pid() == pid);
        }
    }

    TEST_CASE("eval::javascript from a file") {
        SUBCASE("module.exports") {
            CHECK(check(js("file://grade.js"), "It is Paris.").pass);
            CHECK_FALSE(check(js("file://grade.js"), "It is Rome.").pass);
        }
        SUBCASE("a named export") {
            const auto r = check(js("file://grade.js:verdict"), "Paris");
            CHECK(r.pass);
            CHECK(r.score == 0.9);
            CHECK(r.reason == "looked for Paris");
            CHECK(check(js("file://grade.js:score"), "x").score == 0.25);
            CHECK(check(js("file://grade.js:throws"), "x").reason ==
                  "javascript TypeError: no luck"); // called before promptfoo's guard: an error
            CHECK(check(js("file://grade.js:text"), "x").reason ==
                  "Custom function threw error: Invariant failed: Javascript assertion script "
                  "must return a boolean, number, or object (file://grade.js:text)");
            CHECK(check(js("file://grade.js:none"), "x").reason ==
                  "javascript Error: grade.js has no function 'none'");
        }
        SUBCASE("a missing file or another kind of file is refused at load") {
            CHECK(eval::parse_assertion(js("file://missing.js"), "t", k_data).error().message() ==
                  "t: 'javascript' file 'missing.js' does not exist");
            CHECK(eval::parse_assertion(js("file://grade.ts"), "t", k_data).error().message() ==
                  "t: 'javascript' file 'grade.ts' is not a .js, .cjs or .mjs file");
        }
    }

    TEST_CASE("eval::uses_nunjucks") {
        CHECK_FALSE(eval::uses_nunjucks("Hello {{name}} {{#items}}{{.}}{{/items}}"));
        CHECK(eval::uses_nunjucks("{% if x %}y{% endif %}"));
        CHECK(eval::uses_nunjucks("{# note #}"));
        CHECK(eval::uses_nunjucks("{{ name | lower }}"));
    }

    TEST_CASE("eval::NodeWorker renders Nunjucks as promptfoo configures it") {
        eval::NodeWorker node(k_data);
        REQUIRE(eval::check_nunjucks(node));
        const json request = {
            {"op", "render"},
            {"templates", {"{% for i in xs %}{{ i | upper }}{% endfor %} <{{ missing }}> {{ h }}"}},
            {"vars", {{"xs", {"a", "b"}}, {"h", "<b>"}}},
            {"filters", json::object()}};
        const auto out = node.call(request, 10000);
        REQUIRE(out);
        CHECK((*out)[0] == "AB <> <b>"); // undefined is empty, nothing is escaped
        auto broken = node.call({{"op", "render"},
                                 {"templates", {"{% if %}"}},
                                 {"vars", json::object()},
                                 {"filters", json::object()}},
                                10000);
        REQUIRE_FALSE(broken);
        CHECK(broken.error().message().starts_with("Template render error"));
    }
}
