// `llmops drift PROMPT --reference WINDOW --current WINDOW` (SPEC §14): input and output drift
// of a prompt's imported calls between two time windows, exit 1 past a threshold
// (docs/drift.md).

#include <cstdio>
#include <memory>
#include <optional>

#include "cli.hpp"

#include <llmops/online/drift.hpp>
#include <llmops/online/window.hpp>
#include <llmops/report/drift_report.hpp>
#include <llmops/store/drift_checks.hpp>
#include <llmops/util/files.hpp>

namespace llmops::cmd {

namespace {

struct DriftFlags {
    std::string prompt;
    std::string reference;
    std::string current = "24h";
    std::string thresholds_file;
    std::string embedding_provider;
    std::string output;
    bool json = false;
    bool no_record = false;
    online::DriftOptions options;
    // Thresholds given as flags, which override the file's.
    std::optional<double> max_psi, ks_alpha, max_js, embedding_alpha, max_refusal_increase,
        max_pass_rate_drop, alpha;
};

void add_threshold_flags(CLI::App& sub, DriftFlags& f) {
    const auto probability = CLI::Range(0.0, 1.0);
    sub.add_option("--max-psi", f.max_psi, "Alarm when a length's PSI is above this (0.2)")
        ->check(CLI::NonNegativeNumber);
    sub.add_option("--ks-alpha", f.ks_alpha,
                   "Alarm when a length's KS p-value is below this (0.01)")
        ->check(probability);
    sub.add_option("--max-js", f.max_js,
                   "Alarm when the words' Jensen-Shannon distance is above this (0.1)")
        ->check(probability);
    sub.add_option("--embedding-alpha", f.embedding_alpha,
                   "Alarm when the embedding permutation p-value is below this (0.01)")
        ->check(probability);
    sub.add_option("--max-refusal-increase", f.max_refusal_increase,
                   "Alarm when the refusal rate rises by more than this, significantly (0.05)")
        ->check(probability);
    sub.add_option("--max-pass-rate-drop", f.max_pass_rate_drop,
                   "Alarm when the online-eval pass rate falls by more, significantly (0.05)")
        ->check(probability);
    sub.add_option("--alpha", f.alpha, "Significance the rate alarms require (0.05)")
        ->check(probability);
    sub.add_option("--thresholds", f.thresholds_file,
                   "A YAML file of thresholds (max_psi: 0.2, ...); flags override it");
}

// The thresholds: the defaults, then the file's, then the flags'.
Expected<online::DriftThresholds> thresholds(const DriftFlags& f) {
    online::DriftThresholds t;
    if (!f.thresholds_file.empty()) {
        const auto text = LLMOPS_TRY(util::read_file(f.thresholds_file)); // missing: exit 2
        t = LLMOPS_TRY(online::parse_drift_thresholds(text, f.thresholds_file, t));
    }
    const std::pair<const std::optional<double>*, double*> flags[] = {
        {&f.max_psi, &t.max_psi},
        {&f.ks_alpha, &t.ks_alpha},
        {&f.max_js, &t.max_js},
        {&f.embedding_alpha, &t.embedding_alpha},
        {&f.max_refusal_increase, &t.max_refusal_increase},
        {&f.max_pass_rate_drop, &t.max_pass_rate_drop},
        {&f.alpha, &t.alpha}};
    for (const auto& [flag, field] : flags)
        if (*flag)
            *field = **flag;
    return t;
}

// Whether `-o PATH` names a format drift writes: Markdown (.md) or JSON (.json).
bool known_format(const std::string& path) {
    return path.ends_with(".md") || path.ends_with(".json");
}

// Writes the report to `path` in the format its extension names.
Expected<void> write_output(const std::string& path, const online::DriftReport& report) {
    auto written = util::write_file_atomic(
        path, path.ends_with(".md") ? report::drift_markdown(report) : report::drift_json(report));
    if (!written)
        return fail(written.error(), "writing '{}'", path);
    return {};
}

// Records the check in the store (docs/drift.md#recorded-checks), for `llmops metrics`. A
// store that cannot be written (read-only) costs a warning, not the check.
void record_check(store::Database& db, const online::DriftReport& report, int64_t now) {
    store::DriftCheck check;
    check.prompt = report.prompt;
    check.version = report.version;
    check.model = report.model;
    check.reference_since_unix_ns = report.reference.since_unix_ns;
    check.reference_until_unix_ns = report.reference.until_unix_ns;
    check.current_since_unix_ns = report.current.since_unix_ns;
    check.current_until_unix_ns = report.current.until_unix_ns;
    check.reference_calls = static_cast<int64_t>(report.reference_calls);
    check.current_calls = static_cast<int64_t>(report.current_calls);
    check.checked_at_unix_ns = now;
    check.statistics = report::drift_rows_json(report);
    check.alarm = report.alarm();
    if (auto recorded = store::record_drift_check(db, check); !recorded) {
        std::fprintf(stderr, "llmops: warning: the check was not recorded in the store: %s\n",
                     recorded.error().message().c_str());
    }
}

Expected<int> run_drift(Context& ctx, DriftFlags& f) {
    const int64_t now = online::now_unix_ns();
    f.options.prompt = f.prompt;
    f.options.reference = LLMOPS_TRY(online::parse_time_window(f.reference, "--reference", now));
    f.options.current = LLMOPS_TRY(online::parse_time_window(f.current, "--current", now));
    f.options.thresholds = LLMOPS_TRY(thresholds(f));
    if (!f.output.empty() && !known_format(f.output))
        return fail(ErrorCode::invalid_input,
                    "-o '{}': unknown report format (expected a .md or .json file)", f.output);
    std::optional<online::Embedder> embedder;
    if (!f.embedding_provider.empty()) {
        embedder = LLMOPS_TRY(online::provider_embedder(f.embedding_provider));
        f.options.embedder = &*embedder;
    }
    auto open = LLMOPS_TRY(open_project(ctx));
    const auto report = LLMOPS_TRY(online::compute_drift(open.db, f.options));
    if (!f.no_record)
        record_check(open.db, report, now);
    // The report first, then the file: a failed write (exit 3) still leaves the report shown.
    const int code =
        LLMOPS_TRY(print_ok(f.json ? report::drift_json(report) : report::drift_text(report),
                            report.alarm() ? k_exit_gate : k_exit_ok));
    if (!f.output.empty())
        LLMOPS_TRY(write_output(f.output, report));
    return code;
}

} // namespace

void register_drift(CLI::App& app, Context& ctx) {
    auto f = std::make_shared<DriftFlags>();
    auto* sub = app.add_subcommand(
        "drift", "Compare a prompt's production calls in two time windows; exit 1 on drift");
    sub->add_option("PROMPT", f->prompt, "The prompt whose imported calls are compared")
        ->required()
        ->type_name(k_value_prompt);
    sub->add_option("--reference", f->reference,
                    "The reference window: 2026-11-01..2026-11-07, 7d..24h, or a start")
        ->required();
    sub->add_option("--current", f->current, "The current window (default: 24h, the last day)");
    sub->add_option("--version", f->options.version, "Only calls of this prompt version");
    sub->add_option("--model", f->options.model, "Only calls answered by this model");
    add_threshold_flags(*sub, *f);
    sub->add_option("--embedding-provider", f->embedding_provider,
                    "Embed inputs and outputs with this provider (echo: offline hashed vectors)");
    sub->add_option("--embed-sample", f->options.embed_sample,
                    "Texts embedded per window and side, sampled (default 500)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--permutations", f->options.permutations,
                    "Permutations of the embedding test (default 1000)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--vocabulary", f->options.vocabulary,
                    "The reference's most frequent words compared (default 5000)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--seed", f->options.seed,
                    "Seed of the samples and permutations (default 20261107)");
    sub->add_flag("--json", f->json, "Print the report as JSON");
    sub->add_flag("--no-record", f->no_record,
                  "Do not record the check in the store (llmops metrics exports the latest)");
    sub->add_option("-o,--output", f->output, "Also write the report to FILE (.md or .json)");
    on_run(sub, ctx, [f](Context& c) { return run_drift(c, *f); });
}

} // namespace llmops::cmd
