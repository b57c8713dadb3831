#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/provider/config.hpp>

using namespace llmops;
using nlohmann::json;

namespace {

Expected<provider::ProviderConfig> parse(std::string_view entry) {
    return provider::parse_provider_config(json::parse(entry), "qa.yaml: providers[0]", "/suite");
}

std::string error_of(std::string_view entry) {
    auto c = parse(entry);
    REQUIRE_FALSE(c.has_value());
    return c.error().message();
}

} // namespace

TEST_SUITE("provider") {

    TEST_CASE("provider::parse_provider_config") {
        SUBCASE("a string id takes the defaults") {
            auto c = parse(R"("openai:gpt-4o-mini")");
            REQUIRE(c.has_value());
            CHECK(c->label == "openai:gpt-4o-mini");
            CHECK(c->max_retries == 3);
            CHECK(c->timeout_ms == 120000);
            CHECK_FALSE(c->params.temperature.has_value());
        }
        SUBCASE("promptfoo's keys and ours") {
            auto c = parse(R"({"id": "openai:gpt-4o", "label": "big",
            "config": {"temperature": 0, "max_tokens": 200, "stop": "END", "seed": 7,
                       "apiBaseUrl": "http://h/v1", "apiKeyEnvar": "MY_KEY", "rpm": 60,
                       "tpm": 10000, "retries": 0, "timeout_ms": 5000,
                       "cost": {"input": 1, "output": 2},
                       "response_format": {"type": "json_object"}}})");
            REQUIRE(c.has_value());
            CHECK(c->label == "big");
            CHECK(*c->params.temperature == 0.0);
            CHECK(*c->params.max_tokens == 200);
            CHECK(c->params.stop == std::vector<std::string>{"END"});
            CHECK(*c->base_url == "http://h/v1");
            CHECK(*c->api_key_env == "MY_KEY");
            CHECK(*c->rpm == 60.0);
            CHECK(c->max_retries == 0);
            CHECK(c->cost->output == 2.0);
            CHECK(*c->params.response_format_json == R"({"type":"json_object"})");
        }
        SUBCASE("a literal apiKey warns and stays out of the public config") {
            auto c = parse(
                R"({"id": "openai:gpt-4o", "config": {"apiKey": "sk-123", "headers": {"X-Token": "t0p"}}})");
            REQUIRE(c.has_value());
            CHECK(*c->literal_api_key == "sk-123");
            REQUIRE(c->warnings.size() == 1);
            CHECK(c->warnings[0].starts_with("qa.yaml: providers[0]: 'apiKey' holds a key"));
            CHECK(c->public_config.dump().find("sk-123") == std::string::npos);
            CHECK(c->public_config.dump().find("t0p") == std::string::npos);
            CHECK(c->public_config["headers"] == json::parse(R"(["X-Token"])"));
        }
        SUBCASE("unknown and mistyped keys are errors naming the key") {
            CHECK(error_of(R"({"id": "openai:gpt-4o", "config": {"temprature": 0.2}})") ==
                  "qa.yaml: providers[0]: unknown key 'temprature' (did you mean 'temperature'?)");
            CHECK(error_of(R"({"id": "openai:gpt-4o", "config": {"temperature": "hot"}})") ==
                  "qa.yaml: providers[0]: 'temperature' must be a number");
            CHECK(error_of(R"({"id": "openai:gpt-4o", "lable": "x"})") ==
                  "qa.yaml: providers[0]: unknown key 'lable' (did you mean 'label'?)");
            CHECK(error_of(R"({"id": "openai:gpt-4o", "delay": 500})") ==
                  "qa.yaml: providers[0]: 'delay' is a promptfoo provider key llmops does not "
                  "support: "
                  "use 'rpm' in the provider's config to pace requests");
            CHECK(error_of(R"x({"id": "openai:gpt-4o", "transform": "output.trim()"})x")
                      .starts_with("qa.yaml: providers[0]: 'transform' is a promptfoo provider key "
                                   "llmops does not support"));
            CHECK(error_of(R"({"id": "openai:gpt-4o", "config": {"cost": 0.1}})") ==
                  "qa.yaml: providers[0]: 'cost' must be a map of USD per million tokens: "
                  "{input: 2.5, output: 10}");
            CHECK(error_of(R"({"id": "openai:gpt-4o", "config": {"rpm": 0}})") ==
                  "qa.yaml: providers[0]: 'rpm' must be greater than 0");
            CHECK(error_of(R"({"config": {}})") ==
                  "qa.yaml: providers[0]: a provider needs an 'id'");
            CHECK(error_of(R"({"id": "gpt4"})") ==
                  "qa.yaml: providers[0]: unknown provider 'gpt4'");
        }
        SUBCASE("exec splits its command line and resolves a relative program against the suite") {
            auto c = parse(R"({"id": "exec:./app.sh --mode 'a b'", "config": {"anything": [1]}})");
            REQUIRE(c.has_value());
            CHECK(c->argv == std::vector<std::string>{"/suite/app.sh", "--mode", "a b"});
            CHECK(c->public_config["anything"] == json::parse("[1]"));
            auto path = parse(R"("exec:python3 app.py")");
            CHECK(path->argv[0] == "python3");
        }
        SUBCASE("replay resolves its file against the suite and may name the recorded provider") {
            auto c =
                parse(R"({"id": "replay:rec/a.jsonl", "config": {"provider": "openai:gpt-4o"}})");
            REQUIRE(c.has_value());
            CHECK(c->replay_file == "/suite/rec/a.jsonl");
            CHECK(c->replay_provider == "openai:gpt-4o");
            CHECK(error_of(R"({"id": "openai:gpt-4o", "config": {"provider": "x"}})") ==
                  "qa.yaml: providers[0]: unknown key 'provider'");
        }
        SUBCASE("an http URL id is the target URL") {
            auto c = parse(
                R"({"id": "https://api.example.com/chat", "config": {"body": {"q": "{{prompt}}"}}})");
            REQUIRE(c.has_value());
            CHECK(c->http.url == "https://api.example.com/chat");
        }
        SUBCASE("credentials in a URL id reach the target, never the id, the model or the label") {
            auto c = parse(R"({"id": "http://user:PASS@h/v1?api_key=K&q=1"})");
            REQUIRE(c.has_value());
            CHECK(c->http.url == "http://user:PASS@h/v1?api_key=K&q=1");
            CHECK(c->spec.target == "http://user:PASS@h/v1?api_key=K&q=1");
            CHECK(c->spec.id == "http://h/v1?q=1");
            CHECK(c->spec.model == "http://h/v1?q=1");
            CHECK(c->label == "http://h/v1?q=1");
            CHECK(error_of(R"({"id": "htp://user:PASS@h/"})") ==
                  "qa.yaml: providers[0]: unknown provider 'htp://h/' (did you mean 'http'?)");
        }
        SUBCASE("the public config holds no URL credentials; an exec: program still gets them") {
            auto api = parse(R"({"id": "openai:gpt-4o",
                             "config": {"base_url": "http://u:PASS@h/v1?key=K&v=2"}})");
            REQUIRE(api.has_value());
            CHECK(*api->base_url == "http://u:PASS@h/v1?key=K&v=2");
            CHECK(api->public_config == json::parse(R"({"base_url": "http://h/v1?v=2"})"));
            auto http =
                parse(R"({"id": "http", "config": {"url": "https://u:PASS@h/chat?token=T"}})");
            REQUIRE(http.has_value());
            CHECK(http->http.url == "https://u:PASS@h/chat?token=T");
            CHECK(http->public_config == json::parse(R"({"url": "https://h/chat"})"));
            auto exec = parse(R"({"id": "exec:./app.sh http://u:PASS@h",
                              "config": {"endpoint": "http://u:PASS@h/x"}})");
            REQUIRE(exec.has_value());
            CHECK(exec->argv == std::vector<std::string>{"/suite/app.sh", "http://u:PASS@h"});
            CHECK(exec->spec.id == "exec:./app.sh http://h");
            CHECK(exec->program_config == json::parse(R"({"endpoint": "http://u:PASS@h/x"})"));
            CHECK(exec->public_config == json::parse(R"({"endpoint": "http://h/x"})"));
        }
    }

    TEST_CASE("provider::merge_params and params_json") {
        provider::Params base;
        base.temperature = 0.5;
        base.max_tokens = 100;
        provider::Params over;
        over.temperature = 0.0;
        const auto merged = provider::merge_params(base, over);
        CHECK(*merged.temperature == 0.0);
        CHECK(*merged.max_tokens == 100);
        CHECK(provider::params_json(merged) ==
              json::parse(R"({"max_tokens":100,"temperature":0.0})"));
    }

} // TEST_SUITE
