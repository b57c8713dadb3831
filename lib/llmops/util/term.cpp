#include <llmops/util/term.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include <sys/ioctl.h>
#include <unistd.h>

namespace llmops::util {

bool is_terminal(std::FILE* stream) {
    return ::isatty(::fileno(stream)) == 1;
}

bool use_colour(std::FILE* stream) {
    const char* no_colour = std::getenv("NO_COLOR");
    if (no_colour != nullptr && no_colour[0] != '\0') {
        return false;
    }
    return is_terminal(stream);
}

size_t terminal_width(std::FILE* stream) {
    constexpr size_t k_min_width = 40;
    if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
        size_t n = 0;
        const char* end = columns + std::strlen(columns);
        if (auto [at, ec] = std::from_chars(columns, end, n);
            ec == std::errc() && at == end && n > 0) {
            return std::max(n, k_min_width);
        }
    }
    winsize size{};
    if (is_terminal(stream) && ::ioctl(::fileno(stream), TIOCGWINSZ, &size) == 0 &&
        size.ws_col > 0) {
        return std::max(static_cast<size_t>(size.ws_col), k_min_width);
    }
    return k_default_width;
}

std::string paint(std::string_view text, Colour colour, bool enabled) {
    if (!enabled) {
        return std::string(text);
    }
    const char* code = "";
    switch (colour) {
    case Colour::red: code = "\x1b[31m"; break;
    case Colour::green: code = "\x1b[32m"; break;
    case Colour::yellow: code = "\x1b[33m"; break;
    case Colour::cyan: code = "\x1b[36m"; break;
    case Colour::bold: code = "\x1b[1m"; break;
    case Colour::dim: code = "\x1b[2m"; break;
    }
    return std::string(code) + std::string(text) + "\x1b[0m";
}

} // namespace llmops::util
