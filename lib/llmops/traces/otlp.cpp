// OTLP JSON spans read as LLM calls with the OpenTelemetry GenAI semantic conventions:
// https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/ (attributes) and
// https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-events/ (the older message events).
// OTLP's JSON encoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) writes
// ids as hex strings, 64-bit integers as decimal strings and enums as integers.

#include <llmops/traces/read.hpp>

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/util/json.hpp>

namespace llmops::traces {

namespace {

using nlohmann::json;

// The member `key` of `object` when `object` is an object that has it, else null: the readers
// below never throw on a wrong shape.
const json& member(const json& object, std::string_view key) {
    static const json k_null;
    if (!object.is_object()) {
        return k_null;
    }
    const auto it = object.find(key);
    return it == object.end() ? k_null : *it;
}

// An integer written as a number or, as OTLP JSON writes 64-bit ones, a decimal string.
std::optional<int64_t> integer(const json& value) {
    if (value.is_number_integer()) {
        return value.get<int64_t>();
    }
    if (value.is_number_float()) {
        return static_cast<int64_t>(value.get<double>());
    }
    if (value.is_string()) {
        const auto& s = value.get_ref<const std::string&>();
        int64_t out = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec == std::errc() && end == s.data() + s.size()) {
            return out;
        }
    }
    return std::nullopt;
}

std::string text_or_empty(const json& value) {
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_number()) {
        return value.dump();
    }
    return {};
}

// An attribute list ([{key, value: AnyValue}]) as one JSON object.
json attribute_object(const json& list) {
    json out = json::object();
    if (!list.is_array()) {
        return out;
    }
    for (const auto& kv : list) {
        const json& key = member(kv, "key");
        if (key.is_string()) {
            out[key.get<std::string>()] = any_value_json(member(kv, "value"));
        }
    }
    return out;
}

// The text of a message's parts (GenAI convention: [{type: text, content}]), or its `content`.
std::string message_text(const json& message) {
    const json& content = member(message, "content");
    if (content.is_string()) {
        return content.get<std::string>();
    }
    std::string text;
    const json& parts = member(message, "parts");
    if (parts.is_array()) {
        for (const auto& part : parts) {
            const json& type = member(part, "type");
            const json& part_text = member(part, "content");
            if ((type.is_null() || type == "text") && part_text.is_string()) {
                text += part_text.get<std::string>();
            }
        }
    }
    return text;
}

// A messages attribute: a JSON string (as most SDKs record it) or structured already.
json messages_value(const json& value) {
    if (value.is_string()) {
        json parsed = util::parse_json_or_discarded(value.get<std::string>());
        return parsed.is_array() ? parsed : json();
    }
    return value.is_array() ? value : json();
}

// GenAI messages (role + parts) as chat messages (role + content text), the form llmops's
// prompts and the JSONL form use.
json chat_messages(const json& messages) {
    json out = json::array();
    for (const auto& message : messages) {
        const json& role = member(message, "role");
        out.push_back({{"role", role.is_string() ? role.get<std::string>() : "user"},
                       {"content", message_text(message)}});
    }
    return out;
}

// Input and output from the span's events when its attributes had none: gen_ai.system.message,
// gen_ai.user.message, gen_ai.assistant.message, gen_ai.tool.message (attribute `content`) and
// gen_ai.choice (attribute `message`, {content}, or `content`).
void read_events(const json& events, json& messages, std::optional<std::string>& output) {
    if (!events.is_array()) {
        return;
    }
    for (const auto& event : events) {
        const std::string name = text_or_empty(member(event, "name"));
        const json attributes = attribute_object(member(event, "attributes"));
        if (name == "gen_ai.choice" && !output) {
            const json& message = member(attributes, "message");
            const json& content =
                message.is_object() ? member(message, "content") : member(attributes, "content");
            output = content.is_string() ? content.get<std::string>() : message_text(message);
        } else if (name.size() > 15 && name.starts_with("gen_ai.") && name.ends_with(".message")) {
            const std::string role = name.substr(7, name.size() - 7 - 8);
            messages.push_back(
                {{"role", role}, {"content", text_or_empty(member(attributes, "content"))}});
        }
    }
}

bool has_genai_attribute(const json& attributes) {
    for (const auto& [key, value] : attributes.items()) {
        if (key.starts_with("gen_ai.")) {
            return true;
        }
    }
    return false;
}

std::string first_text(const json& attributes, std::initializer_list<std::string_view> keys) {
    for (const auto key : keys) {
        if (std::string s = text_or_empty(member(attributes, key)); !s.empty()) {
            return s;
        }
    }
    return {};
}

std::optional<int64_t> first_integer(const json& attributes,
                                     std::initializer_list<std::string_view> keys) {
    for (const auto key : keys) {
        if (auto n = integer(member(attributes, key)); n && *n >= 0) {
            return n;
        }
    }
    return std::nullopt;
}

