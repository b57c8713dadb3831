#pragma once
// `llmops metrics serve`: the exposition over HTTP for Prometheus to scrape (GET /metrics),
// from a store opened read-only.

#include <functional>
#include <memory>
#include <string>

#include <llmops/metrics/collect.hpp>
#include <llmops/store/database.hpp>
#include <llmops/traces/serve.hpp>

namespace llmops::metrics {

// One request as the server answered it, for `--verbose`.
struct ScrapeLog {
    std::string method;
    std::string path;
    int status = 200;
    std::string message; // why a scrape failed
};

struct MetricsServeOptions {
    traces::ListenAddress listen;
    Limits limits;
    std::function<void(const ScrapeLog&)> on_request; // called from the server's threads
};

// An HTTP server on `options.listen`: `GET` (or `HEAD`) `/metrics` answers the exposition
// collected from `db` at that moment (the call families updated with the calls imported since
// the previous scrape), Content-Type `text/plain; version=0.0.4; charset=utf-8`, or 503 when the
// store cannot be read; another method on /metrics gets 405, another path 404. One scrape at a
// time.
class MetricsServer {
public:
    MetricsServer(store::Database& db, MetricsServeOptions options);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // Binds the listening socket; returns the port (the one picked when the port was 0). Fails
    // with `io` when the address cannot be bound (in use, not local, no permission).
    Expected<int> bind();
    // Serves until `stop()`; call after `bind()`. Fails with `io` when the listen loop fails.
    Expected<void> run();
    // Stops `run()` after the request in progress (callable from any thread).
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace llmops::metrics
