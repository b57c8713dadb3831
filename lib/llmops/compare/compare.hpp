#pragma once
// Comparing two sides of an eval (SPEC §11): runs, variants of a run, or exported runs, paired
// case by case, with the statistics CI can trust (lib/llmops/stats) and the gates of `llmops
// diff`. Loading and computing only: report/diff_report.hpp renders the result.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/stats/stats.hpp>
#include <llmops/store/database.hpp>
#include <llmops/util/error.hpp>

namespace llmops::compare {

// One result as a side of a diff sees it.
struct CaseResult {
    int repeat = 0;
    std::string status; // pass, fail, error
    std::optional<double> score;
    std::string reason;
    std::string output;
    bool answered = true; // the call answered (a failed call's output is null, read as "")
    int64_t input_tokens = 0;
    int64_t output_tokens = 0;
    std::optional<double> cost_usd;
    double latency_ms = 0;
    bool cached = false;
    std::map<std::string, double> metrics; // named metric -> mean score of its assertions
    // The judge's calls for this result's model-graded assertions, apart from the model's.
    int64_t judge_calls = 0;
    int64_t judge_input_tokens = 0;
    int64_t judge_output_tokens = 0;
    std::optional<double> judge_cost_usd = 0.0; // nullopt: some judge call was unpriced
};

// The results of one case on one side.
struct SideCase {
    std::string id;
    std::string description;
    int64_t position = 0;                           // the case's place in its run
    std::vector<CaseResult> results;                // by repeat
    nlohmann::json vars = nlohmann::json::object(); // the case's inputs, as the run recorded them
};

// How a run named the cases its suite gave no id: by content (12 hex digits of the SHA-256 of
// the case's inputs, what eval writes now, its provenance saying `"case_ids": "content"`) or by
// position (`case-5`, written before; the same id may then name another case in another run), or
// the cases are production calls named by span id (`tests: {traces: ...}`, its provenance
// holding `traces`): two windows are different calls, compared unpaired.
enum class CaseIds { content, positional, calls };

// One side: one variant of a stored or exported run.
struct Side {
    std::string name;   // "run 12", "baseline.json"
    int64_t run_id = 0; // as stored (or as exported)
    int variant = 0;
    std::string label; // the variant's label
    std::string prompt_label;
    std::string prompt_version_id;
    std::string prompt_content; // the prompt's canonical content, pretty-printed; empty when the
                                // run did not record it
    std::string provider_id;
    nlohmann::json provider_config = nlohmann::json::object();
    std::string dataset_hash;
    CaseIds case_ids = CaseIds::content;
    std::string suite_path;
    std::string judge;           // the judge model and its prompt versions, as one line ("" when
                                 // the run had no judge): a changed judge is noted in the diff
    std::vector<SideCase> cases; // in the run's case order
};

// A side as the command line names it: `12`, `latest`, `latest~1`, a tag, any of those with
// `:VARIANT` (an index or a label), or a run exported as JSON (`baseline.json`, from `llmops
// runs export`), also with `:VARIANT`.
struct SideRef {
    std::string run;                    // the run ref, or the file
    std::optional<std::string> variant; // as written after the last ':'
};
SideRef parse_side_ref(std::string_view text);

// The variants a side ref names: the one given, else every variant of the run.
// `db` may be null when no project exists (then only files can be read). Fails with
// `not_found` (an unknown run, file or variant: "run 3 has no variant 'x' (variants: 0 'a',
// 1 'b')"), `invalid_input` (a file that is not an llmops export) or `io`.
Expected<std::vector<Side>> load_sides(store::Database* db, const SideRef& ref);

// The fewest cases judged on both sides for a quality verdict: below it a metric's verdict is
// `too few cases` (stats::Verdict::too_few_cases), which no gate fails on. A bootstrap or a
// normal interval from a handful of cases claims far more than it knows (one case gives the
// bootstrap a zero-width interval), and ten is where the paired tests start to have any power.
inline constexpr int64_t k_min_paired_cases = 10;

struct Options {
    double alpha = 0.05;                // significance level of every verdict
    uint64_t bootstrap_seed = 20240611; // the paired bootstrap's seed (reproducible)
    size_t bootstrap_resamples = 10000;
};

// One metric compared.
struct MetricDiff {
    std::string name; // "pass rate", "mean score", "metric: accuracy"
    std::optional<double> baseline;
    std::optional<double> candidate;
    std::optional<stats::Interval> baseline_interval; // 1 - alpha
    std::optional<stats::Interval> candidate_interval;
    std::optional<double> difference; // candidate - baseline, on the paired cases
    std::optional<stats::Interval> difference_interval;
    std::optional<double> p_value; // when a test gives one
    std::string method;            // how the interval/p-value was obtained
    int64_t pairs = 0;             // cases compared: judged (or scored) on both sides
    stats::Verdict verdict = stats::Verdict::nothing_to_compare;
};

// What happened to one case.
enum class CaseChange {
    regression,
    fix,
    unchanged_pass,
    unchanged_fail,
    errored,
    new_case,
    missing
};
std::string_view to_string(CaseChange change);

struct CaseDiff {
    std::string id;
    std::string description;
    CaseChange change = CaseChange::unchanged_pass;
    std::optional<double> baseline_pass; // fraction of judged repeats that passed
    std::optional<double> candidate_pass;
    const SideCase* baseline = nullptr; // into the sides given to compare()
    const SideCase* candidate = nullptr;
};

// Cost and speed of one side: a view of eval::VariantSummary's totals, to which each of the
// side's results is added as `llmops eval` and `runs show` add them (so a diff and a run's
// summary never disagree), with the cost per case and percentiles from stats.
struct Usage {
    int64_t results = 0;
    int64_t errors = 0;
    int64_t cached = 0;
    int64_t input_tokens = 0;
    int64_t output_tokens = 0;
    double cost_usd = 0;                 // of priced answers
    int64_t unpriced = 0;                // answers without a price
    std::optional<double> cost_per_case; // cost_usd / cases with a priced answer
    std::optional<double> latency_p50;   // ms, over answers not from the cache
    std::optional<double> latency_p95;
    std::optional<double> latency_p99;
    // The judge's share (model-graded assertions): reported apart, and not in the cost gate,
    // which is about what the model under test costs.
    int64_t judge_calls = 0;
    int64_t judge_input_tokens = 0;
    int64_t judge_output_tokens = 0;
    double judge_cost_usd = 0;  // of priced judge calls
    int64_t judge_unpriced = 0; // results with an unpriced judge call
};

struct Comparison {
    const Side* baseline = nullptr;
    const Side* candidate = nullptr;
    int repeats = 1;                 // the most repeats of a case on either side
    std::vector<CaseDiff> cases;     // baseline order, then new cases
    int64_t paired = 0;              // cases judged on both sides
    std::vector<MetricDiff> quality; // pass rate, mean score, named metrics
    Usage baseline_usage;
    Usage candidate_usage;
    // With repeats: flaky cases per side and pass@k / pass^k at k = repeats, each the mean over
    // the cases with k judged repeats (Chen et al.'s estimator needs n >= k); the cases with
    // fewer (an errored repeat) are left out and counted.
    int64_t baseline_flaky = 0;
    int64_t candidate_flaky = 0;
    std::optional<double> baseline_pass_at_k, candidate_pass_at_k;
    std::optional<double> baseline_pass_hat_k, candidate_pass_hat_k;
    int64_t baseline_pass_k_left_out = 0;
    int64_t candidate_pass_k_left_out = 0;
    std::vector<std::string> notes;    // "the datasets differ", "the prompt changed", ...
    std::vector<std::string> warnings; // what makes the pairing itself doubtful (positional ids
                                       // of different datasets): `llmops diff` prints them on
                                       // stderr as "llmops: warning: ..."
    std::string prompt_diff;           // unified diff of the two prompts when they differ and both
                                       // runs recorded them, else empty
    bool unpaired = false; // the sides are different production calls (a side from traces, no
                           // case on both): the pass rates are compared as independent samples

