#include <llmops/eval/assertion.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace eval = llmops::eval;
using json = nlohmann::json;

namespace {

eval::AssertionResult check(const json& entry, std::string_view output) {
    auto spec = eval::parse_assertion(entry, "t", ".");
    if (!spec)
        FAIL(spec.error().message());
    eval::AssertionContext context;
    context.output = output;
    return eval::run_assertion(*spec, context);
}

json assertion(std::string_view type, json value) {
    return json{{"type", type}, {"value", std::move(value)}};
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::equals") {
        SUBCASE("the whole output must be the value, byte for byte") {
            CHECK(check(assertion("equals", "Paris"), "Paris").pass);
            const auto r = check(assertion("equals", "Paris"), "Paris\n");
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "output 'Paris\\n' does not equal 'Paris'");
        }
        SUBCASE("a number is compared as its text") {
            CHECK(check(assertion("equals", 42), "42").pass);
            CHECK(check(assertion("equals", 2.5), "2.5").pass);
        }
        SUBCASE("a map or list is compared with the output read as JSON") {
            CHECK(check(assertion("equals", json{{"a", 1}}), "{ \"a\": 1.0 }").pass);
            CHECK_FALSE(check(assertion("equals", json{{"a", 1}}), "{\"a\": 2}").pass);
            CHECK_FALSE(check(assertion("equals", json{{"a", 1}}), "not json").pass);
        }
    }

    TEST_CASE("eval::contains and icontains") {
        SUBCASE("contains is case-sensitive") {
            const auto r = check(assertion("contains", "Paris"), "The capital is Paris.");
            CHECK(r.pass);
            CHECK(r.score == 1);
            CHECK(r.reason == "output contains 'Paris'");
            CHECK_FALSE(check(assertion("contains", "Paris"), "the capital is paris").pass);
        }
        SUBCASE("icontains ignores case, beyond ASCII too") {
            CHECK(check(assertion("icontains", "PARIS"), "the capital is paris").pass);
            CHECK(check(assertion("icontains", "\xC3\x89T\xC3\x89"), "un \xC3\xA9t\xC3\xA9 chaud")
                      .pass);
            const auto r = check(assertion("icontains", "rome"), "Paris");
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "output does not contain 'rome' (ignoring case)");
        }
    }

    TEST_CASE("eval::contains-any and contains-all") {
        SUBCASE("contains-any takes a list or a comma-separated string") {
            CHECK(check(assertion("contains-any", json::array({"Rome", "Paris"})), "Paris").pass);
            CHECK(check(assertion("contains-any", "Rome, Paris"), "Paris").pass);
            const auto r = check(assertion("contains-any", "Rome, \"Bern, CH\""), "Paris");
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "output contains none of 'Rome', 'Bern, CH'");
        }
        SUBCASE("contains-all names what is missing") {
            CHECK(check(assertion("contains-all", json::array({"a", "b"})), "a b").pass);
            const auto r = check(assertion("contains-all", json::array({"a", "b", "c"})), "a");
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "output does not contain 'b', 'c'");
        }
        SUBCASE("the i- forms ignore case") {
            CHECK(check(assertion("icontains-any", "ROME, PARIS"), "paris").pass);
            CHECK_FALSE(check(assertion("icontains-any", "ROME, BERN"), "paris").pass);
            CHECK(check(assertion("icontains-all", "A, B"), "a b").pass);
            CHECK_FALSE(check(assertion("icontains-all", "A, C"), "a b").pass);
        }
    }

    TEST_CASE("eval::starts-with") {
        CHECK(check(assertion("starts-with", "Yes"), "Yes, it is.").pass);
        const auto r = check(assertion("starts-with", "Yes"), "No.");
        CHECK_FALSE(r.pass);
        CHECK(r.reason == "output 'No.' does not start with 'Yes'");
    }

    TEST_CASE("eval::regex") {
        SUBCASE("the pattern is searched for anywhere") {
            const auto r = check(assertion("regex", "\\d{3}-\\d{4}"), "call 555-1234 now");
            CHECK(r.pass);
            CHECK(r.reason == "output matches '\\d{3}-\\d{4}'");
            CHECK_FALSE(check(assertion("regex", "^\\d+$"), "12a").pass);
        }
        SUBCASE("a pattern made with variables is compiled when it runs") {
            auto spec = eval::parse_assertion(assertion("regex", "({{word}}"), "t", ".");
            REQUIRE(spec.has_value());
            const json vars{{"word", "x"}};
            eval::AssertionContext context;
            context.output = "x";
            context.vars = &vars;
            const auto r = eval::run_assertion(*spec, context);
            CHECK(r.error);
            CHECK(r.reason == "'(x' is not a valid regular expression: missing ')'");
        }
    }
}
