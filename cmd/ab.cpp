// `llmops ab`: an A/B test of the versions a split label serves (SPEC §14, docs/ab.md).

#include <filesystem>
#include <memory>

#include "cli.hpp"

#include <llmops/online/ab.hpp>
#include <llmops/online/window.hpp>
#include <llmops/report/ab_report.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/store/prompts.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/term.hpp>

namespace llmops::cmd {

namespace {

struct AbCommandOptions {
    std::string ref;
    std::string since;
    std::string until;
    double alpha = 0.05;
    double srm_alpha = 0.001;
    bool json = false;
    std::vector<std::string> outputs;
};

// The options as the analysis takes them: the ref split, the window read (by default from when
// the label took its current weights until now).
Expected<online::AbOptions> analysis_options(store::Database& db, const AbCommandOptions& o) {
    const auto [name, label] = store::split_ref(o.ref);
    if (label.empty() || !store::is_valid_label(label)) {
        return fail(ErrorCode::invalid_input,
                    "'{}' names no label: give the split label, such as '{}@production'", o.ref,
                    name);
    }
    online::AbOptions options;
    options.prompt = name;
    options.label = label;
    options.alpha = o.alpha;
    options.srm_alpha = o.srm_alpha;
    const int64_t now = online::now_unix_ns();
    options.window.since_unix_ns = LLMOPS_TRY(online::parse_time_bound(o.since, "--since", now));
    options.window.until_unix_ns = LLMOPS_TRY(online::parse_time_bound(o.until, "--until", now));
    if (o.since.empty()) {
        options.window.since_unix_ns = LLMOPS_TRY(online::split_started(db, name, label));
    }
    return options;
}

// Writes the -o reports (checked to be .json, .md or .html before anything ran).
Expected<void> write_outputs(const online::AbReport& report, const std::vector<std::string>& outs) {
    for (const auto& out : outs) {
        const auto ext = std::filesystem::path(out).extension();
        const std::string text = ext == ".json" ? report::ab_json(report)
                                 : ext == ".md" ? report::ab_markdown(report)
                                                : report::ab_html(report);
        LLMOPS_TRY(util::write_file_atomic(out, text));
    }
    return {};
}

Expected<int> ab_command(const Context& ctx, const AbCommandOptions& o) {
    for (const auto& out : o.outputs) {
        const auto ext = std::filesystem::path(out).extension();
        if (ext != ".json" && ext != ".md" && ext != ".html") {
            return fail(ErrorCode::invalid_input,
                        "-o '{}': unknown report format '{}' (use .json, .md or .html)", out,
                        ext.string());
        }
    }
    auto open = LLMOPS_TRY(open_project(ctx));
    const auto options = LLMOPS_TRY(analysis_options(open.db, o));
    const auto report = LLMOPS_TRY(online::analyze_ab(open.db, options));
    LLMOPS_TRY(write_outputs(report, o.outputs));
    // A broken split or a worse version fails the command, so a scheduled CI job alerts.
    const bool alert = report.recommendation == online::Recommendation::roll_back ||
                       report.recommendation == online::Recommendation::investigate;
    return print_ok(o.json ? report::ab_json(report)
                           : report::ab_text(report, util::terminal_width(stdout)),
                    alert ? k_exit_gate : k_exit_ok);
}

} // namespace

void register_ab(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<AbCommandOptions>();
    auto* sub = app.add_subcommand(
        "ab", "A/B test of a split label's versions: sample ratio, difference, recommendation");
    sub->add_option("ref", o->ref, "The split label: name@label, e.g. support/triage@production")
        ->required()
        ->type_name(k_value_ref);
    sub->add_option("--since", o->since,
                    "Calls from then on: 7d, 24h or an ISO 8601 time (default: since the label "
                    "took its current weights)");
    sub->add_option("--until", o->until, "Calls before then: 24h, 7d or an ISO 8601 time");
    sub->add_option("--alpha", o->alpha, "Significance level of the verdict (default 0.05)");
    sub->add_option("--srm-alpha", o->srm_alpha,
                    "Sample ratio mismatch below this p-value (default 0.001)");
    sub->add_flag("--json", o->json, "Print the report as JSON");
    sub->add_option("-o,--output", o->outputs, "Write a report: .json, .md or .html (repeatable)");
    on_run(sub, ctx, [o](Context& c) { return ab_command(c, *o); });
}

} // namespace llmops::cmd
