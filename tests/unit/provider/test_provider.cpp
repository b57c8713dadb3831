#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include <doctest/doctest.h>

#include <llmops/provider/provider.hpp>

using namespace llmops;
using provider::Kind;

namespace {

provider::EnvLookup fake_env(std::map<std::string, std::string> vars) {
    return [vars](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(std::string(name));
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

} // namespace

TEST_SUITE("provider") {

    TEST_CASE("provider::parse_provider_id") {
        SUBCASE("promptfoo's ids") {
            CHECK(provider::parse_provider_id("openai:gpt-4o-mini")->model == "gpt-4o-mini");
            CHECK(provider::parse_provider_id("openai:chat:gpt-4o")->model == "gpt-4o");
            CHECK(provider::parse_provider_id("anthropic:messages:claude-haiku-4-5")->kind ==
                  Kind::anthropic);
            CHECK(provider::parse_provider_id("google:gemini-2.5-flash")->kind == Kind::google);
            CHECK(provider::parse_provider_id("azure:my-deployment")->model == "my-deployment");
            CHECK(provider::parse_provider_id("ollama:llama3.1:8b")->model == "llama3.1:8b");
            CHECK(provider::parse_provider_id("echo")->kind == Kind::echo);
        }
        SUBCASE("errors say what is wrong") {
            CHECK(provider::parse_provider_id("openai:").error().message() ==
                  "provider 'openai:' names no model");
            CHECK(provider::parse_provider_id("opnai:gpt-4o").error().message() ==
                  "unknown provider 'opnai:gpt-4o' (did you mean 'openai'?)");
            CHECK(provider::parse_provider_id("exec:").error().message() ==
                  "provider 'exec:' names no command");
            CHECK(provider::parse_provider_id("replay:").error().message() ==
                  "provider 'replay:' names no file");
        }
        SUBCASE("exec, http and replay") {
            CHECK(provider::parse_provider_id("exec:python3 app.py")->model == "python3 app.py");
            CHECK(provider::parse_provider_id("replay:rec.jsonl")->kind == Kind::replay);
            CHECK(provider::parse_provider_id("http")->kind == Kind::http);
            const auto url = provider::parse_provider_id("https://example.com/api");
            CHECK(url->kind == Kind::http);
            CHECK(url->model == "https://example.com/api");
        }
    }

    TEST_CASE("provider::endpoint_for") {
        const auto openai = *provider::parse_provider_id("openai:gpt-4o-mini");
        SUBCASE("the key comes from the environment") {
            auto e = provider::endpoint_for(openai, fake_env({{"OPENAI_API_KEY", "sk-test"}}));
            REQUIRE(e.has_value());
            CHECK(e->api_key == "sk-test");
            CHECK(e->base_url == "");
        }
        SUBCASE("a vendor endpoint without a key is a configuration error") {
            auto e = provider::endpoint_for(openai, fake_env({}));
            REQUIRE_FALSE(e.has_value());
            CHECK(e.error().code() == ErrorCode::invalid_input);
            CHECK(e.error().message() ==
                  "provider 'openai:gpt-4o-mini': OPENAI_API_KEY is not set");
        }
        SUBCASE("a server of the user's own may need no key") {
            auto e = provider::endpoint_for(
                openai, fake_env({{"OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"}}));
            REQUIRE(e.has_value());
            CHECK(e->base_url == "http://127.0.0.1:8000/v1");
            CHECK(e->api_key == "");
        }
        SUBCASE("api_key_env names another variable") {
            auto e = provider::endpoint_for(openai, fake_env({{"MY_KEY", "k2"}}),
                                            {std::nullopt, std::string("MY_KEY"), std::nullopt});
            REQUIRE(e.has_value());
            CHECK(e->api_key == "k2");
        }
        SUBCASE("ollama defaults to the local server's OpenAI-compatible API") {
            auto e =
                provider::endpoint_for(*provider::parse_provider_id("ollama:llama3"), fake_env({}));
            REQUIRE(e.has_value());
            CHECK(e->base_url == "http://localhost:11434/v1");
            CHECK(e->api == provider::Api::openai);
            auto slash =
                provider::endpoint_for(*provider::parse_provider_id("ollama:llama3"),
                                       fake_env({{"OLLAMA_BASE_URL", "http://gpu:11434/"}}));
            REQUIRE(slash.has_value());
            CHECK(slash->base_url == "http://gpu:11434/v1");
        }
        SUBCASE("azure needs its endpoint") {
            auto e = provider::endpoint_for(*provider::parse_provider_id("azure:dep"),
                                            fake_env({{"AZURE_OPENAI_API_KEY", "k"}}));
            REQUIRE_FALSE(e.has_value());
            CHECK(
                e.error().message() ==
                "provider 'azure:dep': set AZURE_OPENAI_ENDPOINT (https://NAME.openai.azure.com)");
        }
    }

    TEST_CASE("provider::environment_secrets") {
        CHECK(provider::environment_secrets(fake_env({{"OPENAI_API_KEY", "sk-a"},
                                                      {"ANTHROPIC_API_KEY", "sk-ant"},
                                                      {"OPENAI_BASE_URL", "http://u:pw@h/v1"},
                                                      {"OTHER_KEY", "not-known"}})) ==
              std::vector<std::string>{"sk-a", "sk-ant", "pw"});
    }

    TEST_CASE("provider::Provider echo") {
        auto config = provider::parse_provider_config("echo", "test", ".");
        REQUIRE(config.has_value());
        auto echo = provider::Provider::create(std::move(*config), fake_env({}));
        REQUIRE(echo.has_value());
        CHECK((*echo)->transport() == provider::Provider::Transport::local);
        provider::CompletionRequest request;
        request.messages = {{"system", "Be brief."}, {"user", "Hello there"}};
        auto out = (*echo)->call_direct(request, nlohmann::json::object(), 0);
        REQUIRE(out.has_value());
        CHECK(out->result.output == "Be brief.\n\nHello there");
        CHECK(out->result.usage.estimated);
        CHECK(out->result.usage.input == 5); // ceil((9 + 11) / 4): the messages' contents
        REQUIRE(out->cost_usd.has_value());
        CHECK(*out->cost_usd == 0.0);
    }

    TEST_CASE("provider::Provider::create") {
        SUBCASE("an API provider needs its key") {
            auto config = provider::parse_provider_config("openai:gpt-4o-mini", "test", ".");
            auto made = provider::Provider::create(std::move(*config), fake_env({}));
            REQUIRE_FALSE(made.has_value());
            CHECK(made.error().message() ==
                  "provider 'openai:gpt-4o-mini': OPENAI_API_KEY is not set");
        }
        SUBCASE("a literal apiKey is used, and kept among the secrets") {
            auto config = provider::parse_provider_config(
                nlohmann::json::parse(
                    R"({"id":"openai:gpt-4o-mini","config":{"apiKey":"sk-lit"}})"),
                "test", ".");
            REQUIRE(config.has_value());
            auto made = provider::Provider::create(std::move(*config), fake_env({}));
            REQUIRE(made.has_value());
            const auto& secrets = (*made)->secrets();
            CHECK(std::find(secrets.begin(), secrets.end(), "sk-lit") != secrets.end());
            CHECK((*made)->identity().dump().find("sk-lit") == std::string::npos);
        }
        SUBCASE("the identity of an API provider names its endpoint, not its key") {
            auto config = provider::parse_provider_config("openai:gpt-4o", "test", ".");
            auto made = provider::Provider::create(
                std::move(*config),
                fake_env({{"OPENAI_API_KEY", "sk-x"}, {"OPENAI_BASE_URL", "http://h/v1"}}));
            REQUIRE(made.has_value());
            CHECK(
                (*made)->identity() ==
                nlohmann::json::parse(
                    R"({"api":"openai","base_url":"http://h/v1","kind":"openai","model":"gpt-4o"})"));
        }
        SUBCASE(
            "an API provider's secrets: its key, credential headers, its base URL's credentials") {
            auto config = provider::parse_provider_config(
                nlohmann::json::parse(R"({"id": "openai:gpt-4o", "config": {
                "base_url": "http://u:url-pass@h/v1?api_key=url-key",
                "headers": {"X-Custom-Auth": "hdr-secret", "Content-Type": "application/json",
                            "X-Retries": "3"}}})"),
                "test", ".");
            REQUIRE(config.has_value());
            auto made = provider::Provider::create(std::move(*config),
                                                   fake_env({{"OPENAI_API_KEY", "sk-env"}}));
            REQUIRE(made.has_value());
            CHECK((*made)->secrets() ==
                  std::vector<std::string>{"sk-env", "hdr-secret", "url-pass", "url-key"});
        }
        SUBCASE(
            "an http provider's secrets: env tags, literal credential headers, URL credentials") {
            auto config = provider::parse_provider_config(
                nlohmann::json::parse(R"({"id": "http://u:url-pass@h/chat?token={{env.TOK}}",
                "config": {"headers": {"Authorization": "Basic dTpwYXNzd29yZA==",
                                       "X-Key": "k-{{env.KEY}}", "Accept": "text/plain"}}})"),
                "test", ".");
            REQUIRE(config.has_value());
            auto made = provider::Provider::create(
                std::move(*config), fake_env({{"TOK", "tok-value"}, {"KEY", "key-value"}}));
            REQUIRE(made.has_value());
            CHECK((*made)->secrets() == std::vector<std::string>{"tok-value", "key-value",
                                                                 "url-pass",
                                                                 "Basic dTpwYXNzd29yZA=="});
            CHECK((*made)->id() == "http://h/chat");
        }
        SUBCASE("a missing replay file") {
            auto config =
                provider::parse_provider_config("replay:/nonexistent/rec.jsonl", "test", ".");
            REQUIRE(config.has_value());
            auto made = provider::Provider::create(std::move(*config), fake_env({}));
            REQUIRE_FALSE(made.has_value());
            CHECK(made.error().code() == ErrorCode::not_found);
            CHECK(made.error().message().starts_with("provider 'replay:/nonexistent/rec.jsonl': "));
        }
    }

} // TEST_SUITE
