// Google Gemini API: generateContent, and streamGenerateContent with alt=sse when streaming.
// Reference: https://ai.google.dev/api/generate-content
//            https://ai.google.dev/gemini-api/docs/text-generation#system-instructions

#include <llmops/provider/wire.hpp>

#include <nlohmann/json.hpp>

namespace llmops::provider::detail {

using nlohmann::json;

namespace {

constexpr std::string_view k_google_name = "google";

std::string google_text(const json& object, std::string_view key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Gemini's finish reasons that mean its safety or policy filters stopped the answer.
bool filtered(const std::string& reason) {
    return reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" ||
           reason == "PROHIBITED_CONTENT" || reason == "SPII" || reason == "IMAGE_SAFETY";
}

std::string google_finish_reason(const std::string& reason) {
    if (reason == "STOP")
        return "stop";
    if (reason == "MAX_TOKENS")
        return "length";
    if (filtered(reason))
        return "content_filter";
    return reason; // OTHER, MALFORMED_FUNCTION_CALL, ... as they are
}

// Tools may be given in OpenAI's shape; Gemini wants [{functionDeclarations: [{name,
// description, parameters}]}]. Gemini-shaped tools pass through.
json google_tools(const json& tools) {
    if (!tools.is_array())
        return tools;
    json out = json::array();
    json declarations = json::array();
    for (const auto& tool : tools) {
        auto fn = tool.find("function");
        if (!tool.is_object() || fn == tool.end() || !fn->is_object()) {
            out.push_back(tool);
            continue;
        }
        json d = {{"name", google_text(*fn, "name")}};
        if (fn->contains("description"))
            d["description"] = (*fn)["description"];
        if (fn->contains("parameters"))
            d["parameters"] = (*fn)["parameters"];
        declarations.push_back(std::move(d));
    }
    if (!declarations.empty())
        out.push_back({{"functionDeclarations", std::move(declarations)}});
    return out;
}

// promptTokenCount includes the cached tokens; thoughts are NOT in candidatesTokenCount, and
// tool-use prompt tokens are billed as input but not in promptTokenCount.
Usage google_usage(const json& m) {
    Usage u;
    u.input = int_field(m, "promptTokenCount") + int_field(m, "toolUsePromptTokenCount");
    u.cached_input = int_field(m, "cachedContentTokenCount");
    u.reasoning = int_field(m, "thoughtsTokenCount");
    u.output = int_field(m, "candidatesTokenCount") + u.reasoning;
    return u;
}

struct Answer {
    CompletionResult result;
    json calls = json::array();
    bool usage_reported = false;
    bool finished = false; // a finish or block reason arrived
};

// Applies one GenerateContentResponse (the whole answer, or one streamed chunk).
void apply_chunk(Answer& a, const json& body) {
    if (auto m = body.find("usageMetadata"); m != body.end() && m->is_object()) {
        a.result.usage = google_usage(*m); // cumulative in streams: the last one wins
        a.usage_reported = true;
    }
    if (auto fb = body.find("promptFeedback"); fb != body.end() && fb->is_object()) {
        if (auto reason = google_text(*fb, "blockReason"); !reason.empty()) {
            a.result.finish_reason = "content_filter";
            a.result.refusal = "prompt blocked: " + reason;
            a.finished = true;
        }
    }
    auto candidates = body.find("candidates");
    if (candidates == body.end() || !candidates->is_array() || candidates->empty())
        return;
    const json& candidate = candidates->front();
    auto content = candidate.find("content");
    if (content != candidate.end() && content->is_object()) {
        for (const auto& part : content->value("parts", json::array())) {
            if (part.value("thought", false))
                continue; // thought summaries are not the answer
            a.result.output += google_text(part, "text");
            if (auto call = part.find("functionCall"); call != part.end() && call->is_object()) {
                a.calls.push_back({{"id", google_text(*call, "id")},
                                   {"type", "function"},
                                   {"function",
                                    {{"name", google_text(*call, "name")},
                                     {"arguments", call->value("args", json::object()).dump()}}}});
            }
        }
    }
    if (auto reason = google_text(candidate, "finishReason"); !reason.empty()) {
        a.result.finish_reason = google_finish_reason(reason);
        if (filtered(reason))
            a.result.refusal = "response blocked: " + reason;
        a.finished = true;
    }
}

CompletionResult finish(const CompletionRequest& request, Answer& a) {
    if (!a.usage_reported)
        estimate_usage(request, a.result);
    if (!a.calls.empty()) {
        a.result.tool_calls_json = a.calls.dump();
        // Gemini says STOP after a function call; we say what happened.
        if (a.result.finish_reason == "stop")
            a.result.finish_reason = "tool_calls";
    }
    return a.result;
}

Expected<CompletionResult> parse_whole(const CompletionRequest& request,
                                       const HttpResponse& response, const json& body) {
    if (!body.is_object())
        return fail(ErrorCode::provider, "google: response is not an object");
    if (auto message = vendor_error_message(body); !message.empty()) {
        return fail(ErrorCode::provider, "google: HTTP {}: {}", response.status, message);
    }
    Answer a;
    apply_chunk(a, body);
    if (!a.result.refusal) { // a blocked prompt has no candidates, and that is its answer
        auto candidates = body.find("candidates");
        if (candidates == body.end() || !candidates->is_array()) {
            return fail(ErrorCode::provider, "google: response has no candidates");
        }
        if (candidates->empty()) {
            return fail(ErrorCode::provider, "google: response has empty candidates");
        }
    }
    return finish(request, a);
}

Expected<CompletionResult> parse_google_stream(const CompletionRequest& request,
                                               const HttpResponse& response) {
    auto events = parse_sse(response.body);
    if (events.empty()) {
        return fail(ErrorCode::provider, "google: stream has no events: '{}'",
                    quote_body(response.body));
    }
    Answer a;
    for (const auto& event : events) {
        auto chunk = LLMOPS_TRY(parse_json_body(k_google_name, event.data));
        if (auto message = vendor_error_message(chunk); !message.empty()) {
            return fail(ErrorCode::provider, "google: stream error: {}", message);
        }
        apply_chunk(a, chunk);
    }
    if (!a.finished)
        return fail(ErrorCode::provider, "google: stream ended before its last chunk");
    return finish(request, a);
}

} // namespace

Expected<HttpRequest> build_google_request(const Endpoint& endpoint,
                                           const CompletionRequest& request) {
    json system_parts = json::array();
    json contents = json::array();
    for (size_t i = 0; i < request.messages.size(); ++i) {
        const auto& m = request.messages[i];
        json part = {{"text", m.content}};
        if (m.role == "system" || m.role == "developer") {
            system_parts.push_back(std::move(part));
        } else if (m.role == "user" || m.role == "assistant") {
            contents.push_back({{"role", m.role == "assistant" ? "model" : "user"},
                                {"parts", json::array({std::move(part)})}});
        } else {
            return fail(ErrorCode::invalid_input,
                        "google: message {} has role '{}', which the API cannot take (use "
                        "system, developer, user or assistant)",
                        i + 1, m.role);
        }
    }
    if (contents.empty()) {
        return fail(ErrorCode::invalid_input, "google: request has no user or assistant message");
    }
    json body = {{"contents", std::move(contents)}};
    if (!system_parts.empty())
        body["systemInstruction"] = {{"parts", std::move(system_parts)}};

    const Params& p = request.params;
    json config = json::object();
    if (p.temperature)
        config["temperature"] = *p.temperature;
    if (p.top_p)
        config["topP"] = *p.top_p;
    if (p.max_tokens)
        config["maxOutputTokens"] = *p.max_tokens;
    if (!p.stop.empty())
        config["stopSequences"] = p.stop;
    if (p.seed)
        config["seed"] = *p.seed;
    if (p.response_format_json) {
        auto format =
            LLMOPS_TRY(parse_param_json(k_google_name, "response_format", *p.response_format_json));
        // NEEDSWORK: a json_schema format could also send its schema as responseJsonSchema.
        auto type = format.is_object() ? google_text(format, "type") : std::string();
        if (type == "json_object" || type == "json_schema") {
            config["responseMimeType"] = "application/json";
        }
    }
    if (!config.empty())
        body["generationConfig"] = std::move(config);
    if (p.tools_json) {
        auto tools = LLMOPS_TRY(parse_param_json(k_google_name, "tools", *p.tools_json));
        body["tools"] = google_tools(tools);
    }

    std::string model =
        request.model.starts_with("models/") ? request.model.substr(7) : request.model;
    HttpRequest http;
    http.url = join_url(endpoint.base_url, "https://generativelanguage.googleapis.com",
                        "/v1beta/models/" + encode_path_segment(model) +
                            (p.stream ? ":streamGenerateContent?alt=sse" : ":generateContent"));
    http.headers.emplace_back("content-type", "application/json");
    if (!endpoint.api_key.empty())
        http.headers.emplace_back("x-goog-api-key", endpoint.api_key);
    if (p.stream)
        http.headers.emplace_back("accept", "text/event-stream");
    add_headers(http.headers, endpoint.extra_headers);
    http.body = body.dump();
    return http;
}

Expected<CompletionResult> parse_google_response(const CompletionRequest& request,
                                                 const HttpResponse& response) {
    if (request.params.stream && !looks_like_json(response.body))
        return parse_google_stream(request, response);
    auto body = LLMOPS_TRY(parse_json_body(k_google_name, response.body));
    return parse_whole(request, response, body);
}

} // namespace llmops::provider::detail