// The model, provider, tokens and llmops's prompt attributes of a GenAI span; returns its vars
// (an object, or null when it has none).
json read_attributes(const json& attributes, store::CallRecord& call) {
    call.model = first_text(attributes, {"gen_ai.response.model", "gen_ai.request.model"});
    call.provider = first_text(attributes, {"gen_ai.provider.name", "gen_ai.system"});
    call.operation = first_text(attributes, {"gen_ai.operation.name"});
    call.input_tokens =
        first_integer(attributes, {"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"});
    call.output_tokens =
        first_integer(attributes, {"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"});
    call.prompt = first_text(attributes, {"llmops.prompt.name"});
    call.prompt_version = first_text(attributes, {"llmops.prompt.version"});
    call.user_id = first_text(attributes, {"user.id", "enduser.id"});
    call.session_id = first_text(attributes, {"session.id", "gen_ai.conversation.id"});
    if (const json& feedback = member(attributes, "llmops.feedback"); feedback.is_number()) {
        call.feedback = feedback.get<double>();
    }
    json vars;
    for (const auto& [key, value] : attributes.items()) {
        if (key.starts_with("llmops.vars.") && key.size() > 12) {
            vars[key.substr(12)] = value;
        }
    }
    return vars;
}

// The input messages and the output text, from attributes or else events.
void read_content(const json& span, const json& attributes, store::CallRecord& call) {
    json messages = json::array();
    if (const json& system = messages_value(member(attributes, "gen_ai.system_instructions"));
        system.is_array() && !system.empty()) {
        messages.push_back({{"role", "system"}, {"content", message_text({{"parts", system}})}});
    }
    const json input = messages_value(member(attributes, "gen_ai.input.messages"));
    if (input.is_array()) {
        for (auto& m : chat_messages(input)) {
            messages.push_back(std::move(m));
        }
    }
    const json output = messages_value(member(attributes, "gen_ai.output.messages"));
    if (output.is_array() && !output.empty()) {
        call.output = message_text(output.front());
    }
    if (input.is_null()) {
        read_events(member(span, "events"), messages, call.output);
    } else if (!call.output) {
        json ignored = json::array();
        read_events(member(span, "events"), ignored, call.output);
    }
    call.messages = messages.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Reads one span; `where` names it in errors.
Expected<std::optional<store::CallRecord>> read_span(const json& span) {
    json attributes = attribute_object(member(span, "attributes"));
    if (!has_genai_attribute(attributes)) {
        return std::optional<store::CallRecord>();
    }
    store::CallRecord call;
    call.source = "otlp";
    call.span_id = text_or_empty(member(span, "spanId"));
    call.trace_id = text_or_empty(member(span, "traceId"));
    if (call.span_id.empty()) {
        return fail(ErrorCode::invalid_input, "no 'spanId'");
    }
    const auto start = integer(member(span, "startTimeUnixNano"));
    if (!start || *start <= 0) {
        return fail(ErrorCode::invalid_input, "no 'startTimeUnixNano'");
    }
    call.time_unix_ns = *start;
    if (const auto end = integer(member(span, "endTimeUnixNano")); end && *end >= *start) {
        call.latency_ms = static_cast<double>(*end - *start) / 1e6;
    }
    json vars = read_attributes(attributes, call);
    read_content(span, attributes, call);
    const json& status = member(span, "status");
    const json& code = member(status, "code");
    call.error = integer(code) == 2 || code == "STATUS_CODE_ERROR";
    if (call.error) {
        call.error_message = text_or_empty(member(status, "message"));
        if (call.error_message.empty()) {
            call.error_message = first_text(attributes, {"error.type"});
        }
    }
    redact_call(call, std::move(attributes), std::move(vars));
    return std::optional<store::CallRecord>(std::move(call));
}

// Reads the spans of one scopeSpans entry into `batch`.
void read_scope(const json& scope, size_t& index, OtlpBatch& batch) {
    const json& spans = member(scope, "spans");
    if (!spans.is_array()) {
        return;
    }
    for (const auto& span : spans) {
        ++index;
        auto call = read_span(span);
        if (!call) {
            const std::string id = text_or_empty(member(span, "spanId"));
            batch.bad.push_back({id.empty() ? fmt::format("span {}", index)
                                            : fmt::format("span {} (id {})", index, id),
                                 call.error().message()});
        } else if (!*call) {
            ++batch.skipped;
        } else {
            batch.calls.push_back(std::move(**call));
        }
    }
}

} // namespace

json any_value_json(const json& value) {
    if (!value.is_object() || value.empty()) {
        return json();
    }
    const auto first = value.begin();
    const std::string& kind = first.key();
    const json& v = first.value();
    if (kind == "stringValue" || kind == "bytesValue" || kind == "boolValue" ||
        kind == "doubleValue") {
        return v;
    }
    if (kind == "intValue") {
        const auto n = integer(v);
        return n ? json(*n) : json();
    }
    json out = kind == "arrayValue" ? json::array() : json::object();
    const json& values = member(v, "values");
    if (kind == "arrayValue" && values.is_array()) {
        for (const auto& item : values) {
            out.push_back(any_value_json(item));
        }
        return out;
    }
    if (kind == "kvlistValue") {
        return attribute_object(values);
    }
    return json();
}

bool is_otlp_request(const json& doc) {
    return doc.is_object() && doc.contains("resourceSpans");
}

OtlpBatch read_otlp_request(const json& request) {
    OtlpBatch batch;
    const json& resources = member(request, "resourceSpans");
    if (!resources.is_array()) {
        batch.bad.push_back({"request", "'resourceSpans' is not an array"});
        return batch;
    }
    size_t index = 0;
    for (const auto& resource : resources) {
        const json& scopes = member(resource, "scopeSpans");
        if (!scopes.is_array()) {
            continue;
        }
        for (const auto& scope : scopes) {
            read_scope(scope, index, batch);
        }
    }
    return batch;
}

} // namespace llmops::traces
