#pragma once
// Running a suite (SPEC §10): the matrix prompts x providers x cases x repeats through the call
// engine, every result written to the store as it arrives (batched transactions), the run's
// provenance recorded, --resume, filters and sharding, --max-cost and --max-errors, Ctrl-C.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/eval/suite.hpp>
#include <llmops/provider/engine.hpp>
#include <llmops/store/database.hpp>
#include <llmops/store/project.hpp>
#include <llmops/store/runs.hpp>

namespace llmops::eval {

// Which cases of a suite run (SPEC §7 filters), applied in this order: filter_pattern, failing,
// sample, first_n, shard.
struct CaseFilter {
    std::optional<std::string> pattern;   // ECMAScript regex searched in the case id and description
    std::optional<int64_t> failing_run;   // only cases that failed or errored in this run
    std::optional<int64_t> sample;        // N cases drawn at random (seeded), kept in suite order
    uint64_t seed = 0;
    std::optional<int64_t> first_n;       // the first N cases
    std::optional<std::pair<int, int>> shard; // (I, N), 1-based: cases whose position % N == I-1
};

struct RunOptions {
    int concurrency = 4;                              // -j
    provider::CacheMode cache_mode = provider::CacheMode::use;
    std::optional<std::filesystem::path> record;      // --record FILE
    CaseFilter filter;
    std::optional<int> repeat;                        // --repeat, over the suite's
    std::optional<double> max_cost;                   // stop scheduling past this spend (USD)
    std::optional<int64_t> max_errors;                // stop scheduling past this many errors
    int64_t max_connection_failures = 20;             // stop after this many calls in a row could
                                                      // not reach their provider (0: never)
    std::optional<int64_t> resume_run;                // --resume RUN
    std::string command_line;                         // for provenance
    std::string suite_display_path;                   // how the suite is named in the run
    std::optional<std::string> judge;                 // --judge PROVIDER (over the suite's)
    std::optional<int> judge_samples;                 // --judge-samples N (over judge.samples)
};

// Per-variant totals (errors are never passes or failures).
struct VariantSummary {
    int index = 0;
    std::string label;
    int64_t results = 0;
    int64_t pass = 0;
    int64_t fail = 0;
    int64_t errors = 0;
    double score_sum = 0;     // over pass + fail
    int64_t input_tokens = 0;
    int64_t output_tokens = 0;
    double cost_usd = 0;      // of priced calls (cache hits included: what the answers cost)
    double spent_usd = 0;     // cost of calls actually made (cache hits and replays excluded)
    int64_t unpriced = 0;     // calls with unknown cost
    int64_t cached = 0;
    std::vector<double> latencies_ms; // of calls made (not cache hits)
    // The judge (SPEC §9), apart from the model under test:
    int64_t judge_calls = 0;
    int64_t judge_input_tokens = 0;
    int64_t judge_output_tokens = 0;
    double judge_cost_usd = 0;        // of the priced judge answers
    double judge_spent_usd = 0;       // of those not from the cache or a replay
    int64_t judge_unpriced = 0;       // results with an unpriced judge call
    int64_t judged_assertions = 0;    // model-graded assertions graded (errors left out)
    int64_t judge_split = 0;          // of which the judge's samples disagreed (judge noise)
    int64_t position_flips = 0;       // select-best verdicts that flipped with the order

    double pass_rate() const; // pass / (pass + fail); 0 when nothing was judged
    double mean_score() const;
    double latency_percentile(double p) const; // 0 when there are none
    double judge_noise_rate() const;           // judge_split / judged_assertions (0 when none)
    void add_judge(const store::ResultRecord& r, const std::vector<AssertionResult>& assertions);
    nlohmann::json to_json() const;            // the stored summary shape (README)
};

// What a run produced.
struct RunSummary {
    int64_t run_id = 0;
    std::string status;                 // complete, interrupted, failed
    std::vector<VariantSummary> variants;
    bool stopped_by_cost = false;       // --max-cost reached: calls not started were skipped
    bool stopped_by_errors = false;     // --max-errors passed
    bool stopped_by_connection = false; // --max-connection-failures calls in a row failed to
                                        // reach their provider (it looks down)
    bool interrupted = false;           // Ctrl-C
    int64_t skipped_resumed = 0;        // results already in the run (--resume)
    int64_t planned = 0;                // results this invocation meant to compute
    std::vector<std::string> warnings;

