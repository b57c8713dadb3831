#include <llmops/util/json.hpp>

#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "support/expected.hpp"

using llmops::ErrorCode;
using nlohmann::json;
namespace util = llmops::util;

namespace {

// `levels` arrays inside each other.
std::string arrays(size_t levels) {
    return std::string(levels, '[') + std::string(levels, ']');
}

// `levels` objects inside each other, each the member "a" of the one around it.
std::string objects(size_t levels) {
    std::string text;
    for (size_t i = 0; i < levels; ++i) {
        text += R"({"a":)";
    }
    return text + "1" + std::string(levels, '}');
}

std::string error_of(std::string_view text, std::string_view name, size_t first_line = 0) {
    auto parsed = util::parse_json(text, name, first_line);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code() == ErrorCode::invalid_input);
    return parsed.error().message();
}

} // namespace

TEST_SUITE("util") {

    TEST_CASE("util::parse_json nesting") {
        SUBCASE("512 levels of arrays or objects parse, and serialise") {
            auto deep_arrays = util::parse_json(arrays(512), "x.json");
            REQUIRE_OK(deep_arrays);
            CHECK(util::canonical_json(*deep_arrays) == arrays(512));
            auto deep_objects = util::parse_json(objects(512), "x.json");
            REQUIRE_OK(deep_objects);
            CHECK(util::canonical_json(*deep_objects) == objects(512));
        }
        SUBCASE("one level more is refused at the bracket that opens it") {
            CHECK(error_of(arrays(513), "x.json") ==
                  "x.json:1:513: nesting deeper than 512 levels");
            CHECK(error_of(objects(513), "x.json") ==
                  "x.json:1:2561: nesting deeper than 512 levels");
        }
        SUBCASE("100,000 levels (a 200 KB JSONL line) are refused without a crash") {
            CHECK(error_of(arrays(100'000), "cases.jsonl", 3) ==
                  "cases.jsonl:3:513: nesting deeper than 512 levels");
            CHECK(error_of(objects(100'000), "cases.jsonl", 7) ==
                  "cases.jsonl:7:2561: nesting deeper than 512 levels");
        }
        SUBCASE("a document on several lines names the line of the bracket") {
            const std::string text = "{\n  \"vars\": " + arrays(600) + "\n}";
            CHECK(error_of(text, "cases.json") ==
                  "cases.json:2:522: nesting deeper than 512 levels");
        }
        SUBCASE("syntax errors before the limit keep their own message") {
            CHECK(error_of("[[[1,]]]", "x.json") ==
                  "x.json:1:6: not JSON: syntax error while parsing value - unexpected ']'; "
                  "expected '[', '{', or a literal");
            CHECK(error_of("[1e400]", "x.json") ==
                  "x.json: not JSON: number overflow parsing '1e400'");
        }
    }

    TEST_CASE("util::parse_json_or_discarded") {
        SUBCASE("JSON gives its value") {
            CHECK(util::parse_json_or_discarded(R"({"a": [1, "x", null]})") ==
                  json{{"a", {1, "x", nullptr}}});
            CHECK(util::parse_json_or_discarded(arrays(512)).is_array());
        }
        SUBCASE("anything else is discarded, nesting past 512 levels included") {
            CHECK(util::parse_json_or_discarded("{\"a\": ").is_discarded());
            CHECK(util::parse_json_or_discarded("[1] x").is_discarded());
            CHECK(util::parse_json_or_discarded("[1e400]").is_discarded());
            CHECK(util::parse_json_or_discarded(arrays(513)).is_discarded());
            CHECK(util::parse_json_or_discarded(objects(100'000)).is_discarded());
        }
    }

} // TEST_SUITE
