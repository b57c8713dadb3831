// The trace readers: OTLP JSON spans in the shapes of the OpenTelemetry specification (OTLP's
// JSON encoding, the GenAI semantic conventions), written here, and the JSONL form.

#include <llmops/traces/read.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/expected.hpp"

using nlohmann::json;
namespace traces = llmops::traces;

namespace {

json attr(const std::string& key, json value) {
    return {{"key", key}, {"value", std::move(value)}};
}

json str(const std::string& s) {
    return {{"stringValue", s}};
}

// A chat span as an OpenAI instrumentation records it (semantic conventions 1.37+).
json chat_span() {
    return {
        {"traceId", "5b8efff798038103d269b633813fc60c"},
        {"spanId", "eee19b7ec3c1b174"},
        {"name", "chat gpt-4o-mini"},
        {"kind", 3},
        {"startTimeUnixNano", "1795424400000000000"},
        {"endTimeUnixNano", "1795424400850000000"},
        {"attributes",
         {attr("gen_ai.operation.name", str("chat")), attr("gen_ai.provider.name", str("openai")),
          attr("gen_ai.request.model", str("gpt-4o-mini")),
          attr("gen_ai.response.model", str("gpt-4o-mini-2024-07-18")),
          attr("gen_ai.usage.input_tokens", {{"intValue", "95"}}),
          attr("gen_ai.usage.output_tokens", {{"intValue", 4}}),
          attr("gen_ai.input.messages",
               str(R"([{"role":"user","parts":[{"type":"text","content":"Hi"}]}])")),
          attr("gen_ai.output.messages",
               str(R"([{"role":"assistant","parts":[{"type":"text","content":"Hello"}],)"
                   R"("finish_reason":"stop"}])")),
          attr("llmops.prompt.name", str("support/triage")),
          attr("llmops.prompt.version", {{"intValue", "3"}}), attr("llmops.vars.ticket", str("Hi")),
          attr("llmops.feedback", {{"doubleValue", 0.5}}),
          attr("openai.api_key", str("sk-secret-value-1234567890"))}},
        {"status", json::object()}};
}

// An ExportTraceServiceRequest holding `spans` (arrays built explicitly: nlohmann reads a braced
// list of one value as that value).
json request(std::initializer_list<json> spans) {
    json list = json::array();
    for (const auto& span : spans) {
        list.push_back(span);
    }
    const json scope = {{"spans", list}};
    const json resource = {{"resource", json::object()}, {"scopeSpans", json::array({scope})}};
    return {{"resourceSpans", json::array({resource})}};
}

} // namespace

