#include <llmops/eval/validate.hpp>

#include <algorithm>

#include <fmt/format.h>

#include <llmops/eval/case_selection.hpp>
#include <llmops/eval/matrix.hpp>
#include <llmops/provider/pricing.hpp>
#include <llmops/store/prompts.hpp>

namespace llmops::eval {

namespace {

class Problems {
public:
    explicit Problems(Validation& out) : m_out(out) {}
    void add(Error error) {
        if (m_out.problems.size() < Validation::k_max_problems) {
            m_out.problems.push_back(std::move(error));
        } else {
            ++m_out.more_problems;
        }
    }
    // Adds the error of `result`, if any; true when there was none.
    template <typename T>
    bool check(Expected<T>& result) {
        if (!result) {
            add(result.error());
        }
        return result.has_value();
    }

private:
    Validation& m_out;
};

// Renders every case the feed takes against every prompt, as the run would before each call.
void render_cases(const Matrix& matrix, CaseFeed& feed, store::PromptStore& prompts,
                  Problems& problems) {
    while (auto test = feed.next()) {
        const ResolvedPrompt* last = nullptr;
        bool runs = false;
        for (size_t v = 0; v < matrix.size(); ++v) {
            if (!matrix.allows(static_cast<int>(v), *test)) {
                continue;
            }
            runs = true;
            // Variants are prompt-major: a prompt is rendered once per case, whatever the
            // number of providers, so a missing variable is one problem, not one per model.
            if (&matrix.prompt_of(static_cast<int>(v)) == last) {
                continue;
            }
            last = &matrix.prompt_of(static_cast<int>(v));
            auto request = matrix.request(static_cast<int>(v), *test, prompts);
            problems.check(request);
        }
        if (!runs) { // its `prompts:`/`providers:` name nothing of the suite (a typo?)
            problems.add(Error(ErrorCode::invalid_input,
                               fmt::format("{}: its 'prompts'/'providers' name no prompt or "
                                           "provider of the suite, so it would never run",
                                           test->where)));
        }
    }
    if (feed.error()) {
        problems.add(*feed.error());
    }
}

} // namespace

Expected<Validation> validate_suite(store::Database& db, const Suite& suite,
                                    const RunOptions& options,
                                    const std::optional<std::filesystem::path>& prices_file,
                                    const provider::EnvLookup& env) {
    Validation out;
    out.prompts = static_cast<int64_t>(suite.prompts.size());
    out.providers = static_cast<int64_t>(suite.providers.size());
    out.repeat = std::max(1, options.repeat.value_or(suite.repeat));
    Problems problems(out);
    // The steps of plan_run, each checked even when one before it failed.
    auto matrix = Matrix::make(db, suite, env);
    problems.check(matrix);
    auto judge = make_judge_models(db, suite, options.judge, options.judge_samples, env);
    problems.check(judge);
    auto prices = provider::load_price_table(prices_file);
    problems.check(prices);
    auto feed = CaseFeed::make(db, suite, options.filter);
    if (!problems.check(feed)) {
        return out;
    }
    out.cases = feed->count();
    if (matrix) {
        store::PromptStore prompts(db);
        render_cases(*matrix, *feed, prompts, problems);
    }
    return out;
}

Expected<void> check_configuration(store::Database& db, const Suite& suite,
                                   const RunOptions& options, const provider::EnvLookup& env) {
    LLMOPS_TRY(Matrix::make(db, suite, env));
    LLMOPS_TRY(make_judge_models(db, suite, options.judge, options.judge_samples, env));
    return {};
}

} // namespace llmops::eval
