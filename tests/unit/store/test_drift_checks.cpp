// The drift checks `llmops drift` records (store/drift_checks.hpp, schema 10).

#include <doctest/doctest.h>

#include <llmops/store/drift_checks.hpp>

#include "support/expected.hpp"
#include "support/test_project.hpp"

using namespace llmops;

TEST_SUITE("store") {
    TEST_CASE("store::record_drift_check and latest_drift_checks") {
        test::TestProject p;
        CHECK(store::latest_drift_checks(*p.db).value().empty());
        for (const auto& [prompt, alarm] :
             std::vector<std::pair<std::string, bool>>{{"b", false}, {"a", true}, {"b", true}}) {
            store::DriftCheck check;
            check.prompt = prompt;
            check.reference_since_unix_ns = 1;
            check.checked_at_unix_ns = 1'795'305'600'000'000'000;
            check.statistics = R"([{"feature":"input length"}])";
            check.alarm = alarm;
            REQUIRE_OK(store::record_drift_check(*p.db, check));
        }
        const auto latest = store::latest_drift_checks(*p.db);
        REQUIRE_OK(latest);
        REQUIRE(latest->size() == 2);
        CHECK(latest->at(0).prompt == "a");
        CHECK(latest->at(1).prompt == "b");
        CHECK(latest->at(1).id == 3);
        CHECK(latest->at(1).alarm);
        CHECK(latest->at(1).reference_since_unix_ns == 1);
        CHECK_FALSE(latest->at(1).reference_until_unix_ns.has_value());
        CHECK(latest->at(1).statistics == R"([{"feature":"input length"}])");
        auto stored = p.db->prepare("SELECT checked_at FROM drift_checks WHERE id = 3");
        REQUIRE_OK(stored);
        REQUIRE(stored->step().value());
        CHECK(stored->text(0) == "2026-11-22T00:00:00.000Z");
    }
}
