#pragma once
// Which cases of a suite run (SPEC §7 filters), decided one case at a time as the run walks the
// dataset: the walk itself (a suite's cases are streamed, never held) and the filters.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <llmops/eval/suite.hpp>
#include <llmops/store/database.hpp>
#include <llmops/util/error.hpp>

namespace llmops::eval {

// The filters, applied in this order: pattern, failing, sample, first_n, shard.
struct CaseFilter {
    std::optional<std::string> pattern; // ECMAScript regex searched in the case id and description
    std::optional<int64_t> failing_run; // only cases that failed or errored in this run
    // ... or in this results file: a run exported by llmops (cases by id) or promptfoo's
    // `-o results.json` (cases by their variables, as promptfoo's --filter-failing matches them)
    std::optional<std::string> failing_file;
    std::optional<int64_t> sample; // N cases drawn at random (seeded), kept in suite order
    uint64_t seed = 0;
    std::optional<int64_t> first_n;           // the first N cases
    std::optional<std::pair<int, int>> shard; // (I, N), 1-based: cases whose position % N == I-1
};

class CaseSelector;

// The cases a run takes, in suite order, read from the dataset as they are needed.
class CaseFeed {
public:
    // Fails for a filter that leaves no case, a bad pattern, an unknown --failing run or an
    // unreadable --failing file.
    static Expected<CaseFeed> make(store::Database& db, const Suite& suite,
                                   const CaseFilter& filter);
    CaseFeed(CaseFeed&&) noexcept;
    CaseFeed& operator=(CaseFeed&&) noexcept;
    ~CaseFeed();

    // The next case the filters take; nullptr at the end, or when the dataset could not be read
    // again (then `error` says why).
    std::shared_ptr<const TestCase> next();
    int64_t count() const; // how many cases the filters take, known before the first
    const std::optional<Error>& error() const { return m_error; }

private:
    CaseFeed(std::unique_ptr<CaseSelector> selector, CaseSource::Cursor cursor);
    std::unique_ptr<CaseSelector> m_selector;
    std::optional<CaseSource::Cursor> m_cursor;
    bool m_done = false;
    std::optional<Error> m_error;
};

} // namespace llmops::eval
