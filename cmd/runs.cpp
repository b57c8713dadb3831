// `llmops runs list|show|tag|rm|merge|export` (SPEC §10): the runs kept in the store.

#include <memory>

#include "cli.hpp"

#include <llmops/eval/inputs.hpp>
#include <llmops/eval/runner.hpp>
#include <llmops/report/run_report.hpp>
#include <llmops/store/runs.hpp>

namespace llmops::cmd {

namespace {

void add_list(CLI::App& group, Context& ctx) {
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
            auto open = open_project(ctx);
            if (!open) {
                return fail(open.error());
            }
            auto runs = store::list_runs(open->db, o->limit);
            if (!runs) {
                return fail(runs.error());
            }
            return print_ok(o->json ? report::runs_list_json(*runs)
                                    : report::runs_list_text(*runs));
        };
    });
}

void add_show(CLI::App& group, Context& ctx) {
    struct Options {
        std::string ref;
        bool json = false;
        bool failures = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand("show", "Show a run: provenance, summary and failures");
    sub->add_option("run", o->ref, "A run number, latest, latest~N or a tag")
        ->required()
        ->type_name(k_value_run);
    sub->add_flag("--json", o->json, "Print the run as JSON");
    sub->add_flag("--failures", o->failures, "Also list every failure and error with its output");
    sub->callback([&ctx, o] {
        ctx.action = [&ctx, o]() -> Expected<int> {
            auto open = open_project(ctx);
            if (!open) {
                return fail(open.error());
            }
            auto id = store::resolve_run(open->db, o->ref);
            if (!id) {
                return fail(id.error());
            }
            auto run = store::load_run(open->db, *id);
            if (!run) {
                return fail(run.error());
            }
            if (o->json) {
                return print_ok(report::run_show_json(*run));
            }
            std::string text = report::run_show_text(*run);
            if (o->failures) {
                auto failures =
                    report::failures_text(open->db, *id, SIZE_MAX, 2000, stdout_colour());
                if (!failures) {
                    return fail(failures.error());
                }
                text += *failures;
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
            auto open = open_project_for_writing(ctx);
            if (!open) {
                return fail(open.error());
            }
            auto id = store::resolve_run(open->db, o->ref);
            if (!id) {
                return fail(id.error());
            }
            if (auto ok = store::tag_run(open->db, *id, o->name); !ok) {
                return fail(ok.error());
            }
            return print_ok(fmt::format("tagged run {} '{}'\n", *id, o->name));
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
            auto open = open_project_for_writing(ctx);
            if (!open) {
                return fail(open.error());
            }
            auto id = store::resolve_run(open->db, *ref);
            if (!id) {
                return fail(id.error());
            }
            if (auto ok = store::remove_run(open->db, *id); !ok) {
                return fail(ok.error());
            }
            return print_ok(fmt::format("removed run {}\n", *id));
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
            auto open = open_project_for_writing(ctx);
            if (!open) {
                return fail(open.error());
            }
            std::vector<int64_t> ids;
            for (const auto& ref : *refs) {
                auto id = store::resolve_run(open->db, ref);
                if (!id) {
                    return fail(id.error());
                }
                ids.push_back(*id);
            }
            auto merged = store::merge_runs(open->db, ids);
            if (!merged) {
                return fail(merged.error());
            }
            auto summary = eval::summarize_run(open->db, *merged);
            if (!summary) {
                return fail(summary.error());
            }
            if (auto ok = store::finish_run(open->db, *merged, summary->status, summary->to_json());
                !ok) {
                return fail(ok.error());
            }
            return print_ok(fmt::format("merged {} runs into run {}\n", ids.size(), *merged));
        };
    });
}

void add_export(CLI::App& group, Context& ctx) {
    struct Options {
        std::string ref;
        std::vector<std::string> outputs;
        std::optional<std::string> format; // of `-o -`
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand(
        "export", "Write a run's results as .json, .jsonl, .csv, .xml, .md or .html");
    sub->add_option("run", o->ref, "A run number, latest, latest~N or a tag")
        ->required()
        ->type_name(k_value_run);
    sub->add_option("-o,--output", o->outputs,
                    "The file(s) to write; the extension picks the format; - for stdout with "
                    "--format")
        ->required();
    sub->add_option("--format", o->format, "The format of -o -: json, jsonl, csv, xml, md or html")
        ->check(CLI::IsMember({"json", "jsonl", "csv", "xml", "junit", "md", "markdown", "html"}));
    sub->callback([&ctx, o] {
        ctx.action = [&ctx, o]() -> Expected<int> {
            auto formats = export_formats(o->outputs, o->format);
            if (!formats) {
                return fail(formats.error());
            }
            auto open = open_project(ctx);
            if (!open) {
                return fail(open.error());
            }
            auto id = store::resolve_run(open->db, o->ref);
            if (!id) {
                return fail(id.error());
            }
            // Reports never go inside the store.
            if (auto ok = eval::check_outputs(o->outputs, {}, open->project.dir); !ok) {
                return fail(ok.error());
            }
            return report_failures(export_reports(open->db, *id, *formats, o->outputs), k_exit_ok);
        };
    });
}

} // namespace

void register_runs(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("runs", "The eval runs kept in the store");
    group->require_subcommand(1);
    add_list(*group, ctx);
    add_show(*group, ctx);
    add_tag(*group, ctx);
    add_rm(*group, ctx);
    add_merge(*group, ctx);
    add_export(*group, ctx);
}

} // namespace llmops::cmd
