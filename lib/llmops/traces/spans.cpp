// Eval results as OTLP JSON spans. OTLP's JSON encoding
// (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): ids as lowercase hex,
// 64-bit integers (times included) as decimal strings, enums as integers, attributes as
// {key, value: AnyValue}. What traces/otlp.cpp reads back is what is written here.

#include <llmops/traces/spans.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include <llmops/provider/config.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/util/build_info.hpp>
#include <llmops/util/hash.hpp>
#include <llmops/util/nesting.hpp>

namespace llmops::traces {

namespace {

using nlohmann::json;

constexpr int k_span_kind_client = 3;
constexpr int k_status_error = 2;

// An attribute list being built: `{key, value: AnyValue}` entries.
class Attributes {
public:
    Attributes& add(std::string_view key, const json& value) {
        if (!value.is_null()) {
            m_list.push_back({{"key", key}, {"value", any_value(value)}});
        }
        return *this;
    }
    json take() { return std::move(m_list); }

private:
    json m_list = json::array();
};

// Where a provider id's model and vendor come from: `openai:gpt-4o-mini` is vendor openai and
// model gpt-4o-mini; the GenAI conventions' names for the vendors llmops calls.
struct ModelName {
    std::string provider;
    std::string model;
};

ModelName model_name(const std::string& provider_id) {
    auto spec = provider::parse_provider_id(provider_id);
    if (!spec) {
        return {"_OTHER", provider_id};
    }
    std::string provider(provider::kind_name(spec->kind));
    if (provider == "azure") {
        provider = "azure.ai.openai";
    } else if (provider == "google") {
        provider = "gcp.gemini";
    }
    return {provider, spec->model.empty() ? spec->id : spec->model};
}

// Ids: the first bytes of the SHA-256 of the canonical JSON of what names the span (a JSON array,
// so no field can run into the next), as hex: 16 bytes for a trace, 8 for a span.
std::string trace_id(const SpanRun& run, const store::ResultRecord& r) {
    return util::sha256_hex(
               json::array({"llmops.trace", run.id, run.started_at, r.case_id, r.repeat}).dump())
        .substr(0, 32);
}

std::string span_id(const SpanRun& run, const store::ResultRecord& r, int call) {
    return util::sha256_hex(json::array({"llmops.span", run.id, run.started_at, r.variant,
                                         r.case_id, r.repeat, call})
                                .dump())
        .substr(0, 16);
}

// The end of the result's call: its stored time (nanoseconds), never before the Unix epoch.
int64_t end_time_ns(const SpanRun& run, const store::ResultRecord& r) {
    for (const std::string* time : {&r.created_at, &run.started_at}) {
        if (auto ns = store::parse_iso8601_ns(*time); ns && *ns > 0) {
            return *ns;
        }
    }
    return 1;
}

// GenAI messages from chat messages ([{role, content}], as results store their prompt).
json genai_messages(const json& chat) {
    json out = json::array();
    if (!chat.is_array()) {
        return out;
    }
    for (const auto& m : chat) {
        if (!m.is_object()) {
            continue;
        }
        const auto role = m.find("role");
        const auto content = m.find("content");
        out.push_back(
            {{"role", role != m.end() && role->is_string() ? *role : json("user")},
             {"parts", json::array({{{"type", "text"},
                                     {"content",
                                      content != m.end() && content->is_string()
                                          ? *content
                                          : json(content != m.end() ? content->dump() : "")}}})}});
    }
    return out;
}

json output_messages(const std::string& text, const std::string& finish_reason) {
    json message = {{"role", "assistant"},
                    {"parts", json::array({{{"type", "text"}, {"content", text}}})}};
    if (!finish_reason.empty()) {
        message["finish_reason"] = finish_reason;
    }
    return json::array({std::move(message)});
}

// Members read without throwing: stored assertions may have been edited by hand (a merged or
// imported run), and a wrong type must not stop an export.
bool flag(const json& object, std::string_view key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

json member_of(const json& object, std::string_view key, bool (json::*is)() const noexcept) {
    const auto it = object.find(key);
    return it != object.end() && ((*it).*is)() ? *it : json();
}

// Counts of a result's assertions (children included) by outcome, and their types.
struct AssertionTally {
    int64_t count = 0, passed = 0, failed = 0, errors = 0;
    json types = json::array();
};

void tally(const json& list, AssertionTally& t, size_t depth = 0) {
    if (!list.is_array() || depth > util::k_max_nesting) {
        return;
    }
    for (const auto& a : list) {
        if (!a.is_object()) {
            continue;
        }
        ++t.count;
        if (flag(a, "error")) {
            ++t.errors;
        } else if (flag(a, "pass")) {
            ++t.passed;
        } else {
            ++t.failed;
        }
        if (auto type = a.find("type");
            type != a.end() && type->is_string() &&
            std::find(t.types.begin(), t.types.end(), *type) == t.types.end()) {
            t.types.push_back(*type);
        }
        if (auto children = a.find("children"); children != a.end()) {
            tally(*children, t, depth + 1);
        }
    }
}

void add_result_attributes(Attributes& a, const SpanRun& run, const store::VariantRecord& v,
                           const store::ResultRecord& r) {
    a.add("llmops.run.id", run.id)
        .add("llmops.case.id", r.case_id)
        .add("llmops.variant", r.variant)
        .add("llmops.variant.label", v.label)
        .add("llmops.repeat", r.repeat)
        .add("llmops.result.status", r.status);
    if (r.score) {
        a.add("llmops.result.score", *r.score);
    }
    AssertionTally t;
    tally(r.assertions, t);
    a.add("llmops.assertion.count", t.count)
        .add("llmops.assertion.passed", t.passed)
        .add("llmops.assertion.failed", t.failed)
        .add("llmops.assertion.errors", t.errors);
    if (!t.types.empty()) {
        a.add("llmops.assertion.types", t.types);
    }
    a.add("llmops.prompt.name", v.prompt_label).add("llmops.prompt.version", v.prompt_version_id);
    if (r.judge_calls > 0) {
        a.add("llmops.judge.calls", r.judge_calls)
            .add("llmops.judge.usage.input", r.judge_input_tokens)
            .add("llmops.judge.usage.output", r.judge_output_tokens);
        if (r.judge_cost_usd) {
            a.add("llmops.judge.cost_usd", *r.judge_cost_usd);
        }
    }
}

void add_call_attributes(Attributes& a, const ModelName& name, const store::ResultRecord& r) {
    a.add("gen_ai.operation.name", "chat")
        .add("gen_ai.provider.name", name.provider)
        .add("gen_ai.system", name.provider)
        .add("gen_ai.request.model", name.model);
    if (r.output) { // the call answered: what it used and cost
        a.add("gen_ai.usage.input_tokens", r.input_tokens)
            .add("gen_ai.usage.output_tokens", r.output_tokens);
        if (r.cached_input_tokens > 0) {
            a.add("gen_ai.usage.cache_read.input_tokens", r.cached_input_tokens);
        }
        if (!r.finish_reason.empty()) {
            a.add("gen_ai.response.finish_reasons", json::array({r.finish_reason}));
        }
        if (r.cost_usd) {
            a.add("llmops.cost_usd", *r.cost_usd);
        }
        if (r.first_token_ms) {
            a.add("llmops.first_token_ms", *r.first_token_ms);
        }
        a.add("llmops.usage.estimated", r.tokens_estimated);
    }
    a.add("llmops.cached", r.cached);
}

void add_content(Attributes& a, const store::ResultRecord& r) {
    const json prompt = json::parse(r.prompt, nullptr, false);
    a.add("gen_ai.input.messages",
          genai_messages(prompt).dump(-1, ' ', false, json::error_handler_t::replace));
    if (r.output) {
        a.add("gen_ai.output.messages", output_messages(*r.output, r.finish_reason)
                                            .dump(-1, ' ', false, json::error_handler_t::replace));
    }
    if (r.vars.is_object()) {
        for (const auto& [key, value] : r.vars.items()) {
            a.add("llmops.vars." + key, value);
        }
    }
    if (!r.reason.empty()) {
        a.add("llmops.result.reason", r.reason);
    }
}

json span_json(std::string trace, std::string id, std::string name, int64_t start, int64_t end,
               json attributes) {
    return {{"traceId", std::move(trace)},
            {"spanId", std::move(id)},
            {"name", std::move(name)},
            {"kind", k_span_kind_client},
            {"startTimeUnixNano", std::to_string(start)},
            {"endTimeUnixNano", std::to_string(end)},
            {"attributes", std::move(attributes)},
            {"status", json::object()}};
}

json model_span(const SpanRun& run, const store::VariantRecord& v, const store::ResultRecord& r,
                Content content) {
    const ModelName name = model_name(v.provider_id);
    Attributes a;
    add_call_attributes(a, name, r);
    add_result_attributes(a, run, v, r);
    const bool failed = r.status == "error" && !r.output;
    if (failed) {
        a.add("error.type", "_OTHER");
    }
    if (content == Content::on) {
        add_content(a, r);
    }
    const int64_t end = end_time_ns(run, r);
    const auto latency_ns = static_cast<int64_t>(std::llround(std::max(0.0, r.latency_ms) * 1e6));
    json span = span_json(trace_id(run, r), span_id(run, r, 0), "chat " + name.model,
                          std::max<int64_t>(1, end - latency_ns), end, a.take());
    if (failed) {
        span["status"] = {{"code", k_status_error}, {"message", r.reason}};
    }
    return span;
}

// What the judge spans of a result share.
struct JudgeSpans {
    const SpanRun& run;
    const store::ResultRecord& result;
    const std::string& parent;
    Content content;
    int64_t time;
    std::vector<json>& out;
};

json judge_span(JudgeSpans& js, const std::string& operation, const std::string& provider_id,
                Attributes& a) {
    const ModelName name = model_name(provider_id);
    Attributes head;
    head.add("gen_ai.operation.name", operation)
        .add("gen_ai.provider.name", name.provider)
        .add("gen_ai.system", name.provider)
        .add("gen_ai.request.model", name.model)
        .add("llmops.run.id", js.run.id)
        .add("llmops.case.id", js.result.case_id)
        .add("llmops.variant", js.result.variant)
        .add("llmops.repeat", js.result.repeat);
    json attributes = head.take();
    for (auto& kv : a.take()) {
        attributes.push_back(std::move(kv));
    }
    const int call = static_cast<int>(js.out.size()) + 1;
    json span = span_json(trace_id(js.run, js.result), span_id(js.run, js.result, call),
                          operation + " " + name.model, js.time, js.time, std::move(attributes));
    span["parentSpanId"] = js.parent;
    return span;
}

void sample_spans(JudgeSpans& js, const json& assertion, const json& judge) {
    const json type = member_of(assertion, "type", &json::is_string);
    if (auto embedding = judge.find("embedding");
        embedding != judge.end() && embedding->is_string()) {
        Attributes a;
        a.add("llmops.judge.assertion", type);
        js.out.push_back(judge_span(js, "embeddings", *embedding, a));
        return;
    }
    const auto model = judge.find("judge");
    const auto samples = judge.find("samples");
    if (model == judge.end() || !model->is_string() || samples == judge.end() ||
        !samples->is_array()) {
        return;
    }
    for (const auto& s : *samples) {
        if (!s.is_object()) {
            continue;
        }
        Attributes a;
        a.add("llmops.judge.assertion", type)
            .add("llmops.judge.sample", member_of(s, "sample", &json::is_number_integer));
        a.add("llmops.cached", flag(s, "cached"));
        if (auto pass = s.find("pass"); pass != s.end() && pass->is_boolean()) {
            a.add("llmops.judge.pass", *pass);
        }
        if (auto score = s.find("score"); score != s.end() && score->is_number()) {
            a.add("llmops.judge.score", *score);
        }
        const auto reply = s.find("reply");
        if (js.content == Content::on && reply != s.end() && reply->is_string()) {
            a.add("gen_ai.output.messages",
                  output_messages(*reply, "").dump(-1, ' ', false, json::error_handler_t::replace));
        }
        const auto error = s.find("error");
        json span = judge_span(js, "chat", *model, a);
        if (error != s.end()) {
            span["status"] = {{"code", k_status_error},
                              {"message", js.content == Content::on && error->is_string()
                                              ? *error
                                              : json("the judge's verdict could not be read")}};
        }
        js.out.push_back(std::move(span));
    }
}

// The judge's calls named in `assertions` (children included); `model` is set to the first
// judge model met.
void judge_calls(JudgeSpans& js, const json& assertions, std::string& model, size_t depth = 0) {
    if (!assertions.is_array() || depth > util::k_max_nesting) {
        return;
    }
    for (const auto& a : assertions) {
        if (!a.is_object()) {
            continue;
        }
        if (auto judge = a.find("judge"); judge != a.end() && judge->is_object()) {
            if (auto id = judge->find("judge");
                model.empty() && id != judge->end() && id->is_string()) {
                model = *id;
            }
            sample_spans(js, a, *judge);
        }
        if (auto children = a.find("children"); children != a.end()) {
            judge_calls(js, *children, model, depth + 1);
        }
    }
}

// One span standing for all of a result's judge calls, when its assertions name none of them.
json judge_total_span(JudgeSpans& js, const std::string& model) {
    const store::ResultRecord& r = js.result;
    Attributes a;
    a.add("gen_ai.usage.input_tokens", r.judge_input_tokens)
        .add("gen_ai.usage.output_tokens", r.judge_output_tokens)
        .add("llmops.judge.calls", r.judge_calls)
        .add("llmops.judge.assertion", "*");
    if (r.judge_cost_usd) {
        a.add("llmops.cost_usd", *r.judge_cost_usd);
    }
    return judge_span(js, "chat", model.empty() ? "judge" : model, a);
}

} // namespace

json any_value(const json& value) {
    const auto convert = [](const auto& self, const json& v, size_t depth) -> json {
        if (depth > util::k_max_nesting) {
            return {{"stringValue", v.dump(-1, ' ', false, json::error_handler_t::replace)}};
        }
        switch (v.type()) {
        case json::value_t::string: return {{"stringValue", v}};
        case json::value_t::boolean: return {{"boolValue", v}};
        case json::value_t::number_integer: return {{"intValue", std::to_string(v.get<int64_t>())}};
        case json::value_t::number_unsigned:
            return {{"intValue", std::to_string(v.get<uint64_t>())}};
        case json::value_t::number_float: return {{"doubleValue", v}};
        case json::value_t::array: {
            json values = json::array();
            for (const auto& item : v) {
                values.push_back(self(self, item, depth + 1));
            }
            return {{"arrayValue", {{"values", std::move(values)}}}};
        }
        case json::value_t::object: {
            json values = json::array();
            for (const auto& [key, item] : v.items()) {
                values.push_back({{"key", key}, {"value", self(self, item, depth + 1)}});
            }
            return {{"kvlistValue", {{"values", std::move(values)}}}};
        }
        default: return json::object(); // null: an empty AnyValue
        }
    };
    return convert(convert, value, 0);
}

std::vector<json> result_spans(const SpanRun& run, const store::VariantRecord& variant,
                               const store::ResultRecord& result, Content content) {
    std::vector<json> spans;
    spans.push_back(model_span(run, variant, result, content));
    const std::string parent = spans.front()["spanId"].get<std::string>();
    std::vector<json> judged;
    JudgeSpans js{run, result, parent, content, end_time_ns(run, result), judged};
    std::string model;
    judge_calls(js, result.assertions, model);
    if (judged.empty() && result.judge_calls > 0) {
        judged.push_back(judge_total_span(js, model));
    }
    for (auto& s : judged) {
        spans.push_back(std::move(s));
    }
    return spans;
}

json otlp_request(std::vector<json> spans) {
    Attributes resource;
    resource.add("service.name", "llmops").add("telemetry.sdk.name", "llmops");
    json scope = {{"scope", {{"name", "llmops.eval"}, {"version", util::version()}}},
                  {"spans", json(std::move(spans))}};
    return {{"resourceSpans", json::array({{{"resource", {{"attributes", resource.take()}}},
                                            {"scopeSpans", json::array({std::move(scope)})}}})}};
}

} // namespace llmops::traces
