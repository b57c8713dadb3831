#include <doctest/doctest.h>

#include "support/expected.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <llmops/provider/http_target.hpp>

using namespace llmops;
using nlohmann::json;
using provider::CompletionRequest;
using provider::HttpRequest;
using provider::HttpResponse;
using provider::HttpTarget;

namespace {

const std::string k_where = "evals/qa.yaml: providers[0]";

HttpTarget target_ok(const json& config) {
    auto target = provider::parse_http_target(config, k_where);
    REQUIRE_OK(target);
    return std::move(*target);
}

std::string config_error(const json& config) {
    auto target = provider::parse_http_target(config, k_where);
    REQUIRE_FALSE(target.has_value());
    CHECK(target.error().code() == ErrorCode::invalid_input);
    return target.error().message();
}

json with_url(json config) {
    config["url"] = "https://example.com/generate";
    return config;
}

CompletionRequest chat() {
    return {"", {{"system", "Be brief."}, {"user", "Capital of \"France\"?\nOne word."}}, {}};
}

const std::map<std::string, std::string> k_env = {{"TOKEN", "s3cret-token"},
                                                  {"BASE", "https://api.example.com"}};

std::optional<std::string> env(std::string_view name) {
    auto it = k_env.find(std::string(name));
    return it == k_env.end() ? std::nullopt : std::optional<std::string>(it->second);
}

const json k_vars = {{"language", "French"},
                     {"count", 3},
                     {"flag", true},
                     {"none", nullptr},
                     {"user", {{"name", "Ann"}, {"tags", {"a", "b"}}}}};

// Builds the request for `config`, which must succeed.
HttpRequest built(const json& config, std::vector<std::string>* secrets = nullptr) {
    std::vector<std::string> collected;
    auto http = provider::build_http_target_request(target_ok(config), chat(), k_vars, env,
                                                    secrets ? *secrets : collected);
    REQUIRE_OK(http);
    return *http;
}

std::string build_error(const json& config) {
    std::vector<std::string> secrets;
    auto http =
        provider::build_http_target_request(target_ok(config), chat(), k_vars, env, secrets);
    REQUIRE_FALSE(http.has_value());
    CHECK(http.error().code() == ErrorCode::invalid_input);
    return http.error().message();
}

std::optional<std::string> header(const HttpRequest& request, const std::string& name) {
    for (const auto& [key, value] : request.headers) {
        if (key == name)
            return value;
    }
    return std::nullopt;
}

HttpResponse ok(std::string body) {
    HttpResponse r;
    r.status = 200;
    r.body = std::move(body);
    r.latency_ms = 42;
    r.first_byte_ms = 7;
    r.attempts = 2;
    return r;
}

// The output at `path` of a 200 response with `body`, which must succeed.
std::string output_at(const std::string& path, const std::string& body) {
    auto target = target_ok(with_url({{"response_path", path}}));
    auto outcome = provider::parse_http_target_response(target, chat(), ok(body));
    REQUIRE_OK(outcome);
    return outcome->result.output;
}

std::string response_error(const std::string& path, const HttpResponse& response) {
    auto target = target_ok(with_url({{"transformResponse", path}}));
    auto outcome = provider::parse_http_target_response(target, chat(), response);
    REQUIRE_FALSE(outcome.has_value());
    return outcome.error().message();
}

} // namespace

