// `llmops ask [PROVIDER] [TEXT]`: one call from the shell, to check a provider works before
// writing a suite (SPEC §4): the text from the command line or stdin, the model from the
// command line or LLMOPS_MODEL, or a stored prompt rendered with variables.

#include <iostream>
#include <iterator>
#include <memory>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli.hpp"

#include <llmops/prompt/operations.hpp>
#include <llmops/prompt/render.hpp>
#include <llmops/provider/engine.hpp>
#include <llmops/report/call_report.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/yaml.hpp>

namespace llmops::cmd {

namespace {

struct AskOptions {
    std::vector<std::string> words; // [PROVIDER] [TEXT], as typed
    std::optional<std::string> model;
    std::optional<std::string> prompt_ref;
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

// A provider id from what a user types: a full id as is; a bare model name with its vendor
// (`gpt-4o-mini` -> openai:gpt-4o-mini, `claude-...` -> anthropic:, `gemini-...` -> google:).
std::string resolve_model(const std::string& name) {
    if (name.find(':') != std::string::npos || name == "echo") {
        return name;
    }
    for (const char* prefix : {"gpt-", "o1", "o3", "o4", "chatgpt-"}) {
        if (name.starts_with(prefix)) {
            return "openai:" + name;
        }
    }
    if (name.starts_with("claude-")) {
        return "anthropic:" + name;
    }
    if (name.starts_with("gemini-")) {
        return "google:" + name;
    }
    return name;
}

// Whether a word names a provider rather than being the question.
bool looks_like_provider(const std::string& word) {
    if (word.find_first_of(" \t\n") != std::string::npos) {
        return false;
    }
    return word == "echo" || word.find(':') != std::string::npos || resolve_model(word) != word;
}

Expected<std::string> read_stdin() {
    std::string text(std::istreambuf_iterator<char>(std::cin), {});
    if (std::cin.bad()) {
        return fail(ErrorCode::io, "cannot read the question from standard input");
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}

// Fills `provider` and `text` from what was typed: `ask PROVIDER TEXT`, `ask TEXT -m MODEL`,
// `ask PROVIDER` or `ask` with the text on stdin (or `-`), the model from -m, LLMOPS_MODEL or
// the project config's `model` (`default_model`, empty when none).
Expected<void> resolve_words(AskOptions& o, const std::string& default_model) {
    if (o.words.size() > 2) {
        return fail(
            ErrorCode::invalid_input,
            "ask takes [PROVIDER] [TEXT]: quote the question ('llmops ask \"what is 2+2?\"')");
    }
    const bool piped = ::isatty(STDIN_FILENO) != 1;
    std::optional<std::string> provider = o.model;
    std::optional<std::string> text;
    if (o.words.size() == 2) {
        provider = o.words[0];
        text = o.words[1];
    } else if (o.words.size() == 1) {
        // A lone provider-like word is the provider when the text comes from elsewhere (stdin,
        // --prompt) or when no default model could be meant.
        const char* env = std::getenv("LLMOPS_MODEL");
        const bool no_default = (env == nullptr || *env == '\0') && default_model.empty();
        const bool as_provider =
            !o.model && looks_like_provider(o.words[0]) && (piped || o.prompt_ref || no_default);
        (as_provider ? provider : text) = o.words[0];
    }
    if (!provider) {
        if (const char* env = std::getenv("LLMOPS_MODEL"); env != nullptr && *env != '\0') {
            provider = env;
        } else if (!default_model.empty()) {
            provider = default_model;
        }
    }
    if (!provider) {
        return fail(ErrorCode::invalid_input,
                    "no model to ask: name one ('llmops ask openai:gpt-4o-mini \"...\"' or -m "
                    "gpt-4o-mini), set LLMOPS_MODEL, or 'model:' in .llmops/config.yaml");
    }
    if (o.prompt_ref && text) {
        return fail(ErrorCode::invalid_input,
                    "--prompt renders the question from a stored prompt: give no TEXT");
    }
    if (!o.prompt_ref && (!text || *text == "-")) {
        if (!piped && !text) {
            return fail(ErrorCode::invalid_input,
                        "no question: give TEXT, pipe it on standard input, or use --prompt REF");
        }
        text = LLMOPS_TRY(read_stdin());
    }
    o.provider = resolve_model(*provider);
    o.text = text.value_or("");
    return {};
}

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

// The messages of stored prompt `ref` rendered with `vars` (`ask --prompt REF --var k=v`).
Expected<std::vector<provider::ChatMessage>>
stored_prompt(const Context& ctx, const std::string& ref, const nlohmann::json& vars) {
    auto open = LLMOPS_TRY(open_project(ctx));
    store::PromptStore prompts(open.db);
    auto loaded = LLMOPS_TRY(prompt::load_version(prompts, ref));
    auto rendered = LLMOPS_TRY(
        prompt::render_prompt(loaded.def, vars, prompt::store_partial_loader(prompts), {}));
    if (rendered.text) {
        return std::vector<provider::ChatMessage>{{"user", *rendered.text}};
    }
    std::vector<provider::ChatMessage> out;
    for (const auto& m : rendered.messages) {
        out.push_back({m.role, m.content});
    }
    return out;
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

Expected<int> ask(const Context& ctx, AskOptions o) {
    const auto found = ctx.project();
    if (!found && found.error().code() != ErrorCode::not_found) {
        return fail(found.error()); // a project whose config is wrong
    }
    LLMOPS_TRY(resolve_words(o, found ? found->model : std::string()));
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
    if (o.prompt_ref) {
        auto rendered = LLMOPS_TRY(stored_prompt(ctx, *o.prompt_ref, vars));
        job.request.messages.insert(job.request.messages.end(), rendered.begin(), rendered.end());
    } else {
        job.request.messages.push_back({"user", o.text});
    }
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
    sub->add_option("words", o->words,
                    "[PROVIDER] [TEXT]: openai:MODEL (or a bare model name: gpt-4o-mini, "
                    "claude-..., gemini-...), anthropic:MODEL, google:MODEL, azure:DEPLOYMENT, "
                    "ollama:MODEL, http(s)://URL, exec:COMMAND, replay:FILE or echo; then the "
                    "user message ('-' or none: read from stdin)");
    sub->add_option("-m,--model", o->model, "The model (default: LLMOPS_MODEL)");
    sub->add_option("--prompt", o->prompt_ref,
                    "Send a stored prompt (name@label, name@N) rendered with --var values");
    sub->add_option("-s,--system", o->system, "A system message");
    sub->add_option("-t,--temperature", o->temperature, "Sampling temperature");
    sub->add_option("--max-tokens", o->max_tokens, "Limit on generated tokens");
    sub->add_option("--base-url", o->base_url, "API base URL (an OpenAI-compatible server)");
    sub->add_option("--api-key-env", o->api_key_env, "Environment variable holding the key");
    sub->add_option("-c,--config", o->config_file,
                    "A YAML or JSON file with the provider's config (a suite's 'config:' map)");
    sub->add_option("--var", o->vars,
                    "NAME=VALUE for --prompt's variables and http/exec providers (repeatable)");
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
