#include <llmops/provider/config.hpp>

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include <llmops/util/redact.hpp>
#include <llmops/util/strings.hpp>
#include <llmops/util/subprocess.hpp>

namespace llmops::provider {

namespace {

using nlohmann::json;

struct Prefix {
    std::string_view text;
    Kind kind;
};

// Longer prefixes first, so `openai:chat:` wins over `openai:`.
constexpr Prefix k_prefixes[] = {
    {"openai:chat:", Kind::openai},
    {"openai:", Kind::openai},
    {"azure:chat:", Kind::azure},
    {"azure:", Kind::azure},
    {"anthropic:messages:", Kind::anthropic},
    {"anthropic:", Kind::anthropic},
    {"google:", Kind::google},
    {"ollama:chat:", Kind::ollama},
    {"ollama:", Kind::ollama},
    {"exec:", Kind::exec},
    {"replay:", Kind::replay},
};

const std::vector<std::string> k_known_ids = {"openai", "azure", "anthropic", "google", "ollama",
                                              "http",   "exec",  "echo",      "replay", "traces"};

// Reading one config value: `key` is the name the user wrote, for messages.
struct Reader {
    std::string_view where;

    Expected<double> number(const json& v, std::string_view key) const {
        if (!v.is_number()) {
            return fail(ErrorCode::invalid_input, "{}: '{}' must be a number", where, key);
        }
        return v.get<double>();
    }
    Expected<int64_t> integer(const json& v, std::string_view key) const {
        if (!v.is_number_integer() && !v.is_number_unsigned()) {
            return fail(ErrorCode::invalid_input, "{}: '{}' must be a whole number", where, key);
        }
        return v.get<int64_t>();
    }
    Expected<std::string> string(const json& v, std::string_view key) const {
        if (!v.is_string()) {
            return fail(ErrorCode::invalid_input, "{}: '{}' must be a string", where, key);
        }
        return v.get<std::string>();
    }
    Expected<bool> boolean(const json& v, std::string_view key) const {
        if (!v.is_boolean()) {
            return fail(ErrorCode::invalid_input, "{}: '{}' must be true or false", where, key);
        }
        return v.get<bool>();
    }
    Expected<double> positive(const json& v, std::string_view key) const {
        auto n = number(v, key);
        if (n && *n <= 0) {
            return fail(ErrorCode::invalid_input, "{}: '{}' must be greater than 0", where, key);
        }
        return n;
    }
};

using Handler = std::function<Expected<void>(ProviderConfig&, const json&, const Reader&,
                                             std::string_view key)>;

struct KeyHandler {
    std::vector<std::string_view> names; // ours first, then promptfoo's spellings
    Handler handle;
    bool secret = false; // kept out of public_config
};

template <typename T>
Expected<void> assign(std::optional<T>& field, Expected<T> value) {
    field = LLMOPS_TRY(std::move(value));
    return {};
}

Expected<void> read_stop(ProviderConfig& c, const json& v, const Reader& r, std::string_view key) {
    if (v.is_string()) {
        c.params.stop = {v.get<std::string>()};
        return {};
    }
    if (!v.is_array() ||
        !std::all_of(v.begin(), v.end(), [](const json& s) { return s.is_string(); })) {
        return fail(ErrorCode::invalid_input, "{}: '{}' must be a string or a list of strings",
                    r.where, key);
    }
    c.params.stop = v.get<std::vector<std::string>>();
    return {};
}

Expected<void> read_headers(ProviderConfig& c, const json& v, const Reader& r,
                            std::string_view key) {
    if (!v.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: '{}' must be a map of header names to strings",
                    r.where, key);
    }
    for (const auto& [name, value] : v.items()) {
        if (!value.is_string()) {
            return fail(ErrorCode::invalid_input, "{}: header '{}' must be a string", r.where,
                        name);
        }
        c.headers.emplace_back(name, value.get<std::string>());
    }
    return {};
}

Expected<void> read_cost(ProviderConfig& c, const json& v, const Reader& r, std::string_view key) {
    if (!v.is_object()) {
        return fail(ErrorCode::invalid_input,
                    "{}: '{}' must be a map of USD per million tokens: {{input: 2.5, output: 10}}",
                    r.where, key);
    }
    TokenPrices prices;
    bool has_input = false;
    bool has_output = false;
    for (const auto& [name, value] : v.items()) {
        auto usd = LLMOPS_TRY(r.number(value, fmt::format("{}.{}", key, name)));
        if (name == "input") {
            prices.input = usd;
            has_input = true;
        } else if (name == "output") {
            prices.output = usd;
            has_output = true;
        } else if (name == "cached_input") {
            prices.cached_input = usd;
        } else if (name == "cache_write") {
            prices.cache_write = usd;
        } else {
            return fail(
                ErrorCode::invalid_input, "{}: unknown key '{}.{}'{}", r.where, key, name,
                util::did_you_mean(name, {"input", "output", "cached_input", "cache_write"}));
        }
    }
    if (!has_input || !has_output) {
        return fail(ErrorCode::invalid_input, "{}: '{}' needs both 'input' and 'output'", r.where,
                    key);
    }
    c.cost = prices;
    return {};
}

Expected<void> read_json_param(std::optional<std::string>& field, const json& v, const Reader& r,
                               std::string_view key, bool array) {
    if (array ? !v.is_array() : !v.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: '{}' must be {}", r.where, key,
                    array ? "a list" : "a map");
    }
    field = v.dump();
    return {};
}

