#include <llmops/util/error.hpp>

#include <memory>
#include <string>

#include <doctest/doctest.h>

using llmops::Error;
using llmops::ErrorCode;
using llmops::Expected;
using llmops::fail;

namespace {

Expected<std::unique_ptr<int>> boxed(int n) {
    if (n < 0)
        return fail(ErrorCode::invalid_input, "negative: {}", n);
    return std::make_unique<int>(n);
}

Expected<void> check(int n) {
    if (n == 13)
        return fail(ErrorCode::conflict, "unlucky");
    return {};
}

// Uses LLMOPS_TRY on a move-only value, on Expected<void> and nested in itself.
Expected<std::string> describe(int n) {
    auto box = LLMOPS_TRY(boxed(n));
    LLMOPS_TRY(check(*box));
    const int twice = *LLMOPS_TRY(boxed(*LLMOPS_TRY(boxed(n)) * 2));
    return std::to_string(*box) + "," + std::to_string(twice);
}

} // namespace

TEST_SUITE("util") {

    TEST_CASE("LLMOPS_TRY") {
        SUBCASE("values pass through") {
            CHECK(describe(4).value() == "4,8");
        }
        SUBCASE("the first error returns unchanged") {
            const auto negative = describe(-1);
            REQUIRE(!negative);
            CHECK(negative.error().code() == ErrorCode::invalid_input);
            CHECK(negative.error().message() == "negative: -1");
            CHECK(describe(13).error().message() == "unlucky");
        }
    }

} // TEST_SUITE
