#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include <llmops/provider/outcome.hpp>

using namespace llmops;
using nlohmann::json;
using provider::CallOutcome;

namespace {

CallOutcome full_outcome() {
    CallOutcome o;
    o.result.output = "Paris \"quoted\"\nnew line é";
    o.result.finish_reason = "tool_calls";
    o.result.refusal = "I can't";
    o.result.tool_calls_json = R"([{"id":"c1","type":"function"}])";
    o.result.usage = {100, 40, 20, 5, 10, false};
    o.latency_ms = 812.5;
    o.first_byte_ms = 120.25;
    o.attempts = 3;
    o.cost_usd = 0.5;
    o.cached = true;
    o.replayed = true;
    return o;
}

// The error message of reading `value`, which must fail with invalid_input.
std::string read_error(const json& value) {
    auto outcome = provider::outcome_from_json(value);
    REQUIRE_FALSE(outcome.has_value());
    CHECK(outcome.error().code() == ErrorCode::invalid_input);
    return outcome.error().message();
}

json minimal() {
    return {{"output", "x"}, {"usage", json::object()}};
}

} // namespace

TEST_SUITE("provider") {

    TEST_CASE("provider::outcome_to_json") {
        SUBCASE("every field, tool calls parsed, call-local fields left out") {
            CHECK(provider::outcome_to_json(full_outcome()) == json::parse(R"({
            "output": "Paris \"quoted\"\nnew line é", "finish_reason": "tool_calls",
            "refusal": "I can't", "tool_calls": [{"id": "c1", "type": "function"}],
            "usage": {"input": 100, "output": 40, "cached_input": 20, "cache_write": 5,
                      "reasoning": 10, "estimated": false},
            "latency_ms": 812.5, "first_byte_ms": 120.25})"));
        }
        SUBCASE("absent optionals are null") {
            CallOutcome o;
            o.result.output = "hi";
            json j = provider::outcome_to_json(o);
            CHECK(j["refusal"].is_null());
            CHECK(j["tool_calls"].is_null());
            CHECK(j["first_byte_ms"].is_null());
        }
        SUBCASE("tool calls that are not JSON are kept as a string") {
            CallOutcome o;
            o.result.tool_calls_json = "not json";
            CHECK(provider::outcome_to_json(o)["tool_calls"] == "not json");
        }
    }

    TEST_CASE("provider::outcome_from_json") {
        SUBCASE("round trip keeps what is stored; call-local fields take defaults") {
            auto back = provider::outcome_from_json(provider::outcome_to_json(full_outcome()));
            REQUIRE(back.has_value());
            const auto& r = back->result;
            CHECK(r.output == "Paris \"quoted\"\nnew line é");
            CHECK(r.finish_reason == "tool_calls");
            CHECK(r.refusal == "I can't");
            CHECK(r.tool_calls_json == R"([{"id":"c1","type":"function"}])");
            CHECK(r.usage.input == 100);
            CHECK(r.usage.output == 40);
            CHECK(r.usage.cached_input == 20);
            CHECK(r.usage.cache_write == 5);
            CHECK(r.usage.reasoning == 10);
            CHECK_FALSE(r.usage.estimated);
            CHECK(back->latency_ms == 812.5);
            CHECK(back->first_byte_ms == 120.25);
            CHECK(back->attempts == 1);
            CHECK_FALSE(back->cost_usd.has_value());
            CHECK_FALSE(back->cached);
            CHECK_FALSE(back->replayed);
        }
        SUBCASE("tool calls text that was not JSON comes back as it was") {
            CallOutcome o;
            o.result.tool_calls_json = "not json";
            auto back = provider::outcome_from_json(provider::outcome_to_json(o));
            REQUIRE(back.has_value());
            CHECK(back->result.tool_calls_json == "not json");
        }
        SUBCASE("only output and usage are required") {
            json value = {{"output", ""}, {"usage", {{"input", 3}, {"estimated", true}}}};
            auto back = provider::outcome_from_json(value);
            REQUIRE(back.has_value());
            CHECK(back->result.output.empty());
            CHECK(back->result.finish_reason.empty());
            CHECK_FALSE(back->result.refusal.has_value());
            CHECK_FALSE(back->result.tool_calls_json.has_value());
            CHECK(back->result.usage.input == 3);
            CHECK(back->result.usage.output == 0);
            CHECK(back->result.usage.estimated);
            CHECK(back->latency_ms == 0);
            CHECK_FALSE(back->first_byte_ms.has_value());
        }
    }

    TEST_CASE("provider::outcome_from_json errors") {
        auto with = [](const char* key, json value) {
            json j = minimal();
            j[key] = std::move(value);
            return j;
        };
        CHECK(read_error(json::array()) == "response is not an object");
        CHECK(read_error({{"usage", json::object()}}) == "response.output is missing");
        CHECK(read_error(with("output", 5)) == "response.output is not a string");
        CHECK(read_error({{"output", "x"}}) == "response.usage is missing");
        CHECK(read_error(with("usage", "many")) == "response.usage is not an object");
        CHECK(read_error(with("usage", {{"input", "3"}})) ==
              "response.usage.input is not a non-negative integer");
        CHECK(read_error(with("usage", {{"reasoning", -1}})) ==
              "response.usage.reasoning is not a non-negative integer");
        CHECK(read_error(with("usage", {{"output", 1.5}})) ==
              "response.usage.output is not a non-negative integer");
        CHECK(read_error(with("usage", {{"estimated", 1}})) ==
              "response.usage.estimated is not a boolean");
        CHECK(read_error(with("finish_reason", 1)) == "response.finish_reason is not a string");
        CHECK(read_error(with("refusal", true)) == "response.refusal is not a string");
        CHECK(read_error(with("latency_ms", "fast")) ==
              "response.latency_ms is not a non-negative number");
        CHECK(read_error(with("first_byte_ms", -2)) ==
              "response.first_byte_ms is not a non-negative number");
    }

} // TEST_SUITE
