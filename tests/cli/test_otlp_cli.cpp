// `eval --otlp-endpoint` and `runs export --format otlp` (docs/otlp.md): the calls of an offline
// run (echo, and an exec: provider that fails) sent to a loopback OTLP receiver, to `traces serve`,
// and written to a file that `traces import` reads back span for span.

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/serve_process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

using nlohmann::json;

namespace llmops::test {

namespace {

// Two variants (echo answers, exec:false fails) over two cases.
constexpr const char* k_suite = "prompts: ['Say {{word}}']\n"
                                "providers: [echo, 'exec:false']\n"
                                "tests:\n"
                                "  - vars: {word: hi}\n    assert: [{type: contains, value: hi}]\n"
                                "  - vars: {word: yo}\n    assert: [{type: contains, value: hi}]\n";

std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The spans of a JSON-lines file or of request bodies, by span id.
void collect_spans(const json& request, std::map<std::string, json>& out) {
    for (const auto& rs : request.at("resourceSpans")) {
        for (const auto& ss : rs.at("scopeSpans")) {
            for (const auto& span : ss.at("spans")) {
                out[span.at("spanId").get<std::string>()] = span;
            }
        }
    }
}

json attribute(const json& span, const std::string& key) {
    for (const auto& kv : span.at("attributes")) {
        if (kv.at("key") == key) {
            return kv.at("value");
        }
    }
    return nullptr;
}

// A loopback OTLP receiver: answers `failures` requests 503 first, then takes every request.
struct Receiver {
    LoopbackServer server;
    std::mutex mutex;
    int failures = 0;
    std::vector<std::string> bodies;
    std::vector<std::string> authorization;
    std::map<std::string, int> seen; // span id -> times received

