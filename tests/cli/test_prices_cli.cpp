// `llmops prices list`: the built-in table, filtering, project overrides and their errors.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace llmops::test {

TEST_SUITE("cli") {

    TEST_CASE("cli::prices list") {
        TempDir dir;
        SUBCASE("works outside a project and filters by model or provider") {
            const auto r = llmops(dir.path(), {"prices", "list", "deepseek"});
            CHECK(r.exit_code == 0);
            CHECK(r.out.find("deepseek   deepseek-chat") != std::string::npos);
            CHECK(r.out.find("gpt-4o") == std::string::npos);
        }
        SUBCASE("--json lists every entry with its source") {
            const auto r = llmops(dir.path(), {"prices", "list", "--json"});
            REQUIRE(r.exit_code == 0);
            const auto doc = nlohmann::json::parse(r.out);
            CHECK(doc["unit"] == "USD per 1M tokens");
            REQUIRE(doc["models"].size() >= 20);
            for (const auto& m : doc["models"]) {
                CHECK(m["source"].get<std::string>().starts_with("https://"));
            }
        }
        SUBCASE("a project's .llmops/prices.yaml overrides and extends the table") {
            REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
            dir.write(".llmops/prices.yaml",
                      "models:\n  - {provider: openai, model: gpt-4o-mini, input: 9, output: 9}\n"
                      "  - {provider: local, model: my-llama, input: 0, output: 0}\n");
            const auto r = llmops(dir.path(), {"prices", "list", "--json"});
            REQUIRE(r.exit_code == 0);
            int seen = 0;
            const auto doc = nlohmann::json::parse(r.out);
            for (const auto& m : doc["models"]) {
                if (m["model"] == "gpt-4o-mini") {
                    CHECK(m["input"] == 9.0);
                    ++seen;
                }
                if (m["model"] == "my-llama") {
                    CHECK(m["provider"] == "local");
                    ++seen;
                }
            }
            CHECK(seen == 2);
        }
        SUBCASE("a malformed override is a configuration error naming the file") {
            REQUIRE(llmops(dir.path(), {"init"}).exit_code == 0);
            dir.write(".llmops/prices.yaml", "models:\n  - {model: x, input: 1}\n");
            const auto r = llmops(dir.path(), {"prices", "list"});
            CHECK(r.exit_code == 2);
            CHECK(r.err == "llmops: error: " + (dir / ".llmops/prices.yaml").string() +
                               ": models[0]: missing 'output'\n");
        }
    }

} // TEST_SUITE

} // namespace llmops::test
