#pragma once
// The scheduler of a run: walks the matrix lazily, case-major, then variant, then repeat, and
// hands each unit of work to a sink while the window of outstanding work has room. It is one
// loop that is never re-entered: work that finishes while the loop runs (a prompt that cannot
// render, a cache hit, a local provider answering at once) asks for another pass instead of
// recursing, so the stack stays flat however many finish at once.

#include <cstdint>
#include <functional>
#include <memory>

#include <llmops/eval/suite.hpp>

namespace llmops::eval {

// One unit of work: a case, a variant, a repeat.
struct WorkItem {
    std::shared_ptr<const TestCase> test;
    int case_index = 0;
    int variant = 0;
    int repeat = 0;
};

class Scheduler {
public:
    struct Walk {
        // The next case to run; nullptr at the end.
        std::function<std::shared_ptr<const TestCase>()> next_case;
        // Starts `item`, which counts as outstanding until `finished()` is called for it (that
        // may happen inside `send`); false when it is not outstanding: skipped, or done within
        // `send` (the estimate's sink prices each item as it is sent).
        std::function<bool(const WorkItem&)> send;
        // Whether a case is scheduled whole, whatever the window (select-best: its answers
        // wait for each other, so a window full of them would wait forever). May be empty.
        std::function<bool(const TestCase&)> whole;
        // Asked before each item: true stops the walk (Ctrl-C). May be empty.
        std::function<bool()> interrupted;
        // Whether a case runs on a variant (a test's `prompts:`/`providers:`); items it refuses
        // are never sent. May be empty (every case on every variant).
        std::function<bool(const TestCase&, int variant)> allowed;
    };

    Scheduler(int64_t window, int variants, int repeats, Walk walk);

    // Sends work until the window is full, the walk ends or the scheduler is stopped.
    void pump();
    // One item sent earlier is done.
    void finished() { --m_outstanding; }
    // Sends nothing more.
    void stop() { m_stopped = true; }
    bool stopped() const { return m_stopped; }
    int64_t outstanding() const { return m_outstanding; }

private:
    void schedule();
    bool room() const;

    int64_t m_window;
    int m_variants;
    int m_repeats;
    Walk m_walk;
    std::shared_ptr<const TestCase> m_case; // the case being walked
    bool m_cases_done = false;
    int m_next_variant = 0;
    int m_next_repeat = 0;
    int64_t m_outstanding = 0;
    bool m_stopped = false;
    bool m_pumping = false;    // pump is on the stack
    bool m_pump_again = false; // work finished and asked for another pass while it was
};

} // namespace llmops::eval
