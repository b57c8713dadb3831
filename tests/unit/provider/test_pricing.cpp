#include <doctest/doctest.h>

#include <llmops/provider/pricing.hpp>

using namespace llmops;
using provider::PriceTable;
using provider::Usage;

TEST_SUITE("provider") {

    TEST_CASE("provider::PriceTable::builtin") {
        const auto& table = PriceTable::builtin();
        SUBCASE("every entry names its source and effective date") {
            REQUIRE(table.entries().size() >= 20);
            for (const auto& e : table.entries()) {
                CHECK_MESSAGE(e.source.starts_with("https://"), e.model);
                CHECK_MESSAGE(e.effective.size() == 10, e.model);
            }
        }
        SUBCASE("covers the main vendors") {
            for (const char* model : {"gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-pro",
                                      "mistral-large-latest", "deepseek-chat"}) {
                CHECK_MESSAGE(table.find(model) != nullptr, model);
            }
        }
        SUBCASE("a dated snapshot matches its family by prefix, the longest prefix winning") {
            const auto* e = table.find("claude-sonnet-4-5-20250929");
            REQUIRE(e != nullptr);
            CHECK(e->model == "claude-sonnet-4-5");
            CHECK(table.find("gemini-2.5-flash-lite-preview")->model == "gemini-2.5-flash-lite");
        }
        SUBCASE("an unknown model is unpriced, not free") {
            CHECK(table.find("my-local-llama") == nullptr);
            CHECK(table.find("gpt-4o-mini-but-not-really") == nullptr); // gpt-4o-mini is exact only
        }
    }

    TEST_CASE("provider::cost_usd") {
        provider::PriceEntry e;
        e.model = "m";
        e.prices = {2.0, 8.0, 0.5, 3.0};
        SUBCASE("input and output at list price") {
            CHECK(provider::cost_usd(e, Usage{1'000'000, 500'000}) == doctest::Approx(2.0 + 4.0));
        }
        SUBCASE("cached tokens are billed once, at the cached price") {
            Usage u{1'000'000, 0, 400'000, 0, 0, false};
            CHECK(provider::cost_usd(e, u) == doctest::Approx(0.6 * 2.0 + 0.4 * 0.5));
        }
        SUBCASE("cache writes at their own price") {
            Usage u{1'000'000, 0, 0, 250'000, 0, false};
            CHECK(provider::cost_usd(e, u) == doctest::Approx(0.75 * 2.0 + 0.25 * 3.0));
        }
        SUBCASE("reasoning tokens are part of output and not added again") {
            Usage u{0, 1'000'000, 0, 0, 900'000, false};
            CHECK(provider::cost_usd(e, u) == doctest::Approx(8.0));
        }
        SUBCASE("without a cached price, cached tokens cost the input price") {
            e.prices.cached_input.reset();
            Usage u{1'000'000, 0, 500'000, 0, 0, false};
            CHECK(provider::cost_usd(e, u) == doctest::Approx(2.0));
        }
        SUBCASE("past the long-context threshold the whole request uses the tier") {
            e.long_context_above = 200'000;
            e.long_context = {4.0, 12.0, 1.0, 6.0};
            CHECK(provider::cost_usd(e, Usage{200'000, 1'000'000}) ==
                  doctest::Approx(0.2 * 2.0 + 8.0));
            CHECK(provider::cost_usd(e, Usage{200'001, 1'000'000}) ==
                  doctest::Approx(0.200001 * 4.0 + 12.0));
        }
    }

    TEST_CASE("provider::PriceTable::parse") {
        SUBCASE("overrides replace built-in entries and add new ones") {
            auto table = PriceTable::builtin();
            auto overrides = PriceTable::parse(
                "models:\n  - {provider: openai, model: gpt-4o-mini, input: 1, output: 2}\n"
                "  - {model: my-llama, input: 0, output: 0}\n",
                "prices.yaml");
            REQUIRE(overrides.has_value());
            table.merge(*overrides);
            CHECK(table.find("gpt-4o-mini")->prices.input == 1.0);
            REQUIRE(table.find("my-llama") != nullptr);
            CHECK(provider::cost_usd(*table.find("my-llama"), Usage{1000, 1000}) == 0.0);
        }
        SUBCASE("errors name the file, the entry and the field") {
            auto bad = PriceTable::parse("models:\n  - {model: x, input: 1}\n", "p.yaml");
            REQUIRE_FALSE(bad.has_value());
            CHECK(bad.error().message() == "p.yaml: models[0]: missing 'output'");
            auto typo = PriceTable::parse(
                "models:\n  - {model: x, input: 1, output: 1, ouput: 2}\n", "p.yaml");
            REQUIRE_FALSE(typo.has_value());
            CHECK(typo.error().message() ==
                  "p.yaml: models[0]: unknown key 'ouput' (did you mean 'output'?)");
            auto negative =
                PriceTable::parse("models:\n  - {model: x, input: -1, output: 1}\n", "p.yaml");
            REQUIRE_FALSE(negative.has_value());
            CHECK(negative.error().message() ==
                  "p.yaml: models[0]: 'input' must be a non-negative number");
        }
    }

} // TEST_SUITE