    int64_t total(int64_t VariantSummary::*field) const;
    nlohmann::json to_json() const;
};

// Told about every result as it is stored (for the progress bar).
using ResultListener = std::function<void(const store::ResultRecord&, const RunSummary&)>;

// Runs `suite` in `project`, writing the run to `db`. Fails before any call for a suite whose
// prompts cannot be resolved or rendered at all, providers that cannot be created (a missing
// key), a resume whose suite, prompts or providers changed ("cannot resume run 3: the dataset
// changed since it started"), or a filter that leaves no case; fails with `io` when the store
// cannot be written. Per-call failures are error results, never a failed run.
Expected<RunSummary> run_suite(store::Database& db, const store::Project& project,
                               const Suite& suite, const RunOptions& options,
                               const ResultListener& on_result,
                               const std::function<bool()>& should_stop);

// What running a suite would cost (SPEC §6 `--estimate`), worked out without calling anything:
// the prompts rendered for every selected case, input tokens estimated as the providers'
// missing usage is (ceil(code points / 4)), output tokens from the mean of the latest run of the
// same suite and variant when there is one, else the request's max_tokens (an upper bound),
// else an assumed 256 per call; calls the response cache would answer are free.
struct VariantEstimate {
    int index = 0;
    std::string label;
    int64_t calls = 0;         // cases x repeats after filters
    int64_t cached = 0;        // of which the response cache holds the answer
    int64_t not_rendered = 0;  // cases whose prompt cannot be rendered (error results, no call)
    int64_t input_tokens = 0;  // of the calls not cached
    int64_t output_tokens = 0; // of the calls not cached
    std::string output_basis;  // "mean of run 12", "max_tokens 300 (upper bound)", "assumed 256 per call"
    bool local = false;        // echo or replay: nothing is spent
    std::optional<double> cost_usd; // nullopt: the model is unpriced
};

// The judge's share (model-graded assertions): its calls are planned on each answer the run
// would get, as the run plans them (samples, both orders of select-best), so their number is
// exact; the answer is the cached one when the response cache holds it (and then the judge's
// own cache is asked too), else a stand-in text of the expected output length. Judge output
// tokens come from the latest run of the suite that called the judge, else the judge prompt's
// max_tokens, else an assumed 150 per verdict; embeddings (`similar`) have none.
struct JudgeEstimate {
    std::string provider;   // the judge model's id ("" when only an embedding model is used)
    std::string embedder;   // the embedding model of `similar`, when it is not the judge
    int64_t calls = 0;
    int64_t cached = 0;     // of which the response cache holds the answer
    int64_t input_tokens = 0;  // of the calls not cached
    int64_t output_tokens = 0; // of the calls not cached
    std::string output_basis;
    bool local = false;     // echo or replay judge: nothing is spent
    std::optional<double> cost_usd; // nullopt: a judge or embedding model is unpriced
};

inline constexpr int64_t k_assumed_verdict_tokens = 150;

struct RunEstimate {
    std::vector<VariantEstimate> variants;
    std::optional<JudgeEstimate> judge; // set when the suite has model-graded assertions
    int64_t calls() const;              // the model's calls and the judge's
    double priced_cost_usd() const;     // the sum over the priced variants and judge
    bool has_unpriced() const;
    nlohmann::json to_json() const;     // the README's `eval --estimate --json` shape
};

inline constexpr int64_t k_assumed_output_tokens = 256;

// Fails as run_suite does before its first call (prompts, providers, filters).
Expected<RunEstimate> estimate_suite(store::Database& db, const store::Project& project,
                                     const Suite& suite, const RunOptions& options);

// Recomputes a stored run's summary from its results (for merged runs and `runs show`). The
// flags (stopped_by_cost, ...) come from the stored summary when there is one.
Expected<RunSummary> summarize_run(store::Database& db, int64_t run_id);

} // namespace llmops::eval
