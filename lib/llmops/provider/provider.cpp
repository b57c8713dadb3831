#include <llmops/provider/provider.hpp>

#include <chrono>
#include <cstdlib>

#include <llmops/provider/http.hpp>
#include <llmops/util/redact.hpp>
#include <llmops/util/strings.hpp>

namespace llmops::provider {

namespace {

struct Prefix {
    std::string_view text;
    Kind kind;
};

// Longer prefixes first, so `openai:chat:` wins over `openai:`.
constexpr Prefix k_prefixes[] = {
    {"openai:chat:", Kind::openai},         {"openai:", Kind::openai},
    {"azure:chat:", Kind::azure},           {"azure:", Kind::azure},
    {"anthropic:messages:", Kind::anthropic}, {"anthropic:", Kind::anthropic},
    {"google:", Kind::google},              {"ollama:chat:", Kind::ollama},
    {"ollama:", Kind::ollama},
};

const std::vector<std::string> k_known = {"openai", "azure", "anthropic", "google", "ollama",
                                          "echo"};

std::string_view provider_name(Kind kind) {
    switch (kind) {
    case Kind::openai: return "openai";
    case Kind::azure: return "azure";
    case Kind::anthropic: return "anthropic";
    case Kind::google: return "google";
    case Kind::ollama: return "ollama";
    case Kind::echo: return "echo";
    }
    return "echo";
}

// ceil(characters / 4): the usual rule of thumb for English text, marked as an estimate.
int64_t estimate_tokens(std::string_view text) {
    return static_cast<int64_t>((text.size() + 3) / 4);
}

CallOutcome echo(const CompletionRequest& request) {
    CallOutcome out;
    std::string text;
    for (const auto& m : request.messages) {
        text += text.empty() ? "" : "\n\n";
        text += m.content;
    }
    out.result.output = text;
    out.result.finish_reason = "stop";
    out.result.usage.input = estimate_tokens(text);
    out.result.usage.output = estimate_tokens(text);
    out.result.usage.estimated = true;
    out.cost_usd = 0.0;
    return out;
}

ErrorCode transport_code(const HttpResponse& response) {
    return response.transport_error.find("timed out") != std::string::npos ? ErrorCode::timeout
                                                                          : ErrorCode::network;
}

} // namespace

Expected<ProviderSpec> parse_provider_id(std::string_view id) {
    const std::string text(util::trim(id));
    if (text == "echo") {
        return ProviderSpec{Kind::echo, text, ""};
    }
    for (const auto& p : k_prefixes) {
        if (text.starts_with(p.text)) {
            std::string model = text.substr(p.text.size());
            if (model.empty()) {
                return fail(ErrorCode::invalid_input, "provider '{}' names no model", text);
            }
            return ProviderSpec{p.kind, text, std::move(model)};
        }
    }
    const std::string head = text.substr(0, text.find(':'));
    if (head == "exec" || head == "http" || head == "https" || head == "replay") {
        return fail(ErrorCode::invalid_input,
                    "provider '{}': '{}' providers are not implemented yet in this version of "
                    "llmops (planned, SPEC §4)",
                    text, head);
    }
    return fail(ErrorCode::invalid_input, "unknown provider '{}'{}", text,
                util::did_you_mean(head, k_known));
}

EnvLookup process_env() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr || *value == '\0') {
            return std::nullopt;
        }
        return std::string(value);
    };
}