const std::vector<KeyHandler>& key_handlers() {
    static const std::vector<KeyHandler> handlers = {
        {{"temperature"},
         [](auto& c, const json& v, const Reader& r, auto k) {
             return assign(c.params.temperature, r.number(v, k));
         }},
        {{"top_p"},
         [](auto& c, const json& v, const Reader& r, auto k) {
             return assign(c.params.top_p, r.number(v, k));
         }},
        {{"max_tokens", "max_completion_tokens"},
         [](auto& c, const json& v, const Reader& r, auto k) {
             return assign(c.params.max_tokens, r.integer(v, k));
         }},
        {{"seed"},
         [](auto& c, const json& v, const Reader& r, auto k) {
             return assign(c.params.seed, r.integer(v, k));
         }},
        {{"stop"}, read_stop},
        {{"response_format"},
         [](auto& c, const json& v, const Reader& r, auto k) {
             return read_json_param(c.params.response_format_json, v, r, k, false);
         }},
        {{"tools"},
         [](auto& c, const json& v, const Reader& r, auto k) {
             return read_json_param(c.params.tools_json, v, r, k, true);
         }},
        {{"stream"},
         [](auto& c, const json& v, const Reader& r, auto k) -> Expected<void> {
             auto b = LLMOPS_TRY(r.boolean(v, k));
             c.params.stream = b;
             return {};
         }},
        {{"base_url", "apiBaseUrl"},
         [](auto& c, const json& v, const Reader& r, auto k) {
             return assign(c.base_url, r.string(v, k));
         }},
        {{"api_key_env", "apiKeyEnvar"},
         [](auto& c, const json& v, const Reader& r, auto k) {
             return assign(c.api_key_env, r.string(v, k));
         }},
        {{"apiKey", "api_key"},
         [](auto& c, const json& v, const Reader& r, auto k) -> Expected<void> {
             auto s = LLMOPS_TRY(r.string(v, k));
             c.literal_api_key = s;
             c.warnings.push_back(
                 fmt::format("{}: '{}' holds a key in the suite file; prefer api_key_env naming an "
                             "environment variable (the key is never stored or reported)",
                             r.where, k));
             return {};
         },
         true},
        {{"headers"}, read_headers, true},
        {{"timeout_ms", "timeout"},
         [](auto& c, const json& v, const Reader& r, auto k) -> Expected<void> {
             auto n = LLMOPS_TRY(r.integer(v, k));
             if (n <= 0) {
                 return fail(ErrorCode::invalid_input, "{}: '{}' must be greater than 0", r.where,
                             k);
             }
             c.timeout_ms = n;
             return {};
         }},
        {{"retries", "max_retries"},
         [](auto& c, const json& v, const Reader& r, auto k) -> Expected<void> {
             auto n = LLMOPS_TRY(r.integer(v, k));
             if (n < 0 || n > 100) {
                 return fail(ErrorCode::invalid_input, "{}: '{}' must be between 0 and 100",
                             r.where, k);
             }
             c.max_retries = static_cast<int>(n);
             return {};
         }},
        {{"rpm"},
         [](auto& c, const json& v, const Reader& r, auto k) {
             return assign(c.rpm, r.positive(v, k));
         }},
        {{"tpm"},
         [](auto& c, const json& v, const Reader& r, auto k) {
             return assign(c.tpm, r.positive(v, k));
         }},
        {{"cost"}, read_cost},
    };
    return handlers;
}

// Keys only the http provider takes (parsed by parse_http_target).
const std::vector<std::string> k_http_keys = {"url", "method", "body", "transformResponse",
                                              "response_path"};

std::vector<std::string> known_config_keys(Kind kind) {
    std::vector<std::string> keys;
    for (const auto& h : key_handlers()) {
        for (auto name : h.names) {
            keys.emplace_back(name);
        }
    }
    if (kind == Kind::http) {
        keys.insert(keys.end(), k_http_keys.begin(), k_http_keys.end());
    }
    if (kind == Kind::replay) {
        keys.emplace_back("provider");
    }
    return keys;
}

