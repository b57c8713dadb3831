#include <llmops/eval/assertion.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace eval = llmops::eval;
using json = nlohmann::json;

namespace {

eval::AssertionResult check(const json& entry, const eval::AssertionContext& context) {
    auto spec = eval::parse_assertion(entry, "t", ".");
    if (!spec)
        FAIL(spec.error().message());
    return eval::run_assertion(*spec, context);
}

eval::AssertionContext took(double latency_ms, std::optional<double> cost_usd = std::nullopt) {
    eval::AssertionContext context;
    context.output = "x";
    context.latency_ms = latency_ms;
    context.cost_usd = cost_usd;
    return context;
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::latency") {
        const json entry = {{"type", "latency"}, {"threshold", 1000}};
        SUBCASE("passes at or under the threshold in milliseconds") {
            CHECK(check(entry, took(1000)).pass);
            const auto r = check(entry, took(1234.5));
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "latency 1234.5 ms (threshold 1000 ms)");
        }
        SUBCASE("a cached answer is skipped: a pass with score 1, negated or not") {
            auto context = took(5000);
            context.cached = true;
            const auto r = check(entry, context);
            CHECK(r.pass);
            CHECK(r.score == 1);
            CHECK(r.reason == "cached answer: latency not measured");
            CHECK(check({{"type", "not-latency"}, {"threshold", 1000}}, context).pass);
        }
        SUBCASE("not-latency passes above the threshold") {
            CHECK(check({{"type", "not-latency"}, {"threshold", 1000}}, took(2000)).pass);
        }
    }

    TEST_CASE("eval::cost") {
        const json entry = {{"type", "cost"}, {"threshold", 0.001}};
        SUBCASE("passes at or under the threshold in USD") {
            CHECK(check(entry, took(1, 0.0004)).pass);
            const auto r = check(entry, took(1, 0.0025));
            CHECK_FALSE(r.pass);
            CHECK(r.reason == "cost $0.0025 (threshold $0.001)");
        }
        SUBCASE("an unknown cost is an error, never zero") {
            const auto r = check(entry, took(1));
            CHECK(r.error);
            CHECK(r.reason == "cost is unknown (no price for this model; add a 'cost' override)");
        }
    }
}
