// Anthropic Messages API.
// Reference: https://docs.anthropic.com/en/api/messages
//            https://docs.anthropic.com/en/docs/build-with-claude/streaming
//            https://docs.anthropic.com/en/api/errors

#include <llmops/provider/wire.hpp>

#include <map>

#include <nlohmann/json.hpp>

namespace llmops::provider::detail {

using nlohmann::json;

namespace {

constexpr std::string_view k_name = "anthropic";

std::string text_of(const json& object, std::string_view key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string anthropic_finish_reason(const std::string& reason) {
    if (reason == "end_turn" || reason == "stop_sequence")
        return "stop";
    if (reason == "max_tokens")
        return "length";
    if (reason == "tool_use")
        return "tool_calls";
    return reason; // refusal, pause_turn, ... as they are
}

// Tools may be given in OpenAI's shape ({type: function, function: {name, description,
// parameters}}); Anthropic wants {name, description, input_schema}. Others pass through.
json anthropic_tools(const json& tools) {
    if (!tools.is_array())
        return tools;
    json out = json::array();
    for (const auto& tool : tools) {
        auto fn = tool.find("function");
        if (!tool.is_object() || fn == tool.end() || !fn->is_object()) {
            out.push_back(tool);
            continue;
        }
        json t = {{"name", text_of(*fn, "name")}};
        if (fn->contains("description"))
            t["description"] = (*fn)["description"];
        t["input_schema"] = fn->value("parameters", json{{"type", "object"}});
        out.push_back(std::move(t));
    }
    return out;
}

// Anthropic's input_tokens EXCLUDES cache reads and writes; our input includes them.
void merge_usage(Usage& u, const json& usage) {
    if (!usage.is_object())
        return;
    auto set = [&](std::string_view key, int64_t& field) {
        if (auto it = usage.find(key); it != usage.end() && it->is_number()) {
            field = int_field(usage, key);
        }
    };
    int64_t uncached = u.input - u.cached_input - u.cache_write;
    set("input_tokens", uncached);
    set("cache_read_input_tokens", u.cached_input);
    set("cache_creation_input_tokens", u.cache_write);
    set("output_tokens", u.output);
    u.input = uncached + u.cached_input + u.cache_write;
}

bool has_usage(const json& body) {
    auto it = body.find("usage");
    return it != body.end() && it->is_object();
}

// A tool_use block in OpenAI's tool call shape, so tool_calls_json reads the same for all APIs.
json tool_call(const std::string& id, const std::string& name, const std::string& arguments) {
    return {
        {"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", arguments}}}};
}

void finish(const CompletionRequest& request, CompletionResult& result, bool usage_reported,
            const json& calls) {
    if (!usage_reported)
        estimate_usage(request, result);
    if (!calls.empty())
        result.tool_calls_json = calls.dump();
    // A refusal stops the answer (https://docs.anthropic.com/en/docs/test-and-evaluate/
    // strengthen-guardrails/handle-streaming-refusals); whatever text came is the refusal.
    if (result.finish_reason == "refusal")
        result.refusal = result.output;
}

Expected<CompletionResult> parse_message(const CompletionRequest& request,
                                         const HttpResponse& response, const json& body) {
    if (!body.is_object()) {
        return fail(ErrorCode::provider, "anthropic: response is not an object");
    }
    if (auto message = vendor_error_message(body); !message.empty()) {
        return fail(ErrorCode::provider, "anthropic: HTTP {}: {}", response.status, message);
    }
    auto content = body.find("content");
    if (content == body.end() || !content->is_array()) {
        return fail(ErrorCode::provider, "anthropic: response has no content");
    }
    CompletionResult result;
    json calls = json::array();
    for (const auto& block : *content) {
        auto type = text_of(block, "type");
        if (type == "text")
            result.output += text_of(block, "text");
        if (type == "tool_use") {
            calls.push_back(tool_call(text_of(block, "id"), text_of(block, "name"),
                                      block.value("input", json::object()).dump()));
        }
        // thinking and redacted_thinking blocks are not part of the answer
    }
    result.finish_reason = anthropic_finish_reason(text_of(body, "stop_reason"));
    if (has_usage(body))
        merge_usage(result.usage, body["usage"]);
    finish(request, result, has_usage(body), calls);
    return result;
}

struct StreamState {
    CompletionResult result;
    std::map<int64_t, json> blocks; // tool_use blocks by index: id, name, partial JSON
    bool usage_reported = false;
    bool stopped = false;
};

Expected<void> apply_event(StreamState& s, const json& data) {
    auto type = text_of(data, "type");
    if (type == "error") {
        return fail(ErrorCode::provider, "anthropic: stream error: {}", vendor_error_message(data));
    }
    if (type == "message_start") {
        auto message = data.find("message");
        if (message != data.end() && has_usage(*message)) {
            merge_usage(s.result.usage, (*message)["usage"]);
            s.usage_reported = true;
        }
    } else if (type == "content_block_start") {
        auto block = data.value("content_block", json::object());
        if (text_of(block, "type") == "tool_use") {
            s.blocks[int_field(data, "index")] = {
                {"id", text_of(block, "id")}, {"name", text_of(block, "name")}, {"json", ""}};
        }
    } else if (type == "content_block_delta") {
        auto delta = data.value("delta", json::object());
        auto delta_type = text_of(delta, "type");
        if (delta_type == "text_delta")
            s.result.output += text_of(delta, "text");
        if (delta_type == "input_json_delta") {
            json& block = s.blocks[int_field(data, "index")];
            block["json"] = text_of(block, "json") + text_of(delta, "partial_json");
        }
    } else if (type == "message_delta") {
        auto delta = data.value("delta", json::object());
        if (auto reason = text_of(delta, "stop_reason"); !reason.empty()) {
            s.result.finish_reason = anthropic_finish_reason(reason);
        }
        // message_delta's usage is cumulative: it replaces, never adds to, earlier counts.
        if (has_usage(data)) {
            merge_usage(s.result.usage, data["usage"]);
            s.usage_reported = true;
        }
    } else if (type == "message_stop") {
        s.stopped = true;
    }
    return {};
}

Expected<CompletionResult> parse_stream(const CompletionRequest& request,
                                        const HttpResponse& response) {
    auto events = parse_sse(response.body);
    if (events.empty()) {
        return fail(ErrorCode::provider, "anthropic: stream has no events: '{}'",
                    quote_body(response.body));
    }
    StreamState state;
    for (const auto& event : events) {
        auto data = LLMOPS_TRY(parse_json_body(k_name, event.data));
        LLMOPS_TRY(apply_event(state, data));
        if (state.stopped)
            break;
    }
    if (!state.stopped) {
        return fail(ErrorCode::provider, "anthropic: stream ended before message_stop");
    }
    json calls = json::array();
    for (auto& [index, block] : state.blocks) {
        auto arguments = text_of(block, "json");
        calls.push_back(tool_call(text_of(block, "id"), text_of(block, "name"),
                                  arguments.empty() ? "{}" : arguments));
    }
    finish(request, state.result, state.usage_reported, calls);
    return state.result;
}

} // namespace

