#include <llmops/util/money.hpp>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace llmops::util {

std::string format_usd(double usd, const UsdPrecision& precision) {
    if (usd == 0 && precision.zero == UsdZero::bare) {
        return "$0";
    }
    const double size = std::fabs(usd);
    int decimals = size >= 1 ? precision.from_dollar : precision.below_dollar;
    if (precision.significant > 0 && size > 0 && size < 0.01) {
        const int magnitude = static_cast<int>(std::floor(std::log10(size)));
        decimals = std::max(decimals, precision.significant - 1 - magnitude);
    }
    return fmt::format("${:.{}f}", usd, decimals);
}

std::string format_cost(double usd, int64_t unpriced, const UsdPrecision& precision) {
    if (!cost_known(usd, unpriced)) {
        return "unknown";
    }
    return (unpriced > 0 ? "≥" : "") + format_usd(usd, precision);
}

} // namespace llmops::util
