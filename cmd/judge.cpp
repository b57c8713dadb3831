// `llmops judge calibrate SUITE --labels FILE`: how well the suite's judge agrees with human
// labels (SPEC §9), stored as a run so two judges compare with `llmops diff`.

#include <cstdio>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"

#include <llmops/eval/judge/calibrate.hpp>
#include <llmops/eval/suite.hpp>
#include <llmops/report/calibration_report.hpp>
#include <llmops/store/runs.hpp>

namespace llmops::cmd {

namespace {

struct CalibrateOptions {
    std::string suite;
    std::string labels;
    std::optional<std::string> judge;
    std::optional<int> samples;
    int concurrency = 4;
    bool no_cache = false;
    std::optional<double> min_kappa;
    std::optional<double> min_accuracy;
    bool json = false;
    std::optional<std::string> record;
};

// The gates: --min-kappa and --min-accuracy (exit 1 when either fails).
int gate_code(const eval::judge::Calibration& c, const CalibrateOptions& o) {
    int code = k_exit_ok;
    if (o.min_kappa && !(c.agreement.kappa && *c.agreement.kappa >= *o.min_kappa)) {
        std::fprintf(stderr, "llmops: gate failed: kappa %s is below --min-kappa %g\n",
                     report::rate_text(c.agreement.kappa).c_str(), *o.min_kappa);
        code = k_exit_gate;
    }
    if (o.min_accuracy && !(c.agreement.accuracy && *c.agreement.accuracy >= *o.min_accuracy)) {
        std::fprintf(stderr, "llmops: gate failed: accuracy %s is below --min-accuracy %g\n",
                     report::rate_text(c.agreement.accuracy).c_str(), *o.min_accuracy);
        code = k_exit_gate;
    }
    return code;
}

Expected<int> calibrate_command(const Context& ctx, const CalibrateOptions& o) {
    auto suite = LLMOPS_TRY(eval::load_suite(o.suite));
    for (const auto& w : suite.warnings) {
        std::fprintf(stderr, "llmops: warning: %s\n", w.c_str());
    }
    std::string labels_hash;
    auto labels = LLMOPS_TRY(eval::judge::load_labels(o.labels, o.labels, &labels_hash));
    auto open = LLMOPS_TRY(open_or_create_project(ctx));
    eval::judge::CalibrationOptions options;
    options.concurrency = fit_concurrency(o.concurrency);
    options.cache_mode = o.no_cache ? provider::CacheMode::refresh : provider::CacheMode::use;
    options.judge = o.judge;
    options.samples = o.samples;
    options.command_line = ctx.command_line;
    options.suite_display = o.suite;
    options.labels_display = o.labels;
    if (o.record) {
        options.record = *o.record;
    }
    InterruptGuard guard;
    auto result =
        LLMOPS_TRY(eval::judge::calibrate(open.db, open.project, suite, labels, labels_hash,
                                          options, [] { return InterruptGuard::interrupted(); }));
    LLMOPS_TRY(o.json ? print(result.to_json().dump(2) + "\n")
                      : print(report::calibration_text(result, o.suite, o.labels)));
    std::fflush(stdout);
    std::fprintf(stderr, "llmops: calibration stored as run %lld (llmops diff compares two)\n",
                 static_cast<long long>(result.run_id));
    if (result.interrupted) {
        return k_exit_interrupted;
    }
    const auto judged = result.counts.total() + static_cast<size_t>(result.pairs);
    if (judged == 0) {
        std::fprintf(stderr, "llmops: the judge graded no label: nothing to measure\n");
        return k_exit_runtime;
    }
    return gate_code(result, o);
}

} // namespace

void register_judge(CLI::App& app, Context& ctx) {
    auto* judge = app.add_subcommand("judge", "Measure LLM judges against human labels");
    judge->require_subcommand(1);
    auto o = std::make_shared<CalibrateOptions>();
    auto* sub = judge->add_subcommand(
        "calibrate", "Run a suite's judge over human-labelled outputs: accuracy, kappa, TPR/TNR, "
                     "position bias; stored as a run");
    sub->add_option("suite", o->suite,
                    "The suite whose defaultTest.assert holds the judge's assertions")
        ->required();
    sub->add_option("--labels", o->labels,
                    "JSONL of labelled outputs: {output, pass|score, vars, prompt, context} or "
                    "{outputs, best} for select-best")
        ->required();
    sub->add_option("--judge", o->judge,
                    "Judge model (over the suite's judge.provider and LLMOPS_JUDGE)");
    sub->add_option("--judge-samples", o->samples,
                    "Ask the judge N times per label (majority or mean)")
        ->check(CLI::Range(1, 25));
    sub->add_option("-j,--max-concurrency", o->concurrency, "Judge calls in flight at once")
        ->check(CLI::Range(1, 1024));
    sub->add_flag("--no-cache", o->no_cache, "Call the judge even for cached verdicts");
    sub->add_option("--min-kappa", o->min_kappa, "Gate: exit 1 when Cohen's kappa is below this")
        ->check(CLI::Range(-1.0, 1.0));
    sub->add_option("--min-accuracy", o->min_accuracy, "Gate: exit 1 when accuracy is below this")
        ->check(CLI::Range(0.0, 1.0));
    sub->add_option("--record", o->record, "Append the judge's answers to a replay file (JSONL)");
    sub->add_flag("--json", o->json, "Print the calibration as JSON");
    sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return calibrate_command(ctx, *o); }; });
}

} // namespace llmops::cmd
