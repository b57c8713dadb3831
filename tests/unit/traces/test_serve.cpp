// `traces serve`'s request handling without a socket: one OTLP/HTTP body in, the status, the
// response body and the store's calls out.

#include <llmops/traces/serve.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <llmops/store/calls.hpp>
#include <llmops/store/schema.hpp>

#include "support/expected.hpp"
#include "support/temp_dir.hpp"

using llmops::test::TempDir;
using nlohmann::json;
namespace store = llmops::store;
namespace traces = llmops::traces;

namespace {

std::string span(const std::string& id, bool with_start = true) {
    return R"({"spanId":")" + id + R"(",)" +
           (with_start ? R"("startTimeUnixNano":"1795424400000000000",)" : "") +
           R"("attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},)"
           R"({"key":"gen_ai.usage.input_tokens","value":{"intValue":"1000"}},)"
           R"({"key":"gen_ai.usage.output_tokens","value":{"intValue":"100"}}]})";
}

std::string request(const std::string& spans) {
    return R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + spans + "]}]}]}";
}

} // namespace

TEST_SUITE("traces") {
    TEST_CASE("traces::handle_export") {
        TempDir dir;
        auto db = store::Database::open(dir / "llmops.db", store::OpenMode::read_write);
        REQUIRE_OK(db);
        REQUIRE_OK(store::migrate(*db));
        const auto& prices = llmops::provider::PriceTable::builtin();
        const auto stored = [&] { return store::list_calls(*db, {})->size(); };
        SUBCASE("spans are stored, priced, once") {
            auto r = traces::handle_export(*db, prices, "application/json; charset=utf-8",
                                           request(span("a1") + "," + span("a2")));
            CHECK(r.status == 200);
            CHECK(r.body == "{}");
            CHECK(r.imported == 2);
            r = traces::handle_export(*db, prices, "application/json", request(span("a1")));
            CHECK(r.imported == 0);
            CHECK(r.duplicates == 1);
            CHECK(stored() == 2);
            CHECK(store::list_calls(*db, {})->front().cost_usd.has_value());
        }
        SUBCASE("unreadable spans are rejected, the others stored") {
            const auto r = traces::handle_export(*db, prices, "application/json",
                                                 request(span("b1") + "," + span("b2", false)));
            CHECK(r.status == 200);
            CHECK(json::parse(r.body) ==
                  json::parse(R"({"partialSuccess":{"rejectedSpans":"1","errorMessage":)"
                              R"("1 span rejected: span 2 (id b2): no 'startTimeUnixNano'"}})"));
            CHECK(stored() == 1);
        }
        SUBCASE("bodies that are not requests are 400, other types 415") {
            CHECK(traces::handle_export(*db, prices, "application/json", "[1]").status == 400);
            CHECK(traces::handle_export(*db, prices, "application/json", "{").status == 400);
            CHECK(traces::handle_export(*db, prices, "application/json", R"({"resourceSpans": 3})")
                      .body ==
                  R"({"code":3,"message":"request: 'resourceSpans' is not an array"})");
            CHECK(traces::handle_export(*db, prices, "application/json", "{}").status == 200);
            CHECK(traces::handle_export(*db, prices, "application/x-protobuf", "").status == 415);
            const auto r = traces::handle_export(*db, prices, "text/plain", "{}");
            CHECK(r.status == 415);
            CHECK(r.message == "Content-Type 'text/plain' is not supported: send OTLP/HTTP JSON "
                               "(application/json)");
        }
    }

    TEST_CASE("traces::parse_listen_address") {
        auto a = traces::parse_listen_address("127.0.0.1:4318");
        REQUIRE_OK(a);
        CHECK(a->host == "127.0.0.1");
        CHECK(a->port == 4318);
        a = traces::parse_listen_address("[::1]:0");
        REQUIRE_OK(a);
        CHECK(a->host == "::1");
        CHECK(a->port == 0);
        CHECK_FALSE(traces::parse_listen_address("::1:4318"));
        CHECK_FALSE(traces::parse_listen_address(":4318"));
        CHECK_FALSE(traces::parse_listen_address("localhost:"));
        CHECK(traces::parse_listen_address("localhost:http").error().message() ==
              "--listen: 'http' is not a port (0 to 65535)");
    }
} // TEST_SUITE
