#include <llmops/eval/scheduler.hpp>

namespace llmops::eval {

Scheduler::Scheduler(int64_t window, int variants, int repeats, Walk walk)
    : m_window(window), m_variants(variants), m_repeats(repeats), m_walk(std::move(walk)) {}

void Scheduler::pump() {
    if (m_pumping) {
        m_pump_again = true;
        return;
    }
    m_pumping = true;
    do {
        m_pump_again = false;
        schedule();
    } while (m_pump_again);
    m_pumping = false;
}

bool Scheduler::room() const {
    return m_outstanding < m_window || (m_case && m_walk.whole && m_walk.whole(*m_case));
}

void Scheduler::schedule() {
    while (!m_stopped && room()) {
        if (!m_case && !m_cases_done) {
            m_case = m_walk.next_case();
            m_cases_done = m_case == nullptr;
        }
        if (!m_case) {
            return;
        }
        if (m_walk.interrupted && m_walk.interrupted()) {
            // Local answers (echo, replay, cache hits) may finish a whole run between two looks
            // of the engine at its stop flag: look before each new item too.
            m_stopped = true;
            return;
        }
        const WorkItem item{m_case, static_cast<int>(m_case->position), m_next_variant,
                            m_next_repeat};
        const bool skipped = m_walk.allowed && !m_walk.allowed(*m_case, m_next_variant);
        // Advance the walk: repeat, then variant, then case.
        if (++m_next_repeat >= m_repeats) {
            m_next_repeat = 0;
            if (++m_next_variant >= m_variants) {
                m_next_variant = 0;
                m_case.reset();
            }
        }
        if (skipped) {
            continue;
        }
        ++m_outstanding;
        if (!m_walk.send(item)) {
            --m_outstanding;
        }
    }
}

} // namespace llmops::eval
