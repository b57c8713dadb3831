#pragma once
// The one money formatter: US dollars as every report and command shows them.

#include <string>

namespace llmops::util {

// How `format_usd` writes zero.
enum class UsdZero {
    bare,     // "$0"
    decimals, // as any other amount below a dollar: "$0.0000"
};

// Decimals `format_usd` shows, by size of the amount. The defaults are the run reports'.
struct UsdPrecision {
    int from_dollar = 2;  // $1 and above: "$12.34"
    int below_dollar = 4; // below $1: "$0.0123"
    int below_milli = 4;  // below $0.001 (a small model's cost per case): "$0.000200" with 6
    UsdZero zero = UsdZero::bare;
};

// `usd` as "$" and a fixed number of decimals chosen by `precision` (negative amounts count as
// below $0.001: "$-0.5000" with the defaults). Never fails.
std::string format_usd(double usd, const UsdPrecision& precision = {});

} // namespace llmops::util
