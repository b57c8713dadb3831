#include <llmops/provider/provider.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include <llmops/provider/exec.hpp>
#include <llmops/provider/http_target.hpp>
#include <llmops/provider/replay.hpp>
#include <llmops/util/redact.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/subprocess.hpp>

namespace llmops::provider {

namespace {

using nlohmann::json;

void append(std::vector<std::string>& to, std::vector<std::string> more) {
    to.insert(to.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

// Whether the value of header `name` is a secret: every header's is, but those of the standard
// headers that carry no credential and YAML-typed settings (`X-Retries: 3`, `X-Debug: true`).
// Values are redacted from every answer, and `application/json` or `3` there would only damage
// the answers.
bool header_secret(std::string_view name, std::string_view value) {
    static const std::vector<std::string_view> k_plain = {
        "accept",         "accept-encoding", "accept-language",
        "anthropic-beta", "cache-control",   "anthropic-version",
        "content-type",   "openai-beta",     "user-agent"};
    std::string lower(name);
    for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (std::find(k_plain.begin(), k_plain.end(), lower) != k_plain.end()) {
        return false;
    }
    const bool setting = value == "true" || value == "false" ||
                         (!value.empty() && value.size() < 8 && util::is_digits(value));
    return !setting;
}

// ceil(characters / 4): the usual rule of thumb, marked as an estimate.
void estimate(const CompletionRequest& request, CompletionResult& result) {
    detail::estimate_usage(request, result);
}

// openai, azure, anthropic, google and ollama: a vendor's wire format over HTTP.
class ApiProvider final : public Provider {
public:
    ApiProvider(ProviderConfig config, Endpoint endpoint) : Provider(std::move(config)) {
        m_endpoint = std::move(endpoint);
        m_endpoint.extra_headers = m_config.headers;
        m_secrets.push_back(m_endpoint.api_key);
        for (const auto& [name, value] : m_config.headers) {
            if (header_secret(name, value)) {
                m_secrets.push_back(value);
            }
        }
        // A base URL may carry a password or a key parameter (from the suite or *_BASE_URL).
        append(m_secrets, util::url_secrets(m_endpoint.base_url));
    }
    Transport transport() const override { return Transport::http; }
    json identity() const override {
        json id = Provider::identity();
        id["api"] = api_name(m_endpoint.api);
        id["base_url"] = m_endpoint.base_url;
        if (!m_endpoint.api_version.empty()) {
            id["api_version"] = m_endpoint.api_version;
        }
        return id;
    }
    Expected<HttpRequest> build_http(const CompletionRequest& request, const json&) const override {
        auto http = build_request(m_endpoint, request);
        if (http) {
            http->timeout_ms = m_config.timeout_ms;
        }
        return http;
    }
    Expected<CallOutcome> parse_http(const CompletionRequest& request,
                                     const HttpResponse& response) const override {
        if (response.status == 0) {
            return std::unexpected(detail::http_error("", response));
        }
        if (response.status < 200 || response.status >= 300) {
            return std::unexpected(error_from_response(m_endpoint.api, response));
        }
        auto parsed = LLMOPS_TRY(parse_response(m_endpoint.api, request, response));
        CallOutcome out;
        out.result = std::move(parsed);
        return out;
    }

private:
    Endpoint m_endpoint;
};

// The NAMEs of the {{env.NAME}} tags in `text`, as the pattern
// \{\{\{?\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*(\|[^}]*)?\}\} finds them left to right. Matched by
// hand, not with std::regex, which recurses once per character of a user's long body.
std::vector<std::string> env_tag_names(std::string_view text) {
    const auto is_space = [](char c) {
        return std::string_view(" \t\n\v\f\r").find(c) != std::string_view::npos;
    };
    const auto is_name = [](char c, bool first) {
        return c == '_' || std::isalpha(static_cast<unsigned char>(c)) != 0 ||
               (!first && std::isdigit(static_cast<unsigned char>(c)) != 0);
    };
    std::vector<std::string> names;
    for (size_t start = text.find("{{"); start != std::string_view::npos;
         start = text.find("{{", start + 1)) {
        size_t i = start + 2;
        if (i < text.size() && text[i] == '{')
            ++i;
        while (i < text.size() && is_space(text[i]))
            ++i;
        if (text.substr(i, 4) != "env." || i + 4 >= text.size() || !is_name(text[i + 4], true))
            continue;
        const size_t name_begin = i + 4;
        i = name_begin + 1;
        while (i < text.size() && is_name(text[i], false))
            ++i;
        const size_t name_end = i;
        while (i < text.size() && is_space(text[i]))
            ++i;
        if (i < text.size() && text[i] == '|')
            i = std::min(text.find('}', i), text.size());
        if (text.substr(i, 2) != "}}")
            continue;
        names.emplace_back(text.substr(name_begin, name_end - name_begin));
        start = i + 1; // the next search starts after the match, at i + 2
    }
    return names;
}

// A user's own HTTP service (http_target.hpp).
class HttpTargetProvider final : public Provider {
public:
    HttpTargetProvider(ProviderConfig config, EnvLookup env)
        : Provider(std::move(config)), m_env(std::move(env)) {
        // Values read from {{env.NAME}} tags are secrets (typically an Authorization header).
        std::string text = m_config.http.url + "\n" + m_config.http.body.dump();
        for (const auto& [name, value] : m_config.http.headers) {
            text += "\n" + value;
        }
        // Tags may carry filters ({{ env.TOKEN | urlencode }}): the value is secret either way.
        for (const std::string& name : env_tag_names(text)) {
            if (auto value = m_env(name)) {
                m_secrets.push_back(*value);
            }
        }
        // Credentials written as they are: in the URL, and header values without tags (a
        // `Basic base64(user:password)` header is a secret whole).
        append(m_secrets, util::url_secrets(m_config.http.url));
        for (const auto& [name, value] : m_config.http.headers) {
            if (value.find("{{") == std::string::npos && header_secret(name, value)) {
                m_secrets.push_back(value);
            }
        }
    }
    Transport transport() const override { return Transport::http; }
    json identity() const override {
        json id = Provider::identity();
        id["url"] = m_config.http.url;
        id["method"] = m_config.http.method;
        id["body"] = m_config.http.body;
        id["response_path"] = m_config.http.response_path;
        return id;
    }
    Expected<HttpRequest> build_http(const CompletionRequest& request,
                                     const json& vars) const override {
        std::vector<std::string> secrets;
        auto http = build_http_target_request(m_config.http, request, vars, m_env, secrets);
        if (http) {
            http->timeout_ms = m_config.timeout_ms;
        }
        return http;
    }
    Expected<CallOutcome> parse_http(const CompletionRequest& request,
                                     const HttpResponse& response) const override {
        if (response.status == 0) {
            return std::unexpected(detail::http_error("", response));
        }
        if (response.status < 200 || response.status >= 300) {
            return std::unexpected(detail::http_error("http", response));
        }
        return parse_http_target_response(m_config.http, request, response);
    }

private:
    EnvLookup m_env;
};

// The user's program (exec.hpp), run with a timeout.
class ExecProvider final : public Provider {
public:
    explicit ExecProvider(ProviderConfig config) : Provider(std::move(config)) {}
    Transport transport() const override { return Transport::process; }
    json identity() const override {
        json id = Provider::identity();
        id["argv"] = m_config.argv;
        return id;
    }
    Expected<CallOutcome> call_direct(const CompletionRequest& request, const json& vars,
                                      int) const override {
        if (request.params.embed) {
            return fail(ErrorCode::invalid_input,
                        "provider '{}': exec: programs do not compute embeddings (the 'similar' "
                        "assertion needs an OpenAI-compatible provider)",
                        id());
        }
        util::ProcessOptions options;
        options.stdin_data = exec_request_json(request, vars, m_config.program_config);
        options.timeout_ms = m_config.timeout_ms;
        auto process = LLMOPS_TRY(util::run_process(m_config.argv, options));
        // Before parsing, so an error quoting the program's first bytes never quotes half a key
        // (stdout is the answer: a short dummy key stays in it, as in any answer).
        if (!m_secrets.empty()) {
            process.out =
                util::Redactor(m_secrets, util::Redactor::Short::kept).redact(process.out);
            process.err = util::redact(process.err, m_secrets);
        }
        return parse_exec_result(m_config.spec.id, request, process, m_config.timeout_ms);
    }
};

// Answers with the rendered prompt: for trying suites and assertions without a model.
// A unit vector of 256 buckets counting the lower-cased words of `text` by FNV-1a hash.
std::vector<double> hashed_words(std::string_view text) {
    std::vector<double> v(256, 0.0);
    std::string word;
    const auto flush = [&] {
        if (word.empty()) {
            return;
        }
        uint32_t h = 2166136261u;
        for (unsigned char c : word) {
            h = (h ^ c) * 16777619u;
        }
        v[h % v.size()] += 1;
        word.clear();
    };
    for (unsigned char c : text) {
        if (std::isalnum(c) || c >= 0x80) {
            word += static_cast<char>(std::tolower(c));
        } else {
            flush();
        }
    }
    flush();
    double norm = 0;
    for (double x : v) {
        norm += x * x;
    }
    if (norm > 0) {
        for (double& x : v) {
            x /= std::sqrt(norm);
        }
    }
    return v;
}

class EchoProvider final : public Provider {
public:
    explicit EchoProvider(ProviderConfig config) : Provider(std::move(config)) {}
    Transport transport() const override { return Transport::local; }
    Expected<CallOutcome> call_direct(const CompletionRequest& request, const json&,
                                      int) const override {
        CallOutcome out;
        if (request.params.embed) {
            // Offline stand-in for an embedding model: a hashed bag of words (lexical overlap,
            // not meaning), so `similar` runs in tests and demos without a network.
            for (const auto& m : request.messages) {
                out.result.embeddings.push_back(hashed_words(m.content));
            }
            out.result.finish_reason = "stop";
            estimate(request, out.result);
            out.cost_usd = 0.0;
            return out;
        }
        std::string text;
        for (const auto& m : request.messages) {
            text += text.empty() ? "" : "\n\n";
            text += m.content;
        }
        out.result.output = std::move(text);
        out.result.finish_reason = "stop";
        estimate(request, out.result);
        out.cost_usd = 0.0;
        return out;
    }
};

// The answers users got in production (a suite's `tests: {traces: ...}`): each such case carries
// its recorded call, which the runner hands the engine as the job's answer, so this provider is
// never asked; a case that did not come from traces has nothing to answer with.
class TracesProvider final : public Provider {
public:
    explicit TracesProvider(ProviderConfig config) : Provider(std::move(config)) {}
    Transport transport() const override { return Transport::local; }
    Expected<CallOutcome> call_direct(const CompletionRequest&, const json&, int) const override {
        return fail(ErrorCode::invalid_input,
                    "provider 'traces' answers only cases taken from traces (tests: {{traces: "
                    "...}}): this case has no recorded answer");
    }
};

// Answers from a recording (replay.hpp).
class ReplayProvider final : public Provider {
public:
    ReplayProvider(ProviderConfig config, ReplayFile file)
        : Provider(std::move(config)), m_file(std::move(file)) {}
    Transport transport() const override { return Transport::local; }
    std::pair<std::string, std::string> priced_as() const override {
        // A recording prices its answers as the provider that gave them.
        const std::string& recorded =
            !m_config.replay_provider.empty()
                ? m_config.replay_provider
                : (m_file.providers().size() == 1 ? m_file.providers()[0] : std::string());
        auto spec = parse_provider_id(recorded);
        if (!spec) {
            return {"", ""};
        }
        return {std::string(kind_name(spec->kind)), spec->model};
    }
    Expected<CallOutcome> call_direct(const CompletionRequest& request, const json&,
                                      int repeat) const override {
        return m_file.find(request.messages, repeat, m_config.replay_provider);
    }

private:
    ReplayFile m_file;
};

} // namespace

EnvLookup process_env() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr || *value == '\0') {
            return std::nullopt;
        }
        return std::string(value);
    };
}

