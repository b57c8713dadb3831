// `llmops ask PROVIDER TEXT`: one call from the shell, to check a provider works before
// writing a suite (SPEC §4).

#include <memory>

#include <nlohmann/json.hpp>

#include "cli.hpp"

#include <llmops/provider/engine.hpp>
#include <llmops/report/call_report.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/yaml.hpp>

namespace llmops::cmd {

namespace {

struct AskOptions {
    std::string provider;
    std::string text;
    std::optional<std::string> system;
    std::optional<double> temperature;
    std::optional<int64_t> max_tokens;
    std::optional<std::string> base_url;
    std::optional<std::string> api_key_env;
    std::optional<std::string> config_file;
    std::vector<std::string> vars;
    std::optional<int64_t> timeout_ms;
    std::optional<int> retries;
    std::optional<std::string> record;
    bool stream = false;
    bool cache = false;
    bool json = false;
};

// The provider entry the options describe: the --config file's map with the flags on top.
Expected<nlohmann::json> provider_entry(const AskOptions& o) {
    nlohmann::json config = nlohmann::json::object();
    if (o.config_file) {
        auto text = LLMOPS_TRY(util::read_file(*o.config_file));
        auto parsed = LLMOPS_TRY(util::parse_yaml(text, *o.config_file));
        if (!parsed.is_object()) {
            return fail(ErrorCode::invalid_input, "{}: a provider config is a map of settings",
                        *o.config_file);
        }
        config = std::move(parsed);
    }
    if (o.temperature)
        config["temperature"] = *o.temperature;
    if (o.max_tokens)
        config["max_tokens"] = *o.max_tokens;
    if (o.base_url)
        config["base_url"] = *o.base_url;
    if (o.api_key_env)
        config["api_key_env"] = *o.api_key_env;
    if (o.timeout_ms)
        config["timeout_ms"] = *o.timeout_ms;
    if (o.retries)
        config["retries"] = *o.retries;
    if (o.stream)
        config["stream"] = true;
    return nlohmann::json{{"id", o.provider}, {"config", config}};
}

Expected<nlohmann::json> parse_vars(const std::vector<std::string>& vars) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& var : vars) {
        const auto eq = var.find('=');
        if (eq == std::string::npos || eq == 0) {
            return fail(ErrorCode::invalid_input, "--var '{}': expected NAME=VALUE", var);
        }
        out[var.substr(0, eq)] = var.substr(eq + 1);
    }
    return out;
}

Expected<int> ask(const Context& ctx, const AskOptions& o) {
    auto entry = LLMOPS_TRY(provider_entry(o));
    auto config =
        LLMOPS_TRY(provider::parse_provider_config(entry, "ask", std::filesystem::current_path()));
    for (const auto& warning : config.warnings) {
        std::fprintf(stderr, "llmops: warning: %s\n", warning.c_str());
    }
    auto vars = LLMOPS_TRY(parse_vars(o.vars));
    auto project = ctx.project();
    std::optional<std::filesystem::path> overrides;
    if (project) {
        overrides = project->dir / "prices.yaml";
    }
    auto prices = LLMOPS_TRY(provider::load_price_table(overrides));
    auto created =
        LLMOPS_TRY(provider::Provider::create(std::move(config), provider::process_env()));
    // The environment's keys are redacted too: an exec: program may print one.
    created->add_secrets(provider::environment_secrets(provider::process_env()));
    const provider::Provider& chosen = *created;

    std::optional<store::ResponseCache> cache;
    if (o.cache) {
        if (!project) {
            return fail(ErrorCode::invalid_input,
                        "--cache needs a project for its cache.db (run 'llmops init')");
        }
        cache.emplace(LLMOPS_TRY(store::ResponseCache::open(project->dir / "cache.db")));
    }
    std::unique_ptr<provider::Recorder> recorder;
    if (o.record) {
        recorder = LLMOPS_TRY(provider::Recorder::open(*o.record));
    }

    provider::CallJob job;
    job.provider = &chosen;
    job.request.model = chosen.config().spec.model;
    if (o.system) {
        job.request.messages.push_back({"system", *o.system});
    }
    job.request.messages.push_back({"user", o.text});
    job.vars = std::move(vars);

    provider::CallEngine engine(
        {1, cache ? &*cache : nullptr, provider::CacheMode::use, recorder.get(), &prices});
    std::optional<Expected<provider::CallOutcome>> outcome;
    engine.submit(std::move(job),
                  [&](Expected<provider::CallOutcome> r) { outcome = std::move(r); });
    // Ctrl-C keeps its default meaning here: there is one call and nothing finished to keep.
    engine.run();
    if (!outcome) {
        return fail(ErrorCode::internal, "the call never finished");
    }
    if (!*outcome) {
        return fail(outcome->error());
    }
    const provider::CallOutcome& result = **outcome;
    if (!result.cost_usd) {
        std::fprintf(stderr,
                     "llmops: warning: no price for model '%s': cost unknown (add it to "
                     ".llmops/prices.yaml)\n",
                     chosen.config().spec.model.c_str());
    }
    return print_ok(o.json ? report::call_json(chosen.config().spec, result)
                           : result.result.output + "\n");
}

} // namespace

void register_ask(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<AskOptions>();
    auto* sub = app.add_subcommand("ask", "Send one prompt to a provider and print the answer");
    sub->add_option("provider", o->provider,
                    "openai:MODEL, anthropic:MODEL, google:MODEL, azure:DEPLOYMENT, "
                    "ollama:MODEL, http(s)://URL, exec:COMMAND, replay:FILE or echo")
        ->required();
    sub->add_option("text", o->text, "The user message")->required();
    sub->add_option("-s,--system", o->system, "A system message");
    sub->add_option("-t,--temperature", o->temperature, "Sampling temperature");
    sub->add_option("--max-tokens", o->max_tokens, "Limit on generated tokens");
    sub->add_option("--base-url", o->base_url, "API base URL (an OpenAI-compatible server)");
    sub->add_option("--api-key-env", o->api_key_env, "Environment variable holding the key");
    sub->add_option("-c,--config", o->config_file,
                    "A YAML or JSON file with the provider's config (a suite's 'config:' map)");
    sub->add_option("--var", o->vars, "NAME=VALUE for http and exec providers (repeatable)");
    sub->add_option("--timeout-ms", o->timeout_ms, "Per-attempt timeout")
        ->check(CLI::PositiveNumber);
    sub->add_option("--retries", o->retries, "Retries on 408/409/429/5xx and network errors")
        ->check(CLI::NonNegativeNumber);
    sub->add_flag("--stream", o->stream, "Stream the answer (measures time to first token)");
    sub->add_flag("--cache", o->cache, "Answer from the project's response cache, and fill it");
    sub->add_option("--record", o->record, "Append the answer to a replay file (JSONL)");
    sub->add_flag("--json", o->json, "Print output, tokens, cost and latency as JSON");
    sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return ask(ctx, *o); }; });
}

} // namespace llmops::cmd
