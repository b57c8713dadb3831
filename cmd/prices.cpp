// `llmops prices ...`: the price table used to cost every call (SPEC §6).

#include <memory>

#include "cli.hpp"

#include <llmops/provider/pricing.hpp>
#include <llmops/report/price_report.hpp>

namespace llmops::cmd {

void register_prices(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("prices", "The price table used to cost calls");
    group->require_subcommand(1);
    struct Options {
        std::string pattern;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* list = group->add_subcommand(
        "list", "List model prices (built in, merged with .llmops/prices.yaml when present)");
    list->add_option("pattern", o->pattern, "Only models whose name or provider contains this");
    list->add_flag("--json", o->json, "Print the table as JSON");
    list->callback([&ctx, o] {
        ctx.action = [&ctx, o]() -> Expected<int> {
            // Prices need no project; a project's overrides apply when there is one.
            std::optional<std::filesystem::path> overrides;
            if (auto project = ctx.project()) {
                overrides = project->dir / "prices.yaml";
            } else if (ctx.dir) {
                return fail(project.error());
            }
            auto table = LLMOPS_TRY(provider::load_price_table(overrides));
            std::vector<const provider::PriceEntry*> rows;
            for (const auto& e : table.entries()) {
                if (o->pattern.empty() || e.model.find(o->pattern) != std::string::npos ||
                    e.provider.find(o->pattern) != std::string::npos) {
                    rows.push_back(&e);
                }
            }
            return print_ok(o->json ? report::prices_json(rows) : report::prices_text(rows));
        };
    });
}

} // namespace llmops::cmd
