#pragma once
// The one accumulator of a run's totals (SPEC §10): per variant, what `eval` prints, stores as
// the run's summary, what `runs show`, merges and reports recompute from stored results, and
// the cost and speed of a side of `llmops diff` (compare::Usage, a view of these totals).
// Results are added one at a time (`VariantSummary::add`), whether they come from a run in
// progress, `judge calibrate` or the store, so the totals cannot drift apart.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/eval/assertion.hpp>
#include <llmops/store/database.hpp>
#include <llmops/store/runs.hpp>
#include <llmops/util/error.hpp>

namespace llmops::eval {

// How a result's answer was obtained, for what the run spent on it.
enum class Answer {
    called,   // a call was made, or answered from the response cache (the record's `cached`)
    replayed, // from a recording (replay:): what it cost is counted, nothing was spent
    none,     // no model call at all (judge calibration grades given outputs)
};

// Per-variant totals (errors are never passes or failures).
struct VariantSummary {
    int index = 0;
    std::string label;
    int64_t results = 0;
    int64_t pass = 0;
    int64_t fail = 0;
    int64_t errors = 0;
    double score_sum = 0; // over pass + fail
    int64_t input_tokens = 0;
    int64_t output_tokens = 0;
    double cost_usd = 0;  // of priced calls (cache hits included: what the answers cost)
    double spent_usd = 0; // cost of calls actually made (cache hits and replays excluded)
    int64_t unpriced = 0; // calls with unknown cost
    int64_t cached = 0;
    std::vector<double> latencies_ms; // of calls made (not cache hits)
    // The judge (SPEC §9), apart from the model under test:
    int64_t judge_calls = 0;
    int64_t judge_input_tokens = 0;
    int64_t judge_output_tokens = 0;
    double judge_cost_usd = 0;     // of the priced judge answers
    double judge_spent_usd = 0;    // of those not from the cache or a replay
    int64_t judge_unpriced = 0;    // results with an unpriced judge call
    int64_t judged_assertions = 0; // model-graded assertions graded (errors left out)
    int64_t judge_split = 0;       // of which the judge's samples disagreed (judge noise)
    int64_t position_flips = 0;    // select-best verdicts that flipped with the order

    // Counts one result: its status, score and tokens, and, when its call answered (`r.output`
    // set), cost, latency and the judge's share, read from `assertions` (the verdict's, or the
    // stored ones read back with assertion_results_from_json). Token and call counts saturate
    // at the int64 limits (a hand-edited export may hold any number).
    void add(const store::ResultRecord& r, Answer answer,
             const std::vector<AssertionResult>& assertions);

    double pass_rate() const; // pass / (pass + fail); 0 when nothing was judged
    double mean_score() const;
    double latency_percentile(double p) const; // 0 when there are none
    double judge_noise_rate() const;           // judge_split / judged_assertions (0 when none)
    nlohmann::json to_json() const;            // the stored summary shape (docs/runs.md)

private:
    void add_judge(const store::ResultRecord& r, const std::vector<AssertionResult>& assertions);
};

// What a run produced.
struct RunSummary {
    int64_t run_id = 0;
    std::string status; // complete, interrupted, failed
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

// A verdict's assertion results as stored in a result's `assertions` column, and the parts of
// them summaries need read back (the judge's details, errors, children).
nlohmann::json assertion_json(const AssertionResult& r);
std::vector<AssertionResult> assertion_results_from_json(const nlohmann::json& list);

// Recomputes a stored run's summary from its results (for merged runs and `runs show`). The
// flags (stopped_by_cost, ...) come from the stored summary when there is one.
Expected<RunSummary> summarize_run(store::Database& db, int64_t run_id);

} // namespace llmops::eval
