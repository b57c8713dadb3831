#include <llmops/provider/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <support/loopback.hpp>
#include <support/wait.hpp>

using llmops::provider::HttpEngine;
using llmops::provider::HttpRequest;
using llmops::provider::HttpResponse;
using llmops::provider::RetryPolicy;
using llmops::test::LoopbackServer;
using llmops::test::wait_until;
using namespace std::chrono_literals;

namespace {

// Short delays keep the suite fast; the assertions are on outcomes, not timings.
constexpr RetryPolicy k_fast{.max_retries = 3, .base_delay_ms = 10, .max_delay_ms = 50};

HttpRequest get(const std::string& url) {
    HttpRequest request;
    request.method = "GET";
    request.url = url;
    request.timeout_ms = 60000; // only a hang reaches it, even on a busy machine
    return request;
}

// Sends one request through a fresh engine and returns its response.
HttpResponse fetch(HttpRequest request, RetryPolicy retry = k_fast) {
    HttpEngine engine(4);
    HttpResponse result;
    int calls = 0;
    engine.submit(std::move(request), retry, [&](HttpResponse response) {
        ++calls;
        result = std::move(response);
    });
    engine.run();
    CHECK(calls == 1);
    return result;
}

std::string header(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
        if (key == name) {
            return value;
        }
    }
    return "<none>";
}

// A handler answering `failures` times with `status` (and `retry_after`, if set), then 200.
httplib::Server::Handler fail_then_ok(int failures, int status, std::string retry_after = {}) {
    auto seen = std::make_shared<std::atomic<int>>(0);
    return [=](const httplib::Request&, httplib::Response& res) {
        if ((*seen)++ < failures) {
            res.status = status;
            if (!retry_after.empty()) {
                res.set_header("Retry-After", retry_after);
            }
            res.set_content("try again", "text/plain");
            return;
        }
        res.set_content("ok", "text/plain");
    };
}

// Sets (or, given nullopt, unsets) an environment variable for the guard's lifetime.
class EnvGuard {
public:
    EnvGuard(const char* name, std::optional<std::string> value) : m_name(name) {
        if (const char* old = std::getenv(name)) {
            m_old = old;
        }
        value ? setenv(name, value->c_str(), 1) : unsetenv(name);
    }
    ~EnvGuard() { m_old ? setenv(m_name, m_old->c_str(), 1) : unsetenv(m_name); }
    EnvGuard(const EnvGuard&) = delete;
    EnvGuard& operator=(const EnvGuard&) = delete;

private:
    const char* m_name;
    std::optional<std::string> m_old;
};

} // namespace