Expected<Endpoint> endpoint_for(const ProviderSpec& spec, const EnvLookup& env,
                                const EndpointOptions& options) {
    Endpoint endpoint;
    std::string key_var;
    std::optional<std::string> base = options.base_url;
    switch (spec.kind) {
    case Kind::openai:
        endpoint.api = Api::openai;
        key_var = "OPENAI_API_KEY";
        base = base ? base : env("OPENAI_BASE_URL");
        break;
    case Kind::azure:
        endpoint.api = Api::azure;
        key_var = "AZURE_OPENAI_API_KEY";
        base = base ? base : env("AZURE_OPENAI_ENDPOINT");
        if (!base) {
            return fail(ErrorCode::invalid_input,
                        "provider '{}': set AZURE_OPENAI_ENDPOINT (https://NAME.openai.azure.com)",
                        spec.id);
        }
        endpoint.api_version = env("AZURE_OPENAI_API_VERSION").value_or("");
        break;
    case Kind::anthropic:
        endpoint.api = Api::anthropic;
        key_var = "ANTHROPIC_API_KEY";
        base = base ? base : env("ANTHROPIC_BASE_URL");
        break;
    case Kind::google:
        endpoint.api = Api::google;
        key_var = env("GEMINI_API_KEY") ? "GEMINI_API_KEY" : "GOOGLE_API_KEY";
        base = base ? base : env("GEMINI_BASE_URL");
        break;
    case Kind::ollama:
        // Ollama serves the OpenAI-compatible API under /v1 and needs no key.
        endpoint.api = Api::openai;
        endpoint.base_url = base.value_or(env("OLLAMA_BASE_URL").value_or("http://localhost:11434"));
        while (endpoint.base_url.ends_with('/')) {
            endpoint.base_url.pop_back();
        }
        if (!endpoint.base_url.ends_with("/v1")) {
            endpoint.base_url += "/v1";
        }
        return endpoint;
    case Kind::echo:
        return fail(ErrorCode::internal, "echo has no endpoint");
    }
    if (options.api_key_env) {
        key_var = *options.api_key_env;
    }
    endpoint.base_url = base.value_or("");
    if (auto key = env(key_var)) {
        endpoint.api_key = *key;
    } else if (!base || options.api_key_env) {
        // A server of the user's own (vLLM, llama.cpp) may need no key; a vendor's always does.
        return fail(ErrorCode::invalid_input, "provider '{}': {} is not set", spec.id, key_var);
    }
    return endpoint;
}

Expected<CallOutcome> call_once(const ProviderSpec& spec, const Endpoint& endpoint,
                                const CompletionRequest& request, const CallOptions& options,
                                const PriceTable& prices) {
    if (spec.kind == Kind::echo) {
        return echo(request);
    }
    auto http = build_request(endpoint, request);
    if (!http) {
        return fail(http.error(), "provider '{}'", spec.id);
    }
    http->timeout_ms = options.timeout_ms;
    HttpResponse response;
    HttpEngine engine(1);
    RetryPolicy retry;
    retry.max_retries = options.max_retries;
    engine.submit(std::move(*http), retry, [&](HttpResponse r) { response = std::move(r); });
    engine.run();
    const std::vector<std::string> secrets = {endpoint.api_key};
    const std::string after =
        response.attempts > 1 ? fmt::format(" (after {} attempts)", response.attempts) : "";
    if (!response.transport_error.empty()) {
        return fail(transport_code(response), "provider '{}': {}{}", spec.id,
                    util::redact(response.transport_error, secrets), after);
    }
    if (response.status < 200 || response.status >= 300) {
        const Error error = error_from_response(endpoint.api, response);
        return fail(error.code(), "provider '{}': {}{}", spec.id,
                    util::redact(error.message(), secrets), after);
    }
    auto parsed = parse_response(endpoint.api, request, response);
    if (!parsed) {
        return fail(parsed.error().code(), "provider '{}': {}", spec.id,
                    util::redact(parsed.error().message(), secrets));
    }
    CallOutcome out;
    out.result = std::move(*parsed);
    out.latency_ms = response.latency_ms;
    out.first_byte_ms = response.first_byte_ms;
    out.attempts = response.attempts;
    if (const auto* price = prices.find(spec.model, provider_name(spec.kind))) {
        out.cost_usd = cost_usd(*price, out.result.usage);
    }
    return out;
}

} // namespace llmops::provider
