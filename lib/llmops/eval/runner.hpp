#pragma once
// Running a suite (SPEC §10): the matrix prompts x providers x cases x repeats through the call
// engine, every result written to the store as it arrives (batched transactions), the run's
// provenance recorded, --resume, filters and sharding, --max-cost and --max-errors, Ctrl-C.
// The rooms: plan.hpp (what a run is made of, shared with the estimate), matrix.hpp (prompts x
// providers, requests), case_selection.hpp (filters, the dataset walk), scheduler.hpp (the
// window, one loop), session.hpp (the run in the store, the engine loop), provenance.hpp,
// summary.hpp (totals), judge/planner.hpp (which judge calls, select-best groups; shared with the
// estimate); runner.cpp joins them with the judge's calls and verdicts; estimate.hpp is
// --estimate: a sink that prices the work, plugged into the same scheduler.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/eval/case_selection.hpp>
#include <llmops/eval/provenance.hpp>
#include <llmops/eval/suite.hpp>
#include <llmops/eval/summary.hpp>
#include <llmops/provider/engine.hpp>
#include <llmops/store/database.hpp>
#include <llmops/store/project.hpp>
#include <llmops/store/runs.hpp>

namespace llmops::eval {

struct RunOptions {
    int concurrency = 4; // -j
    provider::CacheMode cache_mode = provider::CacheMode::use;
    std::optional<std::filesystem::path> record; // --record FILE
    CaseFilter filter;
    std::optional<int> repeat;            // --repeat, over the suite's
    std::optional<double> max_cost;       // stop scheduling past this spend (USD)
    std::optional<int64_t> max_errors;    // stop scheduling past this many errors
    int64_t max_connection_failures = 20; // stop after this many calls in a row could
                                          // not reach their provider (0: never)
    std::optional<int64_t> resume_run;    // --resume RUN
    std::string command_line;             // for provenance
    std::string suite_display_path;       // how the suite is named in the run
    std::optional<std::string> judge;     // --judge PROVIDER (over the suite's)
    std::optional<int> judge_samples;     // --judge-samples N (over judge.samples)
    GitProbe git_probe;                   // empty: git itself (tests inject one)
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
    std::string
        output_basis;   // "mean of run 12", "max_tokens 300 (upper bound)", "assumed 256 per call"
    bool local = false; // echo or replay: nothing is spent
    std::optional<double> cost_usd; // nullopt: the model is unpriced
};

// The judge's share (model-graded assertions): its calls are planned on each answer the run
// would get, as the run plans them (samples, both orders of select-best), so their number is
// exact; the answer is the cached one when the response cache holds it (and then the judge's
// own cache is asked too), else a stand-in text of the expected output length. Judge output
// tokens come from the latest run of the suite that called the judge, else the judge prompt's
// max_tokens, else an assumed 150 per verdict; embeddings (`similar`) have none.
struct JudgeEstimate {
    std::string provider; // the judge model's id ("" when only an embedding model is used)
    std::string embedder; // the embedding model of `similar`, when it is not the judge
    int64_t calls = 0;
    int64_t cached = 0;        // of which the response cache holds the answer
    int64_t input_tokens = 0;  // of the calls not cached
    int64_t output_tokens = 0; // of the calls not cached
    std::string output_basis;
    bool local = false;             // echo or replay judge: nothing is spent
    std::optional<double> cost_usd; // nullopt: a judge or embedding model is unpriced
};

inline constexpr int64_t k_assumed_verdict_tokens = 150;

struct RunEstimate {
    std::vector<VariantEstimate> variants;
    std::optional<JudgeEstimate> judge; // set when the suite has model-graded assertions
    int64_t calls() const;              // the model's calls and the judge's
    double priced_cost_usd() const;     // the sum over the priced variants and judge
    bool has_unpriced() const;
    nlohmann::json to_json() const; // docs/runs.md's `eval --estimate --json` shape
};

inline constexpr int64_t k_assumed_output_tokens = 256;

// Fails as run_suite does before its first call (prompts, providers, filters).
Expected<RunEstimate> estimate_suite(store::Database& db, const store::Project& project,
                                     const Suite& suite, const RunOptions& options);

} // namespace llmops::eval