const KeyHandler* find_handler(std::string_view key) {
    for (const auto& h : key_handlers()) {
        if (std::find(h.names.begin(), h.names.end(), key) != h.names.end()) {
            return &h;
        }
    }
    return nullptr;
}

Expected<void> read_config(ProviderConfig& c, const json& config, std::string_view where,
                           const std::filesystem::path& base_dir) {
    if (!config.is_object()) {
        return fail(ErrorCode::invalid_input, "{}: 'config' must be a map", where);
    }
    const Reader reader{where};
    json http_config = json::object();
    for (const auto& [key, value] : config.items()) {
        if (const KeyHandler* h = find_handler(key)) {
            LLMOPS_TRY(h->handle(c, value, reader, key));
            if (!h->secret) {
                c.public_config[key] = value;
            } else if (key == "headers") {
                // Header names are not secret; their values may be.
                json names = json::array();
                for (const auto& [name, unused] : value.items()) {
                    names.push_back(name);
                }
                c.public_config["headers"] = names;
            }
            continue;
        }
        const bool http_key =
            std::find(k_http_keys.begin(), k_http_keys.end(), key) != k_http_keys.end();
        if (c.spec.kind == Kind::http && http_key) {
            http_config[key] = value;
            c.public_config[key] = value;
            continue;
        }
        if (c.spec.kind == Kind::replay && key == "provider") {
            auto s = LLMOPS_TRY(reader.string(value, key));
            c.replay_provider = s;
            c.public_config[key] = value;
            continue;
        }
        if (c.spec.kind == Kind::exec) {
            // The user's program gets its config on stdin: any key is its business.
            // NEEDSWORK: a literal secret under a key of its own (`token: ...`) is stored with the
            // run; keys that look secret (util::secret_name) could be kept out and redacted.
            c.public_config[key] = value;
            continue;
        }
        return fail(ErrorCode::invalid_input, "{}: unknown key '{}'{}", where, key,
                    util::did_you_mean(key, known_config_keys(c.spec.kind)));
    }
    if (c.spec.kind == Kind::exec) {
        c.program_config = c.public_config;
    }
    // What runs store and reports show: no credentials in a URL (base_url, an http url).
    util::sanitize_urls(c.public_config);
    if (c.spec.kind == Kind::http) {
        if (!c.spec.target.empty() && !http_config.contains("url")) {
            http_config["url"] = c.spec.target;
        }
        // The provider-wide headers go with the target's requests.
        auto target = LLMOPS_TRY(parse_http_target(http_config, where));
        c.http = std::move(target);
        c.http.headers.insert(c.http.headers.end(), c.headers.begin(), c.headers.end());
    }
    if (c.spec.kind == Kind::replay) {
        c.replay_file = std::filesystem::path(c.spec.target);
        if (c.replay_file.is_relative()) {
            c.replay_file = base_dir / c.replay_file;
        }
    }
    return {};
}

} // namespace

std::string_view kind_name(Kind kind) {
    switch (kind) {
    case Kind::openai: return "openai";
    case Kind::azure: return "azure";
    case Kind::anthropic: return "anthropic";
    case Kind::google: return "google";
    case Kind::ollama: return "ollama";
    case Kind::http: return "http";
    case Kind::exec: return "exec";
    case Kind::echo: return "echo";
    case Kind::replay: return "replay";
    case Kind::traces: return "traces";
    }
    return "echo";
}

namespace {

// The spec of `kind` whose argument is `target` (as written); `id` is the whole id.
ProviderSpec make_spec(Kind kind, const std::string& id, std::string target) {
    return ProviderSpec{kind, util::sanitize_urls(id), util::sanitize_urls(target),
                        std::move(target)};
}

} // namespace

Expected<ProviderSpec> parse_provider_id(std::string_view id) {
    const std::string text(util::trim(id));
    if (text == "echo") {
        return make_spec(Kind::echo, text, "");
    }
    if (text == "traces") {
        return make_spec(Kind::traces, text, "");
    }
    if (text == "http" || text == "https") {
        return make_spec(Kind::http, text, "");
    }
    if (text.starts_with("http://") || text.starts_with("https://")) {
        return make_spec(Kind::http, text, text);
    }
    for (const auto& p : k_prefixes) {
        if (text.starts_with(p.text)) {
            std::string model(util::trim(std::string_view(text).substr(p.text.size())));
            if (model.empty()) {
                const std::string_view what = p.kind == Kind::exec     ? "command"
                                              : p.kind == Kind::replay ? "file"
                                                                       : "model";
                return fail(ErrorCode::invalid_input, "provider '{}' names no {}", text, what);
            }
            return make_spec(p.kind, text, std::move(model));
        }
    }
    const std::string head = text.substr(0, text.find(':'));
    return fail(ErrorCode::invalid_input, "unknown provider '{}'{}", util::sanitize_urls(text),
                util::did_you_mean(head, k_known_ids));
}

