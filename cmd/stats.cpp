// `llmops stats power`: how many cases (and repeats) a suite needs to see a drop in pass rate
// (SPEC §11).

#include <memory>
#include <optional>

#include "cli.hpp"

#include <llmops/report/power_report.hpp>
#include <llmops/stats/power.hpp>

namespace llmops::cmd {

namespace {

struct PowerOptions {
    double baseline = 0;
    double delta = 0;
    double alpha = 0.05;
    double power = 0.8;
    size_t repeats = 1;
    double icc = 0;
    std::optional<double> discordance;
    bool independent = false;
    bool json = false;
};

Expected<int> power_command(const PowerOptions& o) {
    stats::PowerQuestion q;
    q.baseline = o.baseline;
    q.delta = o.delta;
    q.alpha = o.alpha;
    q.power = o.power;
    q.repeats = o.repeats;
    q.icc = o.icc;
    q.discordance = o.discordance;
    const auto design = o.independent ? stats::Design::independent : stats::Design::paired;
    auto n = LLMOPS_TRY(stats::sample_size(q, design));
    return print_ok(o.json ? report::power_json(q, design, n).dump(2) + "\n"
                           : report::power_text(q, design, n));
}

} // namespace

void register_stats(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("stats", "Statistics for planning evals");
    group->require_subcommand(1);
    auto o = std::make_shared<PowerOptions>();
    auto* power = group->add_subcommand(
        "power", "How many cases (and repeats) a suite needs to see a drop in pass rate");
    power->add_option("--baseline", o->baseline, "The baseline's pass rate, e.g. 0.85")->required();
    power->add_option("--delta", o->delta, "The drop to detect, e.g. 0.03 for 3 points")
        ->required();
    power->add_option("--alpha", o->alpha, "Significance level (default 0.05)");
    power->add_option("--power", o->power, "Probability of detecting the drop (default 0.8)");
    power->add_option("--repeats", o->repeats, "Runs of each case (default 1)");
    power->add_option("--icc", o->icc,
                      "Correlation of a case's repeated outcomes, 0-1 (default 0)");
    power->add_option(
        "--discordance", o->discordance,
        "Paired: the share of cases whose outcome differs between versions, if known");
    power->add_flag("--independent", o->independent,
                    "Two separate samples of cases instead of the same cases");
    power->add_flag("--json", o->json, "Print the answer as JSON");
    power->callback([&ctx, o] { ctx.action = [o] { return power_command(*o); }; });
}

} // namespace llmops::cmd
