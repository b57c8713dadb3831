#pragma once
// What llmops's HTTP servers (`traces serve`, `metrics serve`) share apart from their routes:
// the HTTP plugin (`http_api.hpp`) opened, binding (port 0 picks one; SO_REUSEADDR only), the
// listen loop, and a stop that works from a signal's thread even before the loop has started.
// Included by their .cpp files and the exporter's only.

#include <atomic>
#include <memory>
#include <mutex>

#include <llmops/traces/http_api.hpp>
#include <llmops/traces/serve.hpp>

namespace llmops::traces {

// The HTTP plugin, opened at the first call (later calls return the same result). Looked for at
// `LLMOPS_HTTP_PLUGIN` when set (a file), else as `libllmops_http.so` beside the executable (its
// real path) and in the folder the install puts it in, relative to the executable
// (`<bin>/../lib/llmops/`). Fails with `io` naming the file or the folders searched.
Expected<const http::Plugin*> load_http_plugin();

class HttpServer {
public:
    HttpServer() = default;
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // The routes, to fill before `bind`.
    http::Routes& routes() { return m_routes; }

    // Opens the plugin and binds to `listen`; returns the port (the one picked when it is 0).
    // Fails with `io` when the plugin cannot be loaded or the address is in use or not local.
    Expected<int> bind(const ListenAddress& listen);

    // Serves until `stop`. Fails with `io` when the loop ends on its own.
    Expected<void> run();

    // Ends `run` (from any thread, before or during it).
    void stop();

private:
    http::Routes m_routes;
    std::mutex m_mutex; // guards m_server's creation against a `stop` from another thread
    std::unique_ptr<http::Server> m_server;
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_in_run{false};
};

} // namespace llmops::traces
