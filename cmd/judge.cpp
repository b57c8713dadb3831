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

std::string rate(const std::optional<double>& value) {
    return value ? fmt::format("{:.3f}", *value) : std::string("-");
}

std::string ratio(size_t part, size_t whole) {
    return fmt::format("{}/{}", part, whole);
}

std::string calibration_text(const eval::judge::Calibration& c, const CalibrateOptions& o) {
    std::string out =
        fmt::format("judge calibration of {} against {} (run {})\n", o.suite, o.labels, c.run_id);
    std::string prompts;
    for (const auto& p : c.judge_prompts) {
        prompts += (prompts.empty() ? "" : ", ") + p;
    }
    out += fmt::format("judge: {} with {}\n", c.judge_id, prompts);
    const auto& n = c.counts;
    const size_t judged = n.total();
    out += fmt::format("  labels        {} ({} judge {})\n", c.labelled, c.errors,
                       c.errors == 1 ? "error" : "errors");
    if (judged > 0) {
        out += fmt::format("  accuracy      {}  ({} agree)\n", rate(c.agreement.accuracy),
                           ratio(n.true_positive + n.true_negative, judged));
        out += fmt::format("  kappa         {}  (Cohen's; 0 is chance agreement, 1 perfect)\n",
                           rate(c.agreement.kappa));
        out += fmt::format("  TPR           {}  (of human passes, the judge passed {})\n",
                           rate(c.agreement.true_positive_rate),
                           ratio(n.true_positive, n.true_positive + n.false_negative));
        out += fmt::format("  TNR           {}  (of human fails, the judge failed {})\n",
                           rate(c.agreement.true_negative_rate),
                           ratio(n.true_negative, n.true_negative + n.false_positive));
        out += "  confusion                 judge pass  judge fail\n";
        out += fmt::format("                human pass  {:>10}  {:>10}\n", n.true_positive,
                           n.false_negative);
        out += fmt::format("                human fail  {:>10}  {:>10}\n", n.false_positive,
                           n.true_negative);
    }
    if (c.pairs > 0) {
        out += fmt::format(
            "  pairwise      {}  ({} pairs where the judge preferred the humans' choice)\n",
            rate(c.pairwise_accuracy()),
            ratio(static_cast<size_t>(c.pairs_agree), static_cast<size_t>(c.pairs)));
        out += fmt::format("  position bias {}  ({} of {} rounds flipped with the order)\n",
                           rate(c.position_bias_rate()), c.position_flips, c.rounds);
    }
    if (!c.first_error.empty()) {
        out += fmt::format("  first error: {}\n", c.first_error);
    }
    if (c.interrupted) {
        out += "  interrupted: labels not judged yet are left out\n";
    }
    return out;
}

Expected<int> calibrate_command(const Context& ctx, const CalibrateOptions& o) {
    auto suite = eval::load_suite(o.suite);
    if (!suite) {
        return fail(suite.error());
    }
    for (const auto& w : suite->warnings) {
        std::fprintf(stderr, "llmops: warning: %s\n", w.c_str());
    }
    std::string labels_hash;
    auto labels = eval::judge::load_labels(o.labels, o.labels, &labels_hash);
    if (!labels) {
        return fail(labels.error());
    }
    auto open = open_or_create_project(ctx);
    if (!open) {
        return fail(open.error());
    }
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
    auto result = eval::judge::calibrate(open->db, open->project, *suite, *labels, labels_hash,
                                         options, [] { return InterruptGuard::interrupted(); });
    if (!result) {
        return fail(result.error());
    }
    auto printed =
        o.json ? print(result->to_json().dump(2) + "\n") : print(calibration_text(*result, o));
    if (!printed) {
        return fail(printed.error());
    }
    std::fflush(stdout);
    std::fprintf(stderr, "llmops: calibration stored as run %lld (llmops diff compares two)\n",
                 static_cast<long long>(result->run_id));
    if (result->interrupted) {
        return k_exit_interrupted;
    }
    const auto judged = result->counts.total() + static_cast<size_t>(result->pairs);
    if (judged == 0) {
        std::fprintf(stderr, "llmops: the judge graded no label: nothing to measure\n");
        return k_exit_runtime;
    }
    int code = k_exit_ok;
    if (o.min_kappa && !(result->agreement.kappa && *result->agreement.kappa >= *o.min_kappa)) {
        std::fprintf(stderr, "llmops: gate failed: kappa %s is below --min-kappa %g\n",
                     rate(result->agreement.kappa).c_str(), *o.min_kappa);
        code = k_exit_gate;
    }
    if (o.min_accuracy &&
        !(result->agreement.accuracy && *result->agreement.accuracy >= *o.min_accuracy)) {
        std::fprintf(stderr, "llmops: gate failed: accuracy %s is below --min-accuracy %g\n",
                     rate(result->agreement.accuracy).c_str(), *o.min_accuracy);
        code = k_exit_gate;
    }
    return code;
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
