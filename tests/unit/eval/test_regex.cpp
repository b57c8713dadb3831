#include <llmops/eval/assertions/regex.hpp>

#include <string>

#include <doctest/doctest.h>

using llmops::eval::detail::Regex;

namespace {

bool search(std::string_view pattern, std::string_view text) {
    auto regex = Regex::compile(pattern);
    if (!regex)
        FAIL(regex.error().message());
    return regex->search(text);
}

std::string compile_error(std::string_view pattern) {
    auto regex = Regex::compile(pattern);
    REQUIRE_FALSE(regex.has_value());
    return regex.error().message();
}

} // namespace

TEST_SUITE("eval") {

    TEST_CASE("eval::Regex::search") {
        SUBCASE("a literal matches anywhere in the text") {
            CHECK(search("cat", "concatenate"));
            CHECK_FALSE(search("cat", "dog"));
        }
        SUBCASE("anchors are the start and end of the whole text, not of lines") {
            CHECK(search("^a.c$", "abc"));
            CHECK_FALSE(search("^b", "a\nb"));
            CHECK_FALSE(search("a$", "a\nb"));
        }
        SUBCASE("the dot does not match a line break") {
            CHECK_FALSE(search("a.b", "a\nb"));
            CHECK(search("a[^]b", "a\nb"));
        }
        SUBCASE("classes, ranges, negation and class escapes") {
            CHECK(search("^[A-Z][a-z]+ \\d{4}$", "Paris 2024"));
            CHECK_FALSE(search("^[^0-9]+$", "abc1"));
            CHECK(search("[\\s\\-]x", "a-x"));
            CHECK_FALSE(search("[]", "anything"));
        }
        SUBCASE("alternation and groups with quantifiers") {
            CHECK(search("^(yes|no)(, (yes|no))*$", "yes, no, yes"));
            CHECK_FALSE(search("^(yes|no)(, (yes|no))*$", "yes, maybe"));
            CHECK(search("^(?:ab){2,3}$", "ababab"));
            CHECK_FALSE(search("^(?:ab){2,3}$", "abababab"));
            CHECK(search("^(?<word>\\w+)!$", "hello!"));
        }
        SUBCASE("lazy quantifiers match the same texts") {
            CHECK(search("<.+?>", "<b>"));
        }
        SUBCASE("word boundaries are ASCII word characters") {
            CHECK(search("\\bcat\\b", "a cat."));
            CHECK_FALSE(search("\\bcat\\b", "concat"));
            CHECK(search("\\Bcat", "concat"));
        }
        SUBCASE("matching is on code points, not bytes") {
            CHECK(search("^caf.$", "caf\xC3\xA9"));
            CHECK(search("^[\\u00e0-\\u00ff]$", "\xC3\xA9"));
            CHECK(search("\\u{1F600}", "smile \xF0\x9F\x98\x80"));
        }
        SUBCASE("a brace that is no quantifier is a literal") {
            CHECK(search("^\\{\"a\": 1}$", "{\"a\": 1}"));
            CHECK(search("a{x", "a{x"));
        }
        SUBCASE("a long text does not exhaust the stack, and nested quantifiers stay fast") {
            const std::string text = std::string(1'000'000, 'x') + "END";
            CHECK(search(".*END", text));
            CHECK(search("(x|y)*END", text));
            CHECK_FALSE(search("^(x+x+)+y$", std::string(5000, 'x')));
        }
    }

    TEST_CASE("eval::Regex::compile") {
        SUBCASE("syntax errors name the problem") {
            CHECK(compile_error("(a") == "missing ')'");
            CHECK(compile_error("a)") == "unmatched ')'");
            CHECK(compile_error("[a-") == "missing ']'");
            CHECK(compile_error("*a") == "nothing to repeat");
            CHECK(compile_error("a**") == "nothing to repeat");
            CHECK(compile_error("^*") == "nothing to repeat");
            CHECK(compile_error("[z-a]") == "range out of order in character class");
            CHECK(compile_error("a{3,2}") == "numbers out of order in {} quantifier");
            CHECK(compile_error("a\\") == "\\ at end of pattern");
        }
        SUBCASE("features JavaScript has and this engine lacks are refused, not misread") {
            CHECK(compile_error("(a)\\1") == "backreferences are not supported");
            CHECK(compile_error("a(?=b)") == "lookahead is not supported");
            CHECK(compile_error("(?<!a)b") == "lookbehind is not supported");
            CHECK(compile_error("(?i)abc") ==
                  "inline flags and '(?' groups other than '(?:' and '(?<name>' are not "
                  "supported");
            CHECK(compile_error("\\p{L}") == "Unicode property escapes are not supported");
            CHECK(compile_error("\\Aabc") == "unsupported escape '\\A'");
        }
        SUBCASE("absurd sizes are refused") {
            CHECK(compile_error("(((a{1000}){1000}){1000})") ==
                  "the regular expression is too large");
        }
    }
}
