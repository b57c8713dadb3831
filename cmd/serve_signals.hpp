#pragma once
// How the servers (`traces serve`, `metrics serve`) stop: SIGTERM and SIGHUP exit 0, SIGINT 130.

#include <atomic>
#include <csignal>
#include <ctime>
#include <thread>

#include "cli.hpp"

namespace llmops::cmd {

// The stop signals of a server, taken synchronously: blocked from construction (before the
// server's threads start, so they inherit the mask and none of them is interrupted), then
// waited for by `wait` on this thread. The mask is restored at destruction.
class StopSignals {
public:
    StopSignals() {
        sigemptyset(&m_set);
        for (const int s : {SIGINT, SIGTERM, SIGHUP}) {
            sigaddset(&m_set, s);
        }
        pthread_sigmask(SIG_BLOCK, &m_set, &m_previous);
    }
    ~StopSignals() { pthread_sigmask(SIG_SETMASK, &m_previous, nullptr); }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // Waits for a stop signal, or for `done` to turn true; returns the signal (0 for `done`).
    int wait(const std::atomic<bool>& done) const {
        const timespec tick{0, 100'000'000};
        while (!done) {
            if (const int s = sigtimedwait(&m_set, nullptr, &tick); s > 0) {
                return s;
            }
        }
        return 0;
    }

private:
    sigset_t m_set{};
    sigset_t m_previous{};
};

// Runs `server` (bound already: its `run()` serves until its `stop()`) until a signal: SIGTERM
// and SIGHUP (how services are stopped) exit 0, SIGINT (Ctrl-C) 130 as every command does; a
// listen loop that fails exits 3.
template <typename Server>
Expected<int> serve_until_signal(Server& server, const StopSignals& signals) {
    std::atomic<bool> done{false};
    Expected<void> served;
    std::thread thread([&] {
        served = server.run();
        done = true;
    });
    const int signal = signals.wait(done);
    server.stop();
    thread.join();
    if (!served) {
        return fail(served.error());
    }
    return signal == SIGINT ? k_exit_interrupted : k_exit_ok;
}

} // namespace llmops::cmd
