#pragma once
// The Provider interface (SPEC §4): one configured provider, built from its ProviderConfig and
// the environment, that the call engine (engine.hpp) drives. HTTP providers (openai, azure,
// anthropic, google, ollama, http) turn a request into an HttpRequest and a response into an
// outcome; the others (exec, echo, replay) answer directly.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/provider/config.hpp>
#include <llmops/provider/outcome.hpp>
#include <llmops/provider/pricing.hpp>
#include <llmops/provider/types.hpp>
#include <llmops/provider/wire.hpp>

namespace llmops::provider {

// Reads an environment variable; empty values count as unset. Tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_env();

// The secrets of the environment whether or not a provider uses them: the vendors' key
// variables (OPENAI_API_KEY, AZURE_OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY,
// GOOGLE_API_KEY) and the credentials in the base URL variables (util::url_secrets). A run
// redacts them from everything it writes, so a program that echoes one is caught too.
std::vector<std::string> environment_secrets(const EnvLookup& env);

// Endpoint settings a user may give beside the environment.
struct EndpointOptions {
    std::optional<std::string> base_url; // overrides the *_BASE_URL variable
    std::optional<std::string>
        api_key_env;                    // the variable holding the key (promptfoo's apiKeyEnvar)
    std::optional<std::string> api_key; // a key written in the suite (promptfoo's apiKey)
};

// Builds the endpoint of an API provider from the environment: OPENAI_API_KEY and
// OPENAI_BASE_URL; AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT (AZURE_OPENAI_API_VERSION);
// ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL; GEMINI_API_KEY or GOOGLE_API_KEY and
// GEMINI_BASE_URL; OLLAMA_BASE_URL (default http://localhost:11434, no key). A key is required
// unless a base URL points at a compatible server of the user's own. Fails with `invalid_input`
// naming the missing variable. Only for openai, azure, anthropic, google and ollama.
Expected<Endpoint> endpoint_for(const ProviderSpec& spec, const EnvLookup& env,
                                const EndpointOptions& options = {});

class Provider {
public:
    // How calls reach the model.
    enum class Transport {
        http,    // build_http, then parse_http, through the HTTP engine
        process, // call_direct blocks while the user's program runs (a worker thread runs it)
        local,   // call_direct answers at once (echo, replay)
    };

    // Builds the provider `config` describes, reading keys from `env`. Fails with
    // `invalid_input` for a missing key or endpoint variable, `not_found`/`invalid_input` for a
    // replay file that is missing or malformed.
    static Expected<std::unique_ptr<Provider>> create(ProviderConfig config, const EnvLookup& env);

    virtual ~Provider() = default;
    Provider(const Provider&) = delete;
    Provider& operator=(const Provider&) = delete;

    const ProviderConfig& config() const { return m_config; }
    const std::string& id() const { return m_config.spec.id; }
    virtual Transport transport() const = 0;

    // What a cache key needs to know of the provider: kind, model, base URL or target, and
    // nothing secret (no keys, no header values).
    virtual nlohmann::json identity() const;

    // The secret values this provider must never let through: those it sends (its key, header
    // values but those of Content-Type, Accept, User-Agent and the like, values of
    // `{{env.NAME}}` tags, credentials in its URL) and those added with add_secrets. The engine
    // redacts them from every message and answer (util::Redactor).
    const std::vector<std::string>& secrets() const { return m_secrets; }

    // Adds secrets to redact from this provider's messages and answers: a run adds every secret
    // it knows (all its providers', environment_secrets), so an exec: program or a model that
    // prints another provider's key is caught too. Call before the provider is used.
    void add_secrets(const std::vector<std::string>& more) {
        m_secrets.insert(m_secrets.end(), more.begin(), more.end());
    }

    // The price-table provider name and model used to price a call (model empty: free).
    virtual std::pair<std::string, std::string> priced_as() const;

    // Transport::http: builds the request for `request` (with this provider's parameters
    // already merged in) and `vars` (the case's variables, for the http provider's templates).
    virtual Expected<HttpRequest> build_http(const CompletionRequest& request,
                                             const nlohmann::json& vars) const;

    // Transport::http: turns the final response (any status, or a transport failure) into an
    // outcome or an error whose message starts with the API's name ("openai: HTTP 500: ...").
    virtual Expected<CallOutcome> parse_http(const CompletionRequest& request,
                                             const HttpResponse& response) const;

    // Transport::process and ::local: answers `request` (repeat index `repeat`).
    virtual Expected<CallOutcome> call_direct(const CompletionRequest& request,
                                              const nlohmann::json& vars, int repeat) const;

protected:
    explicit Provider(ProviderConfig config) : m_config(std::move(config)) {}

    ProviderConfig m_config;
    std::vector<std::string> m_secrets;
};

} // namespace llmops::provider
