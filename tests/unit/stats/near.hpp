#pragma once
// Comparison with reference values for the stats tests.

#include <algorithm>
#include <cmath>

namespace llmops::stats::testing {

// |actual - expected| <= tolerance · max(1, |expected|): absolute near 0, relative beyond 1.
inline bool near(double actual, double expected, double tolerance) {
    return std::abs(actual - expected) <= tolerance * std::max(1.0, std::abs(expected));
}

// |actual - expected| <= tolerance · |expected|, for tiny values such as p-values.
inline bool near_relative(double actual, double expected, double tolerance) {
    return std::abs(actual - expected) <= tolerance * std::abs(expected);
}

} // namespace llmops::stats::testing
