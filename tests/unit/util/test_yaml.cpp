#include <llmops/util/yaml.hpp>

#include <string>

#include <doctest/doctest.h>

#include "support/expected.hpp"
#include <nlohmann/json.hpp>

using llmops::ErrorCode;
using nlohmann::json;
namespace util = llmops::util;

namespace {

json parse(std::string_view text) {
    auto result = util::parse_yaml(text, "p.yaml");
    REQUIRE_OK(result);
    return *result;
}

std::string error_of(std::string_view text, size_t line_offset = 0) {
    auto result = util::parse_yaml(text, "p.yaml", line_offset);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code() == ErrorCode::invalid_input);
    return result.error().message();
}

} // namespace

TEST_SUITE("util") {

    TEST_CASE("util::parse_yaml typed scalars") {
        SUBCASE("plain scalars follow the YAML 1.2 core schema") {
            const json doc = parse("i: 42\nneg: -7\nplus: +3\nf: 1.5\ne: 1e3\nt: true\nF: False\n"
                                   "n: null\ntilde: ~\nempty:\nhex: 0x1F\noct: 0o17\n");
            CHECK(doc == json{{"i", 42},
                              {"neg", -7},
                              {"plus", 3},
                              {"f", 1.5},
                              {"e", 1000.0},
                              {"t", true},
                              {"F", false},
                              {"n", nullptr},
                              {"tilde", nullptr},
                              {"empty", nullptr},
                              {"hex", 31},
                              {"oct", 15}});
            CHECK(doc["i"].is_number_integer());
            CHECK(doc["e"].is_number_float());
        }
        SUBCASE("YAML 1.1 booleans and other near-misses stay strings") {
            const json doc = parse("a: yes\nb: no\nc: on\nd: off\ne: 1_000\nf: .inf\ng: 0b101\n");
            CHECK(doc == json{{"a", "yes"},
                              {"b", "no"},
                              {"c", "on"},
                              {"d", "off"},
                              {"e", "1_000"},
                              {"f", ".inf"},
                              {"g", "0b101"}});
        }
        SUBCASE("quoted and block scalars are strings") {
            const json doc = parse("a: \"1\"\nb: 'true'\nc: \"\"\nd: |\n  line\n");
            CHECK(doc == json{{"a", "1"}, {"b", "true"}, {"c", ""}, {"d", "line\n"}});
        }
        SUBCASE("an integer too large for 64 bits keeps its digits as text") {
            CHECK(parse("big: 99999999999999999999")["big"] == "99999999999999999999");
        }
        SUBCASE("number spellings at the edges of the core schema's patterns") {
            const json doc = parse("a: .5\nb: 5.\nc: 1.e3\nd: -.5e-2\ne: 1e\nf: e3\ng: +\nh: 0x\n"
                                   "i: 0o8\nj: 1.2.3\nk: 0X1F\nl: -0x1F\n");
            CHECK(doc == json{{"a", 0.5},
                              {"b", 5.0},
                              {"c", 1000.0},
                              {"d", -0.005},
                              {"e", "1e"},
                              {"f", "e3"},
                              {"g", "+"},
                              {"h", "0x"},
                              {"i", "0o8"},
                              {"j", "1.2.3"},
                              {"k", "0X1F"},
                              {"l", "-0x1F"}});
        }
        SUBCASE("a scalar of 200,000 digits is read without deep recursion") {
            CHECK(parse("big: " + std::string(200000, '7'))["big"] == std::string(200000, '7'));
        }
        SUBCASE("keys are strings spelled as written, null keys included") {
            CHECK(parse("null: 1\n~: 2\nNULL: 3\ntrue: 4\n12: 5\nm: {null: 6, ~: 7}\n") ==
                  json{{"null", 1},
                       {"~", 2},
                       {"NULL", 3},
                       {"true", 4},
                       {"12", 5},
                       {"m", {{"null", 6}, {"~", 7}}}});
            CHECK(parse("\xEF\xBB\xBFnull: 1\n") == json{{"null", 1}});
            CHECK(parse("a: 1\n: 2\n") == json{{"a", 1}, {"", 2}});
        }
        SUBCASE("sequences, nested mappings and an empty document") {
            CHECK(parse("- a\n- {b: [1, 2]}\n") == json::parse(R"(["a", {"b": [1, 2]}])"));
            CHECK(parse("") == nullptr);
        }
    }

    TEST_CASE("util::parse_yaml errors") {
        SUBCASE("a duplicate key names it with its position") {
            CHECK(error_of("a: 1\nb: 2\na: 3\n") == "p.yaml:3:1: duplicate key 'a'");
            CHECK(error_of("top:\n  x: 1\n  x: 2\n") == "p.yaml:3:3: duplicate key 'x'");
            CHECK(error_of("\"null\": 1\nnull: 2\n") == "p.yaml:2:1: duplicate key 'null'");
        }
        SUBCASE("a syntax error is reported at origin:line:col") {
            CHECK(error_of("a: b: c\n") == "p.yaml:1:5: illegal map value");
            CHECK(error_of("ok: 1\nlist: [1, 2\n") == "p.yaml:3:1: end of sequence flow not found");
        }
        SUBCASE("line_offset is added to every reported line") {
            CHECK(error_of("a: 1\na: 2\n", 1) == "p.yaml:3:1: duplicate key 'a'");
            CHECK(error_of("a: b: c\n", 4) == "p.yaml:5:5: illegal map value");
            CHECK(error_of("x: 1\ny: \xFF\n", 1) == "p.yaml:3:4: invalid UTF-8 (byte 8)");
        }
        SUBCASE("invalid UTF-8 is reported with its position") {
            CHECK(error_of("x: caf\xC3\n") == "p.yaml:1:7: invalid UTF-8 (byte 6)");
        }
        SUBCASE("a mapping used as a key is refused") {
            CHECK(error_of("? [a]\n: 1\n") == "p.yaml:1:3: mapping keys must be scalars");
        }
        SUBCASE("aliases are refused, merge keys included") {
            CHECK(error_of("a: &x 1\nb: *x\n") == "p.yaml:2:4: aliases are not supported");
            CHECK(error_of("base: &b {x: 1}\nd:\n  <<: *b\n") ==
                  "p.yaml:3:7: aliases are not supported");
        }
        SUBCASE("a second document is refused rather than dropped") {
            CHECK(error_of("a: 1\n---\nb: 2\n") ==
                  "p.yaml:2:1: a second YAML document (only one is "
                  "allowed)");
            CHECK(parse("---\na: 1\n---\n") == json{{"a", 1}});
        }
    }

    TEST_CASE("util::parse_yaml nesting") {
        SUBCASE("498 levels of lists or maps read; one more is refused where it opens") {
            CHECK(parse(std::string(498, '[') + std::string(498, ']')).is_array());
            CHECK(error_of(std::string(499, '[') + std::string(499, ']')) ==
                  "p.yaml:1:499: nesting deeper than 498 levels");
            std::string maps;
            for (int i = 0; i < 499; ++i) {
                maps += "{a: ";
            }
            CHECK(error_of(maps + "1" + std::string(499, '}')) ==
                  "p.yaml:1:1993: nesting deeper than 498 levels");
        }
        SUBCASE("100,000 levels (200 KB) in flow and block style: refused without a crash") {
            CHECK(error_of(std::string(100'000, '[') + std::string(100'000, ']')) ==
                  "p.yaml:1:499: nesting deeper than 498 levels");
            std::string dashes;
            for (int i = 0; i < 100'000; ++i) {
                dashes += "- ";
            }
            CHECK(error_of(dashes + "x\n") == "p.yaml:1:997: nesting deeper than 498 levels");
        }
        SUBCASE("block maps indented level by level") {
            std::string block;
            for (int i = 0; i < 600; ++i) {
                block += std::string(static_cast<size_t>(i), ' ') + "a:\n";
            }
            CHECK(error_of(block) == "p.yaml:499:499: nesting deeper than 498 levels");
        }
    }

} // TEST_SUITE
