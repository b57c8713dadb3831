#include <llmops/eval/assertion.hpp>

#include <chrono>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace eval = llmops::eval;
using json = nlohmann::json;
using llmops::test::TempDir;

namespace {

const std::filesystem::path k_data = std::filesystem::path(LLMOPS_SOURCE_DIR) / "tests/data/eval";

eval::AssertionResult check(const json& entry, std::string_view output,
                            int64_t timeout_ms = 10000) {
    auto spec = eval::parse_assertion(entry, "t", k_data);
    if (!spec)
        FAIL(spec.error().message());
    eval::AssertionContext context;
    context.output = output;
    context.base_dir = k_data;
    context.script_timeout_ms = timeout_ms;
    return eval::run_assertion(*spec, context);
}

json python(std::string_view value) {
    return {{"type", "python"}, {"value", value}};
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::python") {
        SUBCASE("get_assert returning a bool") {
            const auto r = check(python("file://grade.py"), "It is Paris.");
            CHECK(r.pass);
            CHECK(r.reason == "python returned True");
            CHECK_FALSE(check(python("file://grade.py"), "It is Rome.").pass);
        }
        SUBCASE("a float is a score: above 0 passes, or it must reach the threshold") {
            const auto r = check(python("file://grade.py:score"), "Paris");
            CHECK(r.pass);
            CHECK(r.score == 0.25);
            CHECK(r.reason == "python returned score 0.25 (passes above 0)");
            json strict = python("file://grade.py:score");
            strict["threshold"] = 0.5;
            const auto f = check(strict, "Paris");
            CHECK_FALSE(f.pass);
            CHECK(f.reason == "python returned score 0.25 (threshold 0.5)");
        }
        SUBCASE("a dict gives pass, score and reason") {
            const auto r = check(python("file://grade.py:verdict"), "Paris");
            CHECK(r.pass);
            CHECK(r.score == 0.9);
            CHECK(r.reason == "looked for Paris");
            CHECK_FALSE(check(python("file://grade.py:verdict"), "Rome").pass);
        }
        SUBCASE("the context carries vars, config and the provider's response") {
            json entry = python("file://grade.py:uses_context");
            entry["config"] = {{"strict", true}};
            auto spec = eval::parse_assertion(entry, "t", k_data);
            REQUIRE(spec.has_value());
            const json vars{{"city", "Paris"}};
            eval::AssertionContext context;
            context.output = "Paris";
            context.vars = &vars;
            context.base_dir = k_data;
            const auto r = eval::run_assertion(*spec, context);
            CHECK(r.pass);
            CHECK(r.reason == "looked for Paris");
        }
        SUBCASE("an exception is an error, not a failure") {
            const auto r = check(python("file://grade.py:broken"), "Paris");
            CHECK(r.error);
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "python raised ValueError: no verdict today (grade.py, line 19)");
        }
        SUBCASE("a function that hangs is killed at the timeout and is an error") {
            const auto start = std::chrono::steady_clock::now();
            const auto r = check(python("file://grade.py:hang"), "Paris", 300);
            CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
            CHECK(r.error);
            CHECK(r.reason == "python timed out after 300 ms");
        }
        SUBCASE("prints do not spoil the answer; None is an error") {
            CHECK(check(python("file://grade.py:chatty"), "x").pass);
            const auto r = check(python("file://grade.py:nothing"), "x");
            CHECK(r.error);
            CHECK(r.reason == "python returned None");
        }
        SUBCASE("inline code: an expression, or the body of a function") {
            CHECK(check(python("'Paris' in output"), "Paris").pass);
            CHECK_FALSE(check(python("'Paris' in output"), "Rome").pass);
            const auto r = check(python("if output.startswith('P'):\n    return {'pass': True, "
                                        "'score': 0.5, 'reason': 'starts with P'}\nreturn False"),
                                 "Paris");
            CHECK(r.pass);
            CHECK(r.score == 0.5);
            CHECK(r.reason == "starts with P");
        }
        SUBCASE("a missing file or function is named when the suite is read") {
            auto spec = eval::parse_assertion(python("file://missing.py"), "t", k_data);
            REQUIRE_FALSE(spec.has_value());
            CHECK(spec.error().message() == "t: 'python' file 'missing.py' does not exist");
            const auto r = check(python("file://grade.py:absent"), "x");
            CHECK(r.error);
            CHECK(r.reason == "python raised LookupError: grade.py has no function 'absent'");
        }
        SUBCASE("a missing value") {
            auto spec = eval::parse_assertion({{"type", "python"}}, "t", k_data);
            REQUIRE_FALSE(spec.has_value());
            CHECK(spec.error().message() ==
                  "t: 'python' needs a string 'value': 'file://path.py' or Python code");
        }
    }

    TEST_CASE("eval::exec") {
        SUBCASE("exit status 0 passes and 1 fails") {
            const auto r =
                check({{"type", "exec"}, {"value", "sh check_contains.sh Paris"}}, "Paris");
            CHECK(r.pass);
            CHECK(r.reason == "program exited with status 0: 'found Paris'");
            const auto f =
                check({{"type", "exec"}, {"value", {"sh", "check_contains.sh", "Paris"}}}, "Rome");
            CHECK_FALSE(f.pass);
            CHECK(f.reason == "program exited with status 1: 'missing Paris'");
        }
        SUBCASE("a JSON verdict on stdout decides") {
            const auto r = check({{"type", "exec"}, {"value", "./json_verdict.sh"}}, "Paris");
            CHECK(r.pass);
            CHECK(r.score == 0.8);
            CHECK(r.reason == "mentions Paris");
            const auto f = check({{"type", "exec"}, {"value", "./json_verdict.sh"}}, "Rome");
            CHECK_FALSE(f.pass);
            CHECK(f.score == doctest::Approx(0.1));
        }
        SUBCASE("any other status, or the timeout, is an error") {
            const auto r = check({{"type", "exec"}, {"value", "./crash.sh"}}, "x");
            CHECK(r.error);
            CHECK(r.reason == "program exited with status 3: 'boom'");
            const auto t = check({{"type", "exec"}, {"value", "sleep 30"}}, "x", 200);
            CHECK(t.error);
            CHECK(t.reason == "program timed out after 200 ms");
        }
        SUBCASE("a program named by a path must exist; an unknown one in PATH is an error") {
            auto spec =
                eval::parse_assertion({{"type", "exec"}, {"value", "./nope.sh"}}, "t", k_data);
            REQUIRE_FALSE(spec.has_value());
            CHECK(spec.error().message() == "t: 'exec' program './nope.sh' does not exist");
            const auto r = check({{"type", "exec"}, {"value", "llmops-no-such-program"}}, "x");
            CHECK(r.error);
            CHECK(r.reason == "exec: 'llmops-no-such-program': no such program");
        }
        SUBCASE("an unterminated quote is refused when the suite is read") {
            auto spec = eval::parse_assertion({{"type", "exec"}, {"value", "sh 'x"}}, "t", k_data);
            REQUIRE_FALSE(spec.has_value());
            CHECK(spec.error().message() == "t: 'exec' value: unterminated single quote");
        }
    }
}
