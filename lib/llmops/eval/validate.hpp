#pragma once
// `eval --validate`: everything a run checks before its first call, and no call. The matrix is
// resolved (prompts loaded, providers created with their keys), the judge set up, the prices and
// the filters read, and every case rendered against every prompt, streamed, so a missing
// variable in case 4,812 is found before anything is spent. Every problem is collected (up to
// `k_max_problems`), not only the first.

#include <cstdint>
#include <string>
#include <vector>

#include <llmops/eval/runner.hpp>
#include <llmops/provider/provider.hpp>
#include <llmops/store/database.hpp>

namespace llmops::eval {

struct Validation {
    static constexpr size_t k_max_problems = 20;

    int64_t prompts = 0;
    int64_t providers = 0;
    int64_t cases = 0; // the cases the filters take
    int repeat = 1;
    std::vector<Error> problems; // the first k_max_problems found, in the order found
    int64_t more_problems = 0;   // found beyond those

    bool ok() const { return problems.empty(); }
    int64_t calls() const { return static_cast<int64_t>(prompts * providers) * cases * repeat; }
};

// Validates `suite` as `run_suite` would run it with `options`. `db` holds the store's prompts
// (an empty in-memory store when there is no project: nothing is written anywhere); the price
// table is `prices_file` when given, else the built-in one. Fails only when the store cannot be
// read.
Expected<Validation> validate_suite(store::Database& db, const Suite& suite,
                                    const RunOptions& options,
                                    const std::optional<std::filesystem::path>& prices_file,
                                    const provider::EnvLookup& env);

// The configuration steps of a run, without its cases: the providers created (their keys found),
// the judge set up. `eval` runs it before it creates a project, so a missing API key leaves no
// `.llmops/` behind. Fails with the first problem.
Expected<void> check_configuration(store::Database& db, const Suite& suite,
                                   const RunOptions& options, const provider::EnvLookup& env);

} // namespace llmops::eval
