#include <llmops/util/nesting.hpp>

#include <fmt/format.h>

namespace llmops::util {

std::string nesting_message(size_t limit) {
    return fmt::format("nesting deeper than {} levels", limit);
}

std::optional<size_t> find_deep_json(std::string_view text, size_t limit) {
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i; // the escaped character cannot end the string
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) {
                return i;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

} // namespace llmops::util
