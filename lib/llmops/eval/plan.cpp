#include <llmops/eval/plan.hpp>

#include <algorithm>

namespace llmops::eval {

Expected<RunPlan> plan_run(store::Database& db, const store::Project& project, const Suite& suite,
                           const RunOptions& options, const provider::EnvLookup& env) {
    auto matrix = LLMOPS_TRY(Matrix::make(db, suite, env));
    auto judge =
        LLMOPS_TRY(make_judge_models(db, suite, options.judge, options.judge_samples, env));
    auto prices = LLMOPS_TRY(provider::load_price_table(project.dir / "prices.yaml"));
    auto feed = LLMOPS_TRY(CaseFeed::make(db, suite, options.filter));
    return RunPlan{std::move(matrix), std::move(judge), std::move(prices), std::move(feed),
                   std::max(1, options.repeat.value_or(suite.repeat))};
}

} // namespace llmops::eval
