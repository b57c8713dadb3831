// `llmops diff A [B]`: cost and quality of two runs, two variants, or exported runs (SPEC §11),
// with the gates CI merges on.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

#include "cli.hpp"

#include <llmops/compare/compare.hpp>
#include <llmops/eval/inputs.hpp>
#include <llmops/remote/remotes.hpp>
#include <llmops/remote/runs_sync.hpp>
#include <llmops/report/case_inputs.hpp>
#include <llmops/report/diff_html.hpp>
#include <llmops/report/diff_report.hpp>
#include <llmops/report/run_report.hpp>
#include <llmops/util/files.hpp>
#include <llmops/util/term.hpp>

namespace llmops::cmd {

namespace {

struct DiffOptions {
    std::string a;
    std::string b;
    std::string format = "text";
    std::vector<std::string> outputs;
    double alpha = 0.05;
    uint64_t seed = 20240611;
    bool fail_on_regression = false;
    std::optional<double> max_cost_increase;
    std::optional<double> max_latency_increase;
    std::optional<double> min_pass_rate;
};

// What the HTML page shows of each case: its inputs (every side's cases carry them, stored or
// exported) and, for runs in the store, each result's rendered prompt.
Expected<report::CaseInputs>
case_inputs_of(store::Database* db,
               std::initializer_list<const std::vector<compare::Side>*> sides) {
    constexpr size_t k_inputs_chars = 1000;
    report::CaseInputs inputs;
    std::set<int64_t> runs;
    for (const auto* list : sides) {
        for (const auto& side : *list) {
            for (const auto& c : side.cases) {
                inputs.vars.emplace(c.id, report::vars_line(c.vars, k_inputs_chars));
            }
            // An exported run's name is its file; a stored one's is "run N".
            if (db != nullptr && side.name.starts_with("run ") && runs.insert(side.run_id).second) {
                LLMOPS_TRY(report::add_case_inputs(*db, side.run_id, inputs));
            }
        }
    }
    return inputs;
}

// The pairs of sides to compare: `diff RUN` compares each variant with the first; `diff A B`
// compares the one variant of each, or the variants with the same label on both sides.
// The variants a side names: a run of this store, an exported file, or `REMOTE/REF`, a run on a
// remote (`origin/latest`, `origin/12:VARIANT`; docs/teams.md), copied into a store in memory.
Expected<std::vector<compare::Side>> load_side(const Context& ctx, store::Database* db,
                                               const std::string& text) {
    std::error_code ec;
    const auto slash = text.find('/');
    if (slash != std::string::npos && !std::filesystem::exists(text, ec)) {
        if (auto project = ctx.project()) {
            const std::string name = text.substr(0, slash);
            for (const auto& r : LLMOPS_TRY(remote::read_remotes(*project))) {
                if (r.name != name) {
                    continue;
                }
                compare::SideRef ref = compare::parse_side_ref(text.substr(slash + 1));
                auto conn = LLMOPS_TRY(remote::connect(r));
                auto [remote_db, id] = LLMOPS_TRY(remote::fetch_remote_run(conn, ref.run));
                ref.run = std::to_string(id);
                auto sides = LLMOPS_TRY(compare::load_sides(&remote_db, ref));
                for (auto& side : sides) {
                    side.name = text.substr(0, text.find(':'));
                }
                return sides;
            }
        }
    }
    return compare::load_sides(db, compare::parse_side_ref(text));
}

Expected<std::vector<std::pair<const compare::Side*, const compare::Side*>>>
pairs_of(const std::vector<compare::Side>& a, const std::vector<compare::Side>& b, bool one_run) {
    std::vector<std::pair<const compare::Side*, const compare::Side*>> pairs;
    if (one_run) {
        if (a.size() < 2) {
            return fail(ErrorCode::invalid_input,
                        "{} has one variant: name two runs (llmops diff A B) or two variants "
                        "(llmops diff {}:0 OTHER)",
                        a.front().name, a.front().run_id);
        }
        for (size_t i = 1; i < a.size(); ++i) {
            pairs.emplace_back(&a[0], &a[i]);
        }
        return pairs;
    }
    if (a.size() == 1 && b.size() == 1) {
        pairs.emplace_back(&a[0], &b[0]);
        return pairs;
    }
    for (const auto& x : a) {
        for (const auto& y : b) {
            if (x.label == y.label) {
                pairs.emplace_back(&x, &y);
            }
        }
    }
    if (pairs.size() != a.size() || pairs.size() != b.size()) {
        return fail(ErrorCode::invalid_input,
                    "{} has {} variant(s) and {} has {}, not all with the same labels: name the "
                    "variants to compare, as in 'llmops diff {}:0 {}:1'",
                    a.front().name, a.size(), b.front().name, b.size(), a.front().run_id,
                    b.front().run_id);
    }
    return pairs;
}

// Prints each comparison's warnings on stderr, each once (the variants of two runs share them).
void print_warnings(const std::vector<compare::Comparison>& comparisons) {
    std::set<std::string> printed;
    for (const auto& c : comparisons) {
        for (const auto& w : c.warnings) {
            if (printed.insert(w).second) {
                std::fprintf(stderr, "llmops: warning: %s\n", w.c_str());
            }
        }
    }
}

Expected<int> diff_command(const Context& ctx, const DiffOptions& o) {
    if (o.alpha <= 0 || o.alpha >= 1) {
        return fail(ErrorCode::invalid_input, "--alpha must be between 0 and 1, not {}", o.alpha);
    }
    if (o.min_pass_rate && (*o.min_pass_rate < 0 || *o.min_pass_rate > 1)) {
        return fail(ErrorCode::invalid_input,
                    "--min-pass-rate must be between 0 and 1 (0.9 for 90%)");
    }
    for (const auto& out : o.outputs) {
        const auto ext = std::filesystem::path(out).extension();
        if (ext != ".json" && ext != ".md" && ext != ".html") {
            return fail(ErrorCode::invalid_input,
                        "-o '{}': unknown report format '{}' (use .json, .md or .html)", out,
                        ext.string());
        }
    }
    // Runs come from the project's store; exported runs (files) need none.
    auto open = LLMOPS_TRY(open_project_if_any(ctx));
    {
        // No report over an exported run being compared, nor inside the store.
        std::vector<eval::InputFile> inputs;
        for (const auto& side : {o.a, o.b}) {
            std::error_code ec;
            if (!side.empty() && std::filesystem::is_regular_file(side, ec)) {
                inputs.push_back({side, "a run being compared"});
            }
        }
        LLMOPS_TRY(eval::check_outputs(o.outputs, inputs,
                                       open ? open->project.dir : std::filesystem::path()));
    }
    store::Database* db = open ? &open->db : nullptr;
    auto a = LLMOPS_TRY(load_side(ctx, db, o.a));
    std::vector<compare::Side> b;
    if (!o.b.empty()) {
        b = LLMOPS_TRY(load_side(ctx, db, o.b));
    }
    auto pairs = LLMOPS_TRY(pairs_of(a, b, o.b.empty()));

    compare::Options options;
    options.alpha = o.alpha;
    options.bootstrap_seed = o.seed;
    compare::Gates gates;
    gates.fail_on_regression = o.fail_on_regression;
    gates.max_cost_increase = o.max_cost_increase;
    gates.max_latency_increase = o.max_latency_increase;
    gates.min_pass_rate = o.min_pass_rate;

    std::vector<compare::Comparison> comparisons;
    std::vector<std::vector<std::string>> failures;
    bool failed = false;
    for (const auto& [x, y] : pairs) {
        comparisons.push_back(compare::compare(*x, *y, options));
        failures.push_back(compare::check_gates(comparisons.back(), gates));
        failed = failed || !failures.back().empty();
    }
    const int code = failed ? k_exit_gate : k_exit_ok;
    print_warnings(comparisons);

    nlohmann::json doc{
        {"llmops_diff", 1}, {"alpha", o.alpha}, {"comparisons", nlohmann::json::array()}};
    std::string markdown;
    std::string text;
    for (size_t i = 0; i < comparisons.size(); ++i) {
        auto j = compare::to_json(comparisons[i], options);
        j["gate_failures"] = failures[i];
        doc["comparisons"].push_back(std::move(j));
        markdown +=
            (i ? "\n---\n\n" : "") + report::diff_markdown(comparisons[i], options, failures[i]);
        report::DiffTextOptions t;
        t.colour = stdout_colour();
        t.width = util::terminal_width(stdout);
        text += (i ? "\n" + std::string(80, '=') + "\n" : "") +
                report::diff_text(comparisons[i], options, failures[i], t);
    }
    doc["exit_code"] = code;
    // Every report is written even when one fails; the failures come after the diff (exit 3).
    std::vector<Error> report_errors;
    report::CaseInputs inputs; // what the HTML page shows of each case
    if (std::any_of(o.outputs.begin(), o.outputs.end(), [](const std::string& out) {
            return std::filesystem::path(out).extension() == ".html";
        })) {
        inputs = LLMOPS_TRY(case_inputs_of(db, {&a, &b}));
    }
    for (const auto& out : o.outputs) {
        const auto ext = std::filesystem::path(out).extension();
        const std::string content = ext == ".json" ? doc.dump(2) + "\n"
                                    : ext == ".html"
                                        ? report::diff_html(comparisons, options, failures, inputs)
                                        : markdown;
        if (auto ok = util::write_file_atomic(out, content); !ok) {
            report_errors.push_back(ok.error());
        }
    }
    const std::string shown = o.format == "json" ? doc.dump(2) + "\n"
                              : o.format == "md" ? markdown
                                                 : text;
    auto printed = print_ok(shown, code);
    if (!printed) {
        return printed;
    }
    return report_failures(report_errors, *printed);
}

} // namespace

void register_diff(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<DiffOptions>();
    auto* sub = app.add_subcommand("diff", "Compare cost and quality: two runs (A B), two variants "
                                           "(A:0 A:1), or the variants of one run");
    sub->add_option(
           "A", o->a,
           "Baseline: a run (12, latest, latest~1, a tag), RUN:VARIANT, or an exported run (.json)")
        ->required()
        ->type_name(k_value_run);
    sub->add_option("B", o->b,
                    "Candidate, named like A (without it: the variants of A against its first)")
        ->type_name(k_value_run);
    sub->add_option("--format", o->format, "Output: text (default), json or md")
        ->check(CLI::IsMember({"text", "json", "md"}));
    sub->add_option("-o,--output", o->outputs,
                    "Also write the report: .json, .md or .html (repeatable)");
    sub->add_option("--alpha", o->alpha, "Significance level of the verdicts (default 0.05)");
    sub->add_option("--seed", o->seed, "Seed of the paired bootstrap (default 20240611)");
    sub->add_flag("--fail-on-regression", o->fail_on_regression,
                  "Exit 1 when the pass rate or a score is significantly worse");
    sub->add_option("--max-cost-increase", o->max_cost_increase,
                    "Exit 1 when the cost per case rises more than this many percent");
    sub->add_option("--max-latency-increase", o->max_latency_increase,
                    "Exit 1 when the median latency rises more than this many percent");
    sub->add_option("--min-pass-rate", o->min_pass_rate,
                    "Exit 1 when the candidate's pass rate is below this (0-1)");
    sub->callback([&ctx, o] { ctx.action = [&ctx, o] { return diff_command(ctx, *o); }; });
}

} // namespace llmops::cmd
