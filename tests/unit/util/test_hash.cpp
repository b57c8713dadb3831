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

    TEST_CASE("util::sha256_digest") {
        const std::string digest = util::sha256_digest("abc");
        REQUIRE(digest.size() == 32);
        std::string hex;
        for (unsigned char byte : digest) {
            hex += "0123456789abcdef"[byte >> 4];
            hex += "0123456789abcdef"[byte & 0x0F];
        }
        CHECK(hex == util::sha256_hex("abc"));
    }

    TEST_CASE("util::base64_encode") {
        SUBCASE("the RFC 4648 test vectors") {
            CHECK(util::base64_encode("") == "");
            CHECK(util::base64_encode("f") == "Zg==");
            CHECK(util::base64_encode("fo") == "Zm8=");
            CHECK(util::base64_encode("foo") == "Zm9v");
            CHECK(util::base64_encode("foob") == "Zm9vYg==");
            CHECK(util::base64_encode("fooba") == "Zm9vYmE=");
            CHECK(util::base64_encode("foobar") == "Zm9vYmFy");
        }
        SUBCASE("high bytes and NULs, and the last two letters of the alphabet") {
            CHECK(util::base64_encode(std::string("\0\xff\xfe", 3)) == "AP/+");
            CHECK(util::base64_encode(std::string("\xfb\xef\xbe", 3)) == "++++");
        }
        SUBCASE("a SHA-256 digest as a Content-Security-Policy hash source wants it") {
            // Python: base64.b64encode(hashlib.sha256(b'abc').digest())
            CHECK(util::base64_encode(util::sha256_digest("abc")) ==
                  "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
            CHECK(util::base64_encode(util::sha256_digest("")) ==
                  "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
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
