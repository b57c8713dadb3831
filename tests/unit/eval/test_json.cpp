#include <llmops/eval/assertion.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace eval = llmops::eval;
using json = nlohmann::json;
using llmops::test::TempDir;

namespace {

eval::AssertionResult check(const json& entry, std::string_view output) {
    auto spec = eval::parse_assertion(entry, "t", ".");
    if (!spec)
        FAIL(spec.error().message());
    eval::AssertionContext context;
    context.output = output;
    return eval::run_assertion(*spec, context);
}

// The reason `output` gets from is-json against `schema`, or "pass".
std::string against(const json& schema, std::string_view output) {
    const auto r = check({{"type", "is-json"}, {"value", schema}}, output);
    return r.pass ? "pass" : r.reason;
}

std::string parse_error(const json& entry, const std::filesystem::path& base_dir = ".") {
    auto spec = eval::parse_assertion(entry, "t", base_dir);
    REQUIRE_FALSE(spec.has_value());
    return spec.error().message();
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::is-json") {
        SUBCASE("the whole output must be JSON") {
            const auto r = check({{"type", "is-json"}}, " {\"a\": [1, 2]}\n");
            CHECK(r.pass);
            CHECK(r.reason == "output is valid JSON");
            const auto f = check({{"type", "is-json"}}, "{\"a\": 1,\n oops}");
            CHECK_FALSE(f.pass);
            CHECK(f.reason == "output is not valid JSON: syntax error at line 2, column 2");
        }
        SUBCASE("with a schema the JSON must match it") {
            const json schema = {{"type", "object"}, {"required", {"name"}}};
            CHECK(against(schema, "{\"name\": \"x\"}") == "pass");
            CHECK(against(schema, "{}") == "output is JSON but does not match the schema: at "
                                           "'/': must have required property 'name'");
        }
        SUBCASE("a schema written as a YAML or JSON string") {
            CHECK(check({{"type", "is-json"}, {"value", "type: array\nminItems: 1"}}, "[1]").pass);
            CHECK_FALSE(
                check({{"type", "is-json"}, {"value", "{\"type\": \"array\"}"}}, "{}").pass);
        }
        SUBCASE("a schema file is read relative to the suite's folder") {
            TempDir dir;
            dir.write("schemas/answer.json",
                      R"({"type": "object", "properties": {"n": {"type": "integer"}}})");
            auto spec = eval::parse_assertion(
                {{"type", "is-json"}, {"value", "file://schemas/answer.json"}}, "t", dir.path());
            REQUIRE(spec.has_value());
            CHECK(spec->value.is_object());
            eval::AssertionContext context;
            context.output = "{\"n\": 1.5}";
            CHECK(eval::run_assertion(*spec, context).reason ==
                  "output is JSON but does not match the schema: at '/n': must be integer");
        }
    }

    TEST_CASE("eval::contains-json") {
        SUBCASE("JSON objects are found in prose and code fences") {
            const auto r = check({{"type", "contains-json"}},
                                 "Here you go:\n```json\n{\"a\": \"}\"}\n```\nDone.");
            CHECK(r.pass);
            CHECK(r.reason == "output contains JSON");
            const auto f = check({{"type", "contains-json"}}, "no braces, just [1, 2]");
            CHECK_FALSE(f.pass);
            CHECK(f.reason == "output contains no JSON object");
        }
        SUBCASE("with a schema, one of the objects must match") {
            const json entry = {{"type", "contains-json"},
                                {"value", {{"type", "object"}, {"required", {"answer"}}}}};
            CHECK(check(entry, "{\"draft\": 1} then {\"answer\": 2}").pass);
            CHECK(check(entry, "{\"draft\": 1}").reason ==
                  "output contains JSON, but none that matches the schema: at '/': must have "
                  "required property 'answer'");
        }
    }

