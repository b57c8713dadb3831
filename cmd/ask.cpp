// `llmops ask PROVIDER TEXT`: one call from the shell, to check a provider works before
// writing a suite (SPEC §4).

#include <memory>

#include "cli.hpp"

#include <llmops/provider/provider.hpp>
#include <llmops/report/call_report.hpp>

namespace llmops::cmd {

void register_ask(CLI::App& app, Context& ctx) {
    struct Options {
        std::string provider;
        std::string text;
        std::optional<std::string> system;
        std::optional<double> temperature;
        std::optional<int64_t> max_tokens;
        std::optional<std::string> base_url;
        std::optional<std::string> api_key_env;
        int64_t timeout_ms = 120000;
        int retries = 3;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = app.add_subcommand("ask", "Send one prompt to a provider and print the answer");
    sub->add_option("provider", o->provider,
                    "openai:MODEL, anthropic:MODEL, google:MODEL, azure:DEPLOYMENT, "
                    "ollama:MODEL or echo")
        ->required();
    sub->add_option("text", o->text, "The user message")->required();
    sub->add_option("-s,--system", o->system, "A system message");
    sub->add_option("-t,--temperature", o->temperature, "Sampling temperature");
    sub->add_option("--max-tokens", o->max_tokens, "Limit on generated tokens");
    sub->add_option("--base-url", o->base_url, "API base URL (an OpenAI-compatible server)");
    sub->add_option("--api-key-env", o->api_key_env, "Environment variable holding the key");
    sub->add_option("--timeout-ms", o->timeout_ms, "Per-attempt timeout")->check(CLI::PositiveNumber);
    sub->add_option("--retries", o->retries, "Retries on 408/409/429/5xx and network errors")
        ->check(CLI::NonNegativeNumber);
    sub->add_flag("--json", o->json, "Print output, tokens, cost and latency as JSON");
    sub->callback([&ctx, o] {
        ctx.action = [&ctx, o]() -> Expected<int> {
            auto spec = provider::parse_provider_id(o->provider);
            if (!spec) {
                return fail(spec.error());
            }
            std::optional<std::filesystem::path> overrides;
            if (auto project = ctx.project()) {
                overrides = project->dir / "prices.yaml";
            }
            auto prices = provider::load_price_table(overrides);
            if (!prices) {
                return fail(prices.error());
            }
            provider::Endpoint endpoint;
            if (spec->kind != provider::Kind::echo) {
                auto found = provider::endpoint_for(*spec, provider::process_env(),
                                                    {o->base_url, o->api_key_env});
                if (!found) {
                    return fail(found.error());
                }
                endpoint = std::move(*found);
            }
            provider::CompletionRequest request;
            request.model = spec->model;
            if (o->system) {
                request.messages.push_back({"system", *o->system});
            }
            request.messages.push_back({"user", o->text});
            request.params.temperature = o->temperature;
            request.params.max_tokens = o->max_tokens;
            auto outcome = provider::call_once(*spec, endpoint, request,
                                               {o->timeout_ms, o->retries}, *prices);
            if (!outcome) {
                return fail(outcome.error());
            }
            if (!outcome->cost_usd) {
                std::fprintf(stderr,
                             "llmops: warning: no price for model '%s': cost unknown (add it to "
                             ".llmops/prices.yaml)\n",
                             spec->model.c_str());
            }
            auto ok = print(o->json ? report::call_json(*spec, *outcome)
                                    : outcome->result.output + "\n");
            if (!ok) {
                return fail(ok.error());
            }
            return k_exit_ok;
        };
    });
}

} // namespace llmops::cmd
