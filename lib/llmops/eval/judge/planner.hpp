#pragma once
// Which judge calls a run makes on its answers, planned one way for the run (runner.cpp) and for
// its estimate (estimate.cpp), so that an estimate counts the calls the run makes:
//   - each answer's model-graded assertions but select-best, on that answer, as it arrives
//     (`Planner::answer`; N samples each, `judge::plan`);
//   - select-best once per case and repeat, when every variant scheduled for it has answered
//     or failed, on the outputs of those that answered, in both orders, with the input of the
//     lowest of them (`Planner::arrive`), then shared out to each of those answers (`share`).
// The caller makes the calls (the run through the engine) or prices them (the estimate).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <llmops/eval/judge/judge.hpp>
#include <llmops/provider/outcome.hpp>
#include <llmops/provider/types.hpp>
#include <llmops/store/database.hpp>

namespace llmops::eval {
struct TestCase;
} // namespace llmops::eval

namespace llmops::eval::judge {

class Planner {
public:
    // Plans on `setup` (its judge prompts are loaded from `db` when a case needs one not loaded
    // yet) for a run of `suite` over `variants` variants. All three must outlive the planner.
    Planner(store::Database& db, Setup& setup, const Suite& suite, size_t variants)
        : m_db(db), m_setup(setup), m_suite(suite), m_variants(variants) {}

    // Whether `test`'s answers to each repeat wait for each other: it has select-best. Such a
    // case is scheduled whole (see Scheduler::Walk::whole).
    static bool grouped(const TestCase& test);

    // The judge calls of the model-graded assertions of `test` but select-best on one answer
    // (the request's `messages` and its `outcome`); none when it has none. Judge prompts not
    // loaded yet are loaded first (suites built in memory list none up front); one that cannot
    // be is added to `warnings` and leaves its assertions unplanned (errors when graded).
    Exchange answer(const TestCase& test, const std::vector<provider::ChatMessage>& messages,
                    const provider::CallOutcome& outcome, std::vector<std::string>& warnings);

    // Expects `count` answers (the variants scheduled: fewer when some are stored already) to
    // repeat `repeat` of the grouped case at `position`.
    void expect(int64_t position, int repeat, int count);

    // One variant's answer to a grouped case and repeat arrived (`outcome` null: the call failed
    // or its prompt could not be rendered). nullopt while the group waits for more; once every
    // expected answer is in, the group's select-best calls (none when no variant answered).
    std::optional<Exchange> arrive(const TestCase& test, int repeat, int variant,
                                   const std::vector<provider::ChatMessage>* messages,
                                   const provider::CallOutcome* outcome);

    // Gives `variant`'s answer its share of its group's select-best calls (`group`, as `arrive`
    // returned them, with their replies): each assertion's calls, with `self` set to `variant`.
    static void share(const Exchange& group, int variant, Exchange& mine);

private:
    // The answers to one case and repeat so far.
    struct Group {
        int expected = 0;
        int arrived = 0;
        Peers peers;
        // The lowest variant that answered, whose input the judge is shown (not the first to
        // answer: the judge prompt, and so its cache key, must not depend on arrival order).
        int first = -1;
        std::string first_prompt; // its prompt text
        provider::CallOutcome first_outcome;
    };

    store::Database& m_db;
    Setup& m_setup;
    const Suite& m_suite;
    size_t m_variants;
    std::map<std::pair<int64_t, int>, Group> m_groups; // by (case position, repeat)
};

} // namespace llmops::eval::judge
