// `llmops traces import|list|show|stats` (SPEC §14): LLM calls from production traces, in the
// store.

#include <algorithm>
#include <cstdio>
#include <memory>

#include "call_filter.hpp"
#include "cli.hpp"
#include "serve_signals.hpp"

#include <llmops/report/trace_report.hpp>
#include <llmops/store/cache.hpp>
#include <llmops/store/calls.hpp>
#include <llmops/traces/import.hpp>
#include <llmops/traces/serve.hpp>
#include <llmops/traces/stats.hpp>
#include <llmops/util/term.hpp>

namespace llmops::cmd {

namespace {

// Exit code of one file's import: 2 when it held bad lines and nothing else (not traces at all),
// else 0; the bad lines of a file that also held calls are warnings (docs/traces.md).
int import_exit_code(const traces::ImportSummary& s) {
    const bool nothing_valid = s.imported + s.duplicates + s.skipped == 0;
    return s.bad > 0 && nothing_valid ? k_exit_usage : k_exit_ok;
}

void add_import(CLI::App& group, Context& ctx) {
    auto files = std::make_shared<std::vector<std::string>>();
    auto* sub = group.add_subcommand(
        "import", "Import LLM calls from OTLP JSON trace files or llmops's JSONL form");
    sub->add_option("FILE", *files,
                    "Trace files: OTLP JSON (the collector's file exporter) or JSONL")
        ->required();
    on_run(sub, ctx, [files](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project_for_writing(c));
        auto prices = LLMOPS_TRY(provider::load_price_table(open.project.dir / "prices.yaml"));
        int code = k_exit_ok;
        for (const auto& file : *files) {
            auto summary = traces::import_file(open.db, file, prices);
            if (!summary) {
                return fail(summary.error());
            }
            std::fputs(report::import_problems_text(*summary).c_str(), stderr);
            LLMOPS_TRY(print(report::import_summary_text(*summary, file)));
            code = std::max(code, import_exit_code(*summary));
        }
        return code;
    });
}

void add_list(CLI::App& group, Context& ctx) {
    auto o = std::make_shared<FilterOptions>();
    o->filter.limit = 20;
    auto* sub = group.add_subcommand("list", "List imported calls, newest first");
    o->add_to(*sub);
    sub->add_option("-n,--limit", o->filter.limit, "At most N calls (0: all)")
        ->check(CLI::NonNegativeNumber);
    sub->add_flag("--json", o->json, "Print the calls as JSON");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        const store::CallFilter filter = LLMOPS_TRY(o->resolved());
        auto open = LLMOPS_TRY(open_project(c));
        const auto calls = LLMOPS_TRY(store::list_calls(open.db, filter));
        return print_ok(o->json ? report::calls_json(calls)
                                : report::calls_text(calls, util::terminal_width(stdout)));
    });
}

void add_show(CLI::App& group, Context& ctx) {
    struct Options {
        std::string span_id;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub =
        group.add_subcommand("show", "Show one imported call: its fields, messages and output");
    sub->add_option("SPAN", o->span_id, "The call's span id (or a unique prefix of it)")
        ->required();
    sub->add_flag("--json", o->json, "Print the call as JSON");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        auto open = LLMOPS_TRY(open_project(c));
        const auto call = LLMOPS_TRY(store::find_call(open.db, o->span_id));
        return print_ok(o->json ? report::call_json(call) : report::call_text(call));
    });
}

void add_stats(CLI::App& group, Context& ctx) {
    auto o = std::make_shared<FilterOptions>();
    auto* sub = group.add_subcommand(
        "stats", "Calls, errors, tokens, cost and latency of imported calls by prompt and model");
    o->add_to(*sub);
    sub->add_flag("--json", o->json, "Print the statistics as JSON");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        const store::CallFilter filter = LLMOPS_TRY(o->resolved());
        auto open = LLMOPS_TRY(open_project(c));
        const auto stats = LLMOPS_TRY(traces::call_stats(open.db, filter));
        return print_ok(o->json ? report::call_stats_json(stats)
                                : report::call_stats_text(stats, util::terminal_width(stdout)));
    });
}

void add_serve(CLI::App& group, Context& ctx) {
    struct Options {
        std::string listen = "127.0.0.1:4318";
        bool verbose = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = group.add_subcommand(
        "serve", "Receive OTLP/HTTP JSON traces (POST /v1/traces) and store their LLM calls");
    sub->add_option("--listen", o->listen,
                    "HOST:PORT to listen on (default 127.0.0.1:4318; port 0: any free port)");
    sub->add_flag("-v,--verbose", o->verbose, "Print a line per request on stderr");
    on_run(sub, ctx, [o](Context& c) -> Expected<int> {
        traces::ServeOptions options;
        options.listen = LLMOPS_TRY(traces::parse_listen_address(o->listen));
        auto open = LLMOPS_TRY(open_project_for_writing(c));
        auto prices = LLMOPS_TRY(provider::load_price_table(open.project.dir / "prices.yaml"));
        if (o->verbose) {
            options.on_request = [](const traces::RequestLog& r) {
                std::fputs(report::request_log_text(r).c_str(), stderr);
            };
        }
        const StopSignals signals;
        traces::Receiver receiver(open.db, prices, options);
        const int port = LLMOPS_TRY(receiver.bind());
        LLMOPS_TRY(print(report::listening_text(options.listen.host, port)));
        return serve_until_signal(receiver, signals);
    });
}

} // namespace

void register_traces(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand(
        "traces", "LLM calls from production: import OpenTelemetry traces, list and count them");
    group->require_subcommand(1);
    add_import(*group, ctx);
    add_list(*group, ctx);
    add_show(*group, ctx);
    add_stats(*group, ctx);
    add_serve(*group, ctx);
}

} // namespace llmops::cmd
