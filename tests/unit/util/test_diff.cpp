#include <llmops/util/diff.hpp>

#include <string>

#include <doctest/doctest.h>

namespace util = llmops::util;

namespace {

std::string diff(std::string_view before, std::string_view after, bool colour = false) {
    return util::unified_diff(before, after, "greet@1", "greet@2", colour);
}

} // namespace

TEST_SUITE("util") {

    TEST_CASE("util::unified_diff") {
        SUBCASE("equal inputs give nothing") {
            CHECK(diff("", "") == "");
            CHECK(diff("same\ntext\n", "same\ntext\n") == "");
        }
        SUBCASE("a one-line change in a one-line file") {
            CHECK(diff("Hello\n", "Hi\n") == "--- greet@1\n"
                                             "+++ greet@2\n"
                                             "@@ -1 +1 @@\n"
                                             "-Hello\n"
                                             "+Hi\n");
        }
        SUBCASE("a one-line change keeps three lines of context each side") {
            CHECK(diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n") ==
                  "--- greet@1\n"
                  "+++ greet@2\n"
                  "@@ -2,7 +2,7 @@\n"
                  " 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
        }
        SUBCASE("changes far apart make two hunks") {
            CHECK(diff("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", "A\nb\nc\nd\ne\nf\ng\nh\ni\nJ\n") ==
                  "--- greet@1\n+++ greet@2\n"
                  "@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n"
                  "@@ -7,4 +7,4 @@\n g\n h\n i\n-j\n+J\n");
        }
        SUBCASE("changes six unchanged lines apart share one hunk") {
            CHECK(diff("a\nb\nc\nd\ne\nf\ng\nh\n", "A\nb\nc\nd\ne\nf\ng\nH\n") ==
                  "--- greet@1\n+++ greet@2\n"
                  "@@ -1,8 +1,8 @@\n-a\n+A\n b\n c\n d\n e\n f\n g\n-h\n+H\n");
        }
        SUBCASE("a run of changes lists its removals before its additions") {
            CHECK(diff("keep\na\nb\n", "keep\nA\nB\n") ==
                  "--- greet@1\n+++ greet@2\n@@ -1,3 +1,3 @@\n keep\n-a\n-b\n+A\n+B\n");
        }
        SUBCASE("adding to an empty text and emptying a text") {
            CHECK(diff("", "new\n") == "--- greet@1\n+++ greet@2\n@@ -0,0 +1 @@\n+new\n");
            CHECK(diff("old\n", "") == "--- greet@1\n+++ greet@2\n@@ -1 +0,0 @@\n-old\n");
        }
        SUBCASE("a missing final newline is a difference, and is marked") {
            CHECK(diff("a\nb\n", "a\nb") == "--- greet@1\n+++ greet@2\n"
                                            "@@ -1,2 +1,2 @@\n"
                                            " a\n-b\n+b\n\\ No newline at end of file\n");
        }
        SUBCASE("without colour there are no escape codes") {
            CHECK(diff("x\n", "y\n", false).find('\x1b') == std::string::npos);
        }
        SUBCASE("with colour, removed lines are red, added green, hunk headers cyan") {
            CHECK(diff("x\n", "y\n", true) == "\x1b[1m--- greet@1\x1b[0m\n"
                                              "\x1b[1m+++ greet@2\x1b[0m\n"
                                              "\x1b[36m@@ -1 +1 @@\x1b[0m\n"
                                              "\x1b[31m-x\x1b[0m\n"
                                              "\x1b[32m+y\x1b[0m\n");
        }
    }

} // TEST_SUITE