TEST_SUITE("traces") {
    TEST_CASE("traces::read_otlp_request") {
        SUBCASE("a GenAI span becomes a call") {
            const auto batch = traces::read_otlp_request(request({chat_span()}));
            REQUIRE(batch.calls.size() == 1);
            const auto& c = batch.calls[0];
            CHECK(c.span_id == "eee19b7ec3c1b174");
            CHECK(c.time_unix_ns == 1795424400000000000);
            CHECK(c.latency_ms == doctest::Approx(850));
            CHECK(c.model == "gpt-4o-mini-2024-07-18");
            CHECK(c.provider == "openai");
            CHECK(c.input_tokens == 95);
            CHECK(c.output_tokens == 4);
            CHECK(c.messages == R"([{"content":"Hi","role":"user"}])");
            CHECK(c.output == "Hello");
            CHECK(c.prompt == "support/triage");
            CHECK(c.prompt_version == "3");
            CHECK(c.vars == R"({"ticket":"Hi"})");
            CHECK(c.feedback == 0.5);
            CHECK_FALSE(c.error);
        }
        SUBCASE("a secret attribute is redacted") {
            const auto batch = traces::read_otlp_request(request({chat_span()}));
            REQUIRE(batch.calls.size() == 1);
            CHECK(batch.calls[0].attributes.find("sk-secret") == std::string::npos);
            CHECK(json::parse(batch.calls[0].attributes)["openai.api_key"] == "[redacted]");
        }
        SUBCASE("a span without gen_ai attributes is skipped") {
            const json http = {{"spanId", "01"},
                               {"startTimeUnixNano", "1"},
                               {"attributes", {attr("http.request.method", str("GET"))}}};
            const auto batch = traces::read_otlp_request(request({http, chat_span()}));
            CHECK(batch.skipped == 1);
            CHECK(batch.calls.size() == 1);
        }
        SUBCASE("status code 2 is an error") {
            json span = chat_span();
            span["status"] = {{"code", 2}, {"message", "rate limited"}};
            const auto batch = traces::read_otlp_request(request({span}));
            REQUIRE(batch.calls.size() == 1);
            CHECK(batch.calls[0].error);
            CHECK(batch.calls[0].error_message == "rate limited");
        }
        SUBCASE("a GenAI span without a start time is bad, named by its id") {
            json span = chat_span();
            span.erase("startTimeUnixNano");
            const auto batch = traces::read_otlp_request(request({span}));
            CHECK(batch.calls.empty());
            REQUIRE(batch.bad.size() == 1);
            CHECK(batch.bad[0].where == "span 1 (id eee19b7ec3c1b174)");
            CHECK(batch.bad[0].why == "no 'startTimeUnixNano'");
        }
        SUBCASE("messages in the older events") {
            json span = chat_span();
            span["attributes"] = {attr("gen_ai.system", str("openai")),
                                  attr("gen_ai.request.model", str("gpt-4o"))};
            span["events"] = {
                {{"name", "gen_ai.user.message"}, {"attributes", {attr("content", str("Q"))}}},
                {{"name", "gen_ai.choice"},
                 {"attributes",
                  {attr("message",
                        {{"kvlistValue", {{"values", {attr("content", str("A"))}}}}})}}}};
            const auto batch = traces::read_otlp_request(request({span}));
            REQUIRE(batch.calls.size() == 1);
            CHECK(batch.calls[0].provider == "openai");
            CHECK(batch.calls[0].messages == R"([{"content":"Q","role":"user"}])");
            CHECK(batch.calls[0].output == "A");
        }
        SUBCASE("resourceSpans of the wrong type") {
            const auto batch = traces::read_otlp_request({{"resourceSpans", 3}});
            REQUIRE(batch.bad.size() == 1);
            CHECK(batch.bad[0].why == "'resourceSpans' is not an array");
        }
    }

    TEST_CASE("traces::any_value_json") {
        CHECK(traces::any_value_json({{"intValue", "12"}}) == 12);
        CHECK(traces::any_value_json({{"boolValue", true}}) == true);
        CHECK(traces::any_value_json(
                  {{"arrayValue", {{"values", {str("a"), {{"doubleValue", 1.5}}}}}}}) ==
              json::array({"a", 1.5}));
        CHECK(traces::any_value_json({{"kvlistValue", {{"values", {attr("k", str("v"))}}}}}) ==
              json{{"k", "v"}});
        CHECK(traces::any_value_json({{"intValue", "x"}}).is_null());
    }

    TEST_CASE("traces::read_jsonl_call") {
        SUBCASE("a ref names the prompt and its version") {
            const std::string line = R"({"time": "2026-11-23T10:00:00+01:00", "prompt": "a/b@3",)"
                                     R"( "model": "m", "input_tokens": 5, "feedback": 1})";
            const auto call = traces::read_jsonl_call(json::parse(line), line);
            REQUIRE_OK(call);
            CHECK(call->prompt == "a/b");
            CHECK(call->prompt_version == "3");
            CHECK(call->time_unix_ns == 1795424400000000000);
            CHECK(call->span_id.starts_with("jsonl:"));
            CHECK(call->input_tokens == 5);
            CHECK(call->feedback == 1.0);
        }
        SUBCASE("wrong fields are named") {
            const auto check = [](const std::string& line, const std::string& message) {
                const auto call = traces::read_jsonl_call(json::parse(line), line);
                REQUIRE_FALSE(call.has_value());
                CHECK(call.error().message() == message);
            };
            check(R"({"model": "m"})", "no 'time'");
            check(R"({"time": "2026-11-23", "inptu_tokens": 3})", "unknown key 'inptu_tokens'");
            check(R"({"time": "2026-11-23", "output_tokens": -1})",
                  "'output_tokens' must be a non-negative integer");
            check(R"({"time": "2026-11-23", "vars": []})", "'vars' must be an object");
            check(R"({"time": "2026-11-23", "prompt": "p@2", "version": "3"})",
                  "'prompt' says version '2' but 'version' says '3'");
        }
    }
} // TEST_SUITE
