// `llmops traces serve`: the OTLP/HTTP JSON receiver run as a user runs it, in the background,
// and spoken to with an HTTP client as an OpenTelemetry exporter would.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

using nlohmann::json;

namespace llmops::test {

namespace {

// A GenAI span (`start` empty: a span without a start time, which is rejected).
json genai_span(const std::string& id, const std::string& start = "1795424400000000000") {
    json attributes = json::array(
        {{{"key", "gen_ai.request.model"}, {"value", {{"stringValue", "gpt-4o-mini"}}}},
         {{"key", "gen_ai.usage.input_tokens"}, {"value", {{"intValue", "100"}}}},
         {{"key", "gen_ai.usage.output_tokens"}, {"value", {{"intValue", "10"}}}},
         {{"key", "llmops.prompt.name"}, {"value", {{"stringValue", "support/triage"}}}}});
    json span = {{"traceId", "5b8e"}, {"spanId", id}, {"attributes", attributes}};
    if (!start.empty()) {
        span["startTimeUnixNano"] = start;
        span["endTimeUnixNano"] = start;
    }
    return span;
}

std::string request_body(const json& spans) {
    const json scope = {{"spans", spans}};
    const json resource = {{"scopeSpans", json::array({scope})}};
    return json{{"resourceSpans", json::array({resource})}}.dump();
}

size_t stored_calls(const TempDir& dir) {
    const auto list = llmops(dir.path(), {"traces", "list", "--json", "-n", "0"});
    REQUIRE(list.exit_code == 0);
    return json::parse(list.out).size();
}

} // namespace

TEST_SUITE("cli") {
    TEST_CASE("cli::traces serve stores OTLP/HTTP JSON exports") {
        TempDir dir;
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        ServeProcess serve(dir, {"traces", "serve"}, {"--verbose"});
        auto client = serve.client();
        const json http_span = {{"spanId", "http1"}, {"startTimeUnixNano", "1"}};
        const std::string body =
            request_body(json::array({genai_span("aa01"), genai_span("aa02"), http_span}));
        auto r = client.Post("/v1/traces", body, "application/json");
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body == "{}");
        CHECK(stored_calls(dir) == 2);
        SUBCASE("the same export again stores nothing new") {
            r = client.Post("/v1/traces", body, "application/json");
            REQUIRE(r);
            CHECK(r->status == 200);
            CHECK(stored_calls(dir) == 2);
        }
        SUBCASE("unreadable spans are a partial success") {
            r = client.Post("/v1/traces",
                            request_body(json::array({genai_span("bb01"), genai_span("bb02", "")})),
                            "application/json");
            REQUIRE(r);
            CHECK(r->status == 200);
            const json answer = json::parse(r->body);
            CHECK(answer["partialSuccess"]["rejectedSpans"] == "1");
            CHECK(answer["partialSuccess"]["errorMessage"] ==
                  "1 span rejected: span 2 (id bb02): no 'startTimeUnixNano'");
            CHECK(stored_calls(dir) == 3);
        }
        SUBCASE("a gzip-encoded body is decoded") {
            client.set_compress(true);
            r = client.Post("/v1/traces", request_body(json::array({genai_span("cc01")})),
                            "application/json");
            REQUIRE(r);
            CHECK(r->status == 200);
            CHECK(stored_calls(dir) == 3);
        }
        CHECK(serve.stop(SIGTERM) == 0);
        const std::string log = serve.err();
        CHECK(log.find("POST /v1/traces 200: 2 new, 0 already there, 1 skipped, 0 rejected\n") !=
              std::string::npos);
        CHECK(llmops(dir.path(), {"fsck"}).exit_code == 0);
    }

    TEST_CASE("cli::traces serve: what it acknowledged survives a kill -9") {
        TempDir dir;
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        ServeProcess serve(dir, {"traces", "serve"});
        auto client = serve.client();
        auto r = client.Post("/v1/traces",
                             request_body(json::array({genai_span("dd01"), genai_span("dd02")})),
                             "application/json");
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(serve.stop(SIGKILL) == 128 + SIGKILL);
        CHECK(stored_calls(dir) == 2);
        CHECK(llmops(dir.path(), {"fsck"}).exit_code == 0);
    }

    TEST_CASE("cli::traces serve refuses what it cannot read") {
        TempDir dir;
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        ServeProcess serve(dir, {"traces", "serve"});
        auto client = serve.client();
        const std::string body = request_body(json::array({genai_span("aa01")}));
        auto r = client.Post("/v1/traces", body, "application/x-protobuf");
        REQUIRE(r);
        CHECK(r->status == 415);
        CHECK(json::parse(r->body)["message"] ==
              "protobuf is not supported: send OTLP/HTTP JSON (Content-Type: application/json; "
              "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json)");
        r = client.Post("/v1/logs", body, "application/json");
        REQUIRE(r);
        CHECK(r->status == 404);
        r = client.Post("/v1/traces", "{\"resourceSpans\": [", "application/json");
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(json::parse(r->body)["message"].get<std::string>().starts_with("request:1:"));
        r = client.Post("/v1/traces", std::string(33u << 20, ' '), "application/json");
        REQUIRE(r);
        CHECK(r->status == 413);
        r = client.Get("/healthz");
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(stored_calls(dir) == 0);
        CHECK(serve.stop(SIGINT) == 130);
    }

    TEST_CASE("cli::traces serve: a bad --listen is a usage error") {
        TempDir dir;
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        auto r = llmops(dir.path(), {"traces", "serve", "--listen", "4318"});
        CHECK(r.exit_code == 2);
        CHECK(r.err == "llmops: error: --listen: '4318' is not HOST:PORT (such as "
                       "'127.0.0.1:4318')\n");
        r = llmops(dir.path(), {"traces", "serve", "--listen", "127.0.0.1:99999"});
        CHECK(r.exit_code == 2);
        CHECK(r.err == "llmops: error: --listen: '99999' is not a port (0 to 65535)\n");
        // A port in use is a runtime error.
        ServeProcess serve(dir, {"traces", "serve"});
        const std::string taken = "127.0.0.1:" + std::to_string(serve.port());
        r = llmops(dir.path(), {"traces", "serve", "--listen", taken});
        CHECK(r.exit_code == 3);
        CHECK(r.err ==
              "llmops: error: cannot listen on '" + taken + "': address in use or not local\n");
    }
} // TEST_SUITE

} // namespace llmops::test