// promptfoo's provider-level keys that llmops refuses, with what to do instead (never ignored:
// a key that silently did nothing would change what is measured).
namespace {
const char* refused_provider_key(std::string_view key) {
    if (key == "prompts")
        return "every prompt runs on every provider; split the suite to pair them";
    if (key == "transform")
        return "transform the output in an exec: provider or a python assertion";
    if (key == "delay")
        return "use 'rpm' in the provider's config to pace requests";
    if (key == "env")
        return "set the variables in the environment that runs llmops";
    return nullptr;
}
} // namespace

Expected<ProviderConfig> parse_provider_config(const json& entry, std::string_view where,
                                               const std::filesystem::path& base_dir) {
    ProviderConfig c;
    const json* config = nullptr;
    std::string id;
    if (entry.is_string()) {
        id = entry.get<std::string>();
    } else if (entry.is_object()) {
        for (const auto& [key, value] : entry.items()) {
            if (key == "id") {
                if (!value.is_string()) {
                    return fail(ErrorCode::invalid_input, "{}: 'id' must be a string", where);
                }
                id = value.get<std::string>();
            } else if (key == "label") {
                if (!value.is_string()) {
                    return fail(ErrorCode::invalid_input, "{}: 'label' must be a string", where);
                }
                c.label = value.get<std::string>();
            } else if (key == "config") {
                config = &value;
            } else if (const char* why = refused_provider_key(key)) {
                return fail(ErrorCode::invalid_input,
                            "{}: '{}' is a promptfoo provider key llmops does not support: {}",
                            where, key, why);
            } else {
                return fail(ErrorCode::invalid_input, "{}: unknown key '{}'{}", where, key,
                            util::did_you_mean(key, {"id", "label", "config"}));
            }
        }
        if (id.empty()) {
            return fail(ErrorCode::invalid_input, "{}: a provider needs an 'id'", where);
        }
    } else {
        return fail(ErrorCode::invalid_input,
                    "{}: a provider is an id or a map with 'id', 'label' and 'config'", where);
    }
    auto spec = parse_provider_id(id);
    if (!spec) {
        return fail(ErrorCode::invalid_input, "{}: {}", where, spec.error().message());
    }
    c.spec = std::move(*spec);
    if (c.label.empty()) {
        c.label = c.spec.id;
    }
    if (c.spec.kind == Kind::exec) {
        auto argv = util::split_command_line(c.spec.target);
        if (!argv) {
            return fail(ErrorCode::invalid_input, "{}: provider '{}': {}", where, c.spec.id,
                        argv.error().message());
        }
        c.argv = std::move(*argv);
        // A program named by a relative path runs from the suite's folder.
        if (c.argv[0].find('/') != std::string::npos &&
            std::filesystem::path(c.argv[0]).is_relative()) {
            c.argv[0] = (base_dir / c.argv[0]).lexically_normal().string();
        }
    }
    if (config != nullptr) {
        LLMOPS_TRY(read_config(c, *config, where, base_dir));
    } else {
        LLMOPS_TRY(read_config(c, json::object(), where, base_dir));
    }
    return c;
}

Params merge_params(Params base, const Params& o) {
    if (o.temperature)
        base.temperature = o.temperature;
    if (o.top_p)
        base.top_p = o.top_p;
    if (o.max_tokens)
        base.max_tokens = o.max_tokens;
    if (o.seed)
        base.seed = o.seed;
    if (!o.stop.empty())
        base.stop = o.stop;
    if (o.response_format_json)
        base.response_format_json = o.response_format_json;
    if (o.tools_json)
        base.tools_json = o.tools_json;
    base.embed = o.embed;
    base.logprobs = base.logprobs || o.logprobs;
    base.stream = !o.embed && (base.stream || o.stream);
    return base;
}

json params_json(const Params& p) {
    json out = json::object();
    if (p.temperature)
        out["temperature"] = *p.temperature;
    if (p.top_p)
        out["top_p"] = *p.top_p;
    if (p.max_tokens)
        out["max_tokens"] = *p.max_tokens;
    if (p.seed)
        out["seed"] = *p.seed;
    if (!p.stop.empty())
        out["stop"] = p.stop;
    if (p.response_format_json)
        out["response_format"] = json::parse(*p.response_format_json, nullptr, false);
    if (p.tools_json)
        out["tools"] = json::parse(*p.tools_json, nullptr, false);
    if (p.embed)
        out["embed"] = true;
    if (p.logprobs)
        out["logprobs"] = true;
    return out;
}

} // namespace llmops::provider
