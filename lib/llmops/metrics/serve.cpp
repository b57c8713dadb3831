#include <llmops/metrics/serve.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

namespace llmops::metrics {

struct MetricsServer::Impl {
    store::Database* db;
    MetricsServeOptions options;
    Collector collector;
    httplib::Server server;
    std::mutex scrape; // one scrape at a time: the collector and the connection are not shared
    std::atomic<bool> stopping{false};
    std::atomic<bool> in_run{false};

    Impl(store::Database& d, MetricsServeOptions o)
        : db(&d), options(std::move(o)), collector(options.limits) {}

    void answer(const httplib::Request& req, httplib::Response& res, int status,
                const std::string& body, std::string_view type, std::string message = {}) {
        res.status = status;
        res.set_content(body, std::string(type));
        if (options.on_request) {
            options.on_request({req.method, req.path, status, std::move(message)});
        }
    }

    void on_metrics(const httplib::Request& req, httplib::Response& res) {
        const std::lock_guard lock(scrape);
        auto families = collector.collect(*db);
        if (!families) {
            const std::string message = "cannot read the store: " + families.error().message();
            return answer(req, res, 503, message + "\n", "text/plain", message);
        }
        answer(req, res, 200, write_exposition(*families), k_content_type);
    }

    void routes() {
        server.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
            on_metrics(req, res);
        });
        const auto not_allowed = [this](const httplib::Request& req, httplib::Response& res) {
            res.set_header("Allow", "GET, HEAD");
            answer(req, res, 405, "use GET for /metrics\n", "text/plain");
        };
        server.Post("/metrics", not_allowed);
        server.Put("/metrics", not_allowed);
        server.Patch("/metrics", not_allowed);
        server.Delete("/metrics", not_allowed);
        server.Options("/metrics", not_allowed);
        server.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
            if (res.status == 404) {
                answer(req, res, 404,
                       fmt::format("no such path '{}': metrics are at GET /metrics\n", req.path),
                       "text/plain");
            }
        });
        // httplib's default sets SO_REUSEPORT too, which lets a second server bind a port in use
        // and take half its connections: SO_REUSEADDR alone (a restart binds at once), as
        // `traces serve` does.
        server.set_socket_options([](socket_t sock) {
            int yes = 1;
            ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
        });
    }
};

MetricsServer::MetricsServer(store::Database& db, MetricsServeOptions options)
    : m_impl(std::make_unique<Impl>(db, std::move(options))) {
    m_impl->routes();
}

MetricsServer::~MetricsServer() = default;

Expected<int> MetricsServer::bind() {
    const auto& listen = m_impl->options.listen;
    const int port =
        listen.port == 0
            ? m_impl->server.bind_to_any_port(listen.host)
            : (m_impl->server.bind_to_port(listen.host, listen.port) ? listen.port : -1);
    if (port <= 0) {
        return fail(ErrorCode::io, "cannot listen on '{}:{}': address in use or not local",
                    listen.host, listen.port);
    }
    return port;
}

Expected<void> MetricsServer::run() {
    m_impl->in_run = true;
    const bool ok = m_impl->stopping || m_impl->server.listen_after_bind();
    m_impl->in_run = false;
    if (!ok && !m_impl->stopping) {
        return fail(ErrorCode::io, "the HTTP server stopped: cannot accept connections");
    }
    return {};
}

void MetricsServer::stop() {
    m_impl->stopping = true;
    // httplib's stop() does nothing until the listen loop runs: wait for it when run() began.
    while (m_impl->in_run && !m_impl->server.is_running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    m_impl->server.stop();
}

} // namespace llmops::metrics