    int64_t count(CaseChange change) const;
    const MetricDiff* metric(std::string_view name) const;
};

// One side on its own (a run's report): its pass rate over every judged repeat with the interval
// compare() gives it (Wilson; with repeats, at the effective number of cases given by the design
// effect, stats::clustered_proportion), and its cost and speed.
struct SideSummary {
    int repeats = 1;
    int64_t judged_cases = 0; // cases not all errors
    std::optional<double> pass_rate;
    std::optional<stats::Interval> interval;
    Usage usage;
};
SideSummary summarize_side(const Side& side, double alpha);

// Compares `candidate` against `baseline`. Pure: the sides must outlive the result.
Comparison compare(const Side& baseline, const Side& candidate, const Options& options);

// The CI gates of `llmops diff` (SPEC §11). Each failed gate adds a line to `failures`.
struct Gates {
    bool fail_on_regression = false;            // a significantly worse pass rate or score
    std::optional<double> max_cost_increase;    // percent, of the cost per case
    std::optional<double> max_latency_increase; // percent, of the median latency
    std::optional<double> min_pass_rate;        // of the candidate, in [0, 1]
};
std::vector<std::string> check_gates(const Comparison& c, const Gates& gates);

// The stable JSON of a comparison (docs/diff.md: `llmops diff --format json`).
nlohmann::json to_json(const Comparison& c, const Options& options);

} // namespace llmops::compare
