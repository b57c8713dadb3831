#include <llmops/util/json.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include <llmops/util/strings.hpp>

namespace llmops::util {

namespace {

// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1,
// column 5: " preamble (the caller names the place itself).
std::string parse_error_text(const nlohmann::json::parse_error& e) {
    std::string_view what = e.what();
    const size_t column = what.find("column ");
    const size_t colon =
        column == std::string_view::npos ? what.find(": ") : what.find(": ", column);
    return std::string(colon == std::string_view::npos ? what : what.substr(colon + 2));
}

// nlohmann's other errors without their "[json.exception.out_of_range.406] " preamble: parse()
// throws out_of_range, not parse_error, for a number beyond a double's range (1e400).
std::string exception_text(const nlohmann::json::exception& e) {
    std::string_view what = e.what();
    const size_t bracket = what.find("] ");
    return std::string(bracket == std::string_view::npos ? what : what.substr(bracket + 2));
}

} // namespace

// nlohmann::json keeps object members in a std::map, so dump() already sorts keys bytewise.
std::string canonical_json(const nlohmann::json& value) { return value.dump(); }

Expected<nlohmann::json> parse_json(std::string_view text, std::string_view name,
                                    size_t first_line) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        const auto [line, column] =
            line_and_column(text, std::min(text.size(), e.byte > 0 ? e.byte - 1 : 0));
        return fail(ErrorCode::invalid_input, "{}:{}:{}: not JSON: {}", name,
                    first_line == 0 ? line : first_line + line - 1, column, parse_error_text(e));
    } catch (const nlohmann::json::exception& e) {
        if (first_line != 0) {
            return fail(ErrorCode::invalid_input, "{}:{}: not JSON: {}", name, first_line,
                        exception_text(e));
        }
        return fail(ErrorCode::invalid_input, "{}: not JSON: {}", name, exception_text(e));
    }
}

} // namespace llmops::util