    Receiver() {
        server.post("/v1/traces", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex);
            if (failures > 0) {
                --failures;
                res.status = 503;
                return;
            }
            bodies.push_back(req.body);
            authorization.push_back(req.get_header_value("Authorization"));
            std::map<std::string, json> spans;
            collect_spans(json::parse(req.body), spans);
            for (const auto& [id, span] : spans) {
                ++seen[id];
            }
            res.set_content("{}", "application/json");
        });
        server.start();
    }
};

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::eval --otlp-endpoint exports each call to an OTLP/HTTP collector") {
        TempDir dir;
        dir.write("suite.yaml", k_suite);
        Receiver receiver;
        const std::map<std::string, std::string> env = {
            {"OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20tok-s3cr3t-0123456789"}};
        SUBCASE("batched, every span once, GenAI attributes, no content, the header sent") {
            const auto r = llmops(
                dir.path(),
                {"eval", "suite.yaml", "--otlp-endpoint", receiver.server.url("/v1/traces")}, env);
            CHECK(r.exit_code == 3); // exec:false's errors, as without the export
            CHECK(r.err.find("otlp:") == std::string::npos);
            CHECK(r.err.find("tok-s3cr3t") == std::string::npos);
            std::lock_guard lock(receiver.mutex);
            CHECK(receiver.seen.size() == 4);
            for (const auto& [id, times] : receiver.seen) {
                CHECK(times == 1);
            }
            CHECK(receiver.bodies.size() < 4);
            CHECK(receiver.authorization.front() == "Bearer tok-s3cr3t-0123456789");
            std::map<std::string, json> spans;
            collect_spans(json::parse(receiver.bodies.front()), spans);
            const json& span = spans.begin()->second;
            CHECK(attribute(span, "gen_ai.operation.name") == json{{"stringValue", "chat"}});
            CHECK(attribute(span, "llmops.run.id") == json{{"intValue", "1"}});
            CHECK(receiver.bodies.front().find("Say hi") == std::string::npos);
            CHECK(receiver.bodies.front().find("\"status\":{\"code\":2") != std::string::npos);
            // The file export of the run gives exactly the spans the collector received.
            std::map<std::string, json> sent;
            for (const auto& body : receiver.bodies) {
                collect_spans(json::parse(body), sent);
            }
            REQUIRE(llmops(dir.path(), {"runs", "export", "1", "--format", "otlp", "-o", "s.jsonl"})
                        .exit_code == 0);
            std::map<std::string, json> written;
            std::istringstream file(slurp(dir / "s.jsonl"));
            for (std::string line; std::getline(file, line);) {
                collect_spans(json::parse(line), written);
            }
            CHECK(written == sent);
        }
        SUBCASE("a 503 is retried: every span arrives exactly once") {
            receiver.failures = 1;
            const auto r =
                llmops(dir.path(), {"eval", "suite.yaml", "--otlp-endpoint",
                                    receiver.server.url("/v1/traces"), "--otlp-content"});
            CHECK(r.exit_code == 3);
            CHECK(r.err.find("otlp:") == std::string::npos);
            std::lock_guard lock(receiver.mutex);
            CHECK(receiver.seen.size() == 4);
            for (const auto& [id, times] : receiver.seen) {
                CHECK(times == 1);
            }
            CHECK(receiver.bodies.front().find("Say hi") != std::string::npos);
        }
    }

    TEST_CASE("cli::eval --otlp-endpoint: a dead or hung collector costs a warning, not the run") {
        TempDir dir;
        dir.write("suite.yaml", k_suite);
        const std::map<std::string, std::string> env = {
            {"OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=tok-s3cr3t-0123456789"}};
        SUBCASE("nobody listening") {
            const int port = LoopbackServer::unused_port();
            const auto r = llmops(dir.path(),
                                  {"eval", "suite.yaml", "--otlp-endpoint",
                                   "http://127.0.0.1:" + std::to_string(port) + "/v1/traces"},
                                  env);
            CHECK(r.exit_code == 3);
            CHECK(r.err.find(fmt::format("llmops: warning: otlp: 4 spans not exported to "
                                         "http://127.0.0.1:{}/v1/traces: cannot connect\n",
                                         port)) != std::string::npos);
            CHECK(r.err.find("tok-s3cr3t") == std::string::npos);
            CHECK(r.out.find("tok-s3cr3t") == std::string::npos);
        }
        SUBCASE("a collector that never answers: the run ends within the flush limit") {
            LoopbackServer hung;
            hung.post("/v1/traces", [&](const httplib::Request&, httplib::Response&) {
                hung.sleep_unless_stopping(std::chrono::seconds(60));
            });
            hung.start();
            auto slow_env = env;
            slow_env["OTEL_BSP_EXPORT_TIMEOUT"] = "500";
            const auto start = std::chrono::steady_clock::now();
            const auto r =
                llmops(dir.path(),
                       {"eval", "suite.yaml", "--otlp-endpoint", hung.url("/v1/traces")}, slow_env);
            CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
            CHECK(r.exit_code == 3);
            CHECK(r.err.find("llmops: warning: otlp: 4 spans not exported to ") !=
                  std::string::npos);
        }
        SUBCASE("a bad endpoint or header variable is a usage error before any call") {
            auto r =
                llmops(dir.path(), {"eval", "suite.yaml", "--otlp-endpoint", "collector:4318"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: --otlp-endpoint 'collector:4318': not an http:// or "
                           "https:// URL\n");
            r = llmops(dir.path(), {"eval", "suite.yaml"},
                       {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"},
                        {"OTEL_EXPORTER_OTLP_HEADERS", "tok-s3cr3t-0123456789"}});
            CHECK(r.exit_code == 2);
            CHECK(r.err.find("OTEL_EXPORTER_OTLP_HEADERS: entry 1 is not key=value") !=
                  std::string::npos);
            CHECK(r.err.find("tok-s3cr3t") == std::string::npos);
        }
    }

    TEST_CASE("cli::runs export --format otlp round-trips through traces import") {
        TempDir dir;
        dir.write("suite.yaml", k_suite);
        REQUIRE(llmops(dir.path(), {"eval", "suite.yaml"}).exit_code == 3);
        const auto results_text =
            llmops(dir.path(), {"runs", "export", "1", "-o", "-", "--format", "jsonl"});
        std::map<std::string, json> results; // by variant/case
        std::istringstream lines(results_text.out);
        for (std::string line; std::getline(lines, line);) {
            const json r = json::parse(line);
            results[fmt::format("{}/{}", r["variant"].get<int>(),
                                r["case_id"].get<std::string>())] = r;
        }
        REQUIRE(results.size() == 4);
        for (const bool content : {false, true}) {
            CAPTURE(content);
            std::vector<std::string> args = {"runs", "export", "1",          "--format",
                                             "otlp", "-o",     "spans.jsonl"};
            if (content) {
                args.push_back("--otlp-content");
            }
            REQUIRE(llmops(dir.path(), args).exit_code == 0);
            // Exported twice, the same spans.
            const std::string first = slurp(dir / "spans.jsonl");
            REQUIRE(llmops(dir.path(), args).exit_code == 0);
            CHECK(slurp(dir / "spans.jsonl") == first);
            std::map<std::string, json> spans;
            std::istringstream file(first);
            for (std::string line; std::getline(file, line);) {
                collect_spans(json::parse(line), spans);
            }
            const auto fresh = dir / (content ? "fresh-content" : "fresh");
            std::filesystem::create_directories(fresh);
            REQUIRE(llmops(fresh, {"init"}).exit_code == 0);
            const auto imported =
                llmops(fresh, {"traces", "import", (dir / "spans.jsonl").string()});
            REQUIRE(imported.exit_code == 0);
            const json calls = json::parse(llmops(fresh, {"traces", "list", "--json"}).out);
            REQUIRE(calls.size() == spans.size());
            for (const auto& call : calls) {
                const json& span = spans.at(call["span_id"].get<std::string>());
                const std::string key = fmt::format(
                    "{}/{}", attribute(span, "llmops.variant")["intValue"].get<std::string>(),
                    attribute(span, "llmops.case.id")["stringValue"].get<std::string>());
                const json& r = results.at(key);
                CHECK(call["model"] == (r["variant"] == 0 ? "echo" : "false"));
                CHECK(call["error"] == (r["status"] == "error"));
                CHECK(call["latency_ms"].get<double>() ==
                      doctest::Approx(r["latency_ms"].get<double>()).epsilon(0.001));
                if (r["status"] != "error") {
                    CHECK(call["input_tokens"] == r["usage"]["input"]);
                    CHECK(call["output_tokens"] == r["usage"]["output"]);
                }
                if (content && r["output"].is_string()) {
                    CHECK(call["output"] == r["output"]);
                    CHECK(call["messages"] == r["prompt"]);
                } else {
                    CHECK(call["output"].is_null());
                }
            }
        }
    }

    TEST_CASE("cli::runs export --format otlp: a span per judge call, under the model call's") {
        TempDir dir;
        // An exec: judge that always passes, asked twice per assertion.
        dir.write("judge.sh", "#!/bin/sh\ncat > /dev/null\necho '{\"output\": \"{\\\"pass\\\": "
                              "true, \\\"score\\\": 1, \\\"reason\\\": \\\"ok\\\"}\"}'\n");
        std::filesystem::permissions(dir / "judge.sh", std::filesystem::perms::owner_all);
        dir.write("suite.yaml",
                  "prompts: ['Say {{word}}']\nproviders: [echo]\ntests:\n"
                  "  - vars: {word: hi}\n    assert: [{type: llm-rubric, value: hi}]\n");
        REQUIRE(llmops(dir.path(),
                       {"eval", "suite.yaml", "--judge", "exec:./judge.sh", "--judge-samples", "2"})
                    .exit_code == 0);
        const auto r = llmops(dir.path(), {"runs", "export", "1", "--format", "otlp", "-o", "-"});
        REQUIRE(r.exit_code == 0);
        const json request = json::parse(r.out);
        const json& spans = request["resourceSpans"][0]["scopeSpans"][0]["spans"];
        REQUIRE(spans.size() == 3);
        CHECK(attribute(spans[0], "llmops.judge.calls") == json{{"intValue", "2"}});
        for (int i = 1; i <= 2; ++i) {
            CHECK(spans[i]["parentSpanId"] == spans[0]["spanId"]);
            CHECK(spans[i]["traceId"] == spans[0]["traceId"]);
            CHECK(spans[i]["name"] == "chat ./judge.sh");
            CHECK(attribute(spans[i], "llmops.judge.assertion") ==
                  json{{"stringValue", "llm-rubric"}});
            CHECK(attribute(spans[i], "llmops.judge.pass") == json{{"boolValue", true}});
        }
    }

    TEST_CASE("cli::eval --otlp-endpoint with traces serve as the collector") {
        TempDir collector;
        REQUIRE(llmops(collector.path(), {"init"}).exit_code == 0);
        ServeProcess serve(collector, {"traces", "serve"});
        TempDir dir;
        dir.write("suite.yaml", k_suite);
        const auto r = llmops(dir.path(), {"eval", "suite.yaml"},
                              {{"OTEL_EXPORTER_OTLP_ENDPOINT", serve.url()}});
        serve.stop(SIGTERM);
        CHECK(r.exit_code == 3);
        CHECK(r.err.find("otlp:") == std::string::npos);
        const json calls = json::parse(llmops(collector.path(), {"traces", "list", "--json"}).out);
        CHECK(calls.size() == 4);
    }
}

} // namespace llmops::test
