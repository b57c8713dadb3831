#pragma once
// Provider ids (`openai:gpt-4o-mini`, `anthropic:messages:claude-...`, `echo`, ...), where their
// endpoints and keys come from, and one call end to end (`llmops ask`).

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <llmops/provider/pricing.hpp>
#include <llmops/provider/types.hpp>
#include <llmops/provider/wire.hpp>

namespace llmops::provider {

// The kinds of provider this build can call. (exec:, http, replay: arrive with the eval issue.)
enum class Kind { openai, azure, anthropic, google, ollama, echo };

// A parsed provider id.
struct ProviderSpec {
    Kind kind = Kind::echo;
    std::string id;    // as the user wrote it
    std::string model; // the model (azure: the deployment); empty for echo
};

// Parses a provider id as promptfoo writes them: `openai:<model>`, `openai:chat:<model>`,
// `azure:<deployment>` (also `azure:chat:<deployment>`), `anthropic:<model>`,
// `anthropic:messages:<model>`, `google:<model>`, `ollama:<model>` (also `ollama:chat:`),
// `echo`. Fails with `invalid_input` naming the id, with a did-you-mean for the prefix, and
// plainly for kinds the SPEC plans but this build lacks (exec:, http, replay:).
Expected<ProviderSpec> parse_provider_id(std::string_view id);

// Reads an environment variable; empty values count as unset. Tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_env();

// Endpoint settings a user may give beside the environment.
struct EndpointOptions {
    std::optional<std::string> base_url;    // overrides the *_BASE_URL variable
    std::optional<std::string> api_key_env; // the variable holding the key (promptfoo's apiKeyEnvar)
};

// Builds the endpoint of an HTTP provider from the environment: OPENAI_API_KEY and
// OPENAI_BASE_URL; AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT (AZURE_OPENAI_API_VERSION);
// ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL; GEMINI_API_KEY or GOOGLE_API_KEY and
// GEMINI_BASE_URL; OLLAMA_BASE_URL (default http://localhost:11434, no key). A key is required
// unless a base URL points at a compatible server of the user's own. Fails with `invalid_input`
// naming the missing variable. Not for `echo`.
Expected<Endpoint> endpoint_for(const ProviderSpec& spec, const EnvLookup& env,
                                const EndpointOptions& options = {});

// How one call behaves.
struct CallOptions {
    int64_t timeout_ms = 120000;
    int max_retries = 3;
};

// One finished call.
struct CallOutcome {
    CompletionResult result;
    double latency_ms = 0;
    std::optional<double> first_byte_ms;
    int attempts = 1;
    std::optional<double> cost_usd; // nothing when the model is unpriced
};

// Makes one call and waits for it, with retries. `echo` answers with the request's messages
// (their contents joined by blank lines) and costs nothing. Fails with `provider` (an error
// answer or garbage), `network` or `timeout`, messages naming the provider id and never the key.
Expected<CallOutcome> call_once(const ProviderSpec& spec, const Endpoint& endpoint,
                                const CompletionRequest& request, const CallOptions& options,
                                const PriceTable& prices);

} // namespace llmops::provider
