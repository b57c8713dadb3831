#include <llmops/util/json.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include <llmops/util/nesting.hpp>
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

// nlohmann's own DOM builder (what json::parse uses) that refuses to open an array or object
// deeper than k_max_nesting: the parser keeps an explicit stack and never overflows, but the
// value it would build does once dumped, copied or compared. Refusing stops the parse at once.
class BoundedDom {
public:
    using json = nlohmann::json;

    BoundedDom(json& result, bool exceptions) : m_dom(result, exceptions) {}

    bool too_deep() const { return m_too_deep; }
    bool errored() const { return m_too_deep || m_dom.is_errored(); }

    bool null() { return m_dom.null(); }
    bool boolean(bool value) { return m_dom.boolean(value); }
    bool number_integer(json::number_integer_t value) { return m_dom.number_integer(value); }
    bool number_unsigned(json::number_unsigned_t value) { return m_dom.number_unsigned(value); }
    bool number_float(json::number_float_t value, const json::string_t& text) {
        return m_dom.number_float(value, text);
    }
    bool string(json::string_t& value) { return m_dom.string(value); }
    bool binary(json::binary_t& value) { return m_dom.binary(value); }
    bool key(json::string_t& value) { return m_dom.key(value); }
    bool start_object(std::size_t size) { return open() && m_dom.start_object(size); }
    bool end_object() {
        --m_depth;
        return m_dom.end_object();
    }
    bool start_array(std::size_t size) { return open() && m_dom.start_array(size); }
    bool end_array() {
        --m_depth;
        return m_dom.end_array();
    }
    template <class Exception>
    bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
        return m_dom.parse_error(position, token, e); // throws `e` when exceptions are on
    }

private:
    bool open() {
        m_too_deep = ++m_depth > k_max_nesting;
        return !m_too_deep;
    }

    nlohmann::detail::json_sax_dom_parser<json> m_dom;
    size_t m_depth = 0;
    bool m_too_deep = false;
};

} // namespace

// nlohmann::json keeps object members in a std::map, so dump() already sorts keys bytewise.
std::string canonical_json(const nlohmann::json& value) {
    return value.dump();
}

Expected<nlohmann::json> parse_json(std::string_view text, std::string_view name,
                                    size_t first_line) {
    try {
        nlohmann::json value;
        BoundedDom dom(value, true);
        if (!nlohmann::json::sax_parse(text, &dom)) {
            // Only depth stops the parse without throwing. It stopped at the bracket, after
            // valid JSON only, which the scan reads as the parser did.
            const size_t at = find_deep_json(text).value_or(0);
            const auto [line, column] = line_and_column(text, at);
            return fail(ErrorCode::invalid_input, "{}:{}:{}: {}", name,
                        first_line == 0 ? line : first_line + line - 1, column, nesting_message());
        }
        return value;
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

nlohmann::json parse_json_or_discarded(std::string_view text) {
    nlohmann::json value;
    BoundedDom dom(value, false);
    if (!nlohmann::json::sax_parse(text, &dom) || dom.errored()) {
        return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    return value;
}

} // namespace llmops::util
