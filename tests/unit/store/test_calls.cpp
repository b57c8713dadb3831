#include <llmops/store/calls.hpp>

#include <doctest/doctest.h>

#include <llmops/store/schema.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using llmops::test::TempDir;
namespace store = llmops::store;

TEST_SUITE("store") {
    TEST_CASE("store::parse_iso8601_ns") {
        CHECK(store::parse_iso8601_ns("2026-11-23") == 1795392000LL * 1'000'000'000);
        CHECK(store::parse_iso8601_ns("2026-11-23T09:00:00Z") == 1795424400LL * 1'000'000'000);
        CHECK(store::parse_iso8601_ns("2026-11-23T10:00:00.5+01:00") ==
              1795424400LL * 1'000'000'000 + 500'000'000);
        CHECK_FALSE(store::parse_iso8601_ns("yesterday"));
        CHECK_FALSE(store::parse_iso8601_ns("2026-13-01"));
        CHECK_FALSE(store::parse_iso8601_ns("2026-11-23T09:00"));
        CHECK(store::iso8601_from_unix_ns(1795424400LL * 1'000'000'000 + 123'456'789) ==
              "2026-11-23T09:00:00.123Z");
    }

    TEST_CASE("store::CallWriter") {
        TempDir dir;
        auto db = store::Database::open(dir / "llmops.db", store::OpenMode::read_write);
        REQUIRE_OK(db);
        REQUIRE_OK(store::migrate(*db));
        store::CallRecord call;
        call.span_id = "s1";
        call.time_unix_ns = 1'000'000'000;
        call.model = "m";
        call.source = "jsonl";
        {
            store::CallWriter writer(*db);
            REQUIRE_OK(writer.add(call));
            call.span_id = "s2";
            call.time_unix_ns = 2'000'000'000;
            REQUIRE_OK(writer.add(call));
            REQUIRE_OK(writer.add(call)); // the same span twice
            REQUIRE_OK(writer.flush());
            CHECK(writer.inserted() == 2);
            CHECK(writer.duplicates() == 1);
        }
        store::CallFilter filter;
        auto calls = store::list_calls(*db, filter);
        REQUIRE_OK(calls);
        REQUIRE(calls->size() == 2);
        CHECK((*calls)[0].span_id == "s2"); // newest first
        CHECK((*calls)[0].time == "1970-01-01T00:00:02.000Z");
        filter.until_unix_ns = 2'000'000'000;
        CHECK(store::list_calls(*db, filter)->size() == 1);
    }
} // TEST_SUITE
