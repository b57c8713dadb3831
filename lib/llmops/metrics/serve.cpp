#include <llmops/metrics/serve.hpp>

#include <mutex>

#include <fmt/format.h>
#include <httplib.h>

#include <llmops/traces/http_server.hpp>

namespace llmops::metrics {

struct MetricsServer::Impl {
    store::Database* db;
    MetricsServeOptions options;
    Collector collector;
    traces::HttpServer http;
    httplib::Server& server = http.server();
    std::mutex scrape; // one scrape at a time: the collector and the connection are not shared

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
    }
};

MetricsServer::MetricsServer(store::Database& db, MetricsServeOptions options)
    : m_impl(std::make_unique<Impl>(db, std::move(options))) {
    m_impl->routes();
}

MetricsServer::~MetricsServer() = default;

Expected<int> MetricsServer::bind() {
    return m_impl->http.bind(m_impl->options.listen);
}

Expected<void> MetricsServer::run() {
    return m_impl->http.run();
}

void MetricsServer::stop() {
    m_impl->http.stop();
}

} // namespace llmops::metrics
