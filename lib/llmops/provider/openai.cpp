// OpenAI Chat Completions (also Azure OpenAI and the OpenAI-compatible servers: Ollama, vLLM,
// llama.cpp, LM Studio, OpenRouter, Groq, Mistral, DeepSeek), the dispatch of wire.hpp's public
// functions, and the helpers the three wire formats share.
// Reference: https://platform.openai.com/docs/api-reference/chat/create
//            https://learn.microsoft.com/azure/ai-services/openai/reference

#include <llmops/provider/wire.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <llmops/util/json.hpp>
#include <llmops/util/nesting.hpp>

namespace llmops::provider {

using nlohmann::json;

std::string_view api_name(Api api) {
    switch (api) {
    case Api::openai: return "openai";
    case Api::azure: return "azure";
    case Api::anthropic: return "anthropic";
    case Api::google: return "google";
    }
    return "unknown";
}

Expected<HttpRequest> build_request(const Endpoint& endpoint, const CompletionRequest& request) {
    if (request.model.empty()) {
        return fail(ErrorCode::invalid_input, "{}: no model given", api_name(endpoint.api));
    }
    if (request.params.embed && endpoint.api != Api::openai && endpoint.api != Api::azure) {
        return fail(ErrorCode::invalid_input,
                    "{}: embeddings (the 'similar' assertion) need an OpenAI-compatible provider "
                    "(openai:, azure:, ollama: or a base_url)",
                    api_name(endpoint.api));
    }
    switch (endpoint.api) {
    case Api::openai:
    case Api::azure: return detail::build_openai_request(endpoint, request);
    case Api::anthropic: return detail::build_anthropic_request(endpoint, request);
    case Api::google: return detail::build_google_request(endpoint, request);
    }
    return fail(ErrorCode::internal, "unknown api");
}

Expected<CompletionResult> parse_response(Api api, const CompletionRequest& request,
                                          const HttpResponse& response) {
    switch (api) {
    case Api::openai:
    case Api::azure: return detail::parse_openai_response(api, request, response);
    case Api::anthropic: return detail::parse_anthropic_response(request, response);
    case Api::google: return detail::parse_google_response(request, response);
    }
    return fail(ErrorCode::internal, "unknown api");
}

Error error_from_response(Api api, const HttpResponse& response) {
    return detail::http_error(api_name(api), response);
}

Error detail::http_error(std::string_view api, const HttpResponse& response) {
    const std::string prefix = api.empty() ? std::string() : fmt::format("{}: ", api);
    if (response.status == 0) {
        auto what = response.transport_error.empty() ? std::string("no response")
                                                     : response.transport_error;
        auto code = what.starts_with("timed out") ? ErrorCode::timeout : ErrorCode::network;
        return Error(code, prefix + what);
    }
    auto code = response.status == 429   ? ErrorCode::rate_limited
                : response.status == 408 ? ErrorCode::timeout
                                         : ErrorCode::provider;
    std::string detail;
    auto body = util::parse_json_or_discarded(response.body);
    if (!body.is_discarded())
        detail = detail::vendor_error_message(body);
    if (detail.empty() && !response.body.empty()) {
        detail = "'" + detail::quote_body(response.body) + "'";
    }
    if (detail.empty())
        return Error(code, fmt::format("{}HTTP {}", prefix, response.status));
    return Error(code, fmt::format("{}HTTP {}: {}", prefix, response.status, detail));
}

namespace detail {

namespace {

// Chat Completions takes these roles as they are. ("tool" needs a tool_call_id, which a
// ChatMessage cannot carry.)
bool openai_role(std::string_view role) {
    return role == "system" || role == "developer" || role == "user" || role == "assistant";
}

std::string openai_finish_reason(const std::string& reason) {
    if (reason == "function_call")
        return "tool_calls"; // the deprecated name
    return reason;
}

// OpenAI's own service wants max_completion_tokens (max_tokens is deprecated there and
// rejected by reasoning models); Azure takes it since api-version 2024-09-01-preview.
// Compatible servers (Ollama, vLLM, llama.cpp, ...) only know max_tokens.
bool wants_max_completion_tokens(const Endpoint& endpoint) {
    if (endpoint.api == Api::azure)
        return true;
    return endpoint.base_url.empty() ||
           endpoint.base_url.find("://api.openai.com") != std::string::npos;
}

Usage openai_usage(const json& usage) {
    Usage u;
    u.input = int_field(usage, "prompt_tokens");
    u.output = int_field(usage, "completion_tokens");
    if (auto it = usage.find("prompt_tokens_details"); it != usage.end() && it->is_object()) {
        u.cached_input = int_field(*it, "cached_tokens");
    }
    if (auto it = usage.find("completion_tokens_details"); it != usage.end() && it->is_object()) {
        u.reasoning = int_field(*it, "reasoning_tokens");
    }
    return u;
}

std::string string_field(const json& object, std::string_view key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Some compatible servers (Mistral's reasoning models) send content as an array of parts;
// the answer is its text parts (thinking parts are not).
std::string content_text(const json& message) {
    auto content = message.find("content");
    if (content == message.end())
        return {};
    if (content->is_string())
        return content->get<std::string>();
    std::string text;
    if (content->is_array()) {
        for (const auto& part : *content) {
            if (part.is_object() && string_field(part, "type") == "text") {
                text += string_field(part, "text");
            }
        }
    }
    return text;
}

// Fills usage and the refusal finish reason once the answer is complete.
void finish(const CompletionRequest& request, CompletionResult& result, const json* usage) {
    if (usage != nullptr && usage->is_object()) {
        result.usage = openai_usage(*usage);
    } else {
        estimate_usage(request, result);
    }
    if (result.refusal)
        result.finish_reason = "refusal";
}

Expected<CompletionResult> parse_openai_json(std::string_view name,
                                             const CompletionRequest& request,
                                             const HttpResponse& response, const json& body) {
    if (!body.is_object())
        return fail(ErrorCode::provider, "{}: response is not an object", name);
    if (auto message = vendor_error_message(body); !message.empty()) {
        return fail(ErrorCode::provider, "{}: HTTP {}: {}", name, response.status, message);
    }
    auto choices = body.find("choices");
    if (choices == body.end() || !choices->is_array()) {
        return fail(ErrorCode::provider, "{}: response has no choices", name);
    }
    if (choices->empty())
        return fail(ErrorCode::provider, "{}: response has empty choices", name);
    const json& choice = choices->front();
    auto message = choice.find("message");
    if (!choice.is_object() || message == choice.end() || !message->is_object()) {
        return fail(ErrorCode::provider, "{}: response choice has no message", name);
    }
    CompletionResult result;
    result.output = content_text(*message);
    result.finish_reason = openai_finish_reason(string_field(choice, "finish_reason"));
    if (auto refusal = message->find("refusal");
        refusal != message->end() && refusal->is_string()) {
        result.refusal = refusal->get<std::string>();
    }
    if (auto calls = message->find("tool_calls");
        calls != message->end() && calls->is_array() && !calls->empty()) {
        result.tool_calls_json = calls->dump();
    }
    if (auto logprobs = choice.find("logprobs");
        logprobs != choice.end() && logprobs->is_object()) {
        if (auto content = logprobs->find("content");
            content != logprobs->end() && content->is_array()) {
            result.logprobs_json = content->dump();
        }
    }
    auto usage = body.find("usage");
    finish(request, result, usage == body.end() ? nullptr : &*usage);
    return result;
}

// Streamed tool calls arrive in pieces keyed by index: the id and name first, then the
// arguments in fragments to concatenate.
void merge_tool_call_delta(std::map<int64_t, json>& calls, const json& delta) {
    int64_t index = int_field(delta, "index");
    json& call = calls[index];
    if (call.is_null())
        call = {{"type", "function"}, {"function", {{"arguments", ""}}}};
    if (auto id = string_field(delta, "id"); !id.empty())
        call["id"] = id;
    if (auto fn = delta.find("function"); fn != delta.end() && fn->is_object()) {
        if (auto n = string_field(*fn, "name"); !n.empty())
            call["function"]["name"] = n;
        call["function"]["arguments"] =
            call["function"]["arguments"].get<std::string>() + string_field(*fn, "arguments");
    }
}

Expected<CompletionResult> parse_openai_stream(std::string_view name,
                                               const CompletionRequest& request,
                                               const HttpResponse& response) {
    auto events = parse_sse(response.body);
    if (events.empty()) {
        return fail(ErrorCode::provider, "{}: stream has no events: '{}'", name,
                    quote_body(response.body));
    }
    CompletionResult result;
    std::map<int64_t, json> calls;
    json usage;
    bool done = false;
    for (const auto& event : events) {
        if (event.data == "[DONE]") {
            done = true;
            break;
        }
        auto chunk = LLMOPS_TRY(parse_json_body(name, event.data));
        if (auto message = vendor_error_message(chunk); !message.empty()) {
            return fail(ErrorCode::provider, "{}: stream error: {}", name, message);
        }
        if (auto u = chunk.find("usage"); u != chunk.end() && u->is_object())
            usage = *u;
        auto choices = chunk.find("choices");
        if (choices == chunk.end() || !choices->is_array() || choices->empty())
            continue;
        const json& choice = choices->front();
        if (auto reason = string_field(choice, "finish_reason"); !reason.empty()) {
            result.finish_reason = openai_finish_reason(reason);
        }
        auto delta = choice.find("delta");
        if (delta == choice.end() || !delta->is_object())
            continue;
        result.output += string_field(*delta, "content");
        if (auto r = delta->find("refusal"); r != delta->end() && r->is_string()) {
            result.refusal = result.refusal.value_or("") + r->get<std::string>();
        }
        if (auto tc = delta->find("tool_calls"); tc != delta->end() && tc->is_array()) {
            for (const auto& d : *tc)
                merge_tool_call_delta(calls, d);
        }
    }
    if (!done && result.finish_reason.empty()) {
        return fail(ErrorCode::provider, "{}: stream ended before its last chunk", name);
    }
    if (!calls.empty()) {
        json array = json::array();
        for (auto& [index, call] : calls)
            array.push_back(call);
        result.tool_calls_json = array.dump();
    }
    finish(request, result, usage.is_object() ? &usage : nullptr);
    return result;
}

} // namespace

bool looks_like_json(std::string_view body) {
    auto first = body.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && body[first] == '{';
}

// POST /embeddings {"model", "input": [...]}: one input per message.
Expected<HttpRequest> build_embeddings_request(const Endpoint& endpoint,
                                               const CompletionRequest& request) {
    json body = {{"model", request.model}, {"input", json::array()}};
    for (const auto& m : request.messages) {
        body["input"].push_back(m.content);
    }
    HttpRequest http;
    http.headers.emplace_back("content-type", "application/json");
    if (endpoint.api == Api::azure) {
        if (endpoint.base_url.empty()) {
            return fail(ErrorCode::invalid_input,
                        "azure: no endpoint configured (e.g. https://NAME.openai.azure.com)");
        }
        auto version = endpoint.api_version.empty() ? std::string(k_azure_default_api_version)
                                                    : endpoint.api_version;
        http.url = join_url(endpoint.base_url, "",
                            "/openai/deployments/" + encode_path_segment(request.model) +
                                "/embeddings?api-version=" + encode_path_segment(version));
        if (!endpoint.api_key.empty())
            http.headers.emplace_back("api-key", endpoint.api_key);
    } else {
        http.url = join_url(endpoint.base_url, "https://api.openai.com/v1", "/embeddings");
        if (!endpoint.api_key.empty())
            http.headers.emplace_back("authorization", "Bearer " + endpoint.api_key);
    }
    add_headers(http.headers, endpoint.extra_headers);
    http.body = body.dump();
    return http;
}

// {"data": [{"index": 0, "embedding": [...]}, ...], "usage": {"prompt_tokens": N}}
Expected<CompletionResult> parse_embeddings_response(std::string_view name,
                                                     const CompletionRequest& request,
                                                     const HttpResponse& response) {
    auto body = LLMOPS_TRY(parse_json_body(name, response.body));
    auto data = body.find("data");
    if (data == body.end() || !data->is_array() || data->size() != request.messages.size())
        return fail(ErrorCode::provider, "{}: embeddings response has no 'data' list of {} vectors",
                    name, request.messages.size());
    CompletionResult result;
    result.embeddings.resize(request.messages.size());
    for (size_t i = 0; i < data->size(); ++i) {
        const json& item = (*data)[i];
        const size_t index = item.contains("index") && item["index"].is_number_unsigned()
                                 ? item["index"].get<size_t>()
                                 : i;
        auto vec = item.find("embedding");
        if (index >= result.embeddings.size() || vec == item.end() || !vec->is_array() ||
            vec->empty() || !std::all_of(vec->begin(), vec->end(), [](const json& x) {
                return x.is_number() && std::isfinite(x.get<double>());
            }))
            return fail(ErrorCode::provider,
                        "{}: embeddings response: data[{}] is not a vector of numbers", name, i);
        result.embeddings[index] = vec->get<std::vector<double>>();
    }
    result.finish_reason = "stop";
    if (auto usage = body.find("usage");
        usage != body.end() && usage->is_object() &&
        usage->value("prompt_tokens", json()).is_number_integer()) {
        result.usage.input = (*usage)["prompt_tokens"].get<int64_t>();
    } else {
        int64_t chars = 0;
        for (const auto& m : request.messages)
            chars += static_cast<int64_t>(m.content.size());
        result.usage.input = (chars + 3) / 4;
        result.usage.estimated = true;
    }
    return result;
}

Expected<HttpRequest> build_openai_request(const Endpoint& endpoint,
                                           const CompletionRequest& request) {
    auto name = api_name(endpoint.api);
    if (request.params.embed)
        return build_embeddings_request(endpoint, request);
    json body = {{"model", request.model}, {"messages", json::array()}};
    for (size_t i = 0; i < request.messages.size(); ++i) {
        const auto& m = request.messages[i];
        if (!openai_role(m.role)) {
            return fail(ErrorCode::invalid_input,
                        "{}: message {} has role '{}', which the API cannot take (use system, "
                        "developer, user or assistant)",
                        name, i + 1, m.role);
        }
        body["messages"].push_back({{"role", m.role}, {"content", m.content}});
    }
    const Params& p = request.params;
    if (p.temperature)
        body["temperature"] = *p.temperature;
    if (p.top_p)
        body["top_p"] = *p.top_p;
    if (p.max_tokens) {
        body[wants_max_completion_tokens(endpoint) ? "max_completion_tokens" : "max_tokens"] =
            *p.max_tokens;
    }
    if (p.seed)
        body["seed"] = *p.seed;
    if (!p.stop.empty())
        body["stop"] = p.stop;
    if (p.response_format_json) {
        auto format =
            LLMOPS_TRY(parse_param_json(name, "response_format", *p.response_format_json));
        body["response_format"] = std::move(format);
    }
    if (p.tools_json) {
        body["tools"] = LLMOPS_TRY(parse_param_json(name, "tools", *p.tools_json));
    }
    if (p.logprobs) {
        body["logprobs"] = true;
        body["top_logprobs"] = 5;
    }
    if (p.stream) {
        body["stream"] = true;
        body["stream_options"] = {{"include_usage", true}}; // the usage arrives in a last chunk
    }

    HttpRequest http;
    http.headers.emplace_back("content-type", "application/json");
    if (endpoint.api == Api::azure) {
        if (endpoint.base_url.empty()) {
            return fail(ErrorCode::invalid_input,
                        "azure: no endpoint configured (e.g. https://NAME.openai.azure.com)");
        }
        // The deployment (our model) is in the path; Azure ignores the body's model.
        auto version = endpoint.api_version.empty() ? std::string(k_azure_default_api_version)
                                                    : endpoint.api_version;
        http.url = join_url(endpoint.base_url, "",
                            "/openai/deployments/" + encode_path_segment(request.model) +
                                "/chat/completions?api-version=" + encode_path_segment(version));
        if (!endpoint.api_key.empty())
            http.headers.emplace_back("api-key", endpoint.api_key);
    } else {
        http.url = join_url(endpoint.base_url, "https://api.openai.com/v1", "/chat/completions");
        if (!endpoint.api_key.empty()) {
            http.headers.emplace_back("authorization", "Bearer " + endpoint.api_key);
        }
    }
    if (p.stream)
        http.headers.emplace_back("accept", "text/event-stream");
    add_headers(http.headers, endpoint.extra_headers);
    http.body = body.dump();
    return http;
}

Expected<CompletionResult> parse_openai_response(Api api, const CompletionRequest& request,
                                                 const HttpResponse& response) {
    auto name = api_name(api);
    if (request.params.embed)
        return parse_embeddings_response(name, request, response);
    // A server that ignores `stream` (or fails before streaming) answers with plain JSON.
    if (request.params.stream && !looks_like_json(response.body)) {
        return parse_openai_stream(name, request, response);
    }
    auto body = LLMOPS_TRY(parse_json_body(name, response.body));
    return parse_openai_json(name, request, response, body);
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the three wire formats.

std::vector<SseEvent> parse_sse(std::string_view body) {
    // https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
    std::vector<SseEvent> events;
    SseEvent current;
    bool has_data = false;
    auto dispatch = [&] {
        if (has_data)
            events.push_back(std::move(current));
        current = {};
        has_data = false;
    };
    size_t pos = 0;
    while (pos < body.size()) {
        size_t end = body.find('\n', pos);
        std::string_view line =
            body.substr(pos, end == std::string_view::npos ? body.size() - pos : end - pos);
        pos = end == std::string_view::npos ? body.size() : end + 1;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty()) {
            dispatch();
            continue;
        }
        if (line.front() == ':')
            continue; // a comment (keep-alive)
        auto colon = line.find(':');
        std::string_view field = line.substr(0, colon);
        std::string_view value =
            colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
        if (field == "event") {
            current.event = value;
        } else if (field == "data") {
            if (has_data)
                current.data += '\n';
            current.data += value;
            has_data = true;
        }
    }
    dispatch(); // a last event without its blank line (a cut-off stream) still counts
    return events;
}

Expected<json> parse_json_body(std::string_view api, std::string_view body) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return fail(ErrorCode::provider, "{}: response body is empty", api);
    }
    // Refused before parsing: a value nested that deep overflows the stack once dumped.
    if (util::find_deep_json(body)) {
        return fail(ErrorCode::provider, "{}: response is not usable JSON: {}", api,
                    util::nesting_message());
    }
    try {
        return json::parse(body);
    } catch (const json::parse_error& e) {
        // An error at the end of the input means valid JSON that stopped too early.
        if (std::string_view(e.what()).find("unexpected end of input") != std::string_view::npos) {
            return fail(ErrorCode::provider, "{}: response is cut off mid-JSON after {} bytes", api,
                        body.size());
        }
        return fail(ErrorCode::provider, "{}: response is not JSON: '{}'", api, quote_body(body));
    } catch (const json::exception&) {
        // out_of_range for a number beyond a double's range (1e400)
        return fail(ErrorCode::provider, "{}: response is not JSON: '{}'", api, quote_body(body));
    }
}

Expected<json> parse_param_json(std::string_view api, std::string_view field,
                                const std::string& text) {
    try {
        return json::parse(text);
    } catch (const json::exception&) { // parse_error, or out_of_range for 1e400
        return fail(ErrorCode::invalid_input, "{}: {} is not valid JSON: {}", api, field,
                    quote_body(text));
    }
}

std::string quote_body(std::string_view body) {
    size_t size = std::min<size_t>(body.size(), 200);
    // Never cut a UTF-8 sequence in half: the message may end up in JSON reports.
    if (size < body.size()) {
        while (size > 0 && (static_cast<unsigned char>(body[size]) & 0xC0) == 0x80)
            --size;
    }
    std::string quoted(body.substr(0, size));
    for (char& c : quoted) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = ' ';
    }
    if (size < body.size())
        quoted += "...";
    return quoted;
}

std::string vendor_error_message(const json& body) {
    if (!body.is_object())
        return {};
    auto error = body.find("error");
    if (error == body.end())
        return {};
    std::string message;
    if (error->is_string()) {
        message = error->get<std::string>(); // some compatible servers: {"error": "text"}
    } else if (error->is_object()) {
        auto m = error->find("message");
        if (m != error->end() && m->is_string())
            message = m->get<std::string>();
        if (message.empty())
            message = error->dump();
    }
    std::replace_if(
        message.begin(), message.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return message;
}

std::string join_url(std::string_view base, std::string_view fallback, std::string_view path) {
    std::string url(base.empty() ? fallback : base);
    while (!url.empty() && url.back() == '/')
        url.pop_back();
    return url + std::string(path);
}

std::string encode_path_segment(std::string_view segment) {
    std::string out;
    for (unsigned char c : segment) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

void add_headers(std::vector<std::pair<std::string, std::string>>& headers,
                 const std::vector<std::pair<std::string, std::string>>& extra) {
    auto lower = [](std::string s) {
        for (char& c : s)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    for (const auto& [key, value] : extra) {
        auto name = lower(key);
        std::erase_if(headers, [&](const auto& h) { return lower(h.first) == name; });
        headers.emplace_back(key, value);
    }
}

int64_t int_field(const json& object, std::string_view key) {
    if (!object.is_object())
        return 0;
    auto it = object.find(key);
    if (it == object.end() || !it->is_number())
        return 0;
    // Negative or absurd counts (a broken or hostile server) would make costs negative, and a
    // double beyond int64's range is undefined behaviour to convert: both read as 0. The bound
    // (2^53) also keeps sums of a few counts from overflowing.
    constexpr int64_t k_max = int64_t{1} << 53;
    if (it->is_number_float()) {
        const double value = it->get<double>();
        return value >= 0 && value <= static_cast<double>(k_max) ? static_cast<int64_t>(value) : 0;
    }
    if (it->is_number_unsigned()) {
        const uint64_t value = it->get<uint64_t>();
        return value <= static_cast<uint64_t>(k_max) ? static_cast<int64_t>(value) : 0;
    }
    const int64_t value = it->get<int64_t>();
    return value >= 0 && value <= k_max ? value : 0;
}

int64_t estimate_tokens(std::string_view text) {
    int64_t code_points = std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80; // not a continuation byte
    });
    return (code_points + 3) / 4;
}

void estimate_usage(const CompletionRequest& request, CompletionResult& result) {
    std::string input; // one ceiling for the whole prompt, not one per message
    for (const auto& m : request.messages)
        input += m.content;
    Usage u;
    u.input = estimate_tokens(input);
    u.output = estimate_tokens(result.output);
    u.estimated = true;
    result.usage = u;
}

} // namespace detail

} // namespace llmops::provider
