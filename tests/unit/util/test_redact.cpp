#include <doctest/doctest.h>

#include <llmops/util/redact.hpp>

using llmops::util::redact;

TEST_SUITE("util") {

TEST_CASE("util::redact") {
    SUBCASE("every occurrence of every secret is replaced") {
        CHECK(redact("key sk-abc123 then sk-abc123 and tok-9", {"sk-abc123", "tok-9"}) ==
              "key [redacted] then [redacted] and [redacted]");
    }
    SUBCASE("text without secrets is unchanged, empty secrets are ignored") {
        CHECK(redact("nothing to hide", {"", "sk-x"}) == "nothing to hide");
    }
    SUBCASE("a secret that contains the replacement text does not loop") {
        CHECK(redact("a[redacted]b", {"[redacted]"}) == "a[redacted]b");
    }
}

} // TEST_SUITE
