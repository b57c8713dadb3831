#include <llmops/metrics/serve.hpp>

#include <mutex>

#include <fmt/format.h>

#include <llmops/traces/http_server.hpp>

namespace llmops::metrics {

namespace http = traces::http;

struct MetricsServer::Impl {
    store::Database* db;
    MetricsServeOptions options;
    Collector collector;
    traces::HttpServer server;
    std::mutex scrape; // one scrape at a time: the collector and the connection are not shared

    Impl(store::Database& d, MetricsServeOptions o)
        : db(&d), options(std::move(o)), collector(options.limits) {}

    void answer(const http::Request& req, http::Response& res, int status, const std::string& body,
                std::string_view type, std::string message = {}) {
        res.status = status;
        res.set_content(body, std::string(type));
        if (options.on_request) {
            options.on_request({req.method, req.path, status, std::move(message)});
        }
    }

    void on_metrics(const http::Request& req, http::Response& res) {
        const std::lock_guard lock(scrape);
        auto families = collector.collect(*db);
        if (!families) {
            const std::string message = "cannot read the store: " + families.error().message();
            return answer(req, res, 503, message + "\n", "text/plain", message);
        }
        answer(req, res, 200, write_exposition(*families), k_content_type);
    }

    void routes() {
        auto& routes = server.routes();
        routes.routes.push_back(
            {"GET", "/metrics",
             [this](const http::Request& req, http::Response& res) { on_metrics(req, res); }});
        const auto not_allowed = [this](const http::Request& req, http::Response& res) {
            res.set_header("Allow", "GET, HEAD");
            answer(req, res, 405, "use GET for /metrics\n", "text/plain");
        };
        for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
            routes.routes.push_back({method, "/metrics", not_allowed});
        }
        routes.on_error = [this](const http::Request& req, http::Response& res) {
            if (res.status == 404) {
                answer(req, res, 404,
                       fmt::format("no such path '{}': metrics are at GET /metrics\n", req.path),
                       "text/plain");
            }
        };
    }
};

MetricsServer::MetricsServer(store::Database& db, MetricsServeOptions options)
    : m_impl(std::make_unique<Impl>(db, std::move(options))) {
    m_impl->routes();
}

MetricsServer::~MetricsServer() = default;

Expected<int> MetricsServer::bind() {
    return m_impl->server.bind(m_impl->options.listen);
}

Expected<void> MetricsServer::run() {
    return m_impl->server.run();
}

void MetricsServer::stop() {
    m_impl->server.stop();
}

} // namespace llmops::metrics
