#pragma once
// What llmops's HTTP servers (`traces serve`, `metrics serve`) share apart from their routes:
// binding (port 0 picks one; SO_REUSEADDR only), the listen loop, and a stop that works from a
// signal's thread even before the loop has started. Included by their .cpp files only: the
// public headers keep cpp-httplib out (its build flags change its ABI; NOTES-deps.md).

#include <atomic>

#include <httplib.h>

#include <llmops/traces/serve.hpp>

namespace llmops::traces {

class HttpServer {
public:
    HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // The server, for its routes.
    httplib::Server& server() { return m_server; }

    // Binds to `listen`; returns the port (the one picked when it is 0). Fails with `io` when the
    // address is in use or not local.
    Expected<int> bind(const ListenAddress& listen);

    // Serves until `stop`. Fails with `io` when the loop ends on its own.
    Expected<void> run();

    // Ends `run` (from any thread, before or during it).
    void stop();

private:
    httplib::Server m_server;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_in_run{false};
};

} // namespace llmops::traces
