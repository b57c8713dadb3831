#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/provider/exec.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using namespace llmops;
using nlohmann::json;
using provider::CallOutcome;
using provider::CompletionRequest;
using Strings = std::vector<std::string>;

namespace {

const std::string k_id = "exec:./app.sh";
const std::string k_data = std::string(LLMOPS_SOURCE_DIR) + "/tests/data/exec/";

// A request whose contents are 27 code points: 7 estimated input tokens.
CompletionRequest chat() {
    return {"", {{"system", "Be brief."}, {"user", "Capital of France?"}}, {}};
}

// A process that exited 0 having printed `out`.
util::ProcessResult printed(std::string out) {
    util::ProcessResult p;
    p.exit_code = 0;
    p.out = std::move(out);
    p.elapsed_ms = 42.5;
    return p;
}

CallOutcome parsed(const util::ProcessResult& process) {
    auto r = provider::parse_exec_result(k_id, chat(), process, 5000);
    REQUIRE_OK(r);
    return *r;
}

std::string failure(const util::ProcessResult& process) {
    auto r = provider::parse_exec_result(k_id, chat(), process, 5000);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == ErrorCode::provider);
    return r.error().message();
}

} // namespace

TEST_SUITE("provider") {

    TEST_CASE("provider::parse_exec_argv") {
        SUBCASE("the id splits into argv, with or without its prefix") {
            const Strings argv{"python3", "app.py", "--mode", "a b"};
            CHECK(provider::parse_exec_argv("exec:python3 app.py --mode 'a b'").value() == argv);
            CHECK(provider::parse_exec_argv("python3 app.py --mode \"a b\"").value() == argv);
        }
        SUBCASE("an unterminated quote or an empty command fails naming the id") {
            auto r = provider::parse_exec_argv("exec:app 'x");
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code() == ErrorCode::invalid_input);
            CHECK(r.error().message() == "provider 'exec:app 'x': unterminated single quote");
            CHECK(provider::parse_exec_argv("exec: ").error().message() ==
                  "provider 'exec: ': empty command");
        }
    }

    TEST_CASE("provider::exec_request_json") {
        CompletionRequest request = chat();
        request.model = "my-model";
        request.params.temperature = 0.5;
        request.params.max_tokens = 10;
        request.params.stop = {"END"};
        request.params.response_format_json = R"({"type":"json_object"})";
        request.params.tools_json = "not json";
        const std::string text =
            provider::exec_request_json(request, {{"city", "Paris"}}, {{"mode", "fast"}});
        SUBCASE("one line ending in a newline") {
            CHECK(text.ends_with("}\n"));
            CHECK(text.find('\n') == text.size() - 1);
        }
        SUBCASE("prompt, messages, model, set params, vars and config") {
            const json body = json::parse(text);
            CHECK(body["prompt"] == "Be brief.\n\nCapital of France?");
            CHECK(body["messages"] == json::parse(R"([{"role":"system","content":"Be brief."},
                {"role":"user","content":"Capital of France?"}])"));
            CHECK(body["model"] == "my-model");
            CHECK(body["params"] == json::parse(R"({"temperature":0.5,"max_tokens":10,
                "stop":["END"],"response_format":{"type":"json_object"},"tools":"not json"})"));
            CHECK(body["vars"] == json{{"city", "Paris"}});
            CHECK(body["config"] == json{{"mode", "fast"}});
        }
        SUBCASE("no params, null vars and config, and invalid UTF-8 still make valid JSON") {
            CompletionRequest bare{"", {{"user", "caf\xE9"}}, {}};
            const json body = json::parse(provider::exec_request_json(bare, nullptr, nullptr));
            CHECK(body["params"] == json::object());
            CHECK(body["vars"] == json::object());
            CHECK(body["config"] == json::object());
            CHECK(body["prompt"] == "caf\xEF\xBF\xBD");
        }
    }

    TEST_CASE("provider::parse_exec_result plain text") {
        SUBCASE("the whole stdout is the output, less one newline; usage is estimated") {
            auto o = parsed(printed("Paris\n"));
            CHECK(o.result.output == "Paris");
            CHECK(o.result.finish_reason == "stop");
            CHECK(o.result.usage.estimated);
            CHECK(o.result.usage.input == 7); // "Be brief." + "Capital of France?": 27 / 4
            CHECK(o.result.usage.output == 2);
            CHECK(o.latency_ms == 42.5);
            CHECK_FALSE(o.cost_usd.has_value());
        }
        SUBCASE("only one line ending goes") {
            CHECK(parsed(printed("a\r\n")).result.output == "a");
            CHECK(parsed(printed("a\n\n")).result.output == "a\n");
            CHECK(parsed(printed("  a")).result.output == "  a");
        }
        SUBCASE("text that starts with a brace but is not a JSON object is text") {
            CHECK(parsed(printed("{name} is not JSON\n")).result.output == "{name} is not JSON");
            CHECK(parsed(printed("{")).result.output == "{");
            CHECK(parsed(printed("[1, 2]")).result.output == "[1, 2]");
        }
        SUBCASE("stderr of a program that succeeded is not part of the answer") {
            auto p = printed("ok");
            p.err = "loading model\n";
            CHECK(parsed(p).result.output == "ok");
        }
    }

    TEST_CASE("provider::parse_exec_result JSON") {
        SUBCASE("output, promptfoo's tokenUsage names, cost and finish_reason") {
            auto o = parsed(printed(R"( {"output": "Paris", "tokenUsage": {"prompt": 12,
                "completion": 3, "total": 15}, "cost": 0.001, "finish_reason": "length"} )"));
            CHECK(o.result.output == "Paris");
            CHECK(o.result.usage.input == 12);
            CHECK(o.result.usage.output == 3);
            CHECK_FALSE(o.result.usage.estimated);
            CHECK(o.cost_usd == 0.001);
            CHECK(o.result.finish_reason == "length");
        }
        SUBCASE("usage with input and output, cached input and reasoning") {
            auto o = parsed(printed(R"({"output": "x", "usage": {"input": 30, "output": 4.0,
                "cached_input": 20, "reasoning": 2}, "finishReason": "tool_calls"})"));
            CHECK(o.result.usage.input == 30);
            CHECK(o.result.usage.output == 4);
            CHECK(o.result.usage.cached_input == 20);
            CHECK(o.result.usage.reasoning == 2);
            CHECK(o.result.finish_reason == "tool_calls");
        }
        SUBCASE("a total stands in for a missing count") {
            auto o =
                parsed(printed(R"({"output": "x", "tokenUsage": {"prompt": 8, "total": 11}})"));
            CHECK(o.result.usage.input == 8);
            CHECK(o.result.usage.output == 3);
        }
        SUBCASE("usage without counts, or none, is estimated") {
            auto o = parsed(printed(R"({"output": "Paris", "tokenUsage": {"total": 9}})"));
            CHECK(o.result.usage.estimated);
            CHECK(o.result.usage.output == 2);
            CHECK(parsed(printed(R"({"output": "Paris"})")).result.usage.estimated);
        }
        SUBCASE("an empty output is an answer; its text is taken as it is") {
            CHECK(parsed(printed(R"({"output": ""})")).result.output == "");
            CHECK(parsed(printed(R"({"output": "a\n"})")).result.output == "a\n");
        }
        SUBCASE("an object without a string output fails") {
            CHECK(failure(printed(R"({"result": "Paris"})")) ==
                  "exec:./app.sh: printed a JSON object without a string 'output'");
            CHECK(failure(printed(R"({"output": 42})")) ==
                  "exec:./app.sh: printed a JSON object without a string 'output'");
        }
        SUBCASE("an error the program reports fails with it") {
            CHECK(failure(printed(R"({"error": "model overloaded", "output": ""})")) ==
                  "exec:./app.sh: reported an error: model overloaded");
            CHECK(parsed(printed(R"({"error": null, "output": "ok"})")).result.output == "ok");
        }
        SUBCASE("mistyped optional fields fail naming them") {
            CHECK(failure(printed(R"({"output": "x", "cost": -1})")) ==
                  "exec:./app.sh: printed a JSON object whose 'cost' is not a non-negative number");
            CHECK(failure(printed(R"({"output": "x", "tokenUsage": "12"})")) ==
                  "exec:./app.sh: printed a JSON object whose 'tokenUsage' is not an object");
            CHECK(failure(printed(R"({"output": "x", "usage": {"input": "12"}})")) ==
                  "exec:./app.sh: printed a JSON object whose 'usage.input' is not a "
                  "non-negative integer");
            CHECK(failure(printed(R"({"output": "x", "tokenUsage": {"completion": 1.5}})")) ==
                  "exec:./app.sh: printed a JSON object whose 'tokenUsage.completion' is not a "
                  "non-negative integer");
            CHECK(failure(printed(R"({"output": "x", "finish_reason": 3})")) ==
                  "exec:./app.sh: printed a JSON object whose 'finish_reason' is not a string");
        }
    }

    TEST_CASE("provider::parse_exec_result failures") {
        SUBCASE("nothing, garbage or too much on stdout") {
            CHECK(failure(printed("")) == "exec:./app.sh: printed nothing");
            CHECK(failure(printed("ok \xFF\xFE")) == "exec:./app.sh: stdout is not valid UTF-8");
            auto p = printed("12345");
            p.out_truncated = true;
            CHECK(failure(p) == "exec:./app.sh: printed more than 5 bytes");
        }
        SUBCASE("a failed exit names the last line of stderr") {
            util::ProcessResult p;
            p.exit_code = 2;
            p.out = "Paris";
            p.err = "Traceback (most recent call last):\nValueError: bad \xFF input\n\n";
            CHECK(failure(p) == "exec:./app.sh: exited with status 2: ValueError: bad ? input");
            p.err = "";
            CHECK(failure(p) == "exec:./app.sh: exited with status 2");
        }
        SUBCASE("time-outs and signals") {
            util::ProcessResult p;
            p.timed_out = true;
            p.signal = 9;
            CHECK(failure(p) == "exec:./app.sh: timed out after 5000 ms");
            p.timed_out = false;
            CHECK(failure(p) == "exec:./app.sh: killed by signal 9 (SIGKILL)");
        }
    }

    TEST_CASE("provider::exec end to end") {
        test::TempDir dir;
        const auto request = chat();
        auto call = [&](const std::string& id, int64_t timeout_ms = 10000) {
            util::ProcessOptions options;
            options.stdin_data = provider::exec_request_json(request, {{"city", "Paris"}}, {});
            options.timeout_ms = timeout_ms;
            options.extra_env = {{"LLMOPS_TEST_REQUEST", (dir / "request.json").string()}};
            auto process = util::run_process(provider::parse_exec_argv(id).value(), options);
            REQUIRE(process.has_value());
            return provider::parse_exec_result(id, request, *process, timeout_ms);
        };
        SUBCASE("a JSON answer, and the program saw the request") {
            auto o = call("exec:" + k_data + "answer_json.sh");
            REQUIRE(o.has_value());
            CHECK(o->result.output == "Paris");
            CHECK(o->result.usage.input == 12);
            CHECK(o->cost_usd == 0.0005);
            CHECK(json::parse(dir.read("request.json"))["vars"]["city"] == "Paris");
        }
        SUBCASE("a plain-text answer from a program that never reads its request") {
            auto o = call("exec:" + k_data + "answer_text.sh");
            REQUIRE(o.has_value());
            CHECK(o->result.output == "The capital of France is Paris.");
        }
        SUBCASE("a failing program") {
            const std::string id = "exec:" + k_data + "fail.sh";
            CHECK(call(id).error().message() ==
                  id + ": exited with status 2: ValueError: model file missing");
        }
        SUBCASE("a hanging program times out") {
            const std::string id = "exec:" + k_data + "hang.sh '" + (dir / "pid").string() + "'";
            CHECK(call(id, 300).error().message() == id + ": timed out after 300 ms");
        }
    }
}