std::vector<std::string> environment_secrets(const EnvLookup& env) {
    std::vector<std::string> secrets;
    for (const char* name : {"OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "ANTHROPIC_API_KEY",
                             "GEMINI_API_KEY", "GOOGLE_API_KEY"}) {
        if (auto value = env(name)) {
            secrets.push_back(std::move(*value));
        }
    }
    for (const char* name : {"OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT", "ANTHROPIC_BASE_URL",
                             "GEMINI_BASE_URL", "OLLAMA_BASE_URL"}) {
        if (auto value = env(name)) {
            append(secrets, util::url_secrets(*value));
        }
    }
    return secrets;
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
        endpoint.base_url =
            base.value_or(env("OLLAMA_BASE_URL").value_or("http://localhost:11434"));
        while (endpoint.base_url.ends_with('/')) {
            endpoint.base_url.pop_back();
        }
        if (!endpoint.base_url.ends_with("/v1")) {
            endpoint.base_url += "/v1";
        }
        return endpoint;
    case Kind::http:
    case Kind::exec:
    case Kind::echo:
    case Kind::traces:
    case Kind::replay: return fail(ErrorCode::internal, "'{}' has no API endpoint", spec.id);
    }
    if (options.api_key_env) {
        key_var = *options.api_key_env;
    }
    endpoint.base_url = base.value_or("");
    if (options.api_key) {
        endpoint.api_key = *options.api_key;
    } else if (auto key = env(key_var)) {
        endpoint.api_key = *key;
    } else if (!base || options.api_key_env) {
        // A server of the user's own (vLLM, llama.cpp) may need no key; a vendor's always does.
        return fail(ErrorCode::invalid_input, "provider '{}': {} is not set", spec.id, key_var);
    }
    return endpoint;
}

