// `llmops ask` end to end: the real binary against a loopback server speaking the OpenAI wire
// format, with a planted key that must never appear in anything the program prints.

#include <map>
#include <mutex>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/loopback.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

namespace {

constexpr const char* k_key = "sk-planted-secret-0123456789";

const char* k_completion = R"({
  "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
  "choices": [{"index": 0, "finish_reason": "stop",
               "message": {"role": "assistant", "content": "Paris."}}],
  "usage": {"prompt_tokens": 1000000, "completion_tokens": 500000, "total_tokens": 1500000,
            "prompt_tokens_details": {"cached_tokens": 0}}
})";

} // namespace

TEST_SUITE("cli") {

    TEST_CASE("cli::ask") {
        TempDir dir;
        LoopbackServer server;
        std::mutex mutex;
        std::string seen_auth;
        std::string seen_body;
        int failures_left = 0;
        server.post("/v1/chat/completions", [&](const httplib::Request& req,
                                                httplib::Response& res) {
            std::lock_guard lock(mutex);
            seen_auth = req.get_header_value("Authorization");
            seen_body = req.body;
            if (failures_left > 0) {
                --failures_left;
                res.status = 503;
                res.set_content(R"({"error":{"message":"overloaded"}})", "application/json");
                return;
            }
            if (req.body.find("\"reject\"") != std::string::npos) {
                res.status = 401;
                res.set_content(
                    std::string(R"({"error":{"message":"Incorrect API key provided: )") + k_key +
                        R"(","type":"invalid_request_error"}})",
                    "application/json");
                return;
            }
            if (req.body.find("\"stream\":true") != std::string::npos) {
                res.set_content(
                    "data: "
                    "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
                    "\"Par\"}}]}\n\n"
                    "data: "
                    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"is.\"},\"finish_reason\":"
                    "\"stop\"}]}\n\n"
                    "data: "
                    "{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2}}\n\n"
                    "data: [DONE]\n\n",
                    "text/event-stream");
                return;
            }
            res.set_content(k_completion, "application/json");
        });
        server.post("/service", [&](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex);
            seen_auth = req.get_header_value("Authorization");
            seen_body = req.body;
            res.set_content(R"({"result": {"text": "from the service"}})", "application/json");
        });
        server.start();
        const std::map<std::string, std::string> env = {{"OPENAI_API_KEY", k_key},
                                                        {"OPENAI_BASE_URL", server.url("/v1")}};

        SUBCASE("prints the answer, and with --json its tokens, cost and latency") {
            const auto plain =
                llmops(dir.path(), {"ask", "openai:gpt-4o-mini", "Capital of France?"}, env);
            CHECK(plain.exit_code == 0);
            CHECK(plain.out == "Paris.\n");
            CHECK(seen_auth == std::string("Bearer ") + k_key);
            const auto body = nlohmann::json::parse(seen_body);
            CHECK(body["model"] == "gpt-4o-mini");
            CHECK(body["messages"][0]["content"] == "Capital of France?");

            const auto r = llmops(
                dir.path(), {"ask", "openai:gpt-4o-mini", "Capital of France?", "--json"}, env);
            REQUIRE(r.exit_code == 0);
            const auto doc = nlohmann::json::parse(r.out);
            CHECK(doc["output"] == "Paris.");
            CHECK(doc["usage"]["input"] == 1000000);
            CHECK(doc["usage"]["output"] == 500000);
            // gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
            CHECK(doc["cost_usd"].get<double>() == doctest::Approx(0.15 + 0.30));
            CHECK(doc["attempts"] == 1);
        }
        SUBCASE("a 503 is retried") {
            failures_left = 1;
            const auto r = llmops(dir.path(), {"ask", "openai:gpt-4o-mini", "hi", "--json"}, env);
            REQUIRE(r.exit_code == 0);
            CHECK(nlohmann::json::parse(r.out)["attempts"] == 2);
        }
        SUBCASE(
            "an error answer is one line naming the provider and status, with the key redacted") {
            const auto r = llmops(dir.path(), {"ask", "openai:gpt-4o-mini", "reject"}, env);
            CHECK(r.exit_code == 3);
            CHECK(r.err.find("llmops: error: provider 'openai:gpt-4o-mini': ") == 0);
            CHECK(r.err.find("401") != std::string::npos);
            CHECK(r.err.find(k_key) == std::string::npos);
            CHECK(r.err.find("[redacted]") != std::string::npos);
            CHECK(r.out.find(k_key) == std::string::npos);
        }
        SUBCASE("an unpriced model warns that its cost is unknown") {
            const auto r = llmops(dir.path(), {"ask", "openai:my-finetune", "hi", "--json"}, env);
            REQUIRE(r.exit_code == 0);
            CHECK(nlohmann::json::parse(r.out)["cost_usd"].is_null());
            CHECK(r.err ==
                  "llmops: warning: no price for model 'my-finetune': cost unknown (add it "
                  "to .llmops/prices.yaml)\n");
        }
        SUBCASE("nothing listening is a network error after the retries") {
            const auto r = llmops(
                dir.path(), {"ask", "openai:gpt-4o-mini", "hi", "--retries", "0"},
                {{"OPENAI_API_KEY", k_key},
                 {"OPENAI_BASE_URL",
                  "http://127.0.0.1:" + std::to_string(LoopbackServer::unused_port()) + "/v1"}});
            CHECK(r.exit_code == 3);
            CHECK(r.err == "llmops: error: provider 'openai:gpt-4o-mini': connection refused\n");
            CHECK(server.request_count() == 0);
        }
        SUBCASE("--stream parses server-sent events and reports the time to the first token") {
            const auto r =
                llmops(dir.path(), {"ask", "openai:gpt-4o-mini", "hi", "--stream", "--json"}, env);
            REQUIRE(r.exit_code == 0);
            const auto doc = nlohmann::json::parse(r.out);
            CHECK(doc["output"] == "Paris.");
            CHECK(doc["usage"]["input"] == 9);
            CHECK(doc["first_token_ms"].is_number());
            CHECK(nlohmann::json::parse(seen_body)["stream"] == true);
        }
        SUBCASE("--cache answers a repeated question from .llmops/cache.db") {
            REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
            const auto first =
                llmops(dir.path(), {"ask", "openai:gpt-4o-mini", "hi", "--cache", "--json"}, env);
            REQUIRE(first.exit_code == 0);
            const int count = server.request_count();
            const auto second =
                llmops(dir.path(), {"ask", "openai:gpt-4o-mini", "hi", "--cache", "--json"}, env);
            REQUIRE(second.exit_code == 0);
            CHECK(server.request_count() == count);
            CHECK(nlohmann::json::parse(second.out)["cached"] == true);
            CHECK(nlohmann::json::parse(second.out)["output"] == "Paris.");
        }
        SUBCASE("--record writes a replay file that replay: answers from, offline") {
            const auto rec = llmops(
                dir.path(),
                {"ask", "openai:gpt-4o-mini", "Capital of France?", "--record", "rec.jsonl"}, env);
            REQUIRE(rec.exit_code == 0);
            const int count = server.request_count();
            const auto hit = llmops(dir.path(), {"ask", "replay:rec.jsonl", "Capital of France?"});
            CHECK(hit.exit_code == 0);
            CHECK(hit.out == "Paris.\n");
            CHECK(server.request_count() == count);
            const auto miss = llmops(dir.path(), {"ask", "replay:rec.jsonl", "Capital of Spain?"});
            CHECK(miss.exit_code == 2);
            CHECK(miss.err.starts_with("llmops: error: provider 'replay:rec.jsonl': "));
        }
        SUBCASE("exec: runs the user's program with the request on stdin") {
            dir.write("app.sh", "#!/bin/sh\nexec python3 -c 'import json, sys; "
                                "print(json.load(sys.stdin)[\"prompt\"].upper())'\n");
            std::filesystem::permissions(dir.path() / "app.sh", std::filesystem::perms::owner_all);
            const auto r = llmops(dir.path(), {"ask", "exec:./app.sh", "hello"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == "HELLO\n");
            const auto failing =
                llmops(dir.path(), {"ask", "exec:sh -c 'echo broken >&2; exit 4'", "hello"});
            CHECK(failing.exit_code == 3);
            CHECK(failing.err.starts_with(
                "llmops: error: provider 'exec:sh -c 'echo broken >&2; exit 4'': "));
        }
        SUBCASE(
            "http: a user's own service, configured by a file, with a key from the environment") {
            dir.write("service.yaml", "url: " + server.url("/service") +
                                          "\n"
                                          "headers: {Authorization: 'Bearer {{env.SERVICE_KEY}}'}\n"
                                          "body: {question: '{{prompt}}', user: '{{user}}'}\n"
                                          "transformResponse: json.result.text\n");
            auto with_key = env;
            with_key["SERVICE_KEY"] = k_key;
            const auto r = llmops(dir.path(),
                                  {"ask", "http", "What is up?", "--config", "service.yaml",
                                   "--var", "user=ada", "--json"},
                                  with_key);
            REQUIRE(r.exit_code == 0);
            CHECK(nlohmann::json::parse(r.out)["output"] == "from the service");
            CHECK(seen_auth == std::string("Bearer ") + k_key);
            CHECK(nlohmann::json::parse(seen_body) ==
                  nlohmann::json::parse(R"({"question": "What is up?", "user": "ada"})"));
        }
        SUBCASE("nothing the program writes holds the key") {
            REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
            std::string everything;
            for (const auto& args : std::vector<std::vector<std::string>>{
                     {"ask", "openai:gpt-4o-mini", "hi", "--cache", "--record", "rec.jsonl",
                      "--json"},
                     {"ask", "openai:gpt-4o-mini", "reject", "--cache", "--record", "rec.jsonl"},
                     {"ask", "openai:gpt-4o-mini", "hi", "--stream", "--cache", "--json"},
                     {"ask", "replay:rec.jsonl", "hi", "--json"}}) {
                const auto r = llmops(dir.path(), args, env);
                everything += r.out + r.err;
            }
            for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
                if (entry.is_regular_file()) {
                    everything +=
                        dir.read(std::filesystem::relative(entry.path(), dir.path()).string());
                }
            }
            CHECK(everything.find("Paris.") != std::string::npos); // the outputs were captured
            CHECK(everything.find(k_key) == std::string::npos);
        }
        SUBCASE("echo needs no key and no network") {
            const auto r = llmops(dir.path(), {"ask", "echo", "same text back"});
            CHECK(r.exit_code == 0);
            CHECK(r.out == "same text back\n");
        }
    }

    TEST_CASE("cli::ask first-day forms: stdin, -m, LLMOPS_MODEL, bare names, --prompt") {
        TempDir dir;
        const auto ask_stdin = [&](std::vector<std::string> args, const std::string& input,
                                   std::map<std::string, std::string> env = {}) {
            RunOptions options;
            options.cwd = dir.path();
            options.stdin_text = input;
            options.env = std::move(env);
            options.env["LLMOPS_MODEL"] =
                options.env.count("LLMOPS_MODEL") ? options.env["LLMOPS_MODEL"] : "\x01unset";
            args.insert(args.begin(), {LLMOPS_BINARY, "ask"});
            return run_program(args, options);
        };
        CHECK(ask_stdin({"echo"}, "from stdin\n").out == "from stdin\n");
        CHECK(ask_stdin({"-m", "echo", "-"}, "a dash reads stdin").out == "a dash reads stdin\n");
        CHECK(ask_stdin({"the question"}, "", {{"LLMOPS_MODEL", "echo"}}).out == "the question\n");
        // Bare model names get their vendor: the error names the provider it became.
        const auto bare =
            ask_stdin({"claude-sonnet-4-5", "hi"}, "", {{"ANTHROPIC_API_KEY", "\x01unset"}});
        CHECK(bare.exit_code == 2);
        CHECK(bare.err.find("provider 'anthropic:claude-sonnet-4-5'") != std::string::npos);
        // No model anywhere: say what is missing.
        const auto none = ask_stdin({"what is 2+2?"}, "");
        CHECK(none.exit_code == 2);
        CHECK(none.err ==
              "llmops: error: no model to ask: name one ('llmops ask "
              "openai:gpt-4o-mini \"...\"' or -m gpt-4o-mini), set LLMOPS_MODEL, or 'model:' in "
              ".llmops/config.yaml\n");
        // A stored prompt rendered with --var.
        REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
        dir.write("prompts/greet.yaml", "template: 'Hello {{name}}!'\n");
        REQUIRE(llmops(dir.path(), {"prompt", "commit", "-m", "first"}).exit_code == 0);
        const auto stored =
            llmops(dir.path(), {"ask", "echo", "--prompt", "greet@1", "--var", "name=Ada"});
        CHECK(stored.exit_code == 0);
        CHECK(stored.out == "Hello Ada!\n");
        CHECK(llmops(dir.path(), {"ask", "--help"}).out.find("Examples:") != std::string::npos);
    }

} // TEST_SUITE

} // namespace llmops::test
