#pragma once
// A configured provider as a suite (or `llmops ask --config`) describes it (SPEC §4): promptfoo's
// shape, a string id or {id, label, config: {...}}, with promptfoo's config keys accepted
// (`apiBaseUrl`, `apiKey`, `apiKeyEnvar`) beside ours. Unknown keys are errors, never ignored.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/provider/http_target.hpp>
#include <llmops/provider/pricing.hpp>
#include <llmops/provider/types.hpp>
#include <llmops/util/error.hpp>

namespace llmops::provider {

// The kinds of provider (SPEC §4).
enum class Kind { openai, azure, anthropic, google, ollama, http, exec, echo, replay, traces };

// Returns the kind's name as used in ids and messages: openai, azure, ..., exec, echo, replay.
std::string_view kind_name(Kind kind);

// A parsed provider id. `id` and `model` are what llmops stores and shows: a URL in them has
// its credentials and secret-looking parameters stripped (util::sanitize_url); `target` is the
// text as written, what the provider calls.
struct ProviderSpec {
    Kind kind = Kind::echo;
    std::string id;     // as the user wrote it, URLs sanitized
    std::string model;  // the model (azure: the deployment); exec: the command; replay: the file;
                        // http: the URL when the id is one; empty for echo and a bare `http`
    std::string target; // `model` as written (may hold credentials: never stored or shown)
};

// Parses a provider id as promptfoo writes them: `openai:<model>`, `openai:chat:<model>`,
// `azure:<deployment>` (also `azure:chat:`), `anthropic:<model>`, `anthropic:messages:<model>`,
// `google:<model>`, `ollama:<model>` (also `ollama:chat:`), `http`, `https`, an http(s) URL (the
// http provider posting there), `exec:<command line>`, `replay:<file>`, `echo`. Fails with
// `invalid_input` naming the id (sanitized), with a did-you-mean for an unknown prefix.
Expected<ProviderSpec> parse_provider_id(std::string_view id);

// Everything a suite's provider entry says.
struct ProviderConfig {
    ProviderSpec spec;
    std::string label;                          // how reports name it; the id when not given
    Params params;                              // defaults for every call
    std::optional<std::string> base_url;        // base_url / apiBaseUrl
    std::optional<std::string> api_key_env;     // api_key_env / apiKeyEnvar
    std::optional<std::string> literal_api_key; // apiKey written in the suite (a warning)
    std::vector<std::pair<std::string, std::string>> headers; // sent with every request
    int64_t timeout_ms = 120000;                              // per attempt (exec: the whole run)
    int max_retries = 3;                                      // retries (0: one attempt)
    std::optional<double> rpm;                                // requests per minute
    std::optional<double> tpm;                                // tokens per minute
    std::optional<TokenPrices> cost;                          // prices replacing the price table's
    HttpTarget http;                                          // kind http
    std::vector<std::string> argv;                            // kind exec
    std::filesystem::path replay_file; // kind replay (resolved against the suite)
    std::string replay_provider;       // kind replay: whose answers (config.provider)
    nlohmann::json public_config = nlohmann::json::object();  // the config minus secrets, URLs
                                                              // sanitized: what runs store
    nlohmann::json program_config = nlohmann::json::object(); // exec: what the program gets on
                                                              // stdin (URLs as written)
    std::vector<std::string> warnings;                        // e.g. a literal apiKey
};

// Reads one provider entry: a string id or an object {id, label, config}. `where` names it in
// messages ("evals/qa.yaml: providers[1]"); relative paths (replay files, exec programs with a
// slash) resolve against `base_dir`. Fails with `invalid_input`: "<where>: unknown key 'temprature'
// (did you mean 'temperature'?)", "<where>: 'temperature' must be a number", ... A literal apiKey
// is kept (never in `public_config`) and adds a warning; header values are left out of
// `public_config` (their names are kept), and every URL in it is sanitized.
Expected<ProviderConfig> parse_provider_config(const nlohmann::json& entry, std::string_view where,
                                               const std::filesystem::path& base_dir);

// Returns `params` with every field `overrides` sets replacing it.
Params merge_params(Params base, const Params& overrides);

// Returns the set parameters as JSON (unset ones absent): part of cache keys and provenance.
nlohmann::json params_json(const Params& params);

} // namespace llmops::provider
