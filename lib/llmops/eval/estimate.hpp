#pragma once
// `eval --estimate` (SPEC §6) as a dry run: the run's plan (plan.hpp) walked by the run's
// Scheduler, with a sink that prices each WorkItem instead of calling its provider, and the
// judge's calls on each answer the run would get planned by the run's own judge::Planner. No
// call is made and nothing is written but what planning the run writes (the judge prompts,
// committed on first use). `estimate_suite` (runner.hpp) is the whole of it; RunEstimate and
// what is estimated how are described there.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <llmops/eval/judge/planner.hpp>
#include <llmops/eval/plan.hpp>
#include <llmops/eval/runner.hpp>
#include <llmops/eval/scheduler.hpp>
#include <llmops/store/cache.hpp>

namespace llmops::eval {

class EstimateSink {
public:
    // A sink pricing the work of `plan` (a run of `suite`, stored as `suite_path`), whose
    // output tokens per call come from the latest run of `suite_path` in `db` when there is one
    // (see VariantEstimate, JudgeEstimate). `cache` is the response cache (nullptr: none, or
    // --no-cache). `db`, `suite`, `plan` and `cache` must outlive the sink. Fails with the
    // store's error.
    static Expected<EstimateSink> make(store::Database& db, const Suite& suite, RunPlan& plan,
                                       store::ResponseCache* cache, const std::string& suite_path);

    // The walk of `plan`'s case feed into this sink, for a Scheduler over the plan's variants
    // and repeats. The sink must not move while it is used.
    Scheduler::Walk walk();

    // Prices `item`: its call (free when the response cache holds it), then, for a case with
    // model-graded assertions, the judge's calls on the answer it would get (the cached one, a
    // local provider's, else a stand-in of the expected length), and select-best's once the
    // last variant of its case and repeat is in. Returns false: the item is done at once.
    bool send(const WorkItem& item);

    // The estimate so far: complete once the walk has ended (the judge's cost of a case is
    // added when the walk leaves the case).
    const RunEstimate& estimate() const { return m_out; }
    RunEstimate take() { return std::move(m_out); }

private:
    EstimateSink(store::Database& db, const Suite& suite, RunPlan& plan,
                 store::ResponseCache* cache)
        : m_db(db), m_suite(suite), m_plan(plan), m_cache(cache),
          m_judge(db, plan.judge.setup, suite, plan.matrix.size()) {}

    Expected<void> variant_bases(const std::string& suite_path);
    Expected<void> judge_basis(const std::string& suite_path);
    std::shared_ptr<const TestCase> next_case();
    bool expected_answer(const TestCase& test, size_t v, const provider::CompletionRequest& request,
                         int r, bool graded, std::optional<provider::CallOutcome>& answer,
                         VariantEstimate& e) const;
    void price_call(size_t v, const provider::CompletionRequest& request, VariantEstimate& e) const;
    void judge_answer(const WorkItem& item, const std::vector<provider::ChatMessage>* messages,
                      const provider::CallOutcome* answer);
    void price_judge(const judge::Exchange& exchange, std::pair<int, int> slot);
    void add_judge_costs();
    const judge::Setup& judge_setup() const { return m_plan.judge.setup; }

    store::Database& m_db;
    const Suite& m_suite;
    RunPlan& m_plan;
    store::ResponseCache* m_cache;
    judge::Planner m_judge;
    RunEstimate m_out;
    std::vector<int64_t> m_output_per_call; // by variant: output tokens each call is assumed
    int64_t m_verdict_tokens = k_assumed_verdict_tokens;
    // The costs of the judge's calls on the case being walked, by (repeat, variant), a repeat's
    // select-best after its variants (variant = the number of variants). They are added up when
    // the walk leaves the case, in that order: a sum of doubles depends on its order, and the
    // walk visits a case variant-major, not repeat-major as the estimate always summed it.
    std::map<std::pair<int, int>, std::vector<std::optional<double>>> m_judge_costs;
};

} // namespace llmops::eval
