#pragma once
// REQUIRE_OK(x): requires an Expected to hold a value, reporting its error message otherwise.
// Unlike REQUIRE_MESSAGE(x.has_value(), x.error().message()), it never evaluates x.error() on a
// value (doctest evaluates an assertion's message for successes too under `-s`).

#include <doctest/doctest.h>

#define REQUIRE_OK(x)                                                                              \
    do {                                                                                           \
        const auto& llmops_require_ok_ = (x);                                                      \
        if (!llmops_require_ok_.has_value()) {                                                     \
            FAIL(llmops_require_ok_.error().message());                                            \
        }                                                                                          \
    } while (false)
