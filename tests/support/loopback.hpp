#pragma once
// A loopback HTTP server for provider tests (STYLE.md §7: never the network). It binds to a free
// port on 127.0.0.1 at construction; register handlers on `server()` (or with `get`/`post`),
// then call `start()`. It counts every request it receives and stops in its destructor.

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include <httplib.h>

namespace llmops::test {

class LoopbackServer {
public:
    // Binds to a free port on 127.0.0.1, with `threads` worker threads (one per open connection:
    // keep-alive connections hold a worker, so size this for the test's concurrency).
    explicit LoopbackServer(int threads = 32);
    // Stops the server and joins its thread (waiting for handlers still running).
    ~LoopbackServer();
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    // The underlying server, to register handlers before `start()`.
    httplib::Server& server() { return m_server; }
    // Registers a GET or POST handler for `pattern` (a regular expression, as in httplib).
    void get(const std::string& pattern, httplib::Server::Handler handler);
    void post(const std::string& pattern, httplib::Server::Handler handler);

    // Starts serving in a background thread; returns once the listen loop is running.
    void start();

    // The port bound, and "http://127.0.0.1:<port><path>".
    int port() const { return m_port; }
    std::string url(std::string_view path = "/") const;

    // How many requests arrived so far (counted before routing, so unmatched ones count too).
    int request_count() const { return m_requests.load(); }

    // Sleeps up to `duration`, returning early (false) when the server is stopping, so a
    // handler simulating a stalled server does not hold up the test's end.
    bool sleep_unless_stopping(std::chrono::milliseconds duration) const;

    // A port on 127.0.0.1 with nothing listening on it (bound then released; the kernel does
    // not hand it out again at once).
    static int unused_port();

private:
    httplib::Server m_server;
    std::thread m_thread;
    std::atomic<int> m_requests{0};
    std::atomic<bool> m_stopping{false};
    int m_port = -1;
};

} // namespace llmops::test
