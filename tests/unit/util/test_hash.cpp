#include <llmops/util/hash.hpp>

#include <string>

#include <doctest/doctest.h>

namespace util = llmops::util;

TEST_SUITE("util") {

    TEST_CASE("util::sha256_hex") {
        SUBCASE("the FIPS 180-2 test vectors") {
            CHECK(util::sha256_hex("abc") ==
                  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
            CHECK(util::sha256_hex("") ==
                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
            CHECK(util::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        }
        SUBCASE("bytes after a NUL count") {
            CHECK(util::sha256_hex(std::string("a\0b", 3)) != util::sha256_hex("a"));
        }
    }

    TEST_CASE("util::Sha256 fed in pieces") {
        util::Sha256 empty;
        CHECK(empty.hex_digest() == util::sha256_hex(""));
        util::Sha256 pieces;
        pieces.update("abcdbcdecdefdefg");
        pieces.update("");
        pieces.update("efghfghighijhijkijkljklmklmnlmnomnopnopq");
        CHECK(pieces.hex_digest() ==
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        util::Sha256 moved_from;
        moved_from.update("a");
        util::Sha256 moved = std::move(moved_from);
        moved.update("bc");
        CHECK(moved.hex_digest() == util::sha256_hex("abc"));
    }

} // TEST_SUITE
