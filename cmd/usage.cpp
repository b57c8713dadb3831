// `llmops usage` (SPEC §14): what production calls cost and how they fared, grouped by prompt,
// version, model and day.

#include <memory>

#include "call_filter.hpp"
#include "cli.hpp"

#include <llmops/report/trace_report.hpp>
#include <llmops/traces/stats.hpp>
#include <llmops/util/term.hpp>

namespace llmops::cmd {

void register_usage(CLI::App& app, Context& ctx) {
    struct Options : FilterOptions {
        std::string by = "prompt,version,model";
    };
    auto o = std::make_shared<Options>();
    auto* sub = app.add_subcommand(
        "usage", "Calls, tokens, cost, latency and errors of imported calls, grouped");
    sub->add_option("--by", o->by,
                    "Group by these, comma-separated: prompt, version, model, day "
                    "(default prompt,version,model)");
    o->add_to(*sub);
    sub->add_flag("--json", o->json, "Print the usage as JSON");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        const auto keys = LLMOPS_TRY(traces::parse_usage_keys(o->by));
        const store::CallFilter filter = LLMOPS_TRY(o->resolved());
        auto open = LLMOPS_TRY(open_project(c));
        const auto usage = LLMOPS_TRY(traces::usage_stats(open.db, filter, keys));
        return print_ok(o->json ? report::usage_json(usage)
                                : report::usage_text(usage, util::terminal_width(stdout)));
    });
}

} // namespace llmops::cmd