    TEST_CASE("eval::is-json and contains-json on output nested 100,000 deep") {
        // Two deep items compared for uniqueItems once overflowed the stack.
        const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
        const json unique = {{"type", "array"}, {"uniqueItems", true}};
        SUBCASE("is-json fails, saying where") {
            const auto r =
                check({{"type", "is-json"}, {"value", unique}}, "[" + deep + "," + deep + "]");
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "output is not usable JSON: nesting deeper than 512 levels (at line "
                              "1, column 513)");
            CHECK(against(unique, "[" + deep.substr(0, 511) + deep.substr(deep.size() - 511) +
                                      "]") == "pass");
        }
        SUBCASE("contains-json finds no object in it") {
            const json entry = {{"type", "contains-json"},
                                {"value", {{"properties", {{"a", unique}}}}}};
            const auto r = check(entry, R"({"a": [)" + deep + "," + deep + "]}");
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "output contains no JSON object");
        }
    }

    TEST_CASE("eval::JSON Schema keywords") {
        SUBCASE("type, with integer accepting 2.0") {
            CHECK(against({{"type", "integer"}}, "2.0") == "pass");
            CHECK(against({{"type", {"string", "null"}}}, "3") ==
                  "output is JSON but does not match the schema: at '/': must be string or null");
        }
        SUBCASE("enum and const") {
            CHECK(against({{"enum", {"yes", "no"}}}, "\"yes\"") == "pass");
            CHECK(against({{"enum", {"yes", "no"}}}, "\"maybe\"")
                      .ends_with("must be equal to one of the allowed values [\"yes\",\"no\"]"));
            CHECK(against({{"const", 3}}, "4").ends_with("at '/': must be equal to 3"));
        }
        SUBCASE("numeric limits") {
            CHECK(against({{"minimum", 0}, {"maximum", 10}}, "10") == "pass");
            CHECK(against({{"minimum", 0}}, "-1").ends_with("must be >= 0"));
            CHECK(against({{"exclusiveMaximum", 10}}, "10").ends_with("must be < 10"));
            CHECK(against({{"multipleOf", 0.5}}, "1.25").ends_with("must be a multiple of 0.5"));
        }
        SUBCASE("string length in characters, and pattern") {
            CHECK(against({{"maxLength", 4}}, "\"caf\xC3\xA9\"") == "pass");
            CHECK(against({{"minLength", 2}}, "\"a\"")
                      .ends_with("must not have fewer than 2 characters"));
            CHECK(against({{"pattern", "^[A-Z]{2}\\d$"}}, "\"AB1\"") == "pass");
            CHECK(against({{"pattern", "^[A-Z]{2}\\d$"}}, "\"ab1\"")
                      .ends_with("must match pattern '^[A-Z]{2}\\d$'"));
        }
        SUBCASE("arrays: items, counts and uniqueness") {
            const json schema = {{"type", "array"},
                                 {"items", {{"type", "string"}}},
                                 {"minItems", 1},
                                 {"uniqueItems", true}};
            CHECK(against(schema, "[\"a\", \"b\"]") == "pass");
            CHECK(against(schema, "[]").ends_with("must not have fewer than 1 items"));
            CHECK(against(schema, "[\"a\", 2]").ends_with("at '/1': must be string"));
            CHECK(against(schema, "[\"a\", \"a\"]")
                      .ends_with("must not have duplicate items (items 0 and 1 are equal)"));
        }
        SUBCASE("objects: properties and additionalProperties") {
            const json schema = {{"properties", {{"a", {{"type", "number"}}}}},
                                 {"additionalProperties", false}};
            CHECK(against(schema, "{\"a\": 1}") == "pass");
            CHECK(against(schema, "{\"a\": 1, \"b\": 2}")
                      .ends_with("must not have additional property 'b'"));
        }
        SUBCASE("anyOf, oneOf, allOf and not") {
            const json number_or_string = {{"anyOf", {{{"type", "number"}}, {{"type", "string"}}}}};
            CHECK(against(number_or_string, "\"x\"") == "pass");
            CHECK(against(number_or_string, "true").ends_with("must match a schema in anyOf"));
            const json one = {{"oneOf", {{{"type", "integer"}}, {{"type", "number"}}}}};
            CHECK(against(one, "1.5") == "pass");
            CHECK(
                against(one, "1").ends_with("must match exactly one schema in oneOf (matches 2)"));
            CHECK(against({{"allOf", {{{"minimum", 1}}, {{"maximum", 2}}}}}, "3")
                      .ends_with("must be <= 2"));
            CHECK(against({{"not", {{"type", "null"}}}}, "null")
                      .ends_with("must not be valid against the schema in 'not'"));
        }
        SUBCASE("local references into $defs") {
            const json schema = {{"$defs", {{"id", {{"type", "string"}, {"minLength", 3}}}}},
                                 {"properties", {{"id", {{"$ref", "#/$defs/id"}}}}}};
            CHECK(against(schema, "{\"id\": \"abc\"}") == "pass");
            CHECK(against(schema, "{\"id\": \"ab\"}")
                      .ends_with("at '/id': must not have fewer than 3 characters"));
        }
    }

    TEST_CASE("eval::JSON Schema errors") {
        SUBCASE("unsupported keywords are refused where they are") {
            CHECK(parse_error({{"type", "is-json"},
                               {"value", {{"properties", {{"email", {{"format", "email"}}}}}}}}) ==
                  "t: 'is-json' value is not a valid JSON schema: keyword 'format' at "
                  "'#/properties/email' is not supported");
        }
        SUBCASE("misshapen keywords") {
            CHECK(parse_error({{"type", "contains-json"}, {"value", {{"required", "name"}}}}) ==
                  "t: 'contains-json' value is not a valid JSON schema: 'required' at '#' must be "
                  "a list of strings");
            CHECK(parse_error({{"type", "is-json"}, {"value", {{"pattern", "(x"}}}}) ==
                  "t: 'is-json' value is not a valid JSON schema: 'pattern' at '#' is not a valid "
                  "regular expression: missing ')'");
            CHECK(parse_error({{"type", "is-json"}, {"value", {{"$ref", "other.json#/a"}}}}) ==
                  "t: 'is-json' value is not a valid JSON schema: '$ref' at '#' points outside "
                  "the schema ('other.json#/a'): only local references ('#/$defs/name') are "
                  "supported");
            CHECK(parse_error({{"type", "is-json"}, {"value", 3}}) ==
                  "t: 'is-json' value is not a valid JSON schema: a schema is a map or true/false");
        }
        SUBCASE("a schema file that does not exist") {
            TempDir dir;
            CHECK(
                parse_error({{"type", "is-json"}, {"value", "file://missing.json"}}, dir.path()) ==
                "t: 'is-json' schema file 'missing.json' does not exist");
        }
    }
}
