#include <llmops/util/strings.hpp>

#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace util = llmops::util;
using Strings = std::vector<std::string>;

TEST_SUITE("util") {

    TEST_CASE("util::trim") {
        SUBCASE("spaces, tabs, carriage returns and newlines go from both ends") {
            CHECK(util::trim(" \t\r\nhello world\n\r\t ") == "hello world");
        }
        SUBCASE("inner white space stays") {
            CHECK(util::trim("a \t b") == "a \t b");
        }
        SUBCASE("a string of only white space becomes empty") {
            CHECK(util::trim(" \n\t") == "");
        }
        SUBCASE("other characters are not white space") {
            CHECK(util::trim("\va\f") == "\va\f");
        }
    }

    TEST_CASE("util::split") {
        SUBCASE("pieces between separators") {
            CHECK(util::split("a/b/c", '/') == Strings{"a", "b", "c"});
        }
        SUBCASE("empty pieces are kept, at the ends too") {
            CHECK(util::split("/a//b/", '/') == Strings{"", "a", "", "b", ""});
        }
        SUBCASE("no separator gives the whole string") {
            CHECK(util::split("abc", '/') == Strings{"abc"});
        }
        SUBCASE("the empty string is one empty piece") {
            CHECK(util::split("", '/') == Strings{""});
        }
    }

    TEST_CASE("util::join") {
        CHECK(util::join({"a", "b", "c"}, ", ") == "a, b, c");
        CHECK(util::join({"only"}, ", ") == "only");
        CHECK(util::join({}, ", ") == "");
        CHECK(util::join(util::split("/x//y", '/'), "/") == "/x//y");
    }

    TEST_CASE("util::find_invalid_utf8") {
        SUBCASE("ASCII and valid two, three and four byte sequences pass") {
            CHECK_FALSE(util::find_invalid_utf8("plain ascii").has_value());
            CHECK_FALSE(
                util::find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80").has_value());
            CHECK_FALSE(util::find_invalid_utf8("\xF4\x8F\xBF\xBF").has_value()); // U+10FFFF
            CHECK_FALSE(util::find_invalid_utf8("").has_value());
        }
        SUBCASE("overlong encodings are reported at their first byte") {
            CHECK(util::find_invalid_utf8("ab\xC0\xAF") == 2u);        // '/' in two bytes
            CHECK(util::find_invalid_utf8("\xE0\x80\xAF") == 0u);      // '/' in three bytes
            CHECK(util::find_invalid_utf8("x\xF0\x80\x80\xAF") == 1u); // '/' in four bytes
        }
        SUBCASE("UTF-16 surrogates are invalid") {
            CHECK(util::find_invalid_utf8("ok\xED\xA0\x80") == 2u);           // U+D800
            CHECK(util::find_invalid_utf8("\xED\xBF\xBF") == 0u);             // U+DFFF
            CHECK_FALSE(util::find_invalid_utf8("\xED\x9F\xBF").has_value()); // U+D7FF
        }
        SUBCASE("a sequence cut short is invalid, at the end or before another character") {
            CHECK(util::find_invalid_utf8("abc\xE2\x82") == 3u);
            CHECK(util::find_invalid_utf8("\xC3z") == 0u);
        }
        SUBCASE("stray continuation bytes, invalid lead bytes and code points past U+10FFFF") {
            CHECK(util::find_invalid_utf8("a\x80") == 1u);
            CHECK(util::find_invalid_utf8("\xFF") == 0u);
            CHECK(util::find_invalid_utf8("\xF4\x90\x80\x80") == 0u); // U+110000
        }
    }

    TEST_CASE("util::decode_utf8") {
        SUBCASE("a well-formed sequence gives its code point and length") {
            const auto c = util::decode_utf8("a\xE2\x82\xAC", 1); // U+20AC EURO SIGN
            CHECK(c.valid);
            CHECK(c.value == U'\u20AC');
            CHECK(c.length == 3);
        }
        SUBCASE("an ill-formed sequence is U+FFFD and consumes its maximal subpart") {
            const auto truncated = util::decode_utf8("\xE2\x82x", 0);
            CHECK(!truncated.valid);
            CHECK(truncated.value == 0xFFFD);
            CHECK(truncated.length == 2);
            CHECK(util::decode_utf8("\xC0\xAF", 0).length == 1); // overlong: C0 never starts one
            CHECK(util::decode_utf8("\xED\xA0\x80", 0).length == 1); // a surrogate
        }
    }

    TEST_CASE("util::valid_utf8 and util::append_utf8") {
        SUBCASE("each broken sequence becomes one U+FFFD") {
            CHECK(util::valid_utf8("a\xE2\x82x\xFF") == "a\xEF\xBF\xBDx\xEF\xBF\xBD");
            CHECK(util::valid_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
        }
        SUBCASE("code points of every length encode back") {
            std::string out;
            for (char32_t cp : {U'a', U'\u00E9', U'\u20AC', U'\U0001F600'})
                util::append_utf8(out, cp);
            CHECK(out == "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
        }
    }

    TEST_CASE("util::line_and_column") {
        const std::string text = "ab\ncd\n\nef";
        using Pos = std::pair<size_t, size_t>;
        CHECK(util::line_and_column(text, 0) == Pos{1, 1});
        CHECK(util::line_and_column(text, 1) == Pos{1, 2});
        CHECK(util::line_and_column(text, 2) == Pos{1, 3}); // the newline itself
        CHECK(util::line_and_column(text, 3) == Pos{2, 1});
        CHECK(util::line_and_column(text, 6) == Pos{3, 1});
        CHECK(util::line_and_column(text, 8) == Pos{4, 2});
        SUBCASE("an offset past the end stops at the end") {
            CHECK(util::line_and_column(text, 100) == Pos{4, 3});
        }
    }

    TEST_CASE("util::levenshtein") {
        CHECK(util::levenshtein("", "") == 0);
        CHECK(util::levenshtein("abc", "") == 3);
        CHECK(util::levenshtein("", "abc") == 3);
        CHECK(util::levenshtein("kitten", "sitting") == 3);
        CHECK(util::levenshtein("contains", "containz") == 1);
        CHECK(util::levenshtein("flaw", "lawn") == 2);
        CHECK(util::levenshtein("same", "same") == 0);
    }

    TEST_CASE("util::did_you_mean") {
        const Strings labels = {"production", "staging", "canary"};
        SUBCASE("a close typo is suggested") {
            CHECK(util::did_you_mean("prodution", labels) == " (did you mean 'production'?)");
            CHECK(util::closest_match("stagign", labels) == "staging");
        }
        SUBCASE("the closest of several candidates wins") {
            CHECK(util::did_you_mean("cat", {"cat5e", "cart"}) == " (did you mean 'cart'?)");
        }
        SUBCASE("a different word is not suggested") {
            CHECK(util::did_you_mean("release", labels) == "");
            CHECK_FALSE(util::closest_match("dev", labels).has_value());
        }
        SUBCASE("no candidates, no suggestion") {
            CHECK(util::did_you_mean("x", {}) == "");
        }
    }

    TEST_CASE("util::is_lower_hex and util::is_digits") {
        CHECK(util::is_lower_hex("0123456789abcdef"));
        CHECK_FALSE(util::is_lower_hex("ABCDEF"));
        CHECK_FALSE(util::is_lower_hex("abcdeg"));
        CHECK_FALSE(util::is_lower_hex(""));
        CHECK(util::is_digits("0042"));
        CHECK_FALSE(util::is_digits("4a"));
        CHECK_FALSE(util::is_digits("-1"));
        CHECK_FALSE(util::is_digits(""));
    }

} // TEST_SUITE
