// promptfoo's transforms (lib/llmops/eval/transform.cpp), run by node.

#include <llmops/eval/assertion.hpp>
#include <llmops/eval/node_worker.hpp>
#include <llmops/eval/transform.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace eval = llmops::eval;
using json = nlohmann::json;

namespace {

const std::filesystem::path k_data = std::filesystem::path(LLMOPS_SOURCE_DIR) / "tests/data/eval";

llmops::Expected<eval::TransformedOutput> transform(eval::NodeWorker& node, const std::string& code,
                                                    std::string_view output,
                                                    bool output_json = false) {
    eval::AssertionContext context;
    context.output = output;
    context.output_json = output_json;
    context.base_dir = k_data;
    context.node = &node;
    context.script_timeout_ms = 10000;
    return eval::run_transform(code, {{"vars", {{"city", "Paris"}}}}, context);
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::run_transform") {
        eval::NodeWorker node(k_data);
        SUBCASE("an expression; a string stays text") {
            const auto r = transform(node, "output.toUpperCase() + context.vars.city", "a ");
            REQUIRE(r);
            CHECK(r->text == "A Paris");
            CHECK_FALSE(r->json);
        }
        SUBCASE("anything else is its JSON text, and the value for the next transform") {
            const auto r = transform(node, "JSON.parse(output)", R"({"b": 1, "a": [2]})");
            REQUIRE(r);
            CHECK(r->text == R"({"b":1,"a":[2]})"); // JSON.stringify keeps the keys' order
            CHECK(r->json);
            CHECK(transform(node, "output.a[0] * 2", r->text, true)->text == "4");
        }
        SUBCASE("several lines are a function body; a file's function") {
            CHECK(transform(node, "const n = output.length;\nreturn n;", "abc")->text == "3");
            CHECK(transform(node, "file://transform.js", "abc")->text == "ABC");
            CHECK(transform(node, "file://transform.js:wrap", "abc")->text == "[abc]");
        }
        SUBCASE("a throw or nothing returned fails with promptfoo's words") {
            CHECK(transform(node, "JSON.parse(output)", "x").error().message() ==
                  "Error: Transform failed ([inline transform]: JSON.parse(output)): Unexpected "
                  "token 'x', \"x\" is not valid JSON");
            CHECK(transform(node, "null", "x").error().message() ==
                  "Error: Transform function did not return a value ([inline transform]: null)");
        }
    }

    TEST_CASE("eval::validate_transform") {
        CHECK(eval::validate_transform(json(""), "t", k_data).error().message() ==
              "t: 'transform' must be JavaScript code or 'file://transform.js'");
        CHECK(eval::validate_transform(json("file://transform.js:2x"), "t", k_data)
                  .error()
                  .message() == "t: 'transform' function name '2x' is not a JavaScript identifier");
        CHECK(eval::validate_transform(json("file://transform.js:wrap"), "t", k_data));
    }
}
