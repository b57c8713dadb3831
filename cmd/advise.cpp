// `llmops advise RUN` (SPEC §14): the cheapest of a run's variants whose pass rate's lower
// confidence bound meets a bar, with the saving at the traffic seen in traces.

#include <memory>
#include <optional>

#include "cli.hpp"

#include <llmops/online/advise.hpp>
#include <llmops/online/window.hpp>
#include <llmops/report/advise_report.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/term.hpp>

namespace llmops::cmd {

namespace {

struct AdviseOptions {
    std::string run;
    double min_pass_rate = 0.9;
    double confidence = 0.95;
    std::optional<double> traffic;
    bool json = false;
};

Expected<int> advise_command(Context& ctx, const AdviseOptions& o) {
    if (!(o.confidence > 0 && o.confidence < 1)) {
        return fail(ErrorCode::invalid_input, "--confidence {} is not in (0, 1)", o.confidence);
    }
    auto open = LLMOPS_TRY(open_project(ctx));
    const int64_t run_id = LLMOPS_TRY(store::resolve_run(open.db, o.run));
    online::AdviceOptions options;
    options.min_pass_rate = o.min_pass_rate;
    options.confidence = o.confidence;
    options.monthly_calls = o.traffic;
    options.now_unix_ns = online::now_unix_ns();
    const auto advice = LLMOPS_TRY(online::advise(open.db, run_id, options));
    const int code = advice.chosen ? k_exit_ok : k_exit_gate;
    return print_ok(o.json ? report::advise_json(advice)
                           : report::advise_text(advice, util::terminal_width(stdout)),
                    code);
}

} // namespace

void register_advise(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<AdviseOptions>();
    auto* sub = app.add_subcommand(
        "advise", "The cheapest variant of a run whose pass rate surely meets a bar");
    sub->add_option("RUN", o->run, "A run number, latest, latest~N or a tag")
        ->required()
        ->type_name(k_value_run);
    sub->add_option("--min-pass-rate", o->min_pass_rate,
                    "The bar the pass rate's lower bound must meet (default 0.9)");
    sub->add_option("--confidence", o->confidence, "Of the intervals (default 0.95)");
    sub->add_option("--traffic", o->traffic, "Calls a month, instead of the last 30 days of traces")
        ->check(CLI::NonNegativeNumber);
    sub->add_flag("--json", o->json, "Print the advice as JSON");
    on_run(sub, ctx, [o](Context& c) { return advise_command(c, *o); });
}

} // namespace llmops::cmd