json Provider::identity() const {
    return json{{"kind", kind_name(m_config.spec.kind)}, {"model", m_config.spec.model}};
}

std::pair<std::string, std::string> Provider::priced_as() const {
    return {std::string(kind_name(m_config.spec.kind)), m_config.spec.model};
}

Expected<HttpRequest> Provider::build_http(const CompletionRequest&, const json&) const {
    return fail(ErrorCode::internal, "provider '{}' does not speak HTTP", id());
}

Expected<CallOutcome> Provider::parse_http(const CompletionRequest&, const HttpResponse&) const {
    return fail(ErrorCode::internal, "provider '{}' does not speak HTTP", id());
}

Expected<CallOutcome> Provider::call_direct(const CompletionRequest&, const json&, int) const {
    return fail(ErrorCode::internal, "provider '{}' is called over HTTP", id());
}

Expected<std::unique_ptr<Provider>> Provider::create(ProviderConfig config, const EnvLookup& env) {
    switch (config.spec.kind) {
    case Kind::openai:
    case Kind::azure:
    case Kind::anthropic:
    case Kind::google:
    case Kind::ollama: {
        auto endpoint = LLMOPS_TRY(endpoint_for(
            config.spec, env, {config.base_url, config.api_key_env, config.literal_api_key}));
        return std::make_unique<ApiProvider>(std::move(config), std::move(endpoint));
    }
    case Kind::http: return std::make_unique<HttpTargetProvider>(std::move(config), env);
    case Kind::exec: return std::make_unique<ExecProvider>(std::move(config));
    case Kind::echo: return std::make_unique<EchoProvider>(std::move(config));
    case Kind::traces: return std::make_unique<TracesProvider>(std::move(config));
    case Kind::replay: {
        auto file = ReplayFile::load(config.replay_file);
        if (!file) {
            return fail(file.error().code(), "provider '{}': {}", config.spec.id,
                        file.error().message());
        }
        const auto providers = file->providers();
        if (!config.replay_provider.empty() &&
            std::find(providers.begin(), providers.end(), config.replay_provider) ==
                providers.end()) {
            return fail(ErrorCode::invalid_input,
                        "provider '{}': the recording holds no answers from '{}' (it has: {})",
                        config.spec.id, config.replay_provider,
                        providers.empty() ? std::string("none") : util::join(providers, ", "));
        }
        return std::make_unique<ReplayProvider>(std::move(config), std::move(*file));
    }
    }
    return fail(ErrorCode::internal, "unknown provider kind");
}

} // namespace llmops::provider
