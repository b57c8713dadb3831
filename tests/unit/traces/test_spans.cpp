// Eval results as OTLP spans (traces/spans.hpp), read back with the trace reader, and the OTLP
// endpoint settings of the OpenTelemetry environment variables (traces/exporter.hpp).

#include <llmops/traces/exporter.hpp>
#include <llmops/traces/read.hpp>
#include <llmops/traces/spans.hpp>

#include <map>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/expected.hpp"

using nlohmann::json;
namespace traces = llmops::traces;
namespace store = llmops::store;

namespace {

store::VariantRecord variant() {
    store::VariantRecord v;
    v.index = 1;
    v.label = "greet@1 | openai:gpt-4o-mini";
    v.prompt_label = "greet";
    v.prompt_version_id = "3f2a";
    v.provider_id = "openai:gpt-4o-mini";
    return v;
}

store::ResultRecord result() {
    store::ResultRecord r;
    r.variant = 1;
    r.case_id = "c1";
    r.repeat = 0;
    r.status = "pass";
    r.score = 1.0;
    r.output = "Hello Ada";
    r.prompt = R"([{"role":"user","content":"Greet Ada"}])";
    r.vars = {{"name", "Ada"}, {"n", 3}};
    r.input_tokens = 12;
    r.output_tokens = 3;
    r.cost_usd = 0.0001;
    r.latency_ms = 850;
    r.finish_reason = "stop";
    r.created_at = "2026-12-07T10:00:01.000Z";
    r.assertions = json::array({{{"type", "contains"}, {"pass", true}, {"error", false}}});
    return r;
}

json attributes(const json& span) {
    json out = json::object();
    for (const auto& kv : span["attributes"]) {
        out[kv["key"].get<std::string>()] = traces::any_value_json(kv["value"]);
    }
    return out;
}

const traces::SpanRun k_run{7, "2026-12-07T10:00:00.000Z"};

} // namespace

