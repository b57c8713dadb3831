// traces::SpanExporter against a loopback OTLP receiver: batches, retries, a dead collector, one
// that hangs, and the headers it sends.

#include <llmops/traces/exporter.hpp>

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/loopback.hpp"

using nlohmann::json;
namespace traces = llmops::traces;
namespace store = llmops::store;
using llmops::test::LoopbackServer;

namespace {

// What the receiver saw: the bodies of the requests it answered 200, and the span ids in them.
struct Received {
    std::mutex mutex;
    std::vector<json> bodies;
    std::multiset<std::string> span_ids;
    std::vector<std::string> content_types;
    std::vector<std::string> api_keys;

    void take(const httplib::Request& req) {
        std::lock_guard lock(mutex);
        json body = json::parse(req.body);
        for (const auto& rs : body["resourceSpans"]) {
            for (const auto& ss : rs["scopeSpans"]) {
                for (const auto& span : ss["spans"]) {
                    span_ids.insert(span["spanId"].get<std::string>());
                }
            }
        }
        bodies.push_back(std::move(body));
        content_types.push_back(req.get_header_value("Content-Type"));
        api_keys.push_back(req.get_header_value("api-key"));
    }
};

void add_results(traces::SpanExporter& exporter, int n) {
    store::VariantRecord v;
    v.provider_id = "echo";
    for (int i = 0; i < n; ++i) {
        store::ResultRecord r;
        r.case_id = "c" + std::to_string(i);
        r.status = "pass";
        r.output = "secret output";
        r.created_at = "2026-12-07T10:00:01.000Z";
        exporter.add({1, "2026-12-07T10:00:00.000Z"}, v, r);
    }
}

traces::ExportTarget target(const LoopbackServer& server) {
    traces::ExportTarget t;
    t.url = server.url("/v1/traces");
    t.flush_limit = std::chrono::milliseconds(3000);
    return t;
}

} // namespace

TEST_SUITE("traces") {

    TEST_CASE("traces::SpanExporter") {
        Received received;
        LoopbackServer server;
        int failures_left = 0; // answered 503 before the receiver takes anything
        server.post("/v1/traces", [&](const httplib::Request& req, httplib::Response& res) {
            {
                std::lock_guard lock(received.mutex);
                if (failures_left > 0) {
                    --failures_left;
                    res.status = 503;
                    return;
                }
            }
            received.take(req);
            res.set_content("{}", "application/json");
        });
        server.start();

        SUBCASE("batched: fewer requests than spans, every span once, no content") {
            auto t = target(server);
            t.headers = {{"api-key", "tok-123456789"}};
            traces::SpanExporter exporter(t, traces::Content::off, {});
            add_results(exporter, 600);
            const auto outcome = exporter.finish();
            CHECK(outcome.exported == 600);
            CHECK(outcome.not_exported == 0);
            CHECK(received.span_ids.size() == 600);
            CHECK(
                std::set<std::string>(received.span_ids.begin(), received.span_ids.end()).size() ==
                600);
            CHECK(received.bodies.size() >= 2);
            CHECK(received.bodies.size() < 10);
            CHECK(received.content_types.front() == "application/json");
            CHECK(received.api_keys.front() == "tok-123456789");
            CHECK(received.bodies.front().dump().find("secret output") == std::string::npos);
        }
        SUBCASE("a 503 is retried: every span arrives exactly once") {
            failures_left = 1;
            traces::SpanExporter exporter(target(server), traces::Content::off, {});
            add_results(exporter, 5);
            const auto outcome = exporter.finish();
            CHECK(outcome.exported == 5);
            CHECK(outcome.requests == 2);
            CHECK(received.span_ids.size() == 5);
        }
        SUBCASE("a 404 is not retried, and counted") {
            auto t = target(server);
            t.url = server.url("/missing");
            traces::SpanExporter exporter(t, traces::Content::off, {});
            add_results(exporter, 3);
            const auto outcome = exporter.finish();
            CHECK(outcome.not_exported == 3);
            CHECK(outcome.requests == 1);
            CHECK(outcome.reason == "HTTP 404");
        }
    }

    TEST_CASE("traces::SpanExporter with a collector that is down or hangs") {
        SUBCASE("nobody listening: counted, with the reason") {
            traces::ExportTarget t;
            t.url =
                "http://127.0.0.1:" + std::to_string(LoopbackServer::unused_port()) + "/v1/traces";
            traces::SpanExporter exporter(t, traces::Content::off, {});
            add_results(exporter, 4);
            const auto outcome = exporter.finish();
            CHECK(outcome.exported == 0);
            CHECK(outcome.not_exported == 4);
            CHECK(outcome.reason == "cannot connect");
        }
        SUBCASE("a collector that never answers costs at most the flush limit") {
            LoopbackServer server;
            server.post("/v1/traces", [&](const httplib::Request&, httplib::Response&) {
                server.sleep_unless_stopping(std::chrono::seconds(30));
            });
            server.start();
            auto t = target(server);
            t.flush_limit = std::chrono::milliseconds(300);
            traces::SpanExporter exporter(t, traces::Content::off, {});
            add_results(exporter, 2);
            const auto start = std::chrono::steady_clock::now();
            const auto outcome = exporter.finish();
            CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
            CHECK(outcome.not_exported == 2);
        }
    }
}
