#pragma once
// The one money formatter: US dollars as every report and command shows them.

#include <cstdint>
#include <string>

namespace llmops::util {

// How `format_usd` writes zero.
enum class UsdZero {
    bare,     // "$0"
    decimals, // with the decimals of an amount below a dollar: "$0.0000"
};

// Digits `format_usd` shows, by size of the amount. The defaults are every report's.
struct UsdPrecision {
    int from_dollar = 2;  // $1 and above: "$12.34"
    int below_dollar = 4; // from a cent to a dollar: "$0.0123"
    int significant = 3;  // below a cent, significant digits: "$0.0000412", never "$0.0000"
                          // (0: below_dollar decimals there too, as axis ticks want)
    UsdZero zero = UsdZero::bare;
};

// `usd` as "$" and digits chosen by `precision` (a negative amount by its size: "$-0.5000").
// A non-zero amount never reads as zero. Never fails.
std::string format_usd(double usd, const UsdPrecision& precision = {});

// Whether a total cost is known: not when calls were unpriced and the priced ones cost nothing
// (every call unpriced). Text then reads "unknown", JSON null (with "unpriced": N beside it).
inline bool cost_known(double usd, int64_t unpriced) {
    return unpriced == 0 || usd != 0;
}

// A total cost in text, `unpriced` of its calls having had no price (their cost is unknown, never
// zero): "$0.0123"; "≥$0.0123" when some calls were unpriced; "unknown" when the priced calls
// cost nothing (every call unpriced).
std::string format_cost(double usd, int64_t unpriced, const UsdPrecision& precision = {});

} // namespace llmops::util
