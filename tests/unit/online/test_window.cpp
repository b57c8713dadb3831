// Time windows of production calls (online/window.hpp).

#include <doctest/doctest.h>

#include <llmops/online/window.hpp>
#include <llmops/store/calls.hpp>

using namespace llmops;

namespace {

int64_t at(const char* iso) {
    return *store::parse_iso8601_ns(iso);
}

} // namespace

TEST_SUITE("online") {
    TEST_CASE("a bound is a duration back from now or an ISO 8601 time") {
        const int64_t now = at("2026-11-23T12:00:00Z");
        CHECK(*online::parse_time_bound("24h", "--since", now).value() ==
              at("2026-11-22T12:00:00Z"));
        CHECK(*online::parse_time_bound("1d12h", "--since", now).value() ==
              at("2026-11-22T00:00:00Z"));
        CHECK(*online::parse_time_bound("2026-11-01", "--since", now).value() ==
              at("2026-11-01T00:00:00Z"));
        CHECK_FALSE(online::parse_time_bound("", "--since", now).value().has_value());
        auto bad = online::parse_time_bound("yesterday", "--since", now);
        REQUIRE_FALSE(bad);
        CHECK(bad.error().code() == ErrorCode::invalid_input);
        CHECK(bad.error().message().find("--since 'yesterday'") != std::string::npos);
    }

    TEST_CASE("a window is A..B, a bare date ending at the end of its day, or A until now") {
        const int64_t now = at("2026-11-23T12:00:00Z");
        auto week = online::parse_time_window("2026-11-01..2026-11-07", "--reference", now);
        REQUIRE(week);
        CHECK(*week->since_unix_ns == at("2026-11-01T00:00:00Z"));
        CHECK(*week->until_unix_ns == at("2026-11-08T00:00:00Z"));
        CHECK(week->contains(at("2026-11-07T23:59:59Z")));
        CHECK_FALSE(week->contains(at("2026-11-08T00:00:00Z")));
        CHECK(online::to_string(*week) == "2026-11-01T00:00:00.000Z..2026-11-08T00:00:00.000Z");

        auto day = online::parse_time_window("24h", "--current", now);
        REQUIRE(day);
        CHECK(*day->since_unix_ns == at("2026-11-22T12:00:00Z"));
        CHECK(*day->until_unix_ns == now);

        auto older = online::parse_time_window("48h..24h", "since", now);
        REQUIRE(older);
        CHECK(*older->until_unix_ns == at("2026-11-22T12:00:00Z"));

        auto open_end = online::parse_time_window("2026-11-01..", "--reference", now);
        REQUIRE(open_end);
        CHECK_FALSE(open_end->until_unix_ns.has_value());
        CHECK(online::to_string(*open_end) == "2026-11-01T00:00:00.000Z..");

        auto empty =
            online::parse_time_window("2026-11-07..2026-11-01T00:00:00Z", "--current", now);
        REQUIRE_FALSE(empty);
        CHECK(empty.error().message().find("empty window") != std::string::npos);
    }
}
