#include <doctest/doctest.h>

#include "support/expected.hpp"

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <llmops/provider/wire.hpp>
#include <llmops/util/files.hpp>

using namespace llmops;
using nlohmann::json;
using provider::Api;
using provider::CompletionRequest;
using provider::Endpoint;
using provider::HttpRequest;
using provider::HttpResponse;

namespace {

// A recorded response body from tests/data/provider/.
std::string recorded(const std::string& name) {
    auto text = util::read_file(std::string(LLMOPS_SOURCE_DIR) + "/tests/data/provider/" + name);
    REQUIRE_MESSAGE(text.has_value(), name);
    return *text;
}

HttpResponse ok(std::string body) {
    HttpResponse r;
    r.status = 200;
    r.body = std::move(body);
    return r;
}

CompletionRequest chat(std::string model = "m") {
    return {std::move(model), {{"system", "Be brief."}, {"user", "Capital of France?"}}, {}};
}

std::optional<std::string> header(const HttpRequest& request, const std::string& name) {
    for (const auto& [key, value] : request.headers) {
        if (key == name)
            return value;
    }
    return std::nullopt;
}

// Builds a request that must succeed and returns it with its body parsed.
std::pair<HttpRequest, json> built(const Endpoint& endpoint, const CompletionRequest& request) {
    auto http = provider::build_request(endpoint, request);
    REQUIRE_OK(http);
    return {*http, json::parse(http->body)};
}

std::string parse_error(Api api, const std::string& body, bool stream = false) {
    auto request = chat();
    request.params.stream = stream;
    auto result = provider::parse_response(api, request, ok(body));
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code() == ErrorCode::provider);
    return result.error().message();
}

} // namespace