TEST_SUITE("traces") {

    TEST_CASE("traces::result_spans") {
        SUBCASE("a model call: GenAI attributes, llmops's, times from the stored time") {
            const auto spans =
                traces::result_spans(k_run, variant(), result(), traces::Content::off);
            REQUIRE(spans.size() == 1);
            const json& s = spans[0];
            CHECK(s["name"] == "chat gpt-4o-mini");
            CHECK(s["traceId"].get<std::string>().size() == 32);
            CHECK(s["spanId"].get<std::string>().size() == 16);
            CHECK(s["endTimeUnixNano"] == "1796637601000000000");
            CHECK(s["startTimeUnixNano"] == "1796637600150000000");
            const json a = attributes(s);
            CHECK(a["gen_ai.operation.name"] == "chat");
            CHECK(a["gen_ai.provider.name"] == "openai");
            CHECK(a["gen_ai.request.model"] == "gpt-4o-mini");
            CHECK(a["gen_ai.usage.input_tokens"] == 12);
            CHECK(a["gen_ai.usage.output_tokens"] == 3);
            CHECK(a["gen_ai.response.finish_reasons"] == json::array({"stop"}));
            CHECK(a["llmops.run.id"] == 7);
            CHECK(a["llmops.case.id"] == "c1");
            CHECK(a["llmops.variant"] == 1);
            CHECK(a["llmops.result.status"] == "pass");
            CHECK(a["llmops.assertion.passed"] == 1);
            CHECK(a["llmops.prompt.name"] == "greet");
            CHECK(a["llmops.cost_usd"] == 0.0001);
            CHECK_FALSE(a.contains("gen_ai.input.messages"));
            CHECK_FALSE(a.contains("gen_ai.output.messages"));
            CHECK_FALSE(a.contains("llmops.vars.name"));
        }
        SUBCASE("the same result gives the same ids; another repeat, other ids") {
            const auto a = traces::result_spans(k_run, variant(), result(), traces::Content::off);
            const auto b = traces::result_spans(k_run, variant(), result(), traces::Content::on);
            CHECK(a[0]["spanId"] == b[0]["spanId"]);
            auto other = result();
            other.repeat = 1;
            const auto c = traces::result_spans(k_run, variant(), other, traces::Content::off);
            CHECK(c[0]["spanId"] != a[0]["spanId"]);
            CHECK(c[0]["traceId"] != a[0]["traceId"]);
        }
        SUBCASE("content, read back by the trace reader") {
            const auto spans =
                traces::result_spans(k_run, variant(), result(), traces::Content::on);
            const auto batch = traces::read_otlp_request(traces::otlp_request(spans));
            REQUIRE(batch.calls.size() == 1);
            const auto& call = batch.calls[0];
            CHECK(call.span_id == spans[0]["spanId"]);
            CHECK(call.model == "gpt-4o-mini");
            CHECK(call.output == "Hello Ada");
            CHECK(json::parse(call.messages) == json::parse(result().prompt));
            CHECK(json::parse(call.vars) == result().vars);
            CHECK(call.latency_ms == doctest::Approx(850));
            CHECK(call.input_tokens == 12);
        }
        SUBCASE("a failed call is an error span") {
            auto r = result();
            r.status = "error";
            r.output.reset();
            r.score.reset();
            r.reason = "HTTP 500";
            const auto spans = traces::result_spans(k_run, variant(), r, traces::Content::off);
            CHECK(spans[0]["status"]["code"] == 2);
            CHECK(spans[0]["status"]["message"] == "HTTP 500");
            CHECK_FALSE(attributes(spans[0]).contains("gen_ai.usage.input_tokens"));
        }
        SUBCASE("a span per judge call its assertions record, children of the model call's") {
            auto r = result();
            r.judge_calls = 2;
            r.assertions = json::array(
                {{{"type", "llm-rubric"},
                  {"pass", true},
                  {"error", false},
                  {"judge",
                   {{"judge", "anthropic:claude-3-5-haiku-latest"},
                    {"samples", json::array({{{"sample", 0}, {"pass", true}, {"reply", "PASS"}},
                                             {{"sample", 1}, {"error", "no verdict"}}})}}}}});
            const auto spans = traces::result_spans(k_run, variant(), r, traces::Content::off);
            REQUIRE(spans.size() == 3);
            CHECK(spans[1]["name"] == "chat claude-3-5-haiku-latest");
            CHECK(spans[1]["parentSpanId"] == spans[0]["spanId"]);
            CHECK(spans[1]["traceId"] == spans[0]["traceId"]);
            CHECK(spans[1]["spanId"] != spans[2]["spanId"]);
            CHECK(attributes(spans[1])["llmops.judge.assertion"] == "llm-rubric");
            CHECK(attributes(spans[1])["gen_ai.provider.name"] == "anthropic");
            CHECK_FALSE(attributes(spans[1]).contains("gen_ai.output.messages"));
            CHECK(spans[2]["status"]["code"] == 2);
        }
        SUBCASE("judge calls no assertion names: one span for them all, with their tokens") {
            auto r = result();
            r.judge_calls = 3;
            r.judge_input_tokens = 300;
            r.judge_output_tokens = 30;
            const auto spans = traces::result_spans(k_run, variant(), r, traces::Content::off);
            REQUIRE(spans.size() == 2);
            const json a = attributes(spans[1]);
            CHECK(a["llmops.judge.calls"] == 3);
            CHECK(a["gen_ai.usage.input_tokens"] == 300);
        }
    }

    TEST_CASE("traces::otlp_target") {
        std::map<std::string, std::string> env;
        const traces::Getenv getenv = [&](std::string_view name) -> std::optional<std::string> {
            auto it = env.find(std::string(name));
            return it == env.end() ? std::nullopt : std::optional(it->second);
        };
        SUBCASE("nothing set: no export") {
            auto t = traces::otlp_target(std::nullopt, getenv);
            REQUIRE_OK(t);
            CHECK_FALSE(t->has_value());
        }
        SUBCASE("the generic endpoint gets /v1/traces, the traces one is taken as is") {
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318/";
            CHECK((*traces::otlp_target(std::nullopt, getenv))->url ==
                  "http://collector:4318/v1/traces");
            env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://other:4318/custom";
            CHECK((*traces::otlp_target(std::nullopt, getenv))->url == "http://other:4318/custom");
            CHECK((*traces::otlp_target("http://flag:1/x", getenv))->url == "http://flag:1/x");
        }
        SUBCASE("headers: k=v pairs, values percent-decoded; a bad one never printed") {
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318";
            env["OTEL_EXPORTER_OTLP_HEADERS"] = "api-key=s%20ecret%3D1 , x-team=ml";
            auto t = traces::otlp_target(std::nullopt, getenv);
            REQUIRE_OK(t);
            REQUIRE((*t)->headers.size() == 2);
            CHECK((*t)->headers[0] == std::pair<std::string, std::string>("api-key", "s ecret=1"));
            env["OTEL_EXPORTER_OTLP_HEADERS"] = "api-key=ok,tok3n-secret";
            auto bad = traces::otlp_target(std::nullopt, getenv);
            REQUIRE_FALSE(bad);
            CHECK(bad.error().message() == "OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not key=value "
                                           "(expected key=value,key2=value2)");
        }
        SUBCASE("not an http URL") {
            auto bad = traces::otlp_target("collector:4318", getenv);
            REQUIRE_FALSE(bad);
            CHECK(bad.error().message() ==
                  "--otlp-endpoint 'collector:4318': not an http:// or https:// URL");
        }
    }
}
