// `llmops runs list|show|tag|rm|merge|export` (SPEC §10): the runs kept in the store.

#include <memory>

#include "cli.hpp"

#include <llmops/util/term.hpp>

#include <llmops/eval/inputs.hpp>
#include <llmops/eval/runner.hpp>
#include <llmops/report/grid_report.hpp>
#include <llmops/report/run_report.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/term.hpp>

namespace llmops::cmd {

namespace {

void add_runs_list(CLI::App& group, Context& ctx) {
    struct Options {
        int64_t limit = 20;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand("list", "List runs, newest first");
    sub->add_option("-n,--limit", o->limit, "At most N runs (0: all)")
        ->check(CLI::NonNegativeNumber);
    sub->add_flag("--json", o->json, "Print the runs as JSON");
    sub->callback([&ctx, o] {
        ctx.action = [&ctx, o]() -> Expected<int> {
            auto open = LLMOPS_TRY(open_project(ctx));
            auto runs = LLMOPS_TRY(store::list_runs(open.db, o->limit));
            return print_ok(o->json ? report::runs_list_json(runs)
                                    : report::runs_list_text(runs, util::terminal_width(stdout)));
        };
    });
}

void add_runs_show(CLI::App& group, Context& ctx) {
    struct Options {
        std::string ref;
        bool json = false;
        bool failures = false;
        bool grid = false;
        std::optional<std::string> format; // of --grid
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand("show", "Show a run: provenance, summary and failures");
    sub->add_option("run", o->ref, "A run number, latest, latest~N or a tag")
        ->required()
        ->type_name(k_value_run);
    sub->add_flag("--json", o->json, "Print the run as JSON");
    sub->add_flag("--failures", o->failures, "Also list every failure and error with its output");
    sub->add_flag("--grid", o->grid,
                  "Print the grid: a row per case, its inputs and each variant's output");
    sub->add_option("--format", o->format, "The format of --grid: text (default), md or csv")
        ->check(CLI::IsMember({"text", "md", "markdown", "csv"}));
    sub->callback([&ctx, o] {
        ctx.action = [&ctx, o]() -> Expected<int> {
            if (o->format && !o->grid) {
                return fail(ErrorCode::invalid_input,
                            "--format is the format of --grid; add --grid");
            }
            if (o->grid && (o->json || o->failures)) {
                return fail(ErrorCode::invalid_input, "--grid cannot be combined with {}",
                            o->json ? "--json" : "--failures");
            }
            auto open = LLMOPS_TRY(open_project(ctx));
            auto id = LLMOPS_TRY(store::resolve_run(open.db, o->ref));
            if (o->grid) {
                const report::GridOptions grid{report::grid_format(o->format),
                                               util::terminal_width(stdout), stdout_colour()};
                return print_ok(LLMOPS_TRY(report::run_grid(open.db, id, grid)));
            }
            auto run = LLMOPS_TRY(store::load_run(open.db, id));
            if (o->json) {
                return print_ok(report::run_show_json(run));
            }
            std::string text = report::run_show_text(run, util::terminal_width(stdout));
            if (o->failures) {
                text +=
                    LLMOPS_TRY(report::failures_text(open.db, id, SIZE_MAX, 2000, stdout_colour()));
            } else {
                text += LLMOPS_TRY(
                    report::failure_lines(open.db, id, 10, util::terminal_width(stdout)));
            }
            return print_ok(text);
        };
    });
}

void add_tag(CLI::App& group, Context& ctx) {
    struct Options {
        std::string ref;
        std::string name;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand("tag", "Name a run (moving the name if another run had it)");
    sub->add_option("run", o->ref, "A run number, latest, latest~N or a tag")
        ->required()
        ->type_name(k_value_run);
    sub->add_option("name", o->name, "The tag, e.g. baseline")->required();
    sub->callback([&ctx, o] {
        ctx.action = [&ctx, o]() -> Expected<int> {
            auto open = LLMOPS_TRY(open_project_for_writing(ctx));
            auto id = LLMOPS_TRY(store::resolve_run(open.db, o->ref));
            LLMOPS_TRY(store::tag_run(open.db, id, o->name));
            return print_ok(fmt::format("tagged run {} '{}'\n", id, o->name));
        };
    });
}

void add_rm(CLI::App& group, Context& ctx) {
    auto ref = std::make_shared<std::string>();
    auto* sub = group.add_subcommand("rm", "Delete a run and its results");
    sub->add_option("run", *ref, "A run number, latest, latest~N or a tag")
        ->required()
        ->type_name(k_value_run);
    sub->callback([&ctx, ref] {
        ctx.action = [&ctx, ref]() -> Expected<int> {
            auto open = LLMOPS_TRY(open_project_for_writing(ctx));
            auto id = LLMOPS_TRY(store::resolve_run(open.db, *ref));
            LLMOPS_TRY(store::remove_run(open.db, id));
            return print_ok(fmt::format("removed run {}\n", id));
        };
    });
}

void add_merge(CLI::App& group, Context& ctx) {
    auto refs = std::make_shared<std::vector<std::string>>();
    auto* sub = group.add_subcommand("merge", "Join the runs of --shard jobs into one run");
    sub->add_option("runs", *refs, "Two or more runs")
        ->required()
        ->expected(2, -1)
        ->type_name(k_value_run);
    sub->callback([&ctx, refs] {
        ctx.action = [&ctx, refs]() -> Expected<int> {
            auto open = LLMOPS_TRY(open_project_for_writing(ctx));
            std::vector<int64_t> ids;
            for (const auto& ref : *refs) {
                ids.push_back(LLMOPS_TRY(store::resolve_run(open.db, ref)));
            }
            auto merged = LLMOPS_TRY(store::merge_runs(open.db, ids));
            auto summary = LLMOPS_TRY(eval::summarize_run(open.db, merged));
            LLMOPS_TRY(store::finish_run(open.db, merged, summary.status, summary.to_json()));
            return print_ok(fmt::format("merged {} runs into run {}\n", ids.size(), merged));
        };
    });
}

void add_runs_export(CLI::App& group, Context& ctx) {
    struct Options {
        std::string ref;
        std::vector<std::string> outputs;
        std::optional<std::string> format; // of `-o -`, or otlp
        bool otlp_content = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand(
        "export", "Write a run's results as .json, .jsonl, .csv, .xml, .md, .html or OTLP spans");
    sub->add_option("run", o->ref, "A run number, latest, latest~N or a tag")
        ->required()
        ->type_name(k_value_run);
    sub->add_option("-o,--output", o->outputs,
                    "The file(s) to write; the extension picks the format; - for stdout with "
                    "--format")
        ->required();
    sub->add_option("--format", o->format,
                    "The format of -o -: json, jsonl, csv, xml, md or html; otlp for OTLP JSON "
                    "lines (any -o)")
        ->check(CLI::IsMember(
            {"json", "jsonl", "csv", "xml", "junit", "md", "markdown", "html", "otlp"}));
    sub->add_flag("--otlp-content", o->otlp_content,
                  "With --format otlp: include prompts, outputs and variables in the spans");
    sub->callback([&ctx, o] {
        ctx.action = [&ctx, o]() -> Expected<int> {
            if (o->otlp_content && o->format != "otlp") {
                return fail(ErrorCode::invalid_input,
                            "--otlp-content is for --format otlp; add --format otlp");
            }
            auto formats = LLMOPS_TRY(export_formats(o->outputs, o->format));
            auto open = LLMOPS_TRY(open_project(ctx));
            auto id = LLMOPS_TRY(store::resolve_run(open.db, o->ref));
            // Reports never go inside the store.
            LLMOPS_TRY(eval::check_outputs(o->outputs, {}, open.project.dir));
            const auto content = o->otlp_content ? traces::Content::on : traces::Content::off;
            return report_failures(export_reports(open.db, id, formats, o->outputs, content),
                                   k_exit_ok);
        };
    });
}

} // namespace

void register_runs(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("runs", "The eval runs kept in the store");
    group->require_subcommand(1);
    add_runs_list(*group, ctx);
    add_runs_show(*group, ctx);
    add_tag(*group, ctx);
    add_rm(*group, ctx);
    add_merge(*group, ctx);
    add_runs_export(*group, ctx);
}

} // namespace llmops::cmd