TEST_SUITE("provider") {

    TEST_CASE("provider::build_request openai") {
        Endpoint endpoint{Api::openai, "", "sk-test", "", {}};
        SUBCASE("model and messages, and no parameter that was not set") {
            auto [http, body] = built(endpoint, chat("gpt-4o-mini"));
            CHECK(http.method == "POST");
            CHECK(http.url == "https://api.openai.com/v1/chat/completions");
            CHECK(header(http, "authorization") == "Bearer sk-test");
            CHECK(header(http, "content-type") == "application/json");
            CHECK(body == json::parse(R"({"model":"gpt-4o-mini","messages":[
        {"role":"system","content":"Be brief."},{"role":"user","content":"Capital of France?"}]})"));
        }
        SUBCASE("every parameter when set; OpenAI itself takes max_completion_tokens") {
            auto request = chat();
            request.params = {0.2,
                              0.9,
                              50,
                              7,
                              {"END"},
                              R"({"type":"json_object"})",
                              R"([{"type":"function","function":{"name":"f"}}])",
                              true};
            auto [http, body] = built(endpoint, request);
            CHECK(body["temperature"] == 0.2);
            CHECK(body["top_p"] == 0.9);
            CHECK(body["max_completion_tokens"] == 50);
            CHECK_FALSE(body.contains("max_tokens"));
            CHECK(body["seed"] == 7);
            CHECK(body["stop"] == json::array({"END"}));
            CHECK(body["response_format"] == json{{"type", "json_object"}});
            CHECK(body["tools"][0]["function"]["name"] == "f");
            CHECK(body["stream"] == true);
            CHECK(body["stream_options"] == json{{"include_usage", true}});
        }
        SUBCASE("a compatible server gets max_tokens, and no auth header without a key") {
            Endpoint local{Api::openai, "http://localhost:11434/v1/", "", "", {}};
            auto request = chat("llama3");
            request.params.max_tokens = 10;
            auto [http, body] = built(local, request);
            CHECK(http.url == "http://localhost:11434/v1/chat/completions");
            CHECK(body["max_tokens"] == 10);
            CHECK_FALSE(header(http, "authorization").has_value());
        }
        SUBCASE("extra headers are added and replace same-named ones") {
            endpoint.extra_headers = {{"X-Title", "llmops"}, {"Content-Type", "application/x"}};
            auto [http, body] = built(endpoint, chat());
            CHECK(header(http, "X-Title") == "llmops");
            CHECK(header(http, "Content-Type") == "application/x");
            CHECK_FALSE(header(http, "content-type").has_value());
        }
    }

    TEST_CASE("provider::build_request azure") {
        Endpoint endpoint{Api::azure, "https://res.openai.azure.com/", "az-key", "", {}};
        SUBCASE("the deployment is in the URL, the key in api-key") {
            auto [http, body] = built(endpoint, chat("my-gpt4o"));
            CHECK(http.url == "https://res.openai.azure.com/openai/deployments/my-gpt4o/"
                              "chat/completions?api-version=2024-10-21");
            CHECK(header(http, "api-key") == "az-key");
            CHECK_FALSE(header(http, "authorization").has_value());
            CHECK(body["messages"].size() == 2);
        }
        SUBCASE("an explicit api-version") {
            endpoint.api_version = "2025-01-01-preview";
            auto [http, body] = built(endpoint, chat("d"));
            CHECK(http.url.ends_with("?api-version=2025-01-01-preview"));
        }
    }

    TEST_CASE("provider::build_request anthropic") {
        Endpoint endpoint{Api::anthropic, "", "sk-ant", "", {}};
        SUBCASE("system and developer messages join into system; max_tokens defaults") {
            CompletionRequest request{"claude-sonnet-4-5",
                                      {{"system", "A"},
                                       {"user", "hi"},
                                       {"developer", "B"},
                                       {"assistant", "hello"},
                                       {"user", "bye"}},
                                      {}};
            auto [http, body] = built(endpoint, request);
            CHECK(http.url == "https://api.anthropic.com/v1/messages");
            CHECK(header(http, "x-api-key") == "sk-ant");
            CHECK(header(http, "anthropic-version") == "2023-06-01");
            CHECK(body == json::parse(R"({"model":"claude-sonnet-4-5","max_tokens":1024,
        "system":"A\n\nB","messages":[{"role":"user","content":"hi"},
        {"role":"assistant","content":"hello"},{"role":"user","content":"bye"}]})"));
        }
        SUBCASE("parameters; stop becomes stop_sequences; seed is not sent; tools converted") {
            auto request = chat();
            request.params = {
                0.5,
                0.8,
                300,
                7,
                {"\n\nHuman:"},
                std::nullopt,
                R"([{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}])",
                true};
            auto [http, body] = built(endpoint, request);
            CHECK(body["max_tokens"] == 300);
            CHECK(body["temperature"] == 0.5);
            CHECK(body["top_p"] == 0.8);
            CHECK(body["stop_sequences"] == json::array({"\n\nHuman:"}));
            CHECK_FALSE(body.contains("seed"));
            CHECK(body["tools"] ==
                  json::parse(R"([{"name":"f","input_schema":{"type":"object"}}])"));
            CHECK(body["stream"] == true);
        }
    }

    TEST_CASE("provider::build_request google") {
        Endpoint endpoint{Api::google, "", "g-key", "", {}};
        SUBCASE("assistant becomes model, system becomes systemInstruction") {
            CompletionRequest request{
                "gemini-2.5-flash", {{"system", "S"}, {"user", "u"}, {"assistant", "a"}}, {}};
            auto [http, body] = built(endpoint, request);
            CHECK(http.url == "https://generativelanguage.googleapis.com/v1beta/models/"
                              "gemini-2.5-flash:generateContent");
            CHECK(header(http, "x-goog-api-key") == "g-key");
            CHECK(body == json::parse(R"({"systemInstruction":{"parts":[{"text":"S"}]},
        "contents":[{"role":"user","parts":[{"text":"u"}]},
                    {"role":"model","parts":[{"text":"a"}]}]})"));
        }
        SUBCASE("parameters go to generationConfig; streaming uses SSE") {
            auto request = chat("models/gemini-2.5-pro");
            request.params = {0.1,          0.95, 64, 3, {"x"}, R"({"type":"json_object"})",
                              std::nullopt, true};
            auto [http, body] = built(endpoint, request);
            CHECK(http.url == "https://generativelanguage.googleapis.com/v1beta/models/"
                              "gemini-2.5-pro:streamGenerateContent?alt=sse");
            CHECK(body["generationConfig"] == json::parse(R"({"temperature":0.1,"topP":0.95,
        "maxOutputTokens":64,"seed":3,"stopSequences":["x"],
        "responseMimeType":"application/json"})"));
        }
    }

    TEST_CASE("provider::build_request failures") {
        auto message = [](Api api, CompletionRequest request, std::string base = "https://x") {
            auto http = provider::build_request(Endpoint{api, base, "k", "", {}}, request);
            REQUIRE_FALSE(http.has_value());
            CHECK(http.error().code() == ErrorCode::invalid_input);
            return http.error().message();
        };
        CompletionRequest tool{"m", {{"user", "q"}, {"tool", "42"}}, {}};
        CHECK(message(Api::openai, tool) ==
              "openai: message 2 has role 'tool', which the API "
              "cannot take (use system, developer, user or assistant)");
        CHECK(message(Api::anthropic, tool).starts_with("anthropic: message 2 has role 'tool'"));
        CHECK(message(Api::google, tool).starts_with("google: message 2 has role 'tool'"));
        CompletionRequest only_system{"m", {{"system", "s"}}, {}};
        CHECK(message(Api::anthropic, only_system) ==
              "anthropic: request has no user or assistant message");
        CHECK(message(Api::google, only_system) ==
              "google: request has no user or assistant message");
        CHECK(message(Api::openai, chat("")) == "openai: no model given");
        CHECK(message(Api::azure, chat(), "") ==
              "azure: no endpoint configured (e.g. https://NAME.openai.azure.com)");
        auto bad = chat();
        bad.params.tools_json = "[{";
        CHECK(message(Api::openai, bad) == "openai: tools is not valid JSON: [{");
    }

    TEST_CASE("provider::parse_response openai") {
        auto request = chat();
        SUBCASE("content, finish reason, cached and reasoning tokens") {
            auto r =
                provider::parse_response(Api::openai, request, ok(recorded("openai_chat.json")));
            REQUIRE(r.has_value());
            CHECK(r->output == "The capital of France is Paris.");
            CHECK(r->finish_reason == "stop");
            CHECK_FALSE(r->refusal.has_value());
            CHECK(r->usage.input == 1117);
            CHECK(r->usage.cached_input == 1024);
            CHECK(r->usage.output == 46);
            CHECK(r->usage.reasoning == 38);
            CHECK_FALSE(r->usage.estimated);
        }
        SUBCASE("a refusal is an answer, not an error") {
            auto r =
                provider::parse_response(Api::openai, request, ok(recorded("openai_refusal.json")));
            REQUIRE(r.has_value());
            CHECK(r->refusal == "I'm sorry, I cannot assist with that request.");
            CHECK(r->finish_reason == "refusal");
            CHECK(r->output == "");
        }
        SUBCASE("tool calls") {
            auto r = provider::parse_response(Api::azure, request,
                                              ok(recorded("openai_tool_calls.json")));
            REQUIRE(r.has_value());
            CHECK(r->finish_reason == "tool_calls");
            REQUIRE(r->tool_calls_json.has_value());
            CHECK(json::parse(*r->tool_calls_json)[0]["function"]["name"] == "get_current_weather");
        }
    }

    TEST_CASE("provider::parse_response openai content parts") {
        // Mistral's reasoning models answer with an array of thinking and text parts.
        auto r = provider::parse_response(
            Api::openai, chat(), ok(R"({"choices":[{"message":{"role":"assistant","content":[
            {"type":"thinking","thinking":[{"type":"text","text":"hmm"}]},
            {"type":"text","text":"Paris."}]},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":10,"completion_tokens":20}})"));
        REQUIRE(r.has_value());
        CHECK(r->output == "Paris.");
        CHECK(r->usage.output == 20);
    }

    TEST_CASE("provider::parse_response openai stream") {
        auto request = chat();
        request.params.stream = true;
        SUBCASE("deltas concatenated, usage from the last chunk") {
            auto r =
                provider::parse_response(Api::openai, request, ok(recorded("openai_stream.sse")));
            REQUIRE(r.has_value());
            CHECK(r->output == "Hello there, ça va?");
            CHECK(r->finish_reason == "length");
            CHECK(r->usage.input == 2051);
            CHECK(r->usage.cached_input == 1920);
            CHECK(r->usage.output == 5);
            CHECK_FALSE(r->usage.estimated);
        }
        SUBCASE("streamed tool call fragments are joined") {
            auto r = provider::parse_response(Api::openai, request,
                                              ok(recorded("openai_stream_tool_calls.sse")));
            REQUIRE(r.has_value());
            auto calls = json::parse(r->tool_calls_json.value_or("null"));
            CHECK(calls[0]["id"] == "call_1");
            CHECK(calls[0]["function"]["arguments"] == R"({"a":1})");
            CHECK(r->usage.estimated);
        }
    }

    TEST_CASE("provider::parse_response anthropic") {
        auto request = chat();
        SUBCASE("text blocks joined, thinking skipped, cache reads and writes added to input") {
            auto r = provider::parse_response(Api::anthropic, request,
                                              ok(recorded("anthropic_message.json")));
            REQUIRE(r.has_value());
            CHECK(r->output == "The capital of France is Paris.");
            CHECK(r->finish_reason == "stop");
            CHECK(r->usage.input == 21 + 188 + 1800);
            CHECK(r->usage.cached_input == 1800);
            CHECK(r->usage.cache_write == 188);
            CHECK(r->usage.output == 393);
        }
        SUBCASE("tool use") {
            auto r = provider::parse_response(Api::anthropic, request,
                                              ok(recorded("anthropic_tool_use.json")));
            REQUIRE(r.has_value());
            CHECK(r->finish_reason == "tool_calls");
            auto calls = json::parse(r->tool_calls_json.value_or("null"));
            CHECK(calls[0]["function"]["name"] == "get_weather");
            CHECK(json::parse(calls[0]["function"]["arguments"].get<std::string>())["location"] ==
                  "San Francisco, CA");
        }
        SUBCASE("a refusal") {
            auto r = provider::parse_response(Api::anthropic, request,
                                              ok(recorded("anthropic_refusal.json")));
            REQUIRE(r.has_value());
            CHECK(r->finish_reason == "refusal");
            CHECK(r->refusal == "I can't help with that.");
        }
    }

    TEST_CASE("provider::parse_response anthropic stream") {
        auto request = chat();
        request.params.stream = true;
        auto r =
            provider::parse_response(Api::anthropic, request, ok(recorded("anthropic_stream.sse")));
        REQUIRE(r.has_value());
        CHECK(r->output == "Hello!");
        CHECK(r->finish_reason == "stop");
        CHECK(r->usage.input == 25 + 2048);
        CHECK(r->usage.cached_input == 2048);
        CHECK(r->usage.output == 15); // message_delta's cumulative count, not 1 + 15
        CHECK_FALSE(r->usage.estimated);
    }

    TEST_CASE("provider::parse_response google") {
        auto request = chat();
        SUBCASE("thought parts skipped; thoughts counted as output and reasoning") {
            auto r = provider::parse_response(Api::google, request,
                                              ok(recorded("google_generate.json")));
            REQUIRE(r.has_value());
            CHECK(r->output == "The capital of France is Paris.");
            CHECK(r->finish_reason == "stop");
            CHECK(r->usage.input == 5210);
            CHECK(r->usage.cached_input == 4096);
            CHECK(r->usage.output == 8 + 395);
            CHECK(r->usage.reasoning == 395);
        }
        SUBCASE("a blocked prompt is a content_filter refusal") {
            auto r =
                provider::parse_response(Api::google, request, ok(recorded("google_blocked.json")));
            REQUIRE(r.has_value());
            CHECK(r->finish_reason == "content_filter");
            CHECK(r->refusal == "prompt blocked: SAFETY");
            CHECK(r->usage.input == 12);
        }
        SUBCASE("a stream: text joined, the last usage wins") {
            request.params.stream = true;
            auto r =
                provider::parse_response(Api::google, request, ok(recorded("google_stream.sse")));
            REQUIRE(r.has_value());
            CHECK(r->output == "Once upon a time.");
            CHECK(r->usage.output == 24);
            CHECK(r->usage.reasoning == 20);
        }
    }

    TEST_CASE("provider::parse_response failures") {
        SUBCASE("a non-JSON body is quoted, at most 200 bytes") {
            CHECK(parse_error(Api::openai, "<html>\n<h1>502 Bad Gateway</h1>") ==
                  "openai: response is not JSON: '<html> <h1>502 Bad Gateway</h1>'");
            auto quoted = parse_error(Api::google, std::string(300, 'x'));
            CHECK(quoted == "google: response is not JSON: '" + std::string(200, 'x') + "...'");
            auto accented = parse_error(Api::openai, std::string(199, 'x') + "\xc3\xa9 and more");
            CHECK(accented == "openai: response is not JSON: '" + std::string(199, 'x') + "...'");
        }
        SUBCASE("a body cut off mid-JSON") {
            auto body = recorded("openai_chat.json").substr(0, 100);
            CHECK(parse_error(Api::openai, body) ==
                  "openai: response is cut off mid-JSON after 100 bytes");
            CHECK(parse_error(Api::anthropic, R"({"content":[)") ==
                  "anthropic: response is cut off mid-JSON after 12 bytes");
        }
        SUBCASE("wrong shapes") {
            CHECK(parse_error(Api::openai, R"({"id":"x"})") == "openai: response has no choices");
            CHECK(parse_error(Api::azure, R"({"choices":[]})") ==
                  "azure: response has empty choices");
            CHECK(parse_error(Api::openai, R"({"choices":[{}]})") ==
                  "openai: response choice has no message");
            CHECK(parse_error(Api::anthropic, R"({"type":"message"})") ==
                  "anthropic: response has no content");
            CHECK(parse_error(Api::google, R"({"candidates":[]})") ==
                  "google: response has empty candidates");
            CHECK(parse_error(Api::google, "[1]") == "google: response is not an object");
            CHECK(parse_error(Api::openai, "") == "openai: response body is empty");
        }
        SUBCASE("a vendor error body with a 2xx status") {
            CHECK(parse_error(Api::anthropic, recorded("anthropic_error.json")) ==
                  "anthropic: HTTP 200: Overloaded");
        }
        SUBCASE("streams that stop early or carry an error") {
            auto stream = recorded("anthropic_stream.sse");
            CHECK(parse_error(Api::anthropic, stream.substr(0, stream.find("event: message_delta")),
                              true) == "anthropic: stream ended before message_stop");
            auto chunks = recorded("openai_stream.sse");
            CHECK(parse_error(Api::openai,
                              chunks.substr(0, chunks.find("\"finish_reason\":\"length\"")), true)
                      .starts_with("openai: response is cut off mid-JSON after "));
            auto last = chunks.rfind("data: ", chunks.find("\"finish_reason\":\"length\""));
            CHECK(parse_error(Api::openai, chunks.substr(0, last), true) ==
                  "openai: stream ended before its last chunk");
            CHECK(parse_error(Api::anthropic,
                              "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":"
                              "\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
                              true) == "anthropic: stream error: Overloaded");
            CHECK(parse_error(Api::openai, "hello", true) ==
                  "openai: stream has no events: 'hello'");
        }
    }

    TEST_CASE("provider::parse_response nested 100,000 deep") {
        // Dumping such tool calls (or an error object) once overflowed the stack.
        const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
        const std::string calls = R"({"choices":[{"message":{"content":null,"tool_calls":)" + deep +
                                  R"(},"finish_reason":"tool_calls"}]})";
        for (const Api api : {Api::openai, Api::anthropic, Api::google}) {
            CAPTURE(static_cast<int>(api));
            CHECK(parse_error(api, calls)
                      .ends_with(": response is not usable JSON: nesting deeper than 512 levels"));
        }
        HttpResponse error;
        error.status = 500;
        error.body = R"({"error": {"code": )" + deep + "}}";
        CHECK(provider::error_from_response(Api::openai, error).message() ==
              "openai: HTTP 500: '" + provider::detail::quote_body(error.body) + "'");
    }

    TEST_CASE("provider::parse_response usage estimate") {
        CompletionRequest request{"m", {{"user", "12345678"}, {"user", "é"}}, {}};
        auto r = provider::parse_response(
            Api::openai, request,
            ok(R"({"choices":[{"message":{"content":"abcde"},"finish_reason":"stop"}]})"));
        REQUIRE(r.has_value());
        CHECK(r->usage.estimated);
        CHECK(r->usage.input == 3);  // ceil(9 code points / 4), the é counted once
        CHECK(r->usage.output == 2); // ceil(5 / 4)
    }

    TEST_CASE("provider::error_from_response") {
        auto error = [](Api api, long status, std::string body) {
            HttpResponse r;
            r.status = status;
            r.body = std::move(body);
            return provider::error_from_response(api, r);
        };
        auto e = error(Api::openai, 401, recorded("openai_error.json"));
        CHECK(e.code() == ErrorCode::provider);
        CHECK(e.message() == "openai: HTTP 401: Incorrect API key provided: sk-test. You can find "
                             "your API key at https://platform.openai.com/account/api-keys.");
        CHECK(error(Api::anthropic, 529, recorded("anthropic_error.json")).message() ==
              "anthropic: HTTP 529: Overloaded");
        CHECK(error(Api::google, 400, recorded("google_error.json")).message() ==
              "google: HTTP 400: API key not valid. Please pass a valid API key.");
        CHECK(error(Api::openai, 502, "<html>bad gateway</html>").message() ==
              "openai: HTTP 502: '<html>bad gateway</html>'");
        CHECK(error(Api::azure, 500, "").message() == "azure: HTTP 500");
        CHECK(error(Api::openai, 429, "{}").code() == ErrorCode::rate_limited);
        HttpResponse refused;
        refused.transport_error = "timed out after 5000 ms";
        auto t = provider::error_from_response(Api::google, refused);
        CHECK(t.code() == ErrorCode::timeout);
        CHECK(t.message() == "google: timed out after 5000 ms");
    }

    TEST_CASE("provider::detail::parse_sse") {
        auto events =
            provider::detail::parse_sse(": keep-alive\r\nevent: a\r\ndata: 1\r\ndata:2\r\n\r\n"
                                        "data: last");
        REQUIRE(events.size() == 2);
        CHECK(events[0].event == "a");
        CHECK(events[0].data == "1\n2");
        CHECK(events[1].event == "");
        CHECK(events[1].data == "last");
    }

} // TEST_SUITE
