// `llmops metrics` and `llmops metrics serve` (SPEC §15): the store's eval results, production
// calls, online evals, drift checks and A/B arms in the Prometheus text format, printed, written
// atomically for node_exporter's textfile collector, or served for Prometheus to scrape
// (docs/monitoring.md).

#include <cstdio>
#include <memory>
#include <string>

#include "cli.hpp"
#include "serve_signals.hpp"

#include <llmops/metrics/collect.hpp>
#include <llmops/metrics/serve.hpp>
#include <llmops/report/trace_report.hpp>
#include <llmops/store/project.hpp>
#include <llmops/util/files.hpp>

namespace llmops::cmd {

namespace {

struct MetricsFlags {
    std::string output;
    std::size_t max_series = metrics::Limits{}.max_series;
    std::string listen = "127.0.0.1:9464";
    bool verbose = false;
};

// The store opened read-only: the metrics never write, not even a migration.
Expected<store::Database> open_read_only(const Context& ctx) {
    auto project = LLMOPS_TRY(ctx.project());
    return store::open_store(project, store::StoreCheck::full, store::StoreAccess::read_only);
}

Expected<int> run_metrics(Context& ctx, const MetricsFlags& f) {
    auto db = LLMOPS_TRY(open_read_only(ctx));
    const auto text = LLMOPS_TRY(metrics::render_metrics(db, {f.max_series}));
    if (f.output.empty() || f.output == "-") {
        return print_ok(text);
    }
    if (auto written = util::write_file_atomic(f.output, text); !written) {
        return fail(written.error());
    }
    return k_exit_ok;
}

std::string scrape_log_text(const metrics::ScrapeLog& log) {
    return fmt::format("{} {} -> {}{}{}\n", log.method, log.path, log.status,
                       log.message.empty() ? "" : ": ", log.message);
}

Expected<int> run_serve(Context& ctx, const MetricsFlags& f) {
    metrics::MetricsServeOptions options;
    options.listen = LLMOPS_TRY(traces::parse_listen_address(f.listen));
    options.limits.max_series = f.max_series;
    auto db = LLMOPS_TRY(open_read_only(ctx));
    if (f.verbose) {
        options.on_request = [](const metrics::ScrapeLog& log) {
            std::fputs(scrape_log_text(log).c_str(), stderr);
        };
    }
    const StopSignals signals;
    metrics::MetricsServer server(db, options);
    const int port = LLMOPS_TRY(server.bind());
    LLMOPS_TRY(print(report::listening_text(options.listen.host, port)));
    return serve_until_signal(server, signals);
}

void add_max_series(CLI::App& sub, MetricsFlags& f) {
    sub.add_option("--max-series", f.max_series,
                   "At most N series per group (prompt x version x model, suite x variant, ...; "
                   "default 1000)")
        ->check(CLI::PositiveNumber);
}

} // namespace

void register_metrics(CLI::App& app, Context& ctx) {
    auto f = std::make_shared<MetricsFlags>();
    auto* group = app.add_subcommand(
        "metrics", "Print the store's metrics in the Prometheus text format, or serve them");
    group->add_option("-o,--output", f->output,
                      "Write them to FILE atomically (node_exporter's textfile collector)");
    add_max_series(*group, *f);
    auto* serve = group->add_subcommand(
        "serve", "Serve the metrics for Prometheus (GET /metrics) from the store, read-only");
    serve->add_option("--listen", f->listen,
                      "HOST:PORT to listen on (default 127.0.0.1:9464; port 0: any free port)");
    add_max_series(*serve, *f);
    serve->add_flag("-v,--verbose", f->verbose, "Print a line per request on stderr");
    on_run(serve, ctx, [f](Context& c) { return run_serve(c, *f); });
    // The group's own callback runs after its subcommand's: it acts only without one.
    group->callback([&ctx, group, f] {
        if (group->get_subcommands().empty()) {
            ctx.action = [&ctx, f] { return run_metrics(ctx, *f); };
        }
    });
}

} // namespace llmops::cmd