TEST_SUITE("provider") {

    TEST_CASE("provider::HttpEngine") {
        LoopbackServer loopback;
        loopback.get("/ok", [](const httplib::Request&, httplib::Response& res) {
            res.set_header("X-Request-Id", "abc");
            res.set_content("hello", "text/plain");
        });
        loopback.post("/echo", [](const httplib::Request& req, httplib::Response& res) {
            res.set_content(req.get_header_value("X-Test") + ":" + req.body, "text/plain");
        });
        loopback.get("/429-once", fail_then_ok(1, 429));
        loopback.get("/429-retry-after-60", fail_then_ok(1, 429, "60"));
        loopback.get("/500-always", fail_then_ok(1000, 500));
        loopback.get("/503-once", fail_then_ok(1, 503));
        loopback.get("/400", fail_then_ok(1000, 400));
        loopback.get("/stall", [&](const httplib::Request&, httplib::Response& res) {
            loopback.sleep_unless_stopping(llmops::test::k_hang_limit);
            res.set_content("late", "text/plain");
        });
        loopback.get("/truncated", [](const httplib::Request&, httplib::Response& res) {
            // Announces 1000 bytes, sends 10, then closes the connection.
            res.set_content_provider(1000, "application/octet-stream",
                                     [](size_t offset, size_t, httplib::DataSink& sink) {
                                         if (offset > 0) {
                                             return false;
                                         }
                                         sink.write("0123456789", 10);
                                         return true;
                                     });
        });
        loopback.get("/big", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(std::string(1000, 'x'), "application/octet-stream");
        });
        loopback.get("/big-chunked", [](const httplib::Request&, httplib::Response& res) {
            res.set_chunked_content_provider("application/octet-stream",
                                             [](size_t offset, httplib::DataSink& sink) {
                                                 if (offset >= 1000) {
                                                     sink.done();
                                                     return true;
                                                 }
                                                 std::string chunk(100, 'x');
                                                 sink.write(chunk.data(), chunk.size());
                                                 return true;
                                             });
        });
        std::atomic<int> in_flight{0};
        std::atomic<int> max_in_flight{0};
        // Answers once 10 requests have been in flight together (or after 30 s, which only an
        // engine that never runs 10 at once waits for), so the count does not depend on speed.
        loopback.get("/concurrent", [&](const httplib::Request&, httplib::Response& res) {
            int now = ++in_flight;
            int seen = max_in_flight.load();
            while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
            }
            wait_until([&] { return max_in_flight.load() >= 10; }, 30s);
            --in_flight;
            res.set_content("slow", "text/plain");
        });
        loopback.get("/slow", [&](const httplib::Request&, httplib::Response& res) {
            loopback.sleep_unless_stopping(50ms);
            res.set_content("slow", "text/plain");
        });
        // Answers once the engine was told to stop.
        std::atomic<bool> stop_asked{false};
        loopback.get("/held", [&](const httplib::Request&, httplib::Response& res) {
            wait_until([&] { return stop_asked.load(); });
            res.set_content("slow", "text/plain");
        });
        // The order in which requests arrived, for the Retry-After test: the second attempt of
        // "/limited" is answered once "/ok-logged" has arrived (or after 30 s).
        std::mutex arrivals_mutex;
        std::vector<std::string> arrivals;
        auto arrived = [&](const std::string& what) {
            std::lock_guard lock(arrivals_mutex);
            arrivals.push_back(what);
        };
        std::atomic<int> limited_seen{0};
        std::atomic<bool> ok_seen{false};
        loopback.get("/limited", [&](const httplib::Request&, httplib::Response& res) {
            if (limited_seen++ == 0) {
                arrived("limited 1");
                res.status = 429;
                res.set_header("Retry-After", "1");
                res.set_content("try again", "text/plain");
                return;
            }
            arrived("limited 2");
            wait_until([&] { return ok_seen.load(); }, 30s);
            res.set_content("ok", "text/plain");
        });
        loopback.get("/ok-logged", [&](const httplib::Request&, httplib::Response& res) {
            arrived("ok");
            ok_seen = true;
            res.set_content("hello", "text/plain");
        });
        loopback.start();

        SUBCASE("a 200 comes back with its body, lowercased headers and timings") {
            HttpResponse response = fetch(get(loopback.url("/ok")));
            CHECK(response.status == 200);
            CHECK(response.body == "hello");
            CHECK(response.transport_error.empty());
            CHECK(header(response, "x-request-id") == "abc");
            CHECK(response.attempts == 1);
            REQUIRE(response.first_byte_ms.has_value());
            CHECK(*response.first_byte_ms <= response.latency_ms);
            CHECK(response.latency_ms > 0);
        }

        SUBCASE("a proxy variable does not capture loopback traffic") {
            std::string dead_proxy =
                "http://127.0.0.1:" + std::to_string(LoopbackServer::unused_port());
            EnvGuard proxy("http_proxy", dead_proxy);
            EnvGuard all_proxy("ALL_PROXY", dead_proxy);
            EnvGuard no_proxy("no_proxy", std::nullopt);
            EnvGuard no_proxy_upper("NO_PROXY", std::nullopt);
            HttpResponse response = fetch(get(loopback.url("/ok")), {.max_retries = 0});
            CHECK(response.transport_error == "");
            CHECK(response.body == "hello");
        }

        SUBCASE("a POST sends its headers and body") {
            HttpRequest request = get(loopback.url("/echo"));
            request.method = "POST";
            request.headers = {{"X-Test", "yes"}, {"Content-Type", "application/json"}};
            request.body = std::string(2000, 'b'); // past curl's Expect: 100-continue threshold
            HttpResponse response = fetch(request);
            CHECK(response.status == 200);
            CHECK(response.body == "yes:" + std::string(2000, 'b'));
        }

        SUBCASE("a 429 is retried") {
            HttpResponse response = fetch(get(loopback.url("/429-once")));
            CHECK(response.status == 200);
            CHECK(response.attempts == 2);
            CHECK(loopback.request_count() == 2);
        }

        SUBCASE("Retry-After is honoured without blocking other requests") {
            // One connection slot: the other request is sent while the limited one waits out its
            // Retry-After. The server sees the order; an engine that blocked would send the second
            // attempt first (and be answered only after 30 s).
            HttpEngine engine(1);
            HttpResponse limited;
            auto start = std::chrono::steady_clock::now();
            std::chrono::steady_clock::duration waited{};
            engine.submit(get(loopback.url("/limited")),
                          {.max_retries = 1, .base_delay_ms = 10, .max_delay_ms = 5000},
                          [&](HttpResponse response) {
                              waited = std::chrono::steady_clock::now() - start;
                              limited = std::move(response);
                          });
            int ok = 0;
            engine.submit(get(loopback.url("/ok-logged")), k_fast,
                          [&](HttpResponse response) { ok += response.status == 200 ? 1 : 0; });
            engine.run();
            CHECK(limited.status == 200);
            CHECK(limited.attempts == 2);
            CHECK(ok == 1);
            CHECK(waited >= 900ms);
            CHECK(arrivals == std::vector<std::string>{"limited 1", "ok", "limited 2"});
        }

        SUBCASE("Retry-After is capped at max_delay_ms") {
            // The server asks for 60 s; the cap (20 ms) answers long before that, on any machine.
            auto start = std::chrono::steady_clock::now();
            HttpResponse response =
                fetch(get(loopback.url("/429-retry-after-60")),
                      {.max_retries = 1, .base_delay_ms = 10, .max_delay_ms = 20});
            CHECK(response.status == 200);
            CHECK(response.attempts == 2);
            CHECK(std::chrono::steady_clock::now() - start < 30s);
        }

        SUBCASE("a 500 that persists fails after max_retries + 1 attempts") {
            HttpResponse response =
                fetch(get(loopback.url("/500-always")), {.max_retries = 2, .base_delay_ms = 10});
            CHECK(response.status == 500);
            CHECK(response.body == "try again");
            CHECK(response.attempts == 3);
            CHECK(loopback.request_count() == 3);
        }

        SUBCASE("a 503 is retried") {
            HttpResponse response = fetch(get(loopback.url("/503-once")));
            CHECK(response.status == 200);
            CHECK(response.attempts == 2);
        }

        SUBCASE("a 400 is not retried") {
            HttpResponse response = fetch(get(loopback.url("/400")));
            CHECK(response.status == 400);
            CHECK(response.attempts == 1);
            CHECK(loopback.request_count() == 1);
        }

        SUBCASE("max_retries 0 means exactly one attempt") {
            HttpResponse response =
                fetch(get(loopback.url("/500-always")), {.max_retries = 0, .base_delay_ms = 10});
            CHECK(response.status == 500);
            CHECK(response.attempts == 1);
            CHECK(loopback.request_count() == 1);
        }

        SUBCASE("a stalled server times out, and the timeout is retried") {
            // Long enough for the request to reach the server on a busy machine (it is counted).
            HttpRequest request = get(loopback.url("/stall"));
            request.timeout_ms = 1000;
            HttpResponse response = fetch(request, {.max_retries = 1, .base_delay_ms = 10});
            CHECK(response.status == 0);
            CHECK(response.transport_error == "timed out after 1000 ms");
            CHECK(response.attempts == 2);
            CHECK(loopback.request_count() == 2);
        }

        SUBCASE("a truncated body is a transport error and is retried") {
            HttpResponse response =
                fetch(get(loopback.url("/truncated")), {.max_retries = 1, .base_delay_ms = 10});
            CHECK(response.status == 0);
            CHECK(response.transport_error == "connection closed before the whole body arrived");
            CHECK(response.body.empty());
            CHECK(response.attempts == 2);
        }

        SUBCASE("a body over the size cap fails without a retry") {
            for (const char* path : {"/big", "/big-chunked"}) {
                CAPTURE(path);
                HttpRequest request = get(loopback.url(path));
                request.max_response_bytes = 100;
                HttpResponse response = fetch(request);
                CHECK(response.status == 0);
                CHECK(response.transport_error == "response larger than 100 bytes");
                CHECK(response.attempts == 1);
            }
            CHECK(loopback.request_count() == 2);
        }

        SUBCASE("a port with nothing listening gives connection refused") {
            std::string url = "http://127.0.0.1:" + std::to_string(LoopbackServer::unused_port());
            HttpResponse response = fetch(get(url + "/"), {.max_retries = 1, .base_delay_ms = 10});
            CHECK(response.status == 0);
            CHECK(response.transport_error == "connection refused");
            CHECK(response.attempts == 2);
        }

        SUBCASE("an unsupported scheme fails at once") {
            HttpResponse response = fetch(get("file:///etc/passwd"));
            CHECK(response.transport_error == "unsupported url scheme (use http or https)");
            CHECK(response.attempts == 1);
        }

        SUBCASE("requests run concurrently up to max_concurrency") {
            HttpEngine engine(10);
            int succeeded = 0;
            for (int i = 0; i < 20; ++i) {
                engine.submit(get(loopback.url("/concurrent")), k_fast, [&](HttpResponse response) {
                    succeeded += response.status == 200 && response.body == "slow" ? 1 : 0;
                });
            }
            engine.run();
            CHECK(succeeded == 20);
            CHECK(max_in_flight.load() == 10);
        }

        SUBCASE("should_stop cancels queued requests and lets in-flight ones finish") {
            HttpEngine engine(1);
            std::vector<HttpResponse> responses;
            for (int i = 0; i < 3; ++i) {
                engine.submit(get(loopback.url("/held")), k_fast, [&](HttpResponse response) {
                    responses.push_back(std::move(response));
                });
            }
            // The first request is held at the server until the engine has been told to stop.
            engine.run([&] {
                if (loopback.request_count() >= 1) {
                    stop_asked = true;
                }
                return stop_asked.load();
            });
            REQUIRE(responses.size() == 3);
            int cancelled = 0;
            int succeeded = 0;
            for (const HttpResponse& response : responses) {
                if (response.transport_error == "cancelled" && response.attempts == 0) {
                    ++cancelled;
                }
                succeeded += response.status == 200 ? 1 : 0;
            }
            CHECK(cancelled == 2);
            CHECK(succeeded == 1);
            CHECK(loopback.request_count() == 1);
        }

        SUBCASE("a callback can submit more work") {
            HttpEngine engine(2);
            std::vector<std::string> bodies;
            engine.submit(get(loopback.url("/ok")), k_fast, [&](HttpResponse first) {
                bodies.push_back(first.body);
                engine.submit(get(loopback.url("/slow")), k_fast,
                              [&](HttpResponse second) { bodies.push_back(second.body); });
            });
            engine.run();
            CHECK(bodies == std::vector<std::string>{"hello", "slow"});
        }
    }

    TEST_CASE("provider::parse_retry_after_ms") {
        using llmops::provider::parse_retry_after_ms;
        auto now = std::chrono::system_clock::from_time_t(1445412480); // 2015-10-21 07:28:00 UTC
        CHECK(parse_retry_after_ms("2", now) == 2000);
        CHECK(parse_retry_after_ms(" 0 ", now) == 0);
        CHECK(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:30 GMT", now) == 30000);
        CHECK(parse_retry_after_ms("Wed, 21 Oct 2015 07:27:00 GMT", now) == 0);
        CHECK(parse_retry_after_ms("soon", now) == std::nullopt);
        CHECK(parse_retry_after_ms("", now) == std::nullopt);
    }

    TEST_CASE("provider::is_retryable_status") {
        using llmops::provider::is_retryable_status;
        for (long status : {408L, 409L, 429L, 500L, 502L, 503L, 504L}) {
            CAPTURE(status);
            CHECK(is_retryable_status(status));
        }
        for (long status : {200L, 301L, 400L, 401L, 403L, 404L, 422L}) {
            CAPTURE(status);
            CHECK_FALSE(is_retryable_status(status));
        }
    }
}