Expected<HttpRequest> build_anthropic_request(const Endpoint& endpoint,
                                              const CompletionRequest& request) {
    // System and developer messages go to the top-level `system` field; the others are sent
    // as they are (the API itself enforces the user/assistant alternation).
    std::string system;
    json messages = json::array();
    for (size_t i = 0; i < request.messages.size(); ++i) {
        const auto& m = request.messages[i];
        if (m.role == "system" || m.role == "developer") {
            if (!system.empty())
                system += "\n\n";
            system += m.content;
        } else if (m.role == "user" || m.role == "assistant") {
            messages.push_back({{"role", m.role}, {"content", m.content}});
        } else {
            return fail(ErrorCode::invalid_input,
                        "anthropic: message {} has role '{}', which the API cannot take (use "
                        "system, developer, user or assistant)",
                        i + 1, m.role);
        }
    }
    if (messages.empty()) {
        return fail(ErrorCode::invalid_input,
                    "anthropic: request has no user or assistant message");
    }
    const Params& p = request.params;
    json body = {{"model", request.model},
                 {"max_tokens", p.max_tokens.value_or(k_anthropic_default_max_tokens)},
                 {"messages", std::move(messages)}};
    if (!system.empty())
        body["system"] = system;
    if (p.temperature)
        body["temperature"] = *p.temperature;
    if (p.top_p)
        body["top_p"] = *p.top_p;
    if (!p.stop.empty())
        body["stop_sequences"] = p.stop;
    // NEEDSWORK: the Messages API has no seed and no response_format; both are dropped here
    // (sending them fails the request with "Extra inputs are not permitted").
    if (p.tools_json) {
        auto tools = LLMOPS_TRY(parse_param_json(k_name, "tools", *p.tools_json));
        body["tools"] = anthropic_tools(tools);
    }
    if (p.stream)
        body["stream"] = true;

    HttpRequest http;
    http.url = join_url(endpoint.base_url, "https://api.anthropic.com", "/v1/messages");
    http.headers.emplace_back("content-type", "application/json");
    if (!endpoint.api_key.empty())
        http.headers.emplace_back("x-api-key", endpoint.api_key);
    http.headers.emplace_back("anthropic-version", "2023-06-01");
    if (p.stream)
        http.headers.emplace_back("accept", "text/event-stream");
    add_headers(http.headers, endpoint.extra_headers);
    http.body = body.dump();
    return http;
}

Expected<CompletionResult> parse_anthropic_response(const CompletionRequest& request,
                                                    const HttpResponse& response) {
    if (request.params.stream && !looks_like_json(response.body))
        return parse_stream(request, response);
    auto body = LLMOPS_TRY(parse_json_body(k_name, response.body));
    return parse_message(request, response, body);
}

} // namespace llmops::provider::detail