TEST_SUITE("provider") {

    TEST_CASE("provider::parse_http_target") {
        SUBCASE("a URL alone: POST, no headers, no body, the whole response") {
            auto t = target_ok({{"url", "http://localhost:8080/chat"}});
            CHECK(t.url == "http://localhost:8080/chat");
            CHECK(t.method == "POST");
            CHECK(t.headers.empty());
            CHECK(t.body.is_null());
            CHECK(t.response_path.empty());
        }
        SUBCASE("promptfoo's keys") {
            auto t = target_ok(
                {{"url", "https://example.com/{{model}}"},
                 {"method", "put"},
                 {"headers", {{"Authorization", "Bearer {{env.TOKEN}}"}, {"X-Retries", 3}}},
                 {"body", {{"prompt", "{{prompt}}"}}},
                 {"transformResponse", "json.output"}});
            CHECK(t.method == "PUT");
            CHECK(t.headers == std::vector<std::pair<std::string, std::string>>{
                                   {"Authorization", "Bearer {{env.TOKEN}}"}, {"X-Retries", "3"}});
            CHECK(t.body == json{{"prompt", "{{prompt}}"}});
            CHECK_FALSE(t.body_is_text);
            CHECK(t.response_path == "json.output");
        }
        SUBCASE("a string body is text, unless it holds a JSON object or array") {
            auto text = target_ok(with_url({{"body", "q={{prompt}}"}}));
            CHECK(text.body_is_text);
            CHECK(text.body == "q={{prompt}}");
            auto doc = target_ok(with_url({{"body", "{\"input\": \"{{prompt}}\"}\n"}}));
            CHECK_FALSE(doc.body_is_text);
            CHECK(doc.body == json{{"input", "{{prompt}}"}});
        }
        SUBCASE("paths: response_path, transformResponse 'text' for the raw body") {
            CHECK(target_ok(with_url({{"response_path", "choices[0].message.content"}}))
                      .response_path == "choices[0].message.content");
            CHECK(target_ok(with_url({{"transformResponse", "text"}})).response_path.empty());
            CHECK(
                target_ok(with_url({{"transformResponse", R"(json["a b"][2].c)"}})).response_path ==
                R"(json["a b"][2].c)");
        }
    }

    TEST_CASE("provider::parse_http_target errors") {
        const std::string w = k_where + ": ";
        CHECK(config_error("https://x") == w + "'config' must be a map");
        CHECK(config_error(json::object()) == w + "'url' is required");
        CHECK(config_error({{"url", 5}}) == w + "'url' must be a string");
        CHECK(config_error({{"url", "example.com/x"}}) ==
              w + "'url' must start with http:// or https://: 'example.com/x'");
        CHECK(config_error(with_url({{"method", "delete"}})) ==
              w + "'method' must be GET, POST, PUT or PATCH: 'delete'");
        CHECK(config_error(with_url({{"headers", "x"}})) == w + "'headers' must be a map");
        CHECK(config_error(with_url({{"headers", {{"X-A", {1, 2}}}}})) ==
              w + "header 'X-A' must be a string");
        CHECK(config_error(with_url({{"body", 5}})) ==
              w + "'body' must be a map, a list or a string");
        CHECK(config_error(with_url({{"method", "GET"}, {"body", "x"}})) ==
              w + "a GET request has no body: remove 'body' or use POST");
        CHECK(config_error(with_url({{"transformResponse", "json.a"}, {"response_path", "a"}})) ==
              w + "give 'transformResponse' or 'response_path', not both");
        CHECK(config_error(with_url({{"transformResponse", 1}})) ==
              w + "'transformResponse' must be a string");
    }

    TEST_CASE("provider::parse_http_target refuses JavaScript and bad templates") {
        const std::string w = k_where + ": ";
        CHECK(config_error(with_url({{"transformResponse", "json.choices.map(c => c.text)"}})) ==
              w + "'transformResponse' must be a path like 'json.choices[0].message.content' "
                  "(JavaScript is not supported): 'json.choices.map(c => c.text)'");
        CHECK(config_error(with_url({{"transformResponse", "file://parse.js"}})) ==
              w + "'transformResponse' must be a path like 'json.choices[0].message.content' "
                  "(JavaScript is not supported): 'file://parse.js'");
        CHECK(config_error(with_url({{"response_path", "a..b"}})) ==
              w + "'response_path' must be a path like 'json.choices[0].message.content' "
                  "(JavaScript is not supported): 'a..b'");
        CHECK(config_error(with_url({{"body", {{"input", {{"text", "{{prompt"}}}}}})) ==
              w + "body.input.text: unterminated tag '{{prompt'");
        CHECK(config_error(with_url({{"body", {{"items", {"{{#items}}x{{/items}}"}}}}})) ==
              w + "body.items[0]: tag '{{#items}}' is not supported (only {{name}}, with filters "
                  "dump "
                  "and urlencode)");
        CHECK(config_error(with_url({{"headers", {{"X-Q", "{{ prompt | upper }}"}}}})) ==
              w + "header 'X-Q': unknown filter 'upper' in '{{ prompt | upper }}' (use dump or "
                  "urlencode)");
        CHECK(config_error({{"url", "https://x/{{ }}"}}) ==
              w + "url: tag '{{ }}' has no valid name");
    }

    TEST_CASE("provider::build_http_target_request") {
        SUBCASE("prompt, vars and env in the URL, headers and body; env values are secrets") {
            std::vector<std::string> secrets;
            auto http = built({{"url", "{{env.BASE}}/v1/{{language}}"},
                               {"headers", {{"Authorization", "Bearer {{ env.TOKEN }}"}}},
                               {"body", {{"q", "{{prompt}}"}, {"lang", "in {{vars.language}}"}}}},
                              &secrets);
            CHECK(http.method == "POST");
            CHECK(http.url == "https://api.example.com/v1/French");
            CHECK(header(http, "Authorization") == "Bearer s3cret-token");
            CHECK(header(http, "content-type") == "application/json");
            CHECK(json::parse(http.body) ==
                  json{{"q", "Be brief.\n\nCapital of \"France\"?\nOne word."},
                       {"lang", "in French"}});
            CHECK(secrets == std::vector<std::string>{"https://api.example.com", "s3cret-token"});
        }
        SUBCASE("a string that is exactly one tag keeps the value's JSON type") {
            auto http =
                built(with_url({{"body",
                                 {{"n", "{{count}}"},
                                  {"flag", "{{flag}}"},
                                  {"user", "{{user}}"},
                                  {"none", "{{none}}"},
                                  {"messages", "{{messages}}"},
                                  {"text", "n={{count}} {{user.name}} {{user.tags.1}} [{{none}}]"},
                                  {"kept", {1, false, nullptr}}}}}));
            CHECK(json::parse(http.body) ==
                  json{{"n", 3},
                       {"flag", true},
                       {"user", {{"name", "Ann"}, {"tags", {"a", "b"}}}},
                       {"none", nullptr},
                       {"messages",
                        {{{"role", "system"}, {"content", "Be brief."}},
                         {{"role", "user"}, {"content", "Capital of \"France\"?\nOne word."}}}},
                       {"text", "n=3 Ann b []"},
                       {"kept", {1, false, nullptr}}});
        }
        SUBCASE("a text body with filters, Mustache's triple braces and comments") {
            auto http = built(with_url(
                {{"body",
                  "q={{prompt | urlencode}}&l={{{language}}}{{! a comment }}&j={{prompt|dump}}"}}));
            CHECK(header(http, "content-type") == "text/plain");
            CHECK(http.body ==
                  "q=Be%20brief.%0A%0ACapital%20of%20%22France%22%3F%0AOne%20word.&l=French"
                  "&j=\"Be brief.\\n\\nCapital of \\\"France\\\"?\\nOne word.\"");
        }
        SUBCASE("a content type set by the user is kept, whatever its case") {
            auto http = built(
                with_url({{"headers", {{"Content-Type", "application/x-www-form-urlencoded"}}},
                          {"body", "q={{prompt | urlencode}}"}}));
            CHECK(http.headers == std::vector<std::pair<std::string, std::string>>{
                                      {"Content-Type", "application/x-www-form-urlencoded"}});
        }
        SUBCASE("GET sends no body and no content type") {
            auto http =
                built({{"url", "https://x/ask?q={{prompt | urlencode}}"}, {"method", "GET"}});
            CHECK(http.method == "GET");
            CHECK(http.url ==
                  "https://x/ask?q=Be%20brief.%0A%0ACapital%20of%20%22France%22%3F%0AOne%20word.");
            CHECK(http.body.empty());
            CHECK(http.headers.empty());
        }
    }

    TEST_CASE("provider::build_http_target_request errors") {
        CHECK(build_error(with_url({{"body", {{"q", {{"text", "{{langauge}}"}}}}}})) ==
              "http: body.q.text: unknown variable 'langauge' (did you mean 'language'?)");
        CHECK(build_error(with_url({{"body", {"{{vars.missing}}"}}})) ==
              "http: body[0]: unknown variable 'vars.missing'");
        CHECK(build_error(with_url({{"body", "{{user.name.first}}"}})) ==
              "http: body: unknown variable 'user.name.first'");
        CHECK(build_error({{"url", "https://x/{{model}}"}}) ==
              "http: url: unknown variable 'model'");
        CHECK(build_error(with_url({{"headers", {{"Authorization", "Bearer {{env.NOPE}}"}}}})) ==
              "http: header 'Authorization': environment variable 'NOPE' is not set");
    }

    TEST_CASE("provider::parse_http_target_response") {
        SUBCASE("the value at the path: strings as they are, other values as JSON") {
            CHECK(output_at("json.output", R"({"output": "Paris"})") == "Paris");
            CHECK(output_at("output", R"({"output": "Paris"})") == "Paris");
            CHECK(output_at("choices[0].message.content",
                            R"({"choices": [{"message": {"content": "Hi"}}]})") == "Hi");
            CHECK(output_at(R"(json["a b"]['c'])", R"({"a b": {"c": "quoted"}})") == "quoted");
            CHECK(output_at("[1]", R"(["x", "y"])") == "y");
            CHECK(output_at("score", R"({"score": 0.5})") == "0.5");
            CHECK(output_at("data", R"({"data": {"b": [1, 2], "a": null}})") ==
                  R"({"a":null,"b":[1,2]})");
            CHECK(output_at("json", R"({"x": 1})") == R"({"x":1})");
            CHECK(output_at("json", R"("just text")") == "just text");
        }
        SUBCASE("no path: the raw body, JSON or not") {
            CHECK(output_at("", "plain text\n") == "plain text\n");
            CHECK(output_at("", R"({"x": 1})") == R"({"x": 1})");
            CHECK(output_at("", "bad \xff byte") == "bad \xEF\xBF\xBD byte");
        }
        SUBCASE("latency, first byte and attempts come from the response; no cost") {
            auto target = target_ok(with_url({}));
            auto outcome = provider::parse_http_target_response(target, chat(), ok("x"));
            REQUIRE(outcome.has_value());
            CHECK(outcome->latency_ms == 42);
            CHECK(outcome->first_byte_ms == 7);
            CHECK(outcome->attempts == 2);
            CHECK_FALSE(outcome->cost_usd.has_value());
        }
    }

    TEST_CASE("provider::parse_http_target_response usage") {
        auto usage_of = [](const std::string& body) {
            auto target = target_ok(with_url({{"response_path", "out"}}));
            auto outcome = provider::parse_http_target_response(target, chat(), ok(body));
            REQUIRE_OK(outcome);
            return outcome->result.usage;
        };
        SUBCASE("an OpenAI-style usage object") {
            auto u = usage_of(R"({"out": "x", "usage": {"prompt_tokens": 10, "completion_tokens": 4,
            "prompt_tokens_details": {"cached_tokens": 6},
            "completion_tokens_details": {"reasoning_tokens": 2}}})");
            CHECK(u.input == 10);
            CHECK(u.output == 4);
            CHECK(u.cached_input == 6);
            CHECK(u.reasoning == 2);
            CHECK_FALSE(u.estimated);
        }
        SUBCASE("input_tokens and output_tokens") {
            auto u = usage_of(R"({"out": "x", "usage": {"input_tokens": 8, "output_tokens": 5}})");
            CHECK(u.input == 8);
            CHECK(u.output == 5);
            CHECK_FALSE(u.estimated);
        }
        SUBCASE("otherwise estimated from the messages and the output, and marked so") {
            // "Be brief." + the question: 39 code points -> 10 tokens; "12345678" -> 2.
            for (const char* body :
                 {R"({"out": "12345678"})", R"({"out": "12345678", "usage": {}})"}) {
                auto u = usage_of(body);
                CHECK(u.input == 10);
                CHECK(u.output == 2);
                CHECK(u.estimated);
            }
        }
    }

    TEST_CASE("provider::parse_http_target_response errors") {
        auto provider_error = [](const std::string& path, const std::string& body) {
            auto target = target_ok(with_url({{"transformResponse", path}}));
            auto outcome = provider::parse_http_target_response(target, chat(), ok(body));
            REQUIRE_FALSE(outcome.has_value());
            CHECK(outcome.error().code() == ErrorCode::provider);
            return outcome.error().message();
        };
        CHECK(provider_error("json.output", "<html>oops</html>") ==
              "http: response is not JSON: '<html>oops</html>'");
        CHECK(provider_error("json.output", "") == "http: response body is empty");
        CHECK(provider_error("json.data.output", R"({"output": "x"})") ==
              "http: response has no 'json.data'");
        CHECK(provider_error("choices[1].message", R"({"choices": [{"message": "x"}]})") ==
              "http: response has no 'choices[1]'");
        CHECK(provider_error("json.output.text", R"({"output": "x"})") ==
              "http: response has no 'json.output.text': 'json.output' is a string");
        CHECK(provider_error("output[0]", R"({"output": {"0": "x"}})") ==
              "http: response has no 'output[0]': 'output' is an object");
        CHECK(provider_error("output", R"(["x"])") ==
              "http: response has no 'output': the response is an array");
        CHECK(provider_error("json.output", R"({"output": null})") ==
              "http: response has null at 'json.output'");
        HttpResponse failed = ok(R"({"error": {"message": "bad input"}})");
        failed.status = 422;
        CHECK(response_error("json.output", failed) == "http: HTTP 422: bad input");
    }

} // TEST_SUITE
