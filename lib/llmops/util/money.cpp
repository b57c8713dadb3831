#include <llmops/util/money.hpp>

#include <fmt/format.h>

namespace llmops::util {

std::string format_usd(double usd, const UsdPrecision& precision) {
    if (usd == 0 && precision.zero == UsdZero::bare) {
        return "$0";
    }
    const int decimals = usd < 0.001 ? precision.below_milli
                         : usd < 1   ? precision.below_dollar
                                     : precision.from_dollar;
    return fmt::format("${:.{}f}", usd, decimals);
}

} // namespace llmops::util
