#pragma once
// Waiting in tests without depending on the machine's speed. A test waits for an event (a file,
// a count, a flag), never for a duration; every wait has an upper bound that only a hang reaches,
// so a busy machine makes a test slower, never wrong.

#include <chrono>
#include <functional>
#include <thread>

namespace llmops::test {

// How long a test waits for something that is sure to happen: on a machine busy with another
// build it still happens long before this; only a hang (a bug) gets here.
inline constexpr std::chrono::seconds k_hang_limit{120};

// Polls `ready` every few milliseconds until it returns true (then true) or `limit` has passed
// (then false, and the caller's check fails naming what it waited for).
inline bool wait_until(const std::function<bool()>& ready,
                       std::chrono::milliseconds limit = k_hang_limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

} // namespace llmops::test
