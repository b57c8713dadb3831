#pragma once
// What a run, or its estimate, is made of, resolved before any call and in this order (the first
// failure is the one reported): the matrix (prompts and providers), the judge models, the price
// table, the case feed (filters) and the number of repeats. `run_suite` and `estimate_suite` plan
// the same way, so an estimate describes the run it estimates.

#include <llmops/eval/case_selection.hpp>
#include <llmops/eval/matrix.hpp>
#include <llmops/eval/runner.hpp>
#include <llmops/provider/pricing.hpp>
#include <llmops/store/project.hpp>

namespace llmops::eval {

struct RunPlan {
    Matrix matrix;
    JudgeModels judge;
    provider::PriceTable prices;
    CaseFeed feed;
    int repeat = 1;
};

// API keys come from `env` (an estimate passes one that stands in for missing keys).
Expected<RunPlan> plan_run(store::Database& db, const store::Project& project, const Suite& suite,
                           const RunOptions& options, const provider::EnvLookup& env);

} // namespace llmops::eval
